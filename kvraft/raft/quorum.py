"""Majority quorum math, pure functions (tested against a naive version with hypothesis)."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping

__all__ = ["VoteResult", "committed_index", "has_quorum", "vote_result"]


class VoteResult(enum.Enum):
    PENDING = "pending"
    WON = "won"
    LOST = "lost"


def committed_index(voters: Iterable[str], match: Mapping[str, int]) -> int:
    """The largest index stored on a majority of ``voters`` (missing voters count as 0)."""
    ms = sorted((match.get(v, 0) for v in voters), reverse=True)
    if not ms:
        return 0
    return ms[len(ms) // 2]


def has_quorum(voters: Iterable[str], acked: Iterable[str]) -> bool:
    vs = set(voters)
    return len(vs & set(acked)) > len(vs) // 2


def vote_result(voters: Iterable[str], votes: Mapping[str, bool]) -> VoteResult:
    vs = sorted(set(voters))
    granted = sum(1 for v in vs if votes.get(v) is True)
    rejected = sum(1 for v in vs if votes.get(v) is False)
    q = len(vs) // 2 + 1
    if granted >= q:
        return VoteResult.WON
    if len(vs) - rejected < q:
        return VoteResult.LOST
    return VoteResult.PENDING
