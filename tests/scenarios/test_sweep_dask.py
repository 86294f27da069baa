"""A sweep on a dask.distributed LocalCluster gives the same per-seed trace hashes as the local executor."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scenarios.spec import Scenario
from scenarios.sweep import sweep

pytest.importorskip("distributed")

FAST = {"duration_s": 1.5, "recover_s": 0.5, "clients": 2, "nodes": 3}


def _hashes(out: Path) -> dict[int, str]:
    rows = json.loads((out / "sweep.json").read_text())["rows"]
    return {r["seed"]: r["trace_sha256"] for r in rows}


def test_dask_local_cluster_matches_the_local_executor(tmp_path: Path) -> None:
    scen = Scenario.create("kill-random", FAST)
    local = sweep(scen, [1, 2, 3], out_dir=tmp_path / "local", jobs=1, progress=False)
    dask = sweep(scen, [1, 2, 3], out_dir=tmp_path / "dask", jobs=2, executor="dask", progress=False)
    assert local.exit_code == dask.exit_code
    h_local, h_dask = _hashes(tmp_path / "local"), _hashes(tmp_path / "dask")
    assert sorted(h_local) == [1, 2, 3] and None not in h_local.values()
    assert h_local == h_dask
