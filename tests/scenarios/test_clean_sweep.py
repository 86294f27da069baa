"""The clean build over many seeds of every catalog scenario: zero failures (issue: bug zoo, targets).

Slow (``python -m pytest -m slow tests/scenarios/test_clean_sweep.py``): 1,000 seeds of 26 scenarios
is about 6 hours on 2 cores (40 seeds of all 26: 15 min). ``RAFTSIM_CLEAN_SEEDS`` (default 1000) and
``RAFTSIM_CLEAN_JOBS`` (default 2) size it; ``RAFTSIM_CLEAN_DIR`` keeps the sweep directories so an
interrupted run resumes. A failure prints each failing seed's ``raftsim run ... --seed N`` line.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from scenarios.spec import Scenario, list_defs
from scenarios.sweep import sweep

CATALOG = [d.name for d in list_defs() if not d.name.startswith("zoo-") and d.name != "scripted"]


def test_the_catalog_is_what_the_sweep_covers() -> None:
    assert len(CATALOG) >= 26 and "partition-majority" in CATALOG and "scripted" not in CATALOG


@pytest.mark.slow
@pytest.mark.parametrize("name", CATALOG)
def test_clean_build_passes_every_seed(name: str, tmp_path) -> None:
    seeds = int(os.environ.get("RAFTSIM_CLEAN_SEEDS", "1000"))
    root = Path(os.environ["RAFTSIM_CLEAN_DIR"]) / name if "RAFTSIM_CLEAN_DIR" in os.environ else tmp_path / name
    summary = sweep(Scenario.create(name), range(1, seeds + 1), out_dir=root, progress=False,
                    jobs=int(os.environ.get("RAFTSIM_CLEAN_JOBS", "2")))
    bad = sorted((r["seed"], r["replay"], r["failing"]) for r in summary.rows if r["verdict"] != "ok")
    assert not bad, f"{name}: {len(bad)} of {seeds} seeds fail on the clean build: {bad[:10]}"
    assert len(summary.rows) == seeds
