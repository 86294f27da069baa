"""The CLI writes only where it is told, names the user's paths, and stops cleanly (Ctrl-C, a closed pipe)."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from scenarios.cli import main
from scenarios.hunt import budget_advice

ROOT = Path(__file__).resolve().parents[2]
FAST = ["--set", "duration_s=0.5", "--set", "recover_s=0.5", "--set", "nodes=3", "--set", "clients=2"]
SHIPPED = ROOT / "tests" / "bugzoo" / "corpus"


def test_hunt_writes_everything_under_out_and_progress_to_stderr(tmp_path: Path, capsys) -> None:
    before = {p.name: p.read_bytes() for p in SHIPPED.glob("*.json")}
    out = tmp_path / "hunt"
    code = main(["hunt", "zoo-lossy-retries", "--bug", "B10", "--budget", "60s", "--max-examples", "5",
                 "--set", "duration_s=2.0", "--set", "recover_s=1.0", "--out", str(out)])
    captured = capsys.readouterr()
    assert code == 1 and "FOUND after" in captured.out
    entry = out / "corpus" / "hunt-zoo-lossy-retries-B10-seed1.json"
    doc = json.loads(entry.read_text())
    assert doc["bug"] == "B10" and doc["examples"] >= 1 and doc["wall_s"] >= 0
    assert (out / "run" / "run.json").is_file() and list(out.glob("test_*.py"))
    assert {p.name: p.read_bytes() for p in SHIPPED.glob("*.json")} == before  # the source tree is untouched
    assert "example(s) tried; best so far: exactly-once illegal, 0 event(s);" in captured.err
    assert "s left" in captured.err and "tried" not in captured.out  # progress never in stdout
    # a second hunt into the same corpus refuses before searching, instead of replacing the entry
    assert main(["hunt", "zoo-lossy-retries", "--bug", "B10", "--budget", "60s", "--out", str(tmp_path / "h2"),
                 "--corpus", str(out / "corpus")]) == 2
    assert "a corpus entry exists; not replacing it" in capsys.readouterr().err
    assert not (tmp_path / "h2").exists()


def test_budget_advice_quotes_what_similar_bugs_needed(tmp_path: Path) -> None:
    assert budget_advice((), "linearizable", None, 3, 10.0) == ""
    (tmp_path / "a.json").write_text(json.dumps({"checker": "linearizable", "bug": "B07", "examples": 79, "wall_s": 188.0}))
    (tmp_path / "b.json").write_text(json.dumps({"checker": "ttl", "bug": "B17", "examples": 130, "wall_s": 157.0}))
    (tmp_path / "c.json").write_text(json.dumps({"checker": "linearizable", "bug": "B01"}))  # no figures: ignored
    text = budget_advice((tmp_path,), "linearizable", None, 3, 10.0)
    assert "similar linearizable bugs (B07) were found within 79 example(s) and 188s" in text
    assert "--max-examples 158 --budget 6m" in text
    assert "(B07, B17)" in budget_advice((tmp_path,), "watch", None, 3, 10.0)  # no same-checker figures: any


def test_a_sweep_that_fails_before_its_first_seed_leaves_nothing(tmp_path: Path, capsys) -> None:
    out = tmp_path / "a" / "b"
    assert main(["sweep", "steady", "--seeds", "1", "--out", str(out), "--executor", "dask",
                 "--scheduler", "tcp://127.0.0.1:9"]) == 2
    assert "dask scheduler" in capsys.readouterr().err
    assert not (tmp_path / "a").exists()


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs /proc (Linux)")
def test_an_unwritable_out_is_named_as_the_user_wrote_it(capsys) -> None:
    assert main(["run", "steady", "--seed", "1", "--out", "/proc/raftsim-no-such/run", "--no-check", *FAST]) == 2
    err = capsys.readouterr().err
    assert "/proc/raftsim-no-such/run" in err and ".run." not in err and len(err.splitlines()) == 1


def test_check_and_replay_on_a_sweep_directory_point_at_report(tmp_path: Path, capsys) -> None:
    sweep = tmp_path / "sweep"
    assert main(["sweep", "steady", "--seeds", "1", "-j", "1", "--out", str(sweep), "--quiet", *FAST]) == 0
    capsys.readouterr()
    for command in ("check", "replay"):
        assert main([command, str(sweep)]) == 2
        err = capsys.readouterr().err.strip()
        assert "is a sweep directory" in err and f"raftsim report {sweep}" in err and len(err.splitlines()) == 1


def test_run_directories_get_the_permissions_of_sweep_directories(tmp_path: Path) -> None:
    assert main(["run", "steady", "--seed", "1", "--out", str(tmp_path / "run"), "--no-check", *FAST]) == 0
    assert main(["sweep", "steady", "--seeds", "1", "-j", "1", "--out", str(tmp_path / "sweep"), "--quiet",
                 "--keep", "all", *FAST]) == 0
    run_mode = stat.S_IMODE((tmp_path / "run").stat().st_mode)
    assert run_mode == stat.S_IMODE((tmp_path / "sweep").stat().st_mode)
    assert run_mode == stat.S_IMODE((tmp_path / "sweep" / "seed-1").stat().st_mode) and run_mode != 0o700


def _cli(*args: str, **kw) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    return subprocess.Popen([sys.executable, "-m", "scenarios", *args], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw)


def test_a_closed_pipe_ends_quietly() -> None:
    p = _cli("bugs")
    assert p.stdout is not None
    p.stdout.close()  # as `raftsim bugs | head -0` does: before the first write, so every write fails
    _, err = p.communicate(timeout=60)
    assert "Traceback" not in err and "Broken pipe" not in err, err


def test_ctrl_c_stops_a_parallel_sweep_promptly_and_keeps_every_finished_row(tmp_path: Path) -> None:
    out = tmp_path / "sweep"
    rows = out / "rows.jsonl"
    p = _cli("sweep", "steady", "--seeds", "1..60", "-j", "2", "--out", str(out), "--quiet",
             "--set", "duration_s=2", "--set", "recover_s=1", "--set", "nodes=3", "--set", "clients=3")
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and p.poll() is None:
            if rows.is_file() and len(rows.read_text().splitlines()) >= 2:
                break
            time.sleep(0.05)
        seen = len(rows.read_text().splitlines())
        assert p.poll() is None and seen >= 2, "the sweep ended before it could be interrupted"
        p.send_signal(signal.SIGINT)
        _, err = p.communicate(timeout=30)  # generous: the pool's own bound is ~2 s
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert p.returncode == 2 and "interrupted:" in err and "Traceback" not in err, err
    text = rows.read_text()
    assert text.endswith("\n")
    recs = [json.loads(line) for line in text.splitlines()]  # intact: every line is a whole row
    assert len(recs) >= seen and len({r["row"]["seed"] for r in recs}) == len(recs)
    assert f"{len(recs)} of 60 seed(s) finished" in err
    assert not [n for n in os.listdir(out) if n.startswith(".")]  # no temporary directories left
    assert all(r["row"]["verdict"] == "ok" for r in recs)
