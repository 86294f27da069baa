"""Benchmark the linearizability checker on seeded synthetic histories; each case in its own process.

Usage: python bench/checker.py [--quick] [--seed N] [--before]

First the table of issue 20 against porcupine's figures (fixed, published for a quiet run of this machine
kind; ratios use CPU seconds, parsing included): the 10k-op single-key history with one stale read
(concurrency 10; porcupine 9.4 s and 4.1 GB; target <= 0.1x and <= 100 MB), 100k ops over 100 keys
(concurrency 50; porcupine 0.19 s check + 0.56 s parse; target <= 1.0x), and porcupine's own MIT 6.824 kv
histories (tests/checkers/data/porcupine-kv; target: c50-bad decided in <= 5 s). ``--before`` adds
c50-bad checked without merging the values no read sees (``KvModel.canonical`` off, 30 s limit).

Then the scaling cases (checkers.models.synth, kv mix read/write/cas/append/delete, fresh values): one key
at concurrency 10 with 1k/2k/3k/5k/10k ops, each linearizable and with one injected stale read; 100k ops
over 100 keys at concurrency 50. Prints the wall time of ``check_history_file`` (parsing included) and the
process's peak RSS (``VmHWM``), and its CPU time (less sensitive to a busy machine).

Then the append workload's shape (appends of unique tokens and reads, one key, concurrency 10, 5% of the
appends with a lost completion), checked side by side: as shipped (the key is decided directly,
checkers.models.appendlog) and by the frontier search alone (``--search-only``).
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
# (ops, keys, concurrency, one stale read, register mix (no appends), porcupine's (CPU s, MB), our target)
VERSUS = [(10_000, 1, 10, True, False, (9.4, 4_100), "<= 0.1x, <= 100 MB; porcupine"),
          (10_000, 1, 10, True, True, (9.4, 4_100), "the same, read/write/cas/delete only"),
          (100_000, 100, 50, False, False, (0.75, 0), "<= 1.0x (porcupine 0.19 s check + 0.56 s parse)")]
PORCUPINE_KV = Path(__file__).resolve().parent.parent / "tests" / "checkers" / "data" / "porcupine-kv"


APPEND_CASES = (300, 1_000, 10_000)
SEARCH_UP_TO = 10_000  # the search alone, 10k ops: 1.1 s CPU (before unread values were merged, 1k: 10 s, 650 MB)


def _peak_rss_mb() -> float:
    """This process's peak RSS. VmHWM, not ru_maxrss: Linux keeps ru_maxrss across exec, so a small case
    would report the parent's peak (the one that generated the 100k-op history)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _measure(path: str, search_only: bool = False, fmt: str = "jsonl", plain: bool = False) -> None:
    from checkers.linearizable import Budget, check_history_file
    from checkers.models.kv import KV, KvModel

    class SearchOnly(KvModel):
        def decide(self, items: object, returns: object, events: object) -> bool:
            return False

    class Plain(KvModel):
        canonical = None  # the search before unread values were merged

    model = Plain() if plain else SearchOnly() if search_only else KV
    t0, c0 = time.perf_counter(), time.process_time()
    result = check_history_file(path, fmt=fmt, model=model, budget=Budget(seconds=30) if plain else Budget())
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
    rss_mb = _peak_rss_mb()
    print(json.dumps({"verdict": result.verdict.value, "seconds": elapsed, "cpu_s": cpu, "rss_mb": rss_mb,
                      "configs": result.details.get("configs"), "summary": result.summary[:70]}))


def _run(path: Path, *extra: str) -> dict[str, object]:
    out = subprocess.run([sys.executable, __file__, "--measure", str(path), *extra], capture_output=True,
                         text=True, check=True).stdout
    return json.loads(out)  # type: ignore[no-any-return]


