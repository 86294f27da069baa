"""Peer transport: Raft messages between members over TCP (real runtime only).

Rules:
- One long-lived outbound connection per peer; a frame is a 4-byte big-endian length and a JSON
  payload. The first frame is a hello ``{"cluster": hex, "from": id, "to": id}`` (JSON); then each frame
  is a binary batch of messages (``kvraft/codec.py``; a JSON list of ``encode``d messages is read too): every message for that peer produced in one loop
  iteration, written with one ``transport.write`` at its end (no per-message task switch or drain).
- The receiving side rejects a hello of another cluster id or for another member (closes, logs one
  line), and drops (logs) frames that do not decode.
- ``send`` never blocks: a bounded queue per peer drops the message when full (Raft retries); past
  ``HIGH_WATER`` unsent bytes on the socket, messages queue until it drains.
  A broken connection is re-dialled with exponential back-off (50 ms to 1 s); queued messages
  survive the reconnect.
- A hello ``{"want": "members"}`` gets one frame with the cluster's members (``members_fn()``) and
  the connection is closed: how a member started with ``--initial-cluster-state existing`` learns
  its cluster.
- Counts, for ``/v2/stats``: AppendEntries sent and received (``send_append``, ``recv_append``) and their rates
  (``send_rate``, ``recv_rate``: etcd's queues of the last 200, each AppendEntries counted with its share of
  the frame's bytes, at the wall time its frame was written or read; ``kvraft/stats.py``), and per peer
  etcd's follower stats (``_Link.stats``): each AppendEntries written to the socket is a success timed by its
  frame's write (ms, as etcd times a message written to its stream), each one dropped (queue full) a failure.
- A hello from a member this cluster removed (``is_removed(id)``) gets one frame ``{"removed": true}``
  and the connection is closed; the dialer hearing it calls ``on_removed()`` (etcd's rafthttp answers a
  removed member the same way, and the member stops: it may never see its removal committed, since the
  leader stops replicating to it once the change is in its log).
"""

from __future__ import annotations

import asyncio
import json
import logging
import ssl
import struct
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from .codec import BATCH, CodecError, decode, decode_batch, encode_batch
from .raft.messages import AppendEntries
from .stats import FollowerStats, RateQueue

__all__ = ["FollowerStats", "PeerTransport", "fetch_members", "read_frame", "write_frame"]

log = logging.getLogger("kvraft.peer")
_LEN = struct.Struct(">I")
MAX_FRAME = 256 << 20
QUEUE_MAX = 4096
HIGH_WATER = 4 << 20  # bytes unsent on a peer socket before messages wait for the dialling task


async def read_payload(reader: asyncio.StreamReader) -> bytes:
    head = await reader.readexactly(4)
    (n,) = _LEN.unpack(head)
    if n > MAX_FRAME:
        raise ValueError(f"frame of {n} bytes")
    return await reader.readexactly(n)


async def read_frame(reader: asyncio.StreamReader) -> Any:
    return json.loads(await read_payload(reader))


def write_frame(writer: asyncio.StreamWriter, doc: Any) -> None:
    payload = json.dumps(doc, separators=(",", ":")).encode()
    writer.write(_LEN.pack(len(payload)) + payload)


