"""Replay: re-run a run directory's scenario and seed and confirm the trace SHA-256 run.json recorded."""

from __future__ import annotations

from pathlib import Path

import checkers.rundir as rundir
from scenarios.execution import trace_lines
from scenarios.spec import Scenario
from scenarios.version import code_version

__all__ = ["replay"]


def replay(run_dir: Path) -> tuple[bool, str]:
    """Re-run a run directory's scenario and seed; confirm the trace SHA-256 matches run.json."""
    from scenarios.plugins import load

    meta = rundir.read_run_meta(Path(run_dir) / rundir.RUN_JSON)
    load(meta.plugins or ())  # the user's scenario, workload and checkers, as recorded
    scen, seed, want = Scenario.from_repr(meta.scenario_repr), meta.seed, meta.trace_sha256
    got, _ = trace_lines(scen, seed)
    ok = got == want
    text = f"recorded: {want}\nreplayed: {got}\n" + ("trace hash confirmed" if ok else "TRACE HASH DIFFERS")
    if meta.code_version != code_version():
        text += f"\n(note: code version changed: run {meta.code_version}, now {code_version()})"
    return ok, text
