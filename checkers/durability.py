"""Durability: every acknowledged write survives in the final state unless a later write replaced it.

Rules:
- Judged on the final quorum reads the runner issues after healing (``read`` ops with ``"final": true``,
  checkers/vocab.py). Keys without a final read, and keys used with ``append`` (exactly-once judges those),
  are not judged. No final read at all: OK with ``skipped``.
- A write w (write / cas / delete; ok or info) can explain the final value unless some *acknowledged* write
  was invoked after w completed (then that write is ordered after w). The initial null explains it only if
  no write was acknowledged. Values compare as etcd stores them (strings): 7 equals "7". A final value no candidate explains means an acknowledged write was lost (B12).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from checkers.history import Op, OpType
from checkers.registry import checker
from checkers.result import CheckResult, Verdict
from checkers.watch import same_value
from checkers.vocab import APPEND, EXTRA_FINAL, READ, Call, pair_calls, skipped, timed

__all__ = ["DurabilityChecker", "check_durability"]

NAME = "durability"
WRITE_FS = ("write", "cas", "delete")


def _effect(c: Call) -> Any:
    """The value a write-like call leaves in its key."""
    if c.f == "write":
        return c.inv.value
    if c.f == "cas":
        v = c.inv.value
        return v[1] if isinstance(v, list) and len(v) == 2 else None
    return None  # delete


def check_durability(ops: list[Op]) -> CheckResult:
    """Check acknowledged writes against the final reads (pure; see module rules)."""
    calls = pair_calls(ops)
    finals: dict[str, Call] = {}
    writes: dict[str, list[Call]] = defaultdict(list)
    append_keys: set[str] = set()
    for c in calls:
        if c.f == READ and c.get(EXTRA_FINAL) and c.is_ok:
            finals[c.key] = c  # the last one wins
        elif c.f in WRITE_FS and c.type is not OpType.FAIL and not c.get(EXTRA_FINAL):
            writes[c.key].append(c)
        elif c.f == APPEND:
            append_keys.add(c.key)
    if not finals:
        return skipped(NAME, "final read")
    lost: list[dict[str, Any]] = []
    judged = 0
    for key in sorted(finals):
        if key in append_keys:
            continue
        judged += 1
        fin = finals[key]
        # Writes invoked before the final read returned may be visible to it; only writes acknowledged
        # before the final read was invoked *must* be (a write concurrent with it may linearize after).
        end = fin.end if fin.end is not None else fin.start
        ws = [w for w in writes.get(key, []) if w.start <= end]
        acked = [w for w in ws if w.is_ok and w.end is not None and w.end < fin.start]
        last_ack_start = max((w.start for w in acked), default=None)
        candidates = [w for w in ws if w.end is None or last_ack_start is None or w.end >= last_ack_start]
        values = [_effect(w) for w in candidates]
        if not acked:
            values.append(None)
        if any(same_value(fin.value, x) for x in values):
            continue
        latest = sorted((w for w in acked if w.end is None or w.end >= (last_ack_start or 0)), key=lambda w: w.start)[-5:]
        lost.append({"key": key, "final": fin.value, "final_read": fin.to_json(),
                     "acknowledged": [w.to_json() for w in latest]})
    if lost:
        first = lost[0]
        return CheckResult(checker=NAME, verdict=Verdict.ILLEGAL,
                           summary=f"{len(lost)} key(s) lost an acknowledged write; {first['key']} reads {first['final']!r} at the end",
                           details={"lost": lost[:20], "keys_judged": judged})
    return CheckResult(checker=NAME, verdict=Verdict.OK, summary=f"{judged} key(s): final state holds the acknowledged writes",
                       details={"keys_judged": judged})


@checker()
class DurabilityChecker:
    """Acknowledged writes are in the final state (history.jsonl)."""

    name = NAME

    def check(self, run: Any) -> CheckResult:
        return timed(NAME, check_durability, run)
