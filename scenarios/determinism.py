"""Determinism diagnosis: run a scenario twice in-process and once in a subprocess under another
PYTHONHASHSEED, compare the traces, and name the component that wrote the first differing line.

Rules: a run is a pure function of (scenario, seed, code version); the subprocess imports this tree
(PYTHONPATH) and prints the trace hash then its lines.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from scenarios.errors import ConfigError
from scenarios.execution import trace_lines
from scenarios.spec import Scenario
from sim import trace as T

__all__ = ["DeterminismReport", "check_determinism", "trace_component"]


@dataclass(frozen=True)
class DeterminismReport:
    same: bool
    text: str


def trace_component(line: str) -> str:
    """Which component wrote a trace line: nemesis, network, raft node nX, kv member nX, client cX, ..."""
    try:
        rec = json.loads(line)
    except (ValueError, RecursionError):
        return "unknown (not JSON)"
    kind, node = str(rec.get("kind", "?")), rec.get("node")
    if kind in T.NEMESIS_KINDS:
        return f"nemesis ({kind}{' ' + str(node) if node else ''})"
    if kind in T.NETWORK_KINDS:
        return f"network ({kind} to {node}{', ' + str(rec['type']) if 'type' in rec else ''})"
    if kind == T.SEND:
        typ = str(rec.get("type", ""))
        if str(node).startswith("c"):
            return f"client {node} (send {typ})"
        if typ.startswith(("Client", "Admin")):
            return f"kv member {node} (send {typ})"
        return f"raft node {node} (send {typ})"
    if kind in T.RAFT_KINDS:
        return f"raft node {node} ({kind})"
    return f"{kind}{' on ' + str(node) if node else ''}"


def _first_difference(a: list[str], b: list[str]) -> str:
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            comp = trace_component(x)
            other = trace_component(y)
            where = comp if comp == other else f"{comp} / run 2: {other}"
            return (f"first difference at trace line {i + 1}:\n  run 1: {x.rstrip()}\n  run 2: {y.rstrip()}\n"
                    f"  component: {where}")
    if len(a) != len(b):
        return f"one trace is a prefix of the other ({len(a)} vs {len(b)} lines)"
    return "traces are identical"


def check_determinism(scenario: Scenario, seed: int, *, subprocess_check: bool = True) -> DeterminismReport:
    """Run twice in-process (and once in a subprocess with another PYTHONHASHSEED); compare traces."""
    h1, l1 = trace_lines(scenario, seed)
    h2, l2 = trace_lines(scenario, seed)
    lines = [f"run 1 (in-process):  {h1}", f"run 2 (in-process):  {h2}"]
    same = h1 == h2
    if not same:
        lines.append(_first_difference(l1, l2))
    if subprocess_check:
        h3, l3 = _subprocess_trace(scenario, seed)
        lines.append(f"run 3 (PYTHONHASHSEED=12345, subprocess): {h3}")
        if h3 != h1:
            same = False
            lines.append(_first_difference(l1, l3))
    lines.append("deterministic: yes" if same else "deterministic: NO")
    return DeterminismReport(same, "\n".join(lines))


def _subprocess_trace(scenario: Scenario, seed: int) -> tuple[str, list[str]]:
    code = (
        "import sys, json\n"
        "from scenarios.spec import Scenario\n"
        "from scenarios.runner import trace_lines\n"
        "h, lines = trace_lines(Scenario.from_repr(sys.argv[1]), int(sys.argv[2]))\n"
        "sys.stdout.write(h + '\\n' + ''.join(lines))\n"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    root = str(Path(__file__).resolve().parent.parent)
    env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "")
    out = subprocess.run([sys.executable, "-c", code, repr(scenario), str(seed)], capture_output=True, text=True,
                         env=env, check=False)
    if out.returncode != 0:
        raise ConfigError(f"determinism subprocess failed: {out.stderr.strip().splitlines()[-1:]}")
    first, _, rest = out.stdout.partition("\n")
    return first.strip(), rest.splitlines(keepends=True)
