"""The nemesis: fault schedules as composable values.

Rules:
- A *schedule* says **when** (``plan(rng, start_ns, end_ns) -> [(at_ns, action)]``); an *action*
  says **what**, resolved at the moment it fires against a read-only ``ClusterView``
  (``resolve(view, rng) -> [(delay_ns, fault)]``), so "isolate the leader" targets whoever leads then.
- Both are frozen values whose ``repr`` is Python that rebuilds them (``eval`` in this module's
  namespace), stored in run.json.
- Randomness comes only from the ``rng`` handed in (the run's "nemesis" stream).
- A combinator never touches live objects: only the view, which the runner builds from the cluster.
- The actions live in ``scenarios.actions``; this module re-exports them, so ``from_repr`` sees both.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Protocol

from scenarios.actions import (
    NS_PER_S, Action, ClusterView, MemberChange, Resolved, all_of, clock_bump, clock_drift,
    clock_strobe, do, do_heal, heal_all, isolate_leader, kill_leader, kill_random, leader_minority, loss_burst,
    member_churn, one_of, one_way_leader, partition, pause_client, pause_leader, pause_random, power_failure,
    seconds_to_ns, torn_writes,
)
from sim import faults as F

__all__ = [
    "Action", "ClusterView", "Schedule",
    "at", "every", "cycle", "mix", "phases", "on", "triggers", "one_of", "all_of", "do",
    "partition", "isolate_leader", "leader_minority", "one_way_leader", "kill_leader", "kill_random",
    "pause_leader", "pause_random", "pause_client", "power_failure", "clock_bump", "clock_strobe", "clock_drift",
    "heal_all", "do_heal", "loss_burst", "torn_writes", "member_churn", "MemberChange", "NONE", "register_action",
    "from_repr", "NS_PER_S", "Resolved",
]


class Schedule(Protocol):
    def plan(self, rng: random.Random, start_ns: int, end_ns: int) -> list[tuple[int, Action]]: ...


# ---------------------------------------------------------------- schedules


@dataclass(frozen=True)
class _At:
    t_s: float
    action: Action

    def plan(self, rng: random.Random, start_ns: int, end_ns: int) -> list[tuple[int, Action]]:
        t = start_ns + seconds_to_ns(self.t_s)
        return [(t, self.action)] if t < end_ns else []

    def __repr__(self) -> str:
        return f"at({self.t_s!r}, {self.action!r})"


@dataclass(frozen=True)
class _Every:
    period_s: float
    action: Action
    start_s: float = 0.0
    jitter: float = 0.0

    def plan(self, rng: random.Random, start_ns: int, end_ns: int) -> list[tuple[int, Action]]:
        out = []
        t = start_ns + seconds_to_ns(self.start_s)
        period = seconds_to_ns(self.period_s)
        while t < end_ns:
            jit = int(rng.uniform(0, self.jitter) * period) if self.jitter else 0
            if t + jit < end_ns:
                out.append((t + jit, self.action))
            t += period
        return out

    def __repr__(self) -> str:
        return f"every({self.period_s!r}, {self.action!r}, start_s={self.start_s!r}, jitter={self.jitter!r})"


@dataclass(frozen=True)
class _Cycle:
    """Fire ``actions`` in turn, one every ``period_s`` (e.g. partition, heal, partition, ...)."""

    period_s: float
    actions: tuple[Action, ...]
    start_s: float = 0.0

    def plan(self, rng: random.Random, start_ns: int, end_ns: int) -> list[tuple[int, Action]]:
        out = []
        t = start_ns + seconds_to_ns(self.start_s)
        i = 0
        while t < end_ns:
            out.append((t, self.actions[i % len(self.actions)]))
            i += 1
            t += seconds_to_ns(self.period_s)
        return out

    def __repr__(self) -> str:
        inner = ", ".join(repr(a) for a in self.actions)
        return f"cycle({self.period_s!r}, {inner}, start_s={self.start_s!r})"


@dataclass(frozen=True)
class _Mix:
    schedules: tuple[Schedule, ...]

    def plan(self, rng: random.Random, start_ns: int, end_ns: int) -> list[tuple[int, Action]]:
        out: list[tuple[int, int, Action]] = []
        for i, s in enumerate(self.schedules):
            out.extend((t, i, a) for t, a in s.plan(rng, start_ns, end_ns))
        out.sort(key=lambda x: (x[0], x[1]))
        return [(t, a) for t, _, a in out]

    def __repr__(self) -> str:
        return f"mix({', '.join(repr(s) for s in self.schedules)})"


@dataclass(frozen=True)
class _Phases:
    """Each ``(seconds, schedule)`` runs in its own window, one after another."""

    parts: tuple[tuple[float, Schedule], ...]

    def plan(self, rng: random.Random, start_ns: int, end_ns: int) -> list[tuple[int, Action]]:
        out = []
        t = start_ns
        for seconds, sched in self.parts:
            stop = min(end_ns, t + seconds_to_ns(seconds))
            out.extend(sched.plan(rng, t, stop))
            t = stop
        return out

    def __repr__(self) -> str:
        return f"phases({', '.join(f'({s!r}, {sc!r})' for s, sc in self.parts)})"


@dataclass(frozen=True)
class _On:
    """React to the run: each time trace event ``event`` (e.g. ``"become-leader"``) is written inside
    this schedule's window, with probability ``p`` fire ``action`` after a delay drawn uniformly from
    ``delay_ms`` (with ``nth=k``: only at the k-th such event of the window). Faults then land at an
    instant relative to the protocol (within a round trip of an election, say), which fixed times almost
    never hit. It plans nothing ahead: the runner watches the
    trace for it (``triggers``)."""

    event: str
    action: Action
    delay_ms: tuple[float, float] = (0.0, 0.0)
    p: float = 1.0
    nth: int = 0  # 0: every event; k: only the k-th event of the window

    def plan(self, rng: random.Random, start_ns: int, end_ns: int) -> list[tuple[int, Action]]:
        return []

    def draw_delay_ns(self, rng: random.Random) -> int | None:
        """The delay before firing for one event, or None when this event is skipped (``p``)."""
        if self.p < 1.0 and rng.random() >= self.p:
            return None
        lo, hi = self.delay_ms
        return int(round(rng.uniform(lo, hi) * 1_000_000)) if hi > lo else int(round(lo * 1_000_000))

    def __repr__(self) -> str:
        nth = f", nth={self.nth!r}" if self.nth else ""
        return f"on({self.event!r}, {self.action!r}, delay_ms={self.delay_ms!r}, p={self.p!r}{nth})"


@dataclass(frozen=True)
class _None:
    def plan(self, rng: random.Random, start_ns: int, end_ns: int) -> list[tuple[int, Action]]:
        return []

    def __repr__(self) -> str:
        return "NONE"


NONE = _None()


def at(t_s: float, action: Action) -> Schedule:
    return _At(t_s, action)


def every(period_s: float, action: Action, *, start_s: float = 0.0, jitter: float = 0.0) -> Schedule:
    return _Every(period_s, action, start_s, jitter)


def cycle(period_s: float, *actions: Action, start_s: float = 0.0) -> Schedule:
    return _Cycle(period_s, tuple(actions), start_s)


def mix(*schedules: Schedule) -> Schedule:
    return _Mix(tuple(schedules))


def phases(*parts: tuple[float, Schedule]) -> Schedule:
    return _Phases(tuple(parts))


def on(event: str, action: Action, *, delay_ms: tuple[float, float] = (0.0, 0.0), p: float = 1.0,
       nth: int = 0) -> Schedule:
    """Fire ``action`` ``delay_ms`` (uniform in [lo, hi]) after each trace event ``event`` (or only the
    ``nth`` one of the window), with probability ``p``."""
    lo, hi = (float(x) for x in delay_ms)
    if not (0.0 <= lo <= hi) or not (0.0 <= p <= 1.0) or not event or nth < 0:
        raise ValueError(f"on({event!r}, ...): need an event, 0 <= delay_ms lo <= hi, 0 <= p <= 1, nth >= 0")
    return _On(event, action, (lo, hi), float(p), int(nth))


def triggers(schedule: Schedule, start_ns: int, end_ns: int) -> list[tuple[int, int, _On]]:
    """The ``on(...)`` parts of ``schedule`` with the window [start, end) in which each is live."""
    if isinstance(schedule, _On):
        return [(start_ns, end_ns, schedule)]
    if isinstance(schedule, _Mix):
        return [t for s in schedule.schedules for t in triggers(s, start_ns, end_ns)]
    if isinstance(schedule, _Phases):
        out, t = [], start_ns
        for seconds, sched in schedule.parts:
            stop = min(end_ns, t + seconds_to_ns(seconds))
            out.extend(triggers(sched, t, stop))
            t = stop
        return out
    return []


_EXTRA: dict[str, object] = {}


def register_action(fn: object) -> object:
    """Make an action or schedule constructor defined elsewhere (e.g. the bug-zoo catalog) visible to
    ``from_repr`` under its ``__name__``; returns ``fn`` so it can be used as a decorator."""
    _EXTRA[getattr(fn, "__name__")] = fn
    return fn


def from_repr(text: str) -> Schedule:
    """Rebuild a schedule from its repr (run.json); only this module's names (and registered ones) are visible."""
    env = {name: globals()[name] for name in __all__ if name in globals()}
    env.update(_EXTRA)
    env["F"] = F
    return eval(text, {"__builtins__": {}}, env)  # noqa: S307 - our own reprs, names restricted
