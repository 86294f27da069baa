"""Quorum math, rule by rule: one table row per case the mutation bench found unchecked
(bench/mutation_survivors.md): the empty voter set, exactly half acknowledging, and each way an election is
lost or still pending."""

from __future__ import annotations

import pytest

from kvraft.raft.quorum import VoteResult, committed_index, has_quorum, vote_result

V3, V4, V5 = ["a", "b", "c"], ["a", "b", "c", "d"], ["a", "b", "c", "d", "e"]


@pytest.mark.parametrize(("voters", "match", "want"), [
    ([], {}, 0),  # no voters: nothing is committed (not an IndexError)
    ([], {"a": 5}, 0),
    (V3, {"a": 5, "b": 4, "c": 1}, 4),
    (V4, {"a": 5, "b": 4, "c": 1}, 1),  # missing voter d counts as 0: 3 of 4 hold index 1
    (V3, {"a": 5}, 0),  # two missing voters count as 0, not 1 or -1
])
def test_committed_index(voters: list[str], match: dict[str, int], want: int) -> None:
    assert committed_index(voters, match) == want


@pytest.mark.parametrize(("voters", "acked", "want"), [
    (V4, ["a", "b"], False),  # exactly half is not a quorum
    (V4, ["a", "b", "c"], True),
    (V3, ["a"], False),
    (V3, ["a", "b"], True),
    (V5, ["a", "b"], False),
    (V5, ["a", "b", "c", "x"], True),  # a non-voter's ack does not count, the three voters do
])
def test_has_quorum(voters: list[str], acked: list[str], want: bool) -> None:
    assert has_quorum(voters, acked) is want


@pytest.mark.parametrize(("voters", "votes", "want"), [
    (V3, {"a": True, "b": True}, VoteResult.WON),
    (V3, {"a": True}, VoteResult.PENDING),
    (V3, {"a": True, "b": False}, VoteResult.PENDING),  # c can still decide it
    (V3, {"b": False, "c": False}, VoteResult.LOST),
    (V5, {"a": True, "b": False, "c": False}, VoteResult.PENDING),  # two rejections of five: still winnable
    (V5, {"a": True, "b": False, "c": False, "d": False}, VoteResult.LOST),
    (V4, {"a": True, "b": True, "c": False, "d": False}, VoteResult.LOST),  # a tie loses
])
def test_vote_result(voters: list[str], votes: dict[str, bool], want: VoteResult) -> None:
    assert vote_result(voters, votes) is want
