"""The nemesis: fault schedules as composable values.

Rules:
- A *schedule* says **when** (``plan(rng, start_ns, end_ns) -> [(at_ns, action)]``); an *action*
  says **what**, resolved at the moment it fires against a read-only ``ClusterView``
  (``resolve(view, rng) -> [(delay_ns, fault)]``), so "isolate the leader" targets whoever leads then.
- Both are frozen values whose ``repr`` is the text that rebuilds them, stored in run.json; ``from_repr``
  reads it back with the safe parser (``scenarios.parser``: a table of constructors, never ``eval``).
- Randomness comes only from the ``rng`` handed in (the run's "nemesis" stream).
- A combinator never touches live objects: only the view, which the runner builds from the cluster.
- The actions live in ``scenarios.actions``; this module re-exports them, so ``from_repr`` sees both.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from scenarios import arguments as A
from scenarios.actions import (
    NS_PER_S, Action, ClusterView, MemberChange, Resolved, all_of, clock_bump, clock_drift,
    clock_strobe, do, do_heal, heal_all, isolate_leader, kill_leader, kill_random, leader_minority, loss_burst,
    member_churn, one_of, one_way_leader, partition, pause_client, pause_leader, pause_random, power_failure,
    seconds_to_ns, torn_writes, transfer_leader,
)
from scenarios.errors import ConfigError
from scenarios.parser import parse_repr
from sim import faults as F
from sim.latency import Constant, Exponential, LongTail, Normal, Uniform

__all__ = [
    "Action", "ClusterView", "Schedule",
    "at", "every", "cycle", "mix", "phases", "on", "triggers", "one_of", "all_of", "do",
    "partition", "isolate_leader", "leader_minority", "one_way_leader", "kill_leader", "kill_random",
    "pause_leader", "pause_random", "pause_client", "power_failure", "clock_bump", "clock_strobe", "clock_drift",
    "heal_all", "do_heal", "loss_burst", "torn_writes", "member_churn", "transfer_leader", "MemberChange", "NONE",
    "register_action",
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
    A.check_seconds("at", "t_s", t_s)
    A.check_action("at", [action])
    return _At(t_s, action)


def every(period_s: float, action: Action, *, start_s: float = 0.0, jitter: float = 0.0) -> Schedule:
    A.check_seconds("every", "period_s", period_s, lo=A.MIN_PERIOD_S)
    A.check_action("every", [action])
    A.check_seconds("every", "start_s", start_s)
    A.check_number("every", "jitter", jitter, 0.0, 1_000.0)
    return _Every(period_s, action, start_s, jitter)


def cycle(period_s: float, *actions: Action, start_s: float = 0.0) -> Schedule:
    A.check_seconds("cycle", "period_s", period_s, lo=A.MIN_PERIOD_S)
    A.check_action("cycle", actions)
    A.check_seconds("cycle", "start_s", start_s)
    return _Cycle(period_s, tuple(actions), start_s)


def mix(*schedules: Schedule) -> Schedule:
    A.check_schedule("mix", schedules)
    return _Mix(tuple(schedules))


def phases(*parts: tuple[float, Schedule]) -> Schedule:
    for part in parts:
        if not isinstance(part, tuple) or len(part) != 2:
            raise ConfigError(f"phases: each part must be a (seconds, schedule) pair, got {part!r}")
        A.check_seconds("phases", "seconds", part[0])
        A.check_schedule("phases", [part[1]])
    return _Phases(tuple(parts))


def on(event: str, action: Action, *, delay_ms: tuple[float, float] = (0.0, 0.0), p: float = 1.0,
       nth: int = 0) -> Schedule:
    """Fire ``action`` ``delay_ms`` (uniform in [lo, hi]) after each trace event ``event`` (or only the
    ``nth`` one of the window), with probability ``p``."""
    if not isinstance(event, str) or not event or len(event) > 100:
        raise ConfigError(f"on: event must be a trace event name such as 'become-leader', got {event!r}")
    A.check_action("on", [action])
    if not isinstance(delay_ms, (tuple, list)) or len(delay_ms) != 2:
        raise ConfigError(f"on({event!r}, ...): delay_ms must be a (lo, hi) pair, got {delay_ms!r}")
    for x in delay_ms:
        A.check_number(f"on({event!r}, ...)", "delay_ms", x, 0.0, A.MAX_SECONDS * 1000)
    A.check_probability(f"on({event!r}, ...)", "p", p)
    A.check_int(f"on({event!r}, ...)", "nth", nth, 0, 1_000_000)
    lo, hi = (float(x) for x in delay_ms)
    if not lo <= hi:
        raise ConfigError(f"on({event!r}, ...): delay_ms=({lo!r}, {hi!r}) needs lo <= hi")
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


# The constructors a schedule's text may call: this module's combinators and actions, the sim faults as
# ``F.Name`` (``do(F.Crash(node='n1'))``), latencies bare (inside a ``F.LinkFaults(...)`` repr), and the ones
# registered with ``register_action``. Nothing else is reachable from text.
_COMBINATORS = ("at", "every", "cycle", "mix", "phases", "on", "one_of", "all_of", "do", "partition",
                "isolate_leader", "leader_minority", "one_way_leader", "kill_leader", "kill_random", "pause_leader",
                "pause_random", "pause_client", "power_failure", "clock_bump", "clock_strobe", "clock_drift",
                "heal_all", "do_heal", "loss_burst", "torn_writes", "member_churn", "transfer_leader")


def _constructors() -> dict[str, Callable[..., Any]]:
    table: dict[str, Callable[..., Any]] = {name: globals()[name] for name in _COMBINATORS}
    table.update({f"F.{cls.__name__}": cls for cls in F.FAULT_TYPES})
    table.update({cls.__name__: cls for cls in (Constant, Exponential, LongTail, Normal, Uniform)})
    table.update(_EXTRA)  # type: ignore[arg-type]
    return table


def _is_schedule(value: object) -> bool:
    return isinstance(value, (_At, _Every, _Cycle, _Mix, _Phases, _On, _None))


def from_repr(text: str, *, actions: bool = False) -> Schedule:
    """Rebuild a schedule (or, with ``actions``, also an action) from its repr (run.json, ``--set schedule=``)
    with the safe parser (``scenarios.parser``).

    Raises:
        ConfigError: one line, for text that is not a schedule built from the allowed constructors.
    """
    sched = parse_repr(text, _constructors(), constants={"NONE": NONE}, what="schedule")
    if actions and not isinstance(sched, type) and callable(getattr(sched, "resolve", None)):
        return sched
    if not _is_schedule(sched):
        raise ConfigError(f"schedule {text[:60]!r}: not a schedule (at, every, cycle, mix, phases, on or NONE)")
    return sched
