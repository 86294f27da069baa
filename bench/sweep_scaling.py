"""Sweep throughput: seeds per hour with ``-j 1`` and ``-j 2``, and where the CPU goes (parent vs workers).

Usage: python bench/sweep_scaling.py [--seeds N] [--scenario NAME] [--set KEY=VALUE ...]

Default: partition-majority with 3 nodes, 5 clients, 30 s virtual, checks included (issue 20's row;
target >= 10,000 seeds/hour with -j 2 on two cores), 8 seeds per setting, each setting in a fresh sweep
directory. CPU seconds per seed (parent and workers, start-up included) are the stable figure on a busy machine: if
they are the same at -j 1 and -j 2 and the -j 2 parent's share is small, the sweep itself does not stop
scaling, and seeds/hour on an idle machine is about jobs * 3600 / (CPU s per seed).
Numbers only: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

_CHILD = """
import json, resource, sys, time
from pathlib import Path
from scenarios.spec import Scenario
from scenarios.sweep import sweep
name, sets, n, jobs, out = json.loads(sys.argv[1])
scen = Scenario.parse_sets(name, sets)
t0 = time.perf_counter()
s = sweep(scen, range(1, n + 1), out_dir=Path(out), jobs=jobs, progress=False)
wall = time.perf_counter() - t0
me = resource.getrusage(resource.RUSAGE_SELF)
kids = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"wall": wall, "parent": me.ru_utime + me.ru_stime, "workers": kids.ru_utime + kids.ru_stime,
                  "counts": dict(s.counts)}))
"""


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--seeds", type=int, default=8)
    p.add_argument("--scenario", default="partition-majority")
    p.add_argument("--set", action="append", default=None, metavar="KEY=VALUE")
    a = p.parse_args()
    sets = a.set if a.set is not None else ["nodes=3", "clients=5", "duration_s=30"]
    print(f"sweep {a.scenario} {' '.join(sets)}, {a.seeds} seeds per setting")
    print(f"{'jobs':>4} {'wall s':>7} {'seeds/h':>8} {'cpu s/seed':>10} {'parent cpu s':>12}  verdicts")
    for jobs in (1, 2):
        with tempfile.TemporaryDirectory() as tmp:
            arg = json.dumps([a.scenario, sets, a.seeds, jobs, str(Path(tmp) / "sweep")])
            out = subprocess.run([sys.executable, "-c", _CHILD, arg], capture_output=True, text=True, check=True)
        r = json.loads(out.stdout.strip().splitlines()[-1])
        per_seed = (r["parent"] + r["workers"]) / a.seeds  # -j 1 runs the seeds in the parent itself
        print(f"{jobs:>4} {r['wall']:>7.1f} {a.seeds / r['wall'] * 3600:>8,.0f} {per_seed:>10.2f} "
              f"{r['parent']:>12.2f}  {r['counts']}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
