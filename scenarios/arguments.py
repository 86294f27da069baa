"""Checks of the nemesis constructors' arguments, so a schedule from text (or code) that could not run is
refused when it is built, not as a traceback, a hang or an overflow in the middle of a run.

Rules:
- Each check raises ``ConfigError`` with one line naming the constructor, the argument, the value and what
  is accepted; it returns nothing and never changes a value (a schedule's repr and plan stay as written).
- Numbers are int or float, never bool, always finite; times are bounded (``MAX_SECONDS``) so converting
  them to int ns cannot overflow, and periods are at least ``MIN_PERIOD_S`` so a plan is finite and small.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from scenarios.errors import ConfigError

__all__ = ["MAX_SECONDS", "MIN_PERIOD_S", "check_action", "check_int", "check_number", "check_probability",
           "check_schedule", "check_seconds"]

MAX_SECONDS = 1_000_000.0  # about 11.6 days of virtual time: far beyond any run
MIN_PERIOD_S = 0.001


def check_number(owner: str, name: str, value: object, lo: float, hi: float) -> None:
    """``value`` is a finite int or float in ``[lo, hi]``."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigError(f"{owner}: {name} must be a number, got {value!r}")
    if not (math.isfinite(value) and lo <= value <= hi):
        raise ConfigError(f"{owner}: {name}={value!r} must be in [{lo:g}, {hi:g}]")


def check_seconds(owner: str, name: str, value: object, *, signed: bool = False, lo: float = 0.0) -> None:
    """A time in seconds: ``[lo, MAX_SECONDS]``, or ``[-MAX_SECONDS, MAX_SECONDS]`` when ``signed``."""
    check_number(owner, name, value, -MAX_SECONDS if signed else lo, MAX_SECONDS)


def check_probability(owner: str, name: str, value: object) -> None:
    check_number(owner, name, value, 0.0, 1.0)


def check_int(owner: str, name: str, value: object, lo: int, hi: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"{owner}: {name} must be an int, got {value!r}")
    if not lo <= value <= hi:
        raise ConfigError(f"{owner}: {name}={value!r} must be in [{lo}, {hi}]")


def check_action(owner: str, values: Iterable[object], *, at_least: int = 1) -> None:
    """Each value is an action (has ``resolve``), and there are at least ``at_least`` of them."""
    values = list(values)
    if len(values) < at_least:
        raise ConfigError(f"{owner}: needs at least {at_least} action(s)")
    for v in values:
        if isinstance(v, type) or not callable(getattr(v, "resolve", None)):
            raise ConfigError(f"{owner}: expected an action (isolate_leader(), kill_leader(1.0), ...), got {v!r}")


def check_schedule(owner: str, values: Iterable[object]) -> None:
    """Each value is a schedule (has ``plan``)."""
    for v in values:
        if isinstance(v, type) or not callable(getattr(v, "plan", None)):
            raise ConfigError(f"{owner}: expected a schedule (at, every, cycle, mix, phases, on, NONE), got {v!r}")
