"""The checker registry: every checker, built-in or a plugin's, filled by ``@checker``, loaded by ``load()``.

Rules:
- ``@checker(workloads=("bank",))`` on a class (``name``, ``check(RunFiles) -> CheckResult``, no-argument
  constructor) registers it; ``workloads`` names the workloads whose histories it judges (empty: every run).
  A checker name is registered once; names are kebab-case.
- ``load()`` is the one call that fills the registry with the built-in checkers: it imports the modules
  named in ``BUILTIN``, in that order (the report order), once per process. This module imports none of
  them (they import it), so there is no import cycle. A user's checker module is imported by
  ``scenarios.plugins.load`` (``--plugin``).
- ``builtin()`` is the standard set, ``registered()`` the plugins' checkers; each call returns fresh
  instances, so no state crosses runs. ``check_run`` runs the built-in set, then the plugins' that apply.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from typing import Any, TypeVar

from checkers.result import CheckerError

__all__ = ["BUILTIN", "applicable", "builtin", "checker", "load", "registered"]

C = TypeVar("C", bound=type)

# The modules of the built-in checkers, in report order.
BUILTIN = ("checkers.linearizable", "checkers.raft_safety", "checkers.durability", "checkers.once",
           "checkers.watch", "checkers.lock", "checkers.queue", "checkers.ttl", "checkers.api",
           "checkers.liveness")

_NAME = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
_REGISTERED: dict[str, tuple[type, tuple[str, ...]]] = {}
_loaded = False


def load() -> None:
    """Register the built-in checkers (once per process)."""
    global _loaded
    if _loaded:
        return
    _loaded = True
    for name in BUILTIN:
        importlib.import_module(name)


def checker(*, workloads: tuple[str, ...] = ()) -> Callable[[C], C]:
    """Class decorator: register the checker class for runs of ``workloads`` (empty: all).

    Raises:
        CheckerError: the class has no kebab-case ``name`` or no ``check`` method, or the name is taken.
    """

    def deco(cls: C) -> C:
        name = getattr(cls, "name", None)
        if not isinstance(name, str) or not _NAME.match(name):
            raise CheckerError(f"checker {cls.__name__}: needs a kebab-case class attribute `name`, got {name!r}")
        if not callable(getattr(cls, "check", None)):
            raise CheckerError(f"checker {name}: needs a method check(run) -> CheckResult")
        if name in _REGISTERED:
            raise CheckerError(f"checker {name!r} registered twice")
        _REGISTERED[name] = (cls, tuple(workloads))
        return cls

    return deco


def _is_builtin(cls: type) -> bool:
    return cls.__module__ in BUILTIN


def builtin() -> list[Any]:
    """The built-in checkers, fresh instances in report order."""
    load()
    ours = [cls for cls, _ in _REGISTERED.values() if _is_builtin(cls)]
    return [cls() for cls in sorted(ours, key=lambda c: BUILTIN.index(c.__module__))]  # not import order


def registered() -> list[Any]:
    """The plugins' checkers, fresh instances in registration order."""
    return [cls() for cls, _ in _REGISTERED.values() if not _is_builtin(cls)]


def applicable(workload: str | None) -> list[Any]:
    """The plugins' checkers that judge runs of ``workload``."""
    return [cls() for cls, wl in _REGISTERED.values() if not _is_builtin(cls) and (not wl or workload in wl)]
