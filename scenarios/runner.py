"""The runner: scenario + seed -> a run directory (run.json, history.jsonl, trace.jsonl).

Split by role (docs/architecture.md, "scenarios/"): cluster.py wires the cluster, execution.py drives the plan
under the livelock limit, record.py writes the run directory (through checkers/rundir.py), determinism.py
diagnoses nondeterminism, replay.py re-runs a run directory, version.py names the code. This module
re-exports their public names so callers keep ``from scenarios.runner import run``.
"""

from __future__ import annotations

from scenarios.cluster import Cluster, ClusterView
from scenarios.determinism import DeterminismReport, check_determinism, trace_component
from scenarios.execution import EVENT_LIMIT_FACTOR, WARMUP_NS, build, event_limit, simulate, trace_lines
from scenarios.record import RunDir, check_replaceable, run, run_meta
from scenarios.replay import replay
from scenarios.version import code_version

_simulate = simulate  # the name bench/sim_speed.py imports

__all__ = ["EVENT_LIMIT_FACTOR", "WARMUP_NS", "Cluster", "ClusterView", "DeterminismReport", "RunDir", "build",
           "check_determinism", "check_replaceable", "code_version", "event_limit", "replay", "run", "run_meta",
           "simulate", "trace_component", "trace_lines"]
