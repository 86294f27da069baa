"""History vocabulary of the non-kv workloads: what the runner writes and the checkers read.

Rules (all workloads):
- Every line follows shared/formats/history.md (process, type, f, key, value, time, node, error).
  Extra top-level fields are allowed and kept (``Op.extra``); the ones named here are the contract.
- ``key`` names the resource (register key, append key, set dir, lock, election, queue dir, service key).
- ``ok`` means it took effect, ``fail`` means it certainly did not, ``info``/no completion means unknown.
- Writes that take an etcd index carry it on the ``ok`` line as extra field ``"index": n``
  (the node's modifiedIndex from the reply). Required for keys under a watched prefix; optional elsewhere.
- **Final reads**: after the last heal the runner issues one quorum read per key it used, marked with extra
  field ``"final": true`` (``read`` for kv/append keys, ``read-set`` for sets, ``dequeue`` drains for queues).
  Durability and exactly-once are judged against them; without final reads those checkers skip.
- **Local reads**: a kv ``read`` served from the answering member's own state (etcd v2's default GET, no
  ``quorum=true``) carries extra field ``"local": true`` on its invoke and completion. It may be stale by
  design, so it is not judged linearizable but by checkers/local_reads.py (a value some write put there,
  never one from the future); unmarked reads are quorum reads. Final reads are never local.
- Values compare as etcd stores them: strings, so a history's ``7`` equals a read's ``"7"``.
- Below the vocabulary: small helpers every history checker shares (``pair_calls`` keeps extra fields,
  ``timed`` loads history.jsonl and turns bad input into UNKNOWN naming the line, ``distribution``).

kv (history.md): read / write / cas / append / delete; ok writes may add ``"index": n``::

  {"process":0,"type":"invoke","f":"write","key":"/w/a","value":"v1","time":10}
  {"process":0,"type":"ok","f":"write","key":"/w/a","value":"v1","index":7,"time":20}
  {"process":9,"type":"invoke","f":"read","key":"/w/a","value":null,"final":true,"time":900}
  {"process":9,"type":"ok","f":"read","key":"/w/a","value":"v1","final":true,"time":950}

exactly-once append: ``f:"append"`` whose value is a unique token ending in ``;`` with no other ``;``
(``"<process>.<seq>;"``); the key's value is the concatenation, so a read splits on ``;``::

  {"process":1,"type":"invoke","f":"append","key":"/log","value":"1.0;","time":5}
  {"process":1,"type":"ok","f":"append","key":"/log","value":"1.0;","time":9}
  ... final: {"process":9,"type":"ok","f":"read","key":"/log","value":"1.0;2.0;","final":true,"time":99}

exactly-once set: ``f:"add"`` (value: a unique element, int or string), ``f:"read-set"`` (ok value: list of
elements, duplicates kept as the server returned them)::

  {"process":2,"type":"invoke","f":"add","key":"/set","value":17,"time":5}
  {"process":2,"type":"ok","f":"add","key":"/set","value":17,"index":12,"time":9}
  {"process":9,"type":"ok","f":"read-set","key":"/set","value":[17,18],"final":true,"time":99}

watch: one long-poll = one op. invoke value ``{"waitIndex": n, "recursive": bool}``; extra field
``"watcher": w`` (int) names the logical watcher across process ids (a watcher that gets ``info`` continues
on a new process with the same ``watcher``). ok value = the event. A watcher loops
``waitIndex = modifiedIndex + 1``. fail ``error`` = ``"401"`` (history cleared; the watcher may then skip
ahead: the next waitIndex is unconstrained), ``"closed"`` (empty body; re-watch with the same waitIndex)::

  {"process":3,"type":"invoke","f":"watch","key":"/w","value":{"waitIndex":7,"recursive":true},"watcher":0,"time":1}
  {"process":3,"type":"ok","f":"watch","key":"/w","value":{"action":"set","key":"/w/a","value":"v1",
     "prevValue":null,"modifiedIndex":7,"createdIndex":7},"watcher":0,"time":20}
  {"process":3,"type":"fail","f":"watch","key":"/w","value":null,"error":"401","watcher":0,"time":30}

  Actions: set, create, update, compareAndSwap, delete, compareAndDelete, expire. The writes a watch must
  see are the kv ``write``/``cas``/``delete`` (and ``register``/``append``/``add``) ok ops with ``"index"``;
  refreshes (``heartbeat``, lock ``refresh``) are never delivered.

lock / leader election (``acquire``/``release`` or ``campaign``/``resign``, same rules; ``refresh`` keeps
it alive). acquire invoke value ``{"ttl_ns": T}``, ok value ``{"token": n}`` (fencing token: the lock key's
createdIndex), fail = not acquired (``error`` ``"105"`` if taken). release invoke value ``{"token": n}``.
refresh invoke value ``{"ttl_ns": T}``. The holder's interval is [acquire ok time, end] where end =
min(release invoke time, lease end) and lease end = (invoke time of the acquire or of the last ok refresh) + T:
a release that fails or times out still ends the client's hold at its invoke, and the server keeps the
key until TTL expiry, so nobody else may get it earlier::

  {"process":4,"type":"invoke","f":"acquire","key":"/lock","value":{"ttl_ns":5000000000},"time":1}
  {"process":4,"type":"ok","f":"acquire","key":"/lock","value":{"token":31},"time":8}
  {"process":4,"type":"invoke","f":"release","key":"/lock","value":{"token":31},"time":50}

queue: ``enqueue`` (invoke value: a unique item; ok may carry ``"index"``), ``dequeue`` (invoke null; ok value
the item; fail ``error`` ``"empty"`` when nothing is there). The runner drains each queue at the end with
``dequeue`` ops marked ``"final": true`` until one fails ``"empty"``::

  {"process":5,"type":"invoke","f":"enqueue","key":"/q","value":"i1","time":1}
  {"process":5,"type":"ok","f":"enqueue","key":"/q","value":"i1","index":40,"time":4}
  {"process":6,"type":"ok","f":"dequeue","key":"/q","value":"i1","time":9}
  {"process":9,"type":"fail","f":"dequeue","key":"/q","value":null,"error":"empty","final":true,"time":99}

service registry / TTL: ``register`` (invoke value ``{"value": v, "ttl_ns": T}``), ``heartbeat`` (refresh:
invoke value ``{"ttl_ns": T}``; fail ``"100"`` = key gone), ``deregister`` (delete), ``lookup`` (quorum read;
ok value = the value, or null when absent)::

  {"process":7,"type":"invoke","f":"register","key":"/svc/a","value":{"value":"10.0.0.1","ttl_ns":2000000000},"time":1}
  {"process":7,"type":"ok","f":"register","key":"/svc/a","value":{"value":"10.0.0.1","ttl_ns":2000000000},"index":3,"time":5}
  {"process":8,"type":"invoke","f":"lookup","key":"/svc/a","value":null,"time":6}
  {"process":8,"type":"ok","f":"lookup","key":"/svc/a","value":"10.0.0.1","time":9}
"""

