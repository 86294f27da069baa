"""TTL window: a key lives at least its TTL after the last acknowledged refresh, and not much longer.

Rules (vocabulary: checkers/vocab.py; ``register``/``heartbeat``/``deregister``/``lookup`` per key):
- Early: a refresh R (ok register/heartbeat) that completed before an absence observation O was invoked,
  with R's invoke time + ttl_ns after O completed, guarantees the key through O (the server starts the TTL on
  receipt, after R's invoke). Absence observations: a ``lookup`` returning null, a ``heartbeat`` failing ``100``.
  No deregister may have been in flight between R's invoke and O's completion.
- Late: a ``lookup`` that sees the key at time t when every register/heartbeat that may have taken effect
  before t expired by D = max(completion + ttl_ns) must have t <= D + slack, unless a fault was in force
  (or its heal was under slack ago) somewhere in [D, t]: expiry needs a leader with quorum. Lookups after a
  register/heartbeat of unknown outcome, or without a TTL, are not judged late.
- slack comes from run.json timing (checkers.liveness.bounds_from_timing); without it only Early is judged.
"""

from __future__ import annotations

import bisect
import time
from collections import defaultdict
from typing import Any

from checkers.history import Op, OpType, fmt_ms
from checkers.registry import checker
from checkers.result import CheckResult, Verdict
from checkers.vocab import DEREGISTER, HEARTBEAT, LOOKUP, REGISTER, Call, pair_calls, skipped, timed, unknown

__all__ = ["TTLChecker", "check_ttl"]

NAME = "ttl"
INF = float("inf")


def _ttl(c: Call) -> float:
    v = c.inv.value
    t = v.get("ttl_ns") if isinstance(v, dict) else None
    return t if isinstance(t, int) and t >= 0 else INF


def _in_fault(periods: list[tuple[int, int | None]], lo: float, hi: float, slack: int) -> bool:
    for s, e in periods:
        end = INF if e is None else e + slack
        if s <= hi and end >= lo:
            return True
    return False


def check_ttl(ops: list[Op], *, slack_ns: int | None = None, faulty: list[tuple[int, int | None]] = ()) -> CheckResult:
    """Check the TTL window (pure; see module rules). ``faulty``: [start, heal) periods from the trace."""
    calls = pair_calls(ops)
    by_key: dict[str, list[Call]] = defaultdict(list)
    for c in calls:
        if c.f in (REGISTER, HEARTBEAT, DEREGISTER, LOOKUP):
            by_key[c.key].append(c)
    if not any(c.f in (REGISTER, HEARTBEAT) for cs in by_key.values() for c in cs):
        return skipped(NAME, "register/heartbeat")
    problems: list[dict[str, Any]] = []
    early_judged = late_judged = 0
    for key, cs in sorted(by_key.items()):
        refs = sorted((c for c in cs if c.f in (REGISTER, HEARTBEAT) and c.is_ok and c.end is not None), key=lambda c: c.end)
        ends = [c.end for c in refs]
        best: list[Call] = []  # prefix argmax of invoke + ttl
        for c in refs:
            best.append(c if not best or c.start + _ttl(c) > best[-1].start + _ttl(best[-1]) else best[-1])
        deregs = [c for c in cs if c.f == DEREGISTER and c.type is not OpType.FAIL]
        maybe = sorted((c for c in cs if c.f in (REGISTER, HEARTBEAT) and c.type is not OpType.FAIL), key=lambda c: c.start)
        starts = [c.start for c in maybe]
        pref: list[tuple[float, bool]] = []  # (max completion + ttl, any unknown/permanent) over maybe[:i+1]
        for c in maybe:
            d = INF if c.end is None else c.end + _ttl(c)
            pref.append((max(d, pref[-1][0]) if pref else d, (pref[-1][1] if pref else False) or d == INF))
        for o in cs:
            absent = (o.f == LOOKUP and o.is_ok and o.value is None) or (
                o.f == HEARTBEAT and o.type is OpType.FAIL and o.comp is not None and o.comp.error == "100")
            o_end = o.end if o.end is not None else None
            if absent and o_end is not None:
                i = bisect.bisect_left(ends, o.start) - 1
                if i >= 0:
                    r = best[i]
                    deadline = r.start + _ttl(r)
                    early_judged += 1
                    if deadline > o_end and not any(d.start < o_end and (d.end is None or d.end > r.start) for d in deregs):
                        problems.append({"kind": "early", "key": key,
                                         "message": f"{key} vanished by {fmt_ms(o_end)}, before its TTL ran out at {fmt_ms(deadline)}",
                                         "ops": [r.to_json(), o.to_json()]})
            elif o.f == LOOKUP and o.is_ok and o.value is not None and slack_ns is not None:
                i = bisect.bisect_left(starts, o_end if o_end is not None else o.start) - 1
                if i < 0 or pref[i][1]:
                    continue
                deadline = pref[i][0]
                late_judged += 1
                if o.start > deadline + slack_ns and not _in_fault(list(faulty), deadline, o.start, slack_ns):
                    problems.append({"kind": "late", "key": key,
                                     "message": f"{key} still present at {fmt_ms(o.start)}, {fmt_ms(o.start - deadline, 3)} after its TTL "
                                                f"ran out (slack {fmt_ms(slack_ns, 3)})", "ops": [o.to_json()]})
    details: dict[str, Any] = {"keys": len(by_key), "early_judged": early_judged, "late_judged": late_judged,
                               "slack_ns": slack_ns}
    if problems:
        details["problems"] = problems[:20]
        details["violations"] = len(problems)
        return CheckResult(checker=NAME, verdict=Verdict.ILLEGAL, summary=problems[0]["message"], details=details)
    return CheckResult(checker=NAME, verdict=Verdict.OK,
                       summary=f"{early_judged} absence and {late_judged} presence observation(s) inside the TTL window"
                               + ("" if slack_ns is not None else " (late expiry not judged: no timing)"),
                       details=details)


@checker()
class TTLChecker:
    """TTL window on history.jsonl (bounds from run.json timing, fault periods from trace.jsonl)."""

    name = NAME

    def check(self, run: Any) -> CheckResult:
        from checkers.liveness import bounds_from_timing, faulty_periods, run_trace_records

        t0 = time.perf_counter()
        try:
            bounds = bounds_from_timing(run.meta())
            faulty = faulty_periods(run_trace_records(run)) if run.trace.is_file() else []
        except Exception as e:  # RunDirError, OSError, a bad trace line
            return unknown(NAME, str(e))
        res = timed(NAME, lambda ops: check_ttl(ops, slack_ns=bounds["ttl_slack_ns"] if bounds else None, faulty=faulty), run)
        return CheckResult(checker=NAME, verdict=res.verdict, summary=res.summary, details=res.details,
                           elapsed_s=time.perf_counter() - t0)
