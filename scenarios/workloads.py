# Over 400 lines: the workload base class and the five kv workloads share its slots, keys and outcome rules.
"""Workloads: seeded client processes that drive kvraft through the client and record the history.

Rules:
- Every op is ``history.invoke`` at the true virtual time it starts and one completion when the
  client answers: ok (took effect; value = result), fail (certainly did not), info (unknown: timeout,
  indeterminate server error). After an info the slot continues under a new process id
  (``process + clients``), as the history format requires.
- The op vocabulary is checkers/vocab.py's; the kv model's is shared/formats/history.md.
- All choices come from the workload's own streams (``workload/<slot>``), so adding a draw in one
  slot does not move another.
- A workload touches no clock and no socket: its generators yield ``scenarios.ops`` values (sleep,
  request, call) to an executor — simpy's in simulation, asyncio + HTTP when live — and read the time
  through ``self.now``. One definition serves both worlds.
- Each workload class is registered by ``@workload(name)`` (scenarios/registry.py); ``make_workload`` looks
  the scenario's ``workload`` up there, built-in or a plugin's alike.
"""

from __future__ import annotations

import json
import random
from collections.abc import Generator
from dataclasses import dataclass, field
from typing import Any

from checkers.history import HistoryWriter
from kvraft.client import outcome
from scenarios.ops import Request, SimExecutor, Sleep
from scenarios.params import Params
from scenarios.registry import workload, workload_class

__all__ = ["WorkloadContext", "Workload", "make_workload", "KvOutcome"]

MS = 1_000_000
S = 1_000_000_000


@dataclass
class WorkloadContext:
    world: Any
    cluster: Any
    history: HistoryWriter
    params: Params  # the scenario's typed parameters (Scenario.p)
    start_ns: int
    stop_ns: int
    rng: random.Random
    executor: Any = None  # runs the op generators; None: simpy on world.env


@dataclass(frozen=True)
class KvOutcome:
    type: str  # ok | fail | info
    value: Any = None
    error: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _body(reply: Any) -> dict[str, Any]:
    try:
        doc = json.loads(reply.body or b"{}")
        return doc if isinstance(doc, dict) else {}
    except (ValueError, UnicodeDecodeError):
        return {}


def _error_code(reply: Any) -> int | None:
    code = _body(reply).get("errorCode")
    return code if isinstance(code, int) else None