from __future__ import annotations

import time as _time
from dataclasses import dataclass
from typing import Any

from checkers.history import HistoryError, Op, OpType, read_history
from checkers.result import CheckResult, Verdict

__all__ = [
    "Call",
    "distribution",
    "extra",
    "load_history",
    "pair_calls",
    "skipped",
    "timed",
    "unknown",
    "ACQUIRE_FS",
    "APPEND",
    "ADD",
    "DEQUEUE",
    "ENQUEUE",
    "EXTRA_FINAL",
    "EXTRA_INDEX",
    "EXTRA_LOCAL",
    "EXTRA_WATCHER",
    "HEARTBEAT",
    "LOCK_REFRESH",
    "LOOKUP",
    "READ",
    "READ_SET",
    "REGISTER",
    "DEREGISTER",
    "RELEASE_FS",
    "TOKEN_SEP",
    "WATCH",
    "WATCH_ACTIONS",
    "ERR_EMPTY",
    "ERR_HISTORY_CLEARED",
    "ERR_WATCH_CLOSED",
    "LONG_POLL_FS",
    "is_long_poll",
    "WAITING_FS",
]

# extra fields
EXTRA_FINAL = "final"
EXTRA_INDEX = "index"
EXTRA_WATCHER = "watcher"
EXTRA_LOCAL = "local"

# kv / exactly-once
READ = "read"
APPEND = "append"
TOKEN_SEP = ";"
ADD = "add"
READ_SET = "read-set"

# watch
WATCH = "watch"
WATCH_ACTIONS = ("set", "create", "update", "compareAndSwap", "delete", "compareAndDelete", "expire")
ERR_HISTORY_CLEARED = "401"
ERR_WATCH_CLOSED = "closed"

# lock / election: acquire-like -> release-like
ACQUIRE_FS = {"acquire": "release", "campaign": "resign"}
RELEASE_FS = frozenset(ACQUIRE_FS.values())
LOCK_REFRESH = "refresh"

# queue
ENQUEUE = "enqueue"
DEQUEUE = "dequeue"
ERR_EMPTY = "empty"

# registry / TTL
REGISTER = "register"
HEARTBEAT = "heartbeat"
DEREGISTER = "deregister"
LOOKUP = "lookup"

