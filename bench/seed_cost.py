"""What one seed of each catalog scenario costs: run seconds, check seconds, and the slowest checker.

Usage: python bench/seed_cost.py [SCENARIO ...] [--seed N] [--set KEY=VALUE ...] [--csv FILE]

Default: every catalog scenario except ``zoo-*`` and ``scripted``, seed 1. Each scenario runs in this
process (``scenarios.runner.run``, then ``checkers.check_run``) into a temporary directory that is removed
afterwards. Prints one line per scenario (CPU seconds too: less sensitive to a busy machine) and the totals;
``--csv`` also writes them, so two checkouts can be compared side by side (``paste a.csv b.csv``).
A sweep of N seeds costs about N times the total. Numbers only: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path


def main() -> int:
    from checkers import check_run
    from scenarios.runner import run
    from scenarios.spec import Scenario, list_defs

    p = argparse.ArgumentParser()
    p.add_argument("scenarios", nargs="*")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    p.add_argument("--csv", type=Path)
    a = p.parse_args()
    names = a.scenarios or [d.name for d in list_defs() if not d.name.startswith("zoo-") and d.name != "scripted"]
    rows = []
    print(f"{'scenario':28s} {'run s':>7s} {'check s':>8s} {'cpu s':>7s}  slowest checker", flush=True)
    for name in names:
        scen = Scenario.parse_sets(name, a.set)
        tmp = Path(tempfile.mkdtemp(prefix="seed_cost-"))
        try:
            t0, c0 = time.perf_counter(), time.process_time()
            rd = run(scen, a.seed, tmp / "r")
            t1 = time.perf_counter()
            verdict, results = check_run(rd.root)
            t2, c2 = time.perf_counter(), time.process_time()
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        slow = max(results, key=lambda r: r.elapsed_s)
        rows.append((name, t1 - t0, t2 - t1, c2 - c0, verdict.value, f"{slow.checker} {slow.elapsed_s:.2f}"))
        print(f"{name:28s} {t1 - t0:7.2f} {t2 - t1:8.2f} {c2 - c0:7.2f}  {rows[-1][5]}  ({verdict.value})", flush=True)
    run_s, check_s, cpu_s = (sum(r[i] for r in rows) for i in (1, 2, 3))
    print(f"{'total':28s} {run_s:7.2f} {check_s:8.2f} {cpu_s:7.2f}")
    if a.csv:
        lines = ["scenario,run_s,check_s,cpu_s,verdict,slowest"]
        lines += [f"{n},{r:.3f},{c:.3f},{u:.3f},{v},{s}" for n, r, c, u, v, s in rows]
        a.csv.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
