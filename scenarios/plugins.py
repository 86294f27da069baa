"""User plugins: the user's modules that register scenarios, workloads, fault schedules and checkers.

Rules:
- A plugin is an importable module; importing it registers what it defines (``@scenario`` in
  scenarios/spec.py, ``@workload`` here, ``@checker`` in checkers/registry.py). ``load`` imports the
  named modules (``--plugin``); the ``raftsim.plugins`` entry-point group is loaded once, the first time a
  scenario or workload name is resolved.
- The modules a run needs (``modules()``: those loaded by name, and every other module outside our
  packages that registered something) are recorded in run.json ``plugins`` and in the replay line
  (``--plugin X``): replay, check and sweep workers load them first, so a user's scenario is found.
- A module that cannot be imported is a one-line ConfigError naming it, never a traceback.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from scenarios.errors import ConfigError

__all__ = ["GROUP", "load", "load_entry_points", "modules", "note_source", "user_workload", "with_plugins",
           "workload", "workload_names"]

GROUP = "raftsim.plugins"
BUILTIN_WORKLOADS = ("register", "cas-register", "append", "set", "watch", "lock", "queue", "election", "registry",
                     "tree", "mix")
_OURS = ("sim", "kvraft", "scenarios", "checkers", "reports", "raftsim")
_MODULE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")
_NAME = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")

_loaded: list[str] = []  # modules loaded by name, in order
_sources: list[str] = []  # user modules that registered a scenario, workload or checker
_workloads: dict[str, type] = {}
_entry_points_done = False

W = TypeVar("W", bound=type)


def load(names: Iterable[str]) -> None:
    """Import each plugin module (once); raises ConfigError naming a module that cannot be imported."""
    for name in names:
        if name in _loaded:
            continue
        if not isinstance(name, str) or not _MODULE.match(name):
            raise ConfigError(f"--plugin {name!r}: not a module name (expected e.g. my_suite.faults)")
        try:
            importlib.import_module(name)
        except ConfigError as e:
            raise ConfigError(f"--plugin {name}: {e}") from None
        except ImportError as e:
            raise ConfigError(f"--plugin {name}: cannot import it ({e}; is it on PYTHONPATH?)") from None
        except Exception as e:  # noqa: BLE001 - the user's module failed on import: say which, in one line
            raise ConfigError(f"--plugin {name}: importing it raised {type(e).__name__}: {e}") from None
        _loaded.append(name)


def load_entry_points() -> None:
    """Load the installed ``raftsim.plugins`` entry points, once per process."""
    global _entry_points_done
    if _entry_points_done:
        return
    _entry_points_done = True
    from importlib.metadata import entry_points

    for ep in sorted(entry_points(group=GROUP), key=lambda e: e.name):
        try:
            load([ep.value.split(":")[0]])
        except ConfigError as e:  # say where it came from: no --plugin was given
            raise ConfigError(f"installed plugin {ep.name!r} ({GROUP} entry point): "
                              f"{str(e).split(': ', 1)[-1]}") from None


def note_source(module: str) -> None:
    """Record that ``module`` registered something (a user module: recorded in run.json)."""
    if module.split(".")[0] not in _OURS and module != "__main__" and module not in _sources:
        _sources.append(module)


def modules() -> tuple[str, ...]:
    """The plugin modules a run records: loaded by name first, then the other registering modules."""
    from checkers.registry import registered

    for ch in registered():
        note_source(type(ch).__module__)
    return tuple(dict.fromkeys([*_loaded, *_sources]))


def workload(name: str) -> Callable[[W], W]:
    """Class decorator: register a ``Workload`` subclass as workload ``name`` (``--set workload=name``).

    Raises:
        ConfigError: the name is not kebab-case, or is taken (built-in or registered).
    """

    def deco(cls: W) -> W:
        if not _NAME.match(name):
            raise ConfigError(f"workload name {name!r} is not kebab-case")
        if name in BUILTIN_WORKLOADS or name in _workloads:
            raise ConfigError(f"workload {name!r} registered twice")
        _workloads[name] = cls
        note_source(cls.__module__)
        return cls

    return deco


def workload_names() -> tuple[str, ...]:
    """Every workload a scenario may name: the built-in ones, then the registered ones."""
    load_entry_points()
    return BUILTIN_WORKLOADS + tuple(sorted(_workloads))


def user_workload(name: str) -> type | None:
    """The registered workload class called ``name``, if any."""
    return _workloads.get(name)


def with_plugins(names: tuple[str, ...], fn: Callable[..., Any], *args: Any) -> Any:
    """Load ``names``, then call ``fn(*args)``: a sweep's worker, in a process that has not loaded them."""
    load(names)
    return fn(*args)
