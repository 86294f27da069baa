"""Fixtures: synthetic run directories (make_run.py), built once per session."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_run import copy_run, make_run  # noqa: E402


@pytest.fixture(scope="session")
def runs_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("runs")


@pytest.fixture(scope="session")
def passing_src(runs_root: Path) -> Path:
    return make_run(runs_root / "src-pass", seed=3, nodes=3, duration_ms=3000)


@pytest.fixture(scope="session")
def failing_src(runs_root: Path) -> Path:
    return make_run(runs_root / "src-fail", seed=1, nodes=5, duration_ms=3000, failing=True)


@pytest.fixture
def passing_run(passing_src: Path, tmp_path: Path) -> Path:
    return copy_run(passing_src, tmp_path / "pass")


@pytest.fixture
def failing_run(failing_src: Path, tmp_path: Path) -> Path:
    return copy_run(failing_src, tmp_path / "fail")
