"""A tiny deterministic in-memory Runtime for Server tests (no simpy): event heap, disks, links.

Rules: time is int ns; every callback goes through one heap ordered by (time, seq); a crash
bumps the node's incarnation so its pending timers and deliveries are ignored, and throws away
unsynced disk records.
Kept apart from tests/recipes/fake.py, which is one store standing in for a whole cluster (no Raft, no
Runtime): this one is N real Servers' Runtime, with per-node disks and links.
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


class FakeTimer:
    def __init__(self) -> None:
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


class FakeDisk:
    def __init__(self, world: "FakeWorld", node: str) -> None:
        self.world, self.node = world, node
        self.durable: list[Any] = []
        self.buffer: list[Any] = []

    def write(self, record: Any) -> None:
        self.buffer.append(record)

    def fsync(self, then: Callable[[], None]) -> None:
        inc = self.world.incarnation[self.node]

        def done() -> None:
            self.durable.extend(self.buffer)
            self.buffer.clear()
            then()

        self.world.schedule(self.world.fsync_ns, self.node, inc, done)

    def read(self) -> list[Any]:
        return list(self.durable)

    def replace(self, records: list[Any], then: Callable[[], None]) -> None:
        inc = self.world.incarnation[self.node]

        def done() -> None:
            self.durable = list(records)
            self.buffer.clear()
            then()

        self.world.schedule(self.world.fsync_ns, self.node, inc, done)

    def crash(self) -> None:
        self.buffer.clear()


class FakeRuntime:
    def __init__(self, world: "FakeWorld", node_id: str) -> None:
        self.world = world
        self.node_id = node_id
        self.disk = world.disks[node_id]
        self.receiver: Callable[[str, Any], None] | None = None

    def now(self) -> int:
        return self.world.now

    def after(self, delay_ns: int, fn: Callable[[], None]) -> FakeTimer:
        t = FakeTimer()
        inc = self.world.incarnation[self.node_id]

        def fire() -> None:
            if not t.cancelled:
                fn()

        self.world.schedule(delay_ns, self.node_id, inc, fire)
        return t

    def send(self, to: str, msg: Any) -> None:
        self.world.send(self.node_id, to, msg)

    def set_receiver(self, fn: Callable[[str, Any], None]) -> None:
        self.receiver = fn

    def trace(self, kind: str, **fields: Any) -> None:
        self.world.trace.append({"t": self.world.now, "kind": kind, "node": self.node_id, **fields})


@dataclass
class FakeWorld:
    nodes: list[str]
    seed: int = 1
    latency_ns: int = 1_000_000
    fsync_ns: int = 500_000
    now: int = 0
    trace: list[dict[str, Any]] = field(default_factory=list)
    blocked: set[tuple[str, str]] = field(default_factory=set)
    drop_filter: Callable[[str, str, Any], bool] | None = None  # True: drop

    def __post_init__(self) -> None:
        self._heap: list[tuple[int, int, str, int, Callable[[], None]]] = []
        self._seq = 0
        self.incarnation = {n: 0 for n in self.nodes}
        self.disks = {n: FakeDisk(self, n) for n in self.nodes}
        self.runtimes = {n: FakeRuntime(self, n) for n in self.nodes}
        self.rng = random.Random(self.seed)
        self.up = {n: True for n in self.nodes}

    def add_node(self, n: str) -> None:
        self.nodes.append(n)
        self.incarnation[n] = 0
        self.disks[n] = FakeDisk(self, n)
        self.runtimes[n] = FakeRuntime(self, n)
        self.up[n] = True

    def schedule(self, delay: int, node: str, inc: int, fn: Callable[[], None]) -> None:
        self._seq += 1
        heapq.heappush(self._heap, (self.now + delay, self._seq, node, inc, fn))

    def send(self, src: str, dst: str, msg: Any) -> None:
        if (src, dst) in self.blocked or dst not in self.runtimes:
            return
        if self.drop_filter is not None and self.drop_filter(src, dst, msg):
            return
        inc = self.incarnation[dst]

        def deliver() -> None:
            rt = self.runtimes[dst]
            if self.up[dst] and rt.receiver is not None:
                rt.receiver(src, msg)

        self.schedule(self.latency_ns + self.rng.randrange(self.latency_ns), dst, inc, deliver)

    def run_until(self, t_ns: int) -> None:
        while self._heap and self._heap[0][0] <= t_ns:
            t, _, node, inc, fn = heapq.heappop(self._heap)
            self.now = t
            if inc == self.incarnation.get(node) and self.up.get(node):
                fn()
        self.now = max(self.now, t_ns)

    def run_for(self, d_ns: int) -> None:
        self.run_until(self.now + d_ns)

    def crash(self, n: str) -> None:
        self.incarnation[n] += 1
        self.up[n] = False
        self.disks[n].crash()
        self.runtimes[n].receiver = None

    def restart(self, n: str) -> None:
        self.up[n] = True

    def partition(self, *groups: list[str]) -> None:
        self.blocked = set()
        where = {n: i for i, g in enumerate(groups) for n in g}
        for a in self.nodes:
            for b in self.nodes:
                if a != b and where.get(a) != where.get(b):
                    self.blocked.add((a, b))

    def heal(self) -> None:
        self.blocked = set()
