"""check-history's one-sentence counterexample, --json, format from the extension, and export-history."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from checkers.linearizable import check_history_file
from scenarios.cli import main

BAD = """\
{"process":0,"type":"invoke","f":"write","key":"k3","value":9,"time":1}
{"process":0,"type":"ok","f":"write","key":"k3","value":9,"time":2}
{"process":1,"type":"invoke","f":"write","key":"k3","value":11,"time":3}
{"process":2,"type":"invoke","f":"read","key":"k3","value":null,"time":4}
{"process":2,"type":"ok","f":"read","key":"k3","value":7,"time":5}
"""
SENTENCE = "read of k3 returned 7 (process 2, history line 5); the only values it could have returned were 9 or 11"


@pytest.fixture
def bad(tmp_path: Path) -> Path:
    path = tmp_path / "h.jsonl"
    path.write_text(BAD)
    return path


def test_an_illegal_read_is_explained_in_one_sentence(bad: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from checkers.sentence import sentence

    assert sentence(check_history_file(bad)) == SENTENCE
    assert main(["check-history", str(bad)]) == 1
    assert f"counterexample: {SENTENCE}" in capsys.readouterr().out
    assert main(["check-history", str(bad), "--json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert doc["verdict"] == "illegal" and doc["counterexample"] == SENTENCE and doc["format"] == "jsonl"


@pytest.mark.parametrize("to, ext", [("edn", ".edn"), ("porcupine", ".json")])
def test_an_exported_history_reads_back_by_its_extension_with_the_same_verdict(
        bad: Path, tmp_path: Path, to: str, ext: str, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / f"h{ext}"
    assert main(["export-history", str(bad), "--to", to, "--out", str(out)]) == 0
    capsys.readouterr()
    assert main(["check-history", str(out), "--json"]) == 1  # format from the extension
    doc = json.loads(capsys.readouterr().out)
    assert doc["format"] == to and doc["verdict"] == "illegal" and doc["counterexample"].startswith("read of k3 returned 7")


def test_export_refuses_what_porcupine_cannot_say(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "cas.jsonl"
    path.write_text('{"process":0,"type":"invoke","f":"cas","key":"k","value":[1,2],"time":1}\n'
                    '{"process":0,"type":"ok","f":"cas","key":"k","value":[1,2],"time":2}\n')
    assert main(["export-history", str(path), "--to", "porcupine"]) == 2
    assert "no 'cas'" in capsys.readouterr().err
    path.write_text('{"process":0,"type":"ok"}\n')
    assert main(["export-history", str(path), "--to", "edn"]) == 2
