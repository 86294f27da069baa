"""Sweeps keep only failing seeds' run directories, resume from rows.jsonl, and trace messages only on failure."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

import checkers
from scenarios.cli import main
from scenarios.errors import ConfigError
from scenarios.spec import Scenario
from scenarios.sweep import ROWS_JSONL, sweep

FAST = {"duration_s": 1.0, "recover_s": 0.5, "clients": 2, "nodes": 3}
FAST_ARGS = [a for k, v in FAST.items() for a in ("--set", f"{k}={v}")]


def _scen(**extra: Any) -> Scenario:
    return Scenario.create("steady", {**FAST, **extra})


@pytest.fixture
def seed_2_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    """The real checkers, except that seed 2's run is judged illegal (run_seed imports check_run per call)."""
    real = checkers.check_run

    def check_run(run_dir: Path | str, chosen: Any = None) -> Any:
        verdict, results = real(run_dir, chosen)
        if json.loads((Path(run_dir) / "run.json").read_text())["seed"] != 2:
            return verdict, results
        bad = checkers.CheckResult(checker="linearizable", verdict=checkers.Verdict.ILLEGAL, summary="made up")
        results = [bad if r.checker == "linearizable" else r for r in results]
        return checkers.write_result(Path(run_dir) / "result.json", results), results

    monkeypatch.setattr(checkers, "check_run", check_run)


def _rows(out: Path) -> dict[int, dict[str, Any]]:
    return {r["seed"]: r for r in json.loads((out / "sweep.json").read_text())["rows"]}


def _seed_dirs(out: Path) -> list[str]:
    return sorted(p.name for p in out.iterdir() if p.name.startswith("seed-"))


