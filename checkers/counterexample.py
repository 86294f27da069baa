"""The counterexample of an ILLEGAL linearizability verdict: the failing op, partial linearizations, the window.

Rules:
- Decide first, explain second: only the failing part is searched again, keeping linearization paths
  (linked lists ``(item, parent)``), within its own budget; out of budget, the partial linearizations of the
  first search are shown without paths.
- The details are JSON-able: ``key``, ``op``, up to three ``partial_linearizations`` (most ops linearized
  first; each with its state, the open ops already linearized, the info ops taken effect, and the last ops of
  its path), ``states_before``, and the ``window`` of ops concurrent with the failing one.
"""

from __future__ import annotations

from typing import Any

from checkers.frontier import Failure, Meter, OutOfBudget, search
from checkers.model import Model

__all__ = ["explain"]

_WINDOW_MAX = 60  # ops in the reported concurrent window
_PATH_TAIL = 30  # ops shown from the end of each partial linearization
_PARTIALS = 3


def _walk(path: Any) -> list[int]:
    out = []
    while path is not None:
        out.append(path[0])
        path = path[1]
    out.reverse()
    return out


def explain(model: Model[Any, Any, Any], part: Any, failure: Failure, meter: Meter) -> dict[str, Any]:
    """JSON-able counterexample for the failing part (``checkers.linearizable``'s ``_Part``); ``meter``
    bounds the path-keeping re-search."""
    def op_json(j: int) -> dict[str, Any]:
        return part.entries[part.entry_of[j]].to_json(model, part.items[j])

    bad = part.entries[part.entry_of[failure.item]]
    details: dict[str, Any] = {"key": part.label, "op": op_json(failure.item)}
    explained = failure
    note = ""
    try:
        again = search(model, part.items, part.events, part.is_info, meter, track=True)
        if again is not None and again.item == failure.item:
            explained = again
        else:  # cannot happen: the search is deterministic
            note = "the re-search disagreed"
    except OutOfBudget as e:
        note = f"explanation budget exhausted ({e}); partial linearizations have no paths"
    configs = sorted(explained.frontier.items(),
                     key=lambda kv: (-kv[0][1].bit_count(), kv[0][2].bit_count(), model.describe_state(kv[0][0])))
    partials = []
    for (s, lin, used), path in configs[:_PARTIALS]:
        pending = [op_json(explained.slots[k]) for k in range(len(explained.slots)) if (lin >> k) & 1]
        used_infos = [op_json(explained.infos[b]) for b in range(len(explained.infos)) if (used >> b) & 1]
        p: dict[str, Any] = {"state": model.describe_state(s), "linearized_open": pending,
                             "info_taken_effect": used_infos}
        if path is not None or explained is not failure:
            order = _walk(path)
            p["length"] = len(order)
            p["tail"] = [op_json(j) for j in order[-_PATH_TAIL:]]
        partials.append(p)
    details["partial_linearizations"] = partials
    details["states_before"] = sorted({model.describe_state(c[0]) for c in explained.frontier})[:20]
    hi = bad.complete_index if bad.complete_index is not None else bad.invoke_index
    window = [e.to_json(model, None) for e in part.entries
              if e.invoke_index < hi and (e.complete_index is None or e.complete_index > bad.invoke_index)]
    details["window"] = window[:_WINDOW_MAX]
    if len(window) > _WINDOW_MAX:
        details["window_truncated"] = len(window)
    if note:
        details["note"] = note
    return details
