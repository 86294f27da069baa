"""The simulator rows of issue 20's table, in one run: x real time per CPU second, events/s, CPU per message.

    python bench/sim_table.py                  # the rows, median of 3
    python bench/sim_table.py --repeat 1       # one sample each (quicker)
    python bench/sim_table.py --shas           # also every catalog scenario's trace SHA-256 at seed 1: before
                                               #   issue 20 (sim_table_before.json), every tick, tickless
    python bench/sim_table.py --tick-per-tick  # the same with the old driver (a node woken every tick)

Rows (targets in the issue): the 60 s partition-majority run (5 nodes, 100 ms heartbeat, partition
nemesis) at 10 and 200 client ops/s as virtual seconds per CPU second (>= 1000x and >= 100x);
simulation events per CPU second as a fraction of a bare simpy loop in this process (>= 50 %);
CPU per delivered Raft message, full simulator vs the core alone (<= 2x). CPU is process time, the
comparable figure on a shared machine (compare drivers or checkouts interleaved in one window: a busy
machine moves these figures by tens of %). The tickless driver lowers events per CPU second: the events it
removes (idle ticks) were the cheapest ones.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from pathlib import Path

import simpy

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scenarios.params import PARAMS as ALL_PARAMS  # noqa: E402
from scenarios.execution import simulate, trace_lines  # noqa: E402
from scenarios.spec import Scenario, list_defs  # noqa: E402

BEFORE = Path(__file__).resolve().parent / "sim_table_before.json"
PARAMS = {"nodes": 5, "clients": 10, "tick_ms": 10, "heartbeat_ticks": 10, "duration_s": 60.0}


def _driver(tickless: bool) -> dict[str, bool]:
    """The driver parameter (absent before the tickless driver existed: the before-figures)."""
    return {"tickless": tickless} if any(p.name == "tickless" for p in ALL_PARAMS) else {}


def sim_run(rate: float, tickless: bool) -> tuple[float, int, int]:
    """CPU seconds, simulation events and delivered messages of the 60 s run at ``rate`` ops/s per client."""
    scen = Scenario.create("partition-majority", {**PARAMS, "rate": rate, **_driver(tickless)})
    c0 = time.process_time()
    cluster, _ = simulate(scen, 1)
    cpu = time.process_time() - c0
    return cpu, cluster.world.events, cluster.world.network.delivered


def bare_simpy(events: int) -> float:
    """Events per CPU second of a bare simpy loop: one Timeout and one callback per event."""
    env = simpy.Environment()
    rng = random.Random(1)
    left = [events]

    def cb(_ev: object) -> None:
        if left[0] > 0:
            left[0] -= 1
            env.timeout(500_000 + int(rng.random() * 1_000_000)).callbacks.append(cb)

    for _ in range(64):
        env.timeout(500_000 + int(rng.random() * 1_000_000)).callbacks.append(cb)
    c0 = time.process_time()
    env.run()
    return events / (time.process_time() - c0)


def core_us_per_msg() -> float:
    """CPU per message of the core alone (bench/raft_core.py's cluster, one entry per round trip)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from raft_core import Cluster  # noqa: PLC0415

    c = Cluster(5)
    c0 = time.process_time()
    c.nodes["n1"].campaign()
    c.settle()
    for i in range(3000):
        c.nodes["n1"].propose(b"x%d" % i)
        c.settle()
    return (time.process_time() - c0) / max(c.messages, 1) * 1e6


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--shas", action="store_true")
    ap.add_argument("--tick-per-tick", action="store_true")
    args = ap.parse_args()
    tickless = not args.tick_per_tick
    print(f"driver: {'tickless' if tickless else 'tick-per-tick'}; median of {args.repeat}")
    for rate, ops in ((1.0, 10), (20.0, 200)):
        runs = [sim_run(rate, tickless) for _ in range(args.repeat)]
        cpu = statistics.median(r[0] for r in runs)
        _, events, msgs = runs[0]
        print(f"60 s partition-majority, {ops} ops/s: {cpu:.2f} CPU-s = {60 / cpu:,.0f}x real time per CPU second; "
              f"{events:,} events = {events / cpu:,.0f} events/CPU-s; {msgs:,} messages = "
              f"{cpu / msgs * 1e6:.1f} us CPU per delivered message")
        if ops == 10:
            raw = statistics.median(bare_simpy(200_000) for _ in range(args.repeat))
            print(f"    bare simpy loop {raw:,.0f} events/CPU-s: the simulator runs at {events / cpu / raw:.0%} of it")
        else:
            core = statistics.median(core_us_per_msg() for _ in range(args.repeat))
            print(f"    core alone {core:.1f} us CPU per message: the full simulator costs "
                  f"{cpu / msgs * 1e6 / core:.1f}x the core")
    if args.shas:
        print_shas()


def print_shas() -> None:
    """Each catalog scenario's trace SHA-256 at seed 1 (its own params): before the tickless driver (stored,
    made on main before issue 20), now with a tick per tick_ns, now tickless; the event order changed where
    they differ (ticks now run first at their instant, ordered by node; pauses hold one tick per pause)."""
    before = json.loads(BEFORE.read_text(encoding="utf-8"))
    print("trace SHA-256 at seed 1 (first 16 hex): before | every tick | tickless")
    counts = {"unchanged": 0, "changed": 0, "drivers differ": 0}
    for d in list_defs():
        every, _ = trace_lines(Scenario.create(d.name, _driver(False)), 1)
        lazy, _ = trace_lines(Scenario.create(d.name, _driver(True)), 1)
        was = before.get(d.name, "(new)")
        note = "drivers differ" if every != lazy else "unchanged" if lazy == was else "changed"
        counts[note] += 1
        print(f"{d.name:28} {was[:16]} | {every[:16]} | {lazy[:16]}  {note}")
    print(", ".join(f"{n} {k}" for k, n in counts.items()))


if __name__ == "__main__":
    main()
