"""Replay corpus: every failure `raftsim hunt` found (tests/bugzoo/corpus/*.json) is found again."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scenarios.hunt import CORPUS_FORMAT
from scenarios.runner import run
from scenarios.spec import Scenario

from .conftest import verdicts

CORPUS = Path(__file__).parent / "corpus"
FILES = sorted(CORPUS.glob("*.json"))


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_corpus_entry_still_fails_its_checker(path: Path, tmp_path: Path) -> None:
    doc = json.loads(path.read_text())
    assert doc["format"] == CORPUS_FORMAT
    rd = run(Scenario.from_repr(doc["scenario_repr"]), int(doc["seed"]), tmp_path / "run")
    assert verdicts(rd.root, only=doc["checker"])[doc["checker"]] == doc["verdict"], doc["replay"]


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_corpus_entry_passes_on_the_clean_build(path: Path, tmp_path: Path) -> None:
    doc = json.loads(path.read_text())
    scen = Scenario.from_repr(doc["scenario_repr"])
    clean = Scenario.create(scen.name, {**scen.params, "bugs": ""})
    rd = run(clean, int(doc["seed"]), tmp_path / "run")
    assert verdicts(rd.root, only=doc["checker"])[doc["checker"]] != "illegal", doc["replay"]


def test_corpus_schedules_are_small() -> None:
    for path in FILES:
        assert json.loads(path.read_text())["events"] <= 6, path.name
