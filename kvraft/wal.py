"""The real data directory: WAL segments, snapshot files and the member's identity (FORMAT_VERSION 1).

Rules (the format, one module):
- Layout, as etcd's: ``<data-dir>/member/wal/<seq:016x>.wal`` segments, ``<data-dir>/member/snap/
  <term:016x>-<index:016x>.snap`` snapshots, ``<data-dir>/member/meta.json`` (who this member is).
- A segment is a sequence of frames: 4-byte big-endian payload length, 4-byte big-endian CRC32 of the
  payload, then the payload: one JSON record (a dict, as ``kvraft/server.py`` writes them). A segment's
  first record is its header ``{"wal": FORMAT_VERSION, "base": true|false, "snap": name|null}``.
- A *base* segment is what ``replace`` wrote (compaction, snapshot install): reading starts at the newest
  base segment and ignores older segments (they are deleted after the base segment is durable). Its
  snapshot record is kept apart in ``snap/`` (header JSON line, then the raw image bytes).
- Reading: a frame cut short, or a bad CRC on the last frame of the newest segment followed only by
  zeros or nothing, is a torn tail: it is truncated away, as etcd does. A bad CRC anywhere else is
  corruption: ``WalError`` naming the file and offset, and nothing is changed on disk.
- Durability: ``write`` appends to a buffer (handed to the OS between operations, and at ``close``); ``fsync(then)`` writes the buffer and fdatasyncs it in a
  thread of its own (or, while ``sync_here()`` says so, on the loop's thread a loop turn later); fsyncs issued while one is in flight are covered together by the next one (group
  commit). ``replace`` = write temp + fsync + rename + fsync(dir). Operations complete in issue order.
- ``on_durable(segment, length)``, when set (the live harness's power-loss fault, ``--unsafe-durable-file``),
  is called after every fsync that completes, from the thread that ran it: the newest segment's name and
  how many of its bytes are now durable; anything past it (and any newer segment) a power loss may take.
  ``fsync_delay_s`` (``--unsafe-fsync-delay-ms``, the harness's slow disk: a scenario's ``fsync_ms``) holds
  each fsync back that long on the loop before it runs.
- Only the real runtime uses this module (wall-clock free, but real I/O: not for simulated code).
"""

from __future__ import annotations

import asyncio
import json
import os
import queue
import struct
import threading  # det-ok: the real WAL's fsync thread (real runtime only; the simulator never imports this module)
import time
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["FORMAT_VERSION", "Wal", "WalError", "read_meta", "write_meta", "replace_file", "has_data"]

FORMAT_VERSION = 1
SEGMENT_BYTES = 64 << 20  # roll to a new segment past this size
_HEAD = struct.Struct(">II")
_MAX_RECORD = 1 << 30


class WalError(Exception):
    """The data directory cannot be used as it is (corrupt, of another format, of another cluster)."""


def _frame(rec: Any) -> bytes:
    payload = json.dumps(rec, separators=(",", ":")).encode()
    return _HEAD.pack(len(payload), zlib.crc32(payload)) + payload


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def replace_file(path: Path, data: bytes) -> None:
    """Atomically replace ``path`` with ``data``: write temp + fsync + rename + fsync(dir)."""
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def has_data(data_dir: Path) -> bool:
    """True if ``data_dir`` already holds a member (etcd's "member" directory)."""
    return (data_dir / "member").is_dir()


def write_meta(data_dir: Path, meta: dict[str, Any]) -> None:
    (data_dir / "member" / "wal").mkdir(parents=True, exist_ok=True)
    (data_dir / "member" / "snap").mkdir(parents=True, exist_ok=True)
    replace_file(data_dir / "member" / "meta.json", json.dumps({**meta, "format": FORMAT_VERSION}, indent=1).encode())