class Workload:
    """Base: ``slots`` concurrent client loops plus final reads; subclasses pick and interpret ops."""

    prefix = "/r"
    int_values = True  # values written are ints (read back from etcd's strings)

    def __init__(self, ctx: WorkloadContext) -> None:
        self.ctx = ctx
        self.executor = ctx.executor if ctx.executor is not None else SimExecutor(ctx.world.env)
        self.p = ctx.params
        self.clients = self.p.clients
        self.slots = list(range(self.clients))  # the slots this workload drives (a mix gives each part some)
        self.timeout_ns = self.p.client_timeout_ms * MS
        self.quorum = self.p.read_mode == "quorum"
        # read_mode local: every slot's register reads are local; mixed: the odd slots' (final reads: quorum)
        mode = self.p.read_mode
        self.local_clients = {self.client_id(s) for s in range(self.clients)
                              if mode == "local" or (mode == "mixed" and s % 2 == 1)}
        self.keys = [f"{self.prefix}/k{i}" for i in range(self.p.keys)]
        self.used_keys: set[str] = set()
        self._final_proc = 1_000_000

    # -- plumbing
    @property
    def now(self) -> int:
        """The executor's time, int ns."""
        return self.executor.now

    @staticmethod
    def client_id(slot: int) -> str:
        """The client id (and host) of a slot."""
        return f"c{slot}"

    def start(self) -> None:
        for slot in self.slots:
            self.executor.spawn(self._slot(slot))

    def request(self, client: Any, method: str, path: str, params: dict[str, str], timeout_ns: int | None = None) -> Generator[Any, Any, Any]:
        reply = yield Request(client=client, method=method, path=path, params=params,
                              timeout_ns=timeout_ns or self.timeout_ns)
        return reply

    def _slot(self, slot: int) -> Generator[Any, Any, None]:
        rng = self.ctx.world.streams.fork(f"workload/{slot}")
        client = self.ctx.cluster.client(self.client_id(slot), self.client_id(slot))
        process = slot
        h = self.ctx.history
        if self.now < self.ctx.start_ns:
            yield Sleep(delay_ns=self.ctx.start_ns - self.now)
        while True:
            yield Sleep(delay_ns=max(1, int(rng.expovariate(self.rate_for(slot)) * S)))
            if self.now >= self.ctx.stop_ns:
                return
            f, key, value = self.next_op(slot, rng)
            self.used_keys.add(key)
            h.invoke(process=process, f=f, key=key, value=value, time=self.now, **self.invoke_extra(slot, f))
            out = yield from self.execute(client, f, key, value, rng)
            h.complete(process=process, type=out.type, value=out.value, time=self.now, error=out.error,
                       **{**self.invoke_extra(slot, f), **out.extra})
            if out.type == "info":
                process += self.clients
            yield from self.after_op(slot, f, out)

    def invoke_extra(self, slot: int, f: str) -> dict[str, Any]:
        return {}

    def rate_for(self, slot: int) -> float:
        """Ops per second of this slot (think time is exponential with this rate)."""
        return float(self.p.rate)

    def after_op(self, slot: int, f: str, out: KvOutcome) -> Generator[Any, Any, None]:
        return
        yield  # pragma: no cover

    # -- subclass API
    def next_op(self, slot: int, rng: random.Random) -> tuple[str, str, Any]:
        raise NotImplementedError

    def execute(self, client: Any, f: str, key: str, value: Any, rng: random.Random) -> Generator[Any, Any, KvOutcome]:
        raise NotImplementedError

    # -- final reads (durability is judged on them)
    def final_ops(self) -> list[tuple[str, str]]:
        return [("read", k) for k in sorted(self.used_keys)]

    def final_reads(self, deadline_ns: int) -> None:
        self.executor.spawn(self.final_steps(deadline_ns))

    def final_steps(self, deadline_ns: int, client: Any = None, rng: random.Random | None = None) -> Generator[Any, Any, None]:
        """The final reads, one at a time, on ``client`` (None: a new one on the final-read machine)."""
        if client is None:
            client = self.ctx.cluster.client(self.ctx.cluster.final_host, "final")
        if rng is None:
            rng = self.ctx.world.streams.fork("workload/final")
        h = self.ctx.history
        for f, key in self.final_ops():
            while self.now < deadline_ns:
                proc = self._final_proc
                self._final_proc += 1
                h.invoke(process=proc, f=f, key=key, value=None, time=self.now, final=True)
                out = yield from self.execute(client, f, key, None, rng)
                h.complete(process=proc, type=out.type, value=out.value, time=self.now, error=out.error,
                           final=True, **out.extra)
                if out.type != "info":
                    break

    # -- kv primitives shared by subclasses
    def kv_read(self, client: Any, key: str, local: bool = False) -> Generator[Any, Any, KvOutcome]:
        """A GET of ``key``: through ReadIndex (quorum=true), or ``local``: the member's own state (etcd's default)."""
        params = {} if local else {"quorum": "true"}
        reply = yield from self.request(client, "GET", key, params)
        if reply is None:
            return KvOutcome("info", error="timeout")
        if reply.status == 200:
            value = _body(reply).get("node", {}).get("value")
            # Register workloads write ints; etcd stores strings: read them back as the ints they were.
            if isinstance(value, str) and value.lstrip("-").isdigit() and self.int_values:
                value = int(value)
            return KvOutcome("ok", value)
        if reply.status == 404 and _error_code(reply) == 100:
            return KvOutcome("ok", None)
        return KvOutcome("fail", error=f"http-{reply.status}")

    def kv_write(self, client: Any, key: str, value: Any, params: dict[str, str] | None = None) -> Generator[Any, Any, KvOutcome]:
        reply = yield from self.request(client, "PUT", key, {"value": str(value), **(params or {})})
        return _write_outcome(reply, value)


def _write_outcome(reply: Any, value: Any) -> KvOutcome:
    ok, err = outcome(reply)
    if ok:
        return KvOutcome("ok", value, extra={"index": _body(reply).get("node", {}).get("modifiedIndex")})
    if ok is None:
        return KvOutcome("info", value, error=err)
    code = _error_code(reply)
    if code in (101, 100):
        return KvOutcome("fail", value, error="compare-failed")
    return KvOutcome("fail", value, error="105" if code == 105 else f"http-{reply.status}")


