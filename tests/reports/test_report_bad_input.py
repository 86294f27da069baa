"""Bad input: a damaged run directory renders what it can, says plainly what is missing, and never raises."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

import reports


def _truncate(name: str, keep: float) -> Callable[[Path], None]:
    def damage(run: Path) -> None:
        data = (run / name).read_bytes()
        (run / name).write_bytes(data[: int(len(data) * keep)] + b'{"process": 1, "ty')
    return damage


def _write(name: str, text: str) -> Callable[[Path], None]:
    return lambda run: (run / name).write_text(text)


def _remove(*names: str) -> Callable[[Path], None]:
    def damage(run: Path) -> None:
        for n in names:
            (run / n).unlink()
    return damage


def _odd_trace(run: Path) -> None:
    """Well-formed JSON with fields of the wrong types, as a buggy runner might write."""
    with (run / "trace.jsonl").open("a") as f:
        f.write('{"kind":"become-leader","t":1,"node":7,"term":"x"}\n{"kind":"deliver","t":2,"node":null,"id":[1]}\n'
                '{"kind":"fault","t":3,"name":null,"fault":5}\n{"kind":"send","t":4,"node":"n1","dst":null,"id":{}}\n'
                '{"kind":"commit","t":5,"node":"n1","commit":"high"}\n')


# (damage, phrase the notice must contain, section that must still be drawn)
CASES = {
    "missing-trace": (_remove("trace.jsonl"), "trace.jsonl is missing", 'id="timeline"'),
    "truncated-trace": (_truncate("trace.jsonl", 0.5), "trace.jsonl record", 'id="plot-protocol-lanes"'),
    "truncated-history": (_truncate("history.jsonl", 0.6), "history.jsonl line", 'id="plot-latency-raw"'),
    "missing-history": (_remove("history.jsonl"), "history.jsonl is missing", 'id="lamport"'),
    "missing-result": (_remove("result.json"), "result.json is missing", 'id="timeline"'),
    "garbage-result": (_write("result.json", '{"checkers": 3}'), "result.json could not be read", 'id="timeline"'),
    "garbage-run-json": (_write("run.json", "\x00not json{"), "run.json could not be read", 'id="plot-rate"'),
    "run-json-not-object": (_write("run.json", "[1, 2]"), "run.json could not be read", 'id="plot-rate"'),
    "missing-run-json": (_remove("run.json"), "run.json is missing", 'id="plot-rate"'),
    "empty-history": (_write("history.jsonl", ""), None, 'id="lamport"'),
    "odd-trace-fields": (_odd_trace, None, 'id="plot-protocol-lanes"'),
    "only-result": (_remove("run.json", "trace.jsonl", "history.jsonl"), "trace.jsonl is missing", 'id="summary"'),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_damaged_run_renders_what_it_can_and_says_what_is_missing(failing_run: Path, case: str) -> None:
    damage, phrase, still = CASES[case]
    damage(failing_run)
    html = reports.render(failing_run).read_text(encoding="utf-8")
    assert "could not be drawn" not in html, "the last-resort error page means a bug in reports/"
    if phrase:
        assert 'id="notices"' in html and phrase in html
    assert still in html
    json.loads(html.split('id="report-data">', 1)[1].split("</script>", 1)[0])


def test_missing_or_empty_directory_still_gives_a_report(tmp_path: Path) -> None:
    html = reports.render(tmp_path / "nothing-here").read_text(encoding="utf-8")
    assert "run.json is missing" in html and "trace.jsonl is missing" in html and "history.jsonl is missing" in html


def test_trace_that_is_not_the_one_run_json_names_is_flagged(passing_run: Path) -> None:
    meta = json.loads((passing_run / "run.json").read_text())
    meta["trace_sha256"] = "0" * 64
    (passing_run / "run.json").write_text(json.dumps(meta))
    html = reports.render(passing_run).read_text(encoding="utf-8")
    assert "differs from run.json" in html


def test_sweep_with_broken_runs_and_sweep_json_still_renders(tmp_path: Path) -> None:
    (tmp_path / "seed-1").mkdir()
    (tmp_path / "seed-2").mkdir()
    (tmp_path / "seed-2" / "run.json").write_text("garbage")
    (tmp_path / "sweep.json").write_text("{not json")
    html = reports.render_sweep(tmp_path).read_text(encoding="utf-8")
    assert "could not be drawn" not in html
    assert "sweep.json could not be read" in html and "run.json could not be read" in html