def read_meta(data_dir: Path) -> dict[str, Any]:
    """The member's identity; raises WalError on a missing, unreadable or foreign file."""
    path = data_dir / "member" / "meta.json"
    try:
        meta = json.loads(path.read_bytes())
    except FileNotFoundError:
        raise WalError(f"{path}: missing (not a kvraft data directory)") from None
    except (OSError, ValueError) as e:
        raise WalError(f"{path}: unreadable ({e})") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT_VERSION:
        raise WalError(f"{path}: format {meta.get('format') if isinstance(meta, dict) else '?'} is not {FORMAT_VERSION}")
    return meta


def _scan(path: Path, data: bytes, last: bool) -> tuple[list[Any], int]:
    """Decode the frames of one segment; returns (records, length of the valid prefix)."""
    recs: list[Any] = []
    off = 0
    n = len(data)
    while off < n:
        if off + _HEAD.size > n:
            if last:
                return recs, off
            raise WalError(f"{path}: record cut short at offset {off}")
        size, crc = _HEAD.unpack_from(data, off)
        end = off + _HEAD.size + size
        if size == 0 and crc == 0 and not any(data[off:]):
            return recs, off  # zero-filled tail (preallocated or torn)
        if size > _MAX_RECORD or end > n:
            if last:
                return recs, off
            raise WalError(f"{path}: record cut short at offset {off}")
        payload = data[off + _HEAD.size:end]
        if zlib.crc32(payload) != crc:
            if last and not any(data[end:]):
                return recs, off  # torn final write
            raise WalError(f"{path}: bad CRC in record at offset {off}")
        try:
            recs.append(json.loads(payload))
        except ValueError:
            raise WalError(f"{path}: record at offset {off} is not JSON") from None
        off = end
    return recs, off