@workload("register")
class RegisterWorkload(Workload):
    """Reads and writes of a few keys (kv model); values are unique per write. Reads of the slots in
    ``local_clients`` are local (etcd's default GET) and marked ``"local": true`` (checkers/vocab.py)."""

    prefix = "/r"
    write_share = 0.5

    def __init__(self, ctx: WorkloadContext) -> None:
        super().__init__(ctx)
        self.counter = 0

    def invoke_extra(self, slot: int, f: str) -> dict[str, Any]:
        if f != "read" or self.client_id(slot) not in self.local_clients or self.p.local_reads == "linearizable":
            return {}
        return {"local": True}

    def next_op(self, slot: int, rng: random.Random) -> tuple[str, str, Any]:
        key = self.keys[rng.randrange(len(self.keys))]
        if rng.random() < self.write_share:
            self.counter += 1
            return "write", key, slot * 1_000_000 + self.counter
        return "read", key, None

    def execute(self, client: Any, f: str, key: str, value: Any, rng: random.Random) -> Generator[Any, Any, KvOutcome]:
        if f == "read":
            return (yield from self.kv_read(client, key, client.client_id in self.local_clients))
        if f == "write":
            return (yield from self.kv_write(client, key, value))
        if f == "cas":
            exp, new = value
            out = yield from self.kv_write(client, key, new, {"prevValue": str(exp)})
            return KvOutcome(out.type, value, out.error, out.extra)
        raise AssertionError(f)


@workload("cas-register")
class CasRegisterWorkload(RegisterWorkload):
    """Knossos-style cas-register: values 0..4, reads, writes and compare-and-sets."""

    prefix = "/cas"

    def next_op(self, slot: int, rng: random.Random) -> tuple[str, str, Any]:
        key = self.keys[rng.randrange(len(self.keys))]
        r = rng.random()
        if r < 0.4:
            return "read", key, None
        if r < 0.6:
            return "write", key, rng.randrange(5)
        return "cas", key, [rng.randrange(5), rng.randrange(5)]


@workload("append")
class AppendWorkload(Workload):
    """Exactly-once appends of unique tokens by read + compareAndSwap on prevIndex (etcd v2 has no append)."""

    prefix = "/a"
    int_values = False

    def __init__(self, ctx: WorkloadContext) -> None:
        super().__init__(ctx)
        self.seq: dict[int, int] = {}

    def next_op(self, slot: int, rng: random.Random) -> tuple[str, str, Any]:
        key = self.keys[rng.randrange(len(self.keys))]
        if rng.random() < 0.3:
            return "read", key, None
        n = self.seq.get(slot, 0)
        self.seq[slot] = n + 1
        return "append", key, f"{slot}.{n};"

    def execute(self, client: Any, f: str, key: str, value: Any, rng: random.Random) -> Generator[Any, Any, KvOutcome]:
        if f == "read":
            out = yield from self.kv_read(client, key)
            return out if out.value is not None or out.type != "ok" else KvOutcome("ok", None)
        deadline = self.now + self.timeout_ns
        while self.now < deadline:
            reply = yield from self.request(client, "GET", key, {"quorum": "true"}, deadline - self.now)
            if reply is None:
                return KvOutcome("info", value, error="timeout")
            if reply.status == 200:
                node = _body(reply).get("node", {})
                cur, idx = node.get("value", ""), node.get("modifiedIndex", 0)
                params = {"prevIndex": str(idx)}
            elif reply.status == 404:
                cur, params = "", {"prevExist": "false"}
            else:
                return KvOutcome("fail", value, error=f"http-{reply.status}")
            reply = yield from self.request(client, "PUT", key, {"value": cur + value, **params}, max(1, deadline - self.now))
            out = _write_outcome(reply, value)
            if out.type == "fail" and out.error in ("compare-failed", "105"):
                continue  # someone else appended first: read again
            return out
        return KvOutcome("fail", value, error="contention")