def _versus_porcupine(seed: int, tmp: Path, before: bool) -> None:
    from checkers.models.synth import REGISTER_MIX, generate, inject_stale_read, to_lines

    print(f"{'vs porcupine (CPU s, parse included)':<40} {'verdict':>8} {'cpu s':>7} {'peak MB':>8} "
          f"{'porcupine':>10} {'ratio':>6}  target")
    for n, keys, conc, stale, register, (p_s, p_mb), target in VERSUS:
        rng = random.Random(seed * 1_000_003 + n)
        mix = {"mix": REGISTER_MIX} if register else {}
        ops = generate(rng, n_ops=n, keys=keys, concurrency=conc, fail_p=0.02, **mix)  # type: ignore[arg-type]
        if stale and inject_stale_read(rng, ops) is None:
            print(f"{n:>7} no stale read could be injected")
            continue
        path = tmp / f"v{n}-{keys}-{register}.jsonl"
        path.write_text("".join(to_lines(ops)))
        r = _run(path)
        name = (f"{n // 1000}k ops, {keys} key{'s' if keys > 1 else ''}, c={conc}{', stale' if stale else ''}"
                f"{', register' if register else ''}")
        mb = f"{p_mb:.0f} MB" if p_mb else ""
        print(f"{name:<40} {r['verdict']:>8} {r['cpu_s']:>7.3f} {r['rss_mb']:>8.1f} {f'{p_s} s':>10} "
              f"{r['cpu_s'] / p_s:>6.3f}  {target} {mb}", flush=True)  # type: ignore[operator]
    for path in sorted(PORCUPINE_KV.glob("c*.txt")):
        for plain in (False, True) if before and path.stem == "c50-bad" else (False,):
            r = _run(path, "--format", "porcupine", *(["--plain"] if plain else []))
            name = f"porcupine kv {path.stem}" + (" (no merging, 30 s)" if plain else "")
            print(f"{name:<40} {r['verdict']:>8} {r['cpu_s']:>7.3f} {r['rss_mb']:>8.1f} {'':>10} {'':>6}  "
                  f"{'decided <= 5 s' if path.stem == 'c50-bad' else ''}", flush=True)
    print()


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--quick", action="store_true", help="only the 1k and 10k single-key cases")
    p.add_argument("--measure", help=argparse.SUPPRESS)
    p.add_argument("--search-only", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--format", default="jsonl", help=argparse.SUPPRESS)
    p.add_argument("--plain", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--before", action="store_true", help="also c50-bad without merging unread values (30 s)")
    args = p.parse_args()
    if args.measure:
        _measure(args.measure, args.search_only, args.format, args.plain)
        return 0
    from checkers.models.synth import generate, inject_stale_read, to_lines

    with tempfile.TemporaryDirectory() as tmp:
        _versus_porcupine(args.seed, Path(tmp), args.before)
    if args.quick:
        return 0
    cases = CASES
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
        print(f"\nappend keys (unique tokens, 5% lost completions)\n{'ops':>7} {'how':>8} {'verdict':>8} {'check s':>8} "
              f"{'cpu s':>6} {'peak MB':>8} {'configs':>9}")
        for n in APPEND_CASES if not args.quick else APPEND_CASES[:2]:
            rng = random.Random(args.seed * 1_000_003 + n)
            ops = generate(rng, n_ops=n, concurrency=10, info_p=0.05, fail_p=0.02,
                           mix=(("read", 50), ("append", 50)), info_fs=("append",))
            path = Path(tmp) / f"a{n}.jsonl"
            path.write_text("".join(to_lines(ops)))
            for how, extra in (("direct", []), ("search", ["--search-only"]))[:2 if n <= SEARCH_UP_TO else 1]:
                out = subprocess.run([sys.executable, __file__, "--measure", str(path), *extra], capture_output=True,
                                     text=True, check=True).stdout
                r = json.loads(out)
                print(f"{n:>7} {how:>8} {r['verdict']:>8} {r['seconds']:>8.3f} {r['cpu_s']:>6.3f} {r['rss_mb']:>8.1f} "
                      f"{r['configs']:>9}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
