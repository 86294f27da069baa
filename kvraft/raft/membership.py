"""Membership as pure functions over explicit arguments (etcd-io/raft's confchange + tracker roles): the
configuration in force at an index, and the leader's progress map kept to it. RaftNode calls them.

Rules (single-server changes, dissertation §4.1): a configuration takes effect when its entry is
appended (not when it commits); truncating a conf entry reverts to the one before; the leader keeps
a Progress for exactly the current voters and learners (and itself).
"""

from __future__ import annotations

from collections.abc import Iterable

from .entry import ConfChange, ConfChangeType, Entry, EntryType, Snapshot
from .progress import Progress

__all__ = ["conf_at", "sync_progress"]


def conf_at(snapshot: Snapshot | None, initial: tuple[tuple[str, ...], tuple[str, ...]], entries: Iterable[Entry],
            index: int) -> tuple[tuple[str, ...], tuple[str, ...], int]:
    """(voters, learners, index of the change that made them) in force at ``index``.

    Starts from ``snapshot``'s configuration (else ``initial``: the config's voters and learners) and applies
    the conf-change entries of ``entries`` (the log after the snapshot, in order) up to ``index``.
    """
    if snapshot is not None:
        voters, learners, at = set(snapshot.voters), set(snapshot.learners), snapshot.index
    else:
        voters, learners, at = set(initial[0]), set(initial[1]), 0
    for e in entries:
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


def sync_progress(prs: dict[str, Progress], voters: tuple[str, ...], learners: tuple[str, ...], self_id: str,
                  last_index: int, max_inflight: int) -> None:
    """Make the leader's progress map ``prs`` hold exactly the members (and ``self_id``): new ones start at
    ``last_index + 1``, recently active; removed ones are dropped."""
    members = set(voters) | set(learners) | {self_id}
    for p in sorted(members):
        if p not in prs:
            prs[p] = Progress(match=0, next=last_index + 1, max_inflight=max_inflight)
            prs[p].recent_active = True
        prs[p].learner = p in learners
    for p in sorted(set(prs) - members):
        del prs[p]
