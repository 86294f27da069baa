"""Fault schedules come back from text (``--set schedule=``, run.json, the hunt corpus) only through a parser
that can build schedule and action values, nothing else: no code runs, hostile text is one line and exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scenarios.cli import main

FAST = ["--set", "duration_s=1", "--set", "recover_s=0.5", "--set", "clients=2", "--set", "nodes=3"]


def _payload(marker: Path) -> str:
    """A schedule that escapes restricted builtins through ``object.__subclasses__`` and touches ``marker``."""
    return ("[c for c in ().__class__.__base__.__subclasses__() if c.__name__ == '_wrap_close'][0]"
            f".__init__.__globals__['system']('touch {marker}')")


def _cli(argv: list[str]) -> int | BaseException:
    """``main(argv)``, or the exception that escaped it (so the marker is checked first)."""
    try:
        return main(argv)
    except BaseException as e:  # noqa: BLE001 - reported by the caller's asserts
        return e


def test_a_schedule_on_the_command_line_never_runs_code(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    marker = tmp_path / "pwned"
    code = _cli(["run", "scripted", "--seed", "1", "--out", str(tmp_path / "run"), "--no-check", *FAST,
                 "--set", f"schedule={_payload(marker)}"])
    err = capsys.readouterr().err
    assert not marker.exists(), "the schedule ran a command"
    assert code == 2 and len(err.splitlines()) == 1 and "schedule" in err


def test_replaying_a_doctored_run_json_never_runs_code(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "run"
    assert main(["run", "scripted", "--seed", "1", "--out", str(out), "--no-check", *FAST]) == 0
    meta = json.loads((out / "run.json").read_text())
    marker = tmp_path / "pwned"
    meta["scenario_repr"] = meta["scenario_repr"].replace("schedule='NONE'", f"schedule={_payload(marker)!r}")
    assert _payload(marker) in meta["scenario_repr"]
    (out / "run.json").write_text(json.dumps(meta))
    capsys.readouterr()
    code = _cli(["replay", str(out)])
    err = capsys.readouterr().err
    assert not marker.exists(), "replay ran a command from run.json"
    assert code == 2 and len(err.splitlines()) == 1 and "schedule" in err
