"""The bug zoo as data: each bug switch of shared/bug-zoo.md, the schedule that exposes it, its checker.

Rules:
- A switch is on with ``--set bugs=B03,B07`` (param ``bugs``); every switch is off by default.
- ``ZOO[id].scenario`` (a catalog or scenarios/bugzoo_catalog.py scenario) with ``params`` is the schedule;
  ``checker`` is the checker name (checkers/*: ``NAME``) that must answer ILLEGAL for some seed in
  ``seeds`` with the bug on, and OK on the same seeds with every bug off.
- The ids exist only here: ``FLAGS`` maps each to its kvraft.bugs.Bugs flag and ``bugs_from_ids`` builds the
  Bugs a run hands to kvraft (run.json and the CLI keep the ids).
- This module is data: running a bug's schedule over seeds and judging it is scenarios/catch.py.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from kvraft.bugs import Bugs
from scenarios import registry
from scenarios.spec import Scenario

__all__ = ["BugSpec", "FLAGS", "ZOO", "bugs_from_ids", "list_bugs", "scenario_for"]


@dataclass(frozen=True)
class BugSpec:
    id: str
    description: str
    scenario: str
    checker: str
    seeds: tuple[int, ...] = (1, 2, 3, 4)  # the CI seeds: the bug is caught within them, the clean build passes them
    params: Mapping[str, Any] = field(default_factory=dict)
    exposed: bool = True  # False: the schedule does not expose the bug yet (the sensitivity test expects a miss)

    @property
    def is_liveness(self) -> bool:
        return self.checker == "liveness"


def _b(id: str, description: str, scenario: str, checker: str, seeds: tuple[int, ...] = (1, 2, 3, 4),
       exposed: bool = True, **params: Any) -> BugSpec:
    return BugSpec(id, description, scenario, checker, seeds, params, exposed)


ZOO: dict[str, BugSpec] = {b.id: b for b in [
    _b("B01", "votedFor not persisted: a restarted voter votes twice in one term", "zoo-vote-crash", "raft-safety"),
    _b("B02", "vote replies counted, not voters (duplicates and stale replies add up)",
       "zoo-dup-elections", "raft-safety"),
    _b("B03", "leader commits a previous-term entry by counting replicas (Figure 8)",
       "zoo-figure-8", "raft-safety"),
    _b("B04", "vote up-to-date check compares log length only", "zoo-minority-tail", "raft-safety"),
    _b("B05", "follower truncates at prevLogIndex+1 on every AppendEntries",
       "zoo-reorder-crash", "raft-safety", duration_s=1.0, recover_s=0.5, dup=0.0, clients=3),  # short: no storm
    _b("B06", "follower commit = leaderCommit without min(last new entry)",
       "zoo-figure-8", "raft-safety"),
    _b("B07", "leader serves quorum reads from local state (no ReadIndex)",
       "zoo-isolated-leader-reads", "linearizable"),
    _b("B08", "ReadIndex served before the new leader commits an entry of its term",
       "zoo-new-leader-read", "linearizable"),
    _b("B09", "lease reads trusting clocks: a slow-clocked, isolated leader serves reads on its lease",
       "zoo-slow-clock-leader", "linearizable"),
    _b("B10", "no client dedup: a retried write is applied twice", "zoo-lossy-retries", "exactly-once"),
    _b("B11", "a stale snapshot older than commit is installed: state rolls back", "zoo-stale-snapshot", "raft-safety"),
    _b("B12", "writes acknowledged (sent, applied, answered) before fsync", "zoo-power-loss", "linearizable"),
    _b("B13", "election timer reset on every RequestVote / stale AppendEntries, no jitter",
       "zoo-split-votes", "liveness"),
    _b("B14", "no PreVote / CheckQuorum: a rejoining node deposes the leader",
       "zoo-disruptive-rejoin", "liveness"),
    _b("B15", "matchIndex from the leader's log, not the RPC: commits entries a quorum lacks", "zoo-lagging-follower",
       "raft-safety"),
    _b("B16", "lock granted when the lease looks over on a member's own clock (no re-check, no fencing)",
       "zoo-lock-skew", "lock"),
    _b("B17", "TTL expiry by the leader's wall clock (etcd v2 SYNC), not monotonic deadlines", "zoo-ttl-step", "ttl"),
    _b("B18", "membership change unsafe: several in flight, config used before commit",
       "zoo-membership-split", "raft-safety"),
    _b("B19", "watch resumed on a lagging member replays events before waitIndex", "zoo-watch-lag", "watch"),
    _b("B20", "applied index persisted apart from state: restart skips or re-applies entries",
       "zoo-power-loss-many-keys",
       "linearizable"),
]}


# zoo id -> kvraft.bugs.Bugs flag (tests/bugzoo checks that each flag has exactly one id)
FLAGS: dict[str, str] = {
    "B01": "vote_not_persisted",
    "B02": "vote_replies_counted",
    "B03": "old_term_commit_by_count",
    "B04": "vote_by_log_length",
    "B05": "truncate_every_append",
    "B06": "follower_commit_unbounded",
    "B07": "stale_local_reads",
    "B08": "read_before_term_commit",
    "B09": "lease_reads",
    "B10": "no_client_dedup",
    "B11": "stale_snapshot_install",
    "B12": "ack_before_fsync",
    "B13": "election_timer_resets",
    "B14": "no_pre_vote_check_quorum",
    "B15": "match_from_own_log",
    "B16": "lock_by_own_clock",
    "B17": "ttl_by_wall_clock",
    "B18": "unsafe_membership",
    "B19": "watch_replays_early",
    "B20": "applied_index_apart",
}


def bugs_from_ids(ids: str | Iterable[str]) -> Bugs:
    """The Bugs with the flags of zoo ``ids`` on ("B03,B07" or an iterable of ids); raises KeyError on an unknown id."""
    if isinstance(ids, str):
        ids = [b for b in ids.split(",") if b]
    return Bugs(**{FLAGS[b]: True for b in ids})


def scenario_for(bug: str, *, bugs: str | None = None, **overrides: Any) -> Scenario:
    """The schedule of ``bug`` with the switch on (``bugs=""`` for the clean build on the same schedule)."""
    spec = ZOO[bug]
    params = {**spec.params, "bugs": bug if bugs is None else bugs, **overrides}
    return Scenario.create(spec.scenario, params)


def list_bugs() -> list[str]:
    """``raftsim bugs``: one line per bug: id, description, schedule, checker."""
    w = max(len(b.scenario) for b in ZOO.values())
    lines = [f"{'id':<4} {'schedule':<{w}}  {'checker':<12}  description"]
    for b in ZOO.values():
        sets = "".join(f" --set {k}={v}" for k, v in sorted(b.params.items()))
        note = "" if b.exposed else "  [schedule does not expose it yet]"
        lines.append(f"{b.id:<4} {b.scenario:<{w}}  {b.checker:<12}  {b.description}{note}"
                     + (f"  [schedule:{sets}]" if sets else ""))
    return lines


registry.add_bugs(ZOO)  # the ids --set bugs= accepts (scenarios/params.py reads them through the registry)
