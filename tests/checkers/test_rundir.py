"""run.json as a typed RunMeta: a real run's file round-trips byte for byte; a bad field is one clear error."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from checkers.rundir import RunDirError, RunFiles, RunMeta, read_run_meta, write_run_json
from scenarios.runner import run
from scenarios.spec import Scenario


@pytest.fixture(scope="module")
def real_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return run(Scenario.create("kill-random", {"duration_s": 2.0, "recover_s": 1.0, "clients": 2}), 1,
               tmp_path_factory.mktemp("rundir") / "run").root


def test_a_real_run_json_round_trips_through_run_meta(real_run: Path, tmp_path: Path) -> None:
    meta = RunFiles(real_run).run_meta()
    assert meta.scenario == "kill-random" and meta.seed == 1 and meta.nodes == ["n1", "n2", "n3", "n4", "n5"]
    write_run_json(tmp_path / "run.json", {k: v for k, v in meta.to_json().items() if k != "format"})
    assert (tmp_path / "run.json").read_bytes() == (real_run / "run.json").read_bytes()


@pytest.mark.parametrize("edit, message", [
    (lambda d: d.pop("seed"), "lacks field 'seed'"),
    (lambda d: d.update(colour="blue"), "unknown run.json field 'colour'"),
    (lambda d: d.update(seed="1"), "'seed' must be an int, got \"1\""),
    (lambda d: d.update(trace_events=True), "'trace_events' must be an int, got true"),
    (lambda d: d.update(format=2), "run.json format 2"),
])
def test_a_bad_run_json_is_one_clear_error(real_run: Path, tmp_path: Path, edit, message: str) -> None:
    doc = json.loads((real_run / "run.json").read_text())
    edit(doc)
    path = tmp_path / "run.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(RunDirError, match=message) as e:
        read_run_meta(path)
    assert "\n" not in str(e.value) and str(path) in str(e.value)


def test_optional_fields_are_left_out_when_absent(real_run: Path) -> None:
    doc = RunFiles(real_run).run_meta().to_json()
    assert "cut_short" not in doc and "liveness" not in doc
    assert RunMeta.from_json({**doc, "liveness": {"leader_bound_ns": 1}}).liveness == {"leader_bound_ns": 1}
