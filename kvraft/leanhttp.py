"""The lean HTTP/1.1 path: plain ``/v2/keys`` requests answered without aiohttp (real runtime only).

Rules:
- Every client connection starts here (``LeanConnection``, an ``asyncio.Protocol``; TLS is the transport's,
  client certificates included). A request is answered here only if it is a keep-alive HTTP/1.1 GET, PUT,
  POST or DELETE of ``/v2/keys...`` with a plain path (no ``%``, ``+``, ``//`` or ``/.``), a
  ``Content-Length`` body of at most ``MAX_FORM_BYTES``, no ``Transfer-Encoding``, ``Expect``,
  ``Connection`` or ``Upgrade`` header, a ``Host`` header, and no ``wait`` in its query (a watch streams). Anything else, from
  the first byte of that request on, is handed to aiohttp (``HttpApi``'s application, the same routes), which
  then owns the connection: chunked watches, huge or malformed requests, HTTP/1.0, ``Connection: close``.
- The answer comes from the same code as aiohttp's route (``HttpApi.answer``, which sends the simulator's
  ``ClientRequest`` to the member), and is written as aiohttp writes it: the same status line, headers in the
  same order (``Content-Length``, ``Date``, ``Server`` last), the same body, in one ``transport.write``.
- Requests on one connection are answered in order, one at a time (pipelined ones wait in the buffer).
  Headers not complete within ``MAX_HEAD`` bytes go to aiohttp, which refuses them; a slow client holds only
  its own connection.
- A client that goes away cancels its request (``HttpApi._ask`` then closes its endpoint and watcher).
- A connection idle for ``KEEPALIVE_S`` with no request being answered (between requests, or in the middle
  of one that stopped coming) is closed, as aiohttp's keep-alive timeout does.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import time
from collections.abc import Callable
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from aiohttp.http import SERVER_SOFTWARE

from .store.request import RequestKind, parse_request

if TYPE_CHECKING:
    from .httpapi import HttpApi

__all__ = ["LeanConnection"]

log = logging.getLogger("kvraft.http")

MAX_HEAD = 64 << 10
KEEPALIVE_S = 75.0  # aiohttp's keepalive_timeout
_METHODS = frozenset({"GET", "PUT", "POST", "DELETE"})
_HANDED = frozenset({"transfer-encoding", "expect", "connection", "upgrade"})
_REASON = {s.value: s.phrase for s in HTTPStatus}
_date = [0, ""]  # (second, Date header value): formatted once a second, as aiohttp does


def _http_date() -> str:
    now = int(time.time())  # det-ok: the real server's Date header
    if _date[0] != now:
        _date[0], _date[1] = now, email.utils.formatdate(now, usegmt=True)
    return _date[1]


class LeanConnection(asyncio.Protocol):
    """One client connection: lean ``/v2/keys`` requests here, the rest handed to ``fallback()`` (aiohttp)."""

    def __init__(self, api: "HttpApi", fallback: Callable[[], asyncio.Protocol]) -> None:
        self.api = api
        self.fallback = fallback
        self.transport: Any = None
        self.buf = bytearray()
        self.task: asyncio.Task[None] | None = None
        self.handed: asyncio.Protocol | None = None
        self.idle: asyncio.TimerHandle | None = None

    def connection_made(self, transport: Any) -> None:
        self.transport = transport
        self._arm_idle()

    def connection_lost(self, exc: Exception | None) -> None:
        if self.task is not None:
            self.task.cancel()
        self._disarm_idle()
        self.transport = None

    def _arm_idle(self) -> None:
        self._disarm_idle()
        self.idle = asyncio.get_event_loop().call_later(KEEPALIVE_S, self._close_idle)

    def _disarm_idle(self) -> None:
        if self.idle is not None:
            self.idle.cancel()
            self.idle = None

    def _close_idle(self) -> None:
        self.idle = None
        if self.transport is not None:  # armed only while no request is answered and aiohttp has not taken over
            self.transport.close()

    def data_received(self, data: bytes) -> None:
        self._disarm_idle()
        self.buf += data
        if self.task is None:
            self._next()
        if self.task is None and self.handed is None and self.transport is not None:
            self._arm_idle()  # waiting for the rest of a request: idle until more comes

    def eof_received(self) -> bool | None:
        return None  # close our side too

    # ------------------------------------------------------------------ parsing
    def _next(self) -> None:
        buf = self.buf
        end = buf.find(b"\r\n\r\n")
        if end < 0:
            if len(buf) > MAX_HEAD:
                self._hand_over()
            return
        try:
            head = bytes(buf[:end]).decode("ascii").split("\r\n")
            method, target, version = head[0].split(" ")
            headers = {}
            for line in head[1:]:
                k, colon, v = line.partition(":")
                if not colon or not k or k != k.strip():
                    raise ValueError(line)  # a malformed or folded header line
                headers[k.lower()] = v.strip()
            if len(headers) != len(head) - 1:
                raise ValueError("a header given twice")
            size = int(headers.get("content-length", "0"))
        except ValueError:  # not ASCII, a bad request line or length: aiohttp answers it
            self._hand_over()
            return
        path, _, raw_q = target.partition("?")
        if (version != "HTTP/1.1" or method not in _METHODS or not path.startswith("/v2/keys")
                or not 0 <= size <= self.api.max_form_bytes or _HANDED.intersection(headers) or "host" not in headers
                or any(c in path for c in "%+#") or "//" in path or "/." in path or "wait" in raw_q.lower()
                or not headers.get("content-length", "0").isdigit()):
            self._hand_over()
            return
        start = end + 4
        if len(buf) < start + size:
            return  # the body is still coming
        body = bytes(buf[start:start + size])
        if method not in ("PUT", "POST") or headers.get("content-type", "").partition(";")[0].strip().lower() != \
                "application/x-www-form-urlencoded":
            body = b""  # as aiohttp's route: only a form body is read
        parsed = parse_request(method, path, raw_q, body)
        if getattr(parsed, "kind", None) is RequestKind.WATCH:  # a watch named in the body: aiohttp streams it
            self._hand_over()
            return
        del buf[:start + size]
        self.task = asyncio.ensure_future(self._answer(method, path, raw_q, body, parsed, headers.get))

    async def _answer(self, method: str, path: str, raw_q: str, body: bytes, parsed: Any,
                      header: Callable[[str], str | None]) -> None:
        try:
            status, hdrs, out = await self.api.answer(method, path, raw_q, body, parsed,
                                                      lambda name: header(name.lower()))
        except asyncio.CancelledError:
            return
        except Exception as e:  # never a traceback to the client: etcd's 500 shape, one log line
            log.warning("%s %s: %s: %s", method, path, type(e).__name__, e)
            status, hdrs, out = 500, {"Content-Type": "application/json"}, b'{"message":"internal error"}'
        lines = [f"HTTP/1.1 {status} {_REASON.get(status, '')}"]
        lines += [f"{k}: {v}" for k, v in hdrs.items()]
        lines += [f"Content-Length: {len(out)}", f"Date: {_http_date()}", f"Server: {SERVER_SOFTWARE}", "", ""]
        if self.transport is not None:
            self.transport.write("\r\n".join(lines).encode("latin-1") + out)
        self.task = None
        if self.buf and self.transport is not None:
            self._next()
        elif self.transport is not None:
            self._arm_idle()

    def _hand_over(self) -> None:
        """Give this connection, from the current request on, to aiohttp."""
        self._disarm_idle()  # aiohttp keeps its own keep-alive timer from here on
        proto = self.fallback()
        self.handed = proto
        t = self.transport
        t.set_protocol(proto)
        proto.connection_made(t)
        if self.buf:
            proto.data_received(bytes(self.buf))
        self.buf = bytearray()
