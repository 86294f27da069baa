"""Scenario parameters declared once: name, type, default, accepted range or choices, one-line meaning.

Rules:
- ``PARAMS`` is the table every scenario shares; a scenario adds its own with ``Param`` values and may
  narrow a range (``nodes >= 3`` for a partition that needs a majority and a minority) with ``Limit``.
- ``Param.check(value)`` returns the value (an int widened to float where the type is float) or raises
  ``ConfigError`` with one line naming the parameter, the value and the accepted range. Floats must be
  finite; every number has an upper bound, so a typo (``duration_s=1e9``) is refused, not simulated.
- ``BUDGET`` bounds what no single range can: the client ops a run would issue (clients x rate x
  virtual seconds), so the parameters together cannot ask for gigabytes of history.
- Code reads parameters through a typed, read-only ``Params`` object (``p.nodes``) whose class
  ``params_type`` generates from the table, so the table stays the only place a parameter is declared.
- This module is data and checks only: no simulation, no I/O. ``raftsim params`` and typed params read it.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields, make_dataclass
from typing import Any

from scenarios import registry
from scenarios.errors import ConfigError

__all__ = ["BUDGET_OPS", "PARAMS", "Limit", "Param", "Params", "bug_ids", "check_budget", "check_rules", "common_defaults",
           "mix_part_names", "params_type", "parse_text", "typed_params"]


def bug_ids() -> tuple[str, ...]:
    """The bug-zoo switch ids (B01...): scenarios/bugs.py's, which the registry loads."""
    return registry.bug_ids()


@dataclass(frozen=True, slots=True, kw_only=True)
class Param:
    """One parameter: its type and default, the accepted values, and what it means (one line).

    ``lo``/``hi`` bound numbers (inclusive; ``lo_open``: strictly above ``lo``); ``choices`` lists the
    accepted strings (a callable: looked up when checked); ``many``: a comma-separated subset of them.
    """

    name: str
    type: type
    default: Any
    doc: str
    lo: float | None = None
    hi: float | None = None
    lo_open: bool = False
    choices: tuple[str, ...] | Callable[[], tuple[str, ...]] = ()
    many: bool = False
    why: str = ""  # why a scenario narrowed the range (Limit.why), said when a value is refused

    def options(self) -> tuple[str, ...]:
        return self.choices() if callable(self.choices) else self.choices

    def accepted(self) -> str:
        """The accepted values in words: ``1..15``, ``> 0 and <= 600``, ``one of a, b``."""
        if self.type is bool:
            return "true or false"
        opts = self.options()
        if opts:
            some = f"{opts[0]}..{opts[-1]}" if len(opts) > 6 else ", ".join(opts)
            return f"distinct comma-separated ids among {some}, or empty" if self.many else f"one of {some}"
        if self.lo is None and self.hi is None:
            return f"a {self.type.__name__}"
        if self.type is int and not self.lo_open and self.lo is not None and self.hi is not None:
            return f"{_num(self.lo)}..{_num(self.hi)}"
        parts = []
        if self.lo is not None:
            parts.append(f"{'>' if self.lo_open else '>='} {_num(self.lo)}")
        if self.hi is not None:
            parts.append(f"<= {_num(self.hi)}")
        return " and ".join(parts)

    def check(self, value: Any, scenario: str = "") -> Any:
        """``value`` if this parameter accepts it (ints widened for float params); else ConfigError."""
        def bad(problem: str = "") -> ConfigError:
            where = f"{scenario}: " if scenario else ""
            because = f" ({self.why or self.doc})" if not problem and (self.why or self.doc) else ""
            return ConfigError(f"{where}{self.name}={_show(value)}: {problem or 'expected ' + self.accepted()}{because}")

        if self.type is bool:
            if not isinstance(value, bool):
                raise bad()
            return value
        if self.type in (int, float):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise bad(f"expected {'an int' if self.type is int else 'a number'} ({self.accepted()})")
            if self.type is int and not isinstance(value, int):
                raise bad(f"expected an int ({self.accepted()})")
            if isinstance(value, float) and not math.isfinite(value):
                raise bad(f"expected a finite number ({self.accepted()})")
            if ((self.lo is not None and (value <= self.lo if self.lo_open else value < self.lo))
                    or (self.hi is not None and value > self.hi)):
                raise bad()
            return float(value) if self.type is float else value
        if not isinstance(value, str):
            raise bad(f"expected a string ({self.accepted()})")
        opts = self.options()
        if opts:
            items = [v for v in value.split(",") if v] if self.many else [value]
            unknown = [v for v in items if v not in opts]
            if self.many and unknown:
                raise bad(f"no such {self.name.removesuffix('s')} {', '.join(unknown)} (expected {self.accepted()})")
            if unknown or len(set(items)) != len(items):
                raise bad()
        return value


def _num(x: float) -> str:
    return f"{int(x):,}".replace(",", "_") if float(x).is_integer() and abs(x) >= 10_000 else f"{x:g}"


