"""How small `raftsim hunt` shrinks a failure: for each bug, hunt on its zoo scenario's cluster and workload.

    python bench/hunt_shrink.py                          # every bug, 120 s and 100 examples each
    python bench/hunt_shrink.py B07 B12 --budget 60s     # some bugs
    python bench/hunt_shrink.py -j 2                     # two hunts at a time

Each hunt is differential (a schedule counts only if the clean build passes it) and runs in a temporary
directory that is removed afterwards. Columns: bug, the scenario whose cluster/workload the hunt starts
from, checker, examples run, wall seconds (generation and shrinking), fault events in the shrunk schedule
(or "-" if the budget ran out first), and the schedule. The last lines give the median event count over the
bugs found, and the bugs not found. The wall-clock budget makes "found" depend on the machine's speed;
the shrunk schedule of a bug that is found does not (derandomized Hypothesis, pure runs).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from checkers import check_run, default_checkers  # noqa: E402
from scenarios.bugs import ZOO  # noqa: E402
from scenarios.hunt import event_count, hunt, parse_budget  # noqa: E402
from scenarios.spec import Scenario  # noqa: E402


def one(bug: str, budget_s: float, max_examples: int) -> tuple[str, str, str, int, float, int | None, str]:
    spec = ZOO[bug]
    chosen = [c for c in default_checkers() if c.name == spec.checker]

    def check(run_dir: Path) -> dict[str, str]:
        return {r.checker: r.verdict.value for r in check_run(run_dir, chosen)[1]}

    tmp = Path(tempfile.mkdtemp(prefix="hunt_shrink-"))
    try:
        res = hunt(Scenario.create(spec.scenario, dict(spec.params)), check, bug=bug, budget_s=budget_s,
                   max_examples=max_examples, out_dir=tmp / "out", corpus_dir=None)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    sched = str(res.scenario.params["schedule"]) if res.found and res.scenario is not None else ""
    return (bug, spec.scenario, spec.checker, res.examples, res.wall_s,
            event_count(sched) if res.found else None, sched)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("bugs", nargs="*", default=sorted(ZOO))
    ap.add_argument("--budget", default="120s", help="wall-clock budget per bug (90s, 10m)")
    ap.add_argument("--max-examples", type=int, default=100)
    ap.add_argument("-j", "--jobs", type=int, default=1)
    a = ap.parse_args()
    unknown = [b for b in a.bugs if b not in ZOO]
    if unknown:
        print(f"no such bug: {', '.join(unknown)} (see `raftsim bugs`)", file=sys.stderr)
        return 2
    budget = parse_budget(a.budget)
    print(f"{'bug':<4}  {'scenario':<26}  {'checker':<12}  {'examples':>8}  {'wall':>7}  {'events':>6}  schedule",
          flush=True)
    rows = []
    with ProcessPoolExecutor(max(1, a.jobs)) as ex:
        for r in ex.map(one, a.bugs, [budget] * len(a.bugs), [a.max_examples] * len(a.bugs)):
            rows.append(r)
            bug, scen, checker, n, wall, events, sched = r
            print(f"{bug:<4}  {scen:<26}  {checker:<12}  {n:>8}  {wall:>6.0f}s  {events if events is not None else '-':>6}"
                  f"  {sched}", flush=True)
    found = [r[5] for r in rows if r[5] is not None]
    if found:
        print(f"found {len(found)}/{len(rows)}; shrunk events: median {statistics.median(found):g}, max {max(found)}")
    missed = [r[0] for r in rows if r[5] is None]
    print(f"not found within {a.budget}: {', '.join(missed) if missed else 'none'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
