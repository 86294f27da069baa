"""Bug-zoo sensitivity table: for each bug, its checker, the seed that caught it (within k), wall time.

    python bench/bugzoo.py                  # every bug, seeds 1..5, bug on; clean build on the same seeds
    python bench/bugzoo.py -k 3 B03 B07     # some bugs, seeds 1..3
    python bench/bugzoo.py -j 2             # two bugs at a time

Columns: bug, schedule, checker, caught (seed within k, or "-"), wall seconds to catch, clean (the named
checker's verdicts on the clean build for the seeds that ran).
"""

from __future__ import annotations

import argparse
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from checkers import check_run, default_checkers  # noqa: E402
from scenarios.bugs import ZOO  # noqa: E402
from scenarios.catch import catch  # noqa: E402


def _check_with(name: str):
    def check(run_dir: Path) -> dict[str, str]:
        chs = [c for c in default_checkers() if c.name == name]
        return {r.checker: r.verdict.value for r in check_run(run_dir, chs)[1]}
    return check


def row(bug: str, k: int) -> str:
    spec = ZOO[bug]
    hit = catch(bug, _check_with(spec.checker), seeds=range(1, k + 1))
    ran = [s for s, _ in hit.verdicts]
    clean = catch(bug, _check_with(spec.checker), seeds=ran, clean=True, stop_early=False)
    caught = f"seed {hit.caught_seed} ({hit.seeds_run}/{k})" if hit.caught_seed is not None else f"- (0/{k})"
    cv = ",".join(v for _, v in clean.verdicts)
    return f"{bug:<4}  {spec.scenario:<26}  {spec.checker:<12}  {caught:<14}  {hit.wall_s:>7.1f}s  clean: {cv}"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("bugs", nargs="*", default=sorted(ZOO))
    ap.add_argument("-k", type=int, default=5, help="seeds 1..k")
    ap.add_argument("-j", "--jobs", type=int, default=1)
    a = ap.parse_args()
    print(f"{'bug':<4}  {'schedule':<26}  {'checker':<12}  {'caught within':<14}  {'wall':>8}  clean build")
    if a.jobs > 1:
        with ProcessPoolExecutor(a.jobs) as ex:
            for line in ex.map(row, a.bugs, [a.k] * len(a.bugs)):
                print(line, flush=True)
    else:
        for b in a.bugs:
            print(row(b, a.k), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
