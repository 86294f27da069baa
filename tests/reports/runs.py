"""Real run directories for the report tests: short simulated runs, checked by check_run (result.json).

Rules:
- ``passing_run_dir``: a scripted schedule on 3 nodes (PreVote off, so the isolated node's term disrupts the
  majority at the heal and a leader is elected after it): the leader isolated 0.5-2.0 s into the fault phase
  (clients of the old leader time out as ``info``), healed; n2 crashed and restarted; n1 paused and resumed;
  then the recovery phase heals everything once more. Every checker answers ok.
- ``failing_run_dir``: the hunt corpus reproducer of bug B07 (stale local reads on an isolated leader):
  linearizability answers illegal with its counterexample.
- The same arguments give the same bytes (runs are pure functions of scenario and seed).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from checkers import check_run
from scenarios.runner import run
from scenarios.spec import Scenario

CORPUS = Path(__file__).resolve().parents[1] / "bugzoo" / "corpus"
SCHEDULE = ('mix(at(0.5, isolate_leader()), at(2.0, do_heal()), at(2.4, do(F.Crash(node="n2"))), '
            'at(2.9, do(F.Restart(node="n2"))), at(3.2, do(F.Pause(node="n1"))), at(3.6, do(F.Resume(node="n1"))))')


def passing_scenario(**over: object) -> Scenario:
    return Scenario.create("scripted", {"schedule": SCHEDULE, "nodes": 3, "clients": 3, "duration_s": 4.0,
                                        "recover_s": 1.0, "pre_vote": False, **over})


def failing_scenario() -> Scenario:
    doc = json.loads((CORPUS / "hunt-zoo-isolated-leader-reads-B07-seed1.json").read_text(encoding="utf-8"))
    return Scenario.from_repr(doc["scenario_repr"])


def checked_run(scen: Scenario, seed: int, out: Path) -> Path:
    """Run ``scen`` at ``seed`` into ``out`` and check it (result.json); returns ``out``."""
    rd = run(scen, seed, out)
    check_run(rd.root)
    return rd.root


def passing_run_dir(out: Path, seed: int = 3) -> Path:
    return checked_run(passing_scenario(), seed, out)


def failing_run_dir(out: Path, seed: int = 1) -> Path:
    return checked_run(failing_scenario(), seed, out)


def copy_run(src: Path, dst: Path) -> Path:
    """A fresh copy of a run's input files (no report, no plots), for tests that damage or render them."""
    dst.mkdir(parents=True)
    for name in ("run.json", "history.jsonl", "trace.jsonl", "result.json"):
        if (src / name).is_file():
            shutil.copy(src / name, dst / name)
    return dst