class _Syncer:
    """The WAL's own I/O thread: runs jobs in order and hands each outcome to the loop in one hop.

    Lighter than ``run_in_executor`` (no futures chained across threads: its completion takes two loop
    turns), which costs about as much CPU as the rest of a follower's append.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.jobs: "queue.SimpleQueue[Any]" = queue.SimpleQueue()
        self.thread = threading.Thread(target=self._run, name="wal-sync", daemon=True)
        self.thread.start()

    def submit(self, job: Callable[[], None], done: Callable[[BaseException | None], None]) -> None:
        self.jobs.put((job, done))

    def stop(self) -> None:
        self.jobs.put(None)

    def _run(self) -> None:
        while (item := self.jobs.get()) is not None:
            job, done = item
            err: BaseException | None = None
            try:
                job()
            except BaseException as e:  # handed to the loop, where it propagates
                err = e
            try:
                self.loop.call_soon_threadsafe(done, err)
            except RuntimeError:  # the loop is closed: nobody is waiting any more
                return


class Wal:
    """One member's WAL (``kvraft.runtime.Disk``): records are JSON dicts.

    Contract: ``open()`` once (reads and repairs, then appends to the newest segment); then the Disk
    calls from the event loop thread only; ``close()`` at shutdown.
    """

    def __init__(self, data_dir: Path, loop: asyncio.AbstractEventLoop | None = None, *, fsync: bool = True) -> None:
        self.dir = data_dir / "member" / "wal"
        self.snap_dir = data_dir / "member" / "snap"
        self.loop = loop
        self.do_fsync = fsync
        self._records: list[Any] = []
        self._fd = -1
        self._seq = 0
        self._size = 0
        self._buf = bytearray()
        self._ops: list[tuple[str, Any, Any]] = []  # ("sync", None, [cbs]) | ("replace", records, cb)
        self._running = False
        self.fsyncs = 0  # stats: how many fdatasyncs ran (group commit makes this < the number of fsync calls)
        self.fsync_s = 0.0  # stats: the time they took (etcd's etcd_disk_wal_fsync_duration_seconds_sum)
        self.on_durable: Callable[[str, int], None] | None = None  # see the module rules (harness only)
        self.fsync_delay_s = 0.0  # harness only: a slow disk
        self._syncer: _Syncer | None = None
        self.sync_here: Callable[[], bool] = lambda: False  # fsync on the loop's thread now? (else the sync thread)

    # ------------------------------------------------------------------ opening
    def open(self) -> None:
        """Read every durable record, truncate a torn tail, and open the newest segment for appending."""
        self.dir.mkdir(parents=True, exist_ok=True)
        self.snap_dir.mkdir(parents=True, exist_ok=True)
        for tmp in list(self.dir.glob("*.tmp")) + list(self.snap_dir.glob("*.tmp")):
            tmp.unlink()  # an unfinished replace: the rename never happened
        segs = sorted(self.dir.glob("*.wal"))
        recs: list[Any] = []
        for i, seg in enumerate(segs):
            data = seg.read_bytes()
            last = i == len(segs) - 1
            got, valid = _scan(seg, data, last)
            if valid < len(data):
                with open(seg, "r+b") as f:
                    f.truncate(valid)
                    os.fsync(f.fileno())
            if not got:
                continue
            head = got[0]
            if not (isinstance(head, dict) and head.get("wal") == FORMAT_VERSION):
                raise WalError(f"{seg}: not a kvraft WAL segment of format {FORMAT_VERSION}")
            if head.get("base"):
                recs = []
                if head.get("snap"):
                    recs.append(self._read_snap(self.snap_dir / head["snap"]))
            recs.extend(got[1:])
        self._records = recs
        if segs:
            self._seq = int(segs[-1].stem, 16)
            self._fd = os.open(segs[-1], os.O_WRONLY | os.O_APPEND)
            self._size = os.fstat(self._fd).st_size
            if self._size == 0:
                os.write(self._fd, _frame({"wal": FORMAT_VERSION, "base": False, "snap": None}))
                self._size = os.fstat(self._fd).st_size
            if self.on_durable is not None:  # what a killed process left in the page cache: durable from here
                os.fsync(self._fd)
                self._durable()
        else:
            self._roll(first=True)

    def _durable(self) -> None:
        if self.on_durable is not None:
            self.on_durable(f"{self._seq:016x}.wal", self._size)

    def _read_snap(self, path: Path) -> dict[str, Any]:
        try:
            head, _, image = path.read_bytes().partition(b"\n")
            rec = json.loads(head)
        except (OSError, ValueError) as e:
            raise WalError(f"{path}: unreadable snapshot ({e})") from None
        if not isinstance(rec, dict) or zlib.crc32(image) != rec.get("crc"):
            raise WalError(f"{path}: bad snapshot CRC")
        rec.pop("crc")
        rec["data"] = image.hex()
        return rec

    def _roll(self, first: bool = False) -> None:
        if self._fd >= 0:
            os.close(self._fd)
        self._seq += 1
        path = self.dir / f"{self._seq:016x}.wal"
        self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        head = _frame({"wal": FORMAT_VERSION, "base": first, "snap": None})
        os.write(self._fd, head)
        self._size = len(head)
        if self.do_fsync:
            os.fsync(self._fd)
            _fsync_dir(self.dir)
            self._durable()

    def close(self) -> None:
        if self._syncer is not None:
            self._syncer.stop()
            self._syncer = None
        if self._fd >= 0 and self._buf and not self._running:
            os.write(self._fd, bytes(self._buf))
            self._buf = bytearray()
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    # ------------------------------------------------------------------ Disk
    def read(self) -> list[Any]:
        return list(self._records)

    def write(self, record: Any) -> None:
        self._buf += _frame(record)
        if not self._running and not self._ops and self.loop is not None:
            self.loop.call_soon(self._flush)

    def _flush(self) -> None:
        """Hand records written without an fsync to the OS (page cache) between operations, as etcd's WAL
        does: a process kill then loses nothing it wrote; only a machine crash can."""
        if self._buf and not self._running and not self._ops and self._fd >= 0:
            buf, self._buf = bytes(self._buf), bytearray()
            os.write(self._fd, buf)
            self._size += len(buf)

    def fsync(self, then: Callable[[], None]) -> None:
        if self._ops and self._ops[-1][0] == "sync" and not (self._running and len(self._ops) == 1):
            self._ops[-1][2].append(then)  # group commit: the queued fsync will cover this one too
        else:
            self._ops.append(("sync", None, [then]))
        self._kick()

    def replace(self, records: list[Any], then: Callable[[], None]) -> None:
        self._ops.append(("replace", list(records), then))
        self._kick()

    def _kick(self) -> None:
        if self._running or not self._ops:
            return
        kind, arg, cbs = self._ops[0]
        self._running = True
        if kind == "sync" and self.fsync_delay_s <= 0 and self.sync_here():
            (self.loop or asyncio.get_event_loop()).call_soon(self._sync_here)
            return
        buf, self._buf = bytes(self._buf), bytearray()
        job = (lambda: self._sync(buf)) if kind == "sync" else (lambda: self._replace(buf, arg))
        loop = self.loop or asyncio.get_event_loop()
        if self._syncer is None:
            self._syncer = _Syncer(loop)
        if self.fsync_delay_s > 0:
            loop.call_later(self.fsync_delay_s, self._syncer.submit, job, lambda err: self._done(err, cbs))
        else:
            self._syncer.submit(job, lambda err: self._done(err, cbs))

    def _done(self, err: BaseException | None, cbs: Any) -> None:
        if err is not None:
            raise err  # a failed write or fsync must not be acknowledged: let it propagate
        self._ops.pop(0)
        self._running = False
        for cb in (cbs if isinstance(cbs, list) else [cbs]):
            cb()
        self._kick()

    def _sync_here(self) -> None:
        """The fsync on the loop's thread: covers every sync queued before it runs (their records are written)."""
        cbs: list[Callable[[], None]] = []
        while self._ops and self._ops[0][0] == "sync":
            cbs.extend(self._ops.pop(0)[2])
        buf, self._buf = bytes(self._buf), bytearray()
        self._sync(buf)  # a failed write or fsync must not be acknowledged: let it propagate
        self._running = False
        for cb in cbs:
            cb()
        self._kick()

    def replace_now(self, records: list[Any]) -> None:
        """``replace``, synchronously (offline tools: backup, --force-new-cluster before the member starts)."""
        self._replace(b"", list(records))

    # ------------------------------------------------------------------ jobs of the sync thread
    def _sync(self, buf: bytes) -> None:
        if buf:
            os.write(self._fd, buf)
            self._size += len(buf)
        if self.do_fsync:
            t0 = time.monotonic()  # det-ok: real disk stats (/metrics), never simulated
            os.fdatasync(self._fd)
            self.fsync_s += time.monotonic() - t0  # det-ok: as above
            self._durable()
        self.fsyncs += 1
        if self._size > SEGMENT_BYTES:
            self._roll()

    def _replace(self, pending: bytes, records: list[Any]) -> None:
        if pending:  # writes made before the replace: superseded by it, but keep issue order simple
            os.write(self._fd, pending)
        snap_name = None
        rest = records
        if records and isinstance(records[0], dict) and records[0].get("r") == "snapshot":
            snap = dict(records[0])
            image = bytes.fromhex(snap.pop("data"))
            snap["crc"] = zlib.crc32(image)
            snap_name = f"{snap['term']:016x}-{snap['index']:016x}.snap"
            replace_file(self.snap_dir / snap_name, json.dumps(snap, separators=(",", ":")).encode() + b"\n" + image)
            rest = records[1:]
        old = sorted(self.dir.glob("*.wal"))
        seq = self._seq + 1
        data = _frame({"wal": FORMAT_VERSION, "base": True, "snap": snap_name}) + b"".join(_frame(r) for r in rest)
        path = self.dir / f"{seq:016x}.wal"
        replace_file(path, data)
        os.close(self._fd)
        self._seq = seq
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND)
        self._size = len(data)
        for p in old:
            p.unlink()
        keep = {snap_name}
        for p in self.snap_dir.glob("*.snap"):
            if p.name not in keep:
                p.unlink()
        self._durable()
        self.fsyncs += 1
