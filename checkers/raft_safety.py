# Over 400 lines: one linear pass over the trace, one handler per record kind, sharing the pass's per-node state.
"""Raft invariants on the trace (sim/trace.py vocabulary), in one linear pass.

Rules:
- The pass is O(events + entries): logs are kept per node as dicts with a running prefix hash per index, so
  Log Matching's prefix clause and Leader Completeness compare one hash, not a whole log.
- Each property is one ``CheckResult`` (``check_trace``); ``RaftSafetyChecker`` folds them into one entry
  ``raft-safety`` whose details hold each property's verdict and first counterexample (events with ``t`` and
  their trace line). Violations after the first are only counted.
- Bad input (a record without the fields its kind needs) gives UNKNOWN naming the line; never raises.
- A property is judged only where the trace gave it something to compare (``checked`` counts those
  comparisons); one with none is NOT_EXERCISED, never OK: a live trace holds observed leaders only, and a
  short simulated run may elect one leader and never hand over. Each result's details say ``checked``.

Properties (bug-zoo.md "Invariants"):
  election-safety       at most one node becomes leader per term
  vote-once             one vote per (node, term), across restarts (``vote`` and ``hard-state`` events)
  term-monotonic        a node's persisted term never decreases
  log-matching          (index, term) -> same digest on every node, and the same prefix before it
  leader-append-only    a leader never overwrites its own entries while leader
  leader-completeness   entries committed in a term are in the log of every leader of a later term
  state-machine-safety  ``apply`` (term, digest) agree per index; committed entries agree across nodes
  monotonic-indexes     within an incarnation commit never decreases and applies strictly increase; across
                        restarts commit never drops below the durable hard-state commit, an apply never
                        re-applies an index at or below the node's snapshot/restore floor, a restore never
                        goes below lastApplied, and an apply never exceeds the node's known commit
  quorum-commit         a commit index is first reached only when that entry is durable (``append``) on a
                        quorum of the voters in force (the committing node's last ``conf``, else the header's
                        ``nodes``, else every node seen; when that ``conf`` was recorded at the commit's very
                        instant, one Ready, a quorum of the configuration it replaced will do too)
- A node that recorded no ``conf`` (a joiner caught up by a snapshot) holds the newest configuration any node
  recorded within its log; a snapshot installed past a node's configuration brings the newer one.
- Before any ``conf`` record the voters are the initial members. The header's ``nodes`` are every machine,
  spare ones (which join only through a membership change) included; ``RaftSafetyChecker`` takes the
  initial members from run.json (``nodes`` lists the members first, ``params.nodes`` of them), so a spare
  machine is never counted in a quorum it is not part of.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from checkers.registry import checker
from checkers.result import CheckResult, Verdict, combine
from sim.trace import HEADER, TraceError, iter_records

__all__ = ["PROPERTIES", "RaftSafetyChecker", "check_trace", "initial_voters", "raft_safety_result", "read_trace_lines"]

PROPERTIES = (
    "election-safety",
    "vote-once",
    "term-monotonic",
    "log-matching",
    "leader-append-only",
    "leader-completeness",
    "state-machine-safety",
    "monotonic-indexes",
    "quorum-commit",
)


class _Bad(Exception):
    def __init__(self, lineno: int, msg: str) -> None:
        super().__init__(f"line {lineno}: {msg}")


def _chain(prev: Any, term: int, digest: Any) -> int:
    try:
        return hash((prev, term, digest))
    except TypeError:  # an unhashable digest (a list): hash its JSON text
        return hash((prev, term, json.dumps(digest, sort_keys=True)))


def _ev(rec: dict[str, Any], lineno: int) -> dict[str, Any]:
    """A compact counterexample event: the record plus its trace line."""
    return {"line": lineno, **rec}


@dataclass
class _Node:
    log: dict[int, tuple[int, Any]] = field(default_factory=dict)  # index -> (term, digest)
    ph: dict[int, Any] = field(default_factory=dict)  # index -> prefix hash (None: unknown)
    last: int = 0
    base: int = 0  # snapshot/restore point: entries <= base are in the snapshot
    base_ph: Any = 0
    term: int = 0  # current term (from become-*)
    role: str = "follower"
    durable_term: int = -1
    durable_term_ev: Any = None
    hs_commit: int = 0
    hs_commit_synced: int = 0  # highest commit in a hard state known durable (fsynced)
    commit: int = 0  # commit known in this incarnation
    commit_ev: Any = None
    applied: int = 0  # last applied in this incarnation
    applied_ev: Any = None
    snap_floor: int = 0
    snap_ev: Any = None
    voters: list[str] | None = None
    voters_before: list[str] | None = None  # the configuration the last ``conf`` replaced ...
    voters_t: int | None = None  # ... and the instant of that ``conf``
    voters_index: int = -1  # the log index of the configuration in ``voters``


class _Pass:
    def __init__(self, voters: list[str] | None = None) -> None:
        self.nodes: dict[str, _Node] = {}
        self.default_voters: list[str] | None = voters
        self.given_voters = voters is not None
        # (log index, term of the entry there or None) -> the configuration a node recorded there; a conf
        # entry later overwritten (an uncommitted change on a cut-off leader) is a different key
        self.confs: dict[tuple[int, int | None], list[str]] = {}
        self.first: dict[str, dict[str, Any]] = {}
        self.count: dict[str, int] = {p: 0 for p in PROPERTIES}
        self.checked: dict[str, int] = {p: 0 for p in PROPERTIES}  # comparisons made: 0 is not-exercised
        self.leaders: dict[int, tuple[str, dict[str, Any]]] = {}
        self.votes: dict[tuple[str, int], tuple[Any, dict[str, Any]]] = {}
        self.entries: dict[tuple[int, int], tuple[Any, Any, dict[str, Any]]] = {}  # (i,t) -> digest, ph, ev
        self.applied: dict[int, tuple[int, Any, dict[str, Any]]] = {}
        self.committed: list[tuple[int, Any, Any] | None] = [None]  # index -> (term, digest, ph)
        self.checkpoints: list[tuple[int, int, dict[str, Any]]] = []  # (commit index, commit term, ev)
        self.leader_count = 0
        self.events = 0

    # -- helpers ---------------------------------------------------------------------------------
    def fail(self, prop: str, message: str, events: list[Any], **extra: Any) -> None:
        self.count[prop] += 1
        if prop not in self.first:
            self.first[prop] = {"message": message, "events": events, **extra}

    def node(self, name: str) -> _Node:
        n = self.nodes.get(name)
        if n is None:
            n = self.nodes[name] = _Node()
        return n

    @staticmethod
    def prefix_at(n: _Node, i: int) -> Any:
        if i == n.base:
            return n.base_ph
        return n.ph.get(i)

    def has_entry(self, n: _Node, i: int, term: int, digest: Any) -> bool:
        if i <= n.base:
            return True
        return n.log.get(i) == (term, digest)

    # -- dispatch --------------------------------------------------------------------------------
    def step(self, rec: dict[str, Any], ln: int) -> None:
        self.events += 1
        kind = rec["kind"]
        if kind == HEADER:
            nodes = rec.get("nodes")
            if isinstance(nodes, list) and not self.given_voters:
                self.default_voters = [str(x) for x in nodes]
            return
        h = _HANDLERS.get(kind)
        if h is None:
            return
        name = rec.get("node")
        if name is None:
            raise _Bad(ln, f"a {kind!r} record needs 'node'")
        h(self, self.node(str(name)), rec, ln)

    def _int(self, rec: dict[str, Any], key: str, ln: int) -> int:
        v = rec.get(key)
        if not isinstance(v, int) or isinstance(v, bool):
            raise _Bad(ln, f"a {rec['kind']!r} record needs int {key!r}, got {v!r}")
        return v

    def on_become(self, n: _Node, rec: dict[str, Any], ln: int) -> None:
        term = self._int(rec, "term", ln)
        n.term = term
        n.role = rec["kind"].removeprefix("become-")
        if n.role != "leader":
            return
        self.leader_count += 1
        self.checked["election-safety"] += 1
        name = str(rec["node"])
        prev = self.leaders.get(term)
        if prev is None:
            self.leaders[term] = (name, _ev(rec, ln))
        elif prev[0] != name:
            self.fail("election-safety", f"two leaders in term {term}: {prev[0]} and {name}", [prev[1], _ev(rec, ln)])
        self.check_completeness(n, term, rec, ln)

    def check_completeness(self, n: _Node, term: int, rec: dict[str, Any], ln: int) -> None:
        # The largest index committed in a term earlier than this leader's (checkpoints are almost always
        # increasing in term, so this scan is O(1) amortised).
        c, cev = 0, None
        for idx, cterm, ev in reversed(self.checkpoints):
            if cterm < term:
                c, cev = idx, ev
                break
        if c == 0 or c <= n.base:
            return
        self.checked["leader-completeness"] += 1
        if n.last < c:
            self.fail("leader-completeness", f"leader of term {term} ({rec['node']}) lacks committed index {c} (its last is {n.last})",
                      [cev, _ev(rec, ln)], index=c)
            return
        want = self.committed[c] if c < len(self.committed) else None
        got = self.prefix_at(n, c)
        if want is not None and want[2] is not None and got is not None:
            if want[2] == got:
                return
        # slow path: compare entry by entry (unknown prefix after a snapshot, or a mismatch to locate)
        for i in range(max(n.base + 1, 1), c + 1):
            w = self.committed[i] if i < len(self.committed) else None
            if w is None:
                continue
            have = n.log.get(i)
            if have != (w[0], w[1]):
                self.fail("leader-completeness",
                          f"leader of term {term} ({rec['node']}) has {have} at committed index {i}, committed {(w[0], w[1])}",
                          [cev, _ev(rec, ln)], index=i)
                return

    def on_vote(self, n: _Node, rec: dict[str, Any], ln: int) -> None:
        term = self._int(rec, "term", ln)
        self.check_term(n, term, rec, ln)
        vote = rec.get("vote")
        if vote is None or vote == "" or vote == 0:
            return
        k = (str(rec["node"]), term)
        self.checked["vote-once"] += 1
        prev = self.votes.get(k)
        if prev is None:
            self.votes[k] = (vote, _ev(rec, ln))
        elif prev[0] != vote:
            self.fail("vote-once", f"{rec['node']} voted for {prev[0]} and {vote} in term {term}", [prev[1], _ev(rec, ln)])

    def check_term(self, n: _Node, term: int, rec: dict[str, Any], ln: int) -> None:
        self.checked["term-monotonic"] += 1
        if term < n.durable_term:
            self.fail("term-monotonic", f"{rec['node']} persisted term {term} after {n.durable_term}", [n.durable_term_ev, _ev(rec, ln)])
        else:
            n.durable_term, n.durable_term_ev = term, _ev(rec, ln)

    def on_hard_state(self, n: _Node, rec: dict[str, Any], ln: int) -> None:
        self.on_vote(n, rec, ln)
        commit = rec.get("commit")
        if isinstance(commit, int):
            self.checked["monotonic-indexes"] += 1
            if commit < n.hs_commit:
                self.fail("monotonic-indexes", f"{rec['node']} persisted commit {commit} after {n.hs_commit}", [_ev(rec, ln)])
            n.hs_commit = max(n.hs_commit, commit)
            if rec.get("synced", True):
                n.hs_commit_synced = max(n.hs_commit_synced, commit)

    def on_append(self, n: _Node, rec: dict[str, Any], ln: int) -> None:
        entries = rec.get("entries")
        if not isinstance(entries, list):
            raise _Bad(ln, "an 'append' record needs a list 'entries'")
        name = str(rec["node"])
        first = True
        for e in entries:
            if not (isinstance(e, list) and len(e) == 3 and isinstance(e[0], int) and isinstance(e[1], int)):
                raise _Bad(ln, f"an append entry must be [index, term, digest], got {e!r}")
            i, t, d = e[0], e[1], e[2]
            if i <= n.base:
                continue  # already covered by the snapshot
            old = n.log.get(i)
            if first:
                if n.role == "leader":
                    self.checked["leader-append-only"] += 1
                if n.role == "leader" and old is not None and old != (t, d):
                    self.fail("leader-append-only", f"leader {name} overwrote index {i} {old} with {(t, d)}", [_ev(rec, ln)], index=i)
                for j in range(i, n.last + 1):  # an append at index i replaces i..
                    n.log.pop(j, None)
                    n.ph.pop(j, None)
                first = False
            prev = self.prefix_at(n, i - 1) if (i - 1 == n.base or (i - 1) in n.log) else None
            ph = None if prev is None else _chain(prev, t, d)
            n.log[i] = (t, d)
            n.ph[i] = ph
            n.last = i
            g = self.entries.get((i, t))
            self.checked["log-matching"] += 1
            if g is None:
                self.entries[(i, t)] = (d, ph, _ev({"t": rec["t"], "kind": "append", "node": name, "entry": [i, t, d]}, ln))
            elif g[0] != d:
                self.fail("log-matching", f"index {i} term {t} holds {g[0]!r} on {g[2]['node']} and {d!r} on {name}",
                          [g[2], _ev({"t": rec["t"], "kind": "append", "node": name, "entry": [i, t, d]}, ln)], index=i)
            elif g[1] is None and ph is not None:
                self.entries[(i, t)] = (d, ph, g[2])
            elif ph is not None and g[1] != ph:
                self.fail("log-matching", f"logs of {g[2]['node']} and {name} agree at index {i} term {t} but differ before it",
                          [g[2], _ev({"t": rec["t"], "kind": "append", "node": name, "entry": [i, t, d]}, ln)], index=i)

    def voters_for(self, n: _Node) -> list[str]:
        if n.voters is not None:
            return n.voters
        # A member that joined and caught up from a snapshot recorded no conf of its own: the newest
        # configuration any node recorded within its log is the one it holds.
        held = [k for k in self.confs if k[0] <= max(n.last, n.base) and self.holds_conf(n, *k)]
        if held:
            return self.confs[max(held, key=lambda k: (k[0], k[1] or 0))]
        if self.default_voters is not None:
            return self.default_voters
        return sorted(self.nodes)

    def holds_conf(self, n: _Node, i: int, t: int | None) -> bool:
        """Whether the conf recorded at (index i, term t) is in n's log (below n's snapshot: if it was committed)."""
        e = n.log.get(i)
        if e is not None:
            return t is None or e[0] == t
        return self.conf_committed(i, t)

    def conf_committed(self, i: int, t: int | None) -> bool:
        """False only if another entry than the conf recorded at (i, t) is known committed at i."""
        w = self.committed[i] if i < len(self.committed) else None
        return w is None or t is None or w[0] == t

    def on_commit(self, n: _Node, rec: dict[str, Any], ln: int) -> None:
        c = self._int(rec, "commit", ln)
        name = str(rec["node"])
        self.checked["monotonic-indexes"] += 1
        if c < n.commit:
            self.fail("monotonic-indexes", f"{name} commit went from {n.commit} to {c}", [n.commit_ev, _ev(rec, ln)])
            return
        n.commit, n.commit_ev = c, _ev(rec, ln)
        top = len(self.committed) - 1
        if c <= top:
            w = self.committed[c]
            got = self.prefix_at(n, c)
            self.checked["state-machine-safety"] += 1
            if w is not None and w[2] is not None and got is not None and got != w[2]:
                self.fail("state-machine-safety", f"{name} committed index {c} with a log that differs from an earlier commit",
                          [self.checkpoint_ev(c), _ev(rec, ln)], index=c)
            return
        entry = n.log.get(c)
        if entry is not None:
            # A configuration is in force once its entry is in the log, so a node that appended one at this
            # very instant (one Ready: several steps) may have counted the commit before or after it: a
            # quorum of either configuration will do.
            self.checked["quorum-commit"] += 1
            configs = [self.voters_for(n)]
            if n.voters_t is not None and n.voters_t == rec.get("t") and n.voters_before is not None:
                configs.insert(0, n.voters_before)
            # A follower may trace a commit before its leader does (the leader traces it after its own fsync):
            # the leader's configuration (a change it appended counts at once) is the one that counted it.
            lead = self.leaders.get(n.term)
            if lead is not None and lead[0] != name and lead[0] in self.nodes:
                configs.append(self.voters_for(self.nodes[lead[0]]))
            for voters in configs:
                holders = [v for v in voters if v in self.nodes and self.has_entry(self.nodes[v], c, entry[0], entry[1])]
                if len(holders) * 2 > len(voters):
                    break
            else:
                also = f" (nor of {', '.join(map(str, configs[:-1]))})" if len(configs) > 1 else ""
                self.fail("quorum-commit", f"{name} committed index {c} (term {entry[0]}) stored on {holders} of voters "
                          f"{voters}{also}", [_ev(rec, ln)], index=c, holders=holders, voters=voters)
        for i in range(top + 1, c + 1):
            e = n.log.get(i)
            self.committed.append(None if e is None else (e[0], e[1], n.ph.get(i)))
        self.checkpoints.append((c, n.term, _ev(rec, ln)))

    def checkpoint_ev(self, c: int) -> Any:
        for idx, _, ev in self.checkpoints:
            if idx >= c:
                return ev
        return None

    def on_apply(self, n: _Node, rec: dict[str, Any], ln: int) -> None:
        i = self._int(rec, "index", ln)
        t = self._int(rec, "term", ln)
        d = rec.get("digest")
        name = str(rec["node"])
        g = self.applied.get(i)
        self.checked["state-machine-safety"] += 1
        self.checked["monotonic-indexes"] += 1
        if g is None:
            self.applied[i] = (t, d, _ev(rec, ln))
        elif (g[0], g[1]) != (t, d):
            self.fail("state-machine-safety", f"index {i} applied as {(g[0], g[1])} on {g[2]['node']} and {(t, d)} on {name}",
                      [g[2], _ev(rec, ln)], index=i)
        if i <= n.applied:
            self.fail("monotonic-indexes", f"{name} applied index {i} after {n.applied}", [n.applied_ev, _ev(rec, ln)])
        elif i <= n.snap_floor:
            self.fail("monotonic-indexes", f"{name} re-applied index {i}, already in its snapshot at {n.snap_floor}",
                      [n.snap_ev, _ev(rec, ln)])
        elif i > max(n.commit, n.hs_commit, n.snap_floor):
            self.fail("monotonic-indexes", f"{name} applied index {i} beyond its commit {max(n.commit, n.hs_commit)}",
                      [n.commit_ev, _ev(rec, ln)])
        n.applied, n.applied_ev = max(n.applied, i), _ev(rec, ln)

    def on_snapshot(self, n: _Node, rec: dict[str, Any], ln: int) -> None:
        i = self._int(rec, "index", ln)
        self._int(rec, "term", ln)
        if i > n.snap_floor:
            n.snap_floor, n.snap_ev = i, _ev(rec, ln)

    def on_restore(self, n: _Node, rec: dict[str, Any], ln: int) -> None:
        i = self._int(rec, "index", ln)
        t = self._int(rec, "term", ln)
        name = str(rec["node"])
        self.checked["monotonic-indexes"] += 1
        if i < n.applied:
            self.fail("monotonic-indexes", f"{name} installed a snapshot at {i} below its applied index {n.applied}",
                      [n.applied_ev, _ev(rec, ln)])
        newer = [k for k in self.confs if n.voters_index < k[0] <= i and self.conf_committed(*k)]
        if n.voters is not None and newer:  # the snapshot carries the configuration in force at its index
            k = max(newer, key=lambda k: (k[0], k[1] or 0))
            n.voters, n.voters_index = self.confs[k], k[0]
        old = n.log.get(i)
        keep = old is not None and old[0] == t  # §7: keep the suffix after a matching snapshot point
        if not keep:
            n.log.clear()
            n.ph.clear()
            n.last = i
        else:
            for j in [j for j in n.log if j <= i]:
                del n.log[j]
                n.ph.pop(j, None)
            n.last = max(n.last, i)
        w = self.committed[i] if i < len(self.committed) else None
        g = self.entries.get((i, t))
        if w is not None and w[0] == t and w[2] is not None:
            n.base_ph = w[2]
        elif g is not None:
            n.base_ph = g[1]
        else:
            n.base_ph = None
        if n.base_ph is None and keep:
            # later prefixes in the kept suffix stay valid only if the base prefix is known
            for j in n.ph:
                n.ph[j] = None
        n.base = i
        n.applied, n.applied_ev = max(n.applied, i), _ev(rec, ln)
        n.commit = max(n.commit, i)
        if i > n.snap_floor:
            n.snap_floor, n.snap_ev = i, _ev(rec, ln)

    def on_restart(self, n: _Node, rec: dict[str, Any], ln: int) -> None:
        # Nothing volatile survives: the role resets; commit restarts from the durable hard state (or the
        # snapshot), and the state machine is rebuilt from the snapshot, so applies restart after it.
        n.role = "follower"
        # A hard state written without fsync (commit-only change, synced=false) may be lost by the crash:
        # commit is volatile state (Figure 2), so after a restart only the fsynced commit is a floor.
        n.hs_commit = n.hs_commit_synced
        n.commit, n.commit_ev = max(n.hs_commit, n.snap_floor), _ev(rec, ln)
        n.applied, n.applied_ev = n.snap_floor, _ev(rec, ln)

    def on_conf(self, n: _Node, rec: dict[str, Any], ln: int) -> None:
        voters = rec.get("voters")
        if not isinstance(voters, list):
            raise _Bad(ln, "a 'conf' record needs a list 'voters'")
        n.voters_before, n.voters_t = self.voters_for(n), rec.get("t")
        n.voters = sorted(str(v) for v in voters)
        i = rec.get("index")
        if isinstance(i, int):
            e = n.log.get(i)
            self.confs.setdefault((i, None if e is None else e[0]), n.voters)
            n.voters_index = i

    def results(self, elapsed_s: float = 0.0) -> list[CheckResult]:
        out = []
        for p in PROPERTIES:
            checked = {"checked": self.checked[p]}
            if self.count[p]:
                out.append(CheckResult(checker=p, verdict=Verdict.ILLEGAL, summary=f"{self.count[p]} violation(s): {self.first[p]['message']}",
                                       details={"violations": self.count[p], "counterexample": self.first[p], **checked}))
            elif self.checked[p]:
                out.append(CheckResult(checker=p, verdict=Verdict.OK, summary=f"holds ({self.checked[p]} checked)", details=checked))
            else:
                out.append(CheckResult(checker=p, verdict=Verdict.NOT_EXERCISED, summary=f"not exercised: {_NEEDS[p]}",
                                       details=checked))
        return out


# What a property needs from the trace before it judges anything (said when it was not exercised).
_NEEDS = {
    "election-safety": "no become-leader records",
    "vote-once": "no vote or hard-state records naming a vote",
    "term-monotonic": "no vote or hard-state records",
    "log-matching": "no append records",
    "leader-append-only": "no append records by a leader",
    "leader-completeness": "no leader elected after a commit of an earlier term",
    "state-machine-safety": "no apply records, nor commits of an index already committed",
    "monotonic-indexes": "no commit, apply, restore or hard-state commit records",
    "quorum-commit": "no commit records of an entry in the committing node's log",
}

_HANDLERS = {
    "become-leader": _Pass.on_become,
    "become-follower": _Pass.on_become,
    "become-candidate": _Pass.on_become,
    "become-pre-candidate": _Pass.on_become,
    "vote": _Pass.on_vote,
    "hard-state": _Pass.on_hard_state,
    "append": _Pass.on_append,
    "commit": _Pass.on_commit,
    "apply": _Pass.on_apply,
    "snapshot": _Pass.on_snapshot,
    "restore": _Pass.on_restore,
    "restart": _Pass.on_restart,
    "conf": _Pass.on_conf,
}


def _unknown(msg: str) -> list[CheckResult]:
    return [CheckResult(checker=p, verdict=Verdict.UNKNOWN, summary=msg, details={"error": msg}) for p in PROPERTIES]


def check_trace(records: Any, voters: list[str] | None = None) -> list[CheckResult]:
    """Check every property on trace records; one CheckResult per property (see PROPERTIES).

    Args: records: an iterable of trace dicts, or of (lineno, dict) pairs (as ``read_trace_lines`` yields);
    voters: the initial members (None: the header's ``nodes``, every machine).
    Returns UNKNOWN for every property if a record is malformed (the message names the line).
    """
    p = _Pass(voters)
    try:
        for pos, item in enumerate(records, 1):
            ln, rec = item if isinstance(item, tuple) else (pos, item)
            if not isinstance(rec, dict) or not isinstance(rec.get("kind"), str) or not isinstance(rec.get("t"), int):
                raise _Bad(ln, "a trace record needs int 't' and str 'kind'")
            p.step(rec, ln)
    except _Bad as e:
        return _unknown(str(e))
    return p.results()


def read_trace_lines(path: Path | str) -> Any:
    """Yield (lineno, record) of the kinds this checker reads (sim.trace's filtered reader)."""
    with open(path, encoding="utf-8") as f:
        try:
            yield from iter_records(f, (HEADER, *_HANDLERS))
        except TraceError as e:
            raise _Bad(e.lineno, str(e).split(": ", 1)[1]) from None


def initial_voters(meta: dict[str, Any]) -> list[str] | None:
    """The initial members of a run from its run.json: the first ``params.nodes`` of ``nodes`` (the rest are
    spare machines); None when run.json does not say (then the trace header's nodes are the voters)."""
    nodes, params = meta.get("nodes"), meta.get("params")
    n = params.get("nodes") if isinstance(params, dict) else None
    if not isinstance(nodes, list) or type(n) is not int or not 0 < n <= len(nodes):
        return None
    return [str(x) for x in nodes[:n]]


def raft_safety_result(per_property: list[CheckResult], elapsed_s: float = 0.0) -> CheckResult:
    """Fold per-property results into one ``raft-safety`` result."""
    verdict = combine([r.verdict for r in per_property])
    bad = [r for r in per_property if r.verdict.is_failure]
    idle = [r.checker for r in per_property if r.verdict is Verdict.NOT_EXERCISED]
    held = sum(1 for r in per_property if r.verdict is Verdict.OK)
    if not bad:
        summary = f"{held} invariants hold"
        if idle:  # said every time: a property without records vouches for nothing
            summary = f"{held} of {len(per_property)} invariants hold; not exercised: {', '.join(idle)}"
    elif verdict is Verdict.UNKNOWN:
        summary = bad[0].summary
    else:
        summary = "; ".join(f"{r.checker}: {r.summary}" for r in bad if r.verdict is Verdict.ILLEGAL)
    return CheckResult(checker="raft-safety", verdict=verdict, summary=summary, elapsed_s=elapsed_s,
                       details={"properties": {r.checker: {"verdict": r.verdict.value, "summary": r.summary, **r.details}
                                               for r in per_property}})


@checker()
class RaftSafetyChecker:
    """Raft invariants on ``trace.jsonl`` (one entry ``raft-safety``)."""

    name = "raft-safety"

    def check(self, run: Any) -> CheckResult:
        t0 = time.perf_counter()
        try:
            meta = run.meta()
        except Exception:  # noqa: BLE001 - a bad run.json is integrity's to report; here: the header's nodes
            meta = {}
        try:
            per = check_trace(read_trace_lines(run.trace), initial_voters(meta))
        except _Bad as e:
            per = _unknown(f"{run.trace.name} {e}")
        except OSError as e:
            per = _unknown(f"{run.trace}: {e.strerror or e}")
        return raft_safety_result(per, time.perf_counter() - t0)
