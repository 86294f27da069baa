"""Recipe workloads: lock, election, queue and registry clients driving ``kvraft.recipes`` on the cluster.

Rules:
- Each slot runs the recipe objects of its own Client (``c<slot>``, as ``Workload._slot`` names them), one
  operation at a time; a recipe's ``on_done(ok, value)`` is yielded as a ``scenarios.ops.Call`` (as
  ``Workload.request`` yields a Request) and its tri-state into ok / fail / info.
- Ops and values are exactly checkers/vocab.py's: lock ``acquire``/``refresh``/``release``, election
  ``campaign``/``refresh``/``resign`` (acquire invoke ``{"ttl_ns": T}``, ok ``{"token": n}``; release invoke
  ``{"token": n}``), queue ``enqueue``/``dequeue`` (final drain marked ``"final": true`` until ``"empty"``),
  registry ``register``/``heartbeat``/``deregister``/``lookup``.
- Parameters: ``ttl_s`` (the lease / registration TTL), ``keys`` (how many locks, elections, queues,
  services), ``rate``, ``client_timeout_ms`` (the deadline of one op, an acquire's waiting included).
- Every choice is drawn from the slot's own stream; recipe state is per slot, so slots never interfere.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Generator
from typing import Any

from kvraft.recipes import Election, Lock, Queue, Registry
from scenarios.ops import Call
from scenarios.registry import workload
from scenarios.workloads import KvOutcome, Workload, WorkloadContext

__all__ = ["LockWorkload", "ElectionWorkload", "QueueWorkload", "RegistryWorkload"]

S = 1_000_000_000


def _outcome(ok: bool | None, err: Any, value: Any = None, extra: dict[str, Any] | None = None) -> KvOutcome:
    """A recipe's (ok, value-or-error) as the history's completion; ``value``/``extra`` only on ok."""
    if ok:
        return KvOutcome("ok", value, extra=extra or {})
    return KvOutcome("info" if ok is None else "fail", None, error=str(err))


def _cid(slot: int) -> str:
    return f"c{slot}"  # the client id Workload._slot gives slot ``slot``


class RecipeWorkload(Workload):
    """Shared plumbing: recipe objects per (client, key), callbacks as simpy events."""

    def __init__(self, ctx: WorkloadContext) -> None:
        super().__init__(ctx)
        self.ttl_s = int(self.p.ttl_s)
        self.ttl_ns = self.ttl_s * S
        self._objs: dict[tuple[str, str], Any] = {}

    def obj(self, client: Any, key: str, make: Callable[[], Any]) -> Any:
        k = (client.client_id, key)
        if k not in self._objs:
            self._objs[k] = make()
        return self._objs[k]

    def peek(self, slot: int, key: str) -> Any:
        """The recipe object slot ``slot`` uses for ``key`` (None before its first op)."""
        return self._objs.get((_cid(slot), key))

    def call(self, start: Callable[[Callable[[bool | None, Any], None]], None]) -> Generator[Any, Any, tuple[Any, Any]]:
        """Run one recipe operation: ``start(on_done)``; returns (ok, value) when on_done fires."""
        result = yield Call(start=start)
        return result


@workload("lock")
class LockWorkload(RecipeWorkload):
    """Lease locks on ``keys`` keys: acquire (waiting up to the client timeout), refresh a few times, release."""

    prefix = "/lock"
    acquire_f, release_f = "acquire", "release"
    refresh_share = 0.6

    def __init__(self, ctx: WorkloadContext) -> None:
        super().__init__(ctx)
        self.holding: dict[str, str] = {}  # client id -> key it believes it holds

    def make(self, client: Any, key: str) -> Any:
        return Lock(client, key, owner=client.client_id, ttl_s=self.ttl_s, timeout_ns=self.timeout_ns)

    def next_op(self, slot: int, rng: random.Random) -> tuple[str, str, Any]:
        key = self.holding.get(_cid(slot))
        if key is None:
            return self.acquire_f, self.keys[rng.randrange(len(self.keys))], {"ttl_ns": self.ttl_ns}
        rec = self.peek(slot, key)
        if rng.random() < self.refresh_share:
            return "refresh", key, {"ttl_ns": self.ttl_ns}
        return self.release_f, key, {"token": rec.token}

    def execute(self, client: Any, f: str, key: str, value: Any, rng: random.Random) -> Generator[Any, Any, KvOutcome]:
        rec = self.obj(client, key, lambda: self.make(client, key))
        cid = client.client_id
        if f == self.acquire_f:
            ok, v = yield from self.call(lambda d: self.acquire(rec, d))
            if ok:
                self.holding[cid] = key
            return _outcome(ok, v, {"token": v})
        if f == "refresh":
            ok, v = yield from self.call(lambda d: rec.refresh(d))
            if rec.token is None:  # the refresh found it lost
                self.holding.pop(cid, None)
            return _outcome(ok, v, {"ttl_ns": self.ttl_ns})
        if f == self.release_f:
            token = rec.token
            ok, v = yield from self.call(lambda d: self.release(rec, d))
            self.holding.pop(cid, None)  # released, or lost: either way not held any more
            return _outcome(ok, v, {"token": token})
        raise AssertionError(f)

    def acquire(self, rec: Any, on_done: Any) -> None:
        rec.acquire(on_done)

    def release(self, rec: Any, on_done: Any) -> None:
        rec.release(on_done)

    def final_ops(self) -> list[tuple[str, str]]:
        return []  # mutual exclusion is judged on the holds; there is nothing to read at the end


@workload("election")
class ElectionWorkload(LockWorkload):
    """Leader election on ``keys`` election keys: campaign (waiting), refresh (keep-alive), resign."""

    prefix = "/election"
    acquire_f, release_f = "campaign", "resign"

    def make(self, client: Any, key: str) -> Any:
        return Election(client, key, candidate=client.client_id, ttl_s=self.ttl_s, timeout_ns=self.timeout_ns)

    def acquire(self, rec: Any, on_done: Any) -> None:
        rec.campaign(on_done)

    def release(self, rec: Any, on_done: Any) -> None:
        rec.resign(on_done)


@workload("queue")
class QueueWorkload(RecipeWorkload):
    """Work queues on ``keys`` directories: enqueue unique items (POST), dequeue by compareAndDelete; final drain."""

    prefix = "/q"

    def __init__(self, ctx: WorkloadContext) -> None:
        super().__init__(ctx)
        self.counter: dict[int, int] = {}

    def next_op(self, slot: int, rng: random.Random) -> tuple[str, str, Any]:
        key = self.keys[rng.randrange(len(self.keys))]
        if rng.random() < 0.5:
            n = self.counter.get(slot, 0)
            self.counter[slot] = n + 1
            return "enqueue", key, f"{slot}.{n}"
        return "dequeue", key, None

    def execute(self, client: Any, f: str, key: str, value: Any, rng: random.Random) -> Generator[Any, Any, KvOutcome]:
        q = self.obj(client, key, lambda: Queue(client, key, timeout_ns=self.timeout_ns))
        if f == "enqueue":
            ok, v = yield from self.call(lambda d: q.enqueue(value, d))
            return _outcome(ok, v, value, {"index": v["index"]} if ok else None)
        if f == "dequeue":
            ok, v = yield from self.call(lambda d: q.dequeue(d))
            return _outcome(ok, v, v)
        raise AssertionError(f)

    def final_steps(self, deadline_ns: int, client: Any = None, rng: random.Random | None = None) -> Generator[Any, Any, None]:
        """Dequeue every used queue until one dequeue fails ``empty`` (unknown and lost claims: go on)."""
        if client is None:
            client = self.ctx.cluster.client(self.ctx.cluster.final_host, "final")
        if rng is None:
            rng = self.ctx.world.streams.fork("workload/drain")
        h = self.ctx.history
        for key in sorted(self.used_keys):
            while self.now < deadline_ns:
                proc = self._final_proc
                self._final_proc += 1
                h.invoke(process=proc, f="dequeue", key=key, value=None, time=self.now, final=True)
                out = yield from self.execute(client, "dequeue", key, None, rng)
                h.complete(process=proc, type=out.type, value=out.value, time=self.now, error=out.error,
                           final=True, **out.extra)
                if out.type == "fail" and out.error == "empty":
                    break


@workload("registry")
class RegistryWorkload(RecipeWorkload):
    """Service instances with TTL registrations: each slot registers its own service key, heartbeats it,
    sometimes goes silent for two TTLs (the key must expire), sometimes deregisters; anyone looks up any key."""

    prefix = "/svc"
    lookup_share = 0.4
    silent_share = 0.01
    deregister_share = 0.01

    def __init__(self, ctx: WorkloadContext) -> None:
        super().__init__(ctx)
        self.up: dict[str, bool] = {}  # client id -> registered (as far as it knows)
        self.silent_until: dict[int, int] = {}
        self.counter: dict[int, int] = {}

    def own_key(self, slot: int) -> str:
        return self.keys[slot % len(self.keys)]

    def next_op(self, slot: int, rng: random.Random) -> tuple[str, str, Any]:
        r = rng.random()
        lookup = ("lookup", self.keys[rng.randrange(len(self.keys))], None)
        if self.now < self.silent_until.get(slot, 0):
            return lookup
        if not self.up.get(_cid(slot)):
            n = self.counter.get(slot, 0)
            self.counter[slot] = n + 1
            return "register", self.own_key(slot), {"value": f"10.0.{slot}.{n}", "ttl_ns": self.ttl_ns}
        if r < self.lookup_share:
            return lookup
        if r < self.lookup_share + self.silent_share:
            self.silent_until[slot] = self.now + 2 * self.ttl_ns  # stop heartbeating: the key must expire
            return lookup
        if r < self.lookup_share + self.silent_share + self.deregister_share:
            return "deregister", self.own_key(slot), None
        return "heartbeat", self.own_key(slot), {"ttl_ns": self.ttl_ns}

    def execute(self, client: Any, f: str, key: str, value: Any, rng: random.Random) -> Generator[Any, Any, KvOutcome]:
        reg = self.obj(client, "", lambda: Registry(client, timeout_ns=self.timeout_ns))
        cid = client.client_id
        if f == "register":
            ok, v = yield from self.call(lambda d: reg.register(key, value["value"], self.ttl_s, d))
            if ok:
                self.up[cid] = True
            return _outcome(ok, v, value, {"index": v} if ok else None)
        if f == "heartbeat":
            ok, v = yield from self.call(lambda d: reg.heartbeat(key, self.ttl_s, d))
            if ok is False and v == "100":
                self.up[cid] = False  # expired: register again
            return _outcome(ok, v, value)
        if f == "deregister":
            ok, v = yield from self.call(lambda d: reg.deregister(key, d))
            self.up[cid] = False
            return _outcome(ok, v, None, {"index": v} if ok else None)
        if f == "lookup":
            ok, v = yield from self.call(lambda d: reg.lookup(key, d))
            return _outcome(ok, v, v)
        raise AssertionError(f)

    def final_ops(self) -> list[tuple[str, str]]:
        return []  # the TTL window is judged on lookups and heartbeats during the run

