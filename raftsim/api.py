"""The public functions: ``run``, ``check``, ``sweep``, ``replay``, and ``RunResult`` (what run and check return).

Rules:
- Thin wrappers over scenarios/ and checkers/: they add no behaviour of their own, so the CLI, the pytest
  plugin and a user's script judge a run the same way.
- ``RunResult.to_json`` is the document ``raftsim run|check --json`` prints; ``explain`` is the text a
  failing test shows (verdicts, the counterexample summary, the run directory, the replay line).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from checkers.result import CheckResult, Verdict
    from scenarios.spec import Scenario
    from scenarios.sweep import SweepSummary

__all__ = ["RunResult", "check", "replay", "run", "sweep"]


@dataclass(frozen=True, slots=True, kw_only=True)
class RunResult:
    """One checked run: where it is, how to reproduce it, and each checker's verdict."""

    run_dir: Path
    scenario: str
    seed: int | None
    trace_sha256: str
    replay: str
    verdict: "Verdict | None"  # None: run with check=False
    results: "tuple[CheckResult, ...]" = ()
    exercised: str = ""

    @property
    def ok(self) -> bool:
        """True unless a checker said illegal or unknown (not-exercised alone is not a failure)."""
        return self.verdict is None or not self.verdict.is_failure

    @property
    def exit_code(self) -> int:
        """The CLI's: 0 valid, 1 invalid, 2 unknown."""
        return 0 if self.verdict is None else self.verdict.exit_code

    def failures(self) -> "list[CheckResult]":
        """The results that are illegal or unknown."""
        return [r for r in self.results if r.verdict.is_failure]

    def counterexample(self) -> str:
        """The failing checkers' counterexamples, one sentence each ("checker: sentence; ..."), or ""."""
        from checkers.sentence import sentence

        return "; ".join(f"{r.checker}: {sentence(r)}" for r in self.failures())

    def explain(self) -> str:
        """Verdicts, the counterexample summary, the run directory and the replay line, one per line."""
        lines = [f"verdict: {self.verdict.value if self.verdict else 'not checked'}"
                 + (f" ({self.exercised})" if self.exercised else "")]
        lines += [f"  {r.checker}: {r.verdict.value}: {r.summary}" for r in self.results]
        if self.failures():
            lines.append(f"counterexample: {self.counterexample()}")
        lines += [f"run directory: {self.run_dir}", f"replay: {self.replay}"]
        return "\n".join(lines)

    def to_json(self) -> dict[str, Any]:
        """The ``--json`` document: verdicts, counts, replay line, paths."""
        counts: dict[str, int] = {}
        for r in self.results:
            counts[r.verdict.value] = counts.get(r.verdict.value, 0) + 1
        return {
            "scenario": self.scenario, "seed": self.seed, "verdict": self.verdict.value if self.verdict else None,
            "exit_code": self.exit_code, "counts": dict(sorted(counts.items())),
            "checkers": [{"checker": r.checker, "verdict": r.verdict.value, "summary": r.summary}
                         for r in self.results],
            "counterexample": self.counterexample(), "exercised": self.exercised,
            "replay": self.replay, "trace_sha256": self.trace_sha256,
            "paths": {"run_dir": str(self.run_dir), "run_json": str(self.run_dir / "run.json"),
                      "result_json": str(self.run_dir / "result.json")},
        }


def _scenario(scenario: "Scenario | str", set: Mapping[str, Any] | None) -> "Scenario":
    from scenarios.spec import Scenario

    if isinstance(scenario, Scenario):
        return Scenario.create(scenario.name, {**scenario.params, **(set or {})}) if set else scenario
    return Scenario.create(scenario, set)


def run(scenario: "Scenario | str", seed: int, out: Path | str | None = None, *,
        set: Mapping[str, Any] | None = None, check: bool = True) -> RunResult:
    """Simulate ``scenario`` with ``seed`` into ``out`` (default ``runs/<name>-seed<N>``), then check it.

    Args:
        scenario: a ``Scenario`` or a scenario name (the catalog's or a plugin's).
        seed: the run's seed; the run is a pure function of (scenario, seed, code version).
        out: the run directory; an earlier run there is replaced, anything else is refused.
        set: parameter overrides (``{"duration_s": 2.0}``), checked against the declared ranges.
        check: run the checkers (built-in and registered) and write result.json.
    Raises:
        ConfigError: an unknown scenario or parameter, a value out of range, an unusable ``out``.
    """
    from scenarios.runner import run as _run

    scen = _scenario(scenario, set)
    rd = _run(scen, seed, Path(out) if out is not None else None)
    if not check:
        return RunResult(run_dir=rd.root, scenario=scen.name, seed=seed, trace_sha256=rd.trace_sha256,
                         replay=rd.replay, verdict=None)
    return _check(rd.root)


def check(run_dir: Path | str) -> RunResult:
    """Run every applicable checker on a run directory (loading the plugins its run.json names).

    Raises:
        CheckerError: the directory or one of its run.json/history.jsonl/trace.jsonl is missing.
    """
    return _check(Path(run_dir))


def _check(root: Path) -> RunResult:
    from checkers.run import check_run, exercised
    from checkers.rundir import RunFiles
    from scenarios.plugins import load

    try:
        meta = RunFiles(root).meta()
    except Exception:  # noqa: BLE001 - a bad run.json is the integrity checker's to report
        meta = {}
    plugins = meta.get("plugins")
    if isinstance(plugins, list):
        load(plugins)
    verdict, results = check_run(root)
    seed = meta.get("seed")
    return RunResult(run_dir=root, scenario=str(meta.get("scenario", "?")),
                     seed=seed if isinstance(seed, int) else None, trace_sha256=str(meta.get("trace_sha256", "")),
                     replay=str(meta.get("replay", "")), verdict=verdict, results=tuple(results),
                     exercised=str(exercised(root)))


def sweep(scenario: "Scenario | str", seeds: Iterable[int] | str, out: Path | str | None = None, *,
          set: Mapping[str, Any] | None = None, jobs: int = 2, executor: str = "local",
          scheduler: str | None = None, keep: str = "failing", progress: bool = False) -> "SweepSummary":
    """Run and check ``scenario`` for each seed (``"1..200"`` or an iterable) in ``jobs`` processes.

    ``executor="dask"`` runs the seeds on a dask cluster (a LocalCluster unless ``scheduler`` is given);
    plugin modules are imported in every worker first. Returns the summary (rows, counts, ``exit_code``).
    """
    from scenarios.sweep import parse_seeds
    from scenarios.sweep import sweep as _sweep

    scen = _scenario(scenario, set)
    seed_list = parse_seeds(seeds) if isinstance(seeds, str) else list(seeds)
    return _sweep(scen, seed_list, out_dir=Path(out) if out is not None else None, jobs=jobs,
                  executor=executor, scheduler=scheduler, progress=progress, keep=keep)


def replay(run_dir: Path | str) -> tuple[bool, str]:
    """Re-run a run directory from its run.json; returns (trace SHA-256 confirmed, a report)."""
    from scenarios.runner import replay as _replay

    return _replay(Path(run_dir))
