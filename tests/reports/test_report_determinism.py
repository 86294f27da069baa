"""The same run renders to the same bytes: twice in one process, and in another process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import reports

ROOT = Path(__file__).resolve().parents[2]


def outputs(run: Path) -> dict[str, bytes]:
    files = [run / "report.html", *sorted((run / "plots").iterdir())]
    return {p.relative_to(run).as_posix(): p.read_bytes() for p in files}


def test_render_twice_in_process_gives_the_same_bytes(failing_run: Path) -> None:
    reports.render(failing_run)
    first = outputs(failing_run)
    reports.render(failing_run)
    assert outputs(failing_run) == first
    assert len(first) == 9  # report + 4 plots x (svg, png)


def test_render_in_a_subprocess_with_another_hash_seed_gives_the_same_bytes(failing_run: Path) -> None:
    reports.render(failing_run)
    first = outputs(failing_run)
    env = {**os.environ, "PYTHONHASHSEED": "12345", "PYTHONPATH": str(ROOT)}
    subprocess.run([sys.executable, "-c", "import sys, reports; reports.render(sys.argv[1])", str(failing_run)],
                   check=True, env=env, cwd=str(ROOT), timeout=120)
    again = outputs(failing_run)
    assert sorted(again) == sorted(first)
    for name in first:
        assert again[name] == first[name], name


def test_sweep_renders_to_the_same_bytes(tmp_path: Path) -> None:
    from runs import passing_run_dir

    for seed in (1, 2):
        passing_run_dir(tmp_path / f"seed-{seed}", seed)
    a = reports.render_sweep(tmp_path).read_bytes()
    assert reports.render_sweep(tmp_path).read_bytes() == a
