"""Clean-build failures found by sweeps, each replayed at its seed: they must stay fixed."""

from __future__ import annotations

import json
from pathlib import Path

from checkers import Verdict, check_run
from checkers.raft_safety import RaftSafetyChecker
from scenarios.runner import run
from scenarios.spec import Scenario


def conf_and_commit_records(tmp_path: Path, sets: list[str], seed: int, node: str, t: int) -> list[tuple[str, int]]:
    """Run membership-churn with ``sets`` at ``seed``; assert raft-safety passes; return ``node``'s conf and
    commit records at instant ``t`` as (kind, index), in trace order."""
    rd = run(Scenario.parse_sets("membership-churn", sets), seed, tmp_path / "run")
    verdict, results = check_run(rd.root, [RaftSafetyChecker()])
    assert verdict is Verdict.OK, results[0].summary
    recs = [json.loads(line) for line in (rd.root / "trace.jsonl").read_text().splitlines()]
    return [(r["kind"], r.get("index", r.get("commit"))) for r in recs
            if r.get("node") == node and r["kind"] in ("conf", "commit") and r["t"] == t]


def test_a_conf_change_is_traced_before_the_commit_it_made_possible(tmp_path: Path) -> None:
    """membership-churn seed 128: leader n2 appended the change removing n5 and, in the same Ready, committed
    index 314 on n2, n4 and n6: 3 of the 5 new voters (the thesis's rule: a configuration is in force once
    it is in the log). The trace had the commit before the conf record, so raft-safety counted 3 of the 6
    old voters and reported quorum-commit. The same timing with shorter phases (1.5 s instead of 16 s)."""
    # Since tick timers run first at their instant (issue 20) the same shape is at 4_001_905_040 (was 4_001_757_158,
    # conf 317 / commit 314).
    n2 = conf_and_commit_records(tmp_path, ["duration_s=3.5", "recover_s=1"], 128, "n2", 4_001_905_040)
    assert n2 == [("conf", 315), ("commit", 314)]


def test_a_commit_counted_just_before_a_conf_change_of_the_same_ready(tmp_path: Path) -> None:
    """membership-churn seed 282: leader n4 counted index 912 on n4, n5 and n6 (3 of its 5 voters), then, in
    the same Ready, appended the change adding n3. Traced conf-first, raft-safety counted 3 of 6 and reported
    quorum-commit; a conf recorded at the commit's instant now lets a quorum of either configuration do."""
    # Since tick timers run first at their instant (issue 20) the same shape (a conf and an older commit in one
    # Ready) is n5's at 8_006_176_727 (was n4 at 10_001_313_850, conf 914 / commit 912).
    n5 = conf_and_commit_records(tmp_path, ["duration_s=9.2", "recover_s=0.5"], 282, "n5", 8_006_176_727)
    assert n5 == [("conf", 722), ("commit", 721)]
