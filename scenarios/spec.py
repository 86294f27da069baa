"""Scenarios as values: a name, typed parameters, and a builder registered by ``@scenario``.

Rules:
- A scenario is ``Scenario(name, params)``; ``params`` always holds *every* parameter (defaults
  merged), so ``repr`` is complete and ``Scenario.from_repr(repr(s)) == s``.
- Every parameter is declared once (scenarios/params.py: type, range or choices, meaning); a scenario
  adds its own (``params=``, declared next to its builder) and narrows shared ranges (``limits=``).
  ``Scenario.params`` is the mapping stored in run.json and the repr; code reads values through the typed,
  read-only ``Scenario.p`` (``p.nodes``), which builders and workloads receive. ``Scenario.create`` checks every
  value against the declarations before anything runs: an unknown key, a wrong type or a value out of
  range is a one-line ``ConfigError`` naming the parameter, the value and the accepted range.
- Names are kebab-case. ``@scenario`` checks a definition and adds it to scenarios/registry.py, which
  ``get_def``/``list_defs`` load first (``registry.load()``: the one explicit call).
"""

from __future__ import annotations

import shlex
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

from scenarios import registry
from scenarios.errors import ConfigError
from scenarios.parser import parse_repr
from scenarios.params import PARAMS, Limit, Param, Params, check_rules, common_defaults, parse_text, typed_params

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

# Parameters every scenario has ({name: default}; the declarations are scenarios/params.py's PARAMS).
COMMON_PARAMS: dict[str, Any] = common_defaults()
_COMMON = {p.name: p for p in PARAMS}

def parse_value(key: str, text: str, like: Any) -> Any:
    """Parse ``text`` as the type of ``like``; raise ConfigError naming the key."""
    return parse_text(Param(name=key, type=type(like), default=like, doc=""), text)


@dataclass(frozen=True)
class ScenarioDef:
    """A catalog entry: name, one-line description, defaults, its own parameters and limits, the plan builder.

    ``defaults`` overrides shared defaults and gives the values of ``params`` (the scenario's own
    declared parameters); ``limits`` narrow shared ranges for this scenario (e.g. nodes >= 3).
    """

    name: str
    description: str
    defaults: Mapping[str, Any]
    build: Callable[[Params], Any]  # typed params -> scenarios.catalog.Plan
    params: tuple[Param, ...] = ()
    limits: tuple[Limit, ...] = ()
    # draw(params, changed, seed) -> the params seed draws (a scenario that declares ``drawn``: swarm.py)
    draw: Callable[[Mapping[str, Any], Mapping[str, Any], int], Mapping[str, Any]] | None = None

    def schema(self) -> dict[str, Param]:
        """Every parameter of this scenario, declared ranges narrowed by ``limits``, defaults its own."""
        out = {**_COMMON, **{p.name: p for p in self.params}}
        for lim in self.limits:
            p = out[lim.name]
            lo = p.lo if lim.lo is None else lim.lo if p.lo is None else max(p.lo, lim.lo)
            hi = p.hi if lim.hi is None else lim.hi if p.hi is None else min(p.hi, lim.hi)
            out[lim.name] = replace(p, lo=lo, hi=hi, lo_open=p.lo_open and lo == p.lo, why=lim.why)
        for k, v in self.defaults.items():
            out[k] = replace(out[k], default=v)
        return out


def register(d: ScenarioDef, module: str = "") -> ScenarioDef:
    """Check ``d`` (declared parameters, defaults in range) and add it to the registry; ConfigError if not."""
    own = {p.name for p in d.params}
    for k in sorted((set(d.defaults) | {lim.name for lim in d.limits}) - set(COMMON_PARAMS) - own):
        raise ConfigError(f"scenario {d.name}: parameter {k} is not declared (add a Param for it)")
    for k in sorted(own & set(dir(Params))):
        raise ConfigError(f"scenario {d.name}: parameter {k} would hide Params.{k} (rename it)")
    for k, p in sorted(d.schema().items()):  # every default must pass its own (narrowed) declaration
        p.check(p.default, d.name)
    registry.add_scenario(d.name, d, module)
    return d


def scenario(name: str, description: str, *, params: tuple[Param, ...] = (), limits: tuple[Limit, ...] = (),
             draw: Callable[[Mapping[str, Any], Mapping[str, Any], int], Mapping[str, Any]] | None = None,
             **defaults: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorator: register ``fn(params) -> Plan`` as scenario ``name`` (own ``params``, ``limits``, defaults)."""

    def deco(fn: Callable[..., Any]) -> Callable[..., Any]:
        own = {p.name: p.default for p in params}
        register(ScenarioDef(name, description, MappingProxyType({**own, **defaults}), fn, tuple(params),
                             tuple(limits), draw), fn.__module__)
        return fn

    return deco


def get_def(name: str) -> ScenarioDef:
    """The registered scenario ``name`` (built-ins and plugins loaded first); ConfigError naming close ones."""
    d = registry.scenario_named(name)
    if d is None:
        close = [n for n in registry.scenario_names() if name.split("-")[0] in n]
        hint = f" (did you mean {', '.join(close[:3])}?)" if close else " (see `raftsim list`)"
        raise ConfigError(f"unknown scenario {name!r}{hint}")
    return d


def list_defs() -> list[ScenarioDef]:
    """Every registered scenario, by name."""
    return [registry.scenario_named(n) for n in registry.scenario_names()]


@dataclass(frozen=True)
class Scenario:
    """A named scenario with every parameter resolved."""

    name: str
    params: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def create(cls, name: str, overrides: Mapping[str, Any] | None = None) -> "Scenario":
        """Resolve ``name`` with its defaults and ``overrides`` (typed values or CLI strings)."""
        d = get_def(name)
        schema = d.schema()
        params: dict[str, Any] = {k: p.default for k, p in schema.items()}
        for key, value in sorted((overrides or {}).items()):
            if key not in schema:
                raise ConfigError(f"--set {key}: unknown parameter for {name} (known: {', '.join(sorted(schema))})")
            if isinstance(value, str) and schema[key].type is not str:
                value = parse_text(schema[key], value)
            params[key] = schema[key].check(value, name)
        check_rules(name, typed_params(schema, params))
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

    @property
    def p(self) -> Params:
        """The parameters typed and read-only (``scenario.p.nodes``); an undeclared name is an AttributeError."""
        return typed_params(get_def(self.name).schema(), self.params)

    def for_seed(self, seed: int) -> "Scenario":
        """This scenario as run at ``seed``: a scenario that draws its configuration per seed (``draw``) gets
        the drawn values as plain parameters and ``drawn=True``; any other scenario is itself."""
        d = get_def(self.name)
        if d.draw is None or self.params.get("drawn", True):
            return self
        changed = self.changed()
        return Scenario.create(self.name, {**changed, **d.draw(self.params, changed, seed), "drawn": True})

    def changed(self) -> dict[str, Any]:
        """Parameters that differ from the scenario's defaults (for short replay lines)."""
        d = get_def(self.name)
        base = {k: p.default for k, p in d.schema().items()}
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

