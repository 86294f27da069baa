"""Fixtures: real run directories (runs.py: short simulated runs, checked), built once per session."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from runs import copy_run, failing_run_dir, passing_run_dir  # noqa: E402


@pytest.fixture(scope="session")
def runs_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("runs")


@pytest.fixture(scope="session")
def passing_src(runs_root: Path) -> Path:
    return passing_run_dir(runs_root / "src-pass")


@pytest.fixture(scope="session")
def failing_src(runs_root: Path) -> Path:
    return failing_run_dir(runs_root / "src-fail")


@pytest.fixture
def passing_run(passing_src: Path, tmp_path: Path) -> Path:
    return copy_run(passing_src, tmp_path / "pass")


@pytest.fixture
def failing_run(failing_src: Path, tmp_path: Path) -> Path:
    return copy_run(failing_src, tmp_path / "fail")
