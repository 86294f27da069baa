"""Membership, mixed into RaftNode: the configuration in force is the latest one in the log.

Rules (single-server changes, dissertation §4.1): a configuration takes effect when its entry is
appended (not when it commits); truncating a conf entry reverts to the one before; the leader keeps
a Progress for exactly the current voters and learners.
"""

from __future__ import annotations

from .entry import ConfChange, ConfChangeType, Entry, EntryType
from .progress import Progress
from .ready import Role

__all__ = ["MembershipMixin"]


class MembershipMixin:
    """Configuration methods of RaftNode (they use its log, config, role and progress map)."""

    def _append_log(self, entries: list[Entry]) -> None:
        if not entries:
            return
        truncates_conf = self.conf_index >= entries[0].index
        self.log.append(entries)
        if truncates_conf or any(e.type is EntryType.CONF_CHANGE for e in entries):
            self._recompute_conf()

    def _conf_at(self, index: int) -> tuple[tuple[str, ...], tuple[str, ...], int]:
        snap = self.log.snapshot
        if snap is not None:
            voters, learners, at = set(snap.voters), set(snap.learners), snap.index
        else:
            voters, learners, at = set(self.config.voters), set(self.config.learners), 0
        for e in self.log.entries:
            if e.index > index:
                break
            if e.type is not EntryType.CONF_CHANGE:
                continue
            try:
                cc = ConfChange.decode(e.data)
            except ValueError:
                continue
            at = e.index
            if cc.type is ConfChangeType.ADD_NODE:
                voters.add(cc.node_id)
                learners.discard(cc.node_id)
            elif cc.type is ConfChangeType.REMOVE_NODE:
                voters.discard(cc.node_id)
                learners.discard(cc.node_id)
            elif cc.node_id not in voters:
                learners.add(cc.node_id)
        return tuple(sorted(voters)), tuple(sorted(learners)), at

    def _recompute_conf(self) -> None:
        self.voters, self.learners, self.conf_index = self._conf_at(self.log.last_index)
        if self.role is Role.LEADER:
            self._sync_progress()

    def _sync_progress(self) -> None:
        members = set(self.voters) | set(self.learners) | {self.id}
        for p in sorted(members):
            if p not in self.prs:
                self.prs[p] = Progress(match=0, next=self.log.last_index + 1,
                                       max_inflight=self.config.max_inflight_msgs)
                self.prs[p].recent_active = True
            self.prs[p].learner = p in self.learners
        for p in sorted(set(self.prs) - members):
            del self.prs[p]
