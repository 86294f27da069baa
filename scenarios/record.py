"""Record a run: simulate a scenario at a seed and write its run directory (run.json, history.jsonl,
trace.jsonl) through checkers/rundir.py, which owns the file names, RunMeta and the atomic write.

Rules:
- A run is a pure function of (scenario, seed, code version): the trace's SHA-256 names it.
- Only an earlier run directory (or an empty one) is replaced: a file, or a directory holding anything
  else, is a ConfigError before the run starts (never lost data).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import checkers.rundir as rundir
from checkers.history import HistoryWriter
from checkers.rundir import RunFiles
from scenarios.cluster import MS, Cluster, S
from scenarios.errors import ConfigError
from scenarios.execution import WARMUP_NS, simulate
from scenarios.spec import Scenario
from scenarios.version import code_version

__all__ = ["RunDir", "check_replaceable", "run", "run_meta"]


@dataclass(frozen=True)
class RunDir:
    root: Path
    trace_sha256: str
    replay: str
    meta: dict[str, Any]

    @property
    def files(self) -> RunFiles:
        return RunFiles(self.root)


def check_replaceable(out: Path) -> None:
    """Raise ConfigError unless ``out`` is absent, an empty directory or an earlier run directory."""
    try:
        rundir.check_replaceable(out)
    except rundir.RunDirError as e:
        raise ConfigError(str(e)) from None


def run_meta(scenario: Scenario, seed: int, cluster: Cluster, history: HistoryWriter,
             drawn: dict[str, Any] | None = None) -> rundir.RunMeta:
    """The run.json of a finished simulation (``scenario`` as run: drawn values resolved, ``drawn`` them)."""
    tw = cluster.world.trace_writer
    from scenarios.plugins import modules

    plugins = list(modules())
    sets = (scenario.cli_args() + "".join(f" --plugin {m}" for m in plugins)).strip()
    p = cluster.params
    cut = cluster.world.cut_short
    return rundir.RunMeta(
        scenario=scenario.name,
        params=dict(scenario.params),
        scenario_repr=repr(scenario),
        nemesis=repr(cluster.plan.nemesis),
        seed=seed,
        code_version=code_version(),
        trace_sha256=tw.sha256,
        trace_events=tw.count,
        replay=f"raftsim run {scenario.name} --seed {seed}" + (f" {sets}" if sets else ""),
        nodes=cluster.all_nodes,
        clients=p.clients,
        duration_ns=cluster.world.now_ns,
        phases={"fault_start_ns": WARMUP_NS, "fault_end_ns": WARMUP_NS + int(p.duration_s * S),
                "recover_end_ns": WARMUP_NS + int((p.duration_s + p.recover_s) * S)},
        timing={
            "tick_ns": p.tick_ms * MS,
            "heartbeat_ns": p.heartbeat_ticks * p.tick_ms * MS,
            "election_timeout_ns": p.election_ticks * p.tick_ms * MS,
            "latency_mean_ns": int(p.latency_ms * MS),
            "client_timeout_ns": p.client_timeout_ms * MS,
            "ttl_ns": p.ttl_s * S,
        },
        stats={"history_events": len(history.lines)},
        cut_short=None if cut is None else {**cut, "limit": cluster.world.max_events},
        plugins=plugins or None,
        drawn=drawn or None,
    )


def run(scenario: Scenario, seed: int, out_dir: Path | None = None) -> RunDir:
    """Run ``scenario`` with ``seed`` into ``out_dir`` (default ``runs/<name>-seed<seed>``), replacing an
    earlier run there (see ``checkers.rundir.check_replaceable``)."""
    out = Path(out_dir) if out_dir is not None else Path("runs") / f"{scenario.name}-seed{seed}"
    check_replaceable(out)
    as_run = scenario.for_seed(seed)
    drawn = {k: v for k, v in sorted(as_run.params.items()) if scenario.params.get(k) != v}
    cluster, history = simulate(as_run, seed)
    meta = run_meta(as_run, seed, cluster, history, drawn)
    rundir.write_run_dir(out, meta, cluster.world.trace_writer.write_to, history.write_to)
    return RunDir(out, meta.trace_sha256, meta.replay, meta.to_json())
