"""``local_reads``: local reads are marked (judged by checkers/local_reads.py) unless the run asks for them to be
judged as linearizable claims, as Jepsen judged etcd's default reads in 2014 (README: raftsim live)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scenarios.runner import run
from scenarios.spec import Scenario


def local_marks(tmp_path: Path, sets: list[str]) -> tuple[int, int]:
    """(reads, reads marked local) of a short steady run with ``sets``."""
    rd = run(Scenario.parse_sets("steady", ["duration_s=1", "read_mode=local", *sets]), 1, tmp_path / "run")
    ops = [json.loads(line) for line in (rd.root / "history.jsonl").read_text().splitlines()]
    reads = [o for o in ops if o["type"] == "invoke" and o["f"] == "read"]
    return len(reads), sum(1 for o in reads if o.get("local"))


@pytest.mark.parametrize(("sets", "marked"), [([], True), (["local_reads=stale-ok"], True),
                                              (["local_reads=linearizable"], False)])
def test_local_reads_are_marked_unless_judged_linearizable(tmp_path: Path, sets: list[str], marked: bool) -> None:
    reads, local = local_marks(tmp_path, sets)
    assert reads > 50
    # final reads are always quorum, so "every read" means every read but those
    assert (local > reads - 20) if marked else (local == 0)
