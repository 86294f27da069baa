"""The ``swarm`` scenario: each seed draws its own configuration (swarm testing, Groce et al. 2012).

Rules:
- The draw is a pure function of the seed: one stream, ``swarm``, forked from the run seed by its own
  ``RandomStreams`` (so the run's streams -- network, nemesis, workload ... -- are exactly as in any
  other scenario and no name is forked twice).
- What is drawn becomes plain parameters: the resolved scenario (``Scenario.for_seed``) holds them and
  ``drawn=true``, so run.json's replay line is a list of ``--set`` values that runs the same thing again,
  and a scenario with ``drawn=true`` is never drawn again.
- A parameter the user set (differs from the swarm default) is kept; every other drawn one is drawn.
- Fault kinds are named in ``FAULT_KINDS``; each seed turns some of them on (at least one unless the
  user set ``faults``), how often faults fire and heal is drawn too.
- The workload is ``mix`` (scenarios/workload_mix.py): a drawn subset of ``WORKLOADS`` side by side, each on
  its own keys and clients (at least one client per part), so every checker that applies runs. Register
  reads are drawn quorum, local or mixed (local ones are marked and judged as local reads).
- ``read_only=lease`` (the core's lease read path) is drawn only where it is correct: with CheckQuorum, and
  the drawn clock and pause faults left out (a lease trusts bounded clocks and no pauses: bug-zoo B09), and
  not with ``leader-cuts`` (a stale lease read on the clean build), drawn or the user's (``_LEASE_UNSAFE``).
- Two shapes are drawn whole, last in the stream (so the draws before them are unchanged): ``crash-flap``, a
  supervised process that keeps crashing and restarting within an election timeout (a random node down for
  0.6 x ``flap_every_s`` every ``flap_every_s``: a voter restarts inside the election it voted in, bug-zoo B01),
  and ``quorum reads at a cut-off leader``: CheckQuorum off (etcd's raft default), quorum register reads and
  ``isolate-leader`` on (a leader that does not know it is deposed, bug-zoo B07).
- Five more shapes follow them, last in the stream (``_SETTINGS``, ``_SCHEDULES``): a slow disk under a hot
  register, slow duplicating links, Figure 8 rounds (each sets timing, at most one per seed), and a leader's
  old-term tail in a minority, two removals at once at a cut-off leader (each adds a schedule). Each is a
  setting a user wants on its own and the one a bug-zoo bug needs (B08, B02, B03, B04, B18).
- A second pick comes after them all (``_MORE_SETTINGS``), for a seed left without a setting (and without
  quorum reads at a cut-off leader): the slow disk or the slow links again (their first rate caught B08 and
  B02 too seldom), a leader with a slow clock cut off under quorum reads (B09), or five lock clients under
  clock steps past the TTL (B16). Drawn last, it leaves every other seed's draw as it was. The slow disk
  and the slow links run only their own fault, ``leader-cuts`` (the leader cut off for ``cut_s``, healed for
  ``cut_s``); the two clock shapes run only theirs. None of these four shapes has lease reads. The fault
  kinds in ``_WHOLE`` are drawn only as part of their shape.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from scenarios import nemesis as N
from scenarios.params import Limit, Param, Params
from scenarios.spec import scenario
from sim.rand import RandomStreams

__all__ = ["FAULT_KINDS", "WORKLOADS", "draw"]

# Every fault kind the nemesis has, by the name the ``faults`` parameter uses. Durations scale with
# ``every`` (the drawn period between faults), so a fault mostly ends before the next one starts.
_ACTIONS: dict[str, Callable[[float], N.Action]] = {
    "partition-majority": lambda e: N.partition("majority"),
    "partition-halves": lambda e: N.partition("halves"),
    "partition-minority-third": lambda e: N.partition("minority-third"),
    "partition-isolate": lambda e: N.partition("isolate"),
    "partition-bridge": lambda e: N.partition("bridge"),
    "partition-ring": lambda e: N.partition("majorities-ring"),
    "partition-plain-ring": lambda e: N.partition("ring"),
    "partition-one-way": lambda e: N.partition("one-way"),
    "isolate-leader": lambda e: N.isolate_leader(),
    "leader-minority": lambda e: N.leader_minority(),
    "one-way-leader": lambda e: N.one_way_leader(),
    "kill-random": lambda e: N.kill_random(round(0.6 * e, 2)),
    "kill-leader": lambda e: N.kill_leader(round(0.6 * e, 2)),
    "power-failure": lambda e: N.power_failure(round(0.6 * e, 2)),
    "pause-random": lambda e: N.pause_random(round(0.8 * e, 2)),
    "pause-leader": lambda e: N.pause_leader(round(0.8 * e, 2)),
    "pause-client": lambda e: N.pause_client(round(0.8 * e, 2)),
    "clock-jump": lambda e: N.clock_bump(1.5),
    "clock-jump-leader": lambda e: N.clock_bump(1.5, leader=True),
    "clock-strobe": lambda e: N.clock_strobe(1.0, 10, 50.0),
    "clock-drift": lambda e: N.clock_drift(200_000),
    "loss-dup-burst": lambda e: N.loss_burst(0.3, 0.1, round(0.8 * e, 2)),
    "transfer-leader": lambda e: N.transfer_leader(),
}
# Not drawn among the periodic faults: torn writes are a disk setting (on from the start), membership
# churn has its own period (and a spare machine).
# crash-flap is drawn on its own, after everything else (see the module doc), not by a per-kind coin flip.
_CRASH_FLAP = "crash-flap"
_FLIPPED: tuple[str, ...] = tuple(sorted([*_ACTIONS, "torn-writes", "member-churn"]))
# Drawn only as part of a whole shape (see _shape): schedules of their own, not per-kind coin flips.
_WHOLE = ("clock-slow-leader", "clock-step-leader", "figure-8", "leader-cuts", "minority-tail", "split-removals")
FAULT_KINDS: tuple[str, ...] = tuple(sorted([*_FLIPPED, _CRASH_FLAP, *_WHOLE]))

# The built-in workloads a mix draws from (a plugin's workload is not drawn: its checkers may not be installed).
WORKLOADS = ("append", "cas-register", "election", "lock", "queue", "register", "registry", "set", "tree", "watch")
# Faults a lease read cannot survive (by name prefix): clocks that jump or drift and processes that pause
# (bug-zoo B09), and leader-cuts: a leader cut off every few election timeouts served a stale lease read on
# the clean build, with or without a slow disk (its CheckQuorum lease can outlive an election timeout after
# the cut, while its successor may win after one: kvraft's lease, as etcd raft's, is unsafe there).
_LEASE_UNSAFE = ("clock-", "pause-", "leader-cuts")

_OWN = (
    Param(name="drawn", type=bool, default=False,
          doc="true: run the parameters as given; false: draw each one left at its default from the seed"),
    Param(name="faults", type=str, default="", choices=FAULT_KINDS, many=True,
          doc="the fault kinds turned on (comma-separated)"),
    Param(name="fault_every_s", type=float, default=1.0, lo=0.1, hi=60, doc="mean period between faults"),
    Param(name="heal_every_s", type=float, default=2.5, lo=0.1, hi=60, doc="period of heal-everything"),
    Param(name="churn_every_s", type=float, default=2.0, lo=0.1, hi=60, doc="period of membership changes"),
    Param(name="flap_every_s", type=float, default=0.1, lo=0.02, hi=60,
          doc="crash-flap: a random node crashes for 0.6 x this, every this"),
    Param(name="cut_s", type=float, default=0.8, lo=0.05, hi=60,
          doc="leader-cuts: the leader cut off for this long, then healed for this long"),
)


# Five more shapes, each drawn whole after everything else (so every draw above is unchanged): a setting a
# user wants on its own, and the one a bug-zoo bug needs. The first three set timing and are exclusive (one
# number picks at most one); the last two only add a schedule (a coin each).
_SETTINGS: tuple[tuple[str, float], ...] = (
    ("slow-disk", 0.12),       # B08: 80 ms fsyncs under a hot register, leader cut off: its successor's no-op lags
    ("slow-dup-links", 0.12),  # B02: 60 ms links duplicating 30 %, elections faster than a vote's round trip
    ("figure-8", 0.09),        # B03: the paper's Figure 8 rounds (a new leader cut off as it is elected)
)
_SCHEDULES: tuple[tuple[str, float], ...] = (
    ("minority-tail", 0.1),    # B04: a leader in a minority grows an old-term tail; heal and crash the leader
    ("split-removals", 0.1),   # B18: two removals at once at a leader cut off with a minority, then it crashes
)
# A second pick, drawn after everything else (so every seed the pick above gave a shape keeps it), for a
# seed left without a setting and without quorum reads at a cut-off leader: the first two again (raising
# their rate to one that catches B08 and B02 within 40 seeds), or one of two clock shapes (which set the
# workload too).
_MORE_SETTINGS: tuple[tuple[str, float], ...] = (
    ("slow-disk", 0.1),          # B08: 19 % of seeds in all
    ("slow-dup-links", 0.15),    # B02: 22 % in all
    ("clock-slow-leader", 0.15),  # B09: the leader's clock at 10 % and cut off, register reads on both sides
    ("clock-step-leader", 0.15),  # B16: 5 lock clients, the leader's clock stepped past the lock TTL
)


def _pick(rng: Any, settings: tuple[tuple[str, float], ...]) -> list[str]:
    """At most one of ``settings`` (one number), then nothing else."""
    u = rng.random()
    for name, chance in settings:
        if u < chance:
            return [name]
        u -= chance
    return []


def _shape(shape: str, out: dict[str, Any], kinds: list[str]) -> list[str]:
    """Apply ``shape`` to the drawn ``out``; the fault kinds it runs with."""
    if shape == "slow-disk":  # as zoo-new-leader-read: 3 nodes, 10 register clients on one key, its leader cut off
        # 1 s elections: 80 ms (mean, exponential) fsyncs under this load stall a leader past 300 ms elections
        # often, past 600 ms ones now and then (clean seed 55 over 40 s): a healthy leader deposed (liveness)
        out.update(fsync_ms=80.0, nodes=3, mix="register", keys=1, clients=10, rate=50.0, read_mode="quorum",
                   tick_ms=10, heartbeat_ticks=5, election_ticks=100, check_quorum=True, cut_s=2.0, duration_s=40.0)
        return ["leader-cuts"]
    if shape == "slow-dup-links":  # as zoo-dup-elections: an election timeout of 100-200 ms
        out.update(latency_ms=60.0, latency_dist="uniform", dup=0.3, tick_ms=10, heartbeat_ticks=2, election_ticks=10,
                   nodes=5, cut_s=0.4, duration_s=20.0)
        return ["leader-cuts"]
    if shape == "clock-slow-leader":  # as zoo-slow-clock-leader: 5 nodes, 12 register clients on one key
        out.update(nodes=5, mix="register", keys=1, clients=12, read_mode="quorum", tick_ms=10, heartbeat_ticks=2,
                   election_ticks=10)
        return ["clock-slow-leader"]
    if shape == "clock-step-leader":  # as zoo-lock-skew: 5 lock clients on one lock, a 2 s TTL
        out.update(mix="lock", keys=1, clients=5, ttl_s=2)
    if shape == "figure-8":  # as zoo-figure-8: its rounds are timed for 10 ms links and one entry per message
        out.update(nodes=5, max_msg_bytes=1, latency_ms=10.0, latency_dist="constant", pre_vote=False,
                   check_quorum=False, tick_ms=10, heartbeat_ticks=3, election_ticks=15)
    if shape == "minority-tail":  # clients wait out the minority and the crash (2 s): with 300 ms timeouts a
        out["client_timeout_ms"] = 2000  # cas key's many indeterminate ops outgrew the linearizability search
    return sorted({*kinds, shape})


def draw(params: Mapping[str, Any], changed: Mapping[str, Any], seed: int) -> dict[str, Any]:
    """The parameters seed ``seed`` draws, for every one not in ``changed`` (the user's own values)."""
    rng = RandomStreams(seed).fork("swarm")
    heartbeat = rng.randint(2, 6)
    p_on = rng.choice((0.15, 0.3, 0.5, 0.7))
    kinds = [k for k in _FLIPPED if rng.random() < p_on]
    if not kinds:
        kinds = [_FLIPPED[rng.randrange(len(_FLIPPED))]]
    nodes = rng.randint(3, 7)
    p_part = rng.choice((0.25, 0.5, 0.75))
    parts = [w for w in WORKLOADS if rng.random() < p_part] or [WORKLOADS[rng.randrange(len(WORKLOADS))]]
    out: dict[str, Any] = {
        "nodes": nodes,
        "workload": "mix",
        "mix": ",".join(parts),
        "read_mode": rng.choice(("quorum", "local", "mixed")),
        "keys": rng.randint(1, 6),
        "clients": rng.randint(max(2, len(parts)), len(parts) + 6),
        "rate": float(rng.choice((5, 10, 20, 40))),
        "client_timeout_ms": rng.choice((300, 500, 1000, 2000)),
        "latency_ms": rng.choice((0.5, 1.0, 2.0, 5.0)),
        "latency_dist": rng.choice(("constant", "uniform", "normal", "exponential", "long-tail")),
        "reorder": rng.choice((0.0, 0.0, 0.02, 0.1)),
        "tick_ms": rng.choice((5, 10, 20)),
        "heartbeat_ticks": heartbeat,
        "election_ticks": heartbeat * rng.randint(4, 12),
        "pre_vote": rng.random() < 0.7,
        "check_quorum": rng.random() < 0.7,
        "snapshot_entries": rng.choice((10, 30, 100, 500)),
        "ttl_s": rng.randint(1, 3),
        "fsync_ms": rng.choice((0.0, 0.0, 0.5, 2.0)),
        "faults": ",".join(kinds),
        "fault_every_s": round(rng.uniform(0.3, 2.0), 1),
        "heal_every_s": round(rng.uniform(1.0, 4.0), 1),
        "churn_every_s": round(rng.uniform(1.0, 3.0), 1),
    }
    lease = rng.random() < 0.3
    flap = rng.random() < 0.2
    out["flap_every_s"] = rng.choice((0.05, 0.1, 0.2))
    if flap:
        kinds = sorted([*kinds, _CRASH_FLAP])
    cut_off = rng.random() < 0.15
    if cut_off:  # quorum reads at a cut-off leader that does not know it (no CheckQuorum)
        parts = [w for w in WORKLOADS if w in {*parts, "register"}]
        kinds = sorted({*kinds, "isolate-leader"})
        out.update(check_quorum=False, read_mode="quorum", mix=",".join(parts), clients=max(out["clients"], len(parts)))
    shapes = _pick(rng, _SETTINGS)  # the last draws: at most one of _SETTINGS, then a coin per schedule
    shapes += [name for name, chance in _SCHEDULES if rng.random() < chance]
    more = _pick(rng, _MORE_SETTINGS)  # drawn after them all (see _MORE_SETTINGS)
    if not cut_off and not any(s in shapes for s, _ in _SETTINGS):
        shapes = more + shapes
    for shape in shapes:
        kinds = _shape(shape, out, kinds)
    out["faults"] = ",".join(kinds)
    if any(k in _WHOLE and k.startswith(_LEASE_UNSAFE) for k in kinds):
        lease = False  # a shape's own clock faults and leader cuts stay: no lease reads under them
    if changed.get("read_only") == "lease" and "check_quorum" not in changed:
        out["check_quorum"] = True  # the user's lease needs CheckQuorum
    check_quorum = changed.get("check_quorum", out["check_quorum"])
    if "faults" in changed:
        safe = not any(f.startswith(_LEASE_UNSAFE) for f in str(changed["faults"]).split(","))
    else:  # a lease run leaves out the faults a lease cannot survive, if others remain
        kept = [k for k in kinds if not k.startswith(_LEASE_UNSAFE)]
        safe = bool(kept)
        if lease and check_quorum and safe:
            out["faults"] = ",".join(kept)
    out["read_only"] = "lease" if lease and check_quorum and safe else "safe"
    return {k: v for k, v in out.items() if k not in changed}


@scenario("swarm", "Find anything: each seed draws cluster size, faults, workload and timing (swarm testing).",
          params=_OWN, draw=draw, limits=(Limit("nodes", lo=3, hi=7, why="swarm draws 3..7 nodes; partitions need three"),))
def swarm(p: Params) -> Any:
    from scenarios.catalog import Plan

    kinds = [k for k in p.faults.split(",") if k]
    every = p.fault_every_s
    parts: list[N.Schedule] = []
    if "torn-writes" in kinds:
        parts.append(N.at(0.0, N.torn_writes()))
    periodic = [_ACTIONS[k](every) for k in kinds if k in _ACTIONS]
    if periodic:
        parts.append(N.every(every, N.one_of(*periodic), start_s=0.3, jitter=0.5))
        parts.append(N.every(p.heal_every_s, N.heal_all(), start_s=round(every + 0.2, 2)))
    churn = "member-churn" in kinds
    if churn:
        parts.append(N.every(p.churn_every_s, N.member_churn(), start_s=0.9))
    if _CRASH_FLAP in kinds:
        parts.append(N.every(p.flap_every_s, N.kill_random(round(0.6 * p.flap_every_s, 3)), start_s=0.2))
    if "minority-tail" in kinds:  # as zoo-minority-tail: every second, 0.4 s in a minority, then heal and crash
        parts.append(N.mix(N.cycle(1.0, N.leader_minority(), start_s=0.1), N.cycle(1.0, N.do_heal(), start_s=0.5),
                           N.cycle(1.0, N.kill_leader(0.4), start_s=0.5)))
    if "leader-cuts" in kinds:  # as zoo-new-leader-read (cut_s 0.8) and zoo-dup-elections (0.4)
        parts.append(N.cycle(p.cut_s, N.isolate_leader(), N.do_heal(), start_s=0.5))
    if "clock-slow-leader" in kinds:  # as zoo-slow-clock-leader: the leader's clock at 10 %, then it is cut off
        from scenarios.bugzoo_catalog import drift_leader

        parts.append(N.mix(N.cycle(1.5, drift_leader(-900_000), N.heal_all(), start_s=0.2),
                           N.cycle(1.5, N.isolate_leader(), start_s=0.25)))
    if "clock-step-leader" in kinds:  # as zoo-lock-skew: the leader's clock stepped past the lock TTL
        from scenarios.bugzoo_catalog import jump_leader

        parts.append(N.every(1.5, jump_leader(p.ttl_s + 1.0), start_s=0.3))
    if "split-removals" in kinds:  # as zoo-membership-split, every 2 s (an odd membership of 3 or more)
        from scenarios.bugzoo_catalog import split_remove_two

        parts.append(N.every(2.0, split_remove_two(), start_s=1.0))
    if "figure-8" in kinds:  # zoo-figure-8's round, every 2 s
        from scenarios.bugzoo_catalog import figure_8_round

        parts.append(N.phases(*[(2.0, figure_8_round())] * max(1, int(p.duration_s // 2.0))))
    if not parts:
        return Plan(N.NONE)
    return Plan(parts[0] if len(parts) == 1 else N.mix(*parts), spare_nodes=1 if churn else 0)
