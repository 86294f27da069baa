"""Benchmark the linearizability checker on seeded synthetic histories; each case in its own process.

Usage: python bench/checker.py [--quick] [--seed N]

Cases (checkers.models.synth, kv mix read/write/cas/append/delete, fresh values): one key at concurrency 10
with 1k/2k/3k/5k/10k ops, each linearizable and with one injected stale read; 100k ops over 100 keys at
concurrency 50. Prints the wall time of ``check_history_file`` (parsing included) and the process's peak RSS
(``resource.getrusage(...).ru_maxrss``), and its CPU time (less sensitive to a busy machine). Targets: 10k single-key stale < 2 s and < 300 MB;
100k/100 keys < 1.5 s.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CASES = [(n, 1, 10) for n in (1_000, 2_000, 3_000, 5_000, 10_000)] + [(100_000, 100, 50)]


def _measure(path: str) -> None:
    from checkers.linearizable import check_history_file

    t0, c0 = time.perf_counter(), time.process_time()
    result = check_history_file(path)
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"verdict": result.verdict.value, "seconds": elapsed, "cpu_s": cpu, "rss_mb": rss_mb,
                      "configs": result.details.get("configs"), "summary": result.summary[:70]}))


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--quick", action="store_true", help="only the 1k and 10k single-key cases")
    p.add_argument("--measure", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.measure:
        _measure(args.measure)
        return 0
    from checkers.models.synth import generate, inject_stale_read, to_lines

    cases = [c for c in CASES if not args.quick or c[0] in (1_000, 10_000)]
    print(f"{'ops':>7} {'keys':>4} {'conc':>4} {'history':>8} {'verdict':>8} {'check s':>8} {'cpu s':>6} {'peak MB':>8}")
    with tempfile.TemporaryDirectory() as tmp:
        for n, keys, conc in cases:
            for stale in (False, True) if keys == 1 else (False,):
                rng = random.Random(args.seed * 1_000_003 + n)
                ops = generate(rng, n_ops=n, keys=keys, concurrency=conc, fail_p=0.02)
                if stale and inject_stale_read(rng, ops) is None:
                    print(f"{n:>7} no stale read could be injected")
                    continue
                path = Path(tmp) / f"h{n}-{stale}.jsonl"
                path.write_text("".join(to_lines(ops)))
                out = subprocess.run([sys.executable, __file__, "--measure", str(path)], capture_output=True,
                                     text=True, check=True).stdout
                r = json.loads(out)
                kind = "stale" if stale else "ok"
                print(f"{n:>7} {keys:>4} {conc:>4} {kind:>8} {r['verdict']:>8} {r['seconds']:>8.3f} {r['cpu_s']:>6.3f} "
                      f"{r['rss_mb']:>8.1f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
