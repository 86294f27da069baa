"""A report never draws a verdict about files that changed since result.json was written."""

from __future__ import annotations

import json
from pathlib import Path

import reports
from checkers.result import Verdict
from reports.data import load_run


def _record_history_length(run: Path) -> None:
    meta = json.loads((run / "run.json").read_text())
    meta["stats"] = {"history_events": len((run / "history.jsonl").read_text().splitlines())}
    (run / "run.json").write_text(json.dumps(meta))


def test_untouched_run_keeps_the_verdicts_of_result_json(passing_run: Path) -> None:
    _record_history_length(passing_run)
    data = load_run(passing_run)
    assert data.verdict is Verdict.OK and "integrity" not in [r.checker for r in data.results]


def test_a_history_truncated_after_checking_is_unknown_integrity_not_ok(passing_run: Path) -> None:
    _record_history_length(passing_run)
    lines = (passing_run / "history.jsonl").read_text().splitlines(keepends=True)
    (passing_run / "history.jsonl").write_text("".join(lines[: len(lines) // 2]))  # every line still parses
    data = load_run(passing_run)
    assert data.verdict is Verdict.UNKNOWN
    assert data.results[0].checker == "integrity" and "history.jsonl has" in data.results[0].summary
    assert any("changed since result.json was written" in n for n in data.notices)
    html = reports.render(passing_run).read_text(encoding="utf-8")
    assert "changed since result.json was written" in html and 'v-unknown">unknown<' in html


def test_a_trace_cut_after_checking_is_unknown_integrity(passing_run: Path) -> None:
    lines = (passing_run / "trace.jsonl").read_text().splitlines(keepends=True)
    (passing_run / "trace.jsonl").write_text("".join(lines[:-1]))
    data = load_run(passing_run)
    assert data.verdict is Verdict.UNKNOWN and "SHA-256" in data.results[0].summary
