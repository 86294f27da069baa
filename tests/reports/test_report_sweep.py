"""render_sweep: seeds with verdicts and links, failures grouped by checker, recovery and latency distributions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import reports
from reports.sweep import sweep_runs


@pytest.fixture(scope="module")
def sweep(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from make_run import make_run

    root = tmp_path_factory.mktemp("sweep")
    for seed in (1, 2, 10):
        make_run(root / f"seed-{seed}", seed=seed, duration_ms=2000, failing=seed == 2)
    (root / "sweep.json").write_text(json.dumps({"scenario": "partition-leader", "seeds": [1, 2, 10], "first_seed": 1}))
    return root


def test_sweep_lists_seeds_in_order_with_verdicts_and_links(sweep: Path) -> None:
    html = reports.render_sweep(sweep, render_runs=True).read_text(encoding="utf-8")
    assert [s for s, _ in sweep_runs(sweep)] == [1, 2, 10]
    assert html.index('href="seed-1/report.html"') < html.index('href="seed-2/report.html"') < html.index('href="seed-10/report.html"')
    assert (sweep / "seed-2" / "report.html").is_file()
    assert "raftsim run partition-leader --seed 2 --bugs B07" in html
    assert "3 seeds; 1 not ok." in html


def test_sweep_groups_failures_by_checker(sweep: Path) -> None:
    html = reports.render_sweep(sweep).read_text(encoding="utf-8")
    section = html.split('id="failures"', 1)[1].split("</section>", 1)[0]
    assert "linearizable: 1 of 3 seeds" in section and 'href="seed-2/"' in section
    assert "raft-safety" not in section


def test_sweep_shows_recovery_and_latency_distributions(sweep: Path) -> None:
    html = reports.render_sweep(sweep).read_text(encoding="utf-8")
    rec = html.split('id="recovery"', 1)[1].split("</section>", 1)[0]
    for fault in ("heal", "restart", "resume"):
        assert f"<td>{fault}</td><td>3</td>" in rec
    for name in ("sweep-recovery", "sweep-latency"):
        assert (sweep / "plots" / f"{name}.svg").is_file() and (sweep / "plots" / f"{name}.png").is_file()
        assert f'id="plot-{name}"' in html