@workload("set")
class SetWorkload(Workload):
    """Unique-set adds with POST in-order keys; reads list the directory (exactly-once)."""

    prefix = "/s"

    def __init__(self, ctx: WorkloadContext) -> None:
        super().__init__(ctx)
        self.counter = 0

    def next_op(self, slot: int, rng: random.Random) -> tuple[str, str, Any]:
        key = self.keys[rng.randrange(len(self.keys))]
        if rng.random() < 0.2:
            return "read-set", key, None
        self.counter += 1
        return "add", key, slot * 1_000_000 + self.counter

    def execute(self, client: Any, f: str, key: str, value: Any, rng: random.Random) -> Generator[Any, Any, KvOutcome]:
        if f == "add":
            reply = yield from self.request(client, "POST", key, {"value": str(value)})
            out = _write_outcome(reply, value)
            return out
        reply = yield from self.request(client, "GET", key, {"recursive": "true", "sorted": "true", "quorum": "true"})
        if reply is None:
            return KvOutcome("info", error="timeout")
        if reply.status == 404:
            return KvOutcome("ok", [])
        if reply.status != 200:
            return KvOutcome("fail", error=f"http-{reply.status}")
        nodes = _body(reply).get("node", {}).get("nodes", []) or []
        return KvOutcome("ok", [int(n["value"]) for n in nodes if str(n.get("value", "")).isdigit()])

    def final_ops(self) -> list[tuple[str, str]]:
        return [("read-set", k) for k in sorted(self.used_keys)]


@workload("watch")
class WatchWorkload(Workload):
    """A third of the slots watch the prefix recursively with waitIndex; the rest write keys under it."""

    prefix = "/w"

    def __init__(self, ctx: WorkloadContext) -> None:
        super().__init__(ctx)
        self.watchers = max(1, self.clients // 3)  # of its slots (a mix sets slots and watchers anew)
        self.next_index: dict[int, int] = {}
        self.counter = 0

    def is_watcher(self, slot: int) -> bool:
        return slot in self.slots[:self.watchers]

    def invoke_extra(self, slot: int, f: str) -> dict[str, Any]:
        return {"watcher": slot} if f == "watch" else {}

    def next_op(self, slot: int, rng: random.Random) -> tuple[str, str, Any]:
        if self.is_watcher(slot):
            return "watch", self.prefix, {"waitIndex": self.next_index.get(slot, 1), "recursive": True}
        key = self.keys[rng.randrange(len(self.keys))]
        if rng.random() < 0.15:
            return "delete", key, None
        self.counter += 1
        return "write", key, slot * 1_000_000 + self.counter

    def execute(self, client: Any, f: str, key: str, value: Any, rng: random.Random) -> Generator[Any, Any, KvOutcome]:
        if f == "write":
            return (yield from self.kv_write(client, key, value))
        if f == "delete":
            reply = yield from self.request(client, "DELETE", key, {})
            ok, err = outcome(reply)
            if ok:
                return KvOutcome("ok", None, extra={"index": _body(reply).get("node", {}).get("modifiedIndex")})
            return KvOutcome("info", error=err) if ok is None else KvOutcome("fail", error=f"http-{reply.status}")
        if f == "read":
            return (yield from self.kv_read(client, key))
        wait = value["waitIndex"]
        reply = yield from self.request(client, "GET", key, {"wait": "true", "recursive": "true", "waitIndex": str(wait)},
                                        timeout_ns=3 * S)
        if reply is None:
            return KvOutcome("info", error="timeout")
        body = _body(reply)
        if reply.status == 200 and "node" in body:
            node = body["node"]
            ev = {"action": body.get("action"), "key": node.get("key"), "value": node.get("value"),
                  "prevValue": (body.get("prevNode") or {}).get("value"), "modifiedIndex": node.get("modifiedIndex"),
                  "createdIndex": node.get("createdIndex")}
            return KvOutcome("ok", ev)
        if _error_code(reply) == 401:
            return KvOutcome("fail", error="401", extra={"etcd_index": body.get("index")})
        return KvOutcome("fail", error="closed")

    def after_op(self, slot: int, f: str, out: KvOutcome) -> Generator[Any, Any, None]:
        if f != "watch":
            return
        if out.type == "ok":
            self.next_index[slot] = int(out.value["modifiedIndex"]) + 1
        elif out.error == "401":
            self.next_index[slot] = int(out.extra.get("etcd_index") or 0) + 1
        return
        yield  # pragma: no cover

    def rate_for(self, slot: int) -> float:
        return 1000.0 if self.is_watcher(slot) else float(self.p.rate)  # watchers re-arm at once

    def final_ops(self) -> list[tuple[str, str]]:
        return [("read", k) for k in sorted(k for k in self.used_keys if k != self.prefix)]


def make_workload(ctx: WorkloadContext) -> Workload:
    """The workload ``ctx.params.workload`` names (built-in or a plugin's: scenarios/registry.py)."""
    return workload_class(ctx.params.workload)(ctx)
