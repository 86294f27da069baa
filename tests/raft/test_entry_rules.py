"""Entries, snapshots and conf changes, rule by rule: the trace digest, describe() per entry type, the conf
change wire form and its refusals (bench/mutation.py --module kvraft/raft/entry.py)."""

from __future__ import annotations

import hashlib

import pytest

from kvraft.raft import ConfChange, ConfChangeType, Entry, EntryType, Snapshot
from kvraft.raft.entry import digest


def test_digest_is_the_first_16_hex_of_sha256() -> None:
    assert digest(b"x") == hashlib.sha256(b"x").hexdigest()[:16] and len(digest(b"")) == 16


@pytest.mark.parametrize(("e", "s", "described"), [
    (Entry(index=3, term=1, data=b"x=1"), "1/3", "1/3 'x=1'"),
    (Entry(index=3, term=1, type=EntryType.NOOP), "1/3", "1/3 noop"),
    (Entry(index=4, term=2, type=EntryType.CONF_CHANGE, data=b"add d"), "2/4", "2/4 conf add d"),
    (Entry(index=5, term=2, data=b"\xff"), "2/5", "2/5 '\ufffd'"),
])
def test_entry_text(e: Entry, s: str, described: str) -> None:
    assert (str(e), e.describe()) == (s, described)


@pytest.mark.parametrize(("cc", "wire"), [
    (ConfChange(type=ConfChangeType.ADD_NODE, node_id="d"), b"add d"),
    (ConfChange(type=ConfChangeType.REMOVE_NODE, node_id="n 1"), b"remove n 1"),
    (ConfChange(type=ConfChangeType.ADD_LEARNER, node_id="e"), b"learner e"),
])
def test_conf_change_round_trip(cc: ConfChange, wire: bytes) -> None:
    assert cc.encode() == wire and ConfChange.decode(wire) == cc and str(cc) == wire.decode()


@pytest.mark.parametrize("wire", [b"", b"add", b"promote d", b"\xff d"])
def test_conf_change_decode_refuses(wire: bytes) -> None:
    with pytest.raises(ValueError):
        ConfChange.decode(wire)


def test_snapshot_str() -> None:
    assert str(Snapshot(index=9, term=2, voters=("a", "b"))) == "snapshot 2/9 voters=(a,b)"
    assert str(Snapshot(index=9, term=2, voters=("a",), learners=("c", "d"))) == \
        "snapshot 2/9 voters=(a) learners=(c,d)"
