"""Store API answers (the ``tree`` workload): each answer is the one a single store fed the client's own
requests in order would give.

Rules:
- Judged: ``f: "api"`` ops completed ``ok`` or ``fail`` whose invoke value holds a prediction ``expect``
  (``[status, errorCode, action, observed]``, scenarios/tree_workload.py); the completion's value must equal
  it. An ``info`` op, or one without a prediction (a stream watch), is not judged.
- A mismatch is ILLEGAL naming the request, what was predicted and what came back; no api op: NOT_EXERCISED.
"""

from __future__ import annotations

from typing import Any

from checkers.history import Op
from checkers.registry import checker
from checkers.result import CheckResult, Verdict
from checkers.vocab import pair_calls, skipped, timed

__all__ = ["ApiChecker", "check_api"]

NAME = "store-api"
API = "api"


def check_api(ops: list[Op]) -> CheckResult:
    """Compare each judged api op's answer with its prediction (pure; see module rules)."""
    calls = [c for c in pair_calls(ops) if c.f == API]
    if not calls:
        return skipped(NAME, "api")
    judged = 0
    bad: list[dict[str, Any]] = []
    for c in calls:
        inv = c.inv.value if isinstance(c.inv.value, dict) else {}
        expect = inv.get("expect")
        if expect is None or c.comp is None or c.type.value == "info":
            continue
        judged += 1
        if c.comp.value != expect:
            bad.append({"request": inv.get("req"), "expected": expect, "got": c.comp.value, **c.to_json()})
    details: dict[str, Any] = {"judged": judged, "api_ops": len(calls)}
    if bad:
        first = bad[0]
        return CheckResult(checker=NAME, verdict=Verdict.ILLEGAL, details={**details, "mismatches": len(bad),
                                                                             "counterexample": bad[:5]},
                           summary=f"{len(bad)} answer(s) differ from a single store's; {first['request']}: "
                                   f"expected {first['expected']}, got {first['got']}")
    return CheckResult(checker=NAME, verdict=Verdict.OK, details=details,
                       summary=f"{judged} of {len(calls)} api answer(s) as a single store would give")


@checker()
class ApiChecker:
    """The tree workload's answers against their predictions (history.jsonl)."""

    name = NAME

    def check(self, run: Any) -> CheckResult:
        return timed(NAME, check_api, run)
