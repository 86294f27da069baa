"""RaftLog, rule by rule: one table per method, rows at each boundary the mutation bench found unchecked
(bench/mutation.py --module kvraft/raft/log.py): the snapshot offset, the last index, equal terms, the byte
budget of a slice, and marks that only move forward."""

from __future__ import annotations

import pytest

from kvraft.raft import Entry, Snapshot
from kvraft.raft.log import RaftLog


def es(terms: list[int], first: int = 1, data: bytes = b"") -> list[Entry]:
    return [Entry(index=first + i, term=t, data=data) for i, t in enumerate(terms)]


def log(terms: list[int], *, snap: tuple[int, int] | None = None, commit: int = 0, applied: int = 0) -> RaftLog:
    """A log holding ``terms`` after an optional snapshot (index, term)."""
    s = Snapshot(index=snap[0], term=snap[1], voters=("a",)) if snap else None
    return RaftLog(s, es(terms, (snap[0] if snap else 0) + 1), commit, applied)


# ---- construction: commit and applied are clamped, everything given is stable ----

@pytest.mark.parametrize(("terms", "snap", "commit", "applied", "want"), [
    ([1, 1, 2], None, 2, 1, (2, 1, 3)),
    ([1, 1, 2], None, 9, 0, (3, 0, 3)),  # commit never past the last index
    ([2, 2], (4, 1), 0, 0, (4, 4, 6)),  # nor below the snapshot; applied neither
    ([2, 2], (4, 1), 5, 5, (5, 5, 6)),
    ([], (4, 1), 9, 2, (4, 4, 4)),
])
def test_new_log_clamps_marks(terms: list[int], snap: tuple[int, int] | None, commit: int, applied: int,
                              want: tuple[int, int, int]) -> None:
    lg = log(terms, snap=snap, commit=commit, applied=applied)
    assert (lg.commit, lg.applied, lg.stabled) == want
    assert lg.unstable() == []


@pytest.mark.parametrize(("first", "snap"), [(2, None), (1, (1, 1)), (3, (1, 1))])
def test_new_log_must_start_right_after_the_snapshot(first: int, snap: tuple[int, int] | None) -> None:
    s = Snapshot(index=snap[0], term=snap[1], voters=("a",)) if snap else None
    with pytest.raises(ValueError, match=f"^log starts at {first}, snapshot at {snap[0] if snap else 0}$"):
        RaftLog(s, es([1, 1], first), 0, 0)  # two entries: the message names the first


# ---- reading ----

@pytest.mark.parametrize(("terms", "snap", "want"), [
    ([1, 2, 3], None, (3, 3)),
    ([], None, (0, 0)),
    ([], (5, 2), (5, 2)),  # an empty log after a snapshot ends at the snapshot
    ([4], (5, 2), (6, 4)),
])
def test_last_index_and_term(terms: list[int], snap: tuple[int, int] | None, want: tuple[int, int]) -> None:
    lg = log(terms, snap=snap)
    assert (lg.last_index, lg.last_term) == want


@pytest.mark.parametrize(("index", "want"), [(3, None), (4, 2), (5, 3), (6, 5), (7, None)])
def test_term_inside_at_and_outside_the_log(index: int, want: int | None) -> None:
    lg = log([3, 5], snap=(4, 2))  # snapshot 2/4, entries 3/5 and 5/6
    assert lg.term(index) == want
    assert lg.match_term(index, want if want is not None else 0) is (want is not None)
    assert lg.match_term(index, 99) is False


@pytest.mark.parametrize(("index", "want"), [(5, (5, 3)), (6, (6, 5))])
def test_entry_is_found_past_the_snapshot_offset(index: int, want: tuple[int, int]) -> None:
    e = log([3, 5], snap=(4, 2)).entry(index)
    assert (e.index, e.term) == want


@pytest.mark.parametrize(("lo", "hi", "max_bytes", "want"), [
    (2, 4, None, None),  # lo inside the snapshot: compacted
    (3, 5, None, [3, 4]),
    (3, 99, None, [3, 4, 5, 6]),  # hi is clamped to the end
    (6, 7, None, [6]),
    (7, 9, None, []),
    (3, 7, 40, [3, 4]),  # 20 bytes each (4 of data + 16): two fit exactly
    (3, 7, 39, [3]),
    (3, 7, 0, [3]),  # at least one, whatever the budget
    (3, 7, 80, [3, 4, 5, 6]),
    (3, 7, 79, [3, 4, 5]),
    (6, 7, 0, [6]),
])
def test_slice(lo: int, hi: int, max_bytes: int | None, want: list[int] | None) -> None:
    lg = RaftLog(Snapshot(index=2, term=1, voters=("a",)), es([1, 2, 2, 3], 3, b"abcd"), 0, 0)
    got = lg.slice(lo, hi, max_bytes)
    assert (None if got is None else [e.index for e in got]) == want


@pytest.mark.parametrize(("last_index", "last_term", "want"), [
    (3, 2, True),  # same last entry
    (4, 2, True),  # same term, longer
    (2, 2, False),  # same term, shorter
    (1, 3, True),  # higher term wins whatever the length
    (9, 1, False),  # lower term loses whatever the length
])
def test_is_up_to_date(last_index: int, last_term: int, want: bool) -> None:
    assert log([1, 2, 2]).is_up_to_date(last_index, last_term) is want


