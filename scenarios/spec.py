"""Scenarios as values: a name, typed parameters, and a builder registered in the catalog.

Rules:
- A scenario is ``Scenario(name, params)``; ``params`` always holds *every* parameter (defaults
  merged), so ``repr`` is complete and ``Scenario.from_repr(repr(s)) == s``.
- Parameters are typed by their default's type; ``--set key=value`` on the CLI is parsed with
  ``parse_value``; an unknown key or a wrongly typed value is a ``ConfigError`` naming both.
- Names are kebab-case.
"""

from __future__ import annotations

import math
import re
import shlex
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from scenarios.errors import ConfigError
from scenarios.parser import parse_repr

__all__ = [
    "COMMON_PARAMS",
    "Scenario",
    "ScenarioDef",
    "get_def",
    "list_defs",
    "parse_value",
    "register",
    "scenario",
]

# Parameters every scenario has. Times are in ms/s here for humans; the runner converts to int ns.
COMMON_PARAMS: dict[str, Any] = {
    "nodes": 5,                 # cluster size
    "clients": 10,              # concurrent client processes (logical threads)
    "duration_s": 10.0,         # fault phase length (virtual seconds)
    "recover_s": 5.0,           # final heal-and-recover phase (liveness judged here)
    "workload": "register",     # register | cas-register | append | set | watch | lock | queue | election | registry
    "keys": 5,                  # distinct keys of the workload
    "rate": 20.0,               # ops per second per client (think time is exponential)
    "read_mode": "quorum",      # quorum (linearizable, through ReadIndex) | local (may be stale, as etcd v2)
    "client_timeout_ms": 1000,  # a client op with no answer by then completes as info
    "latency_ms": 1.0,          # mean one-way network latency
    "latency_dist": "exponential",  # constant | uniform | normal | exponential | long-tail
    "loss": 0.0,                # message loss probability, every link
    "dup": 0.0,                 # message duplication probability
    "reorder": 0.0,             # probability a message is delayed behind later ones
    "tick_ms": 10,              # raft tick
    "heartbeat_ticks": 5,       # 50 ms heartbeats
    "election_ticks": 30,       # 300-600 ms randomised election timeout
    "pre_vote": True,
    "check_quorum": True,
    "snapshot_entries": 500,    # compact the log every N applied entries
    "max_msg_bytes": 1 << 20,   # AppendEntries size limit (RaftConfig.max_size_per_msg); 1: one entry per message
    "ttl_s": 2,                 # TTL of lock / registry / election keys
    "fsync_ms": 0.0,            # mean fsync latency (exponential); 0: the simulator's uniform 0.5-2 ms
    "bugs": "",                 # comma-separated bug-zoo ids (B03,B07), all off by default
    "trace_messages": True,     # write send/deliver/drop events to the trace
}

_NAME = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


def parse_value(key: str, text: str, like: Any) -> Any:
    """Parse ``text`` as the type of ``like``; raise ConfigError naming the key."""
    try:
        if isinstance(like, bool):
            low = text.strip().lower()
            if low in ("1", "true", "yes", "on"):
                return True
            if low in ("0", "false", "no", "off"):
                return False
            raise ValueError
        if isinstance(like, int):
            return int(text)
        if isinstance(like, float):
            return float(text)
        return str(text)
    except ValueError:
        raise ConfigError(f"--set {key}={text}: expected a {type(like).__name__}") from None


@dataclass(frozen=True)
class ScenarioDef:
    """A catalog entry: name, one-line description, extra defaults, and the plan builder."""

    name: str
    description: str
    defaults: Mapping[str, Any]
    build: Callable[[Mapping[str, Any]], Any]  # params -> scenarios.plan.Plan


_REGISTRY: dict[str, ScenarioDef] = {}


def register(d: ScenarioDef) -> ScenarioDef:
    if not _NAME.match(d.name):
        raise ConfigError(f"scenario name {d.name!r} is not kebab-case")
    if d.name in _REGISTRY:
        raise ConfigError(f"scenario {d.name!r} registered twice")
    unknown = sorted(set(d.defaults) - set(COMMON_PARAMS))
    for k in unknown:
        if not isinstance(d.defaults[k], (bool, int, float, str)):
            raise ConfigError(f"scenario {d.name}: parameter {k} must be bool/int/float/str")
    _REGISTRY[d.name] = d
    return d