def test_passing_seed_dirs_are_deleted_and_a_failing_one_is_kept_with_messages_traced(
        tmp_path: Path, seed_2_fails: None, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "sw"
    summary = sweep(_scen(), [1, 2, 3], out_dir=out, jobs=1, progress=False)
    assert summary.exit_code == 1
    assert _seed_dirs(out) == ["seed-2"]
    rows = _rows(out)
    assert [rows[s]["verdict"] for s in (1, 2, 3)] == ["ok", "illegal", "ok"]
    assert rows[2]["failing"] == ["linearizable"] and rows[2]["trace_messages"] is True
    # The kept directory is the re-run with messages traced; its replay line reproduces it exactly.
    meta = json.loads((out / "seed-2" / "run.json").read_text())
    assert meta["params"]["trace_messages"] is True and meta["replay"] == rows[2]["replay"]
    assert "trace_messages" not in rows[2]["replay"]
    assert '"kind":"send"' in (out / "seed-2" / "trace.jsonl").read_text()
    printed = capsys.readouterr().out
    assert f"illegal: {rows[2]['replay']}" in printed and "--seed 1 " not in printed
    assert main(["replay", str(out / "seed-2")]) == 0
    assert len((out / ROWS_JSONL).read_text().splitlines()) == 3


def test_keep_all_keeps_every_seed_dir(tmp_path: Path) -> None:
    out = tmp_path / "sw"
    sweep(_scen(), [1, 2], out_dir=out, jobs=1, progress=False, keep="all")
    assert _seed_dirs(out) == ["seed-1", "seed-2"]
    # A kept ok seed ran without message tracing (the sweep default) and says so in its replay line.
    assert "--set trace_messages=false" in _rows(out)[1]["replay"]


def test_trace_messages_all_traces_every_seed(tmp_path: Path) -> None:
    out = tmp_path / "sw"
    sweep(_scen(), [1], out_dir=out, jobs=1, progress=False, keep="all", trace_messages="all")
    assert '"kind":"send"' in (out / "seed-1" / "trace.jsonl").read_text()


def test_message_tracing_does_not_change_the_history(tmp_path: Path) -> None:
    from scenarios.runner import run

    for scen in (_scen(), Scenario.create("ttl-skew", {**FAST, "duration_s": 2.0})):
        on = run(Scenario(scen.name, {**dict(scen.params), "trace_messages": True}), 3, tmp_path / f"{scen.name}-on")
        off = run(Scenario(scen.name, {**dict(scen.params), "trace_messages": False}), 3, tmp_path / f"{scen.name}-off")
        assert (on.root / "history.jsonl").read_bytes() == (off.root / "history.jsonl").read_bytes()
        assert on.trace_sha256 != off.trace_sha256  # the switch did something


def test_resume_from_rows_jsonl_runs_nothing_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "sw"
    sweep(_scen(), [1, 2, 3], out_dir=out, jobs=1, progress=False, keep="all")
    first = {s: r["trace_sha256"] for s, r in _rows(out).items()}
    for d in _seed_dirs(out):
        shutil.rmtree(out / d)
    import scenarios.runner

    def no_run(*a: Any, **k: Any) -> Any:
        raise AssertionError("a recorded seed ran again")

    monkeypatch.setattr(scenarios.runner, "run", no_run)
    summary = sweep(_scen(), [1, 2, 3], out_dir=out, jobs=1, progress=False)
    assert summary.exit_code == 0
    rows = _rows(out)
    assert all(r.get("resumed") for r in rows.values()) and {s: r["trace_sha256"] for s, r in rows.items()} == first


def test_a_torn_last_row_runs_that_seed_again(tmp_path: Path) -> None:
    out = tmp_path / "sw"
    sweep(_scen(), [1, 2, 3], out_dir=out, jobs=1, progress=False)
    path = out / ROWS_JSONL
    lines = path.read_text().splitlines(keepends=True)
    torn_seed = json.loads(lines[-1])["row"]["seed"]
    path.write_text("".join(lines[:-1]) + lines[-1][: len(lines[-1]) // 2])  # killed mid-write
    summary = sweep(_scen(), [1, 2, 3], out_dir=out, jobs=1, progress=False)
    assert summary.exit_code == 0
    rows = _rows(out)
    assert [s for s, r in rows.items() if not r.get("resumed")] == [torn_seed]
    # The torn bytes are gone, so every line parses and each seed has one row per run.
    recs = [json.loads(line) for line in path.read_text().splitlines()]
    assert sorted(r["row"]["seed"] for r in recs) == [1, 2, 3]


def test_rows_of_another_scenario_are_an_error_not_reused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "sw"
    sweep(_scen(), [1], out_dir=out, jobs=1, progress=False)
    with pytest.raises(ConfigError, match="another scenario.*clients=2"):
        sweep(_scen(clients=3), [1], out_dir=out, jobs=1, progress=False)
    argv = ["sweep", "steady", "--seeds", "1", "--out", str(out), "--quiet", *FAST_ARGS, "--set", "nodes=5"]
    capsys.readouterr()
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert "another scenario" in err and len(err.splitlines()) == 1 and "Traceback" not in err
    # The trace_messages choice is not part of the match: it does not change the history.
    assert sweep(_scen(), [1], out_dir=out, jobs=1, progress=False, trace_messages="all").rows[0].get("resumed")


def test_rows_of_another_code_version_run_again(tmp_path: Path) -> None:
    out = tmp_path / "sw"
    sweep(_scen(), [1, 2], out_dir=out, jobs=1, progress=False)
    path = out / ROWS_JSONL
    recs = [json.loads(line) for line in path.read_text().splitlines()]
    for r in recs:
        r["code_version"] = r["row"]["code_version"] = "0" * 16
    path.write_text("".join(json.dumps(r) + "\n" for r in recs))
    summary = sweep(_scen(), [1, 2], out_dir=out, jobs=1, progress=False)
    assert not any(r.get("resumed") for r in summary.rows)
    assert len(path.read_text().splitlines()) == 4


def test_an_old_sweep_dir_without_rows_jsonl_is_resumed_and_recorded(tmp_path: Path) -> None:
    out = tmp_path / "sw"
    sweep(_scen(), [1, 2], out_dir=out, jobs=1, progress=False, keep="all")
    (out / ROWS_JSONL).unlink()
    summary = sweep(_scen(), [1, 2], out_dir=out, jobs=1, progress=False)
    assert all(r.get("resumed") for r in summary.rows)
    assert len((out / ROWS_JSONL).read_text().splitlines()) == 2


def test_sweep_report_works_with_only_the_failing_seed_dir(tmp_path: Path, seed_2_fails: None) -> None:
    from reports import render_sweep

    out = tmp_path / "sw"
    sweep(_scen(), [1, 2, 3], out_dir=out, jobs=1, progress=False)
    html = render_sweep(out).read_text()
    assert "could not be drawn" not in html
    assert "3 seeds; 1 not ok." in html and 'href="seed-2/' in html and "1 of 3 seeds kept a run directory" in html
    # the passing seeds share one row, and keeping only the failing seed is no "missing input" warning
    assert "seeds 1, 3: " in html and "(2 seeds, no run directory kept)" in html
    assert "Missing or unreadable input" not in html
    rows = json.loads((out / "sweep.json").read_text())
    rows["keep"] = "all"  # a sweep that meant to keep every directory: the missing ones are worth a warning
    (out / "sweep.json").write_text(json.dumps(rows))
    assert "Missing or unreadable input" in render_sweep(out).read_text()


@pytest.mark.parametrize(
    "argv, needle",
    [
        (["--set", "trace_messages=true"], "--trace-messages"),
        (["--keep", "some"], "--keep"),
        (["--trace-messages", "maybe"], "--trace-messages"),
    ],
)
def test_bad_sweep_options_are_one_line_and_exit_2(argv: list[str], needle: str, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc_info:
        raise SystemExit(main(["sweep", "steady", "--seeds", "1", "--out", str(tmp_path / "sw"), *argv]))
    assert exc_info.value.code == 2
    err = capsys.readouterr().err.strip()
    assert needle in err and len(err.splitlines()) == 1 and "Traceback" not in err


def test_a_seed_where_nothing_was_exercised_is_no_failure_but_never_ok() -> None:
    from scenarios.sweep import SweepSummary

    assert SweepSummary("s", [{"verdict": "ok"}, {"verdict": "not-exercised", "failing": []}]).exit_code == 2
    assert SweepSummary("s", [{"verdict": "ok"}, {"verdict": "ok"}]).exit_code == 0
    assert SweepSummary("s", [{"verdict": "not-exercised"}, {"verdict": "illegal"}]).exit_code == 1
