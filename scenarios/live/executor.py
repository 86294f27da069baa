"""The live executor: runs the workloads' op generators (``scenarios.ops``) on asyncio with real HTTP.

Rules:
- The same generators the simulator runs: ``Sleep`` is ``asyncio.sleep``, ``Request`` an HTTP request
  with the op's deadline (no answer in time, or no connection: None, an unknown outcome as in
  simulation). ``Call`` (the callback-style recipe workloads) has no live form yet: the driver refuses
  those workloads before it starts anything.
- ``now`` is elapsed wall-clock ns since the executor's start (monotonic), the history's time base.
- Each client handle is bound to one member (slot i -> member i mod n, as Jepsen binds its clients);
  the server forwards writes to the leader, as etcd does.
- ``drain`` cancels every generator still running at the run's hard deadline; a cancelled op was
  invoked and never completed, which the history format allows (it stays pending: unknown).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Generator
from dataclasses import dataclass
from typing import Any

import aiohttp

from scenarios.ops import Call, Request, Sleep

__all__ = ["LiveClient", "LiveExecutor", "LiveReply"]


@dataclass(frozen=True)
class LiveReply:
    """What ``kvraft.client.outcome`` and the workloads read of an answer."""

    status: int
    body: bytes
    headers: tuple[tuple[str, str], ...] = ()

    def header(self, name: str) -> str | None:
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    def json(self) -> Any:
        try:
            return json.loads(self.body or b"{}")
        except (ValueError, UnicodeDecodeError):
            return {}


@dataclass(frozen=True)
class LiveClient:
    client_id: str
    url: str  # the member's client URL


class LiveExecutor:
    def __init__(self, session: aiohttp.ClientSession) -> None:
        self.session = session
        self.t0 = time.monotonic_ns()
        self.tasks: list[asyncio.Task] = []
        self.requests = 0

    @property
    def now(self) -> int:
        return time.monotonic_ns() - self.t0

    def spawn(self, gen: Generator[Any, Any, Any]) -> None:
        self.tasks.append(asyncio.get_running_loop().create_task(self._run(gen)))

    async def _run(self, gen: Generator[Any, Any, Any]) -> None:
        answer: Any = None
        try:
            while True:
                try:
                    op = gen.send(answer)
                except StopIteration:
                    return
                if isinstance(op, Sleep):
                    await asyncio.sleep(op.delay_ns / 1e9)
                    answer = None
                elif isinstance(op, Request):
                    answer = await self.request(op)
                elif isinstance(op, Call):
                    raise TypeError("callback-style recipe ops have no live executor")
                else:
                    raise TypeError(f"a workload yielded {op!r}, not an op")
        finally:
            gen.close()

    async def request(self, op: Request) -> LiveReply | None:
        self.requests += 1
        url = op.client.url + "/v2/keys" + op.path
        query, form = (op.params, None) if op.method in ("GET", "DELETE") else (None, op.params)
        try:
            async with self.session.request(op.method, url, params=query, data=form, allow_redirects=True,
                                            timeout=aiohttp.ClientTimeout(total=op.timeout_ns / 1e9)) as r:
                body = await r.read()
                return LiveReply(r.status, body, tuple(r.headers.items()))
        except (asyncio.TimeoutError, aiohttp.ClientError, OSError):
            return None

    async def drain(self, deadline_s: float) -> int:
        """Wait for every generator until ``deadline_s`` from now; cancel the rest; returns how many."""
        pending = [t for t in self.tasks if not t.done()]
        if pending:
            _, still = await asyncio.wait(pending, timeout=max(0.0, deadline_s))
            for t in still:
                t.cancel()
            if still:
                await asyncio.wait(still, timeout=5)
            return len(still)
        return 0
