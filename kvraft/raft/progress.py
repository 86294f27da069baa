"""Progress: the leader's view of one follower (etcd-io/raft design: probe/replicate/snapshot).

Rules: ``match`` only grows while a leader is in office; ``next > match``. PROBE sends one
AppendEntries per heartbeat until a reply says where the logs match; REPLICATE pipelines up to
``max_inflight`` messages, optimistically moving ``next``; SNAPSHOT waits for an InstallSnapshot
reply.
"""

from __future__ import annotations

import enum
from collections import deque
from dataclasses import dataclass, field

__all__ = ["Progress", "ProgressState"]


class ProgressState(enum.Enum):
    PROBE = "probe"
    REPLICATE = "replicate"
    SNAPSHOT = "snapshot"


@dataclass(slots=True)
class Progress:
    match: int
    next: int
    max_inflight: int
    learner: bool = False
    state: ProgressState = ProgressState.PROBE
    probe_sent: bool = False
    pending_snapshot: int = 0
    recent_active: bool = False
    inflights: deque[int] = field(default_factory=deque)  # last index of each in-flight AppendEntries

    def become_probe(self) -> None:
        if self.state is ProgressState.SNAPSHOT:
            self.next = max(self.match + 1, self.pending_snapshot + 1)
        else:
            self.next = self.match + 1
        self.state = ProgressState.PROBE
        self.probe_sent = False
        self.pending_snapshot = 0
        self.inflights.clear()

    def become_replicate(self) -> None:
        self.state = ProgressState.REPLICATE
        self.next = self.match + 1
        self.probe_sent = False
        self.inflights.clear()

    def become_snapshot(self, index: int) -> None:
        self.state = ProgressState.SNAPSHOT
        self.pending_snapshot = index
        self.probe_sent = False
        self.inflights.clear()

    def is_paused(self) -> bool:
        if self.state is ProgressState.PROBE:
            return self.probe_sent
        if self.state is ProgressState.REPLICATE:
            return len(self.inflights) >= self.max_inflight
        return True

    def maybe_update(self, index: int) -> bool:
        """A success reply says the follower stores up to ``index``; False if it was stale."""
        updated = False
        if self.match < index:
            self.match = index
            updated = True
            self.probe_sent = False
        self.next = max(self.next, index + 1)
        return updated

    def maybe_decr_to(self, rejected: int, next_probe: int) -> bool:
        """A reject of prev=``rejected``; move ``next`` back. False if the reject is stale."""
        if self.state is ProgressState.REPLICATE:
            if rejected <= self.match:  # stale: we already know it matches there
                return False
            self.next = self.match + 1
            return True
        if self.next - 1 != rejected:  # stale: not the probe we are waiting for
            return False
        self.next = max(min(rejected, next_probe + 1), self.match + 1, 1)
        self.probe_sent = False
        return True

    def sent_entries(self, last: int, count: int) -> None:
        if self.state is ProgressState.REPLICATE:
            if count:
                self.next = last + 1
                self.inflights.append(last)
        elif self.state is ProgressState.PROBE:
            self.probe_sent = True

    def free_inflights_to(self, index: int) -> None:
        while self.inflights and self.inflights[0] <= index:
            self.inflights.popleft()

    def __str__(self) -> str:
        s = f"{self.state.value} match={self.match} next={self.next}"
        if self.learner:
            s += " learner"
        if self.state is ProgressState.SNAPSHOT:
            s += f" pending={self.pending_snapshot}"
        if self.inflights:
            s += f" inflight={len(self.inflights)}"
        return s
