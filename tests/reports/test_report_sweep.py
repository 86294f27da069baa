"""render_sweep: seeds with verdicts and links, failures grouped by checker, recovery and latency distributions."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

import reports
from reports.data import load_run
from reports.html import esc
from reports.sweep import sweep_runs


@pytest.fixture(scope="module")
def sweep(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from runs import failing_run_dir, passing_run_dir

    root = tmp_path_factory.mktemp("sweep")
    for seed in (1, 7, 10):  # the B07 reproducer fails at seeds 1 and 7 (not 2-6)
        (failing_run_dir if seed == 7 else passing_run_dir)(root / f"seed-{seed}", seed)
    (root / "sweep.json").write_text(json.dumps({"scenario": "scripted", "seeds": [1, 7, 10], "first_seed": 1}))
    return root


def test_sweep_lists_seeds_in_order_with_verdicts_and_links(sweep: Path) -> None:
    html = reports.render_sweep(sweep, render_runs=True).read_text(encoding="utf-8")
    assert [s for s, _ in sweep_runs(sweep)] == [1, 7, 10]
    assert html.index('href="seed-1/report.html"') < html.index('href="seed-7/report.html"') < html.index('href="seed-10/report.html"')
    assert (sweep / "seed-7" / "report.html").is_file()
    replay = json.loads((sweep / "seed-7" / "run.json").read_text())["replay"]
    assert replay.startswith("raftsim run scripted --seed 7 --set bugs=B07") and esc(replay) in html
    assert "3 seeds; 1 not ok." in html


def test_sweep_groups_failures_by_checker(sweep: Path) -> None:
    html = reports.render_sweep(sweep).read_text(encoding="utf-8")
    section = html.split('id="failures"', 1)[1].split("</section>", 1)[0]
    assert "linearizable: 1 of 3 seeds" in section and 'href="seed-7/"' in section
    assert "raft-safety" not in section


def test_sweep_shows_recovery_and_latency_distributions(sweep: Path) -> None:
    html = reports.render_sweep(sweep).read_text(encoding="utf-8")
    rec = html.split('id="recovery"', 1)[1].split("</section>", 1)[0]
    counts = Counter(r["name"] for _, run in sweep_runs(sweep) for r in load_run(run).trace
                     if r["kind"] == "fault" and r["name"] in ("heal", "restart", "resume"))
    assert counts["heal"] >= 5 and counts["restart"] == counts["resume"] == 2  # two scripted runs; every run heals
    for fault in ("heal", "restart", "resume"):
        assert f"<td>{fault}</td><td>{counts[fault]}</td>" in rec
    for name in ("sweep-recovery", "sweep-latency"):
        assert (sweep / "plots" / f"{name}.svg").is_file() and (sweep / "plots" / f"{name}.png").is_file()
        assert f'id="plot-{name}"' in html
