"""The mix workload: several workloads side by side, each on its own keys and clients, every checker judging."""

from __future__ import annotations

from pathlib import Path

import pytest

from checkers import check_run
from checkers.result import Verdict
from scenarios.errors import ConfigError
from scenarios.runner import run
from scenarios.spec import Scenario
from scenarios.workload_mix import mix_parts


def test_every_part_gets_its_clients_and_every_checker_judges(tmp_path: Path) -> None:
    scen = Scenario.create("steady", {"workload": "mix", "clients": 10, "duration_s": 2.0, "recover_s": 1.0})
    rd = run(scen, 1, tmp_path / "r")
    verdict, results = check_run(rd.root)
    by = {r.checker: r.verdict for r in results}
    assert verdict is Verdict.OK, [(r.checker, r.summary) for r in results if r.verdict is not Verdict.OK]
    assert Verdict.NOT_EXERCISED not in by.values(), by  # register ... registry: each checker saw its ops
    again = run(scen, 1, tmp_path / "again")
    assert again.trace_sha256 == rd.trace_sha256


def test_parts_are_the_named_ones_in_builtin_order() -> None:
    assert mix_parts("set,register") == ["register", "set"]
    assert "mix" not in mix_parts("") and len(mix_parts("")) == 10
    with pytest.raises(ConfigError, match="mix="):
        Scenario.create("steady", {"workload": "mix", "mix": "register,nope"})


def test_the_tree_workload_is_answered_as_its_reference_store_predicts(tmp_path: Path) -> None:
    scen = Scenario.create("kill-leader-loop", {"workload": "tree", "clients": 3, "duration_s": 2.0, "recover_s": 1.0})
    rd = run(scen, 1, tmp_path / "t")
    _, results = check_run(rd.root)
    api = next(r for r in results if r.checker == "store-api")
    assert api.verdict is Verdict.OK and api.details["judged"] > 100, api.summary


def test_lease_reads_need_check_quorum() -> None:
    with pytest.raises(ConfigError, match="read_only=lease needs check_quorum=true"):
        Scenario.create("steady", {"read_only": "lease", "check_quorum": False})
