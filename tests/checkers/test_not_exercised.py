"""A checker with nothing to judge says not-exercised: no failure, never counted as ok."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from checkers.result import CheckResult, Verdict, combine
from checkers.run import Exercised, verdict_line
from scenarios.cli import main


def _r(name: str, v: Verdict) -> CheckResult:
    return CheckResult(checker=name, verdict=v)


def test_combine_puts_not_exercised_below_ok_and_never_makes_nothing_ok() -> None:
    NE, OK = Verdict.NOT_EXERCISED, Verdict.OK
    assert combine([OK, NE, NE]) is OK
    assert combine([NE, NE]) is NE and combine([]) is NE
    assert combine([NE, Verdict.UNKNOWN, OK]) is Verdict.UNKNOWN and combine([NE, Verdict.ILLEGAL]) is Verdict.ILLEGAL
    assert not NE.is_failure and NE.exit_code == 2  # alone, nothing vouches for the run


def test_verdict_line_counts_exercised_checkers_faults_and_ops() -> None:
    results = [_r(f"c{i}", Verdict.OK) for i in range(7)] + [_r(f"n{i}", Verdict.NOT_EXERCISED) for i in range(3)]
    assert verdict_line(Verdict.OK, results, Exercised(12, 850)) == \
        "verdict: ok (7 checkers ok, 3 not exercised; 12 faults, 850 ops exercised)"
    assert verdict_line(Verdict.ILLEGAL, [_r("a", Verdict.ILLEGAL)], Exercised(1, None)) == \
        "verdict: illegal (1 checker illegal; 1 fault, ? ops exercised)"


@pytest.mark.parametrize("fmt, text", [
    ("edn", '[{"process": 0, "type": "invoke", "f": "write", "key": "x", "value": 1, "time": 1}]\n'),  # JSON as EDN
    ("jsonl", ""),  # empty
    ("edn", "{:type :invoke, :f :start, :process :nemesis}\n"),  # every event dropped (nemesis only)
])
def test_check_history_with_no_operations_is_an_error_not_ok(fmt: str, text: str, tmp_path: Path, capsys) -> None:
    path = tmp_path / "h.txt"
    path.write_text(text)
    assert main(["check-history", str(path), "--format", fmt]) == 2
    out = capsys.readouterr().out
    assert "no operations to check" in out and "ok" not in out.split(":", 1)[1].split("(")[0]


def test_a_run_says_which_checkers_were_not_exercised(tmp_path: Path, capsys) -> None:
    out = tmp_path / "run"
    assert main(["run", "steady", "--seed", "1", "--out", str(out), "--set", "duration_s=0.5", "--set", "recover_s=0.5",
                 "--set", "nodes=3", "--set", "clients=2"]) == 0
    text = capsys.readouterr().out
    assert "watch         not exercised  no watch ops" in text
    assert "verdict: ok (" in text and " not exercised; 0 faults, " in text
    doc = json.loads((out / "result.json").read_text())
    assert doc["checkers"]["watch"]["verdict"] == "not-exercised" and doc["valid"] == "ok"
