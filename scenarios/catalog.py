"""The named scenarios (``raftsim list``). Each builder maps resolved params to a ``Plan``.

Rules: names are kebab-case; every description is one line; a builder is a pure function of its
params (all randomness is drawn later from the run's "nemesis" stream).
"""

from __future__ import annotations

from dataclasses import dataclass

from scenarios import nemesis as N
from scenarios.params import Limit, Params
from scenarios.spec import scenario

__all__ = ["Plan"]

# What the schedules' actions need (sim/partitions.py, scenarios/actions.py): isolating a node needs
# another; a majority/minority split, a bridge or a majorities ring needs three.
_TWO = Limit("nodes", lo=2, why="isolating a node needs another")
_THREE = Limit("nodes", lo=3, why="a majority and a minority need three nodes")


@dataclass(frozen=True)
class Plan:
    """What a scenario adds to its params: the fault schedule, and spare (non-member) nodes."""

    nemesis: N.Schedule
    spare_nodes: int = 0


@scenario("steady", "No faults: a healthy cluster under load (the baseline every checker must pass).",
          duration_s=5.0)
def steady(p: Params) -> Plan:
    return Plan(N.NONE)


@scenario("partition-majority", "Every 2 s split the cluster into a random majority and minority, then heal.", limits=(_THREE,))
def partition_majority(p: Params) -> Plan:
    return Plan(N.cycle(2.0, N.partition("majority"), N.do_heal(), start_s=1.0))


@scenario("partition-halves", "Alternate random halves partitions and heals every 2 s.", nodes=4, limits=(_TWO,))
def partition_halves(p: Params) -> Plan:
    return Plan(N.cycle(2.0, N.partition("halves"), N.do_heal(), start_s=1.0))


@scenario("partition-ring", "Majorities ring: every node sees a majority, no two the same one.", limits=(_THREE,))
def partition_ring(p: Params) -> Plan:
    return Plan(N.cycle(3.0, N.partition("majorities-ring"), N.do_heal(), start_s=1.0))


@scenario("bridge", "Two halves joined by a single bridge node that sees both sides.", limits=(_THREE,))
def bridge(p: Params) -> Plan:
    return Plan(N.cycle(3.0, N.partition("bridge"), N.do_heal(), start_s=1.0))


@scenario("isolate-leader", "Cut the current leader off from everyone, then heal; repeat.", limits=(_TWO,))
def isolate_leader(p: Params) -> Plan:
    return Plan(N.cycle(2.0, N.isolate_leader(), N.do_heal(), start_s=1.0))


@scenario("leader-minority", "Put the leader in a minority partition while the majority elects and writes.", limits=(_TWO,))
def leader_minority(p: Params) -> Plan:
    return Plan(N.cycle(2.5, N.leader_minority(), N.do_heal(), start_s=1.0))


@scenario("one-way-leader", "Asymmetric cut: the leader's messages go out, nothing comes back (CheckQuorum).", limits=(_TWO,))
def one_way_leader(p: Params) -> Plan:
    return Plan(N.cycle(3.0, N.one_way_leader(), N.do_heal(), start_s=1.0))


@scenario("kill-random", "Crash a random node every 2 s (unsynced writes lost) and restart it 1 s later.")
def kill_random(p: Params) -> Plan:
    return Plan(N.every(2.0, N.kill_random(1.0), start_s=1.0))


@scenario("kill-leader-loop", "Crash whoever leads every 1.5 s and restart it 0.7 s later.")
def kill_leader_loop(p: Params) -> Plan:
    return Plan(N.every(1.5, N.kill_leader(0.7), start_s=1.0))


@scenario("pause-leader", "Freeze the leader (SIGSTOP-like) past the election timeout, then resume it.")
def pause_leader(p: Params) -> Plan:
    return Plan(N.every(3.0, N.pause_leader(1.5), start_s=1.0))


@scenario("clock-strobe", "Strobe one node's clock back and forth by 1 s every 50 ms, and drift others.")
def clock_strobe(p: Params) -> Plan:
    return Plan(N.mix(N.every(2.0, N.clock_strobe(1.0, 10, 50.0), start_s=0.5),
                      N.every(3.0, N.clock_drift(200_000), start_s=1.0)))


@scenario("power-failure", "Every node crashes at once, losing unsynced writes; all restart 1 s later.")
def power_failure(p: Params) -> Plan:
    return Plan(N.every(4.0, N.power_failure(1.0), start_s=2.0))


@scenario("torn-writes", "Disks tear their last write on crash; random nodes crash and restart.")
def torn_writes(p: Params) -> Plan:
    return Plan(N.mix(N.at(0.0, N.torn_writes()), N.every(1.5, N.kill_random(0.5), start_s=1.0)))


