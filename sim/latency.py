"""Latency distributions as values: ``sample(rng) -> int ns >= 0``.

Rules:
- Frozen, hashable values with a repr that round-trips and a one-line str.
- ``sample`` draws only from the ``rng`` it is given; ``Constant`` draws nothing, so a constant
  latency never moves any other draw of the stream.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from math import log as _log
from typing import Union

from .errors import ConfigError
from .units import format_ns

__all__ = ["Constant", "Exponential", "Latency", "LongTail", "Normal", "Uniform"]


def _check_ns(owner: str, name: str, value: object) -> None:
    if not isinstance(value, int) or isinstance(value, bool):
        raise ConfigError(f"{owner}: {name} must be int ns, got {value!r}")
    if value < 0:
        raise ConfigError(f"{owner}: {name} must be >= 0, got {value}")


@dataclass(frozen=True, slots=True)
class Constant:
    """Always ``ns``."""

    ns: int

    def __post_init__(self) -> None:
        _check_ns("Constant", "ns", self.ns)

    def sample(self, rng: random.Random) -> int:
        return self.ns

    def __str__(self) -> str:
        return f"const({format_ns(self.ns)})"


@dataclass(frozen=True, slots=True)
class Uniform:
    """Uniform int in ``[lo_ns, hi_ns]``."""

    lo_ns: int
    hi_ns: int

    def __post_init__(self) -> None:
        _check_ns("Uniform", "lo_ns", self.lo_ns)
        _check_ns("Uniform", "hi_ns", self.hi_ns)
        if self.hi_ns < self.lo_ns:
            raise ConfigError(f"Uniform: hi_ns {self.hi_ns} < lo_ns {self.lo_ns}")

    def sample(self, rng: random.Random) -> int:
        # rng.random() is several times cheaper than randint on the hot path.
        return self.lo_ns + int(rng.random() * (self.hi_ns - self.lo_ns + 1))

    def __str__(self) -> str:
        return f"uniform({format_ns(self.lo_ns)}..{format_ns(self.hi_ns)})"


@dataclass(frozen=True, slots=True)
class Normal:
    """Normal(mean_ns, sd_ns), clipped at 0."""

    mean_ns: int
    sd_ns: int

    def __post_init__(self) -> None:
        _check_ns("Normal", "mean_ns", self.mean_ns)
        _check_ns("Normal", "sd_ns", self.sd_ns)

    def sample(self, rng: random.Random) -> int:
        return max(0, round(rng.normalvariate(self.mean_ns, self.sd_ns)))

    def __str__(self) -> str:
        return f"normal({format_ns(self.mean_ns)}~{format_ns(self.sd_ns)})"


@dataclass(frozen=True, slots=True)
class Exponential:
    """Exponential with mean ``mean_ns``."""

    mean_ns: int

    def __post_init__(self) -> None:
        _check_ns("Exponential", "mean_ns", self.mean_ns)
        if self.mean_ns == 0:
            raise ConfigError("Exponential: mean_ns must be > 0")

    def sample(self, rng: random.Random) -> int:
        # rng.expovariate(1.0 / mean_ns), inlined (CPython's formula, the same float operations).
        return int(-_log(1.0 - rng.random()) / (1.0 / self.mean_ns))

    def __str__(self) -> str:
        return f"exp({format_ns(self.mean_ns)})"


@dataclass(frozen=True, slots=True)
class LongTail:
    """Mostly ``base``; with probability ``p`` a draw from ``tail`` instead (latency spikes)."""

    base: "Latency"
    tail: "Latency"
    p: float

    def __post_init__(self) -> None:
        if not isinstance(self.base, _LATENCIES) or not isinstance(self.tail, _LATENCIES):
            raise ConfigError("LongTail: base and tail must be latency values")
        if not 0.0 <= self.p <= 1.0:
            raise ConfigError(f"LongTail: p must be in [0, 1], got {self.p!r}")

    def sample(self, rng: random.Random) -> int:
        if rng.random() < self.p:
            return self.tail.sample(rng)
        return self.base.sample(rng)

    def __str__(self) -> str:
        return f"longtail({self.base}|{self.tail}@{self.p:g})"


Latency = Union[Constant, Uniform, Normal, Exponential, LongTail]
_LATENCIES = (Constant, Uniform, Normal, Exponential, LongTail)
