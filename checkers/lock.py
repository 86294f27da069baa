"""Mutual exclusion: lock (and leader-election) hold intervals never overlap; fencing tokens increase.

Rules (vocabulary: checkers/vocab.py; ``acquire``/``release`` and ``campaign``/``resign`` alike, per key):
- A holder's interval is [acquire ok time, end], end = min(its process's next release invoke time, the
  invoke time of any release naming its token (after an ``info`` the client goes on under a new process
  id, so its release may come from another process), lease end); lease end = acquire invoke time + ttl_ns, extended to refresh invoke + ttl_ns by each ok ``refresh``
  invoked before the lease ran out. The server's expiry is never earlier than that (TTL starts at receipt),
  so two intervals that overlap in real time mean two clients held the lock at once (B16, B17).
- Fencing: if acquire A completed before acquire B was invoked, token(A) < token(B); two acquires never
  share a token.
- O(n log n) per key.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from checkers.history import Op
from checkers.registry import checker
from checkers.result import CheckResult, Verdict
from checkers.vocab import ACQUIRE_FS, LOCK_REFRESH, RELEASE_FS, Call, pair_calls, skipped, timed

__all__ = ["LockChecker", "check_lock", "hold_intervals"]

NAME = "lock"
INF = float("inf")


def _ttl(c: Call) -> float:
    v = c.inv.value
    t = v.get("ttl_ns") if isinstance(v, dict) else None
    return t if isinstance(t, int) and t > 0 else INF


def hold_intervals(calls: list[Call]) -> dict[str, list[tuple[int, float, Any, Call, Call | None]]]:
    """Per key: (start, end, token, acquire call, release call or None), for acquires that succeeded."""
    by_proc: dict[tuple[str, int], list[Call]] = defaultdict(list)
    for c in calls:
        if c.f in ACQUIRE_FS or c.f in RELEASE_FS or c.f == LOCK_REFRESH:
            by_proc[(c.key, c.inv.process)].append(c)
    by_token: dict[tuple[str, Any], list[Call]] = defaultdict(list)
    for c in calls:
        if c.f in RELEASE_FS and isinstance(c.inv.value, dict) and c.inv.value.get("token") is not None:
            by_token[(c.key, c.inv.value["token"])].append(c)
    out: dict[str, list[tuple[int, float, Any, Call, Call | None]]] = defaultdict(list)
    for (key, _), cs in sorted(by_proc.items()):
        for i, a in enumerate(cs):
            if a.f not in ACQUIRE_FS or not a.is_ok or a.end is None:
                continue
            ttl = _ttl(a)
            lease = a.start + ttl
            end, rel = lease, None
            for c in cs[i + 1:]:
                if c.f in ACQUIRE_FS:
                    break
                if c.f == LOCK_REFRESH and c.is_ok and c.start < lease:
                    lease = max(lease, c.start + _ttl(c))
                    end = lease
                elif c.f in RELEASE_FS:
                    rel = c
                    end = min(c.start, lease)
                    break
            tok = a.value.get("token") if isinstance(a.value, dict) else None
            for r in by_token.get((key, tok), ()) if tok is not None else ():
                if r.start >= a.start and r.start < end:
                    end, rel = r.start, r
            if end > a.end:
                out[key].append((a.end, end, tok, a, rel))
            else:
                out[key].append((a.end, a.end, tok, a, rel))  # lease gone before the reply: holds nothing
    return out


def check_lock(ops: list[Op]) -> CheckResult:
    """Check hold intervals and fencing tokens (pure; see module rules)."""
    calls = pair_calls(ops)
    acquires = [c for c in calls if c.f in ACQUIRE_FS]
    if not acquires:
        return skipped(NAME, "acquire/campaign")
    problems: list[dict[str, Any]] = []
    holds = hold_intervals(calls)
    n_holds = 0
    for key, ivs in sorted(holds.items()):
        ivs.sort(key=lambda x: (x[0], x[1]))
        n_holds += len(ivs)
        best = None  # the interval with the latest end so far
        for iv in ivs:
            if best is not None and iv[0] < best[1] and iv[0] < iv[1]:
                problems.append({"kind": "overlap", "key": key,
                                 "message": f"{key}: held by p{best[3].inv.process} until {best[1]} and by p{iv[3].inv.process} from {iv[0]}",
                                 "holds": [{"start": x[0], "end": x[1] if x[1] != INF else None, "token": x[2],
                                            "acquire": x[3].to_json(), "release": x[4].to_json() if x[4] else None} for x in (best, iv)]})
            if best is None or iv[1] > best[1]:
                best = iv
        # fencing: tokens of acquires completed before this one was invoked must be smaller
        toks = [(a.end, a.start, a.value.get("token"), a) for a in acquires
                if a.key == key and a.is_ok and isinstance(a.value, dict) and a.value.get("token") is not None]
        by_end = sorted(toks, key=lambda x: x[0])
        seen: dict[Any, Call] = {}
        for _, _, tok, a in toks:
            if tok in seen and seen[tok] is not a:
                problems.append({"kind": "token-reused", "key": key, "message": f"{key}: token {tok} granted twice",
                                 "ops": [seen[tok].to_json(), a.to_json()]})
            seen.setdefault(tok, a)
        j, top = 0, None
        for _, start, tok, a in sorted(toks, key=lambda x: x[1]):
            while j < len(by_end) and by_end[j][0] < start:
                if top is None or _lt(top[2], by_end[j][2]):
                    top = by_end[j]
                j += 1
            if top is not None and not _lt(top[2], tok) and top[2] != tok:
                problems.append({"kind": "token-order", "key": key,
                                 "message": f"{key}: token {tok} granted after token {top[2]} was already granted",
                                 "ops": [top[3].to_json(), a.to_json()]})
    details: dict[str, Any] = {"acquires": len(acquires), "holds": n_holds}
    if problems:
        details["problems"] = problems[:20]
        details["violations"] = len(problems)
        return CheckResult(checker=NAME, verdict=Verdict.ILLEGAL, summary=problems[0]["message"], details=details)
    return CheckResult(checker=NAME, verdict=Verdict.OK, summary=f"{n_holds} hold(s) never overlap; tokens increase", details=details)


def _lt(a: Any, b: Any) -> bool:
    try:
        return a < b
    except TypeError:
        return str(a) < str(b)


@checker()
class LockChecker:
    """Lock / leader-election mutual exclusion on history.jsonl."""

    name = NAME

    def check(self, run: Any) -> CheckResult:
        return timed(NAME, check_lock, run)
