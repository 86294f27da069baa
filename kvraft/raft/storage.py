"""LogStorage: what a RaftNode reads at construction (restart), and MemoryStorage.

Rules: the node reads storage only when it is built; the driver keeps storage in step with what
it has made durable (``apply_snapshot``, ``append``, ``set_hard_state``), so that a node rebuilt
from storage is exactly the node that crashed, minus its volatile state.
"""

from __future__ import annotations

from typing import Protocol

from .entry import Entry, Snapshot
from .ready import HardState

__all__ = ["LogStorage", "MemoryStorage"]


class LogStorage(Protocol):
    def hard_state(self) -> HardState: ...

    def snapshot(self) -> Snapshot | None: ...

    def entries(self) -> list[Entry]:
        """Entries after the snapshot, contiguous, in index order."""
        ...


class MemoryStorage:
    """An in-memory LogStorage (tests, benchmarks, and the Server's restart path)."""

    def __init__(self, *, hard_state: HardState | None = None, snapshot: Snapshot | None = None,
                 entries: list[Entry] | None = None) -> None:
        self._hs = hard_state or HardState()
        self._snap = snapshot
        self._ents: list[Entry] = []
        if entries:
            self.append(entries)

    def hard_state(self) -> HardState:
        return self._hs

    def snapshot(self) -> Snapshot | None:
        return self._snap

    def entries(self) -> list[Entry]:
        return list(self._ents)

    def set_hard_state(self, hs: HardState) -> None:
        self._hs = hs

    def append(self, entries: list[Entry] | tuple[Entry, ...]) -> None:
        """Store ``entries``; the first one replaces the stored entries from its index on."""
        if not entries:
            return
        offset = self._snap.index if self._snap else 0
        first = entries[0].index
        if first <= offset:  # already covered by the snapshot
            entries = [e for e in entries if e.index > offset]
            if not entries:
                return
            first = entries[0].index
        keep = first - offset - 1
        if keep > len(self._ents):
            raise ValueError(f"gap: storing {first} after {offset + len(self._ents)}")
        del self._ents[keep:]
        self._ents.extend(entries)

    def apply_snapshot(self, snap: Snapshot) -> None:
        """Install ``snap``; keep stored entries after it only if the log matches at its index."""
        offset = self._snap.index if self._snap else 0
        keep: list[Entry] = []
        i = snap.index - offset - 1
        if 0 <= i < len(self._ents) and self._ents[i].term == snap.term:
            keep = self._ents[i + 1:]
        self._snap = snap
        self._ents = keep
