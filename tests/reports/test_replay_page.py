"""replay.html as a file: written by `raftsim replay --html` and by the report (which links it), same bytes
for the same run, and a page (not a traceback) for a broken trace."""

from __future__ import annotations

import json
import re
from pathlib import Path

import reports
from reports.replay import render_replay
from scenarios.cli import main


def blob(page: Path) -> dict:
    m = re.search(r'<script type="application/json" id="replay-data">(.*?)</script>', page.read_text(encoding="utf-8"),
                  re.S)
    assert m is not None
    return json.loads(m.group(1))


def test_the_report_links_the_replay_it_writes(passing_run: Path) -> None:
    report = reports.render(passing_run)
    assert 'href="replay.html"' in report.read_text(encoding="utf-8")
    assert (passing_run / "replay.html").is_file()


def test_same_run_same_bytes(failing_run: Path) -> None:
    a = render_replay(failing_run).read_bytes()
    b = render_replay(failing_run).read_bytes()
    assert a == b and len(a) < 5_000_000
    data = blob(failing_run / "replay.html")
    assert data["violations"] and data["nodes"] and data["msgs"]["src"]


def test_cli_writes_the_page_and_refuses_a_non_run(failing_run: Path, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["replay", str(failing_run), "--html"]) == 0
    assert capsys.readouterr().out.strip().endswith("replay.html")
    assert main(["replay", str(tmp_path / "nope"), "--html"]) == 2
    assert "not a run directory" in capsys.readouterr().err


def test_a_truncated_trace_still_gives_a_page_that_says_so(passing_run: Path) -> None:
    trace = passing_run / "trace.jsonl"
    text = trace.read_text(encoding="utf-8")
    trace.write_text(text[: len(text) // 2] + '{"t": 12, "kind', encoding="utf-8")
    data = blob(render_replay(passing_run))
    assert any("trace.jsonl" in n for n in data["notices"])
    assert data["states"]
