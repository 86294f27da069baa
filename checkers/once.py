"""Exactly-once: appended tokens and set elements appear at most once, and acknowledged ones appear.

Rules (vocabulary: checkers/vocab.py):
- ``append`` tokens are unique strings ending in ``;``; a key's value splits on ``;`` into tokens.
  ``add`` elements are unique; ``read-set`` returns the list of elements.
- Every ok read (final or not) must hold no token twice (an applied-twice request, B10) and only tokens
  that some append invoked (no phantoms), and none whose append failed.
- The final read (``"final": true``) must hold every acknowledged token. Keys without a final read get only
  the first checks (reported in ``details.no_final``).
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from json.encoder import encode_basestring_ascii  # type: ignore[attr-defined]
from typing import Any

from checkers.history import Op, OpType
from checkers.registry import checker
from checkers.result import CheckResult, Verdict
from checkers.vocab import ADD, APPEND, EXTRA_FINAL, READ, READ_SET, TOKEN_SEP, Call, pair_calls, skipped, timed

__all__ = ["ExactlyOnceChecker", "check_exactly_once"]

NAME = "exactly-once"


def _k(v: Any) -> str:
    """``json.dumps(v, sort_keys=True)``; strings and ints (every token of a read: the hot path) directly,
    by the same functions json.dumps calls for them."""
    t = type(v)
    if t is str:
        return encode_basestring_ascii(v)
    if t is int:
        return int.__repr__(v)
    return json.dumps(v, sort_keys=True)


def _tokens(kind: str, value: Any) -> list[str] | None:
    """The tokens a read observed (as JSON texts), or None if the value has the wrong shape."""
    if value is None:
        return []
    if kind == APPEND:
        if not isinstance(value, str):
            return None
        return [_k(t + TOKEN_SEP) for t in value.split(TOKEN_SEP) if t]
    if not isinstance(value, list):
        return None
    return [_k(x) for x in value]


def check_exactly_once(ops: list[Op]) -> CheckResult:
    """Check append tokens and set elements (pure; see module rules)."""
    calls = pair_calls(ops)
    adds: dict[tuple[str, str], list[Call]] = defaultdict(list)  # (kind, key) -> append/add calls
    reads: dict[tuple[str, str], list[Call]] = defaultdict(list)
    for c in calls:
        if c.f in (APPEND, ADD):
            adds[(c.f, c.key)].append(c)
    for c in calls:
        if c.is_ok and c.f == READ and (APPEND, c.key) in adds:
            reads[(APPEND, c.key)].append(c)
        elif c.is_ok and c.f == READ_SET:
            reads[(ADD, c.key)].append(c)
    if not adds:
        return skipped(NAME, "append/add")
    problems: list[dict[str, Any]] = []
    no_final: list[str] = []
    n_acked = 0
    for kind, key in sorted(adds):
        status: dict[str, OpType] = {}
        by_tok: dict[str, Call] = {}
        for c in adds[(kind, key)]:
            tok = _k(c.inv.value)
            status[tok] = c.type
            by_tok[tok] = c
        acked = {t for t, s in status.items() if s is OpType.OK}
        n_acked += len(acked)
        final = None
        for r in reads.get((kind, key), []):
            toks = _tokens(kind, r.value)
            if toks is None:
                problems.append({"key": key, "kind": "malformed-read", "read": r.to_json()})
                continue
            cnt = Counter(toks)
            dup = sorted(t for t, n in cnt.items() if n > 1)
            phantom = sorted(t for t in cnt if t not in status)
            failed = sorted(t for t in cnt if status.get(t) is OpType.FAIL)
            for what, ts in (("duplicate", dup), ("phantom", phantom), ("failed-took-effect", failed)):
                if ts:
                    problems.append({"key": key, "kind": what, "tokens": [json.loads(t) for t in ts[:10]], "read": r.to_json(),
                                     "ops": [by_tok[t].to_json() for t in ts[:3] if t in by_tok]})
            if r.get(EXTRA_FINAL):
                final = cnt
        if final is None:
            no_final.append(key)
            continue
        missing = sorted(t for t in acked if t not in final)
        if missing:
            problems.append({"key": key, "kind": "lost", "tokens": [json.loads(t) for t in missing[:10]],
                             "ops": [by_tok[t].to_json() for t in missing[:3]]})
    details: dict[str, Any] = {"keys": len(adds), "acknowledged": n_acked, "no_final": no_final}
    if problems:
        p = problems[0]
        details["problems"] = problems[:20]
        return CheckResult(checker=NAME, verdict=Verdict.ILLEGAL,
                           summary=f"{len(problems)} problem(s); first: {p['kind']} on {p['key']} {p.get('tokens', '')}",
                           details=details)
    return CheckResult(checker=NAME, verdict=Verdict.OK,
                       summary=f"{len(adds)} key(s), {n_acked} acknowledged token(s), each seen once", details=details)


@checker()
class ExactlyOnceChecker:
    """Append tokens / set elements applied exactly once (history.jsonl)."""

    name = NAME

    def check(self, run: Any) -> CheckResult:
        return timed(NAME, check_exactly_once, run)
