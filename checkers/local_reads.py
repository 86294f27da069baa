"""Local reads: what etcd v2 promises a GET without ``quorum=true``, judged instead of linearizability.

Rules:
- A *local read* is a kv ``read`` marked ``"local": true`` on its invoke (checkers/vocab.py): the answering
  member served it from its own applied state, with no ReadIndex. etcd v2 promises no more than that state:
  some committed prefix of the log, possibly stale by any amount (Jepsen's etcd analysis, 2014: default
  reads are stale under partition; ``quorum=true`` is the linearizable read). So a local read is left out
  of the linearizability search (checkers/linearizable.py) and judged here by what staleness cannot excuse:
  its value is ``null`` (the key absent in some prefix) or a value some ``write``/``cas`` (the new value) of
  the same key put there, invoked before the read returned and not ``fail`` (never a value nobody wrote,
  never one from the future, never one that certainly did not take effect).
- Keys with ``append`` ops are not judged (a read there is a concatenation); they are counted as skipped.
- Not judged: monotonicity per member (a member restarted from its disk may legitimately serve an older
  state than before its crash, and the history does not say which incarnation answered).
- Pure: takes paired entries with the fields ``checkers.linearizable`` builds; never raises.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from checkers.history import OpType
from checkers.model import ModelError
from checkers.models.kv import freeze
from checkers.vocab import EXTRA_LOCAL

__all__ = ["LOCAL", "judge_local_reads"]

LOCAL = EXTRA_LOCAL  # the extra field marking a local read


def _value(v: Any) -> Any:
    """A read or written value as etcd stores it: ints and their strings alike."""
    if type(v) is int:
        return str(v)
    try:
        return freeze(v)
    except ModelError:
        return repr(v)


def judge_local_reads(reads: Sequence[Any], entries: Sequence[Any]) -> dict[str, Any]:
    """Judge ``reads`` (paired local reads) against the other ops ``entries`` of the history.

    Returns ``{"judged": n, "skipped_keys": [...], "violation": None | {...}}``; a violation names the read
    (its lines) and the values that were written to its key by then.
    """
    writes: dict[str, list[tuple[int, Any]]] = {}  # key -> (invoke index, value written)
    appended: set[str] = set()
    for e in entries:
        if e.type is OpType.FAIL:
            continue
        if e.f == "write":
            writes.setdefault(e.key, []).append((e.invoke_index, _value(e.input)))
        elif e.f == "cas" and isinstance(e.input, (list, tuple)) and len(e.input) == 2:
            writes.setdefault(e.key, []).append((e.invoke_index, _value(e.input[1])))
        elif e.f == "append":
            appended.add(e.key)
    judged = 0
    skipped: set[str] = set()
    violation: dict[str, Any] | None = None
    for r in reads:
        if r.type is not OpType.OK:
            continue  # an info read observed nothing we know; a failed one nothing at all
        if r.key in appended:
            skipped.add(r.key)
            continue
        judged += 1
        if r.output is None or violation is not None:
            continue
        got = _value(r.output)
        if any(at < r.complete_index and v == got for at, v in writes.get(r.key, ())):
            continue
        where = f"line {r.complete_line}" if r.complete_line is not None else f"event {r.complete_index}"
        later = any(v == got for _, v in writes.get(r.key, ()))
        violation = {
            "key": r.key, "process": r.process, "value": r.output, "invoke_line": r.invoke_line,
            "complete_line": r.complete_line,
            "message": (f"key {r.key!r}: local read by process {r.process} ({where}) returned {r.output!r}, "
                        + ("written only after it returned" if later else "a value no write of the key put there")),
        }
    return {"judged": judged, "skipped_keys": sorted(skipped), "violation": violation}
