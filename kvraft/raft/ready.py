"""Ready: what the driver must do next, and the HardState / SoftState it reports.

Rules: ``Ready`` and the states in it are values, never changed once made (slotted keyword dataclasses,
not ``frozen``: one Ready is built per input, and frozen construction costs twice as much). The driver
handles a Ready completely, then calls ``advance(ready)``, before asking for the next one (one Ready in
flight). The node may be stepped in between.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from .entry import Entry, Snapshot
from .messages import AppendEntriesReply, InstallSnapshotReply, Message, RequestVoteReply

__all__ = ["DroppedMessage", "HardState", "ReadState", "Ready", "Role", "SoftState"]


class Role(enum.Enum):
    FOLLOWER = "follower"
    PRE_CANDIDATE = "pre-candidate"
    CANDIDATE = "candidate"
    LEADER = "leader"


@dataclass(slots=True, kw_only=True, unsafe_hash=True)
class HardState:
    """State that must be durable before any message that depends on it is sent (Figure 2)."""

    term: int = 0
    vote: str | None = None
    commit: int = 0

    def __str__(self) -> str:
        return f"term={self.term} vote={self.vote or '-'} commit={self.commit}"


@dataclass(slots=True, kw_only=True, unsafe_hash=True)
class SoftState:
    """Volatile state worth reporting when it changes."""

    role: Role
    leader: str | None

    def __str__(self) -> str:
        return f"role={self.role.value} leader={self.leader or '-'}"


@dataclass(slots=True, kw_only=True, unsafe_hash=True)
class ReadState:
    """A linearizable read with ``ctx`` may be served once applied >= ``index``."""

    index: int
    ctx: bytes


@dataclass(slots=True, kw_only=True, unsafe_hash=True)
class DroppedMessage:
    """A message the core ignored (stale term, unknown sender, ...), for the ``drop-msg`` trace."""

    frm: str
    type: str
    why: str

    def __str__(self) -> str:
        return f"dropped {self.type} from {self.frm}: {self.why}"


@dataclass(slots=True, kw_only=True, unsafe_hash=True)
class Ready:
    """One batch of work for the driver. The contract, in order:

    1. If ``snapshot`` is set, persist it (it replaces the whole log) and restore the state machine
       from it.
    2. Persist ``hard_state`` (if set) and ``entries`` (an entry at index i replaces the stored
       entries from i on). If ``must_sync``, make them durable (fsync) before step 3. The messages
       ``split_messages(durable)`` puts first may be sent before or while this runs (Raft thesis
       §10.2.1: the leader writes its disk in parallel with replicating to the followers).
    3. Only then send the other ``messages`` (a vote or an AppendEntries ack must never leave before
       the state it promises is durable).
    4. Apply ``committed`` in order (skip no-ops; conf changes are already in force), then serve
       ``read_states`` once applied >= their index.
    5. Call ``advance(ready)``.

    ``soft_state`` is set when role or leader changed; ``current_hard_state`` is the hard state as of this
    Ready whether or not it changed (what a snapshot write carries); ``conf`` when the configuration in force
    changed (``conf_index`` is the entry or snapshot index that made it); ``dropped`` lists
    ignored messages for tracing.
    """

    soft_state: SoftState | None = None
    hard_state: HardState | None = None
    entries: tuple[Entry, ...] = ()
    snapshot: Snapshot | None = None
    messages: tuple[Message, ...] = ()
    committed: tuple[Entry, ...] = ()
    read_states: tuple[ReadState, ...] = ()
    must_sync: bool = False
    conf: tuple[tuple[str, ...], tuple[str, ...]] | None = None  # (voters, learners)
    conf_index: int = 0
    dropped: tuple[DroppedMessage, ...] = ()
    current_hard_state: HardState = HardState()

    def split_messages(self, durable: HardState) -> tuple[tuple[Message, ...], tuple[Message, ...]]:
        """``messages`` as (may be sent before this Ready is persisted, must wait until it is durable).

        ``durable`` is the hard state of the last Ready the driver made durable. A message may go first when
        it promises nothing about this node's disk: not a vote (granted or not), not an AppendEntries or
        InstallSnapshot ack, and only while this Ready keeps the durable term and vote (a message of a term
        that a crash could forget must not leave: a restarted node could reuse that term). That is
        etcd-io/raft's split (``msgs`` vs ``msgsAfterAppend``); as there, the leader counts its own entries
        toward a commit only once they are durable (``advance``), never when they merely went out.
        """
        hs = self.current_hard_state
        if self.snapshot is not None or hs.term != durable.term or hs.vote != durable.vote:
            return (), self.messages
        early = tuple(m for m in self.messages if not isinstance(m, _AFTER_PERSIST))
        if len(early) == len(self.messages):
            return early, ()
        return early, tuple(m for m in self.messages if isinstance(m, _AFTER_PERSIST))


# Messages that promise something about the sender's disk (Figure 2: "before responding to RPCs").
_AFTER_PERSIST = (AppendEntriesReply, InstallSnapshotReply, RequestVoteReply)
