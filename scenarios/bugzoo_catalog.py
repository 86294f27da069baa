"""Bug-zoo scenarios: one fault schedule per bug of shared/bug-zoo.md, tuned to expose it quickly.

Rules: every scenario here is short (a few virtual seconds), runs clean with the bugs off (the
sensitivity test checks both sides on the same seeds), and is named ``zoo-<what it does>``.
``scripted`` runs an explicit timed schedule given as a string of nemesis combinators (the form
``raftsim hunt`` writes): ``--set schedule='mix(at(1.0, do(F.Crash(node="n1"))), ...)'``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from scenarios import nemesis as N
from scenarios.arguments import check_int, check_seconds
from scenarios.catalog import Plan
from scenarios.params import Limit, Param, Params
from scenarios.spec import scenario
from sim import faults as F

__all__ = ["drift_leader", "figure_8_round", "isolate_follower", "jump_leader", "skew_leader", "split_remove_two"]

_S = 1_000_000_000
# What the schedules' actions need (sim/partitions.py, scenarios/actions.py): isolating a node needs
# another; a majority/minority split or a majorities ring needs three.
_TWO = Limit("nodes", lo=2, why="isolating a node needs another")
_THREE = Limit("nodes", lo=3, why="a majority and a minority need three nodes")

# Fast elections, no PreVote/CheckQuorum: more elections per virtual second, more chances to break.
_CHURN = dict(pre_vote=False, check_quorum=False, election_ticks=15, heartbeat_ticks=3, duration_s=4.0, recover_s=2.0)


@dataclass(frozen=True)
class _JumpLeader:
    """Step the current leader's wall clock by ``delta_s`` (a clock step, as NTP or an operator does)."""

    delta_s: float

    def resolve(self, view: N.ClusterView, rng: random.Random) -> N.Resolved:
        leader = view.leader
        if leader is None:
            up = sorted(view.up)
            leader = up[rng.randrange(len(up))] if up else None
        if leader is None:
            return []
        return [(0, F.ClockJump(node=leader, delta_ns=int(self.delta_s * _S)))]

    def __repr__(self) -> str:
        return f"jump_leader({self.delta_s!r})"


@dataclass(frozen=True)
class _DriftLeader:
    """Make the current leader's clock run at ``1 + ppm / 1e6`` of true time (its ticks and lease slow down)."""

    ppm: int

    def resolve(self, view: N.ClusterView, rng: random.Random) -> N.Resolved:
        leader = view.leader
        return [] if leader is None else [(0, F.ClockDrift(node=leader, ppm=self.ppm))]

    def __repr__(self) -> str:
        return f"drift_leader({self.ppm!r})"


@N.register_action
def drift_leader(ppm: int) -> N.Action:
    check_int("drift_leader", "ppm", ppm, -999_999, 10_000_000)  # a clock cannot stop: ppm > -1e6
    return _DriftLeader(ppm)


@dataclass(frozen=True)
class _IsolateFollower:
    """Cut one random non-leader member off from every other member (it lags; clients still reach it)."""

    def resolve(self, view: N.ClusterView, rng: random.Random) -> N.Resolved:
        nodes = sorted(view.nodes)
        followers = [n for n in sorted(view.members) if n != view.leader]
        if not followers or len(nodes) < 2:
            return []
        f = followers[rng.randrange(len(followers))]
        return [(0, F.Partition(groups=((f,), tuple(n for n in nodes if n != f))))]

    def __repr__(self) -> str:
        return "isolate_follower()"


@N.register_action
def isolate_follower() -> N.Action:
    return _IsolateFollower()


@N.register_action
def jump_leader(delta_s: float) -> N.Action:
    check_seconds("jump_leader", "delta_s", delta_s, signed=True)
    return _JumpLeader(delta_s)


@N.register_action
def skew_leader(delta_s: float) -> N.Action:  # alias kept for readability in schedules
    check_seconds("skew_leader", "delta_s", delta_s, signed=True)
    return _JumpLeader(delta_s)


@scenario("scripted", "Run an explicit timed fault schedule (param schedule: nemesis combinators, as hunt writes).",
          params=(Param(name="schedule", type=str, default="NONE",
                        doc="the fault schedule: nemesis combinators, e.g. mix(at(1.0, isolate_leader()))"),),
          duration_s=4.0, recover_s=2.0)
