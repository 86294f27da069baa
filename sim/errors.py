"""Errors of the simulator: one base class, subclasses say whose fault it is.

Rules:
- ``ConfigError`` means "fix your input" (a bad fault, an unknown node, a bad probability); its
  message is one line that names the problem.
"""

from __future__ import annotations

__all__ = ["ConfigError", "SimError"]


class SimError(Exception):
    """Base class of every error raised by ``sim/``."""


class ConfigError(SimError, ValueError):
    """Bad input to the simulator (unknown node, bad probability, overlapping groups, ...)."""
