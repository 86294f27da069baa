"""The raft tests' invariant monitor is checkers/raft_safety.py itself, fed the records the driver writes.

Rules: ``ReadyTrace.ready(nid, rd)`` turns one handled Ready into the trace records kvraft/server.py writes for
it, in its order (become-*, hard-state, vote, restore, append, conf, commit, apply), and ``restart`` into the
host's ``restart`` record; ``violations()`` is raft_safety's verdict on them, one line per broken property.
Time is a counter (one tick per record): the properties are about order, not time.
"""

from __future__ import annotations

from typing import Any

from checkers.raft_safety import check_trace
from checkers.result import Verdict
from kvraft.raft import Ready
from kvraft.raft.entry import digest

__all__ = ["ReadyTrace"]


class ReadyTrace:
    """The trace records of the Readies a test cluster handles, and raft_safety's verdict on them."""

    def __init__(self) -> None:
        self.records: list[dict[str, Any]] = []
        self.nodes: set[str] = set()
        self._hs: dict[str, tuple[int, str | None]] = {}
        self._commit: dict[str, int] = {}
        self._applied: dict[str, int] = {}

    def _emit(self, nid: str, kind: str, **fields: Any) -> None:
        self.records.append({"t": len(self.records) + 1, "kind": kind, "node": nid, **fields})

    def boot(self, nid: str, *, term: int = 0, vote: str | None = None, applied: int = 0) -> None:
        """A node (re)built from its storage: what a new Server knows from its disk."""
        self.nodes.add(nid)
        self._hs[nid], self._commit[nid], self._applied[nid] = (term, vote), 0, applied

    def restart(self, nid: str, incarnation: int, **disk: Any) -> None:
        self._emit(nid, "restart", incarnation=incarnation)
        self.boot(nid, **disk)

    def ready(self, nid: str, rd: Ready) -> None:
        """The records of ``rd``, as kvraft/server.py writes them (``_pump`` and ``_persisted``)."""
        hs = rd.current_hard_state
        if rd.soft_state is not None:
            self._emit(nid, f"become-{rd.soft_state.role.value}", term=hs.term, leader=rd.soft_state.leader)
        if rd.hard_state is not None:
            self._emit(nid, "hard-state", term=hs.term, vote=hs.vote, commit=hs.commit, synced=rd.must_sync)
            if hs.vote is not None and (hs.term, hs.vote) != self._hs[nid]:
                self._emit(nid, "vote", term=hs.term, vote=hs.vote)
            self._hs[nid] = (hs.term, hs.vote)
        if rd.snapshot is not None:
            self._applied[nid] = max(self._applied[nid], rd.snapshot.index)
            self._emit(nid, "restore", index=rd.snapshot.index, term=rd.snapshot.term)
        if rd.entries:
            self._emit(nid, "append", entries=[[e.index, e.term, digest(e.data)] for e in rd.entries])
        if rd.conf is not None:
            self._emit(nid, "conf", index=rd.conf_index, voters=list(rd.conf[0]), learners=list(rd.conf[1]))
        if hs.commit > self._commit[nid]:
            self._commit[nid] = hs.commit
            self._emit(nid, "commit", commit=hs.commit)
        for e in rd.committed:
            if e.index > self._applied[nid]:
                self._emit(nid, "apply", index=e.index, term=e.term, digest=digest(e.data))
                self._applied[nid] = e.index

    def violations(self) -> list[str]:
        """One line per property raft_safety finds broken (empty: every invariant holds)."""
        header = {"t": 0, "kind": "trace-header", "nodes": sorted(self.nodes)}
        return [f"{r.checker}: {r.summary}" for r in check_trace([header, *self.records])
                if r.verdict not in (Verdict.OK, Verdict.NOT_EXERCISED)]  # not exercised is not broken
