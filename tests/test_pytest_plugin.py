"""The pytest plugin: marked tests become one case per seed, a failing run's report says how to replay it,
and the plugin is inert (imports nothing of the simulator) for tests that do not use it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from pytest_plugin_args import PLUGIN_ARGS

ROOT = Path(__file__).resolve().parent.parent
TESTS = '''import pytest

SHORT = {"duration_s": 1.0, "recover_s": 1.0, "nodes": 3, "clients": 2}


@pytest.mark.raftsim(scenario="steady", seeds="1..2", set=SHORT)
def test_steady_is_valid(raftsim_run):
    assert raftsim_run.ok


@pytest.mark.raftsim(scenario="steady", seeds=[1], set={**SHORT, "bugs": "B03"}, expect={"raft-safety": "illegal"})
def test_expects_a_violation_that_does_not_happen(raftsim_run):
    pass


def test_fixture_without_marker(raftsim_run):
    pass


def test_unrelated():
    assert True
'''


def _pytest(tmp_path: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "test_x.py").write_text(TESTS)
    return subprocess.run([sys.executable, "-m", "pytest", *PLUGIN_ARGS, "-p", "no:cacheprovider", "-q", "-rA", "--rootdir",
                           str(tmp_path), "--basetemp", str(tmp_path / "pt"), str(tmp_path / "test_x.py"), *argv],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})  # ROOT: an install predating raftsim/


def test_marked_tests_run_per_seed_and_failures_show_verdicts_and_the_replay_line(tmp_path: Path) -> None:
    got = _pytest(tmp_path, "--raftsim-seeds", "3")
    out = got.stdout
    assert got.returncode == 1, out + got.stderr
    for case in ("test_steady_is_valid[seed1]", "test_steady_is_valid[seed2]", "test_steady_is_valid[seed3]",
                 "test_unrelated"):
        assert f"PASSED test_x.py::{case}" in out, case
    assert "FAILED test_x.py::test_expects_a_violation_that_does_not_happen[seed1]" in out
    assert "raftsim: raft-safety: expected illegal, got ok" in out
    assert "replay: raftsim run steady --seed 1 --set bugs=B03" in out and "run directory: " in out
    assert "raftsim_run needs @pytest.mark.raftsim(scenario=...)" in out
    kept = sorted(p.name for p in (tmp_path / "pt").rglob("steady-seed*"))
    assert kept == ["steady-seed1", "steady-seed3"]  # of 5 runs, the 2 failing cases' (the marker's seed + 3)


def test_keep_keeps_every_run_directory_and_bad_seeds_are_a_usage_error(tmp_path: Path) -> None:
    got = _pytest(tmp_path, "-k", "valid", "--raftsim-keep")
    assert got.returncode == 0, got.stdout + got.stderr
    assert len(list((tmp_path / "pt").rglob("steady-seed*"))) == 2
    got = _pytest(tmp_path, "--raftsim-seeds", "1..x")
    assert got.returncode != 0 and "raftsim seeds" in got.stdout + got.stderr


def test_the_plugin_imports_nothing_of_the_simulator() -> None:
    code = "import raftsim.pytest_plugin, sys; print(' '.join(sorted(sys.modules)))"
    loaded = set(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split())
    assert not {m for m in loaded if m.split(".")[0] in {"scenarios", "checkers", "sim", "kvraft", "simpy"}}
