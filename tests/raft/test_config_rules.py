"""RaftConfig.validate and its defaults, rule by rule: each refusal at its boundary and the smallest
configuration accepted (bench/mutation.py --module kvraft/raft/config.py)."""

from __future__ import annotations

import pytest

from kvraft.bugs import Bugs
from kvraft.errors import ConfigError
from kvraft.raft import RaftConfig, ReadOnlyOption

OK = dict(id="a", voters=("a", "b", "c"))


def test_defaults_are_etcds() -> None:
    c = RaftConfig()
    assert (c.election_ticks, c.election_ticks_max, c.heartbeat_ticks) == (10, None, 1)
    assert (c.pre_vote, c.check_quorum, c.read_only) == (True, True, ReadOnlyOption.SAFE)
    assert (c.max_inflight_msgs, c.max_size_per_msg, c.max_uncommitted_entries) == (256, 1 << 20, 0)
    assert (c.snapshot_entries, c.applied, c.bugs) == (1000, 0, Bugs())


@pytest.mark.parametrize("kw", [
    {}, dict(heartbeat_ticks=1, election_ticks=2), dict(election_ticks=5, election_ticks_max=5),
    dict(election_ticks=5, election_ticks_max=6), dict(max_inflight_msgs=1), dict(voters=()),
    dict(voters=("b", "c"), learners=("a",)), dict(voters=("a",)), dict(read_only=ReadOnlyOption.LEASE),
    dict(bugs=Bugs(vote_by_log_length=True)),
])
def test_accepted(kw: dict) -> None:
    RaftConfig(**{**OK, **kw}).validate()


@pytest.mark.parametrize(("kw", "says"), [
    (dict(id=""), "id must be set"),
    (dict(heartbeat_ticks=0), "heartbeat_ticks must be > 0"),
    (dict(heartbeat_ticks=-1), "heartbeat_ticks must be > 0"),
    (dict(heartbeat_ticks=2, election_ticks=2), "election_ticks (2) must be > heartbeat_ticks (2)"),
    (dict(heartbeat_ticks=3, election_ticks=2), "election_ticks (2) must be > heartbeat_ticks (3)"),
    (dict(election_ticks=5, election_ticks_max=4), "election_ticks_max (4) must be >= election_ticks (5)"),
    (dict(max_inflight_msgs=0), "max_inflight_msgs must be > 0"),
    (dict(voters=("a", "a", "b")), "duplicate members"),
    (dict(voters=("a", "b"), learners=("b",)), "duplicate members"),
    (dict(voters=("b", "c")), "a is not in its own configuration"),
    (dict(read_only=ReadOnlyOption.LEASE, check_quorum=False), "read_only=LEASE requires check_quorum"),
    (dict(bugs="B01"), "bugs must be a kvraft.bugs.Bugs"),
    (dict(bugs=Bugs(no_client_dedup=True)), "kv-layer bug switches ['no_client_dedup'] belong in MemberConfig"),
])
def test_refused(kw: dict, says: str) -> None:
    with pytest.raises(ConfigError) as e:
        RaftConfig(**{**OK, **kw}).validate()
    assert says in str(e.value)
