"""ReadOnly (ReadIndex), rule by rule: duplicate contexts, quorum acks, registration order, single voter
(bench/mutation.py --module kvraft/raft/readindex.py)."""

from __future__ import annotations

from kvraft.raft.readindex import ReadOnly

V3, V5 = ("a", "b", "c"), ("a", "b", "c", "d", "e")


def test_read_only_confirms_in_registration_order_once_a_quorum_acked() -> None:
    ro = ReadOnly()
    assert ro.last_ctx() == b""
    assert [ro.add(b"r1", "x", 4, "a"), ro.add(b"r2", "y", 5, "a"), ro.add(b"r3", "z", 6, "a")] == [True] * 3
    assert ro.add(b"r2", "w", 9, "a") is False  # already outstanding
    assert ro.last_ctx() == b"r3"
    assert ro.ack(b"r2", "b", V5) == []  # a, b: 2 of 5
    assert ro.ack(b"nope", "c", V5) == []
    assert ro.ack(b"r2", "c", V5) == [(b"r1", "x", 4), (b"r2", "y", 5)]  # r1 registered earlier: confirmed too
    assert ro.order == [b"r3"] and sorted(ro.requests) == [b"r3"]
    assert ro.ack(b"r2", "d", V5) == []  # already answered
    assert ro.ack(b"r3", "b", V3) == [(b"r3", "z", 6)]
    assert ro.last_ctx() == b"" and ro.requests == {}


def test_read_only_single_voter_and_waiting() -> None:
    ro = ReadOnly()
    ro.add(b"r", "x", 1, "a")
    assert ro.ack(b"r", "a", ("a",)) == [(b"r", "x", 1)]
    ro.waiting.extend([(b"w1", "x"), (b"w2", "y")])
    assert ro.take_waiting() == [(b"w1", "x"), (b"w2", "y")]
    assert ro.waiting == [] and ro.take_waiting() == []
