"""Simulator speed: virtual/real time ratio and events/s of one run, and seeds/hour of a sweep.

    python bench/sim_speed.py                 # both measurements
    python bench/sim_speed.py --profile       # cProfile of the single run (top 25 by tottime)

Targets (issue 6): partition-majority, 5 nodes, 10 clients, 60 s virtual: >= 1000x real time;
a 30 s 3-node scenario swept with -j 2: >= 10,000 seeds/hour.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scenarios.runner import _simulate  # noqa: E402
from scenarios.spec import Scenario  # noqa: E402


def one_run(profile: bool, trace_messages: bool) -> None:
    scen = Scenario.create("partition-majority", {"nodes": 5, "clients": 10, "duration_s": 60.0, "recover_s": 0.0,
                                                  "trace_messages": trace_messages})
    prof = cProfile.Profile() if profile else None
    t0 = time.perf_counter()
    if prof:
        prof.enable()
    cluster, history = _simulate(scen, 1)
    if prof:
        prof.disable()
    wall = time.perf_counter() - t0
    virtual = cluster.world.now_ns / 1e9
    events = cluster.world.trace_writer.count
    ops = sum(1 for line in history.lines if '"invoke"' in line)
    print(f"partition-majority 5 nodes 10 clients trace_messages={trace_messages}: {virtual:.1f} s virtual in "
          f"{wall:.2f} s wall = {virtual / wall:,.0f}x real time; {events / wall:,.0f} trace events/s; "
          f"{cluster.world.network.delivered / wall:,.0f} msgs/s; {ops} client ops")
    if prof:
        pstats.Stats(prof).sort_stats("tottime").print_stats(25)


def _seed(seed: int) -> str:
    from scenarios.runner import trace_lines

    scen = Scenario.create("partition-majority", {"nodes": 3, "clients": 5, "duration_s": 30.0, "recover_s": 0.0})
    return trace_lines(scen, seed)[0]


def seeds_per_hour(n: int, jobs: int) -> None:
    t0 = time.perf_counter()
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        hashes = list(pool.map(_seed, range(1, n + 1)))
    wall = time.perf_counter() - t0
    assert len(set(hashes)) == n
    print(f"sweep of {n} seeds (30 s, 3 nodes, 5 clients) with -j {jobs}: {wall:.1f} s = "
          f"{n / wall * 3600:,.0f} seeds/hour (simulation only, no checking)")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--profile", action="store_true")
    ap.add_argument("--seeds", type=int, default=8)
    ap.add_argument("-j", type=int, default=2)
    args = ap.parse_args()
    one_run(args.profile, True)
    one_run(False, False)
    seeds_per_hour(args.seeds, args.j)


if __name__ == "__main__":
    main()
