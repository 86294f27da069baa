"""``raftsim live``: the command's arguments and its translation into ``run_live`` / ``cleanup``.

Rules: the CLI only translates; missing privileges, a bad scenario or an unsupported workload is one line
on stderr and exit 2 (``scenarios.cli``'s handling of ConfigError); the verdicts print as ``raftsim run``'s.
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["add_live_parser", "live_run_note"]


def add_live_parser(sub: Any, fail: Callable[[str], int], print_verdicts: Callable[[Path], int],
                    render: Callable[[Path], Path]) -> None:
    """Add ``live`` to ``sub``; the CLI hands in its error, verdict and report printers (reports/ is its own)."""
    def cmd_live(args: argparse.Namespace) -> int:
        from scenarios.live import cleanup, missing_privileges, run_live
        from scenarios.spec import Scenario

        if args.cleanup:
            if os.geteuid() != 0:
                return fail("raftsim live --cleanup needs root")
            for line in cleanup():
                print(line)
            if args.scenario is None:
                return 0
        if args.scenario is None or args.seed is None:
            return fail("raftsim live: give SCENARIO and --seed N (or --cleanup alone)")
        scen = Scenario.parse_sets(args.scenario, args.set or [])
        missing = missing_privileges(args.system, args.etcd_bin)
        if missing:
            return fail(missing)
        out = Path(args.out) if args.out else Path("runs") / f"{scen.name}-{args.system}-live-seed{args.seed}"
        root = run_live(scen, args.seed, system=args.system, etcd_bin=args.etcd_bin, out=out)
        print(f"run directory: {root}")
        code = print_verdicts(root)
        if args.report:
            print(f"report: {render(root)}")
        return code

    s = sub.add_parser("live", help="run one scenario against a real kvraft or etcd cluster (root: netns, nftables)")
    s.add_argument("scenario", nargs="?", help="a scenario name (raftsim list), e.g. partition-majority; "
                                                "none with --cleanup")
    s.add_argument("--system", choices=["kvraft", "etcd"], default="kvraft",
                   help="the cluster to test: our kvraft server or a real etcd (e.g. --system etcd)")
    s.add_argument("--etcd-bin", default="etcd", help="the etcd binary (default: etcd on PATH)")
    s.add_argument("--seed", type=int, help="the workload's and nemesis's seed (a live run is not reproducible)")
    s.add_argument("--set", action="append", metavar="KEY=VALUE", help="override a scenario parameter")
    s.add_argument("--out", help="run directory (default runs/<scenario>-<system>-live-seed<N>)")
    s.add_argument("--report", action="store_true", help="also render report.html")
    s.add_argument("--cleanup", action="store_true", help="remove leftovers of earlier live runs first")
    s.set_defaults(fn=cmd_live)


def live_run_note(root: Path) -> str | None:
    """Why ``raftsim replay`` cannot re-run ``root`` (a live run), or None for a simulated run."""
    try:
        meta = json.loads((root / "run.json").read_text())
    except (OSError, ValueError, RecursionError):
        return None  # the replay's own reader reports a bad run.json
    live = meta.get("live") if isinstance(meta, dict) else None
    if not isinstance(live, dict):
        return None
    return (f"{root} is a live run against {live.get('system', '?')}: live runs are not reproducible "
            f"(re-run it with `{str(meta.get('replay', 'raftsim live ...')).split('  #')[0]}`)")