def scripted(p: Params) -> Plan:
    return Plan(N.from_repr(str(p.schedule)))  # the safe parser: one-line ConfigError on bad text


@scenario("zoo-vote-crash", "Crash a random node for 30 ms every 50 ms while the leader is isolated: votes after restart.",
          nodes=5, clients=3, keys=2, latency_ms=30.0, latency_dist="uniform", **{**_CHURN, "duration_s": 8.0, "recover_s": 1.0}, limits=(_TWO,))
def zoo_vote_crash(p: Params) -> Plan:
    return Plan(N.mix(N.every(0.05, N.kill_random(0.03), start_s=0.1),
                      N.cycle(0.5, N.isolate_leader(), N.do_heal(), start_s=0.2)))


@scenario("zoo-minority-tail", "Leader in a minority grows an old-term tail; heal and crash the majority's leader.",
          nodes=5, clients=10, keys=2, **{**_CHURN, "duration_s": 5.0, "recover_s": 1.0}, limits=(_TWO,))
def zoo_minority_tail(p: Params) -> Plan:
    return Plan(N.mix(N.cycle(1.0, N.leader_minority(), start_s=0.1), N.cycle(1.0, N.do_heal(), start_s=0.5),
                      N.cycle(1.0, N.kill_leader(0.4), start_s=0.5)))


@scenario("zoo-dup-elections", "Slow (60 ms), duplicating links and repeated leader isolation: vote replies arrive late, twice.",
          nodes=5, clients=3, keys=2, latency_ms=60.0, latency_dist="uniform", dup=0.3,
          **{**_CHURN, "election_ticks": 10, "heartbeat_ticks": 2, "duration_s": 8.0, "recover_s": 1.0}, limits=(_TWO,))
def zoo_dup_elections(p: Params) -> Plan:
    return Plan(N.cycle(0.4, N.isolate_leader(), N.do_heal(), start_s=0.2))


@scenario("zoo-figure-8", "Figure 8 by the round: an old-term tail, a new leader cut off as it is elected, a catch-up cut short.",
          nodes=5, clients=10, keys=3, rate=100.0, workload="set", client_timeout_ms=150, max_msg_bytes=1,
          latency_ms=10.0, latency_dist="constant",
          params=(Param(name="round_s", type=float, default=2.0, lo=0.1, hi=600,
                        doc="length of one Figure-8 round (virtual seconds)"),), limits=(_TWO,),
          **{**_CHURN, "duration_s": 6.0})
