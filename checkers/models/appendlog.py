"""A direct decision for keys of unique appended tokens: the reads fix the order, so no search is needed.

Rules:
- It applies to a key whose prepared ops are only ``append`` of distinct tokens (strings with a single ``;``,
  at the end: checkers/vocab.py) and ``read``. Then every state is a sequence of tokens, and a read names
  exactly the appends before it (Elle's observation for list-append, Kingsbury & Alvaro 2020).
- The longest read fixes the order of the appends it holds; every other read must be one of its token
  prefixes. An append no read holds comes after every read (a read after it would hold it): an ``ok`` one
  after all of them, an ``info`` one never.
- The order is then a chain: reads of the empty value, append 1, reads of 1 token, append 2, ... A chain is
  linearizable iff each op can take a point inside its interval (history positions: invoke < point <
  return) no earlier than the points before it; the earliest such point per op (greedy) is optimal.
  Reads between the same two appends are unordered among themselves: each starts from the append's point.
- ``decide`` answers True only when it proves the key linearizable; False means "not proven" (another shape
  of key, or a violation): the caller's search then decides, and explains a violation.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = ["decide"]

_NEVER = float("inf")


def decide(items: Sequence[tuple[tuple[str, Any], Any]], returns: Sequence[bool],
           events: Sequence[tuple[int, int]]) -> bool:
    """True iff the part is a unique-token append key that is linearizable.

    ``items``: prepared ``(input, output)`` per op; ``returns[j]``: op j has a return event (ok); ``events``:
    ``(item, 0 invoke / 1 return)`` in history order.
    """
    token_of: dict[str, int] = {}  # token -> its append's item
    reads: list[tuple[int, int]] = []  # (item, tokens seen)
    longest = ""
    for j, ((kind, arg), out) in enumerate(items):
        if kind == "append":
            if type(arg) is not str or not arg.endswith(";") or arg.count(";") != 1 or arg in token_of:
                return False
            token_of[arg] = j
        elif kind == "read":
            if out is None:
                reads.append((j, 0))
            elif type(out) is str and out.endswith(";"):
                reads.append((j, out.count(";")))
                if len(out) > len(longest):
                    longest = out
            else:
                return False  # "" or a non-token value: an append-only key never holds it
        else:
            return False
    order = [t + ";" for t in longest.split(";")[:-1]]
    if len(set(order)) != len(order) or any(t not in token_of for t in order):
        return False  # a token twice, or one nobody appended
    for j, n in reads:
        if n and not longest.startswith(items[j][1]):
            return False
    inv: dict[int, int] = {}
    ret: dict[int, float] = {}
    for pos, (j, kind) in enumerate(events):
        (ret if kind else inv)[j] = pos
    by_version: list[list[int]] = [[] for _ in range(len(order) + 1)]
    for j, n in reads:
        by_version[n].append(j)

    point: float = -1.0  # the latest point so far: the next op goes no earlier

    def place(j: int, after: float) -> float | None:
        p = max(after, inv[j])
        return p if p < (ret[j] if returns[j] else _NEVER) else None

    for n, layer in enumerate(by_version):
        if n:
            p = place(token_of[order[n - 1]], point)
            if p is None:
                return False
            point = p
        latest = point
        for j in layer:
            p = place(j, point)
            if p is None:
                return False
            latest = max(latest, p)
        point = latest
    placed = set(order)
    for token, j in token_of.items():
        if token not in placed and returns[j] and place(j, point) is None:
            return False  # an acknowledged append that no read holds, yet it returned before the last read
    return True
