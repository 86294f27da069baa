"""raftsim coverage: rows counted from a run's files; gaps listed; rows no simulation can reach set apart."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from reports.coverage import ROWS, UNREACHABLE, collect, format_table
from scenarios.runner import run
from scenarios.spec import Scenario


def test_a_lease_run_counts_lease_reads_and_a_tree_run_its_store_rows(tmp_path: Path) -> None:
    scen = Scenario.create("steady", {"workload": "mix", "mix": "register,tree", "clients": 4, "read_only": "lease",
                                      "duration_s": 1.0, "recover_s": 1.0})
    rd = run(scen, 1, tmp_path / "r")
    total, runs, quiet = collect([rd.root])
    assert total["read", "lease read"] > 0 and total["read", "ReadIndex confirmed (read-index)"] == 0
    for row in ("PUT dir", "PUT hidden", "DELETE recursive", "DELETE prevValue", "POST ttl"):
        assert total["store", row] > 0, row
    assert total["etcd error", "107"] > 0 and not quiet


def test_gaps_are_listed_and_unreachable_rows_are_not_gaps() -> None:
    total = Counter({row: 1 for row in ROWS if row not in UNREACHABLE and row != ("leader", "elected")})
    text, gaps = format_table(total, Counter(total), 1, [])
    assert gaps == [("leader", "elected")]
    assert f"{len(ROWS) - len(UNREACHABLE) - 1}/{len(ROWS) - len(UNREACHABLE)} reachable rows" in text
    assert all(f"not reachable in simulation: {a} {b}" in text for a, b in UNREACHABLE)
