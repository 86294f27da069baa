"""A user's own package, outside the project tree, drives every command through --plugin and pytest.

The package is examples/bank/bank.py copied into tmp_path (nothing installed, PYTHONPATH only); the same
package with its planted bug (SPLIT_TRANSFERS) must fail everywhere with the replay line.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from pytest_plugin_args import PLUGIN_ARGS

ROOT = Path(__file__).resolve().parent.parent
BANK = (ROOT / "examples" / "bank" / "bank.py").read_text(encoding="utf-8")
SHORT = ["--set", "duration_s=1.5", "--set", "recover_s=1"]
TEST_FILE = '''import pytest


@pytest.mark.raftsim(scenario="bank-partition", seeds=[1], set={"duration_s": 1.5, "recover_s": 1.0},
                     plugins=["bank"])
def test_bank_conserves_money(raftsim_run):
    assert raftsim_run.run_dir.is_dir()
'''


def _package(root: Path, bug: bool) -> Path:
    pkg = root / "userpkg"
    pkg.mkdir(parents=True)
    text = BANK.replace("SPLIT_TRANSFERS = False", "SPLIT_TRANSFERS = True") if bug else BANK
    (pkg / "bank.py").write_text(text, encoding="utf-8")
    (pkg / "test_bank.py").write_text(TEST_FILE, encoding="utf-8")
    return pkg


def _sh(cwd: Path, pkg: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(pkg), str(ROOT)])}  # ROOT: an install predating raftsim/
    return subprocess.run([sys.executable, *argv], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def _raftsim(cwd: Path, pkg: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    return _sh(cwd, pkg, "-m", "scenarios", *argv)


def _pytest(cwd: Path, pkg: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    return _sh(cwd, pkg, "-m", "pytest", *PLUGIN_ARGS, "-p", "no:cacheprovider", "-q", "--rootdir", str(pkg),
               "--basetemp", str(cwd / "pt"), str(pkg / "test_bank.py"), *argv)


def test_a_user_package_runs_replays_sweeps_and_tests_with_every_command(tmp_path: Path) -> None:
    pkg = _package(tmp_path, bug=False)
    got = _raftsim(tmp_path, pkg, "run", "bank-partition", "--seed", "1", *SHORT, "--plugin", "bank",
                   "--out", "r1", "--json")
    assert got.returncode == 0, got.stderr
    doc = json.loads(got.stdout)
    assert doc["verdict"] == "ok" and "--plugin bank" in doc["replay"]
    assert {"checker": "bank-total", "verdict": "ok"}.items() <= next(
        c for c in doc["checkers"] if c["checker"] == "bank-total").items()
    assert json.loads((tmp_path / "r1" / "run.json").read_text())["plugins"] == ["bank"]
    got = _raftsim(tmp_path, pkg, "replay", "r1")  # no --plugin: run.json names it
    assert got.returncode == 0 and "trace hash confirmed" in got.stdout, got.stdout + got.stderr
    got = _raftsim(tmp_path, pkg, "check", "r1", "--json")
    assert got.returncode == 0 and "bank-total" in got.stdout, got.stderr
    got = _raftsim(tmp_path, pkg, "sweep", "bank-partition", "--seeds", "1..2", "-j", "2", *SHORT,
                   "--plugin", "bank", "--out", "sw", "--quiet", "--junit", "sw.xml")
    assert got.returncode == 0, got.stderr
    assert 'tests="2" failures="0" errors="0"' in (tmp_path / "sw.xml").read_text()
    got = _raftsim(tmp_path, pkg, "sweep", "bank-partition", "--seeds", "3", "-j", "1", "--executor", "dask",
                   *SHORT, "--plugin", "bank", "--out", "swd", "--quiet", "--json")
    assert got.returncode == 0, got.stderr
    assert json.loads(got.stdout)["counts"] == {"ok": 1}
    got = _pytest(tmp_path, pkg, "--raftsim-seeds", "1..5")
    assert got.returncode == 0 and "5 passed" in got.stdout, got.stdout + got.stderr


def test_a_planted_bug_in_the_users_workload_fails_with_the_replay_line(tmp_path: Path) -> None:
    pkg = _package(tmp_path, bug=True)
    got = _raftsim(tmp_path, pkg, "sweep", "bank-partition", "--seeds", "1..2", "-j", "2", *SHORT,
                   "--plugin", "bank", "--out", "sw", "--quiet", "--junit", "sw.xml")
    assert got.returncode == 1, got.stderr
    assert "illegal: raftsim run bank-partition --seed 1" in got.stdout and "--plugin bank" in got.stdout
    xml = (tmp_path / "sw.xml").read_text()
    assert 'failures="2"' in xml and "<failure" in xml and "replay: raftsim run bank-partition --seed 2" in xml
    got = _pytest(tmp_path, pkg, "--raftsim-seeds", "2")
    assert got.returncode == 1 and "2 failed" in got.stdout, got.stdout + got.stderr
    for needle in ("bank-total: illegal:", "counterexample: bank-total: read at", "run directory: ",
                   "replay: raftsim run bank-partition --seed 2 --set duration_s=1.5 --set recover_s=1.0 --plugin bank"):
        assert needle in got.stdout, needle


@pytest.mark.parametrize("argv", [["run", "steady", "--seed", "1", "--plugin", "no_such_module_xyz"],
                                  ["list", "--plugin", "not a module"]])
def test_a_plugin_that_cannot_be_imported_is_one_line_and_exit_2(tmp_path: Path, argv: list[str]) -> None:
    got = _raftsim(tmp_path, tmp_path, *argv)
    assert got.returncode == 2 and got.stderr.count("\n") == 1 and "--plugin" in got.stderr, got.stderr


def test_an_installed_plugins_entry_point_is_found_without_plugin(tmp_path: Path) -> None:
    site = tmp_path / "site"
    dist = site / "bank_suite-1.0.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: bank-suite\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[raftsim.plugins]\nbank = bank\n")
    (site / "bank.py").write_text(BANK, encoding="utf-8")
    got = _raftsim(tmp_path, site, "list")
    assert got.returncode == 0 and "bank-partition" in got.stdout, got.stderr
    got = _raftsim(tmp_path, site, "run", "bank-partition", "--seed", "1", *SHORT, "--out", "r", "--json")
    assert got.returncode == 0 and json.loads(got.stdout)["replay"].endswith("--plugin bank"), got.stderr