def zoo_figure_8(p: Params) -> Plan:
    """The paper's Figure 8, one round per ``round_s``, reacting to elections (``on``):

    (a) the leader and one peer are cut off in a minority: writes grow a tail of the old term there;
    (b) the majority's first leader is isolated the moment it is elected, so its no-op (a newer term
        at the tail's first index) stays on it alone; the tail's holders rejoin the rest;
    (c) a tail holder wins the next election and catches the others up one entry per message: the
        tail reaches a majority before its own no-op does. 42-52 ms after its election (constant
        10 ms links: two round trips, one fsync) it is cut off, which also eats the no-op in flight;
    (d) the isolated node rejoins with its newer last term and wins the votes of the two that lack the
        no-op, then overwrites the tail. A correct leader never committed the tail by counting (no
        harm); one with B03 did, and raft-safety sees a committed entry replaced.
    """
    rounds = max(1, int(p.duration_s // p.round_s))
    return Plan(N.phases(*[(p.round_s, figure_8_round())] * rounds))


def figure_8_round() -> N.Schedule:
    """One round of zoo-figure-8 (see its steps): timed for constant 10 ms links and ``max_msg_bytes=1``."""
    return N.mix(N.at(0.0, N.leader_minority()),
                 N.on("become-leader", N.isolate_leader(), nth=1),
                 N.on("become-leader", N.isolate_leader(), delay_ms=(42.0, 52.0), nth=2))


@scenario("zoo-reorder-crash", "Duplicated, reordered AppendEntries (latency 5 ms, 30% reorder) and leader crashes.",
          nodes=5, clients=6, keys=3, rate=60.0, dup=0.3, reorder=0.3, latency_ms=5.0, **_CHURN, limits=(_THREE,))
def zoo_reorder_crash(p: Params) -> Plan:
    return Plan(N.mix(N.every(0.5, N.kill_leader(0.3), start_s=0.3),
                      N.cycle(0.8, N.partition("majority"), N.do_heal(), start_s=0.6)))


@scenario("zoo-isolated-leader-reads", "Isolate the leader (no CheckQuorum) while clients keep reading from it.",
          nodes=5, clients=12, keys=1, check_quorum=False, election_ticks=10, heartbeat_ticks=2,
          duration_s=6.0, recover_s=1.0, limits=(_TWO,))
def zoo_isolated_leader_reads(p: Params) -> Plan:
    return Plan(N.cycle(0.8, N.isolate_leader(), N.do_heal(), start_s=0.2))


@scenario("zoo-new-leader-read", "Isolate the leader under slow fsyncs (80 ms): the new leader reads before its no-op commits.",
          nodes=3, clients=10, keys=1, rate=50.0, fsync_ms=80.0, duration_s=8.0, recover_s=1.0, limits=(_TWO,))
def zoo_new_leader_read(p: Params) -> Plan:
    # Found by `raftsim hunt zoo-new-leader-read --bug B08` (shrunk to one event: at(0.5, isolate_leader())).
    # 80 ms, not 50: since a leader sends its AppendEntries while its own fsync runs, its no-op commits one
    # fsync sooner, and 50 ms fsyncs no longer leave the new leader a window on seeds 1-4.
    return Plan(N.cycle(0.8, N.isolate_leader(), N.do_heal(), start_s=0.5))


@scenario("zoo-slow-clock-leader", "Slow the leader's clock to 10% and isolate it: its lease outlives the election.",
          nodes=5, clients=12, keys=1, election_ticks=10, heartbeat_ticks=2, duration_s=6.0, recover_s=1.0, limits=(_TWO,))
def zoo_slow_clock_leader(p: Params) -> Plan:
    return Plan(N.mix(N.cycle(1.5, drift_leader(-900_000), N.heal_all(), start_s=0.2),
                      N.cycle(1.5, N.isolate_leader(), start_s=0.25)))


@scenario("zoo-lossy-retries", "Set workload (POST adds); 30% loss so replies vanish and clients retry elsewhere.",
          nodes=3, clients=6, keys=2, workload="set", loss=0.2, duration_s=3.0, recover_s=1.5)
def zoo_lossy_retries(p: Params) -> Plan:
    return Plan(N.every(1.0, N.kill_leader(0.3), start_s=0.3))


@scenario("zoo-stale-snapshot", "Snapshots every 20 entries; isolate a member, heal under duplication + reordering.",
          nodes=3, clients=8, keys=2, rate=50.0, snapshot_entries=20, dup=0.3, reorder=0.3, latency_ms=3.0,
          duration_s=4.0, recover_s=1.5, limits=(_TWO,))
def zoo_stale_snapshot(p: Params) -> Plan:
    return Plan(N.cycle(0.6, N.partition("isolate"), N.do_heal(), start_s=0.2))


@scenario("zoo-power-loss", "Power failure of the whole cluster with slow fsyncs (20 ms): unsynced writes vanish.",
          nodes=3, clients=6, keys=3, rate=40.0, fsync_ms=20.0, duration_s=3.0, recover_s=2.0)
def zoo_power_loss(p: Params) -> Plan:
    return Plan(N.every(1.0, N.power_failure(0.3), start_s=0.4))


@scenario("zoo-power-loss-many-keys", "Power failures under writes to 20 keys: every key must keep its last acknowledged write.",
          nodes=3, clients=6, keys=20, rate=15.0, fsync_ms=5.0, duration_s=3.0, recover_s=2.0)
def zoo_power_loss_many_keys(p: Params) -> Plan:
    return Plan(N.every(1.0, N.power_failure(0.3), start_s=0.4))


@scenario("zoo-split-votes", "Seven nodes, frequent partitions of random shapes: elections must still converge.",
          nodes=7, clients=4, keys=2, pre_vote=False, check_quorum=False, duration_s=3.0, recover_s=4.0, limits=(_THREE,))
def zoo_split_votes(p: Params) -> Plan:
    return Plan(N.cycle(0.5, N.partition("majorities-ring"), N.do_heal(), start_s=0.2))


@scenario("zoo-disruptive-rejoin", "Isolate a follower for many election timeouts, reconnect: it must not depose the leader.",
          nodes=5, clients=6, keys=2, duration_s=3.0, recover_s=3.0, limits=(_TWO,))
def zoo_disruptive_rejoin(p: Params) -> Plan:
    return Plan(N.cycle(1.0, N.partition("isolate"), N.do_heal(), start_s=0.2))


@scenario("zoo-lagging-follower", "Cut one follower off for 200 ms under light load, then let it catch up.",
          nodes=3, clients=3, keys=2, rate=10.0, duration_s=2.0, recover_s=0.5, limits=(_TWO,))
def zoo_lagging_follower(p: Params) -> Plan:
    return Plan(N.cycle(0.5, isolate_follower(), N.do_heal(), start_s=0.2))


@scenario("zoo-lock-skew", "Lock workload; step the leader's clock forward past the lock TTL.",
          workload="lock", nodes=3, clients=5, keys=1, ttl_s=2, duration_s=4.0, recover_s=1.0)
def zoo_lock_skew(p: Params) -> Plan:
    return Plan(N.every(1.5, jump_leader(3.0), start_s=0.3))


@scenario("zoo-ttl-step", "Registry workload with TTL heartbeats; step the leader's clock forward by 4 s.",
          workload="registry", nodes=3, clients=5, keys=2, ttl_s=2, duration_s=4.0, recover_s=1.0)
def zoo_ttl_step(p: Params) -> Plan:
    return Plan(N.every(1.5, jump_leader(4.0), start_s=0.3))


@dataclass(frozen=True)
class _SplitRemoveTwo:
    """Cut {leader, P} from the other three, have the leader remove two of them at once (two admin
    clients), then crash and restart the leader. With B18 both removals are in flight and the cut-off
    pair believes in a 3-member configuration it can win alone, while the other three still use the
    5-member one: two leaders in one term. Without B18 the second removal waits for the first.
    Any odd membership m >= 3 (swarm's): the leader and (m - 3) / 2 others are cut off, a minority of m
    and a majority of m - 2; an even membership has no such split with two removals (nothing happens)."""

    def resolve(self, view: N.ClusterView, rng: random.Random) -> list[tuple[int, object]]:
        leader = view.leader
        members = sorted(view.members)
        if leader is None or len(members) < 3 or len(members) % 2 == 0:
            return []
        others = [n for n in members if n != leader]
        rng.shuffle(others)
        g = (len(members) - 1) // 2  # the cut-off group: a minority of the old config, a majority of the new
        group = [leader, *others[:g - 1]]
        x, y = others[g - 1], others[g]
        rest = sorted(n for n in view.nodes if n not in group)
        ms = 1_000_000
        return [
            (0, F.Partition(groups=(tuple(sorted(group)), tuple(rest)))),
            (1 * ms, N.MemberChange(op="remove", node=x, via=0)),
            (1 * ms, N.MemberChange(op="remove", node=y, via=1)),
            (120 * ms, F.Crash(node=leader)),
            (130 * ms, F.Restart(node=leader)),
        ]

    def __repr__(self) -> str:
        return "split_remove_two()"


@N.register_action
def split_remove_two() -> N.Action:
    return _SplitRemoveTwo()


@scenario("zoo-membership-split", "Cut the leader and one peer off, remove two others at once, crash the leader.",
          nodes=5, clients=3, keys=1, duration_s=2.5, recover_s=1.0,
          limits=(Limit("nodes", lo=5, hi=5, why="the split removes two of exactly five members"),))
def zoo_membership_split(p: Params) -> Plan:
    return Plan(N.at(1.0, split_remove_two()))


@scenario("zoo-membership", "Remove and add members rapidly while the leader is isolated.",
          nodes=5, clients=4, keys=2, **_CHURN, limits=(_TWO,))
def zoo_membership(p: Params) -> Plan:
    return Plan(N.mix(N.every(0.4, N.member_churn(), start_s=0.1),
                      N.cycle(0.5, N.isolate_leader(), N.do_heal(), start_s=0.3)), spare_nodes=1)


@scenario("zoo-watch-lag", "Watch workload; a follower lags behind a cut, the leader dies: watches resume on the laggard.",
          workload="watch", nodes=3, clients=6, keys=2, duration_s=4.5, recover_s=1.5, limits=(_TWO,))
def zoo_watch_lag(p: Params) -> Plan:
    return Plan(N.mix(N.cycle(1.5, isolate_follower(), start_s=0.2), N.cycle(1.5, N.kill_leader(0.5), start_s=0.7),
                      N.cycle(1.5, N.do_heal(), start_s=0.9)))