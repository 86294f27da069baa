"""RaftConfig: the knobs of one Raft node, validated by ``validate()``.

Rules: timeouts are in ticks (the driver decides how long a tick is); the raft and driver bug switches
(kvraft/bugs.py) live in ``bugs`` and are off by default.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from ..bugs import Bugs
from ..errors import ConfigError

__all__ = ["RaftConfig", "ReadOnlyOption"]


class ReadOnlyOption(enum.Enum):
    """How ReadIndex confirms leadership.

    SAFE: a heartbeat round acknowledged by a quorum (§6.4). LEASE: trust the CheckQuorum lease;
    correct only if no clock (tick rate) runs faster than the others by more than the slack between
    ``election_ticks`` and the randomized timeout, and no process pauses (bug-zoo B09). LEASE
    requires ``check_quorum``.
    """

    SAFE = "safe"
    LEASE = "lease"


@dataclass(frozen=True, slots=True, kw_only=True)
class RaftConfig:
    """Configuration of one RaftNode.

    ``id`` and ``voters`` may be left empty when a Server fills them from its runtime and peers.
    ``voters``/``learners`` are the initial configuration, used only when storage holds no snapshot;
    membership changes in the log override it.
    """

    id: str = ""
    voters: tuple[str, ...] = ()
    learners: tuple[str, ...] = ()
    election_ticks: int = 10
    # The randomized election timeout is drawn from [election_ticks, election_ticks_max] (inclusive);
    # None: [election_ticks, 2 * election_ticks - 1], drawn exactly as before the bound existed.
    election_ticks_max: int | None = None
    heartbeat_ticks: int = 1
    pre_vote: bool = True
    check_quorum: bool = True
    read_only: ReadOnlyOption = ReadOnlyOption.SAFE
    max_inflight_msgs: int = 256
    max_size_per_msg: int = 1 << 20
    max_uncommitted_entries: int = 0  # 0: unlimited
    snapshot_entries: int = 1000  # the driver snapshots + compacts every N applied entries (0: never)
    applied: int = 0  # index already applied by the state machine (restart)
    bugs: Bugs = field(default_factory=Bugs)

    def validate(self) -> None:
        """Raise ConfigError on a configuration that cannot work."""
        if not self.id:
            raise ConfigError("id must be set")
        if self.heartbeat_ticks <= 0:
            raise ConfigError("heartbeat_ticks must be > 0")
        if self.election_ticks <= self.heartbeat_ticks:
            raise ConfigError(f"election_ticks ({self.election_ticks}) must be > heartbeat_ticks ({self.heartbeat_ticks})")
        if self.election_ticks_max is not None and self.election_ticks_max < self.election_ticks:
            raise ConfigError(f"election_ticks_max ({self.election_ticks_max}) must be >= election_ticks "
                              f"({self.election_ticks})")
        if self.max_inflight_msgs <= 0:
            raise ConfigError("max_inflight_msgs must be > 0")
        if len(set(self.voters)) != len(self.voters) or set(self.voters) & set(self.learners):
            raise ConfigError(f"duplicate members: voters={self.voters} learners={self.learners}")
        if self.voters and self.id not in self.voters and self.id not in self.learners:
            raise ConfigError(f"{self.id} is not in its own configuration {self.voters}")
        if self.read_only is ReadOnlyOption.LEASE and not self.check_quorum:
            raise ConfigError("read_only=LEASE requires check_quorum")
        if not isinstance(self.bugs, Bugs):
            raise ConfigError(f"bugs must be a kvraft.bugs.Bugs, got {self.bugs!r}")
        if self.bugs != self.bugs.raft_part():
            raise ConfigError(f"kv-layer bug switches {sorted(set(self.bugs.on()) - set(self.bugs.raft_part().on()))} "
                              "belong in MemberConfig.bugs")
