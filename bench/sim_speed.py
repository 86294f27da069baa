"""Simulator speed: virtual/real time ratio and events/s of one run, and seeds/hour of a sweep.

    python bench/sim_speed.py                 # both measurements
    python bench/sim_speed.py --profile       # cProfile of the single run (top 25 by tottime)
    python bench/sim_speed.py --sweep-trace-messages off   # the sweep without send/deliver events

Wall and CPU time are both reported: on a shared machine the CPU figures (process time) are the
comparable ones; the sweep's "per free core" figure is jobs x 3600 / mean CPU seconds per seed.

Targets (issue 6): partition-majority, 5 nodes, 10 clients, 60 s virtual: >= 1000x real time;
a 30 s 3-node scenario swept with -j 2: >= 10,000 seeds/hour.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
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
    t0, c0 = time.perf_counter(), time.process_time()
    if prof:
        prof.enable()
    cluster, history = _simulate(scen, 1)
    if prof:
        prof.disable()
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    virtual = cluster.world.now_ns / 1e9
    events = cluster.world.trace_writer.count
    msgs = cluster.world.network.delivered
    ops = sum(1 for line in history.lines if '"invoke"' in line)
    print(f"partition-majority 5 nodes 10 clients trace_messages={trace_messages}: {virtual:.1f} s virtual in "
          f"{wall:.2f} s wall = {virtual / wall:,.0f}x real time; {events / wall:,.0f} trace events/s; "
          f"{msgs / wall:,.0f} msgs/s; {ops} client ops ({msgs / max(ops, 1):.1f} msgs/op)")
    print(f"    CPU {cpu:.2f} s = {virtual / cpu:,.1f}x real time; {msgs / cpu:,.0f} msgs/CPU-s; "
          f"{cpu / max(ops, 1) * 1e6:,.0f} us CPU per client op")
    if prof:
        pstats.Stats(prof).sort_stats("tottime").print_stats(25)


def _seed(seed: int, trace_messages: bool = True) -> tuple[str, float]:
    from scenarios.runner import trace_lines

    scen = Scenario.create("partition-majority", {"nodes": 3, "clients": 5, "duration_s": 30.0, "recover_s": 0.0,
                                                  "trace_messages": trace_messages})
    c0 = time.process_time()
    sha = trace_lines(scen, seed)[0]
    return sha, time.process_time() - c0


def seeds_per_hour(n: int, jobs: int, trace_messages: bool = True) -> None:
    t0 = time.perf_counter()
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        results = list(pool.map(_seed, range(1, n + 1), [trace_messages] * n))
    wall = time.perf_counter() - t0
    assert len({sha for sha, _ in results}) == n
    cpu = sum(c for _, c in results) / n
    print(f"sweep of {n} seeds (30 s, 3 nodes, 5 clients, trace_messages={trace_messages}) with -j {jobs}: "
          f"{wall:.1f} s = {n / wall * 3600:,.0f} seeds/hour (simulation only, no checking); "
          f"{cpu:.2f} CPU-s/seed = {jobs * 3600 / cpu:,.0f} seeds/hour on {jobs} free cores")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--profile", action="store_true")
    ap.add_argument("--seeds", type=int, default=8)
    ap.add_argument("-j", type=int, default=2)
    ap.add_argument("--sweep-trace-messages", choices=("on", "off"), default="on")
    args = ap.parse_args()
    one_run(args.profile, True)
    one_run(False, False)
    seeds_per_hour(args.seeds, args.j, args.sweep_trace_messages == "on")


if __name__ == "__main__":
    main()