def _show(value: Any) -> str:
    text = (repr(value) if isinstance(value, str) else str(value).lower() if isinstance(value, bool)
            else f"{value:g}" if isinstance(value, float) else str(value))
    return text if len(text) <= 40 else text[:37] + "..."


def parse_text(param: Param, text: str) -> Any:
    """A ``--set key=value`` string as ``param``'s type (unchecked: ``Param.check`` follows)."""
    try:
        if param.type is bool:
            low = text.strip().lower()
            if low in ("1", "true", "yes", "on"):
                return True
            if low in ("0", "false", "no", "off"):
                return False
            raise ValueError
        if param.type is int:
            return int(text)
        if param.type is float:
            return float(text)
        return str(text)
    except ValueError:
        kind = {bool: "a bool", int: "an int", float: "a number"}[param.type]
        shown = text if len(text) <= 40 else text[:37] + "..."
        raise ConfigError(f"--set {param.name}={shown}: expected {kind} ({param.accepted()})") from None


@dataclass(frozen=True, slots=True)
class Limit:
    """A scenario's narrower range for a shared parameter, and why (``Limit("nodes", lo=3, why=...)``)."""

    name: str
    lo: float | None = None
    hi: float | None = None
    why: str = ""


class Params:
    """A scenario's parameters, typed and read-only: ``p.nodes``, ``p.duration_s``.

    Each class is generated by ``params_type`` from the declarations (one frozen field per ``Param``, typed
    by ``Param.type``, in table order). Reading an undeclared name is an AttributeError naming the declared
    ones; assigning one is an error. ``get`` reads a parameter only some scenarios declare.
    """

    __slots__ = ()

    def __getattr__(self, name: str) -> Any:  # reached only for a name that is not a field
        if name.startswith("__"):
            raise AttributeError(name)
        known = ", ".join(f.name for f in fields(self))  # type: ignore[arg-type]
        raise AttributeError(f"no parameter {name!r} (declared: {known})")

    def get(self, name: str, default: Any = None) -> Any:
        """The value of ``name`` where this scenario declares it, else ``default``."""
        return getattr(self, name) if name in self.__dataclass_fields__ else default  # type: ignore[attr-defined]

    def __reduce__(self) -> tuple[Any, ...]:  # the class is generated: rebuild it from its declaration
        declared = tuple((f.name, f.type) for f in fields(self))  # type: ignore[arg-type]
        return (_rebuild, (declared, {f.name: getattr(self, f.name) for f in fields(self)}))  # type: ignore[arg-type]


@functools.cache
def params_type(declared: tuple[tuple[str, type], ...]) -> type[Params]:
    """The ``Params`` class with one frozen field per ``(name, type)`` (one class per distinct declaration)."""
    return make_dataclass("Params", list(declared), bases=(Params,), frozen=True, slots=True, kw_only=True)


def typed_params(schema: Mapping[str, Param], values: Mapping[str, Any]) -> Params:
    """``values`` (every parameter of ``schema``, already checked) as the scenario's ``Params``."""
    return params_type(tuple((name, p.type) for name, p in schema.items()))(**values)


def _rebuild(declared: tuple[tuple[str, type], ...], values: dict[str, Any]) -> Params:
    return params_type(declared)(**values)


def mix_part_names() -> tuple[str, ...]:
    """The built-in workloads ``mix`` may combine (scenarios/workload_mix.py)."""
    return tuple(n for n in registry.builtin_workload_names() if n != "mix")


def _workloads() -> tuple[str, ...]:
    """The registered workloads: built-in and plugins' (scenarios/registry.py)."""
    return registry.workload_names()


