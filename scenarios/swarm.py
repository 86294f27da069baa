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
  the drawn clock and pause faults left out (a lease trusts bounded clocks and no pauses: bug-zoo B09).
- Two shapes are drawn whole, last in the stream (so the draws before them are unchanged): ``crash-flap``, a
  supervised process that keeps crashing and restarting within an election timeout (a random node down for
  0.6 x ``flap_every_s`` every ``flap_every_s``: a voter restarts inside the election it voted in, bug-zoo B01),
  and ``quorum reads at a cut-off leader``: CheckQuorum off (etcd's raft default), quorum register reads and
  ``isolate-leader`` on (a leader that does not know it is deposed, bug-zoo B07).
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
FAULT_KINDS: tuple[str, ...] = tuple(sorted([*_FLIPPED, _CRASH_FLAP]))

# The built-in workloads a mix draws from (a plugin's workload is not drawn: its checkers may not be installed).
WORKLOADS = ("append", "cas-register", "election", "lock", "queue", "register", "registry", "set", "tree", "watch")
# Faults a lease read cannot survive (bug-zoo B09): clocks that jump or drift, processes that pause.
_LEASE_UNSAFE = ("clock-", "pause-")

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
)


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
    if rng.random() < 0.15:  # quorum reads at a cut-off leader that does not know it (no CheckQuorum)
        parts = [w for w in WORKLOADS if w in {*parts, "register"}]
        kinds = sorted({*kinds, "isolate-leader"})
        out.update(check_quorum=False, read_mode="quorum", mix=",".join(parts), clients=max(out["clients"], len(parts)))
    out["faults"] = ",".join(kinds)
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
    if not parts:
        return Plan(N.NONE)
    return Plan(parts[0] if len(parts) == 1 else N.mix(*parts), spare_nodes=1 if churn else 0)
