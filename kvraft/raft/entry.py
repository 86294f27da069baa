"""Log entries, snapshots and membership changes: the values the log holds.

Rules: all values are immutable (``Entry``, made for every proposal, is a slotted dataclass that is not
``frozen``: frozen construction costs twice as much; nothing assigns to an entry's fields,
``dataclasses.replace`` makes a changed copy); ``data`` is opaque bytes for normal entries; a conf-change
entry's data is ``ConfChange.encode()``; a no-op has empty data and is never given to the state machine.
"""

from __future__ import annotations

import enum
import hashlib
from dataclasses import dataclass

__all__ = ["ConfChange", "ConfChangeType", "Entry", "EntryType", "Snapshot", "digest"]


def digest(data: bytes) -> str:
    """The trace digest of an entry's data: sha256 hex, first 16 chars."""
    return hashlib.sha256(data).hexdigest()[:16]


class EntryType(enum.Enum):
    NORMAL = "normal"
    CONF_CHANGE = "conf_change"
    NOOP = "noop"


@dataclass(slots=True, kw_only=True, unsafe_hash=True)
class Entry:
    index: int
    term: int
    type: EntryType = EntryType.NORMAL
    data: bytes = b""

    def __str__(self) -> str:
        return f"{self.term}/{self.index}"

    def describe(self) -> str:
        """Longer form for raft-log output: ``1/3 normal "x=1"``."""
        if self.type is EntryType.NOOP:
            return f"{self.term}/{self.index} noop"
        if self.type is EntryType.CONF_CHANGE:
            return f"{self.term}/{self.index} conf {self.data.decode('ascii', 'replace')}"
        return f"{self.term}/{self.index} {self.data.decode('utf-8', 'replace')!r}"


class ConfChangeType(enum.Enum):
    ADD_NODE = "add"
    REMOVE_NODE = "remove"
    ADD_LEARNER = "learner"


@dataclass(frozen=True, slots=True, kw_only=True)
class ConfChange:
    """One membership change (single-server change, Raft dissertation §4.1)."""

    type: ConfChangeType
    node_id: str

    def encode(self) -> bytes:
        return f"{self.type.value} {self.node_id}".encode("ascii")

    @staticmethod
    def decode(data: bytes) -> "ConfChange":
        """Parse ``encode()`` output; raises ValueError on malformed data."""
        op, node = data.decode("ascii").split(" ", 1)
        return ConfChange(type=ConfChangeType(op), node_id=node)

    def __str__(self) -> str:
        return f"{self.type.value} {self.node_id}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Snapshot:
    """State machine image up to ``index`` (of ``term``) and the configuration in force there."""

    index: int
    term: int
    voters: tuple[str, ...]
    learners: tuple[str, ...] = ()
    data: bytes = b""

    def __str__(self) -> str:
        return f"snapshot {self.term}/{self.index} voters=({','.join(self.voters)})" + (
            f" learners=({','.join(self.learners)})" if self.learners else ""
        )
