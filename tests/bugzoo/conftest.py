"""Shared helpers: judge a run directory with the checkers, as the CLI does."""

from __future__ import annotations

from pathlib import Path

from checkers import check_run, default_checkers


def verdicts(run_dir: Path, only: str | None = None) -> dict[str, str]:
    """{checker name: verdict value} for one run directory (just checker ``only`` if given)."""
    chs = None if only is None else [c for c in default_checkers() if c.name == only]
    _, results = check_run(run_dir, chs)
    return {r.checker: r.verdict.value for r in results}