# ops that block by design (excluded from latency bounds)
LONG_POLL_FS = frozenset({WATCH})


def is_long_poll(f: str, invoke_value: Any) -> bool:
    """A long poll: a ``watch``, or a store-api request with ``wait=true`` (the tree workload's stream)."""
    if f in LONG_POLL_FS:
        return True
    params = invoke_value.get("params") if isinstance(invoke_value, dict) else None
    return isinstance(params, dict) and params.get("wait") == "true"


# ops that wait for another client by design (a held lock, a sitting leader), up to the client timeout
WAITING_FS = frozenset(ACQUIRE_FS)


# -- helpers shared by the history checkers ---------------------------------------------------------


def extra(op: Op | None, name: str, default: Any = None) -> Any:
    """The extra (non-standard) field ``name`` of an event, or ``default``."""
    if op is None:
        return default
    for k, v in op.extra:
        if k == name:
            return v
    return default


@dataclass(frozen=True, slots=True)
class Call:
    """An invoke and its completion (None: never completed, counts as info). Extras stay reachable."""

    inv: Op
    comp: Op | None

    @property
    def type(self) -> OpType:
        return OpType.INFO if self.comp is None else self.comp.type

    @property
    def is_ok(self) -> bool:
        return self.type is OpType.OK

    @property
    def f(self) -> str:
        return self.inv.f

    @property
    def key(self) -> str:
        return self.inv.key

    @property
    def start(self) -> int:
        return self.inv.time or 0

    @property
    def end(self) -> int | None:
        """Completion time; None for info / never completed (may take effect any time later)."""
        if self.comp is None or self.comp.type is OpType.INFO:
            return None
        return self.comp.time

    @property
    def value(self) -> Any:
        return self.comp.value if self.is_ok else None

    def get(self, name: str, default: Any = None) -> Any:
        """An extra field from the completion, else from the invoke."""
        v = extra(self.comp, name, None)
        return extra(self.inv, name, default) if v is None else v

    def to_json(self) -> dict[str, Any]:
        return {"invoke": {"line": self.inv.lineno, **self.inv.to_json()},
                "complete": None if self.comp is None else {"line": self.comp.lineno, **self.comp.to_json()}}


def pair_calls(ops: list[Op]) -> list[Call]:
    """Pair each invoke with its completion, in invoke order."""
    out: list[Call] = []
    slot: dict[int, int] = {}
    for op in ops:
        if op.type is OpType.INVOKE:
            slot[op.process] = len(out)
            out.append(Call(op, None))
        elif op.process in slot:
            i = slot.pop(op.process)
            out[i] = Call(out[i].inv, op)
    return out


def unknown(name: str, message: str) -> CheckResult:
    return CheckResult(checker=name, verdict=Verdict.UNKNOWN, summary=message, details={"error": message})


def skipped(name: str, what: str) -> CheckResult:
    return CheckResult(checker=name, verdict=Verdict.NOT_EXERCISED, summary=f"no {what} ops", details={"skipped": True})


def load_history(run: Any, name: str) -> list[Op] | CheckResult:
    """The run's history events, or an UNKNOWN result naming the file and line."""
    try:
        return run.cached("history", lambda: read_history(run.history))
    except HistoryError as e:
        return unknown(name, f"{run.history.name} {e}")
    except (OSError, UnicodeDecodeError) as e:
        return unknown(name, f"{run.history}: {getattr(e, 'strerror', None) or e}")


def timed(name: str, fn: Any, run: Any) -> CheckResult:
    """Run ``fn(ops)`` on the run's history; never raises; fills ``elapsed_s``."""
    t0 = _time.perf_counter()
    ops = load_history(run, name)
    if isinstance(ops, CheckResult):
        res = ops
    else:
        try:
            res = fn(ops)
        except Exception as e:  # a checker bug or an input shape we did not foresee: not a verdict
            res = unknown(name, f"checker error: {type(e).__name__}: {e}")
    return CheckResult(checker=res.checker, verdict=res.verdict, summary=res.summary, details=res.details,
                       elapsed_s=_time.perf_counter() - t0)


def distribution(values: list[int]) -> dict[str, int]:
    """{"n", "p50", "p90", "p99", "max"} of int values (nearest-rank); {"n": 0} if empty."""
    if not values:
        return {"n": 0}
    v = sorted(values)

    def rank(q: float) -> int:
        return v[min(len(v) - 1, max(0, -(-int(q * len(v) * 1000) // 1000) - 1))]

    return {"n": len(v), "p50": rank(0.5), "p90": rank(0.9), "p99": rank(0.99), "max": v[-1]}
