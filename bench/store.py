"""Throughput of the pure v2 store (no raft, no HTTP): applied operations per CPU-second.

Workloads:
  mix      : 10k keys in nested dirs (/d<i%100>/s<i%10>/k<i>), then a 50% set / 30% get /
             20% compareAndSwap mix, through Store.apply / Store.get (commands as a member
             would apply them, without JSON decoding).
  mix-http : the same mix through handle_local (parse + apply + render), i.e. per request.
  fan-out  : 1,000 recursive watchers on /w and 1,000 plain watchers on /w/k; one set on /w/k
             notifies 2,000 watchers (1,000 stream ones keep watching); events delivered per second.
  sync     : expiring 10k TTL keys with one SYNC.

Usage: python bench/store.py [--ops N] [--seed S]
"""

from __future__ import annotations

import argparse
import random
import time

from kvraft.store import Store, handle_local, sync_command


def _path(i: int) -> str:
    return f"/d{i % 100}/s{i % 10}/k{i}"


def bench_mix(n_ops: int, rng: random.Random, keys: int = 10_000) -> tuple[float, float]:
    s = Store()
    for i in range(keys):
        s.apply({"op": "set", "path": _path(i), "value": "v", "now_ns": i}, i + 1)
    ops = [(rng.random(), rng.randrange(keys)) for _ in range(n_ops)]
    t0 = time.process_time()
    ri = keys
    for r, k in ops:
        ri += 1
        if r < 0.5:
            s.apply({"op": "set", "path": _path(k), "value": f"x{ri}", "now_ns": ri}, ri)
        elif r < 0.8:
            s.get(_path(k), now_ns=ri)
        else:
            s.apply({"op": "compareAndSwap", "path": _path(k), "prev_value": "v", "value": "w",
                     "now_ns": ri}, ri)
    t1 = time.process_time()
    # the same through the HTTP-shaped edge
    t2 = time.process_time()
    for r, k in ops:
        ri += 1
        url = "/v2/keys" + _path(k)
        if r < 0.5:
            handle_local(s, "PUT", url, "", f"value=x{ri}", now_ns=ri, raft_index=ri, raft_term=1)
        elif r < 0.8:
            handle_local(s, "GET", url, "", "", now_ns=ri, raft_index=ri, raft_term=1)
        else:
            handle_local(s, "PUT", url, "prevValue=v", "value=w", now_ns=ri, raft_index=ri, raft_term=1)
    t3 = time.process_time()
    return n_ops / (t1 - t0), n_ops / (t3 - t2)


def bench_fanout(rounds: int, watchers: int = 1000) -> tuple[float, float]:
    s = Store()
    delivered = [0]

    def on_event(e) -> None:
        delivered[0] += 1

    for _ in range(watchers):
        s.watch("/w", recursive=True, stream=True, callback=on_event)
    t0 = time.process_time()
    for r in range(rounds):
        for _ in range(watchers):
            s.watch("/w/k", callback=on_event)  # plain watchers: re-armed every round
        s.apply({"op": "set", "path": "/w/k", "value": str(r)}, r + 1)
    dt = time.process_time() - t0
    assert delivered[0] == rounds * 2 * watchers
    return delivered[0] / dt, rounds / dt


def bench_sync(keys: int = 10_000) -> float:
    s = Store()
    for i in range(keys):
        s.apply({"op": "set", "path": _path(i), "value": "v", "ttl": 1 + i % 5, "now_ns": 0}, i + 1)
    t0 = time.process_time()
    r = s.apply(sync_command(10 * 1_000_000_000), keys + 1)
    dt = time.process_time() - t0
    assert len(r.expired) == keys
    return keys / dt


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ops", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)
    rng = random.Random(args.seed)
    store_ops, http_ops = bench_mix(args.ops, rng)
    print(f"mix (50% set / 30% get / 20% CAS, 10k keys, nested dirs): {store_ops:,.0f} ops/s via Store.apply/get")
    print(f"mix through handle_local (parse + apply + render):        {http_ops:,.0f} requests/s")
    events_s, writes_s = bench_fanout(max(1, args.ops // 2000))
    print(f"watch fan-out, 1,000 stream + 1,000 plain watchers:       {events_s:,.0f} events delivered/s "
          f"({writes_s:,.0f} writes/s)")
    print(f"SYNC expiring 10k TTL keys:                               {bench_sync():,.0f} expiries/s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
