"""A checker's counterexample in one sentence, for people and CI logs.

Rules:
- Reads only a ``CheckResult``'s ``details`` (the linearizability checker's ``op``, ``key``,
  ``states_before`` and ``window``); a result without them keeps its own one-line summary.
- The values a read could have returned: every state the search reached before it, and the value of every
  write overlapping it whose outcome is unknown (info: it may have taken effect at any point).
- Never raises: details it cannot read fall back to the summary.
"""

from __future__ import annotations

from typing import Any

from checkers.result import CheckResult, Verdict

__all__ = ["sentence"]


def sentence(result: CheckResult) -> str:
    """``read of k3 returned 7; the only values it could have returned were 9 or 11`` (else the summary)."""
    if result.verdict is not Verdict.ILLEGAL:
        return result.summary
    try:
        return _linearizability(result.details) or result.summary
    except (AttributeError, KeyError, TypeError, ValueError):
        return result.summary


def _linearizability(d: dict[str, Any]) -> str:
    op, key = d.get("op"), d.get("key")
    states = [str(s) for s in d.get("states_before") or []]
    for w in d.get("window") or []:
        if w.get("f") == "write" and w.get("type") == "info" and str(w.get("value")) not in states:
            states.append(str(w.get("value")))
    if not isinstance(op, dict) or key is None or not states:
        return ""
    where = f" (process {op.get('process')}, history line {op.get('complete_line')})"
    could = _either(states)
    if op.get("f") == "read":
        only = "the only value it could have returned was" if len(states) == 1 else \
            "the only values it could have returned were"
        return f"read of {key} returned {_show(op.get('output'))}{where}; {only} {could}"
    return (f"{op.get('text') or op.get('f')} on {key}{where} cannot take effect after any order of the ops "
            f"before it; the value could only have been {could}")


def _show(v: Any) -> str:
    return "nil (absent)" if v is None else str(v)


def _either(values: list[str]) -> str:
    values = ["nil (absent)" if v in ("None", "nil") else v for v in values]
    return values[0] if len(values) == 1 else ", ".join(values[:-1]) + " or " + values[-1]
