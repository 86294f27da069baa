"""Sensitivity of the Raft property tests: with each bug switch on, the RaftMachine search of
test_properties.py finds a safety violation within a small, reproducible budget; with it off, the
same budget passes (test_properties.py). A property test that cannot fail proves nothing.

Budgets are examples of up to 50 steps under ``derandomize=True``; shrinking is off in the fast
tests (it only costs time); the slow ones search 10x longer and shrink, printing the minimal
schedule. B03's, shrunk (Figure 8 in five steps):

    boot(size=0 -> 5 nodes, no PreVote, one entry per AppendEntries); elect(n2)  # term 1, no-op 1/1 in flight
    elect(n1)                                                # term 2, no-op 2/1
    leader_crashes_mid_replication(mask=0, persisted=False)  # n1 down, disk log [2/1]
    elect(n2); settle()  # term 3: 1/1 reaches a majority before 3/2, B03 commits it by counting
    -> n1 lacks committed 1/1 but its log 2/1 is as up-to-date as n1, n3, n4, n5: a quorum
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis.stateful import run_state_machine_as_test

from .cluster import SafetyViolation
from .raft_machine import machine
from .test_properties import CLEAN_EXAMPLES, search

# bug -> (machine options, examples): options narrow the search to the bug's shape (bug-zoo).
# B03 needs Figure 8: five nodes, leaders crashing right after a partial replication, and a new
# leader's old-term entry reaching a majority before its no-op (one entry per AppendEntries). With
# all 18 rules it is not found in 300 examples; with this vocabulary it is, in ~3 s.
FIG8 = dict(sizes=(5,), pre_vote=(False,), msg_bytes=(1,),
            rules={"elect", "leader_crashes_mid_replication", "restart", "crash", "settle", "deliver",
                   "deliver_batch", "propose_on_leader"})
# Budgets are caps (the search stops at the first violation), with margin over what each bug needs.
BUDGETS: dict[str, tuple[dict, int]] = {
    "B01": ({}, 600),
    "B02": ({}, 600),
    "B03": (FIG8, 600),
    "B04": ({}, 600),
    "B05": ({}, 600),
    # B06 needs an AppendEntries that stops short of the leader's commit: one entry per message. (The untargeted
    # search found it within 600 examples only by luck: merely importing scenarios.spec first lost it.)
    "B06": ({"msg_bytes": (1,), "pre_vote": (True,)}, 600),
}


_SEARCH = """
import sys
from hypothesis.stateful import run_state_machine_as_test
from raft.cluster import SafetyViolation
from raft.raft_machine import machine
from raft.test_properties import search
from raft.test_property_sensitivity import BUDGETS
bug = sys.argv[1]
opts, examples = BUDGETS[bug]
try:
    run_state_machine_as_test(machine(bugs={bug}, **opts), settings=search(examples, shrink=False))
except SafetyViolation as e:
    print("found:", str(e).splitlines()[0])
    sys.exit(0)
print("not found")
sys.exit(1)
"""


@pytest.mark.parametrize("bug", sorted(BUDGETS))
def test_property_search_finds_bug(bug: str) -> None:
    # In a fresh interpreter: derandomize=True fixes Hypothesis's seed, but process-global state
    # left by earlier hypothesis tests shifts the search path (B01, B04, B06 were missed after
    # tests/checkers or tests/reports ran first). Isolated, the outcome depends on this test alone.
    tests_dir = Path(__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONHASHSEED": "0",
           "PYTHONPATH": os.pathsep.join([str(tests_dir), str(tests_dir.parent), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.run([sys.executable, "-c", _SEARCH, bug], capture_output=True, text=True, env=env,
                          cwd=tests_dir, timeout=600)
    assert proc.returncode == 0, f"{bug}: the property search missed the bug\n{proc.stdout}{proc.stderr[-2000:]}"
    assert proc.stdout.startswith("found:")


@pytest.mark.parametrize("bug", sorted(BUDGETS))
def test_clean_build_passes_the_bug_search(bug: str) -> None:
    opts, examples = BUDGETS[bug]
    if not opts:
        pytest.skip("same search as test_properties.py")
    run_state_machine_as_test(machine(**opts), settings=search(CLEAN_EXAMPLES, shrink=False))


@pytest.mark.slow
@pytest.mark.parametrize("bug", sorted(BUDGETS))
def test_property_search_finds_and_shrinks_bug(bug: str) -> None:
    opts, examples = BUDGETS[bug]
    with pytest.raises(SafetyViolation):
        run_state_machine_as_test(machine(bugs={bug}, **opts), settings=search(10 * examples, steps=100))


@pytest.mark.slow
@pytest.mark.parametrize("bug", sorted(BUDGETS))
def test_clean_build_passes_a_long_bug_search(bug: str) -> None:
    opts, examples = BUDGETS[bug]
    run_state_machine_as_test(machine(**opts), settings=search(10 * examples, steps=100, shrink=False))