def scenario(name: str, description: str, **defaults: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorator: register ``fn(params) -> Plan`` as scenario ``name``."""

    def deco(fn: Callable[..., Any]) -> Callable[..., Any]:
        register(ScenarioDef(name, description, MappingProxyType(dict(defaults)), fn))
        return fn

    return deco


def _ensure_catalog() -> None:
    import scenarios.catalog  # noqa: F401  (registers the named scenarios)


def get_def(name: str) -> ScenarioDef:
    _ensure_catalog()
    d = _REGISTRY.get(name)
    if d is None:
        close = [n for n in sorted(_REGISTRY) if name.split("-")[0] in n]
        hint = f" (did you mean {', '.join(close[:3])}?)" if close else " (see `raftsim list`)"
        raise ConfigError(f"unknown scenario {name!r}{hint}")
    return d


def list_defs() -> list[ScenarioDef]:
    _ensure_catalog()
    return [_REGISTRY[n] for n in sorted(_REGISTRY)]


@dataclass(frozen=True)
class Scenario:
    """A named scenario with every parameter resolved."""

    name: str
    params: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def create(cls, name: str, overrides: Mapping[str, Any] | None = None) -> "Scenario":
        """Resolve ``name`` with its defaults and ``overrides`` (typed values or CLI strings)."""
        d = get_def(name)
        params: dict[str, Any] = {**COMMON_PARAMS, **d.defaults}
        for key, value in sorted((overrides or {}).items()):
            if key not in params:
                raise ConfigError(f"--set {key}: unknown parameter for {name} (known: {', '.join(sorted(params))})")
            like = params[key]
            if isinstance(value, str) and not isinstance(like, str):
                value = parse_value(key, value, like)
            elif isinstance(like, bool) != isinstance(value, bool) or (
                not isinstance(value, type(like)) and not (isinstance(like, float) and isinstance(value, int))
            ):
                raise ConfigError(f"--set {key}={value!r}: expected a {type(like).__name__}")
            params[key] = float(value) if isinstance(like, float) else value
        _validate(name, params)
        return cls(name, MappingProxyType(params))

    @classmethod
    def parse_sets(cls, name: str, sets: list[str]) -> "Scenario":
        """Build from CLI ``key=value`` strings."""
        overrides: dict[str, str] = {}
        for item in sets:
            if "=" not in item:
                raise ConfigError(f"--set {item!r}: expected key=value")
            k, v = item.split("=", 1)
            overrides[k.strip()] = v.strip()
        return cls.create(name, overrides)

    def changed(self) -> dict[str, Any]:
        """Parameters that differ from the scenario's defaults (for short replay lines)."""
        d = get_def(self.name)
        base = {**COMMON_PARAMS, **d.defaults}
        return {k: v for k, v in sorted(self.params.items()) if base.get(k) != v}

    def __repr__(self) -> str:
        inner = ", ".join(f"{k}={v!r}" for k, v in sorted(self.params.items()))
        return f"Scenario({self.name!r}, dict({inner}))"

    @classmethod
    def from_repr(cls, text: str) -> "Scenario":
        """Inverse of ``repr``: ``Scenario('name', dict(k=v, ...))``, read by the safe parser (``scenarios.parser``).

        Raises:
            ConfigError: one line, for text that is not a scenario repr or names a bad scenario or parameter.
        """
        got = parse_repr(text, {"Scenario": _scenario_parts, "dict": _params}, what="scenario repr")
        if not isinstance(got, _Parsed):
            raise ConfigError(f"not a scenario repr: {str(text)[:80]!r}")
        return cls.create(got.name, got.params)

    def cli_args(self) -> str:
        """``--set`` arguments reproducing the non-default parameters."""
        parts = []
        for k, v in self.changed().items():
            text = str(v).lower() if isinstance(v, bool) else str(v)
            parts.append(f"--set {shlex.quote(f'{k}={text}')}")
        return " ".join(parts)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Scenario) and self.name == other.name and dict(self.params) == dict(other.params)

    def __hash__(self) -> int:  # pragma: no cover - scenarios are not hashed in runs
        return hash((self.name, tuple(sorted(self.params.items()))))


@dataclass(frozen=True)
class _Parsed:
    """What ``Scenario(name, dict(...))`` parses to, before ``Scenario.create`` checks it."""

    name: str
    params: dict[str, Any]


def _scenario_parts(name: str, params: dict[str, Any]) -> _Parsed:
    if not isinstance(name, str) or not isinstance(params, dict):
        raise ConfigError(f"Scenario(name, dict(...)): got {repr(name)[:60]}, {repr(params)[:60]}")
    return _Parsed(name, params)


def _params(**params: Any) -> dict[str, Any]:
    return params


_WORKLOADS = {"register", "cas-register", "append", "set", "watch", "lock", "queue", "election", "registry"}


def _validate(name: str, p: Mapping[str, Any]) -> None:
    def need(cond: bool, msg: str) -> None:
        if not cond:
            raise ConfigError(f"{name}: {msg}")

    for k, v in sorted(p.items()):  # nan passes every range check below; inf overflows int ns
        need(not isinstance(v, float) or math.isfinite(v), f"{k}={v}: must be a finite number")
    need(1 <= p["nodes"] <= 15, f"nodes={p['nodes']}: must be 1..15")
    need(0 <= p["clients"] <= 200, f"clients={p['clients']}: must be 0..200")
    need(p["duration_s"] > 0, "duration_s must be > 0")
    need(p["recover_s"] >= 0, "recover_s must be >= 0")
    need(p["workload"] in _WORKLOADS, f"workload={p['workload']!r}: one of {', '.join(sorted(_WORKLOADS))}")
    need(p["keys"] >= 1, "keys must be >= 1")
    need(p["rate"] > 0, "rate must be > 0")
    need(p["read_mode"] in ("quorum", "local"), "read_mode must be quorum or local")
    need(p["client_timeout_ms"] > 0, "client_timeout_ms must be > 0")
    for k in ("loss", "dup", "reorder"):
        need(0.0 <= p[k] <= 1.0, f"{k}={p[k]}: a probability must be in [0, 1]")
    need(p["latency_ms"] >= 0, "latency_ms must be >= 0")
    need(p["fsync_ms"] >= 0, "fsync_ms must be >= 0")
    need(p["latency_dist"] in ("constant", "uniform", "normal", "exponential", "long-tail"), "latency_dist unknown")
    need(p["tick_ms"] > 0, "tick_ms must be > 0")
    need(p["election_ticks"] > p["heartbeat_ticks"] > 0, "need election_ticks > heartbeat_ticks > 0")
    bugs = [b for b in p["bugs"].split(",") if b]
    need(all(re.fullmatch(r"B\d\d", b) for b in bugs), f"bugs={p['bugs']!r}: expected ids like B03,B07")
    from scenarios.bugs import ZOO  # here, not at the top: scenarios.bugs builds on this module

    unknown = [b for b in bugs if b not in ZOO]
    need(not unknown, f"bugs={p['bugs']!r}: no such bug {', '.join(unknown)} (see `raftsim bugs`: B01..B{len(ZOO):02d})")
