"""Synthetic kv histories from a sequential run: linearizable by construction, or with one stale read.

Rules:
- Randomness arrives as an argument (``rng``); same rng state, same history.
- Each process runs ops back to back; an op's invoke < linearization point < completion (int ns). The ops
  are applied to a dict in linearization-point order, which fixes every result, so the history is
  linearizable. cas compares fail with ``error: "compare-failed"`` (true at the linearization point).
- Every written, cas'd or appended value is a fresh token ending in ``;`` (``w17;``, ``c3;``, ``a5;``), so a
  register's value names the ops that built it; ``inject_stale_read`` relies on that.
- With ``info_p`` an op's completion is lost (``info``; it took effect or not, at random) and its process
  retires; with ``fail_p`` a write/append/delete fails without taking effect (``error: "rejected"``).
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from typing import Any

__all__ = ["MIX", "REGISTER_MIX", "SynthOp", "generate", "inject_stale_read", "to_lines"]

MIX = (("read", 40), ("write", 25), ("cas", 20), ("append", 10), ("delete", 5))
REGISTER_MIX = (("read", 45), ("write", 25), ("cas", 25), ("delete", 5))


@dataclass(slots=True)
class SynthOp:
    process: int
    key: str
    f: str
    invoke_ns: int
    lin_ns: int
    complete_ns: int
    value: Any = None  # invoke operand
    result: Any = None  # ok value
    outcome: str = "ok"  # ok | fail | info
    error: str | None = None
    applied: bool = True  # took effect (an ok mutation, or an info that happened)
    state_before: Any = None
    state_after: Any = None
    tokens: list[str] = field(default_factory=list)


def generate(rng: random.Random, *, n_ops: int, keys: int = 1, concurrency: int = 10, latency_ns: int = 100,
             info_p: float = 0.0, fail_p: float = 0.0,
             info_fs: tuple[str, ...] = ("write", "cas", "append", "delete"),
             mix: tuple[tuple[str, int], ...] = MIX) -> list[SynthOp]:
    """``n_ops`` ops over ``keys`` keys by ``concurrency`` concurrent processes, in linearization order.

    ``mix``: (f, weight) pairs; ``REGISTER_MIX`` leaves out append (a register workload).
    """
    fs = [f for f, _ in mix]
    weights = [w for _, w in mix]
    ops: list[SynthOp] = []
    now = [0] * concurrency
    proc_id = list(range(concurrency))
    next_pid = concurrency
    per = [n_ops // concurrency + (1 if c < n_ops % concurrency else 0) for c in range(concurrency)]
    for c in range(concurrency):
        for _ in range(per[c]):
            inv = now[c] + rng.randint(0, 2 * latency_ns)
            lin = inv + rng.randint(1, latency_ns)
            ret = lin + rng.randint(1, latency_ns)
            now[c] = ret
            op = SynthOp(process=proc_id[c], key=f"k{rng.randrange(keys)}" if keys > 1 else "",
                         f=rng.choices(fs, weights)[0], invoke_ns=inv, lin_ns=lin, complete_ns=ret)
            if op.f in info_fs and rng.random() < info_p:
                op.outcome = "info"
                proc_id[c] = next_pid  # a process that saw info never invokes again
                next_pid += 1
            elif op.f != "read" and op.f != "cas" and rng.random() < fail_p:
                op.outcome, op.error, op.applied = "fail", "rejected", False
            ops.append(op)
    ops.sort(key=lambda o: (o.lin_ns, o.process))
    state: dict[str, Any] = {}
    counter = 0
    for op in ops:
        cur = state.get(op.key)
        op.state_before = cur
        counter += 1
        if op.f == "read":
            op.result = cur
        elif op.f == "write":
            op.value = f"w{counter};"
            op.tokens = [op.value]
        elif op.f == "append":
            op.value = f"a{counter};"
            op.tokens = [op.value]
        elif op.f == "cas":
            expected = cur if rng.random() < 0.6 else rng.choice([None, f"w{rng.randrange(counter)};"])
            op.value = [expected, f"c{counter};"]
            op.tokens = [op.value[1]]
            if expected != cur:
                op.applied = False
                if op.outcome == "ok":
                    op.outcome, op.error = "fail", "compare-failed"
        if op.outcome == "info" and op.applied:
            op.applied = rng.random() < 0.5
        if op.applied and op.f != "read":
            if op.f == "write":
                state[op.key] = op.value
            elif op.f == "append":
                state[op.key] = (cur or "") + op.value
            elif op.f == "cas":
                state[op.key] = op.value[1]
            elif op.f == "delete":
                state.pop(op.key, None)
        op.state_after = state.get(op.key)
        if op.outcome == "ok" and op.f != "read":
            op.result = op.value
    return ops


def inject_stale_read(rng: random.Random, ops: list[SynthOp]) -> SynthOp | None:
    """Make one ok read return a value that was overwritten strictly before its invoke; None if none fits.

    The value v is truly stale: a blind ok write/delete w2 completed before the read's invoke, and every op
    whose token is in v is ok and completed before w2's invoke, so every linearization puts all of them before
    w2 before the read, and after w2 no state can contain their tokens again.
    """
    by_token = {t: o for o in ops for t in o.tokens}
    reads = [o for o in ops if o.f == "read" and o.outcome == "ok"]
    rng.shuffle(reads)
    for r in reads[:200]:
        blind = [w for w in ops if w.key == r.key and w.f in ("write", "delete") and w.outcome == "ok"
                 and w.complete_ns < r.invoke_ns]
        if not blind:
            continue
        w2 = max(blind, key=lambda w: w.complete_ns)
        candidates = []
        for o in ops:
            v = o.state_after
            if o.key != r.key or not v or v == r.result or o.lin_ns >= w2.lin_ns:
                continue
            toks = [t + ";" for t in v.split(";")[:-1]]
            makers = [by_token.get(t) for t in toks]
            if all(m is not None and m.outcome == "ok" and m.complete_ns < w2.invoke_ns for m in makers):
                candidates.append(v)
        if candidates:
            r.result = rng.choice(sorted(set(candidates)))
            return r
    return None


def to_lines(ops: list[SynthOp]) -> list[str]:
    """The history (JSON lines, shared/formats/history.md) of ``ops``, in time order."""
    events: list[tuple[int, int, int, dict[str, Any]]] = []
    for n, o in enumerate(ops):
        inv: dict[str, Any] = {"process": o.process, "type": "invoke", "f": o.f}
        if o.key:
            inv["key"] = o.key
        inv["value"] = o.value
        inv["time"] = o.invoke_ns
        done = dict(inv, type=o.outcome, value=o.result if o.outcome == "ok" else o.value, time=o.complete_ns)
        if o.error:
            done["error"] = o.error
        # at equal times, completions first: an op that ends at t precedes one that starts at t
        events.append((o.invoke_ns, 1, n, inv))
        events.append((o.complete_ns, 0, n, done))
    events.sort(key=lambda e: e[:3])
    return [json.dumps(e[3]) + "\n" for e in events]
