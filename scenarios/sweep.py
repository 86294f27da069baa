"""Sweeps: one scenario over many seeds, in parallel, resumable, locally or on dask.distributed.

Rules:
- A sweep directory holds ``seed-<n>/`` run directories and ``sweep.json`` (the summary).
- Resumable: a seed whose ``seed-<n>/result.json`` exists is not run again.
- Every seed is an independent pure run, so the local and dask executors give identical per-seed
  trace hashes; only the wall times differ.
- Every failing seed prints the exact ``raftsim run ... --seed N`` line.
"""

from __future__ import annotations

import json
import re
import shutil
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scenarios.errors import ConfigError
from scenarios.spec import Scenario

__all__ = ["SweepSummary", "parse_seeds", "run_seed", "sweep"]

SWEEP_JSON = "sweep.json"


def parse_seeds(text: str) -> list[int]:
    """``1..1000`` (inclusive), ``7``, or ``1,5,9`` (mixable: ``1..3,10``)."""
    seeds: list[int] = []
    for part in text.split(","):
        part = part.strip()
        m = re.fullmatch(r"(-?\d+)\.\.(-?\d+)", part)
        if m:
            lo, hi = int(m.group(1)), int(m.group(2))
            if hi < lo:
                raise ConfigError(f"--seeds {text!r}: range {part} goes backwards")
            if hi - lo > 10_000_000:
                raise ConfigError(f"--seeds {text!r}: range too large")
            seeds.extend(range(lo, hi + 1))
        elif re.fullmatch(r"-?\d+", part):
            seeds.append(int(part))
        else:
            raise ConfigError(f"--seeds {text!r}: expected N, A..B or a comma list of them")
    if not seeds:
        raise ConfigError(f"--seeds {text!r}: no seeds")
    return sorted(set(seeds))


def run_seed(scenario_repr: str, seed: int, out_dir: str) -> dict[str, Any]:
    """Run and check one seed into ``out_dir/seed-<n>``; returns a JSON-able row. Never raises."""
    from checkers import check_run
    from scenarios.runner import run

    t0 = time.perf_counter()  # det-ok: sweep wall time, reported, never in a run
    root = Path(out_dir) / f"seed-{seed}"
    name = scenario_repr.split("'")[1] if scenario_repr.count("'") >= 2 else "?"
    try:
        scen = Scenario.from_repr(scenario_repr)
        rd = run(scen, seed, root)
        verdict, results = check_run(rd.root)
        failing = [r.checker for r in results if r.verdict.value != "ok"]
        return {"seed": seed, "verdict": verdict.value, "trace_sha256": rd.trace_sha256, "failing": failing,
                "summaries": {r.checker: r.summary for r in results if r.verdict.value != "ok"},
                "wall_s": round(time.perf_counter() - t0, 3), "replay": rd.replay}  # det-ok: sweep wall time, reported, never in a run
    except Exception as e:  # a crash of the harness on one seed is a result, not the end of the sweep
        return {"seed": seed, "verdict": "unknown", "trace_sha256": None, "failing": ["harness"],
                "summaries": {"harness": f"{type(e).__name__}: {e}"}, "wall_s": round(time.perf_counter() - t0, 3),  # det-ok: sweep wall time, reported, never in a run
                "replay": f"raftsim run {name} --seed {seed}"}


def _done_row(root: Path, seed: int) -> dict[str, Any] | None:
    res = root / f"seed-{seed}" / "result.json"
    meta = root / f"seed-{seed}" / "run.json"
    if not (res.is_file() and meta.is_file()):
        return None
    try:
        doc = json.loads(res.read_text())
        run = json.loads(meta.read_text())
        failing = sorted(k for k, v in doc["checkers"].items() if v["verdict"] != "ok")
        return {"seed": seed, "verdict": doc["valid"], "trace_sha256": run.get("trace_sha256"), "failing": failing,
                "summaries": {k: doc["checkers"][k].get("summary", "") for k in failing}, "wall_s": 0.0,
                "replay": run.get("replay", ""), "resumed": True}
    except (ValueError, KeyError, TypeError):
        return None


@dataclass
class SweepSummary:
    scenario: str
    rows: list[dict[str, Any]] = field(default_factory=list)
    wall_s: float = 0.0

    @property
    def counts(self) -> Counter[str]:
        return Counter(r["verdict"] for r in self.rows)

    @property
    def exit_code(self) -> int:
        c = self.counts
        return 1 if c.get("illegal") else 2 if c.get("unknown") else 0

    def to_json(self) -> dict[str, Any]:
        return {"scenario": self.scenario, "wall_s": round(self.wall_s, 3), "counts": dict(sorted(self.counts.items())),
                "rows": sorted(self.rows, key=lambda r: r["seed"])}


