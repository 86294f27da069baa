"""The registries of scenarios and workloads: filled by decorators, loaded by one explicit call, ``load()``.

Rules:
- ``@scenario`` (scenarios/spec.py: checks the declaration, then ``add_scenario``) fills the scenario table;
  ``@workload(name)`` fills the workload table with a ``Workload`` subclass; scenarios/bugs.py adds the
  bug-zoo ids (``add_bugs``). A name is kebab-case and registered once: a second registration is a
  one-line ``ConfigError``.
- ``load()`` fills both: it imports the built-in modules named in ``BUILTIN``, in that order, then the
  installed ``raftsim.plugins`` entry points, once per process. Every lookup calls it first, so no caller
  imports a catalog module for its side effect.
- This module is the bottom of scenarios/: it imports none of the modules it loads (they import it for the
  decorators), so registering makes no import cycle (tests/test_layering.py fails on any).
- A user's module registers the same way; scenarios/plugins.py loads it (``--plugin``) and records it.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from scenarios.errors import ConfigError
from scenarios.plugins import load_entry_points, note_source

__all__ = ["BUILTIN", "add_bugs", "add_scenario", "bug_ids", "load", "scenario_named", "scenario_names", "workload", "workload_class",
           "workload_names", "builtin_workload_names"]

# The modules that register the built-in workloads, bug ids and scenarios, in load order (a scenario's
# defaults are checked when it registers, against the workloads and bug ids registered before it).
BUILTIN = ("scenarios.workloads", "scenarios.recipes_workloads", "scenarios.tree_workload", "scenarios.workload_mix",
           "scenarios.bugs", "scenarios.catalog",
           "scenarios.bugzoo_catalog", "scenarios.figure8", "scenarios.figure16", "scenarios.swarm")

NAME = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
_SCENARIOS: dict[str, Any] = {}  # name -> scenarios.spec.ScenarioDef
_WORKLOADS: dict[str, type] = {}  # name -> Workload subclass
_BUGS: set[str] = set()  # the bug-zoo switch ids (scenarios/bugs.py)
_loaded = False

W = TypeVar("W", bound=type)


def load() -> None:
    """Register the built-in scenarios and workloads, then the installed plugins' (once per process)."""
    global _loaded
    if _loaded:
        return
    _loaded = True
    for name in BUILTIN:
        importlib.import_module(name)
    load_entry_points()


def add_scenario(name: str, definition: Any, module: str) -> None:
    """Add a checked scenario definition (``@scenario`` calls this); ConfigError for a bad or taken name."""
    if not NAME.match(name):
        raise ConfigError(f"scenario name {name!r} is not kebab-case")
    if name in _SCENARIOS:
        raise ConfigError(f"scenario {name!r} registered twice")
    _SCENARIOS[name] = definition
    if module:
        note_source(module)


def scenario_named(name: str) -> Any | None:
    """The scenario definition registered as ``name``, if any."""
    load()
    return _SCENARIOS.get(name)


def scenario_names() -> list[str]:
    """Every registered scenario name, sorted."""
    load()
    return sorted(_SCENARIOS)


def add_bugs(ids: Iterable[str]) -> None:
    """Add bug-zoo switch ids (scenarios/bugs.py calls this with its ``ZOO``)."""
    _BUGS.update(ids)


def bug_ids() -> tuple[str, ...]:
    """The bug-zoo switch ids a run may turn on (``--set bugs=``), sorted."""
    load()
    return tuple(sorted(_BUGS))


def workload(name: str) -> Callable[[W], W]:
    """Class decorator: register a ``Workload`` subclass as workload ``name`` (``--set workload=name``).

    Raises:
        ConfigError: the name is not kebab-case, or is taken.
    """

    def deco(cls: W) -> W:
        if not NAME.match(name):
            raise ConfigError(f"workload name {name!r} is not kebab-case")
        if name in _WORKLOADS:
            raise ConfigError(f"workload {name!r} registered twice")
        _WORKLOADS[name] = cls
        note_source(cls.__module__)
        return cls

    return deco


def workload_names() -> tuple[str, ...]:
    """Every workload a scenario may name: the built-in ones in registration order, then the others by name."""
    load()
    ours = [n for n, cls in _WORKLOADS.items() if cls.__module__.startswith("scenarios.")]
    return (*ours, *sorted(set(_WORKLOADS) - set(ours)))


def workload_class(name: str) -> type:
    """The workload class registered as ``name`` (a run's name is checked against ``workload_names`` first)."""
    load()
    return _WORKLOADS[name]


def builtin_workload_names() -> tuple[str, ...]:
    """The built-in workloads (registered by our own modules), in registration order."""
    load()
    return tuple(n for n, cls in _WORKLOADS.items() if cls.__module__.startswith("scenarios."))
