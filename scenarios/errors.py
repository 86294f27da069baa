"""Errors of the scenarios package: all are the user's input to fix, printed as one line."""

from __future__ import annotations

__all__ = ["ScenarioError", "ConfigError", "Interrupted"]


class ScenarioError(Exception):
    """Base error of the scenarios package."""


class ConfigError(ScenarioError):
    """A scenario, parameter, seed range or run directory the user must fix."""


class Interrupted(ScenarioError):
    """Ctrl-C stopped a sweep: ``done`` of ``total`` seeds finished (and were recorded) first."""

    def __init__(self, done: int, total: int, where: str = "") -> None:
        self.done, self.total, self.where = done, total, where
        super().__init__(f"interrupted: {done} of {total} seed(s) finished and recorded"
                         + (f" in {where}" if where else "") + "; run the same command again to resume")
