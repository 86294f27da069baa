"""The live executor: runs the workloads' op generators (``scenarios.ops``) on asyncio with real HTTP.

Rules:
- The same generators the simulator runs: ``Sleep`` is ``asyncio.sleep``, ``Request`` an HTTP request
  with the op's deadline (no answer in time, or no connection: None, an unknown outcome as in
  simulation), ``Call`` starts a recipe operation and waits for its ``on_done`` (the recipes bound their
  own operations by their deadlines).
- A client handle is also what ``kvraft.recipes`` expect of a client: ``request(..., on_done)`` and ``rt``
  (``now()``, ``after(delay_ns, fn)`` -> a handle with ``cancel()``), on this executor's clock and loop.
- ``now`` is elapsed wall-clock ns since the executor's start (monotonic), the history's time base.
- Each client handle is bound to one member (slot i -> member i mod n, as Jepsen binds its clients);
  the server forwards writes to the leader, as etcd does.
- ``drain`` cancels every generator still running at the run's hard deadline; a cancelled op was
  invoked and never completed, which the history format allows (it stays pending: unknown).
- ``client_ids`` (kvraft only: its hidden ``--unsafe-client-ids``): a write carries the client's own
  (id, seq), as a simulated client's does (kvraft/client.py), and is retried with the same pair when an
  attempt (``ATTEMPT_S``) gets no answer, on the next member each time, until the op's deadline; writes of
  one client go one at a time. The server then applies it once, unless bug B10 is on. etcd's v2 API has no
  request ids: its clients neither carry one nor retry (a retry there could apply a write twice).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Generator
from typing import Any

import aiohttp

from kvraft.api import ClientReply
from scenarios.ops import Call, Request, Sleep

__all__ = ["LiveClient", "LiveExecutor"]


ATTEMPT_S = 0.25  # a write attempt with no answer by then is retried (client_ids only; kvraft/client.py attempt_ns)


class LiveClient:
    """One client bound to one member: the workloads' handle and the recipes' callback-style client."""

    def __init__(self, client_id: str, url: str, executor: "LiveExecutor | None" = None,
                 urls: list[str] | None = None) -> None:
        self.client_id = client_id
        self.url = url  # the member's client URL
        self.urls = urls or [url]  # retries go round these, starting at ``url``
        self.executor = executor
        self.rt = self
        self.seq = 0  # the last write's seq (client_ids)
        self.write_lock: asyncio.Lock | None = None

    def now(self) -> int:
        assert self.executor is not None
        return self.executor.now

    def after(self, delay_ns: int, fn: Any) -> asyncio.TimerHandle:
        return asyncio.get_running_loop().call_later(max(0, delay_ns) / 1e9, fn)

    def request(self, method: str, path: str, params: dict[str, str] | None = None, *, timeout_ns: int,
                on_done: Any) -> None:
        """Callback form (recipes): ``path`` includes ``/v2/keys``; ``on_done(reply | None)`` on the loop."""
        assert self.executor is not None and path.startswith("/v2/keys")
        op = Request(client=self, method=method, path=path[len("/v2/keys"):], params=dict(params or {}),
                     timeout_ns=timeout_ns)
        task = asyncio.get_running_loop().create_task(self.executor.request(op))
        self.executor.tasks.append(task)
        task.add_done_callback(lambda t: None if t.cancelled() else on_done(t.result()))


class LiveExecutor:
    def __init__(self, session: aiohttp.ClientSession, *, client_ids: bool = False) -> None:
        self.session = session
        self.client_ids = client_ids
        self.t0 = time.monotonic_ns()
        self.tasks: list[asyncio.Task] = []
        self.requests = 0
        self.retries = 0  # write attempts after the first (client_ids)

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
                    fut = asyncio.get_running_loop().create_future()
                    op.start(lambda *args: None if fut.done() else fut.set_result(args))
                    answer = await fut
                else:
                    raise TypeError(f"a workload yielded {op!r}, not an op")
        finally:
            gen.close()

    async def request(self, op: Request) -> ClientReply | None:
        self.requests += 1
        c = op.client
        if not self.client_ids or op.method in ("GET", "HEAD"):
            return await self._once(c.url, op, op.timeout_ns / 1e9, None)
        loop = asyncio.get_running_loop()
        end = loop.time() + op.timeout_ns / 1e9
        if c.write_lock is None:
            c.write_lock = asyncio.Lock()
        async with c.write_lock:  # one write in flight per client: the server keeps only its latest seq
            c.seq += 1
            headers = {"X-Raftsim-Client-Id": f"live/{c.client_id}", "X-Raftsim-Seq": str(c.seq)}
            start = c.urls.index(c.url) if c.url in c.urls else 0
            attempt = 0
            while (left := end - loop.time()) > 0:
                self.retries += attempt > 0
                reply = await self._once(c.urls[(start + attempt) % len(c.urls)], op, min(left, ATTEMPT_S), headers)
                if reply is not None:
                    return reply
                attempt += 1
                await asyncio.sleep(min(0.02, max(0.0, end - loop.time())))
            return None  # no answer by the deadline: unknown (it may have been applied, once)

    async def _once(self, member_url: str, op: Request, timeout_s: float,
                    headers: dict[str, str] | None) -> ClientReply | None:
        url = member_url + "/v2/keys" + op.path
        query, form = (op.params, None) if op.method in ("GET", "DELETE") else (None, op.params)
        try:
            async with self.session.request(op.method, url, params=query, data=form, allow_redirects=True,
                                            headers=headers, timeout=aiohttp.ClientTimeout(total=timeout_s)) as r:
                body = await r.read()
                # The simulator's answer type (one definition of header()/json()): what kvraft.client.outcome,
                # the workloads and the recipes read; frm/to/id name the member and the client.
                return ClientReply(frm=member_url, to=op.client.client_id, id=0, status=r.status,
                                   headers=tuple(r.headers.items()), body=body)
        except (asyncio.TimeoutError, aiohttp.ClientError, OSError):
            return None

    async def drain(self, deadline_s: float) -> int:
        """Wait for every generator until ``deadline_s`` from now; cancel the rest; returns how many."""
        self.tasks = [t for t in self.tasks if not t.done()]
        pending = list(self.tasks)
        if pending:
            _, still = await asyncio.wait(pending, timeout=max(0.0, deadline_s))
            for t in still:
                t.cancel()
            if still:
                await asyncio.wait(still, timeout=5)
            return len(still)
        return 0
