"""Figure 16's experiment: trials measure what the trace shows, run through the sweep machinery, resume."""

from __future__ import annotations

import json
from pathlib import Path

from scenarios.figure16 import MS, Line, figure16, line_scenario, measure, plot, table, trial


def test_a_trial_is_bounded_by_the_timeouts_and_deterministic() -> None:
    for seed in (1, 2, 3):
        m = measure(line_scenario(150, 155), seed)
        assert m["crash_ns"] is not None and m["election_ns"] is not None
        # Followers last heard the leader at most one heartbeat (75 ms) before the crash, and time out
        # after 150-155 ms: no leader can be heard by all before 75 ms after the crash.
        assert m["election_ns"] >= 75 * MS and m["leader_ns"] <= m["election_ns"]
        assert measure(line_scenario(150, 155), seed) == m


def test_a_trial_row_is_a_sweep_row() -> None:
    row = trial(repr(line_scenario(12, 24)), 4, "unused")
    assert row["verdict"] == "ok" and row["seed"] == 4 and row["failing"] == [] and row["election_ns"] > 6 * MS
    assert row["replay"].startswith("raftsim run fig16-election --seed 4")


def test_figure16_runs_every_line_and_resumes(tmp_path: Path) -> None:
    top, bottom = figure16(tmp_path, trials=2, jobs=1, progress=False)
    assert [(ln.lo_ms, ln.hi_ms) for ln in top][0] == (150, 150) and len(top) == 6 and len(bottom) == 5
    assert all(len(ln.times_ms) + ln.censored == 2 for ln in top + bottom)
    rows = (tmp_path / "150-155" / "rows.jsonl").read_text().splitlines()
    again = figure16(tmp_path, trials=2, jobs=1, progress=False)
    assert again == (top, bottom) and (tmp_path / "150-155" / "rows.jsonl").read_text().splitlines() == rows
    text = table(top, bottom)
    assert "median 287 ms" in text and text.count("\n") == 12
    paths = plot(top, bottom, tmp_path)
    assert all(p.stat().st_size > 1000 for p in paths)
    assert json.loads(rows[0])["row"]["election_ns"] > 0


def test_line_stats_count_censored_trials_as_beyond_every_time() -> None:
    s = Line(150, 150, (100.0, 200.0), censored=1).stats()
    assert s["median"] == 200.0 and s["max"] is None and s["trials"] == 3
