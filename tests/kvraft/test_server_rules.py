"""The Server's disk records, rule by rule: what each record holds and how a restart decodes them in write
order (a later snapshot drops the entries it covers, a later entries record overwrites from its first index,
the last hard state wins, unknown records are skipped) (bench/mutation.py --module kvraft/server.py)."""

from __future__ import annotations

from kvraft.raft import Entry, EntryType, HardState, Snapshot
from kvraft.server import RECORD_FORMAT, _digest, _ent_rec, _hs_rec, _snap_rec, decode_records
from kvraft.raft.entry import digest


def es(first: int, terms: list[int]) -> list[Entry]:
    return [Entry(index=first + i, term=t, data=f"d{first + i}".encode()) for i, t in enumerate(terms)]


def test_records_are_json_values() -> None:
    assert RECORD_FORMAT == 1
    assert _hs_rec(HardState(term=3, vote="b", commit=2)) == {"r": "hard-state", "term": 3, "vote": "b", "commit": 2}
    assert _ent_rec([Entry(index=4, term=2, type=EntryType.CONF_CHANGE, data=b"add d")]) == \
        {"r": "entries", "entries": [[4, 2, "conf_change", b"add d".hex()]]}
    assert _snap_rec(Snapshot(index=9, term=2, voters=("a", "b"), learners=("c",), data=b"\x00s")) == \
        {"r": "snapshot", "format": 1, "index": 9, "term": 2, "voters": ["a", "b"], "learners": ["c"], "data": "0073"}


def test_decode_in_write_order() -> None:
    recs = [
        _hs_rec(HardState(term=1, vote="a", commit=0)), _ent_rec(es(1, [1, 1, 1])),
        _hs_rec(HardState(term=2, vote="b", commit=2)), _ent_rec(es(3, [2, 2])),  # overwrites 3 on
        {"r": "applied", "index": 2}, "not a record", {"r": "unknown"}, {"no": "kind"},
    ]
    storage, applied = decode_records(recs)
    assert storage.hard_state() == HardState(term=2, vote="b", commit=2)
    assert [(e.index, e.term, e.data) for e in storage.entries()] == [
        (1, 1, b"d1"), (2, 1, b"d2"), (3, 2, b"d3"), (4, 2, b"d4")]
    assert storage.snapshot() is None and applied == 2
    empty, none_applied = decode_records([])
    assert (empty.entries(), empty.snapshot(), empty.hard_state(), none_applied) == ([], None, HardState(), 0)


def test_decode_a_snapshot_then_the_tail() -> None:
    snap = Snapshot(index=3, term=2, voters=("a", "b"), learners=("c",), data=b"img")
    storage, applied = decode_records([_ent_rec(es(1, [1, 2, 2, 2])), _snap_rec(snap), _ent_rec(es(5, [3]))])
    assert storage.snapshot() == snap and applied == 0
    assert [(e.index, e.term) for e in storage.entries()] == [(4, 2), (5, 3)]
    assert storage.entries()[0].type is EntryType.NORMAL


def test_digest_is_memoised_and_equal_to_digest() -> None:
    for data in (b"x", b"x", b"", bytearray(b"y")):
        assert _digest(data) == digest(bytes(data))
