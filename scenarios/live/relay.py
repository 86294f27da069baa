"""The peer-link relay: latency, duplication and reordering on live peer links, without netem.

Rules:
- One listener per directed member pair A->B on the bridge address (the root namespace); an nftables DNAT
  rule in A's namespace (``Network.redirect``) sends A's connections to B's peer port there, and the relay
  dials B. Every byte A sends on such a connection travels link A->B, every byte B answers travels B->A.
- Each direction is a pump: a reader puts what it read on a heap keyed by delivery time, a writer delivers
  it when due. A link's setting (``sim.faults.LinkFaults``; None: pass through) gives the delay: its
  ``latency`` sampled per chunk (jitter included) plus ``reorder_delay`` for a ``reorder`` share.
- ``framed`` (kvraft: a 4-byte big-endian length and a payload, kvraft/peer.py) works on whole frames: a
  ``dup`` share of frames is delivered twice (each copy its own delay), and frames overtake each other
  when their delays say so. The first frame of a connection (the hello) is never duplicated or held back.
- Not framed (etcd's rafthttp streams): bytes stay in order (a chunk never leaves before the one before
  it), so only latency applies; duplication and reordering are refused by ``unsupported`` with the reason.
- Cuts and loss stay nftables rules, moved onto the relay's legs (``Network.set_cut``): a relayed link is
  cut exactly as a direct one.
- The relay runs its own asyncio loop in one thread of the harness (it must forward peer traffic while
  the harness boots the cluster with blocking calls); ``set_link`` hands settings over with
  ``call_soon_threadsafe``; ``stop`` closes every connection and joins the thread. Delays draw from an
  rng forked from the run's seed, but a live run is not reproducible anyway.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import random
import struct
import threading
from typing import Any

from sim import faults as F

__all__ = ["Relay", "link_setting", "unsupported"]

_LEN = struct.Struct(">I")
MAX_FRAME = 256 << 20
CHUNK = 65536
_EOF = b""


def unsupported(system: str, lf: Any) -> str | None:
    """Why ``lf`` cannot be applied on ``system``'s peer links, or None."""
    if system == "kvraft":
        return None
    what = [w for w, v in (("dup", lf.dup), ("reorder", lf.reorder)) if v]
    if not what:
        return None
    return (f"{', '.join(what)} on {system} peer links: its streams (rafthttp) carry no frame boundary the "
            "relay can see, so whole messages cannot be duplicated or reordered (latency and loss apply)")


