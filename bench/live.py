"""Live vs simulated: ops/s, fault count and check time of one scenario run live (real processes) and simulated.

    sudo python bench/live.py                                   # partition-majority, 60 s, kvraft and etcd
    sudo python bench/live.py --scenario kill-leader-loop --systems etcd --duration-s 20

Figures, not assertions: a live run's numbers depend on the machine and its load (print the load average
next to them). Ops/s counts completed ops (ok, fail and info) in the history over the fault + recovery
phases; "check" is the checkers' wall time on the run directory; "faults" counts the trace's fault records.

Measured (2 shared cores, load 1.8; partition-majority seed 1, 60 s):
    run                ops    ops/s  faults  check s   wall s  verdict
    simulated        11450    176.2      31    1.529      5.4  ok
    live kvraft       8149    125.4      31    0.205     69.8  ok
    live etcd         9738    149.8      41    0.322     71.6  ok
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from checkers.run import check_run  # noqa: E402
from scenarios.live import missing_privileges, run_live  # noqa: E402
from scenarios.runner import run  # noqa: E402
from scenarios.spec import Scenario  # noqa: E402


def figures(root: Path, wall_s: float) -> dict[str, object]:
    meta = json.loads((root / "run.json").read_text())
    lines = (root / "history.jsonl").read_text().splitlines()
    done = sum(1 for line in lines if json.loads(line).get("type") in ("ok", "fail", "info"))
    ph = meta["phases"]
    span_s = (ph["recover_end_ns"] - ph["fault_start_ns"]) / 1e9
    faults = sum(1 for line in (root / "trace.jsonl").read_text().splitlines() if '"kind":"fault"' in line)
    t = time.perf_counter()
    verdict, _ = check_run(root)
    return {"ops": done, "ops_per_s": done / span_s if span_s else 0.0, "faults": faults,
            "check_s": time.perf_counter() - t, "verdict": verdict.value, "wall_s": wall_s}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scenario", default="partition-majority")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--duration-s", type=float, default=60.0)
    ap.add_argument("--systems", default="kvraft,etcd")
    args = ap.parse_args()
    scen = Scenario.parse_sets(args.scenario, [f"duration_s={args.duration_s}"])
    tmp = Path(tempfile.mkdtemp(prefix="bench-live-"))
    rows = []
    try:
        t = time.perf_counter()
        run(scen, args.seed, tmp / "sim")
        rows.append(("simulated", figures(tmp / "sim", time.perf_counter() - t)))
        for system in args.systems.split(","):
            missing = missing_privileges(system, "etcd")
            if missing:
                print(f"{system}: skipped ({missing})")
                continue
            t = time.perf_counter()
            run_live(scen, args.seed, system=system, etcd_bin="etcd", out=tmp / system)
            rows.append((f"live {system}", figures(tmp / system, time.perf_counter() - t)))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"{args.scenario} seed {args.seed}, {args.duration_s:.0f} s of faults; load average {os.getloadavg()[0]:.1f}")
    print(f"{'run':<14}{'ops':>8}{'ops/s':>9}{'faults':>8}{'check s':>9}{'wall s':>9}  verdict")
    for name, f in rows:
        print(f"{name:<14}{f['ops']:>8}{f['ops_per_s']:>9.1f}{f['faults']:>8}{f['check_s']:>9.3f}{f['wall_s']:>9.1f}  {f['verdict']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
