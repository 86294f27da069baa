"""What starting a ``raftsim`` process costs: the CPU of its imports, each in a fresh interpreter.

Usage: python bench/startup.py [--repeat N]

Rows: a bare interpreter; the CLI module (``raftsim --help``, ``raftsim list``); everything ``raftsim run``
imports (the runner and every checker); ``check-history``'s checker; networkx alone (what a partition
nemesis adds on first use). Each row is the minimum CPU (user + system) over ``--repeat`` runs, with
bytecode cached (``-X pycache_prefix`` in a temporary directory, warmed first) and compiled every time
(``PYTHONDONTWRITEBYTECODE=1``, as in this machine's shell). Target: ``raftsim run``'s imports <= 0.15 s CPU.
Numbers only: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile

ROWS = [
    ("bare python", "pass"),
    ("raftsim CLI module", "import scenarios.cli"),
    ("raftsim run: runner + checkers", "import scenarios.runner, checkers.run; checkers.run.default_checkers()"),
    ("raftsim check-history", "import checkers.linearizable"),
    ("networkx (partition nemesis)", "import networkx"),
]


def _cpu(code: str, env: dict[str, str], extra: list[str], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run([sys.executable, *extra, "-c", code], check=True, env=env)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        best = min(best, after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    return best


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--repeat", type=int, default=7)
    args = p.parse_args()
    cached_env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    compiled_env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    print(f"{'imports':<34} {'cached s':>9} {'compiling s':>12}   (min CPU of {args.repeat})")
    with tempfile.TemporaryDirectory() as tmp:
        extra = ["-X", f"pycache_prefix={tmp}"]
        for name, code in ROWS:
            _cpu(code, cached_env, extra, 1)  # warm the bytecode cache
            cached = _cpu(code, cached_env, extra, args.repeat)
            compiling = _cpu(code, compiled_env, [], args.repeat)
            print(f"{name:<34} {cached:>9.3f} {compiling:>12.3f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
