"""Clean-build failures found by sweeps, each replayed at its seed: they must stay fixed."""

from __future__ import annotations

import json
from pathlib import Path

from checkers import Verdict, check_run
from checkers.raft_safety import RaftSafetyChecker
from scenarios.runner import run
from scenarios.spec import Scenario


def test_a_conf_change_is_traced_before_the_commit_it_made_possible(tmp_path: Path) -> None:
    """membership-churn seed 128: leader n2 appended the change removing n5 and, in the same Ready, committed
    index 314 on n2, n4 and n6: 3 of the 5 new voters (the thesis's rule: a configuration is in force once
    it is in the log). The trace had the commit before the conf record, so raft-safety counted 3 of the 6
    old voters and reported quorum-commit. The same timing with shorter phases (1.5 s instead of 16 s)."""
    scen = Scenario.parse_sets("membership-churn", ["duration_s=3.5", "recover_s=1"])
    rd = run(scen, 128, tmp_path / "run")
    verdict, results = check_run(rd.root, [RaftSafetyChecker()])
    assert verdict is Verdict.OK, results[0].summary
    recs = [json.loads(line) for line in (rd.root / "trace.jsonl").read_text().splitlines()]
    n2 = [(r["kind"], r.get("index", r.get("commit"))) for r in recs
          if r.get("node") == "n2" and r["kind"] in ("conf", "commit") and r["t"] == 4_001_757_158]
    assert n2 == [("conf", 317), ("commit", 314)]
