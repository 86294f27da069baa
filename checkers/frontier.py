"""The frontier search behind checkers.linearizable: one part's events, left to right, with a budget.

Rules (the whole method is in checkers/linearizable.py's docstring):
- ``search`` keeps only the frontier of configurations ``(state, lin, used)`` reachable so far and
  linearizes an op only when its return forces it (Lowe 2017); it returns the ``Failure`` at the first
  return no configuration survives, or None.
- ``Meter`` charges every configuration explored; past ``limit`` (or an optional wall-clock deadline) the
  search raises ``OutOfBudget``, and so it does when more than ``live_limit`` configurations are held at
  once (the frontier, the next one and the step's visited set): the memory bound. Pure otherwise: the same
  part and limits give the same answer.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from checkers.model import Model

__all__ = ["Failure", "Meter", "OutOfBudget", "drop_dominated", "search"]

_NO_DEADLINE = float("inf")
_CANON_AFTER = 16


class OutOfBudget(Exception):
    pass


class Meter:
    """Counts configurations explored against a budget; checks the clock every 4096."""

    __slots__ = ("count", "limit", "deadline", "live_limit")

    def __init__(self, limit: int, seconds: float | None, live_limit: int = 2_000_000) -> None:
        self.count = 0
        self.limit = limit
        self.deadline = time.monotonic() + seconds if seconds is not None else _NO_DEADLINE
        self.live_limit = live_limit

    def hold(self, n: int) -> None:
        """``n`` configurations are held at once: past ``live_limit``, out of budget (memory)."""
        if n > self.live_limit:
            raise OutOfBudget(f"more than {self.live_limit} configurations held at once")

    def charge(self, n: int) -> None:
        before = self.count
        self.count += n
        if self.count > self.limit:
            raise OutOfBudget(f"{self.limit} configurations")
        if (before >> 12) != (self.count >> 12) and self.deadline != _NO_DEADLINE \
                and time.monotonic() > self.deadline:
            raise OutOfBudget("time")


@dataclass(slots=True)
class Failure:
    item: int  # index into the part's items of the op whose return no configuration survives
    frontier: dict[tuple[Any, int, int], Any]  # the configurations just before it (value: path or None)
    slots: list[int]  # slot -> item, at that moment
    infos: list[int]  # info bit -> item


def search(model: Model[Any, Any, Any], items: list[tuple[Any, Any]], events: list[tuple[int, int]],
            infos_of: list[bool], meter: Meter, track: bool) -> Failure | None:
    """Sweep ``events`` ((item, 0=invoke/1=return), in history order); None if linearizable.

    With ``track``, each configuration carries its linearization as a linked list ``(item, parent)``.
    """
    raw_step = step = model.step
    # Model.canonical merges states only once the search branches (a return explored more than
    # _CANON_AFTER configurations): sound at any moment, and a part that never branches skips its cost
    canonical = getattr(model, "canonical", None)
    # item -> {state: step(state, item)}, from the item's invoke until its return (then it can never be
    # linearized again): memory stays bounded by the open ops, not by every state the search ever built
    memo: list[dict[Any, tuple[bool, Any]] | None] = [None] * len(items)

    def apply(s: Any, j: int) -> tuple[bool, Any]:
        m = memo[j]
        if m is None:
            m = memo[j] = {}
        r = m.get(s)
        if r is None:
            r = m[s] = step(s, *items[j])
        return r

    read_only = getattr(model, "read_only", None)
    is_ro = [read_only(inp) for inp, _ in items] if read_only is not None else [False] * len(items)
    relevant = getattr(model, "relevant_states", None)
    rel: list[frozenset[Any] | None] = [None] * len(items)  # read only when the part has info ops
    if relevant is not None and any(infos_of):
        rel = [relevant(inp, out) for inp, out in items]
    info_wanted: set[Any] = set()  # states some info op's outcome depends on
    info_wild = False  # some info op depends on every state
    blind: frozenset[Any] = frozenset()
    frontier: dict[tuple[Any, int, int], Any] = {(model.init(), 0, 0): None}
    ro_mask = 0  # slots holding read-only ops
    slot_item: list[int] = []  # slot -> item (-1 free)
    slot_of: dict[int, int] = {}
    free: list[int] = []
    open_mask = 0
    infos: list[int] = []  # info bit -> item
    info_first: dict[Any, list[int]] = {}  # info input -> its bits in order (identical infos: first unused)

    noop_cache: dict[Any, int] = {}

    def noop_mask(s: Any) -> int:
        m = noop_cache.get(s)
        if m is None:
            m = 0
            rest = ro_mask
            while rest:
                low = rest & -rest
                rest ^= low
                ok, s2 = apply(s, slot_item[low.bit_length() - 1])
                if ok:
                    m |= low
            noop_cache[s] = m
        return m

    # Info ops worth trying: one takes effect only into a state that some op's outcome depends on
    # (Model.relevant_states): the unused infos or the ops still to linearize from the root
    # configuration. Otherwise it is pointless now and can as well happen later (or never).
    info_cache: dict[int, tuple[set[Any] | None, list[list[int]], dict[Any, list[list[int]]]]] = {}

    def info_moves(unlin: int) -> tuple[set[Any] | None, list[list[int]], dict[Any, list[list[int]]]]:
        """(wanted states or None for all, groups to try in any state, groups to try per state)."""
        got = info_cache.get(unlin)
        if got is None:
            wanted: set[Any] | None = None
            if not info_wild:
                wanted = set(info_wanted)
                rest = unlin
                while rest:
                    low = rest & -rest
                    rest ^= low
                    r = rel[slot_item[low.bit_length() - 1]]
                    if r is None:
                        wanted = None
                        break
                    wanted |= r
            anywhere: list[list[int]] = []
            by_state: dict[Any, list[list[int]]] = {}
            for bits in info_first.values():
                jb = infos[bits[0]]
                r = rel[jb]
                if r is None:
                    anywhere.append(bits)
                elif not r:  # blind: the same outcome in every state; worth it only into a wanted state
                    if wanted is None or apply(None, jb)[1] in wanted:
                        anywhere.append(bits)
                else:  # legal only in the states of r
                    for st in r:
                        by_state.setdefault(st, []).append(bits)
            got = info_cache[unlin] = (wanted, anywhere, by_state)
        return got

    unbilled = 0
    for j, kind in events:
        unbilled += len(frontier)
        if unbilled > 4096:
            meter.charge(unbilled)
            unbilled = 0
        if kind == 0:  # invoke (its memo is made on first use)
            if infos_of[j]:
                b = len(infos)
                infos.append(j)
                info_first.setdefault(items[j][0], []).append(b)
                if rel[j] is None:
                    info_wild = True
                else:
                    info_wanted |= rel[j]  # type: ignore[arg-type]
                continue
            if free:
                k = free.pop()
                slot_item[k] = j
            else:
                k = len(slot_item)
                slot_item.append(j)
            slot_of[j] = k
            bit = 1 << k
            open_mask |= bit
            if not is_ro[j]:
                continue
            ro_mask |= bit
            if len(frontier) == 1:  # the usual case, without the loop
                [(cfg, path)] = frontier.items()
                r = step(cfg[0], *items[j])
                memo[j] = {cfg[0]: r}
                if r[0]:
                    frontier = {(cfg[0], cfg[1] | bit, cfg[2]): (j, path) if track else path}
                continue
            nf: dict[tuple[Any, int, int], Any] = {}
            for cfg, path in frontier.items():
                s = cfg[0]
                ok, s2 = apply(s, j)
                if ok:  # a read-only op legal here: linearizing it now loses nothing
                    cfg = (s, cfg[1] | bit, cfg[2])
                    if track:
                        path = (j, path)
                nf[cfg] = path
            frontier = nf
            continue

        # return of item j: every configuration must have linearized it by now
        k = slot_of.pop(j)
        target = 1 << k
        if noop_cache:
            noop_cache.clear()
        if info_cache:
            info_cache.clear()

        if open_mask == target and len(frontier) == 1 and not infos:
            # the op alone and one configuration (a key one client at a time): nothing else can move
            [(cfg, path)] = frontier.items()
            if not cfg[1]:  # one config: nothing to merge, so the plain step
                ok, s2 = raw_step(cfg[0], *items[j])
                if not ok:
                    return Failure(item=j, frontier=frontier, slots=list(slot_item), infos=list(infos))
                cfg = (s2, target, 0)
                if track:
                    path = (j, path)
            unbilled += 1
            frontier = {(cfg[0], 0, 0): path}
            slot_item[k] = -1
            free.append(k)
            memo[j] = None
            open_mask = ro_mask = 0
            continue

        nf = {}
        explored = 0
        seen: set[tuple[Any, int, int]] = set()  # shared by all starts: a node's emissions are already in nf
        for cfg, path in frontier.items():
            s, lin, used = cfg
            if lin & target:
                c2 = (s, lin ^ target, used)
                if c2 not in nf:
                    nf[c2] = path
                continue
            # DFS over linearizing open ops (and unused infos) until the target is linearized
            if cfg in seen:
                continue
            if infos:
                wanted, info_any, info_by_state = info_moves(open_mask & ~lin)
            stack = [(cfg, path, False)]
            seen.add(cfg)
            while stack:
                (s, lin, used), path, must_observe = stack.pop()
                explored += 1
                if explored & 1023 == 0:
                    meter.charge(1024)
                    meter.hold(len(frontier) + len(nf) + len(seen))
                cand = open_mask & ~lin
                moves: list[tuple[int, int, int]] = []  # (item, new lin bit, new used bit)
                while cand:
                    low = cand & -cand
                    cand ^= low
                    moves.append((slot_item[low.bit_length() - 1], low, 0))
                if infos:
                    for groups in (info_any, info_by_state.get(s, ())):
                        for bits in groups:
                            for b in bits:
                                if not (used >> b) & 1:
                                    moves.append((infos[b], 0, 1 << b))
                                    break
                for j2, lbit, ubit in moves:
                    if must_observe and rel[j2] == blind:
                        continue  # the info op just taken would be overwritten unseen: pointless
                    m = memo[j2]  # apply(s, j2), inlined: this is the innermost loop
                    if m is None:
                        m = memo[j2] = {}
                    r = m.get(s)
                    if r is None:
                        r = m[s] = step(s, *items[j2])
                    ok, s2 = r
                    if not ok or (ubit and (s2 == s or (wanted is not None and s2 not in wanted))):
                        continue
                    lin2 = lin | lbit
                    if s2 != s:
                        lin2 |= noop_mask(s2)
                    # a blind info op must be observed: by a read now, or by the very next op
                    observe = bool(ubit) and rel[j2] == blind and lin2 == lin
                    p2 = None
                    if track:
                        p2 = (j2, path)
                        extra = (lin2 & ~lin) ^ lbit
                        while extra:
                            low = extra & -extra
                            extra ^= low
                            p2 = (slot_item[low.bit_length() - 1], p2)
                    if lin2 & target:
                        c2 = (s2, lin2 ^ target, used | ubit)
                        if c2 not in nf:
                            nf[c2] = p2
                    else:
                        c2 = (s2, lin2, used | ubit)
                        if c2 not in seen:
                            seen.add(c2)
                            stack.append((c2, p2, observe))
        meter.charge(explored & 1023)
        if canonical is not None and explored > _CANON_AFTER:
            canon = canonical(items)
            canonical = None
            if canon is not None:
                def step(s: Any, inp: Any, out: Any, canon: Any = canon) -> tuple[bool, Any]:
                    ok, s2 = raw_step(s, inp, out)
                    return ok, canon(s2)
        if not nf:
            return Failure(item=j, frontier=frontier, slots=list(slot_item), infos=list(infos))
        if infos and len(nf) > 1:
            nf = drop_dominated(nf)
        frontier = nf
        slot_item[k] = -1
        free.append(k)
        memo[j] = None
        open_mask ^= target
        ro_mask &= ~target
    meter.charge(unbilled)
    return None


def drop_dominated(frontier: dict[tuple[Any, int, int], Any]) -> dict[tuple[Any, int, int], Any]:
    """Keep, per (state, lin), only the configurations whose used-info set is minimal.

    The result lists the groups in order of first appearance, each group's survivors by used-info count.
    """
    groups: dict[tuple[Any, int], Any] = {}  # (state, lin) -> its config, or a list of them if several
    several = False
    for cfg in frontier:
        k = (cfg[0], cfg[1])
        g = groups.get(k)
        if g is None:
            groups[k] = cfg
        elif type(g) is list:
            g.append(cfg)
        else:
            groups[k] = [g, cfg]
            several = True
    if not several:  # every group alone: nothing dominated, and the order is the frontier's
        return frontier
    out = {}
    for g in groups.values():
        if type(g) is not list:
            out[g] = frontier[g]
            continue
        g.sort(key=lambda c: c[2].bit_count())
        kept: list[int] = []
        for cfg in g:
            u = cfg[2]
            if not any(v & u == v for v in kept):
                kept.append(u)
                out[cfg] = frontier[cfg]
    return out