# Upper bounds are generous for real use and refuse typos: a run's memory grows with nodes^2 x virtual
# seconds (heartbeats) and clients x rate x virtual seconds (history); see BUDGET_OPS.
PARAMS: tuple[Param, ...] = (
    Param(name="nodes", type=int, default=5, lo=1, hi=15, doc="cluster size"),
    Param(name="clients", type=int, default=10, lo=0, hi=200, doc="concurrent client processes (logical threads)"),
    Param(name="duration_s", type=float, default=10.0, lo=0, lo_open=True, hi=600,
          doc="fault phase length (virtual seconds)"),
    Param(name="recover_s", type=float, default=5.0, lo=0, hi=600,
          doc="final heal-and-recover phase (liveness is judged here)"),
    Param(name="workload", type=str, default="register", choices=_workloads, doc="what the clients do"),
    Param(name="mix", type=str, default="", choices=mix_part_names, many=True,
          doc="workload=mix: the workloads run side by side, each on its own keys and clients (empty: all)"),
    Param(name="keys", type=int, default=5, lo=1, hi=1000, doc="distinct keys of the workload"),
    Param(name="rate", type=float, default=20.0, lo=0, lo_open=True, hi=10_000,
          doc="ops per second per client (think time is exponential)"),
    Param(name="read_mode", type=str, default="quorum", choices=("quorum", "local", "mixed"),
          doc="register reads: quorum (linearizable, ReadIndex), local (may be stale, as etcd v2), mixed (odd clients local)"),
    Param(name="local_reads", type=str, default="stale-ok", choices=("stale-ok", "linearizable"),
          doc="how local reads are judged: stale-ok (marked local: a value some write put there, as etcd v2 promises) or linearizable (unmarked, as Jepsen judged etcd's reads in 2014)"),
    Param(name="read_only", type=str, default="safe", choices=("safe", "lease"),
          doc="how ReadIndex confirms leadership: safe (a heartbeat quorum) or lease (CheckQuorum's lease; needs check_quorum=true, bounded clocks, no pauses)"),
    Param(name="client_timeout_ms", type=int, default=1000, lo=1, hi=60_000,
          doc="a client op with no answer by then completes as info"),
    Param(name="latency_ms", type=float, default=1.0, lo=0, lo_open=True, hi=10_000,
          doc="mean one-way network latency"),
    Param(name="latency_dist", type=str, default="exponential",
          choices=("constant", "uniform", "normal", "exponential", "long-tail"), doc="network latency distribution"),
    Param(name="loss", type=float, default=0.0, lo=0, hi=1, doc="message loss probability, every link"),
    Param(name="dup", type=float, default=0.0, lo=0, hi=1, doc="message duplication probability"),
    Param(name="reorder", type=float, default=0.0, lo=0, hi=1,
          doc="probability a message is delayed behind later ones"),
    Param(name="tick_ms", type=int, default=10, lo=1, hi=1000, doc="raft tick"),
    Param(name="heartbeat_ticks", type=int, default=5, lo=1, hi=1000, doc="heartbeat interval in ticks"),
    Param(name="election_ticks", type=int, default=30, lo=2, hi=10_000,
          doc="election timeout in ticks (randomised in [E, 2E)); must exceed heartbeat_ticks"),
    Param(name="pre_vote", type=bool, default=True, doc="Raft PreVote (§9.6)"),
    Param(name="check_quorum", type=bool, default=True, doc="leaders step down without a quorum's contact"),
    Param(name="snapshot_entries", type=int, default=500, lo=0, hi=10_000_000,
          doc="compact the log every N applied entries (0: never)"),
    Param(name="max_msg_bytes", type=int, default=1 << 20, lo=1, hi=1 << 30,
          doc="AppendEntries size limit (RaftConfig.max_size_per_msg); 1: one entry per message"),
    Param(name="ttl_s", type=int, default=2, lo=1, hi=3600, doc="TTL of lock / registry / election keys"),
    Param(name="fsync_ms", type=float, default=0.0, lo=0, hi=10_000,
          doc="mean fsync latency (exponential); 0: the simulator's uniform 0.5-2 ms"),
    Param(name="bugs", type=str, default="", choices=bug_ids, many=True,
          doc="comma-separated bug-zoo ids (B03,B07; see `raftsim bugs`), all off by default"),
    Param(name="trace_messages", type=bool, default=True, doc="write send/deliver/drop events to the trace"),
    Param(name="tickless", type=bool, default=True,
          doc="wake a raft node only at its next election/heartbeat deadline (false: every tick; same protocol)"),
)


def common_defaults() -> dict[str, Any]:
    """{name: default} of ``PARAMS``, in table order."""
    return {p.name: p.default for p in PARAMS}


# The most client ops a run may plan (clients x rate x virtual seconds): about 1 GB of history and trace.
BUDGET_OPS = 2_000_000


def check_rules(scenario: str, p: Params) -> None:
    """The checks across parameters: ConfigError (one line) for the first one ``p`` breaks."""
    if p.election_ticks <= p.heartbeat_ticks:
        raise ConfigError(f"{scenario}: election_ticks={p.election_ticks} must exceed "
                          f"heartbeat_ticks={p.heartbeat_ticks}")
    if p.read_only == "lease" and not p.check_quorum:
        raise ConfigError(f"{scenario}: read_only=lease needs check_quorum=true (the lease is CheckQuorum's)")
    for key in ("latency_ms", "fsync_ms"):  # the simulator's unit is 1 ns: a positive mean below it is 0
        value = getattr(p, key)
        if 0 < value < 1e-6:
            raise ConfigError(f"{scenario}: {key}={value:g}: below 1 ns (1e-06 ms); use 0 or at least 1e-06")
    check_budget(scenario, p)


def check_budget(scenario: str, p: Params) -> None:
    """ConfigError if ``p`` together plan more than BUDGET_OPS client ops, naming the product."""
    seconds = p.duration_s + p.recover_s
    ops = p.clients * p.rate * seconds
    if ops > BUDGET_OPS:
        raise ConfigError(f"{scenario}: clients={p.clients} x rate={p.rate:g} x {seconds:g} virtual s = "
                          f"{ops:,.0f} client ops; at most {BUDGET_OPS:,} (lower one of them)")
