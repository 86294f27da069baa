"""Errors of the scenarios package: all are the user's input to fix, printed as one line."""

from __future__ import annotations

__all__ = ["ScenarioError", "ConfigError"]


class ScenarioError(Exception):
    """Base error of the scenarios package."""


class ConfigError(ScenarioError):
    """A scenario, parameter, seed range or run directory the user must fix."""
