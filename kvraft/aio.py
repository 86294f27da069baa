"""The real runtime: ``kvraft.runtime.Runtime`` on an asyncio event loop, real clocks, sockets and disk.

Rules:
- Everything runs on the loop's thread: timers are ``loop.call_later``; the WAL's fsyncs run in a
  thread of the WAL's own, but their callbacks come back to the loop. The server code stays callbacks-only.
- ``now()`` is the wall clock in ns since the store's ``EPOCH`` (2026-01-01T00:00:00Z, as virtual time in
  the simulator: ``time.time_ns() - EPOCH_UNIX_NS``) plus ``clock_offset_ns``, which only a test harness
  sets (to skew a member, issue 19); ``monotonic()`` is ``time.monotonic_ns``.
- ``send`` to a local endpoint (an HTTP request waiting in this process, registered with
  ``open_endpoint``) calls its ``on_message`` at once, so that must only hand the message on (a queue's
  ``put_nowait``), never call back into the server; anything else goes to the peer transport.
- ``trace`` is a no-op unless a ``tracer`` is given (debugging).
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable
from typing import Any

from .peer import PeerTransport
from .runtime import Disk
from .store.expiry import EPOCH_UNIX_NS

__all__ = ["AioRuntime"]


class AioRuntime:
    """One member's Runtime on a running asyncio loop."""

    def __init__(self, node_id: str, disk: Disk, transport: PeerTransport | None,
                 loop: asyncio.AbstractEventLoop, tracer: Callable[[str, dict[str, Any]], None] | None = None) -> None:
        self.node_id = node_id
        self.disk = disk
        self.transport = transport
        self.loop = loop
        self.clock_offset_ns = 0
        self._tracer = tracer
        self._receiver: Callable[[str, Any], None] | None = None
        self._endpoints: dict[str, Callable[[Any], None]] = {}
        self._ids = itertools.count(1)

    def now(self) -> int:
        return time.time_ns() - EPOCH_UNIX_NS + self.clock_offset_ns

    def monotonic(self) -> int:
        return time.monotonic_ns()

    def after(self, delay_ns: int, fn: Callable[[], None]) -> asyncio.TimerHandle:
        if delay_ns < 0:
            raise ValueError(f"after() with negative delay {delay_ns}")
        return self.loop.call_later(delay_ns / 1e9, fn)

    def send(self, to: str, msg: Any) -> None:
        ep = self._endpoints.get(to)
        if ep is not None:
            ep(msg)  # a queue's put_nowait: wakes the waiting request on the next loop turn
        elif self.transport is not None:
            self.transport.send(to, msg)

    def set_receiver(self, fn: Callable[[str, Any], None]) -> None:
        self._receiver = fn

    def trace(self, kind: str, **fields: Any) -> None:
        if self._tracer is not None:
            self._tracer(kind, fields)

    # ------------------------------------------------------------------ for the edges of this process
    def deliver(self, src: str, msg: Any) -> None:
        """Hand ``msg`` to the server as if it came from ``src`` (a peer or a local endpoint)."""
        if self._receiver is not None:
            self._receiver(src, msg)

    def open_endpoint(self, on_message: Callable[[Any], None]) -> str:
        """A new local address whose messages go to ``on_message``; close it with ``close_endpoint``."""
        name = f"local/{next(self._ids)}"
        self._endpoints[name] = on_message
        return name

    def close_endpoint(self, name: str) -> None:
        self._endpoints.pop(name, None)
