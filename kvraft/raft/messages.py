"""Raft peer messages: one dataclass per type, named as in the Raft paper.

Rules: messages are values, never changed once made (``dataclasses.replace`` makes a changed copy). They are
slotted keyword dataclasses that are not ``frozen`` (hashable all the same): a frozen dataclass's ``__init__``
sets each field through ``object.__setattr__``, twice the cost of building the message, and one is built
per message sent (issue 20). Every message has ``frm``, ``to`` and ``term`` and a one-line ``str()`` (used
in traces, logs and interaction tests). ``Message`` is the union; the core dispatches with ``match``.
``Propose`` is a follower forwarding client data to its leader; its term is informational.
"""

from __future__ import annotations

from dataclasses import dataclass

from .entry import Entry, Snapshot

__all__ = [
    "AppendEntries", "AppendEntriesReply", "Heartbeat", "HeartbeatReply", "InstallSnapshot",
    "InstallSnapshotReply", "Message", "MESSAGE_TYPES", "Propose", "ReadIndex", "ReadIndexReply",
    "RequestVote", "RequestVoteReply", "TimeoutNow",
]


def _ents(entries: tuple[Entry, ...]) -> str:
    if len(entries) > 6:
        return f"[{entries[0]} ... {entries[-1]} ({len(entries)})]"
    return "[" + ",".join(str(e) for e in entries) + "]"


def _ctx(ctx: bytes) -> str:
    return ctx.decode("utf-8", "replace")


@dataclass(slots=True, kw_only=True, unsafe_hash=True)
class RequestVote:
    frm: str
    to: str
    term: int
    last_log_index: int
    last_log_term: int
    pre_vote: bool = False
    transfer: bool = False  # leadership transfer: bypass the CheckQuorum lease (§3.10)

    def __str__(self) -> str:
        kind = "PreVote" if self.pre_vote else "RequestVote"
        t = " transfer" if self.transfer else ""
        return f"{self.frm}->{self.to} {kind} term={self.term} last={self.last_log_term}/{self.last_log_index}{t}"


@dataclass(slots=True, kw_only=True, unsafe_hash=True)
class RequestVoteReply:
    frm: str
    to: str
    term: int
    granted: bool
    pre_vote: bool = False

    def __str__(self) -> str:
        kind = "PreVoteReply" if self.pre_vote else "RequestVoteReply"
        return f"{self.frm}->{self.to} {kind} term={self.term} {'granted' if self.granted else 'rejected'}"


@dataclass(slots=True, kw_only=True, unsafe_hash=True)
class AppendEntries:
    frm: str
    to: str
    term: int
    prev_log_index: int
    prev_log_term: int
    entries: tuple[Entry, ...] = ()
    commit: int = 0

    def __str__(self) -> str:
        return (f"{self.frm}->{self.to} AppendEntries term={self.term} prev={self.prev_log_term}/{self.prev_log_index}"
                f" commit={self.commit} entries={_ents(self.entries)}")


@dataclass(slots=True, kw_only=True, unsafe_hash=True)
class AppendEntriesReply:
    """Success: ``index`` is the last index now known to match. Reject: ``index`` is the rejected
    prev_log_index, and (``hint_index``, ``hint_term``) is the follower's conflict hint: the
    largest index <= min(prev, last) whose term is <= the leader's prev term (fast back-up)."""

    frm: str
    to: str
    term: int
    index: int
    reject: bool = False
    hint_index: int = 0
    hint_term: int = 0

    def __str__(self) -> str:
        if self.reject:
            return (f"{self.frm}->{self.to} AppendEntriesReply term={self.term} reject index={self.index}"
                    f" hint={self.hint_term}/{self.hint_index}")
        return f"{self.frm}->{self.to} AppendEntriesReply term={self.term} index={self.index}"


@dataclass(slots=True, kw_only=True, unsafe_hash=True)
class Heartbeat:
    """Leader liveness + commit (``min(match, commit)``) + read-index round ``ctx`` (etcd's MsgHeartbeat)."""

    frm: str
    to: str
    term: int
    commit: int = 0
    ctx: bytes = b""

    def __str__(self) -> str:
        c = f" ctx={_ctx(self.ctx)}" if self.ctx else ""
        return f"{self.frm}->{self.to} Heartbeat term={self.term} commit={self.commit}{c}"


@dataclass(slots=True, kw_only=True, unsafe_hash=True)
class HeartbeatReply:
    frm: str
    to: str
    term: int
    ctx: bytes = b""

    def __str__(self) -> str:
        c = f" ctx={_ctx(self.ctx)}" if self.ctx else ""
        return f"{self.frm}->{self.to} HeartbeatReply term={self.term}{c}"


@dataclass(slots=True, kw_only=True, unsafe_hash=True)
class InstallSnapshot:
    frm: str
    to: str
    term: int
    snapshot: Snapshot

    def __str__(self) -> str:
        return f"{self.frm}->{self.to} InstallSnapshot term={self.term} {self.snapshot}"


@dataclass(slots=True, kw_only=True, unsafe_hash=True)
class InstallSnapshotReply:
    """``index`` is the follower's last index after handling the snapshot."""

    frm: str
    to: str
    term: int
    index: int

    def __str__(self) -> str:
        return f"{self.frm}->{self.to} InstallSnapshotReply term={self.term} index={self.index}"


@dataclass(slots=True, kw_only=True, unsafe_hash=True)
class TimeoutNow:
    frm: str
    to: str
    term: int

    def __str__(self) -> str:
        return f"{self.frm}->{self.to} TimeoutNow term={self.term}"


@dataclass(slots=True, kw_only=True, unsafe_hash=True)
class ReadIndex:
    frm: str
    to: str
    term: int
    ctx: bytes

    def __str__(self) -> str:
        return f"{self.frm}->{self.to} ReadIndex term={self.term} ctx={_ctx(self.ctx)}"


@dataclass(slots=True, kw_only=True, unsafe_hash=True)
class ReadIndexReply:
    frm: str
    to: str
    term: int
    ctx: bytes
    index: int

    def __str__(self) -> str:
        return f"{self.frm}->{self.to} ReadIndexReply term={self.term} ctx={_ctx(self.ctx)} index={self.index}"


@dataclass(slots=True, kw_only=True, unsafe_hash=True)
class Propose:
    """A follower forwards proposals to its leader (etcd's MsgProp)."""

    frm: str
    to: str
    term: int
    entries: tuple[Entry, ...]  # index/term are 0: the leader assigns them

    def __str__(self) -> str:
        return f"{self.frm}->{self.to} Propose term={self.term} entries={len(self.entries)}"


Message = (RequestVote | RequestVoteReply | AppendEntries | AppendEntriesReply | Heartbeat | HeartbeatReply
           | InstallSnapshot | InstallSnapshotReply | TimeoutNow | ReadIndex | ReadIndexReply | Propose)

MESSAGE_TYPES: tuple[type, ...] = (
    RequestVote, RequestVoteReply, AppendEntries, AppendEntriesReply, Heartbeat, HeartbeatReply,
    InstallSnapshot, InstallSnapshotReply, TimeoutNow, ReadIndex, ReadIndexReply, Propose,
)