@pytest.mark.parametrize(("index", "term", "want"), [
    (5, 3, 5),
    (5, 2, 4),
    (5, 1, 2),
    (5, 0, 0),
    (9, 2, 4),  # past the end: starts from the last index
    (3, 2, 3),
    (2, 9, 2),
])
def test_find_conflict_by_term(index: int, term: int, want: int) -> None:
    assert log([1, 1, 2, 2, 3]).find_conflict_by_term(index, term) == want


def test_find_conflict_by_term_stops_at_the_snapshot() -> None:
    lg = log([3, 3], snap=(4, 2))
    assert lg.find_conflict_by_term(6, 1) == 4
    assert lg.find_conflict_by_term(6, 3) == 6


@pytest.mark.parametrize(("new", "want"), [
    (es([1, 2]), 0),  # all present: no conflict
    (es([1, 3], 1), 2),
    (es([2, 2, 4], 3), 4),  # past the end counts as new
    (es([9]), 1),
    ([], 0),
])
def test_find_conflict(new: list[Entry], want: int) -> None:
    assert log([1, 2, 2]).find_conflict(new) == want


def test_next_committed_runs_from_applied_to_commit() -> None:
    lg = log([1, 1, 2, 2], commit=3, applied=1)
    assert [e.index for e in lg.next_committed()] == [2, 3]
    lg.applied_to(3)
    assert lg.next_committed() == []
    lg.commit_to(4)
    assert [e.index for e in lg.next_committed()] == [4]
    after_snap = log([2, 2], snap=(4, 1), commit=6, applied=0)
    assert [e.index for e in after_snap.next_committed()] == [5, 6]  # applied is at least the snapshot


# ---- writing ----

@pytest.mark.parametrize(("new", "want_terms", "want_stabled"), [
    (es([3], 4), [1, 1, 2, 3], 3),
    (es([3, 3], 2), [1, 3, 3], 1),  # replaces everything from its first index
    (es([4], 1), [4], 0),
    ([], [1, 1, 2], 3),
])
def test_append_truncates_and_lowers_stabled(new: list[Entry], want_terms: list[int], want_stabled: int) -> None:
    lg = log([1, 1, 2])
    lg.append(new)
    assert [e.term for e in lg.entries] == want_terms
    assert [e.index for e in lg.entries] == list(range(1, len(want_terms) + 1))
    assert lg.stabled == want_stabled
    assert [e.index for e in lg.unstable()] == [e.index for e in new]


def test_append_after_a_gap_is_refused() -> None:
    lg = log([1, 1])
    with pytest.raises(ValueError):
        lg.append(es([1], 4))
    lg.append(es([1], 3))
    assert lg.last_index == 3


def test_append_after_a_snapshot_keeps_offsets() -> None:
    lg = log([2, 2], snap=(4, 1))
    lg.append(es([3], 6))
    assert [str(e) for e in lg.entries] == ["2/5", "3/6"]
    assert lg.stabled == 5


@pytest.mark.parametrize(("to", "moved", "commit"), [(2, True, 2), (1, False, 1), (3, True, 3), (9, True, 3),
                                                     (0, False, 1)])
def test_commit_to_only_moves_forward_within_the_log(to: int, moved: bool, commit: int) -> None:
    lg = log([1, 1, 2], commit=1)
    assert lg.commit_to(to) is moved
    assert lg.commit == commit


@pytest.mark.parametrize(("index", "term", "stabled"), [(4, 2, 4), (4, 1, 2), (1, 1, 2), (5, 3, 5), (6, 3, 2)])
def test_stable_to_needs_the_same_term_and_a_later_index(index: int, term: int, stabled: int) -> None:
    lg = log([1, 1])
    lg.append(es([2, 2, 3], 3))
    assert lg.stabled == 2
    lg.stable_to(index, term)
    assert lg.stabled == stabled


@pytest.mark.parametrize(("to", "applied"), [(2, 2), (3, 3), (5, 3), (1, 1), (0, 1)])
def test_applied_to_only_moves_forward_up_to_commit(to: int, applied: int) -> None:
    lg = log([1, 1, 2, 2], commit=3, applied=1)
    lg.applied_to(to)
    assert lg.applied == applied


def test_restore_replaces_the_log_with_the_snapshot() -> None:
    lg = log([1, 1, 2], commit=2, applied=2)
    snap = Snapshot(index=7, term=3, voters=("a", "b"))
    lg.restore(snap)
    assert (lg.snapshot, lg.pending_snapshot) == (snap, snap)
    assert (lg.snap_index, lg.snap_term, lg.entries) == (7, 3, [])
    assert (lg.last_index, lg.last_term, lg.commit, lg.stabled) == (7, 3, 7, 7)
    assert lg.term(7) == 3 and lg.term(6) is None


def test_compact_drops_entries_up_to_the_snapshot() -> None:
    lg = log([1, 1, 2, 2, 3], commit=4, applied=4)
    snap = Snapshot(index=3, term=2, voters=("a",))
    lg.compact(snap)
    assert lg.snapshot == snap and lg.pending_snapshot is None
    assert (lg.snap_index, lg.snap_term) == (3, 2)
    assert [str(e) for e in lg.entries] == ["2/4", "3/5"]
    assert lg.last_index == 5 and lg.term(3) == 2 and lg.term(2) is None
    lg.compact(Snapshot(index=5, term=3, voters=("a",)))
    assert lg.entries == [] and lg.last_term == 3