class _Dask:
    """A dask.distributed client (a LocalCluster of ``jobs`` workers when no scheduler is given)."""

    def __init__(self, scheduler: str | None, jobs: int) -> None:
        try:
            from distributed import Client, LocalCluster
        except ImportError:  # pragma: no cover - a declared dependency
            raise ConfigError("--executor dask needs the 'distributed' package") from None
        self.cluster = None
        try:
            if scheduler:
                self.client = Client(scheduler, timeout="5s")
            else:
                self.cluster = LocalCluster(n_workers=jobs, threads_per_worker=1, processes=True,
                                            dashboard_address=None)
                self.client = Client(self.cluster)
        except (OSError, TimeoutError) as e:
            raise ConfigError(f"cannot reach dask scheduler {scheduler!r}: {str(e).splitlines()[0]}") from None

    def map(self, fn: Callable[..., Any], args: list[tuple[Any, ...]], on_done: Callable[[dict[str, Any]], None]) -> None:
        from distributed import as_completed as dask_completed

        futures = [self.client.submit(fn, *a, pure=False) for a in args]
        for fut in dask_completed(futures):
            on_done(fut.result())

    def close(self) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


def sweep(scenario: Scenario, seeds: Iterable[int], *, out_dir: Path | None = None, jobs: int = 2,
          executor: str = "local", scheduler: str | None = None, progress: bool = True,
          report: bool = False) -> SweepSummary:
    """Run ``scenario`` for each seed; print a progress bar, a summary table and replay lines."""
    seeds = list(seeds)
    if jobs < 1:
        raise ConfigError(f"-j {jobs}: need at least 1 job")
    if executor not in ("local", "dask"):
        raise ConfigError(f"--executor {executor!r}: local or dask")
    if scheduler and executor != "dask":
        raise ConfigError("--scheduler goes with --executor dask")
    root = out_dir or Path("runs") / f"sweep-{scenario.name}"
    root.mkdir(parents=True, exist_ok=True)
    summary = SweepSummary(scenario.name)
    todo: list[int] = []
    for s in seeds:
        row = _done_row(root, s)
        if row is None:
            shutil.rmtree(root / f"seed-{s}", ignore_errors=True)
            todo.append(s)
        else:
            summary.rows.append(row)
    t0 = time.perf_counter()  # det-ok: sweep wall time, reported, never in a run
    args = [(repr(scenario), s, str(root)) for s in todo]

    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    console = Console(stderr=True)
    dask = _Dask(scheduler, jobs) if executor == "dask" and todo else None  # connect before drawing progress
    bar = Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                   TextColumn("{task.fields[bad]} failing"), TimeRemainingColumn(), console=console,
                   disable=not progress or not todo)
    with bar:
        task = bar.add_task(f"sweep {scenario.name}", total=len(todo), bad=0)
        bad = 0

        def done(row: dict[str, Any]) -> None:
            nonlocal bad
            summary.rows.append(row)
            bad += row["verdict"] != "ok"
            bar.update(task, advance=1, bad=bad)

        if dask is not None:
            try:
                dask.map(run_seed, args, done)
            finally:
                dask.close()
        elif jobs == 1 or len(args) <= 1:
            for a in args:
                done(run_seed(*a))
        else:
            with ProcessPoolExecutor(max_workers=jobs) as pool:
                futs = [pool.submit(run_seed, *a) for a in args]
                for f in as_completed(futs):
                    done(f.result())
    summary.wall_s = time.perf_counter() - t0  # det-ok: sweep wall time, reported, never in a run
    (root / SWEEP_JSON).write_text(json.dumps(summary.to_json(), indent=1, sort_keys=True) + "\n")
    _print_summary(summary, console)
    if report:
        from reports import render_sweep

        console.print(f"sweep report: {render_sweep(root)}")
    return summary


def _print_summary(summary: SweepSummary, console: Any) -> None:
    from rich.table import Table

    c = summary.counts
    ran = [r for r in summary.rows if not r.get("resumed")]
    t = Table(title=f"sweep {summary.scenario}: {len(summary.rows)} seeds")
    for col in ("ok", "illegal", "unknown", "seeds run now", "wall s", "seeds/hour"):
        t.add_column(col, justify="right")
    rate = len(ran) / summary.wall_s * 3600 if summary.wall_s > 0 and ran else 0.0
    t.add_row(str(c.get("ok", 0)), str(c.get("illegal", 0)), str(c.get("unknown", 0)), str(len(ran)),
              f"{summary.wall_s:.1f}", f"{rate:,.0f}")
    console.print(t)
    by_checker: Counter[str] = Counter()
    for r in summary.rows:
        by_checker.update(r["failing"])
    if by_checker:
        console.print("failures by checker: " + ", ".join(f"{k}={v}" for k, v in sorted(by_checker.items())))
    for r in sorted(summary.rows, key=lambda r: r["seed"]):
        if r["verdict"] != "ok":
            why = "; ".join(f"{k}: {v}" for k, v in sorted(r.get("summaries", {}).items()))
            sys.stdout.write(f"{r['verdict']}: {r['replay']}    # {why[:160]}\n")
