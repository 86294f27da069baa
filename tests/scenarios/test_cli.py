"""The raftsim CLI, called as a user would: exit codes (0 valid, 1 invalid, 2 error) and one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from scenarios.cli import main

ROOT = Path(__file__).resolve().parents[2]
FAST = ["--set", "duration_s=2", "--set", "recover_s=1", "--set", "clients=3", "--set", "nodes=3"]


def test_list_names_every_scenario_with_a_description(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["list"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) >= 15 and any(line.startswith("partition-majority ") for line in out)


def test_run_check_replay_round_trip(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "run"
    assert main(["run", "partition-majority", "--seed", "3", "--out", str(out), *FAST]) == 0
    text = capsys.readouterr().out
    assert "verdict: ok" in text and "raftsim run partition-majority --seed 3" in text
    meta = json.loads((out / "run.json").read_text())
    assert meta["seed"] == 3 and meta["replay"].startswith("raftsim run partition-majority --seed 3 --set")
    for name in ("history.jsonl", "trace.jsonl", "result.json"):
        assert (out / name).is_file()
    assert main(["check", str(out)]) == 0
    assert main(["replay", str(out)]) == 0
    assert "trace hash confirmed" in capsys.readouterr().out
    # No temporary directories are left beside the run.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def test_a_run_stopped_by_the_event_limit_says_so_and_is_never_ok(tmp_path: Path, monkeypatch,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    import scenarios.execution

    monkeypatch.setattr(scenarios.execution, "event_limit", lambda p, end_ns: 3000)
    out = tmp_path / "run"
    code = main(["run", "steady", "--seed", "1", "--out", str(out), *FAST])
    text = capsys.readouterr().out
    assert code != 0 and "cut short:     the event limit (3,000 simulation events)" in text
    assert "integrity" in text and "stopped at its event limit" in text and "verdict: ok" not in text
    meta = json.loads((out / "run.json").read_text())
    assert meta["cut_short"]["events"] == 3000 and meta["cut_short"]["limit"] == 3000
    last = (out / "trace.jsonl").read_text().splitlines()[-1]
    assert json.loads(last) == {"events": 3000, "kind": "event-limit", "t": meta["cut_short"]["t"]}
    assert main(["replay", str(out)]) == 0  # the cut is deterministic


def test_replay_notices_a_tampered_hash(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "run"
    assert main(["run", "steady", "--seed", "1", "--out", str(out), "--no-check", *FAST]) == 0
    meta = json.loads((out / "run.json").read_text())
    meta["trace_sha256"] = "0" * 64
    (out / "run.json").write_text(json.dumps(meta))
    assert main(["replay", str(out)]) == 1
    assert "DIFFERS" in capsys.readouterr().out


def test_check_determinism_flag(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "kill-random", "--seed", "2", "--check-determinism", *FAST]) == 0
    assert "deterministic: yes" in capsys.readouterr().out


@pytest.mark.parametrize(
    "argv, needle",
    [
        (["run", "no-such-scenario", "--seed", "1"], "unknown scenario"),
        (["run", "steady", "--seed", "x"], "invalid int"),
        (["run", "steady", "--seed", "1", "--set", "nodes=lots"], "nodes=lots"),
        (["run", "steady", "--seed", "1", "--set", "colour=red"], "unknown parameter"),
        (["sweep", "steady", "--seeds", "9..1"], "goes backwards"),
        (["check", "/nonexistent/run"], "nonexistent"),
        (["replay", "/nonexistent/run"], "nonexistent"),
        (["report", "/nonexistent/run"], "nonexistent"),
        (["run", "steady", "--seed", "1", "--set", "bugs=B99"], "no such bug B99"),
        (["hunt", "steady", "--bug", "B99", "--budget", "5s"], "no such bug"),
        (["hunt", "steady", "--checker", "nosuch", "--budget", "5s"], "no such checker"),
        (["sweep", "steady", "--seeds", "1", "--executor", "dask", "--scheduler", "tcp://127.0.0.1:9"], "dask scheduler"),
    ],
)
def test_bad_input_is_one_line_on_stderr_and_exit_2(argv: list[str], needle: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc_info:
        raise SystemExit(main(argv))
    assert exc_info.value.code == 2
    err = capsys.readouterr().err.strip()
    assert needle in err and len(err.splitlines()) == 1 and "Traceback" not in err


def test_a_run_replaces_only_an_earlier_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    precious = tmp_path / "notes.txt"
    precious.write_text("mine")
    assert main(["run", "steady", "--seed", "1", "--out", str(precious), "--no-check", *FAST]) == 2
    assert "not a directory" in capsys.readouterr().err and precious.read_text() == "mine"
    assert main(["run", "steady", "--seed", "1", "--out", str(tmp_path), "--no-check", *FAST]) == 2
    assert "not a run directory (holds 'notes.txt')" in capsys.readouterr().err and precious.read_text() == "mine"
    assert main(["sweep", "steady", "--seeds", "1", "--out", str(precious)]) == 2
    assert "File exists" in capsys.readouterr().err and precious.read_text() == "mine"
    out = tmp_path / "run"
    assert main(["run", "steady", "--seed", "1", "--out", str(out), *FAST]) == 0
    assert main(["report", str(out)]) == 0
    assert main(["run", "steady", "--seed", "2", "--out", str(out), "--no-check", *FAST]) == 0  # an earlier run
    assert '"seed": 2' in (out / "run.json").read_text() and not (out / "result.json").exists()


def test_report_needs_a_run_or_sweep_directory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["report", str(empty)]) == 2
    assert "not a run directory" in capsys.readouterr().err
    assert list(empty.iterdir()) == []  # nothing written into a directory that holds no run
    assert main(["report", str(tmp_path / "missing")]) == 2
    assert not (tmp_path / "missing").exists()
    sweep = tmp_path / "sweep"
    sweep.mkdir()
    (sweep / "sweep.json").write_text("{}")
    assert main(["report", str(sweep)]) == 0
    assert capsys.readouterr().out.strip() == str(sweep / "report.html")
    assert "sweep" in (sweep / "report.html").read_text().lower()


def test_python_dash_m_scenarios_is_the_cli() -> None:
    proc = subprocess.run([sys.executable, "-m", "scenarios", "list"], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0 and "partition-majority" in proc.stdout


def test_sweep_is_resumable_and_prints_failing_seeds(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "sw"
    argv = ["sweep", "steady", "--seeds", "1..3", "-j", "1", "--out", str(out), "--quiet", *FAST]
    assert main(argv) == 0
    rows = json.loads((out / "sweep.json").read_text())["rows"]
    assert [r["seed"] for r in rows] == [1, 2, 3] and all(r["verdict"] == "ok" for r in rows)
    first = {r["seed"]: r["trace_sha256"] for r in rows}
    assert main(argv) == 0  # every seed is already done: nothing runs again
    rows2 = json.loads((out / "sweep.json").read_text())["rows"]
    assert all(r.get("resumed") for r in rows2) and {r["seed"]: r["trace_sha256"] for r in rows2} == first


def test_a_sweep_row_never_raises_even_for_a_bad_scenario(tmp_path: Path) -> None:
    from scenarios.sweep import run_seed

    row = run_seed("Scenario('no-such-scenario', dict())", 1, str(tmp_path))
    assert row["verdict"] == "unknown" and row["failing"] == ["harness"]
    assert row["replay"] == "raftsim run no-such-scenario --seed 1"