class _Link:
    """The outbound connection to one peer.

    Every message pushed during one loop iteration leaves in one frame and one ``transport.write`` at the
    end of it (``_flush``, scheduled once per iteration): no task switch and no ``drain`` per message. Only
    when the socket's buffer is above ``HIGH_WATER`` (a slow peer) or the connection is down do messages wait
    for the dialling task, which drains, re-dials and flushes.
    """

    def __init__(self, transport: "PeerTransport", peer: str) -> None:
        self.t = transport
        self.peer = peer
        self.queue: deque[Any] = deque()
        self.wake = asyncio.Event()
        self.writer: asyncio.StreamWriter | None = None  # set while connected
        self._scheduled = False
        self._loop = asyncio.get_event_loop()
        self.task = asyncio.ensure_future(self._run())
        self.dropped = 0
        self.stats = FollowerStats()

    def push(self, msg: Any) -> None:
        if len(self.queue) >= QUEUE_MAX:
            self.dropped += 1
            if isinstance(msg, AppendEntries):
                self.stats.fail += 1
            return
        self.queue.append(msg)
        if not self._scheduled:
            self._scheduled = True
            self._loop.call_soon(self._flush)

    def _flush(self) -> None:
        """Write what is queued as one frame, unless the link is down or backed up (then the task does)."""
        self._scheduled = False
        w = self.writer
        if w is None or w.transport.is_closing() or w.transport.get_write_buffer_size() > HIGH_WATER:
            self.wake.set()
            return
        self._write(w)

    def _write(self, w: asyncio.StreamWriter) -> None:
        while self.queue:
            batch = []
            appends = 0
            while self.queue and len(batch) < 512:
                msg = self.queue.popleft()
                appends += type(msg) is AppendEntries
                batch.append(msg)
            payload = encode_batch(batch)
            t0 = time.monotonic()  # det-ok: real-mode peer link, never simulated
            w.write(_LEN.pack(len(payload)) + payload)
            ms = (time.monotonic() - t0) * 1e3  # det-ok: as above
            if appends:
                at_ns, share = time.monotonic_ns(), len(payload) // len(batch)  # det-ok: as above
                for _ in range(appends):
                    self.stats.succ(ms)
                    self.t.send_rate.insert(at_ns, share)

    async def _run(self) -> None:
        backoff = 0.05
        while not self.t.closed:
            addr = self.t.addresses.get(self.peer)
            if addr is None:
                await asyncio.sleep(0.2)
                continue
            host, port, tls = addr
            closed: asyncio.Future[Any] | None = None
            try:
                reader, writer = await asyncio.wait_for(
                    asyncio.open_connection(host, port, ssl=self.t.client_ssl if tls else None), 2)
            except (OSError, asyncio.TimeoutError, ssl.SSLError):
                await asyncio.sleep(backoff)
                backoff = min(1.0, backoff * 2)
                continue
            backoff = 0.05
            try:
                write_frame(writer, {"cluster": self.t.cluster_id, "from": self.t.node_id, "to": self.peer})
                # The peer writes nothing but a "removed" notice: EOF or that frame ends the connection.
                closed = asyncio.ensure_future(read_frame(reader))
                closed.add_done_callback(lambda _: self.wake.set())  # one Event to wait on, not asyncio.wait per batch
                self.writer = writer
                while not self.t.closed and not closed.done():
                    if self.queue:
                        self._write(writer)
                    self.wake.clear()
                    await writer.drain()  # returns at once unless the buffer is above the high-water mark
                    if not self.queue:
                        await self.wake.wait()
                closed.cancel()
            except (OSError, ConnectionError, asyncio.IncompleteReadError):
                pass
            finally:
                self.writer = None
                writer.close()
            if closed is not None and closed.done() and not closed.cancelled() and closed.exception() is None \
                    and closed.result() == {"removed": True}:
                log.error("failed to dial %s (the member has been permanently removed from the cluster)", self.peer)
                self.t.on_removed()
                return
            await asyncio.sleep(backoff)


class _Inbound(asyncio.Protocol):
    """One inbound peer connection: frames parsed as they arrive and delivered at once (no reader task, so no
    loop turn per frame). The first frame is the hello (``PeerTransport.hello``), due within 10 s."""

    def __init__(self, t: "PeerTransport") -> None:
        self.t = t
        self.buf = bytearray()
        self.src: str | None = None
        self.transport: Any = None
        self.timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: Any) -> None:
        self.transport = transport
        self.timer = asyncio.get_event_loop().call_later(10, transport.close)

    def connection_lost(self, exc: Exception | None) -> None:
        if self.timer is not None:
            self.timer.cancel()

    def _refuse(self, answer: Any) -> None:
        if answer is not None:
            payload = json.dumps(answer, separators=(",", ":")).encode()
            self.transport.write(_LEN.pack(len(payload)) + payload)
        self.transport.close()
        self.buf = bytearray()

    def data_received(self, data: bytes) -> None:
        self.buf += data
        buf = self.buf
        off = 0
        try:
            while len(buf) - off >= 4 and not self.transport.is_closing() and not self.t.closed:
                (n,) = _LEN.unpack_from(buf, off)
                if n > MAX_FRAME:
                    raise ValueError(f"frame of {n} bytes")
                if len(buf) - off - 4 < n:
                    break
                payload = bytes(buf[off + 4:off + 4 + n])
                off += 4 + n
                if self.src is None:
                    if self.timer is not None:
                        self.timer.cancel()
                    self.src, answer = self.t.hello(json.loads(payload))
                    if self.src is None:
                        self._refuse(answer)
                        return
                elif not self.t.frame(self.src, payload):
                    self._refuse({"removed": True})
                    return
        except (ValueError, ssl.SSLError):  # not our framing or JSON: close without a word
            self._refuse(None)
            return
        del buf[:off]


