"""check_run: every applicable checker on one run directory, timed, into result.json.

Rules:
- Inputs: run.json, history.jsonl, trace.jsonl (checkers/rundir.py). A missing directory or missing input
  file raises ``CheckerError`` with a one-line message (the CLI exits 2); bad *content* never raises: the
  checker concerned answers UNKNOWN naming the line.
- Before judging, the files are matched against run.json (checkers/integrity.py: trace SHA-256, history
  length): a trace or history cut short or edited still gets judged, but an ``integrity`` result says
  UNKNOWN, so an incomplete input never passes as OK (a checker that scans only some event kinds cannot
  notice a missing tail).
  A run the simulator stopped at its event limit (run.json ``cut_short``) is incomplete too: UNKNOWN.
- Checkers run in a fixed order; each history checker that finds none of its ops answers NOT_EXERCISED
  with ``details.skipped`` (never OK: it judged nothing). ``verdict_line`` counts the checkers that judged,
  and ``exercised`` the faults injected and ops issued, so a run that tested little says so.
- The linearizability checker (checkers/linearizable.py) is imported lazily and left out, with a note in
  the log lines, while that module is absent.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from checkers.integrity import integrity
from checkers.result import CheckerError, CheckResult, Verdict, write_result
from checkers.rundir import RunFiles

__all__ = ["Exercised", "check_run", "default_checkers", "exercised", "summary_lines", "verdict_line"]


def default_checkers() -> list[Any]:
    """The standard checker set, in report order."""
    from checkers.api import ApiChecker
    from checkers.durability import DurabilityChecker
    from checkers.liveness import LivenessChecker
    from checkers.lock import LockChecker
    from checkers.once import ExactlyOnceChecker
    from checkers.queue import QueueChecker
    from checkers.raft_safety import RaftSafetyChecker
    from checkers.ttl import TTLChecker
    from checkers.watch import WatchChecker

    out: list[Any] = []
    try:
        from checkers.linearizable import LinearizabilityChecker  # owned elsewhere; may not exist yet
    except ImportError:
        pass
    else:
        out.append(LinearizabilityChecker())
    out += [RaftSafetyChecker(), DurabilityChecker(), ExactlyOnceChecker(), WatchChecker(), LockChecker(),
            QueueChecker(), TTLChecker(), ApiChecker(), LivenessChecker()]
    return out


def check_run(run_dir: Path | str, checkers: list[Any] | None = None) -> tuple[Verdict, list[CheckResult]]:
    """Run ``checkers`` (default: ``default_checkers()`` and the registered ones for the run's workload) on a run directory and write its result.json.

    Returns (overall verdict, results in checker order).
    Raises CheckerError (one line) if the directory or one of run.json/history.jsonl/trace.jsonl is missing.
    """
    root = Path(run_dir)
    if not root.is_dir():
        raise CheckerError(f"{root}: no such run directory")
    run = RunFiles(root)
    missing = run.missing()
    if missing:
        raise CheckerError(f"{root}: missing {', '.join(missing)}")
    results: list[CheckResult] = []
    broken = integrity(run)
    if broken is not None:
        results.append(broken)
    if checkers is None:
        checkers = default_checkers() + _registered_for(run)
    for ch in checkers:
        name = getattr(ch, "name", type(ch).__name__)
        t0 = time.perf_counter()
        try:
            res = ch.check(run)
        except Exception as e:  # a checker must not take the others down; its verdict is unknown
            res = CheckResult(checker=name, verdict=Verdict.UNKNOWN, summary=f"checker error: {type(e).__name__}: {e}")
        elapsed = time.perf_counter() - t0
        results.append(CheckResult(checker=res.checker or name, verdict=res.verdict, summary=res.summary,
                                   details=res.details, elapsed_s=elapsed))
    overall = write_result(run.result, results)
    return overall, results


def _registered_for(run: RunFiles) -> list[Any]:
    """The user's registered checkers (checkers/registry.py) whose workload is this run's."""
    from checkers.registry import applicable

    try:
        workload = (run.meta().get("params") or {}).get("workload")
    except Exception:  # noqa: BLE001 - a bad run.json is integrity's to report; the plugins judge every run
        workload = None
    return applicable(workload if isinstance(workload, str) else None)


def summary_lines(results: list[CheckResult]) -> list[str]:
    """One line per checker for the CLI: ``name  verdict  summary  (elapsed)``."""
    width = max((len(r.checker) for r in results), default=0)
    return [f"{r.checker:<{width}}  {r.verdict.label:<13}  {r.summary}  ({r.elapsed_s:.3f}s)" for r in results]


_REPAIRS = frozenset({"heal", "restart", "resume"})


@dataclass(frozen=True, slots=True)
class Exercised:
    """What a run put the system through: faults injected in its fault phase, client ops invoked."""

    faults: int | None  # None: the trace or run.json could not say
    ops: int | None

    def __str__(self) -> str:
        def n(x: int | None, what: str) -> str:
            return f"? {what}s" if x is None else f"{x} {what}" + ("" if x == 1 else "s")

        return f"{n(self.faults, 'fault')}, {n(self.ops, 'op')} exercised"


def exercised(run_dir: Path | str) -> Exercised:
    """Count the faults (trace ``fault`` records in the fault phase, repairs and the scenario's own link
    settings aside) and the client ops (history invocations) of a run directory. Never raises."""
    from checkers.history import OpType
    from checkers.liveness import run_trace_records
    from checkers.vocab import load_history

    run = RunFiles(Path(run_dir))
    faults: int | None = None
    ops: int | None = None
    try:
        meta = run.meta()
        phases, params = meta.get("phases") or {}, meta.get("params") or {}
        lo, hi = phases.get("fault_start_ns", 0), phases.get("fault_end_ns")
        base = {k: params.get(k, 0.0) for k in ("loss", "dup", "reorder")}
        kinds: Counter[str] = Counter()
        for r in run_trace_records(run):
            if r.get("kind") != "fault" or r.get("name") in _REPAIRS or not lo <= r["t"] < (hi or r["t"] + 1):
                continue
            if r.get("name") == "link-faults" and r.get("src") is None and r.get("dst") is None and \
                    r.get("latency") is None and all(r.get(k) == v for k, v in base.items()):
                continue  # back to the scenario's own link settings: the end of a burst, not a fault
            kinds[str(r.get("name"))] += 1
        faults = sum(kinds.values())
    except Exception:  # noqa: BLE001 - a bad trace or run.json is the checkers' to report; here: unknown
        faults = None
    loaded = load_history(run, "exercised")
    if isinstance(loaded, list):
        ops = sum(1 for op in loaded if op.type is OpType.INVOKE)
    return Exercised(faults, ops)


def verdict_line(verdict: Verdict, results: list[CheckResult], done: Exercised | None = None) -> str:
    """``verdict: ok (7 checkers ok, 3 not exercised; 12 faults, 850 ops exercised)``."""
    by = Counter(r.verdict for r in results)
    parts = [f"{by[v]} {v.label}" for v in (Verdict.OK, Verdict.ILLEGAL, Verdict.UNKNOWN, Verdict.NOT_EXERCISED)
             if by[v]]
    if parts:  # "7 checkers ok, 3 not exercised"
        n, rest = parts[0].split(" ", 1)
        parts[0] = f"{n} checker{'' if n == '1' else 's'} {rest}"
    counts = ", ".join(parts) if parts else "no checkers"
    return f"verdict: {verdict.label} ({counts}" + (f"; {done}" if done is not None else "") + ")"
