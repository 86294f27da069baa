"""The lean path closes a connection left idle between requests (aiohttp's keep-alive timeout), never one
whose request is being answered."""

from __future__ import annotations

import asyncio

from kvraft import leanhttp


class _Transport:
    def __init__(self) -> None:
        self.closed = False
        self.written: list[bytes] = []

    def close(self) -> None:
        self.closed = True

    def write(self, data: bytes) -> None:
        self.written.append(data)


class _Api:
    max_form_bytes = 1 << 20

    def __init__(self, gate: asyncio.Event) -> None:
        self.gate = gate

    async def answer(self, method, path, raw_q, body, parsed, header):
        await self.gate.wait()
        return 200, {"Content-Type": "application/json"}, b"{}"


def test_an_idle_connection_is_closed_and_a_busy_one_is_not(monkeypatch) -> None:
    monkeypatch.setattr(leanhttp, "KEEPALIVE_S", 0.05)

    async def scenario() -> tuple[bool, bool, bool, bool]:
        gate = asyncio.Event()
        idle, busy, partial = _Transport(), _Transport(), _Transport()
        leanhttp.LeanConnection(_Api(gate), lambda: None).connection_made(idle)
        c = leanhttp.LeanConnection(_Api(gate), lambda: None)
        c.connection_made(busy)
        c.data_received(b"GET /v2/keys/a HTTP/1.1\r\nHost: x\r\n\r\n")
        p = leanhttp.LeanConnection(_Api(gate), lambda: None)
        p.connection_made(partial)
        p.data_received(b"GET /v2/keys/a HTTP/1.1\r\nHo")  # a request that stopped coming
        await asyncio.sleep(0.15)
        busy_open_while_answering = not busy.closed
        gate.set()
        await asyncio.sleep(0.01)
        answered = bool(busy.written) and not busy.closed
        await asyncio.sleep(0.15)
        return idle.closed and partial.closed, busy_open_while_answering, answered, busy.closed

    idle_closed, kept_while_answering, answered, closed_after = asyncio.run(scenario())
    assert idle_closed and kept_while_answering and answered and closed_after
