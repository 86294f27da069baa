"""Messages delivered per second through ``sim.Network``, next to a raw simpy callback loop.

Both sides run the same workload in the same process: ``TOKENS`` messages circulate among ``n``
hosts; every delivery sends the message on to the next host after a uniform 0.5..1.5 ms latency.
The raw loop is the floor simpy itself allows (one ``Timeout`` + one callback per message); the
Network adds directed cuts, incarnations, pause holding, link settings and (optionally) tracing.

Usage: python bench/sim_events.py [--messages N] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import random
import time

import simpy

import sim

TOKENS = 64
LO, HI = 500_000, 1_500_000


def raw_simpy(n: int, messages: int) -> float:
    """msgs/s of a bare simpy loop: Timeout + callback per message, same latency draw."""
    env = simpy.Environment()
    rng = random.Random(1)
    left = [messages]
    width = HI - LO + 1

    def make(dst: int):
        def cb(_ev) -> None:
            if left[0] <= 0:
                return
            left[0] -= 1
            nxt = (dst + 1) % n
            env.timeout(LO + int(rng.random() * width)).callbacks.append(make(nxt))
        return cb

    for i in range(TOKENS):
        env.timeout(LO + int(rng.random() * width)).callbacks.append(make(i % n))
    t0 = time.perf_counter()
    env.run()
    return messages / (time.perf_counter() - t0)


def network(n: int, messages: int, trace: bool) -> float:
    """msgs/s through World/Network/Host with the same workload."""
    w = sim.World(1, latency=sim.Uniform(LO, HI), trace_messages=trace, keep_trace_lines=False)
    nodes = [f"n{i}" for i in range(n)]
    nxt = {nodes[i]: nodes[(i + 1) % n] for i in range(n)}
    left = [messages]

    def boot(rt: sim.SimRuntime) -> None:
        send, to = rt.send, nxt[rt.node_id]

        def receive(src: str, msg: object) -> None:
            if left[0] > 0:
                left[0] -= 1
                send(to, msg)

        rt.set_receiver(receive)

    for node in nodes:
        w.add_host(node, on_boot=boot)
    w.start()
    for i in range(TOKENS):
        w.hosts[nodes[i % n]].runtime.send(nxt[nodes[i % n]], "tok")
    t0 = time.perf_counter()
    w.env.run()
    dt = time.perf_counter() - t0
    assert w.network.delivered >= messages
    return w.network.delivered / dt


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--messages", type=int, default=300_000)
    ap.add_argument("--profile", action="store_true", help="cProfile the Network run (25 hosts, trace off)")
    args = ap.parse_args()
    if args.profile:
        cProfile.runctx("network(25, args.messages, False)", globals(), {"args": args}, "/tmp/sim_events.prof")
        pstats.Stats("/tmp/sim_events.prof").sort_stats("tottime").print_stats(12)
        return
    print(f"{'hosts':>5} {'raw simpy':>12} {'Network':>12} {'ratio':>6} {'Network+trace':>14} {'ratio':>6}")
    for n in (5, 25):
        raw = max(raw_simpy(n, args.messages) for _ in range(2))
        off = max(network(n, args.messages, False) for _ in range(2))
        on = max(network(n, args.messages, True) for _ in range(2))
        print(f"{n:>5} {raw:>12,.0f} {off:>12,.0f} {off / raw:>6.0%} {on:>14,.0f} {on / raw:>6.0%}")
    print("msgs/s = messages delivered per wall-clock second; 'Network' has send/deliver tracing off,"
          " 'Network+trace' writes canonical send+deliver lines and hashes them.")


if __name__ == "__main__":
    main()
