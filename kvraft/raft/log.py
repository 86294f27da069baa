"""RaftLog: the in-memory log of one node, its snapshot offset, commit, applied and stabled marks.

Rules: ``snap_index <= applied <= commit <= last_index``; entries after ``stabled`` are not yet
durable (they go out in ``Ready.entries``); entries up to ``commit`` are never truncated.
"""

from __future__ import annotations

from .entry import Entry, Snapshot

__all__ = ["RaftLog"]


class RaftLog:
    def __init__(self, snapshot: Snapshot | None, entries: list[Entry], commit: int, applied: int) -> None:
        self.snapshot = snapshot
        self.snap_index = snapshot.index if snapshot else 0
        self.snap_term = snapshot.term if snapshot else 0
        self.entries: list[Entry] = list(entries)
        if self.entries and self.entries[0].index != self.snap_index + 1:
            raise ValueError(f"log starts at {self.entries[0].index}, snapshot at {self.snap_index}")
        self.commit = max(commit, self.snap_index)
        self.commit = min(self.commit, self.last_index)
        self.applied = max(applied, self.snap_index)
        self.stabled = self.last_index
        self.pending_snapshot: Snapshot | None = None  # received, not yet handed to the driver

    # ---- reading ----
    @property
    def last_index(self) -> int:
        return self.snap_index + len(self.entries)

    @property
    def last_term(self) -> int:
        return self.entries[-1].term if self.entries else self.snap_term

    def term(self, index: int) -> int | None:
        """Term of ``index``; None if compacted away (below the snapshot) or past the end."""
        if index == self.snap_index:
            return self.snap_term
        if index < self.snap_index or index > self.last_index:
            return None
        return self.entries[index - self.snap_index - 1].term

    def entry(self, index: int) -> Entry:
        return self.entries[index - self.snap_index - 1]

    def match_term(self, index: int, term: int) -> bool:
        t = self.term(index)
        return t is not None and t == term

    def slice(self, lo: int, hi: int, max_bytes: int | None = None) -> list[Entry] | None:
        """Entries [lo, hi); None if ``lo`` is compacted. Stops before ``max_bytes`` (at least one)."""
        if lo <= self.snap_index:
            return None
        hi = min(hi, self.last_index + 1)
        out = self.entries[lo - self.snap_index - 1: hi - self.snap_index - 1]
        if max_bytes is not None and len(out) > 1:
            size = 0
            for n, e in enumerate(out):
                size += len(e.data) + 16
                if size > max_bytes and n > 0:
                    return out[:n]
        return out

    def is_up_to_date(self, last_index: int, last_term: int) -> bool:
        """§5.4.1: the candidate's log is at least as up-to-date as ours."""
        return last_term > self.last_term or (last_term == self.last_term and last_index >= self.last_index)

    def unstable(self) -> list[Entry]:
        return self.entries[self.stabled - self.snap_index:] if self.stabled < self.last_index else []

    def next_committed(self) -> list[Entry]:
        lo = max(self.applied, self.snap_index) + 1
        if self.commit < lo:
            return []
        return self.entries[lo - self.snap_index - 1: self.commit - self.snap_index]

    def find_conflict_by_term(self, index: int, term: int) -> int:
        """The largest index <= ``index`` whose term is <= ``term`` (etcd's fast back-up hint)."""
        index = min(index, self.last_index)
        while index > self.snap_index:
            t = self.term(index)
            if t is None or t <= term:
                break
            index -= 1
        return index

    # ---- writing ----
    def append(self, entries: list[Entry] | tuple[Entry, ...]) -> None:
        """Append; the first entry replaces everything from its index on (never a committed entry)."""
        if not entries:
            return
        first = entries[0].index
        if first > self.last_index + 1:
            raise ValueError(f"gap: appending {first} after {self.last_index}")
        del self.entries[max(first - self.snap_index - 1, 0):]
        self.entries.extend(entries)
        self.stabled = min(self.stabled, first - 1)

    def find_conflict(self, entries: tuple[Entry, ...] | list[Entry]) -> int:
        """Index of the first entry not already in the log with the same term; 0 if none."""
        for e in entries:
            if not self.match_term(e.index, e.term):
                return e.index
        return 0

    def commit_to(self, index: int) -> bool:
        index = min(index, self.last_index)
        if index > self.commit:
            self.commit = index
            return True
        return False

    def stable_to(self, index: int, term: int) -> None:
        if self.match_term(index, term) and index > self.stabled:
            self.stabled = index

    def applied_to(self, index: int) -> None:
        if index > self.applied:
            self.applied = min(index, self.commit)

    def restore(self, snap: Snapshot) -> None:
        """Replace the log by ``snap`` (from the leader)."""
        self.snapshot = snap
        self.snap_index, self.snap_term = snap.index, snap.term
        self.entries = []
        self.commit = snap.index
        self.stabled = snap.index
        self.pending_snapshot = snap

    def compact(self, snap: Snapshot) -> None:
        """Drop entries up to ``snap.index`` (<= applied), keeping ``snap`` for lagging followers."""
        drop = snap.index - self.snap_index
        del self.entries[:drop]
        self.snapshot = snap
        self.snap_index, self.snap_term = snap.index, snap.term
