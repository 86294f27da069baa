"""The ``raftsim`` command line: parse arguments, call one library function, return an exit code.

Exit codes follow Jepsen: 0 valid, 1 invalid (a checker found a violation), 2 unknown or error.
Bad input (unknown scenario, malformed --seeds, unknown --set key, missing run files) is one line
on stderr and exit 2, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import NoReturn

__all__ = ["main"]

EXIT_OK, EXIT_INVALID, EXIT_ERROR = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        sys.stderr.write(f"raftsim: {message}\n")
        raise SystemExit(EXIT_ERROR)


def _fail(msg: str) -> int:
    # Escape what a terminal would act on or could not print (control characters, line separators, lone
    # surrogates): an error may quote a hostile input, and it must stay one printable line.
    text = "".join(c if c.isprintable() else repr(c)[1:-1] for c in msg)
    sys.stderr.write(f"raftsim: {text}\n")
    return EXIT_ERROR


def cmd_list(args: argparse.Namespace) -> int:
    from scenarios.spec import list_defs

    defs = list_defs()
    width = max(len(d.name) for d in defs)
    for d in defs:
        print(f"{d.name:<{width}}  {d.description}")
    return EXIT_OK


def _print_verdicts(run_dir: Path) -> int:
    from checkers import check_run, summary_lines

    verdict, results = check_run(run_dir)
    for line in summary_lines(results):
        print(line)
    print(f"verdict: {verdict.value}")
    return verdict.exit_code


def cmd_run(args: argparse.Namespace) -> int:
    from scenarios.runner import check_determinism, run
    from scenarios.spec import Scenario

    scen = Scenario.parse_sets(args.scenario, args.set or [])
    if args.check_determinism:
        report = check_determinism(scen, args.seed, subprocess_check=True)
        print(report.text)
        return EXIT_OK if report.same else EXIT_INVALID
    out = Path(args.out) if args.out else None
    rd = run(scen, args.seed, out)
    print(f"run directory: {rd.root}")
    print(f"trace sha256:  {rd.trace_sha256}")
    print(f"replay:        {rd.replay}")
    cut = rd.meta.get("cut_short")
    if cut:
        print(f"cut short:     the event limit ({cut['events']:,} simulation events) stopped the run at "
              f"{cut['t'] / 1e9:.3f} s of virtual time: a livelock or message storm")
    if args.no_check:
        return EXIT_OK
    code = _print_verdicts(rd.root)
    if args.report:
        from reports import render

        print(f"report: {render(rd.root)}")
    return code


def cmd_check(args: argparse.Namespace) -> int:
    return _print_verdicts(Path(args.run_dir))


def cmd_check_history(args: argparse.Namespace) -> int:
    from checkers.linearizable import check_history_file

    result = check_history_file(Path(args.file), fmt=args.format)
    print(str(result))
    return result.verdict.exit_code


def cmd_replay(args: argparse.Namespace) -> int:
    from scenarios.runner import replay

    ok, text = replay(Path(args.run_dir))
    print(text)
    return EXIT_OK if ok else EXIT_INVALID


def cmd_report(args: argparse.Namespace) -> int:
    from reports import render, render_sweep

    root = Path(args.run_dir)
    if not root.is_dir():
        return _fail(f"{root}: no such run directory")
    if (root / "sweep.json").is_file() or (root / "rows.jsonl").is_file():
        print(render_sweep(root))
        return EXIT_OK
    if not any((root / name).is_file() for name in ("run.json", "history.jsonl", "trace.jsonl")):
        return _fail(f"{root}: not a run directory (no run.json, history.jsonl or trace.jsonl)")
    print(render(root))
    return EXIT_OK


def cmd_sweep(args: argparse.Namespace) -> int:
    from scenarios.spec import Scenario
    from scenarios.sweep import parse_seeds, sweep

    if any(item.split("=", 1)[0].strip() == "trace_messages" for item in args.set or []):
        return _fail("--set trace_messages: a sweep chooses message tracing with --trace-messages failing|all|none")
    scen = Scenario.parse_sets(args.scenario, args.set or [])
    seeds = parse_seeds(args.seeds)
    summary = sweep(scen, seeds, out_dir=Path(args.out) if args.out else None, jobs=args.jobs,
                    executor=args.executor, scheduler=args.scheduler, progress=not args.quiet,
                    report=args.report, keep=args.keep, trace_messages=args.trace_messages)
    return summary.exit_code


def cmd_bugs(args: argparse.Namespace) -> int:
    from scenarios.bugs import list_bugs

    for line in list_bugs():
        print(line)
    return EXIT_OK


def cmd_hunt(args: argparse.Namespace) -> int:
    from checkers import check_run, default_checkers
    from scenarios.bugs import ZOO
    from scenarios.hunt import hunt, parse_budget
    from scenarios.spec import Scenario

    if args.bug is not None and args.bug not in ZOO:
        return _fail(f"--bug {args.bug}: no such bug (see `raftsim bugs`)")
    target = args.checker or (ZOO[args.bug].checker if args.bug else None)
    names = [c.name for c in default_checkers()]
    if target is not None and target not in names:
        return _fail(f"--checker {target}: no such checker (one of {', '.join(names)})")
    chosen = [c for c in default_checkers() if target is None or c.name == target]

    def check(run_dir: Path) -> dict[str, str]:
        return {r.checker: r.verdict.value for r in check_run(run_dir, chosen)[1]}

    scen = Scenario.parse_sets(args.scenario, args.set or [])
    result = hunt(scen, check, bug=args.bug, checker=target, seed=args.seed, budget_s=parse_budget(args.budget),
                  max_examples=args.max_examples, out_dir=Path(args.out) if args.out else None,
                  corpus_dir=Path(args.corpus), progress=print)
    for line in result.lines():
        print(line)
    return EXIT_INVALID if result.found else EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="raftsim", description="Deterministic Raft/etcd-v2 cluster simulator and checker.")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    s = sub.add_parser("list", help="list the named scenarios")
    s.set_defaults(fn=cmd_list)

    s = sub.add_parser("run", help="run one scenario with one seed and check it")
    s.add_argument("scenario")
    s.add_argument("--seed", type=int, required=True)
    s.add_argument("--set", action="append", metavar="KEY=VALUE", help="override a scenario parameter")
    s.add_argument("--out", help="run directory (default runs/<scenario>-seed<N>)")
    s.add_argument("--check-determinism", action="store_true",
                   help="run twice in-process and once under another PYTHONHASHSEED; report the first differing event")
    s.add_argument("--report", action="store_true", help="also render report.html")
    s.add_argument("--no-check", action="store_true", help="do not run the checkers")
    s.set_defaults(fn=cmd_run)

    s = sub.add_parser("check", help="check a run directory and write result.json")
    s.add_argument("run_dir")
    s.set_defaults(fn=cmd_check)

    s = sub.add_parser("check-history", help="check a bare history file for linearizability")
    s.add_argument("file")
    s.add_argument("--format", choices=["jsonl", "edn", "porcupine"], default="jsonl")
    s.set_defaults(fn=cmd_check_history)

    s = sub.add_parser("replay", help="re-run a run directory from its run.json and confirm the trace hash")
    s.add_argument("run_dir")
    s.set_defaults(fn=cmd_replay)

    s = sub.add_parser("report", help="render report.html for a run directory (or a sweep directory)")
    s.add_argument("run_dir")
    s.set_defaults(fn=cmd_report)

    s = sub.add_parser("sweep", help="run a scenario over many seeds in parallel")
    s.add_argument("scenario")
    s.add_argument("--seeds", required=True, help="a range like 1..1000, or a list 1,5,9")
    s.add_argument("--set", action="append", metavar="KEY=VALUE")
    s.add_argument("-j", "--jobs", type=int, default=2)
    s.add_argument("--executor", choices=["local", "dask"], default="local")
    s.add_argument("--scheduler", help="dask scheduler address (tcp://host:8786)")
    s.add_argument("--out", help="sweep directory (default runs/sweep-<scenario>)")
    s.add_argument("--report", action="store_true", help="render the sweep report")
    s.add_argument("--quiet", action="store_true", help="no progress bar")
    s.add_argument("--keep", choices=["failing", "all"], default="failing",
                   help="run directories to keep: only failing/unknown seeds (default), or all")
    s.add_argument("--trace-messages", choices=["failing", "all", "none"], default="failing",
                   help="trace send/deliver: only in the re-run of a failing seed (default; same history), "
                        "for every seed, or never")
    s.set_defaults(fn=cmd_sweep)

    s = sub.add_parser("hunt", help="search fault schedules (hypothesis) that break a checker; shrink and save")
    s.add_argument("scenario")
    s.add_argument("--bug", help="bug-zoo switch to turn on (e.g. B03); its checker is the target")
    s.add_argument("--checker", help="target checker name (default: the bug's, else any)")
    s.add_argument("--budget", default="10m", help="wall-clock budget: 90s, 10m, 1h")
    s.add_argument("--seed", type=int, default=1, help="seed of the per-message randomness")
    s.add_argument("--max-examples", type=int, default=200)
    s.add_argument("--set", action="append", metavar="KEY=VALUE")
    s.add_argument("--out", help="output directory (default runs/hunt-<scenario>-<bug>-seed<N>)")
    s.add_argument("--corpus", default="tests/bugzoo/corpus", help="replay corpus directory")
    s.set_defaults(fn=cmd_hunt)

    s = sub.add_parser("bugs", help="list the bug-zoo switches and the checker that catches each")
    s.set_defaults(fn=cmd_bugs)
    return p


def main(argv: list[str] | None = None) -> int:
    from checkers.result import CheckerError
    from checkers.rundir import RunDirError
    from scenarios.errors import ScenarioError
    from sim.errors import ConfigError as SimConfigError  # the simulator's "fix your input" (a bad latency, ...)

    args = build_parser().parse_args(argv)
    try:
        return int(args.fn(args))
    except (ScenarioError, CheckerError, RunDirError, SimConfigError) as e:
        return _fail(str(e))
    except FileNotFoundError as e:
        return _fail(f"{e.filename}: no such file or directory")
    except OSError as e:  # e.g. --out names a file, or a directory we may not write
        return _fail(f"{e.filename or ''}: {e.strerror or e}" if e.filename else str(e))
    except KeyboardInterrupt:
        return _fail("interrupted")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