@scenario("membership-churn", "Remove and add members one at a time while random partitions run.",
          nodes=5, limits=(Limit("nodes", lo=2, why="its majority/minority partitions need three hosts: two nodes and the spare"),))
def membership_churn(p: Params) -> Plan:
    return Plan(N.mix(N.every(2.0, N.member_churn(), start_s=1.0),
                      N.cycle(2.5, N.partition("majority"), N.do_heal(), start_s=1.7)),
                spare_nodes=1)


@scenario("lossy-network", "30% loss and 10% duplication bursts with reordering; no partitions.",
          reorder=0.05)
def lossy_network(p: Params) -> Plan:
    return Plan(N.every(3.0, N.loss_burst(0.3, 0.1, 2.0), start_s=0.5))


@scenario("lock-pause-holder", "Lock workload; pause client machines past the lock TTL, and random servers.",
          workload="lock", clients=5, ttl_s=1)
def lock_pause_holder(p: Params) -> Plan:
    return Plan(N.mix(N.every(2.0, N.pause_client(1.5), start_s=1.0), N.every(3.0, N.pause_random(1.0), start_s=2.2)))


@scenario("watch-lagging-member", "Watch workload; isolate a member long enough that it must catch up by snapshot.",
          workload="watch", snapshot_entries=50, limits=(_TWO,))
def watch_lagging_member(p: Params) -> Plan:
    return Plan(N.cycle(3.0, N.partition("isolate"), N.do_heal(), start_s=1.0))


@scenario("queue-crash", "Queue workload (POST in-order keys, claim by compareAndDelete) with leader crashes.",
          workload="queue", clients=6)
def queue_crash(p: Params) -> Plan:
    return Plan(N.every(2.0, N.kill_leader(0.7), start_s=1.0))


@scenario("ttl-skew", "Registry workload with TTL heartbeats while clocks jump and drift on the leader.",
          workload="registry", clients=5)
def ttl_skew(p: Params) -> Plan:
    return Plan(N.mix(N.every(2.0, N.clock_bump(1.5, leader=True), start_s=1.0),
                      N.every(4.0, N.kill_leader(0.5), start_s=2.5)))


@scenario("figure-8", "Five nodes, leaders crashed just after proposing, restarts: the paper's Figure 8 shape.",
          nodes=5, clients=5, rate=50.0, limits=(_THREE,))
def figure_8(p: Params) -> Plan:
    return Plan(N.mix(N.every(0.6, N.kill_leader(0.4), start_s=0.5, jitter=0.3),
                      N.cycle(1.3, N.partition("majority"), N.do_heal(), start_s=0.8)))


@scenario("everything", "All faults at once: partitions, crashes, pauses, clocks, loss, torn writes.", limits=(_THREE,))
def everything(p: Params) -> Plan:
    faults = N.one_of(
        N.partition("majority"), N.partition("bridge"), N.partition("majorities-ring"), N.isolate_leader(),
        N.one_way_leader(), N.kill_random(0.8), N.kill_leader(0.8), N.pause_random(1.0),
        N.clock_bump(1.0), N.loss_burst(0.2, 0.05, 1.0),
    )
    return Plan(N.mix(N.at(0.0, N.torn_writes()), N.every(1.0, faults, start_s=0.5), N.every(2.5, N.heal_all(), start_s=2.0)))


@scenario("cas-register", "Knossos-style compare-and-set register (values 0-4) under majority partitions.",
          workload="cas-register", keys=3, limits=(_THREE,))
def cas_register(p: Params) -> Plan:
    return Plan(N.cycle(2.0, N.partition("majority"), N.do_heal(), start_s=1.0))


@scenario("append-kill", "Exactly-once appends (read + compareAndSwap on prevIndex) while leaders crash.",
          workload="append", keys=3)
def append_kill(p: Params) -> Plan:
    return Plan(N.mix(N.every(1.5, N.kill_leader(0.6), start_s=1.0), N.every(2.5, N.loss_burst(0.2, 0.1, 1.0), start_s=1.7)))


@scenario("set-partition", "Unique-set adds (POST in-order keys) under bridge and ring partitions.",
          workload="set", keys=2, limits=(_THREE,))
def set_partition(p: Params) -> Plan:
    return Plan(N.cycle(1.5, N.one_of(N.partition("bridge"), N.partition("majorities-ring")), N.do_heal(), start_s=1.0))


@scenario("election-partition", "Leader election recipe (TTL key) while the cluster leader is isolated.",
          workload="election", clients=5, limits=(_TWO,))
def election_partition(p: Params) -> Plan:
    return Plan(N.cycle(2.5, N.isolate_leader(), N.do_heal(), start_s=1.0))