class PeerTransport:
    """Sends Raft messages to peers and hands received ones to ``on_message(src, msg)``.

    ``addresses`` maps a member id to (host, port, tls); it may change while running (membership).
    """

    def __init__(self, node_id: str, cluster_id: str, on_message: Callable[[str, Any], None], *,
                 members_fn: Callable[[], Any] = lambda: None, client_ssl: ssl.SSLContext | None = None,
                 is_removed: Callable[[str], bool] = lambda _: False,
                 on_removed: Callable[[], None] = lambda: None) -> None:
        self.node_id = node_id
        self.is_removed = is_removed
        self.on_removed = on_removed
        self.cluster_id = cluster_id
        self.on_message = on_message
        self.members_fn = members_fn
        self.client_ssl = client_ssl
        self.addresses: dict[str, tuple[str, int, bool]] = {}
        self.links: dict[str, _Link] = {}
        self.servers: list[asyncio.AbstractServer] = []
        self.closed = False
        self.rejected = 0
        self.send_append = 0
        self.recv_append = 0
        self.send_rate = RateQueue()
        self.recv_rate = RateQueue()

    def send(self, to: str, msg: Any) -> None:
        if isinstance(msg, AppendEntries):
            self.send_append += 1
        link = self.links.get(to)
        if link is None:
            if to not in self.addresses:
                return
            link = self.links[to] = _Link(self, to)
        link.push(msg)

    async def listen(self, host: str, port: int, server_ssl: ssl.SSLContext | None = None) -> None:
        loop = asyncio.get_running_loop()
        self.servers.append(await loop.create_server(lambda: _Inbound(self), host, port, ssl=server_ssl))

    def hello(self, hello: Any) -> tuple[str | None, Any]:
        """Judge an inbound connection's first frame: (the peer's id or None to close, a frame to answer first)."""
        if not isinstance(hello, dict):
            return None, None
        if hello.get("want") == "members":
            return None, self.members_fn()
        if hello.get("cluster") != self.cluster_id or hello.get("to") != self.node_id:
            self.rejected += 1
            log.warning("rejected peer connection: cluster %s to %s (we are cluster %s member %s)",
                        hello.get("cluster"), hello.get("to"), self.cluster_id, self.node_id)
            return None, None
        src = str(hello.get("from"))
        if self.is_removed(src):
            log.error("rejected the stream from removed member %s", src)
            return None, {"removed": True}
        return src, None

    def frame(self, src: str, payload: bytes) -> bool:
        """Deliver one frame from ``src``; False if the connection must close (``src`` was removed meanwhile)."""
        if self.is_removed(src):  # removed since it connected: it still sends (it campaigns), refuse it now
            log.error("rejected the stream from removed member %s", src)
            return False
        msgs = self._messages(src, payload)
        at_ns, share = time.monotonic_ns(), len(payload) // max(1, len(msgs))  # det-ok: real-mode peer link
        for msg in msgs:
            if msg.frm == src:
                if type(msg) is AppendEntries:
                    self.recv_append += 1
                    self.recv_rate.insert(at_ns, share)
                self.on_message(src, msg)
        return True

    @staticmethod
    def _messages(src: str, payload: bytes) -> list[Any]:
        """A frame's messages: a binary batch (``kvraft/codec.py``) or a JSON list; what does not decode is logged
        and dropped (a bad binary batch whole: its boundaries are lost)."""
        if payload[:1] == BATCH:
            try:
                return decode_batch(payload)
            except CodecError as e:
                log.warning("dropped a bad batch from %s: %s", src, e)
                return []
        batch = json.loads(payload)
        out = []
        for doc in batch if isinstance(batch, list) else ():
            try:
                out.append(decode(doc))
            except CodecError as e:
                log.warning("dropped a bad message from %s: %s", src, e)
        return out

    async def close(self) -> None:
        self.closed = True
        for link in self.links.values():
            link.task.cancel()
        for s in self.servers:
            s.close()


async def fetch_members(host: str, port: int, tls: ssl.SSLContext | None = None, timeout: float = 3.0) -> Any:
    """Ask the member at (host, port) for its cluster's members (``--initial-cluster-state existing``)."""
    reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port, ssl=tls), timeout)
    try:
        write_frame(writer, {"want": "members"})
        await writer.drain()
        return await asyncio.wait_for(read_frame(reader), timeout)
    finally:
        writer.close()
