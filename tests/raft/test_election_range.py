"""RaftConfig.election_ticks_max: the randomized election timeout's range is a knob (§9.3, Figure 16)."""

from __future__ import annotations

import random

import pytest

from kvraft.errors import ConfigError
from kvraft.raft import MemoryStorage, RaftConfig, RaftNode

IDS = ("n1", "n2", "n3")


def drawn(seed: int, resets: int = 200, **cfg: object) -> list[int]:
    n = RaftNode(RaftConfig(id="n1", voters=IDS, **cfg), MemoryStorage(), random.Random(seed))
    out = []
    for term in range(1, resets + 1):
        n._reset(term)
        out.append(n.randomized_election_ticks)
    return out


def test_timeouts_stay_in_the_configured_inclusive_range() -> None:
    got = drawn(1, election_ticks=150, election_ticks_max=155, heartbeat_ticks=75)
    assert set(got) == set(range(150, 156))
    assert set(drawn(2, election_ticks=150, election_ticks_max=150, heartbeat_ticks=75)) == {150}


def test_unset_bound_draws_exactly_as_before() -> None:
    # The default must not change a single draw, or every trace would change: after the node's own
    # construction draws, each reset is one randrange(election_ticks).
    got = drawn(3, election_ticks=10)
    rng = random.Random(3)
    RaftNode(RaftConfig(id="n1", voters=IDS, election_ticks=10), MemoryStorage(), rng)
    assert got == [10 + rng.randrange(10) for _ in range(200)]


def test_a_bound_below_the_minimum_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="election_ticks_max"):
        RaftNode(RaftConfig(id="n1", voters=IDS, election_ticks=10, election_ticks_max=9), MemoryStorage(),
                 random.Random(0))
