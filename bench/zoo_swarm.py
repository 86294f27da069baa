"""The bug zoo under swarm: for each bug, the first swarm seed (of 1..k) whose run some checker calls illegal.

    python bench/zoo_swarm.py                 # every bug, seeds 1..40, one process
    python bench/zoo_swarm.py -j 2 B07 B12    # some bugs, two at a time
    python bench/zoo_swarm.py -k 10 --keep runs/zoo-swarm   # keep the catching run directories
    python bench/zoo_swarm.py --start 11 -k 40 B04          # resume a bug not caught in seeds 1..10

Each seed runs swarm's own draw with ``--set bugs=<id>``: the same configuration as the clean sweep's seed
(``raftsim sweep swarm --seeds 1..100`` is clean on the clean build), so an illegal verdict is the bug's.
Columns: bug, the zoo's checker, the first catching seed (or "-"), the checkers that said illegal there,
seeds run, runs with an unknown verdict, wall seconds. Each seed's verdict goes to stderr as it lands (so a
run stopped early still says how far each bug got). CPU heavy (minutes per uncaught bug): run it with
``nice``; a bench, never part of the test suite.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from checkers import check_run  # noqa: E402
from scenarios.bugs import ZOO  # noqa: E402
from scenarios.runner import run  # noqa: E402
from scenarios.spec import Scenario  # noqa: E402


def row(bug: str, k: int, keep: str | None, start: int = 1) -> str:
    t0 = time.perf_counter()
    caught, by, unknown, ran = None, "", 0, 0
    with tempfile.TemporaryDirectory(prefix=f"zoo-swarm-{bug}-") as tmp:
        for seed in range(start, k + 1):
            ran += 1
            rd = run(Scenario.create("swarm", {"bugs": bug}), seed, Path(tmp) / f"seed-{seed}")
            _, results = check_run(rd.root)
            bad = [r.checker for r in results if r.verdict.value == "illegal"]
            unknown += any(r.verdict.value == "unknown" for r in results)
            print(f"{bug} seed {seed}: {','.join(bad) or 'not illegal'}", file=sys.stderr, flush=True)  # progress
            if bad:
                caught, by = seed, ",".join(bad)
                if keep:
                    dest = Path(keep) / f"{bug}-seed{seed}"
                    shutil.rmtree(dest, ignore_errors=True)
                    shutil.copytree(rd.root, dest)
                break
            shutil.rmtree(rd.root, ignore_errors=True)
    got = f"seed {caught}" if caught is not None else "-"
    return (f"{bug:<4}  {ZOO[bug].checker:<12}  {got:<9}  {by or '-':<32}  {ran:>3}  {unknown:>7}  "
            f"{time.perf_counter() - t0:>7.1f}s")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("bugs", nargs="*", default=sorted(ZOO))
    ap.add_argument("-k", type=int, default=40, help="seeds 1..k")
    ap.add_argument("--start", type=int, default=1, help="first seed (resume a bug not caught in seeds 1..start-1)")
    ap.add_argument("-j", "--jobs", type=int, default=1)
    ap.add_argument("--keep", help="copy each catching run directory under this directory")
    a = ap.parse_args()
    print(f"{'bug':<4}  {'zoo checker':<12}  {'caught':<9}  {'illegal checkers':<32}  {'ran':>3}  {'unknown':>7}  {'wall':>8}",
          flush=True)
    if a.jobs > 1:
        with ProcessPoolExecutor(a.jobs) as ex:
            for line in ex.map(row, a.bugs, [a.k] * len(a.bugs), [a.keep] * len(a.bugs), [a.start] * len(a.bugs)):
                print(line, flush=True)
    else:
        for b in a.bugs:
            print(row(b, a.k, a.keep, a.start), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