class Relay:
    """Listeners for every directed pair of ``nodes``; ``ports[(a, b)]`` is a->b's listener port."""

    def __init__(self, host: str, nodes: list[str], addr: Any, peer_port: int, *, framed: bool,
                 rng: random.Random) -> None:
        self.host = host
        self.nodes = list(nodes)
        self.addr = addr  # node -> its address
        self.peer_port = peer_port
        self.framed = framed
        self.rng = rng
        self.ports: dict[tuple[str, str], int] = {}
        self.links: dict[tuple[str, str], Any] = {}  # (a, b) -> LinkFaults | None; read on the relay's loop
        self.counts = {"connections": 0, "chunks": 0, "duplicated": 0, "reordered": 0}
        self._loop = asyncio.new_event_loop()
        self._servers: list[asyncio.AbstractServer] = []
        self._conns: set[asyncio.Task] = set()
        self._seq = itertools.count()
        self._thread: threading.Thread | None = None

    # -- control (harness thread) ----------------------------------------------------------------
    def start(self) -> None:
        """Bind every listener, then run the loop in its thread; ``ports`` is filled when this returns."""
        for a in self.nodes:
            for b in self.nodes:
                if a != b:
                    srv = self._loop.run_until_complete(
                        asyncio.start_server(self._handler(a, b), self.host, 0))
                    self._servers.append(srv)
                    self.ports[(a, b)] = srv.sockets[0].getsockname()[1]
        self._thread = threading.Thread(target=self._loop.run_forever, name="raftsim-relay", daemon=True)
        self._thread.start()

    def set_link(self, a: str, b: str, setting: Any) -> None:
        """Link a->b takes ``setting`` (a LinkFaults, or None to pass through) for what it relays next."""
        self._loop.call_soon_threadsafe(self.links.__setitem__, (a, b), setting)

    def stop(self) -> None:
        if self._thread is None:
            self._loop.close()
            return
        fut = asyncio.run_coroutine_threadsafe(self._close(), self._loop)
        try:
            fut.result(timeout=10)
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)
            self._thread = None
            self._loop.close()

    async def _close(self) -> None:
        for s in self._servers:
            s.close()
        for t in list(self._conns):
            t.cancel()
        await asyncio.gather(*self._conns, return_exceptions=True)

    # -- the relay's loop ------------------------------------------------------------------------
    def _handler(self, a: str, b: str) -> Any:
        async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            task = asyncio.current_task()
            assert task is not None
            self._conns.add(task)
            self.counts["connections"] += 1
            try:
                await self._relay(a, b, reader, writer)
            finally:
                self._conns.discard(task)
        return serve

    async def _relay(self, a: str, b: str, ra: asyncio.StreamReader, wa: asyncio.StreamWriter) -> None:
        try:
            rb, wb = await asyncio.wait_for(asyncio.open_connection(self.addr(b), self.peer_port), 2)
        except (OSError, asyncio.TimeoutError):
            wa.close()
            return
        pumps = [asyncio.ensure_future(self._pump((a, b), ra, wb, self.framed)),
                 asyncio.ensure_future(self._pump((b, a), rb, wa, False))]
        try:
            await asyncio.wait(pumps, return_when=asyncio.FIRST_EXCEPTION)
            await asyncio.gather(*pumps, return_exceptions=True)
        finally:
            for p in pumps:
                p.cancel()
            await asyncio.gather(*pumps, return_exceptions=True)
            wa.close()
            wb.close()

    async def _read(self, reader: asyncio.StreamReader, framed: bool) -> bytes:
        if not framed:
            return await reader.read(CHUNK)
        try:
            head = await reader.readexactly(4)
        except asyncio.IncompleteReadError as e:
            return e.partial  # a torn frame is passed on as it is (the receiver reports it)
        (n,) = _LEN.unpack(head)
        if n > MAX_FRAME:
            return head  # not ours to judge: the receiver drops the connection
        try:
            return head + await reader.readexactly(n)
        except asyncio.IncompleteReadError as e:
            return head + e.partial

    def _delay_ns(self, lf: Any, framed: bool, first: bool) -> tuple[int, bool]:
        if lf is None:
            return 0, False
        d = lf.latency.sample(self.rng) if lf.latency is not None else 0
        held = framed and not first and lf.reorder > 0 and self.rng.random() < lf.reorder
        if held:
            d += lf.reorder_delay.sample(self.rng)
        return d, held

    async def _pump(self, link: tuple[str, str], reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                    framed: bool) -> None:
        loop = asyncio.get_running_loop()
        heap: list[tuple[float, int, bytes]] = []
        ready = asyncio.Event()
        last_at = 0.0  # unframed: nothing leaves before what was read earlier

        async def deliver() -> None:
            while True:
                while not heap:
                    ready.clear()
                    await ready.wait()
                at, _, data = heap[0]
                wait = at - loop.time()
                if wait > 0:
                    ready.clear()
                    try:
                        await asyncio.wait_for(ready.wait(), wait)  # an earlier item may arrive meanwhile
                    except asyncio.TimeoutError:
                        pass
                    continue
                heapq.heappop(heap)
                if not data:
                    if writer.can_write_eof():
                        writer.write_eof()
                    return
                writer.write(data)
                await writer.drain()

        sender = asyncio.ensure_future(deliver())
        first = True
        try:
            while True:
                data = await self._read(reader, framed)
                now = loop.time()
                if not data:
                    heapq.heappush(heap, (max([now, last_at, *(h[0] for h in heap)]), next(self._seq), _EOF))
                    ready.set()
                    break
                lf = self.links.get(link)
                copies = 2 if framed and not first and lf is not None and lf.dup > 0 and self.rng.random() < lf.dup else 1
                for _ in range(copies):
                    delay_ns, held = self._delay_ns(lf, framed, first)
                    at = now + delay_ns / 1e9
                    if not framed:
                        at = last_at = max(at, last_at)
                    heapq.heappush(heap, (at, next(self._seq), data))
                    self.counts["reordered"] += held
                self.counts["chunks"] += 1
                self.counts["duplicated"] += copies - 1
                first = False
                ready.set()
            await sender
        finally:
            sender.cancel()
            await asyncio.gather(sender, return_exceptions=True)


def link_setting(lf: Any) -> Any:
    """What the relay keeps of a LinkFaults (None when it asks for no delay, duplication or reordering)."""
    if not isinstance(lf, F.LinkFaults) or (lf.latency is None and not lf.dup and not lf.reorder):
        return None
    return lf
