"""Before vs after: CPU of issue 20's simulator runs for two source trees, interleaved in one window.

    git archive <base-commit> | tar -x -C /tmp/base      # the "before" tree
    python bench/sim_ab.py /tmp/base .                    # min of 3 interleaved runs each
    python bench/sim_ab.py /tmp/base . --rate 20 --repeat 5 --set trace_messages=false
    python bench/sim_ab.py /tmp/base . --rate 0 --set nodes=3 --set clients=5 --set duration_s=30 \
        --set trace_messages=false            # a sweep seed's simulation (later --set win)

Each sample is a fresh ``python`` process per tree (imports not counted: only ``simulate``'s process
time), alternating before/after so a busy machine's load falls on both alike; the figure is the minimum
of the samples. Also prints each tree's trace SHA-256 and event count: an optimisation that should not
change the run must print the same SHA-256 for both. Numbers only: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

_CHILD = """
import hashlib, json, sys, time
from scenarios.execution import simulate
from scenarios.spec import Scenario
name, sets = json.loads(sys.argv[1])
scen = Scenario.parse_sets(name, sets)
c0 = time.process_time()
cluster, _ = simulate(scen, 1)
cpu = time.process_time() - c0
w = cluster.world
print(json.dumps({"cpu": cpu, "sha": w.trace_writer.sha256, "events": w.events,
                  "delivered": w.network.delivered}))
"""

SETS = ["nodes=5", "clients=10", "tick_ms=10", "heartbeat_ticks=10", "duration_s=60"]


def sample(root: Path, name: str, sets: list[str]) -> dict[str, float | str | int]:
    out = subprocess.run([sys.executable, "-c", _CHILD, json.dumps([name, sets])], cwd=root, capture_output=True,
                         text=True, check=True, env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"})
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("before", type=Path)
    p.add_argument("after", type=Path)
    p.add_argument("--scenario", default="partition-majority")
    p.add_argument("--rate", type=float, action="append", help="ops/s per client (default: 1 and 20; 0: the "
                   "scenario's own rate)")
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    a = p.parse_args()
    roots = (a.before.resolve(), a.after.resolve())
    for rate in a.rate or [1.0, 20.0]:
        sets = SETS + ([f"rate={rate}"] if rate > 0 else []) + a.set
        runs: list[list[dict]] = [[], []]
        for _ in range(a.repeat):
            for i, root in enumerate(roots):
                runs[i].append(sample(root, a.scenario, sets))
        cpu = [min(r["cpu"] for r in rs) for rs in runs]
        print(f"{a.scenario} {' '.join(sets[4:])}: CPU-s min of {a.repeat}: before {cpu[0]:.3f}, after {cpu[1]:.3f} "
              f"({cpu[1] / cpu[0] - 1:+.1%}); {60 / cpu[1]:,.0f}x real time per CPU second after")
        for label, rs in zip(("before", "after"), runs):
            r = rs[0]
            print(f"    {label:6} sha256 {r['sha'][:16]}  {r['events']:,} events  {r['delivered']:,} delivered  "
                  f"{min(x['cpu'] for x in rs) / max(r['delivered'], 1) * 1e6:.1f} us CPU per delivered message")
        print(f"    trace {'identical' if runs[0][0]['sha'] == runs[1][0]['sha'] else 'DIFFERS'}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
