"""The live power-loss fault on a kvraft data dir (no root needed): the WAL is cut back to its durable mark."""

from __future__ import annotations

import json

import pytest

from scenarios.live.members import Members
from scenarios.live.network import Network


def test_lose_unsynced_truncates_to_the_durable_mark_and_drops_newer_segments(tmp_path):
    m = Members("kvraft", "etcd", Network("rsl00001", ["n1"]), tmp_path, {})
    wal = tmp_path / "data" / "n1" / "member" / "wal"
    wal.mkdir(parents=True)
    (wal / f"{1:016x}.wal").write_bytes(b"a" * 100)
    (wal / f"{2:016x}.wal").write_bytes(b"b" * 50)
    (wal / f"{3:016x}.wal").write_bytes(b"c" * 30)  # created after the last fsync: gone with the power
    m.durable_file("n1").parent.mkdir(parents=True)
    m.durable_file("n1").write_text(json.dumps({"segment": f"{2:016x}.wal", "length": 20}).ljust(96))
    assert m.lose_unsynced("n1") == "60 unsynced WAL bytes lost"
    assert sorted((p.name, p.stat().st_size) for p in wal.iterdir()) == [(f"{1:016x}.wal", 100), (f"{2:016x}.wal", 20)]
    assert m.lose_unsynced("n1") == "0 unsynced WAL bytes lost"  # nothing past the mark any more


def test_lose_unsynced_without_a_mark_fails_in_one_line(tmp_path):
    m = Members("kvraft", "etcd", Network("rsl00001", ["n1"]), tmp_path, {})
    with pytest.raises(RuntimeError, match="no durable WAL mark"):
        m.lose_unsynced("n1")
