"""Errors of kvraft: one base class, subclasses say whose fault it is.

Rules: a stale or malformed peer message is *data* (the core drops it and reports why in
``Ready.dropped``), never an exception. Exceptions are for callers: ``NotLeader`` and
``ProposalDropped`` (retry elsewhere or later), ``ConfigError`` (fix your input), and
``InvariantViolation`` (our bug).
"""

from __future__ import annotations

__all__ = ["ConfigError", "InvariantViolation", "NotLeader", "ProposalDropped", "RaftError"]


class RaftError(Exception):
    """Base class of every kvraft error."""


class ConfigError(RaftError):
    """The configuration is invalid (e.g. election_ticks <= heartbeat_ticks, unknown peers)."""


class NotLeader(RaftError):
    """This node is not the leader; ``leader_id`` is the leader it knows of (or None)."""

    def __init__(self, message: str = "not leader", *, leader_id: str | None = None) -> None:
        super().__init__(message)
        self.leader_id = leader_id


class ProposalDropped(RaftError):
    """The proposal was not accepted (no leader known, transfer in progress, change pending)."""


class InvariantViolation(RaftError):
    """An internal Raft invariant does not hold: a bug in kvraft, never in the caller."""
