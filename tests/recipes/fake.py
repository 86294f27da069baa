"""A one-store stand-in for a kvraft cluster: recipes' logic tested without Raft or simpy.

Rules: one virtual clock (int ns) and a timer heap; every request is answered from a single
``kvraft.store.Store`` through ``handle_local`` after ``latency_ns`` each way; watches park and
answer when their event is applied; a SYNC every 500 ms expires TTL nodes, as a leader would.
A client can be ``paused``: its timers and deliveries are held until ``resume`` (SIGSTOP).
Kept apart from tests/raft/fakeworld.py (a Runtime for N real Servers, with disks and links): this one
replaces the cluster itself by one store, so a recipe is tested without Raft.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from typing import Any

from kvraft.api import ClientReply
from kvraft.store import Store, handle_local, render_event, sync_command

MS = 1_000_000
S = 1_000_000_000


class FakeTimer:
    def __init__(self, fn: Callable[[], None]) -> None:
        self.fn: Callable[[], None] | None = fn

    def cancel(self) -> None:
        self.fn = None


class FakeWorld:
    """The clock, the timer heap and the store."""

    def __init__(self, latency_ns: int = 1 * MS, sync_ns: int = 500 * MS) -> None:
        self.t = 0
        self.latency_ns = latency_ns
        self.store = Store()
        self.raft_index = 0
        self._heap: list[tuple[int, int, FakeTimer]] = []
        self._n = 0
        self.down = False  # no answers at all (a cluster without quorum)
        self.sync_ns = sync_ns
        self.at(sync_ns, self._sync)

    def at(self, when_ns: int, fn: Callable[[], None]) -> FakeTimer:
        tm = FakeTimer(fn)
        self._n += 1
        heapq.heappush(self._heap, (when_ns, self._n, tm))
        return tm

    def run(self, until_ns: int) -> None:
        while self._heap and self._heap[0][0] <= until_ns:
            when, _, tm = heapq.heappop(self._heap)
            self.t = max(self.t, when)
            if tm.fn is not None:
                fn, tm.fn = tm.fn, None
                fn()
        self.t = max(self.t, until_ns)

    def run_for(self, ns: int) -> None:
        self.run(self.t + ns)

    def _sync(self) -> None:
        if not self.down and self.store.next_expiration_ns() is not None:
            self.raft_index += 1
            self.store.apply(sync_command(self.t), self.raft_index)
        self.at(self.t + self.sync_ns, self._sync)

    def client(self, client_id: str) -> "FakeClient":
        return FakeClient(self, client_id)


class FakeRuntime:
    def __init__(self, world: FakeWorld, node_id: str) -> None:
        self.world = world
        self.node_id = node_id
        self.paused = False
        self._held: list[Callable[[], None]] = []

    def now(self) -> int:
        return self.world.t

    def after(self, delay_ns: int, fn: Callable[[], None]) -> FakeTimer:
        return self.world.at(self.world.t + max(0, delay_ns), lambda: self.run_or_hold(fn))

    def run_or_hold(self, fn: Callable[[], None]) -> None:
        if self.paused:
            self._held.append(fn)
        else:
            fn()

    def resume(self) -> None:
        self.paused = False
        held, self._held = self._held, []
        for fn in held:
            fn()


class FakeClient:
    """The ``kvraft.client.Client`` surface the recipes use: ``rt`` and ``request``."""

    def __init__(self, world: FakeWorld, client_id: str) -> None:
        self.world = world
        self.rt = FakeRuntime(world, client_id)
        self.client_id = client_id
        self._seq = 0
        self.sent: list[str] = []  # "METHOD path?query" of every request, for tests

    def request(self, method: str, path: str, params: dict[str, str] | None = None, *, timeout_ns: int,
                on_done: Callable[[Any], None]) -> None:
        self._seq += 1
        seq = self._seq
        params = dict(params or {})
        self.sent.append(f"{method} {path}" + ("?" + "&".join(f"{k}={v}" for k, v in sorted(params.items())) if params else ""))
        done = {"v": False}

        def finish(reply: Any) -> None:
            if not done["v"]:
                done["v"] = True
                deadline.cancel()
                on_done(reply)

        deadline = self.rt.after(timeout_ns, lambda: finish(None))

        def deliver(status: int, headers: dict[str, str], body: bytes) -> None:
            reply = ClientReply(frm="fake", to=self.client_id, id=seq, status=status,
                                headers=tuple(headers.items()), body=body)
            self.rt.after(self.world.latency_ns, lambda: finish(reply))

        def serve() -> None:
            if self.world.down:
                return
            w = self.world
            holder: dict[str, Any] = {}

            def fired(event: Any) -> None:
                head = holder.get("head")
                if head is not None:
                    deliver(head.status, head.headers, b"" if event is None else render_event(event))

            resp = handle_local(w.store, method, path, params, now_ns=w.t, raft_index=w.raft_index + 1, raft_term=1,
                                callback=fired, client_id=self.client_id, seq=seq)
            if w.store.index != getattr(w, "_last_index", 0) or params.get("quorum") == "true":
                w.raft_index += 1
            w._last_index = w.store.index  # type: ignore[attr-defined]
            if resp.watcher is None:
                deliver(resp.status, resp.headers, resp.body)
            else:
                holder["head"] = resp

        self.world.at(self.world.t + self.world.latency_ns, serve)
