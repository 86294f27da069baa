"""Queue: nothing claimed twice, nothing invented, nothing acknowledged lost.

Rules (vocabulary: checkers/vocab.py; per queue key):
- Every ok ``dequeue`` returns an item some ``enqueue`` invoked whose enqueue did not fail.
- No item is returned by two ok dequeues (claimed twice).
- Lost: judged only when the runner's final drain reached empty (a ``"final": true`` dequeue that failed
  ``"empty"``). Then every acknowledged enqueue's item was dequeued, except that each dequeue whose outcome
  is unknown (info) may have claimed one item silently.
"""

from __future__ import annotations

import json
from typing import Any

from checkers.history import Op, OpType
from checkers.registry import checker
from checkers.result import CheckResult, Verdict
from checkers.vocab import DEQUEUE, ENQUEUE, ERR_EMPTY, EXTRA_FINAL, Call, pair_calls, skipped, timed

__all__ = ["QueueChecker", "check_queue"]

NAME = "queue"


def _k(v: Any) -> str:
    return json.dumps(v, sort_keys=True)


def check_queue(ops: list[Op]) -> CheckResult:
    """Check enqueue/dequeue ops (pure; see module rules)."""
    calls = pair_calls(ops)
    keys = sorted({c.key for c in calls if c.f in (ENQUEUE, DEQUEUE)})
    if not keys:
        return skipped(NAME, "enqueue/dequeue")
    problems: list[dict[str, Any]] = []
    drained: list[str] = []
    n_enq = n_deq = 0
    for key in keys:
        enq: dict[str, Call] = {}
        for c in calls:
            if c.key == key and c.f == ENQUEUE:
                enq[_k(c.inv.value)] = c
        deqs = [c for c in calls if c.key == key and c.f == DEQUEUE]
        n_enq += len(enq)
        n_deq += sum(1 for d in deqs if d.is_ok)
        got: dict[str, Call] = {}
        for d in deqs:
            if not d.is_ok:
                continue
            item = _k(d.value)
            e = enq.get(item)
            if e is None or e.type is OpType.FAIL:
                problems.append({"kind": "phantom", "key": key, "item": d.value,
                                 "message": f"{key}: dequeued {d.value!r}, which was never (successfully) enqueued",
                                 "ops": [d.to_json()] + ([e.to_json()] if e else [])})
            if item in got:
                problems.append({"kind": "duplicate", "key": key, "item": d.value,
                                 "message": f"{key}: {d.value!r} dequeued twice", "ops": [got[item].to_json(), d.to_json()]})
            got.setdefault(item, d)
        final_empty = any(d.get(EXTRA_FINAL) and d.type is OpType.FAIL and d.comp is not None and d.comp.error == ERR_EMPTY
                          for d in deqs)
        if not final_empty:
            continue
        drained.append(key)
        unknown_deqs = sum(1 for d in deqs if d.type is OpType.INFO)
        missing = sorted(i for i, e in enq.items() if e.is_ok and i not in got)
        if len(missing) > unknown_deqs:
            problems.append({"kind": "lost", "key": key, "items": [json.loads(i) for i in missing[:10]],
                             "message": f"{key}: {len(missing)} acknowledged item(s) never dequeued "
                                        f"({unknown_deqs} unknown dequeue(s) may explain only that many)",
                             "ops": [enq[i].to_json() for i in missing[:3]]})
    details: dict[str, Any] = {"queues": len(keys), "enqueues": n_enq, "dequeued": n_deq, "drained": drained}
    if problems:
        details["problems"] = problems[:20]
        details["violations"] = len(problems)
        return CheckResult(checker=NAME, verdict=Verdict.ILLEGAL, summary=problems[0]["message"], details=details)
    note = "" if len(drained) == len(keys) else f"; {len(keys) - len(drained)} queue(s) not drained, loss not judged"
    return CheckResult(checker=NAME, verdict=Verdict.OK, summary=f"{n_deq} dequeue(s), none twice, none invented{note}", details=details)


@checker()
class QueueChecker:
    """Queue: nothing lost, nothing claimed twice (history.jsonl)."""

    name = NAME

    def check(self, run: Any) -> CheckResult:
        return timed(NAME, check_queue, run)
