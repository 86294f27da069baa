"""The tickless driver (a node woken only at its next election/heartbeat deadline) against the tick-per-tick one
(woken every tick): the same protocol events — role changes, terms, votes, hard states, appends, commits,
applies, snapshots, reads — at the same instants, on catalog scenarios and on random seeds.

Rules:
- Only scenarios without pauses or clock drift: there the drivers differ by design (kvraft/server.py says why).
- The tickless run must process fewer simulation events, so the two runs are never the same driver twice.
- The interaction transcripts run with ``tick N`` as one ``tick(N)`` call in tests/raft/test_interaction.py.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scenarios.execution import simulate
from scenarios.spec import Scenario
from sim.trace import RAFT_KINDS, iter_records

# Short runs of scenarios whose faults are partitions, crashes, restarts, loss and skew (never pause or drift).
SHORT = {"duration_s": 4.0, "recover_s": 2.0}
SCENARIOS = ("partition-majority", "kill-random", "lossy-network", "membership-churn", "figure-8",
             "append-kill", "isolate-leader", "one-way-leader")


def protocol_events(name: str, seed: int, tickless: bool) -> tuple[list[dict[str, Any]], int]:
    """The Raft-level trace records of one run (in order, with their instants) and its simulation event count."""
    scen = Scenario.create(name, {**SHORT, "tickless": tickless})
    cluster, _ = simulate(scen, seed)
    lines = cluster.world.trace_writer.lines
    return [rec for _, rec in iter_records(lines, RAFT_KINDS)], cluster.world.events


def assert_same_protocol(name: str, seed: int) -> None:
    ticks, ticks_events = protocol_events(name, seed, tickless=False)
    lazy, lazy_events = protocol_events(name, seed, tickless=True)
    assert lazy_events < ticks_events, f"{name} seed {seed}: the tickless run is not tickless"
    for i, (a, b) in enumerate(zip(ticks, lazy)):
        assert a == b, f"{name} seed {seed}: protocol event {i} differs:\n  every tick: {a}\n  tickless:   {b}"
    assert len(ticks) == len(lazy), f"{name} seed {seed}: {len(ticks)} protocol events vs {len(lazy)} tickless"
    assert any(r["kind"] == "commit" for r in ticks), f"{name} seed {seed}: nothing committed, nothing compared"


@pytest.mark.parametrize("name", SCENARIOS)
def test_tickless_driver_gives_the_same_protocol_events(name: str) -> None:
    assert_same_protocol(name, 1)


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=st.sampled_from(SCENARIOS), seed=st.integers(min_value=2, max_value=2**31))
def test_tickless_driver_gives_the_same_protocol_events_on_random_seeds(name: str, seed: int) -> None:
    assert_same_protocol(name, seed)
