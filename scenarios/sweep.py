# Over 400 lines: the local and dask runners, resumable rows and the summary share one row format.
"""Sweeps: one scenario over many seeds, in parallel, resumable, locally or on dask.distributed.

Rules:
- A sweep directory holds ``rows.jsonl`` (one JSON row per finished seed, appended and flushed by the
  parent process as each seed completes), ``sweep.json`` (the summary of the last sweep) and the
  ``seed-<n>/`` run directories that are kept.
- ``keep="failing"`` (the default): a worker deletes a seed's run directory as soon as its verdict is ok,
  so a 1,000-seed sweep needs disk only for its failures. Failing and unknown seeds keep their whole run
  directory (open it, ``raftsim report`` it, ``raftsim replay`` it). ``keep="all"`` keeps every seed.
- Message tracing (``trace_messages="failing"``, the default): seeds run with the scenario parameter
  ``trace_messages=False`` (no send/deliver lines: the trace is ~5x smaller, the run faster). Message tracing
  never changes a run's history or verdicts (checked on 9 catalog scenarios: byte-identical history.jsonl,
  identical trace apart from send/deliver lines), so a seed that is not ok is run once more with
  messages traced into its kept directory, and its history must be byte-identical to the first run's
  (else the row is ``unknown`` with checker ``determinism``). The printed replay line therefore reproduces
  the kept directory exactly, trace hash included. ``"all"`` traces every seed (the old behaviour);
  ``"none"`` never does (replay lines then carry ``--set trace_messages=false``).
- Ctrl-C stops a local sweep in ~2 s (scenarios/pool.py), keeping finished rows; an early failure leaves nothing.
- Resumable: a seed with a row in ``rows.jsonl`` (or, for sweeps made before rows.jsonl, a complete
  ``seed-<n>/`` directory) is not run again. A torn last line (a killed sweep) is dropped. Resuming never
  deletes a directory; only a seed that runs now can have its directory deleted.
- A recorded row is reused only for the same scenario (its repr, ``trace_messages`` aside: it does not
  change the history) and the same code version. Rows of another scenario are an error (one line: use
  another ``--out``); seeds recorded under another code version run again, with a one-line notice, and
  the new rows supersede the old ones (rows.jsonl is append-only; the last matching row of a seed wins).
- Every seed is an independent pure run, so the local and dask executors give identical per-seed
  trace hashes; only the wall times differ.
- Every failing seed prints the exact ``raftsim run ... --seed N`` line.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
import shutil
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from checkers.rundir import RunFiles
from scenarios.errors import ConfigError, Interrupted
from scenarios.pool import run_local
from scenarios.rows import ROWS_JSONL, Rows
from scenarios.spec import Scenario

__all__ = ["KEEP", "ROWS_JSONL", "TRACE_MESSAGES", "SweepSummary", "parse_seeds", "run_seed", "scenario_key", "sweep"]

SWEEP_JSON = "sweep.json"
KEEP = ("failing", "all")
_FAILING = ("illegal", "unknown")  # row verdicts a sweep reports; ok and not-exercised are not failures
TRACE_MESSAGES = ("failing", "all", "none")
MAX_JOBS = 256  # a typo (-j 1000) must not fork a thousand simulators


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


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _with_trace(scen: Scenario, trace_messages: bool) -> Scenario:
    return Scenario(scen.name, {**dict(scen.params), "trace_messages": trace_messages})


def scenario_key(scen: Scenario) -> str:
    """The repr a recorded row must match to be reused: ``trace_messages`` aside (it never changes a history)."""
    return repr(Scenario(scen.name, {k: v for k, v in scen.params.items() if k != "trace_messages"}))


def run_seed(scenario_repr: str, seed: int, out_dir: str, keep: str = "all", trace_failing: bool = False
             ) -> dict[str, Any]:
    """Run and check one seed into ``out_dir/seed-<n>``; returns a JSON-able row. Never raises.

    With ``keep="failing"`` the run directory of an ok seed is deleted before returning. With
    ``trace_failing`` a not-ok seed run without message tracing runs again with it into the same directory;
    its history must be byte-identical (else the row is unknown, checker ``determinism``).
    """
    from checkers import check_run
    from scenarios.plugins import modules
    from scenarios.runner import code_version, run

    t0 = time.perf_counter()  # det-ok: sweep wall time, reported, never in a run
    root = Path(out_dir) / f"seed-{seed}"
    name = scenario_repr.split("'")[1] if scenario_repr.count("'") >= 2 else "?"
    try:
        scen = Scenario.from_repr(scenario_repr)
        shutil.rmtree(root, ignore_errors=True)
        rd = run(scen, seed, root)
        verdict, results = check_run(rd.root)
        failing = [r.checker for r in results if r.verdict.is_failure]
        row: dict[str, Any] = {
            "seed": seed, "verdict": verdict.value, "trace_sha256": rd.trace_sha256,
            "history_sha256": _sha256(rd.files.history), "failing": failing,
            "summaries": {r.checker: r.summary for r in results if r.verdict.is_failure},
            "replay": rd.replay, "code_version": code_version(),
            "trace_messages": bool(scen.p.trace_messages), "kept": True}
        if not verdict.is_failure:  # ok (or, with --allow-empty, nothing exercised): not kept
            if keep == "failing":
                shutil.rmtree(root, ignore_errors=True)
                row["kept"] = False
        elif trace_failing and not row["trace_messages"]:
            shutil.rmtree(root, ignore_errors=True)
            full = run(_with_trace(scen, True), seed, root)
            verdict2, results2 = check_run(full.root)
            same = (_sha256(full.files.history) == row["history_sha256"] and verdict2 == verdict
                    and [r.checker for r in results2 if r.verdict.is_failure] == failing)
            row.update(replay=full.replay, trace_messages=True, trace_sha256=full.trace_sha256)
            if not same:
                row["verdict"] = "unknown"
                row["failing"] = [*failing, "determinism"]
                row["summaries"]["determinism"] = ("history or verdicts differ when messages are traced: "
                                                   "a determinism bug (the directory holds the traced run)")
        row["wall_s"] = round(time.perf_counter() - t0, 3)  # det-ok: sweep wall time, reported, never in a run
        return row
    except Exception as e:  # a crash of the harness on one seed is a result, not the end of the sweep
        return {"seed": seed, "verdict": "unknown", "trace_sha256": None, "failing": ["harness"],
                "summaries": {"harness": f"{type(e).__name__}: {e}"}, "wall_s": round(time.perf_counter() - t0, 3),  # det-ok: sweep wall time, reported, never in a run
                "replay": f"raftsim run {name} --seed {seed}" + "".join(f" --plugin {m}" for m in modules()),
                "kept": root.is_dir(), "code_version": code_version()}


def _dir_row(root: Path, seed: int) -> tuple[dict[str, Any], str, str | None] | None:
    """A row from a complete ``seed-<n>`` directory (sweeps made before rows.jsonl), with its key and code."""
    files = RunFiles(root / f"seed-{seed}")
    res, meta = files.result, files.run_json
    if not (res.is_file() and meta.is_file()):
        return None
    try:
        doc = json.loads(res.read_text())
        run = json.loads(meta.read_text())
        failing = sorted(k for k, v in doc["checkers"].items() if v["verdict"] in _FAILING)
        key = scenario_key(Scenario.from_repr(run["scenario_repr"]))
        row = {"seed": seed, "verdict": doc["valid"], "trace_sha256": run.get("trace_sha256"), "failing": failing,
               "summaries": {k: doc["checkers"][k].get("summary", "") for k in failing}, "wall_s": 0.0,
               "replay": run.get("replay", ""), "kept": True,
               "trace_messages": bool(run.get("params", {}).get("trace_messages", True))}
        return row, key, run.get("code_version")
    except (ValueError, KeyError, TypeError, AttributeError, ConfigError, RecursionError):
        return None


def _differs(here: str, recorded: str) -> str:
    try:
        a, b = Scenario.from_repr(here), Scenario.from_repr(recorded)
    except ConfigError:
        return "an unreadable scenario"
    if a.name != b.name:
        return f"scenario {b.name}"
    keys = sorted(set(a.params) | set(b.params))
    diff = [f"{k}={b.params.get(k)!r} (now {a.params.get(k)!r})" for k in keys if a.params.get(k) != b.params.get(k)]
    return ", ".join(diff[:3]) + (", ..." if len(diff) > 3 else "")


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
        return 1 if c.get("illegal") else 2 if c.get("unknown") or c.get("not-exercised") else 0

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
          report: bool = False, keep: str = "failing", trace_messages: str = "failing",
          worker: Callable[..., dict[str, Any]] | None = None) -> SweepSummary:
    """Run ``scenario`` for each seed; print a progress bar, a summary table and replay lines.

    Args: ``keep`` is ``failing`` (delete an ok seed's directory) or ``all``; ``trace_messages`` is
    ``failing`` (trace messages only in the re-run of a not-ok seed), ``all`` or ``none``; the scenario's own
    ``trace_messages`` parameter is replaced by this choice. ``worker`` replaces ``run_seed`` (same arguments,
    a row with at least seed, verdict, failing and replay; a top-level function, so processes can run it),
    e.g. an experiment that measures each seed instead of checking it (scenarios/figure16.py).
    Raises: ConfigError for bad options, or when the sweep directory holds rows of another scenario.
    """
    from scenarios.plugins import modules, with_plugins
    from scenarios.runner import code_version

    seeds = list(seeds)
    plugins = modules()
    if plugins:  # each worker process imports the user's plugin modules before its first seed
        worker = functools.partial(with_plugins, plugins, worker or run_seed)
    if not 1 <= jobs <= MAX_JOBS:
        raise ConfigError(f"-j {jobs}: expected 1..{MAX_JOBS} worker processes")
    if executor not in ("local", "dask"):
        raise ConfigError(f"--executor {executor!r}: local or dask")
    if scheduler and executor != "dask":
        raise ConfigError("--scheduler goes with --executor dask")
    if keep not in KEEP:
        raise ConfigError(f"--keep {keep!r}: {' or '.join(KEEP)}")
    if trace_messages not in TRACE_MESSAGES:
        raise ConfigError(f"--trace-messages {trace_messages!r}: {', '.join(TRACE_MESSAGES)}")
    scenario = _with_trace(scenario, trace_messages == "all")
    key, code = scenario_key(scenario), code_version()
    root = out_dir or Path("runs") / f"sweep-{scenario.name}"
    made = [d for d in (root, *root.parents) if not d.exists()]  # what mkdir creates, innermost first
    had_rows = (root / ROWS_JSONL).exists()
    root.mkdir(parents=True, exist_ok=True)
    rows = Rows(root / ROWS_JSONL)
    try:
        summary, todo, stale = _resume(root, rows, seeds, scenario, key, code)
        _run_todo(summary, todo, root, rows, key, scenario, jobs=jobs, executor=executor, scheduler=scheduler,
                  progress=progress, keep=keep, trace_failing=trace_messages == "failing", stale=stale,
                  worker=worker or run_seed)
    except Interrupted as e:
        raise Interrupted(e.done, e.total, str(root / ROWS_JSONL)) from None
    except BaseException:
        if rows.appended == 0:  # failed before its first seed: leave nothing behind
            rows.close()
            _remove_unused(root / ROWS_JSONL if not had_rows else None, made)
        raise
    finally:
        rows.close()
    doc = summary.to_json()
    doc.update(scenario_repr=key, code_version=code, keep=keep, trace_messages=trace_messages)
    (root / SWEEP_JSON).write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n")
    from rich.console import Console

    console = Console(stderr=True)
    _print_summary(summary, console)
    if report:
        from reports import render_sweep

        console.print(f"sweep report: {render_sweep(root)}")
    return summary


def _remove_unused(rows_file: Path | None, made: list[Path]) -> None:
    """Remove an empty rows.jsonl we created, then the directories we created while they are empty."""
    if rows_file is not None and rows_file.is_file() and rows_file.stat().st_size == 0:
        rows_file.unlink()
    for d in made:
        try:
            d.rmdir()
        except OSError:  # not empty (or not ours to remove): keep it and everything above it
            break


def _resume(root: Path, rows: Rows, seeds: list[int], scenario: Scenario, key: str, code: str
            ) -> tuple[SweepSummary, list[int], int]:
    """Rows to reuse, seeds to run, and how many seeds were recorded under another code version."""
    wanted = set(seeds)
    latest: dict[int, dict[str, Any]] = {}
    stale: set[int] = set()
    for rec in rows.records:
        if rec.get("scenario_repr") != key:
            raise ConfigError(f"{root} holds seeds of another scenario ({_differs(key, str(rec.get('scenario_repr')))}); "
                              "sweep into another --out, or remove that directory")
        seed = rec["row"]["seed"]
        if rec.get("code_version") == code:
            latest[seed] = rec["row"]
            stale.discard(seed)
        elif seed not in latest:
            stale.add(seed)
    summary = SweepSummary(scenario.name)
    todo: list[int] = []
    for s in seeds:
        row = latest.get(s)
        if row is None and s not in stale:
            found = _dir_row(root, s)
            if found is not None:
                row, dkey, dcode = found
                if dkey != key:
                    raise ConfigError(f"{root}/seed-{s} is a run of another scenario ({_differs(key, dkey)}); "
                                      "sweep into another --out, or remove that directory")
                if dcode == code:
                    row["code_version"] = code
                    rows.append(key, row)
                else:
                    stale.add(s)
                    row = None
        if row is None:
            todo.append(s)
        else:
            summary.rows.append({**row, "resumed": True})
    return summary, todo, len(stale & wanted)


def _run_todo(summary: SweepSummary, todo: list[int], root: Path, rows: Rows, key: str, scenario: Scenario, *,
              jobs: int, executor: str, scheduler: str | None, progress: bool, keep: str, trace_failing: bool,
              stale: int, worker: Callable[..., dict[str, Any]] = run_seed) -> None:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    console = Console(stderr=True)
    if stale:
        console.print(f"{stale} seed(s) were recorded under another code version: running them again")
    t0 = time.perf_counter()  # det-ok: sweep wall time, reported, never in a run
    args = [(repr(scenario), s, str(root), keep, trace_failing) for s in todo]
    dask = _Dask(scheduler, jobs) if executor == "dask" and todo else None  # connect before drawing progress
    bar = Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                   TextColumn("{task.fields[bad]} failing"), TimeRemainingColumn(), console=console,
                   disable=not progress or not todo)
    with bar:
        task = bar.add_task(f"sweep {scenario.name}", total=len(todo), bad=0)
        bad = 0

        def done(row: dict[str, Any]) -> None:
            nonlocal bad
            rows.append(key, row)  # durable before it counts: a killed sweep resumes from here
            summary.rows.append(row)
            bad += row["verdict"] in _FAILING
            bar.update(task, advance=1, bad=bad)

        if dask is not None:
            try:
                dask.map(worker, args, done)
            finally:
                dask.close()
        elif jobs == 1 or len(args) <= 1:
            for i, a in enumerate(args):
                try:
                    row = worker(*a)
                except KeyboardInterrupt:  # Ctrl-C during a seed in this process: the rows so far are kept
                    raise Interrupted(i, len(args)) from None
                done(row)
        else:
            run_local(worker, args, jobs, done)
    summary.wall_s = time.perf_counter() - t0  # det-ok: sweep wall time, reported, never in a run


def _print_summary(summary: SweepSummary, console: Any) -> None:
    from rich.table import Table

    c = summary.counts
    ran = [r for r in summary.rows if not r.get("resumed")]
    t = Table(title=f"sweep {summary.scenario}: {len(summary.rows)} seeds")
    verdicts = ["ok", "illegal", "unknown"] + (["not-exercised"] if c.get("not-exercised") else [])
    for col in [v.replace("-", " ") for v in verdicts] + ["seeds run now", "wall s", "seeds/hour"]:
        t.add_column(col, justify="right")
    rate = len(ran) / summary.wall_s * 3600 if summary.wall_s > 0 and ran else 0.0
    t.add_row(*[str(c.get(v, 0)) for v in verdicts], str(len(ran)), f"{summary.wall_s:.1f}", f"{rate:,.0f}")
    console.print(t)
    by_checker: Counter[str] = Counter()
    for r in summary.rows:
        by_checker.update(r["failing"])
    if by_checker:
        console.print("failures by checker: " + ", ".join(f"{k}={v}" for k, v in sorted(by_checker.items())))
    for r in sorted(summary.rows, key=lambda r: r["seed"]):
        if r["verdict"] in _FAILING:
            why = "; ".join(f"{k}: {v}" for k, v in sorted(r.get("summaries", {}).items()))
            sys.stdout.write(f"{r['verdict']}: {r['replay']}    # {why[:160]}\n")
