"""Start-up stays cheap: a process imports networkx and the checkers only when it uses them."""

from __future__ import annotations

import subprocess
import sys

import pytest


def _loaded_after(code: str) -> set[str]:
    out = subprocess.run([sys.executable, "-c", f"{code}\nimport sys\nprint(' '.join(sorted(sys.modules)))"],
                         capture_output=True, text=True, check=True).stdout
    return set(out.split())


@pytest.mark.parametrize("code, absent", [
    ("import scenarios.cli", {"scenarios.runner", "checkers.linearizable", "networkx", "simpy"}),
    ("import scenarios.runner", {"networkx", "matplotlib", "dask", "checkers.liveness", "checkers.linearizable"}),
    ("import checkers.linearizable", {"checkers.liveness", "checkers.raft_safety", "networkx"}),
    ("from checkers import Verdict", {"checkers.liveness", "checkers.run"}),
])
def test_a_module_does_not_drag_in_what_it_does_not_use(code: str, absent: set[str]) -> None:
    assert not absent & _loaded_after(code)


def test_lazy_names_still_resolve() -> None:
    loaded = _loaded_after("from checkers import check_run, LivenessChecker\nfrom sim.partitions import ring\n"
                           "ring(['a', 'b', 'c'])")
    assert {"checkers.run", "checkers.liveness", "networkx"} <= loaded
