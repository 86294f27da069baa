"""kvraft.raft: the sans-IO Raft core (see ARCHITECTURE.md, "The sans-IO Raft core")."""

from .config import RaftConfig, ReadOnlyOption
from .core import RaftNode
from .entry import ConfChange, ConfChangeType, Entry, EntryType, Snapshot, digest
from .messages import (MESSAGE_TYPES, AppendEntries, AppendEntriesReply, Heartbeat, HeartbeatReply,
                       InstallSnapshot, InstallSnapshotReply, Message, Propose, ReadIndex, ReadIndexReply,
                       RequestVote, RequestVoteReply, TimeoutNow)
from .progress import Progress, ProgressState
from .ready import DroppedMessage, HardState, ReadState, Ready, Role, SoftState
from .storage import LogStorage, MemoryStorage

__all__ = [
    "MESSAGE_TYPES", "AppendEntries", "AppendEntriesReply", "ConfChange", "ConfChangeType",
    "DroppedMessage", "Entry", "EntryType", "HardState", "Heartbeat", "HeartbeatReply", "InstallSnapshot",
    "InstallSnapshotReply", "LogStorage", "MemoryStorage", "Message", "Progress", "ProgressState", "Propose",
    "RaftConfig", "RaftNode", "ReadIndex", "ReadIndexReply", "ReadOnlyOption", "ReadState", "Ready",
    "RequestVote", "RequestVoteReply", "Role", "SoftState", "Snapshot", "TimeoutNow", "digest",
]
