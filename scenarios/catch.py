"""Catching a zoo bug: run its schedule over seeds with the switch on (or off) and judge it by its checker.

Rules:
- The bug's schedule, checker and CI seeds are scenarios/bugs.py's ``ZOO`` entry (``scenario_for``).
- Checking is injected (``check(run_dir) -> {checker name: verdict value}``): scenarios/ never imports
  checkers as a whole (tests/test_layering.py); the CLI, tests and bench pass ``checkers.check_run``.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scenarios.bugs import ZOO, scenario_for
from scenarios.runner import run

__all__ = ["Catch", "CheckFn", "catch"]


@dataclass(frozen=True)
class Catch:
    bug: str
    checker: str
    caught_seed: int | None  # first seed (in order) whose checker verdict was illegal
    seeds_run: int
    wall_s: float
    verdicts: tuple[tuple[int, str], ...]  # (seed, verdict of the named checker)


CheckFn = Callable[[Path], Mapping[str, str]]


def catch(bug: str, check: CheckFn, *, seeds: Iterable[int] | None = None, clean: bool = False,
          stop_early: bool = True, out_dir: Path | None = None, **overrides: Any) -> Catch:
    """Run ``bug``'s schedule over ``seeds`` (bug on, or off if ``clean``) and judge with its checker.

    Stops at the first illegal verdict if ``stop_early``. ``check(run_dir)`` maps checker name to verdict.
    """
    spec = ZOO[bug]
    scen = scenario_for(bug, bugs="" if clean else bug, **overrides)
    verdicts: list[tuple[int, str]] = []
    caught = None
    t0 = time.perf_counter()  # det-ok: wall-clock budget/report outside any run
    with tempfile.TemporaryDirectory(prefix=f"zoo-{bug}-") as tmp:
        base = Path(out_dir) if out_dir is not None else Path(tmp)
        for seed in (spec.seeds if seeds is None else seeds):
            rd = run(scen, seed, base / f"{bug}{'-clean' if clean else ''}-seed{seed}")
            v = check(rd.root).get(spec.checker, "missing")
            verdicts.append((seed, v))
            if v == "illegal" and caught is None:
                caught = seed
                if stop_early:
                    break
    return Catch(bug, spec.checker, caught, len(verdicts), time.perf_counter() - t0, tuple(verdicts))  # det-ok: wall-clock budget/report outside any run
