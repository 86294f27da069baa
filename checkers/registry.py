"""The checker registry: checkers a user's plugin adds to the built-in set, filled by ``@checker``.

Rules:
- ``@checker(workloads=("bank",))`` on a class (``name``, ``check(RunFiles) -> CheckResult``) registers one
  instance; ``workloads`` names the workloads whose histories it judges (empty: every run).
- The registry is filled when the plugin module is imported (``scenarios.plugins.load``: one explicit call);
  ``check_run`` runs the built-in checkers, then the registered ones that apply, in registration order.
- A checker name is registered once; names are kebab-case, like the built-in ones.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, TypeVar

from checkers.result import CheckerError

__all__ = ["applicable", "checker", "registered"]

C = TypeVar("C", bound=type)

_NAME = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
_REGISTERED: dict[str, tuple[Any, tuple[str, ...]]] = {}


def checker(*, workloads: tuple[str, ...] = ()) -> Callable[[C], C]:
    """Class decorator: register an instance of the checker class for runs of ``workloads`` (empty: all).

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
        _REGISTERED[name] = (cls(), tuple(workloads))
        return cls

    return deco


def registered() -> list[Any]:
    """Every registered checker instance, in registration order."""
    return [c for c, _ in _REGISTERED.values()]


def applicable(workload: str | None) -> list[Any]:
    """The registered checkers that judge runs of ``workload``."""
    return [c for c, wl in _REGISTERED.values() if not wl or workload in wl]
