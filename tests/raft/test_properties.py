"""Hypothesis: random schedules keep Raft safe (RaftMachine, see raft_machine.py), and quorum math
agrees with a naive version.

The machine's teeth are measured in test_property_sensitivity.py: with a bug switch on, the same
search finds a violation. ``derandomize=True``: CI runs the same examples every time.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import run_state_machine_as_test

from kvraft.raft.quorum import committed_index, has_quorum

from .raft_machine import machine


def search(max_examples: int, steps: int = 50, *, shrink: bool = True) -> settings:
    """The settings every RaftMachine run uses: reproducible, no deadline, no database."""
    phases = [Phase.explicit, Phase.generate] + ([Phase.shrink] if shrink else [])
    return settings(max_examples=max_examples, stateful_step_count=steps, deadline=None, derandomize=True,
                    database=None, phases=phases, suppress_health_check=list(HealthCheck))


CLEAN_EXAMPLES = 300


def test_random_schedules_keep_raft_safety() -> None:
    run_state_machine_as_test(machine(), settings=search(CLEAN_EXAMPLES))


@pytest.mark.slow
def test_random_schedules_keep_raft_safety_long() -> None:
    run_state_machine_as_test(machine(), settings=search(5000, steps=100))


@given(st.dictionaries(st.sampled_from(["n1", "n2", "n3", "n4", "n5"]), st.integers(0, 20)),
       st.sets(st.sampled_from(["n1", "n2", "n3", "n4", "n5"]), min_size=1))
def test_committed_index_matches_naive(match, voters) -> None:
    naive = max([i for i in range(0, 21) if sum(match.get(v, 0) >= i for v in voters) > len(voters) // 2])
    assert committed_index(sorted(voters), match) == naive
    holders = [v for v in voters if match.get(v, 0) >= naive]
    assert naive == 0 or has_quorum(voters, holders)
