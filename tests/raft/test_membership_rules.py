"""Membership functions, rule by rule: a change is in force from its own index, learners promoted and
removed, malformed entries skipped, the progress map kept to the members
(bench/mutation.py --module kvraft/raft/membership.py)."""

from __future__ import annotations

import pytest

from kvraft.raft import ConfChange, ConfChangeType, Entry, EntryType, Snapshot
from kvraft.raft.membership import conf_at, sync_progress
from kvraft.raft.progress import Progress

def cc(index: int, kind: ConfChangeType, node: str) -> Entry:
    return Entry(index=index, term=1, type=EntryType.CONF_CHANGE, data=ConfChange(type=kind, node_id=node).encode())


ADD, REMOVE, LEARNER = ConfChangeType.ADD_NODE, ConfChangeType.REMOVE_NODE, ConfChangeType.ADD_LEARNER
LOG = [Entry(index=1, term=1), cc(2, ADD, "d"), cc(3, LEARNER, "e"), Entry(index=4, term=1, data=b"add z"),
       cc(5, ADD, "e"), cc(6, REMOVE, "a"), cc(7, LEARNER, "b"), cc(8, LEARNER, "f"), cc(9, REMOVE, "f"),
       Entry(index=10, term=1, type=EntryType.CONF_CHANGE, data=b"garbage")]


@pytest.mark.parametrize(("index", "want"), [
    (0, (("a", "b", "c"), (), 0)),
    (1, (("a", "b", "c"), (), 0)),
    (2, (("a", "b", "c", "d"), (), 2)),  # in force from its own index (appended, not committed)
    (3, (("a", "b", "c", "d"), ("e",), 3)),
    (4, (("a", "b", "c", "d"), ("e",), 3)),  # a normal entry that reads like a change is not one
    (5, (("a", "b", "c", "d", "e"), (), 5)),  # a learner promoted stops being a learner
    (6, (("b", "c", "d", "e"), (), 6)),
    (7, (("b", "c", "d", "e"), (), 7)),  # a voter cannot be demoted to learner by ADD_LEARNER
    (8, (("b", "c", "d", "e"), ("f",), 8)),
    (9, (("b", "c", "d", "e"), (), 9)),  # removing a learner
    (99, (("b", "c", "d", "e"), (), 9)),  # malformed conf data is skipped
])
def test_conf_at(index: int, want: tuple) -> None:
    assert conf_at(None, (("a", "b", "c"), ()), LOG, index) == want


def test_conf_at_starts_from_the_snapshot() -> None:
    snap = Snapshot(index=4, term=1, voters=("x", "y"), learners=("z",))
    assert conf_at(snap, (("a",), ()), [], 9) == (("x", "y"), ("z",), 4)
    assert conf_at(snap, (("a",), ()), [cc(5, ADD, "z")], 9) == (("x", "y", "z"), (), 5)


def test_sync_progress_keeps_exactly_the_members() -> None:
    old = Progress(match=5, next=7, max_inflight=3)
    prs = {"a": Progress(match=9, next=10, max_inflight=3), "b": old, "gone": Progress(match=1, next=2, max_inflight=3)}
    sync_progress(prs, ("a", "c"), ("b",), "self", 12, 4)
    assert sorted(prs) == ["a", "b", "c", "self"]
    assert prs["b"] is old and prs["b"].learner and not prs["a"].learner
    new = prs["c"]
    assert (new.match, new.next, new.max_inflight, new.recent_active, new.learner) == (0, 13, 4, True, False)
    assert prs["a"].match == 9 and not prs["a"].recent_active
    sync_progress(prs, ("a", "b"), (), "self", 12, 4)
    assert not prs["b"].learner and sorted(prs) == ["a", "b", "self"]
