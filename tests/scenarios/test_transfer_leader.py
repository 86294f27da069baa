"""transfer_leader(): the leader hands leadership over (TimeoutNow); liveness knows the deposal was wanted."""

from __future__ import annotations

from pathlib import Path

from checkers import check_run
from checkers.result import Verdict
from scenarios.runner import run
from scenarios.spec import Scenario


def test_transfers_move_the_leader_and_no_checker_minds(tmp_path: Path) -> None:
    scen = Scenario.create("scripted", {"schedule": "every(0.5, transfer_leader(), start_s=0.3)", "nodes": 3,
                                        "duration_s": 3.0, "recover_s": 1.0})
    rd = run(scen, 1, tmp_path / "r")
    trace = (rd.root / "trace.jsonl").read_text()
    assert trace.count("TimeoutNow") >= 2 and trace.count('"become-leader"') >= 3
    verdict, results = check_run(rd.root)
    assert verdict is Verdict.OK, [(r.checker, r.summary) for r in results if r.verdict is not Verdict.OK]
    live = next(r for r in results if r.checker == "liveness")
    assert live.details["leader_churn"]["leader_changes"] >= 2 and not live.details["leader_churn"]["disruptions"]
