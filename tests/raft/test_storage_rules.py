"""MemoryStorage, rule by rule: appends that overwrite, skip what the snapshot covers, refuse gaps; a snapshot
keeps the entries after it only when the log matches there (bench/mutation.py --module kvraft/raft/storage.py)."""

from __future__ import annotations

import pytest

from kvraft.raft import Entry, HardState, MemoryStorage, Snapshot


def es(first: int, terms: list[int]) -> list[Entry]:
    return [Entry(index=first + i, term=t) for i, t in enumerate(terms)]


def strs(st: MemoryStorage) -> list[str]:
    return [str(e) for e in st.entries()]


def test_defaults_and_hard_state() -> None:
    st = MemoryStorage()
    assert (st.hard_state(), st.snapshot(), st.entries()) == (HardState(), None, [])
    hs = HardState(term=3, vote="b", commit=2)
    st.set_hard_state(hs)
    assert st.hard_state() == hs
    st2 = MemoryStorage(entries=es(1, [1, 1]), hard_state=hs)
    assert strs(st2) == ["1/1", "1/2"] and st2.hard_state() == hs
    st2.entries().clear()  # a copy
    assert len(st2.entries()) == 2


@pytest.mark.parametrize(("new", "want"), [
    (es(4, [2]), ["1/1", "1/2", "2/3", "2/4"]),
    (es(2, [3]), ["1/1", "3/2"]),  # overwrites from its index on
    (es(1, [4, 4]), ["4/1", "4/2"]),
    ([], ["1/1", "1/2", "2/3"]),
])
def test_append(new: list[Entry], want: list[str]) -> None:
    st = MemoryStorage(entries=es(1, [1, 1, 2]))
    st.append(new)
    assert strs(st) == want


def test_append_after_a_gap_is_refused() -> None:
    st = MemoryStorage(entries=es(1, [1]))
    with pytest.raises(ValueError):
        st.append(es(3, [1]))
    snap = MemoryStorage(snapshot=Snapshot(index=5, term=2, voters=("a",)))
    with pytest.raises(ValueError):
        snap.append(es(7, [2]))
    snap.append(es(6, [2]))
    assert strs(snap) == ["2/6"]


@pytest.mark.parametrize(("new", "want"), [
    (es(3, [1, 2, 2, 2, 2]), ["2/6", "2/7"]),  # entries the snapshot covers are skipped
    (es(4, [1, 2]), []),
    (es(5, [2]), []),
    (es(6, [3]), ["3/6"]),
])
def test_append_below_the_snapshot(new: list[Entry], want: list[str]) -> None:
    st = MemoryStorage(snapshot=Snapshot(index=5, term=2, voters=("a",)))
    st.append(new)
    assert strs(st) == want


@pytest.mark.parametrize(("snap", "want"), [
    ((3, 2), ["2/4", "3/5"]),  # the log matches at 3: later entries stay
    ((3, 1), []),  # it does not: all go
    ((5, 3), []),
    ((1, 1), ["2/2", "2/3", "2/4", "3/5"]),
    ((9, 3), []),
    ((6, 3), []),  # one past the last stored entry
    ((0, 0), []),
])
def test_apply_snapshot(snap: tuple[int, int], want: list[str]) -> None:
    st = MemoryStorage(entries=es(1, [1, 2, 2, 2, 3]))
    s = Snapshot(index=snap[0], term=snap[1], voters=("a",))
    st.apply_snapshot(s)
    assert st.snapshot() == s and strs(st) == want


def test_apply_snapshot_after_a_snapshot() -> None:
    st = MemoryStorage(snapshot=Snapshot(index=2, term=1, voters=("a",)), entries=es(3, [1, 2, 2]))
    st.apply_snapshot(Snapshot(index=4, term=2, voters=("a",)))
    assert strs(st) == ["2/5"]
    st.apply_snapshot(Snapshot(index=5, term=9, voters=("a",)))
    assert strs(st) == []


def test_apply_the_same_snapshot_again_drops_the_tail() -> None:  # no stored entry at its index to match
    st = MemoryStorage(snapshot=Snapshot(index=2, term=1, voters=("a",)), entries=es(3, [1, 1]))
    st.apply_snapshot(Snapshot(index=2, term=1, voters=("a",)))
    assert strs(st) == []


def test_append_reaching_below_the_snapshot_overwrites_from_just_after_it() -> None:
    st = MemoryStorage(snapshot=Snapshot(index=5, term=2, voters=("a",)), entries=es(6, [2, 2, 2]))
    st.append(es(4, [2, 2, 3, 3]))  # 4 and 5 are the snapshot's; 6 and 7 replace everything from 6 on
    assert strs(st) == ["3/6", "3/7"]
