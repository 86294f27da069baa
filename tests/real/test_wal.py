"""The real data directory (kvraft/wal.py): round trips, torn tails, corruption, group commit, replace."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kvraft.wal import Wal, WalError

RECORD = st.dictionaries(st.sampled_from(["r", "index", "term", "data"]),
                         st.one_of(st.integers(0, 2**40), st.text(max_size=20)), min_size=1)


def _run(fn):
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(fn(loop))
    finally:
        loop.close()


def _write(data_dir: Path, recs: list, *, fsync: bool = False) -> None:
    async def go(loop):
        w = Wal(data_dir, loop, fsync=fsync)
        w.open()
        done = loop.create_future()
        for r in recs:
            w.write(r)
        w.fsync(lambda: done.set_result(None))
        await done
        w.close()
    _run(go)


def _read(data_dir: Path) -> list:
    w = Wal(data_dir, fsync=False)
    w.open()
    w.close()
    return w.read()


@settings(max_examples=25, deadline=None)
@given(st.lists(RECORD, max_size=20), st.lists(RECORD, max_size=5))
def test_records_written_and_fsynced_read_back_in_order(tmp_path_factory, first, second) -> None:
    d = tmp_path_factory.mktemp("wal")
    _write(d, first)
    _write(d, second)
    assert _read(d) == first + second


def _segment(d: Path) -> Path:
    return sorted((d / "member" / "wal").glob("*.wal"))[-1]


def test_torn_tail_is_truncated(tmp_path: Path) -> None:
    _write(tmp_path, [{"r": "a"}, {"r": "b"}])
    seg = _segment(tmp_path)
    size = seg.stat().st_size
    with open(seg, "ab") as f:
        f.write(b"\x00\x00\x01\x00\x12\x34")  # a frame header promising 256 bytes that never came
    assert _read(tmp_path) == [{"r": "a"}, {"r": "b"}]
    assert seg.stat().st_size == size


def test_bad_crc_on_the_last_record_is_a_torn_write(tmp_path: Path) -> None:
    _write(tmp_path, [{"r": "a"}, {"r": "b"}])
    seg = _segment(tmp_path)
    data = bytearray(seg.read_bytes())
    data[-2] ^= 0xFF
    seg.write_bytes(bytes(data))
    assert _read(tmp_path) == [{"r": "a"}]


def test_bad_crc_in_the_middle_refuses_with_file_and_offset(tmp_path: Path) -> None:
    _write(tmp_path, [{"r": "a"}, {"r": "b"}, {"r": "c"}])
    seg = _segment(tmp_path)
    before = seg.read_bytes()
    data = bytearray(before)
    i = data.index(b'{"r":"b"}')
    data[i + 6] ^= 0x01
    seg.write_bytes(bytes(data))
    with pytest.raises(WalError, match=rf"{seg.name}: bad CRC in record at offset {i - 8}"):
        _read(tmp_path)
    assert seg.read_bytes() == bytes(data)  # nothing touched


def test_group_commit_covers_many_fsyncs_with_few_fdatasyncs(tmp_path: Path) -> None:
    async def go(loop):
        w = Wal(tmp_path, loop, fsync=True)
        w.open()
        done: list[int] = []
        futs = []
        for i in range(200):
            w.write({"r": "x", "i": i})
            f = loop.create_future()
            w.fsync(lambda i=i, f=f: (done.append(i), f.set_result(None)))
            futs.append(f)
        await asyncio.gather(*futs)
        w.close()
        return w.fsyncs, done
    fsyncs, done = _run(go)
    assert done == list(range(200))  # in issue order
    assert fsyncs <= 3  # the first alone, then one covering the rest
    assert len(_read(tmp_path)) == 200


def test_replace_swaps_the_log_and_keeps_the_snapshot_apart(tmp_path: Path) -> None:
    snap = {"r": "snapshot", "format": 1, "index": 7, "term": 2, "voters": ["a"], "learners": [], "data": b"img".hex()}

    async def go(loop):
        w = Wal(tmp_path, loop, fsync=True)
        w.open()
        for i in range(5):
            w.write({"r": "old", "i": i})
        done = loop.create_future()
        w.fsync(lambda: None)
        w.replace([snap, {"r": "hard-state", "term": 2}], lambda: done.set_result(None))
        await done
        w.write({"r": "new"})
        done2 = loop.create_future()
        w.fsync(lambda: done2.set_result(None))
        await done2
        w.close()
    _run(go)
    assert _read(tmp_path) == [snap, {"r": "hard-state", "term": 2}, {"r": "new"}]
    assert [p.name for p in (tmp_path / "member" / "snap").iterdir()] == [f"{2:016x}-{7:016x}.snap"]
    assert len(list((tmp_path / "member" / "wal").glob("*.wal"))) == 1


def test_durable_hook_marks_what_fsync_covered_and_a_cut_back_keeps_only_that(tmp_path) -> None:
    """The live harness's power loss: truncating to the last ``on_durable`` length keeps the fsynced records."""
    marks: list[tuple[str, int]] = []

    async def go(loop):
        w = Wal(tmp_path, loop, fsync=True)
        w.on_durable = lambda seg, n: marks.append((seg, n))
        w.open()
        done = loop.create_future()
        w.write({"r": "synced"})
        w.fsync(lambda: done.set_result(None))
        await done
        w.write({"r": "unsynced"})  # handed to the page cache on the next loop turn, never fsynced
        await asyncio.sleep(0.01)
        w.close()
    _run(go)
    seg, length = marks[-1]
    path = tmp_path / "member" / "wal" / seg
    assert len(marks) >= 2 and path.stat().st_size > length  # the unsynced record is on file, past the mark
    assert [r["r"] for r in _read(tmp_path)] == ["synced", "unsynced"]  # kill -9: the page cache survives
    path.write_bytes(path.read_bytes()[:length])
    assert [r["r"] for r in _read(tmp_path)] == ["synced"]  # power loss: only what fsync covered
