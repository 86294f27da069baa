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
    sys.stderr.write(f"raftsim: {msg}\n")
    return EXIT_ERROR


def cmd_list(args: argparse.Namespace) -> int:
    from scenarios.spec import list_defs

    defs = list_defs()
    width = max(len(d.name) for d in defs)
    for d in defs:
        print(f"{d.name:<{width}}  {d.description}")
    return EXIT_OK


def _print_verdicts(run_dir: Path) -> int:
    from checkers.run import check_run, exercised, summary_lines, verdict_line

    verdict, results = check_run(run_dir)
    for line in summary_lines(results):
        print(line)
    print(verdict_line(verdict, results, exercised(run_dir)))
    return verdict.exit_code


def cmd_run(args: argparse.Namespace) -> int:
    from scenarios.preflight import require_exercise
    from scenarios.runner import check_determinism, run
    from scenarios.spec import Scenario

    scen = Scenario.parse_sets(args.scenario, args.set or [])
    require_exercise(scen, allow_empty=args.allow_empty)
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


def _is_sweep_dir(root: Path) -> bool:
    return (root / "sweep.json").is_file() or (root / "rows.jsonl").is_file()


def _not_a_sweep(root: Path, command: str) -> None:
    from scenarios.errors import ConfigError

    if _is_sweep_dir(root):
        raise ConfigError(f"{root} is a sweep directory, not a run: `raftsim report {root}` shows its seeds "
                          f"(or {command} one seed's directory, {root}/seed-N)")


def _render(root: Path) -> Path:
    from reports import render

    return render(root)


def cmd_check(args: argparse.Namespace) -> int:
    _not_a_sweep(Path(args.run_dir), "check")
    return _print_verdicts(Path(args.run_dir))


def cmd_check_history(args: argparse.Namespace) -> int:
    from checkers.linearizable import check_history_file

    result = check_history_file(Path(args.file), fmt=args.format)
    print(str(result))
    return result.verdict.exit_code


def cmd_replay(args: argparse.Namespace) -> int:
    if args.html:
        from reports.replay import render_replay

        root = Path(args.run_dir)
        if not root.is_dir() or not (root / "trace.jsonl").is_file():
            return _fail(f"{root}: not a run directory with a trace.jsonl")
        print(render_replay(root))
        return EXIT_OK
    from scenarios.live.command import live_run_note
    from scenarios.runner import replay

    _not_a_sweep(Path(args.run_dir), "replay")
    if live_run_note(Path(args.run_dir)):
        return _fail(str(live_run_note(Path(args.run_dir))))
    ok, text = replay(Path(args.run_dir))
    print(text)
    return EXIT_OK if ok else EXIT_INVALID


def cmd_report(args: argparse.Namespace) -> int:
    from reports import render, render_sweep

    root = Path(args.run_dir)
    if not root.is_dir():
        return _fail(f"{root}: no such run directory")
    if _is_sweep_dir(root):
        print(render_sweep(root))
        return EXIT_OK
    if not any((root / name).is_file() for name in ("run.json", "history.jsonl", "trace.jsonl")):
        return _fail(f"{root}: not a run directory (no run.json, history.jsonl or trace.jsonl)")
    print(render(root))
    return EXIT_OK


def cmd_sweep(args: argparse.Namespace) -> int:
    from scenarios.preflight import require_exercise
    from scenarios.spec import Scenario
    from scenarios.sweep import parse_seeds, sweep

    if any(item.split("=", 1)[0].strip() == "trace_messages" for item in args.set or []):
        return _fail("--set trace_messages: a sweep chooses message tracing with --trace-messages failing|all|none")
    scen = Scenario.parse_sets(args.scenario, args.set or [])
    require_exercise(scen, allow_empty=args.allow_empty)
    seeds = parse_seeds(args.seeds)
    summary = sweep(scen, seeds, out_dir=Path(args.out) if args.out else None, jobs=args.jobs,
                    executor=args.executor, scheduler=args.scheduler, progress=not args.quiet,
                    report=args.report, keep=args.keep, trace_messages=args.trace_messages)
    return summary.exit_code


def cmd_figure(args: argparse.Namespace) -> int:
    if args.number == "16":
        from scenarios.figure16 import EXPLAIN, figure16, plot, table

        if args.bug:
            return _fail("figure 16: --bug is for figure 8")
        if args.trials < 1:
            return _fail(f"--trials {args.trials}: need at least 1")
        out = Path(args.out or "runs/figure16")
        top, bottom = figure16(out, trials=args.trials, jobs=args.jobs, executor=args.executor,
                               scheduler=args.scheduler, progress=not args.quiet)
        text = table(top, bottom) + "\n\n" + EXPLAIN
        (out / "figure16.md").write_text(text + "\n", encoding="utf-8")
        print(text)
        for path in plot(top, bottom, out):
            print(f"figure: {path}")
        return EXIT_OK
    from checkers import check_run
    from reports.figure8 import NoFigure8, figure8
    from reports.replay import render_replay
    from scenarios.bugs import ZOO
    from scenarios.runner import run
    from scenarios.spec import Scenario

    if args.bug is not None and args.bug not in ZOO:
        return _fail(f"--bug {args.bug}: no such bug (see `raftsim bugs`)")
    out = Path(args.out or ("runs/figure8" + (f"-{args.bug}" if args.bug else "")))
    scen = Scenario.create("fig8-paper", {"bugs": args.bug or ""})
    rd = run(scen, args.seed, out)
    verdict, results = check_run(rd.root)
    try:
        panels, info, paths = figure8(rd.root)
    except NoFigure8 as e:
        return _fail(f"{rd.root}: {e}")
    for p in panels:
        print(p.text)
    safety = next((r for r in results if r.checker == "raft-safety"), None)
    if safety is not None:
        print(f"raft-safety: {safety.verdict.value}: {safety.summary}")
    print(f"verdict: {verdict.value}")
    for path in paths:
        print(f"figure: {path}")
    print(f"replay: {render_replay(rd.root)}")
    return verdict.exit_code


def cmd_bugs(args: argparse.Namespace) -> int:
    from scenarios.bugs import list_bugs

    for line in list_bugs():
        print(line)
    return EXIT_OK


def cmd_hunt(args: argparse.Namespace) -> int:
    from checkers import check_run, default_checkers
    from scenarios.bugs import ZOO
    from scenarios.hunt import hunt, hunt_name, parse_budget
    from scenarios.spec import Scenario

    if args.bug is not None and args.bug not in ZOO:
        return _fail(f"--bug {args.bug}: no such bug (see `raftsim bugs`)")
    target = args.checker or (ZOO[args.bug].checker if args.bug else None)
    names = [c.name for c in default_checkers()]
    if target is not None and target not in names:
        return _fail(f"--checker {target}: no such checker (one of {', '.join(names)})")
    if args.max_examples < 1:
        return _fail(f"--max-examples {args.max_examples}: need at least 1")
    budget = parse_budget(args.budget)
    if not 1 <= budget <= 7 * 24 * 3600:
        return _fail(f"--budget {args.budget}: expected 1s..7d of wall-clock time")
    chosen = [c for c in default_checkers() if target is None or c.name == target]

    def check(run_dir: Path) -> dict[str, str]:
        return {r.checker: r.verdict.value for r in check_run(run_dir, chosen)[1]}

    scen = Scenario.parse_sets(args.scenario, args.set or [])
    out = Path(args.out) if args.out else Path("runs") / hunt_name(scen, args.bug, args.seed)
    corpus = Path(args.corpus) if args.corpus else out / "corpus"  # never the source tree unless asked
    shipped = Path(__file__).resolve().parent.parent / "tests" / "bugzoo" / "corpus"  # figures of known finds
    result = hunt(scen, check, bug=args.bug, checker=target, seed=args.seed, budget_s=budget,
                  max_examples=args.max_examples, out_dir=out, corpus_dir=corpus, progress=_note,
                  on_example=_Progress(), figures_dirs=tuple(d for d in (shipped, corpus) if d.is_dir()))
    for line in result.lines():
        print(line)
    return EXIT_INVALID if result.found else EXIT_OK


def _note(text: str) -> None:
    sys.stderr.write(f"hunt: {text}\n")


class _Progress:
    """Hunt progress on stderr: a line when the best failure changes, else at most every 5 s."""

    def __init__(self) -> None:
        self.last_t = 0.0
        self.last_best = ""

    def __call__(self, status: object) -> None:
        import time

        now = time.monotonic()  # det-ok: throttles a progress display, outside any run
        best = getattr(status, "best", "")
        if best != self.last_best or now - self.last_t >= 5.0:
            self.last_t, self.last_best = now, best
            sys.stderr.write(f"hunt: {status}\n")


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
    s.add_argument("--allow-empty", action="store_true",
                   help="run even if no fault can happen or no client issues an op with these parameters")
    s.set_defaults(fn=cmd_run)

    from scenarios.live.command import add_live_parser

    add_live_parser(sub, _fail, _print_verdicts, _render)

    s = sub.add_parser("check", help="check a run directory and write result.json")
    s.add_argument("run_dir")
    s.set_defaults(fn=cmd_check)

    s = sub.add_parser("check-history", help="check a bare history file for linearizability")
    s.add_argument("file")
    s.add_argument("--format", choices=["jsonl", "edn", "porcupine"], default="jsonl")
    s.set_defaults(fn=cmd_check_history)

    s = sub.add_parser("replay", help="re-run a run directory from its run.json and confirm the trace hash "
                                      "(--html: write its animated replay.html instead)")
    s.add_argument("run_dir")
    s.add_argument("--html", action="store_true", help="write RUN_DIR/replay.html (animated, self-contained)")
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
    s.add_argument("--allow-empty", action="store_true",
                   help="sweep even if no fault can happen or no client issues an op with these parameters")
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
    s.add_argument("--corpus", help="where to write the corpus entry (default <out>/corpus; never replaces one)")
    s.set_defaults(fn=cmd_hunt)

    s = sub.add_parser("figure", help="the Raft paper's Figure 8 (re-enacted, with its replay) or Figure 16 (measured)")
    s.add_argument("number", choices=["8", "16"])
    s.add_argument("--bug", help="figure 8: a bug-zoo switch to turn on (B03 makes panel (d) lose a committed entry)")
    s.add_argument("--seed", type=int, default=5, help="figure 8: the run's seed")
    s.add_argument("--trials", type=int, default=1000, help="figure 16: seeded trials per timeout range")
    s.add_argument("-j", "--jobs", type=int, default=2)
    s.add_argument("--executor", choices=["local", "dask"], default="local")
    s.add_argument("--scheduler", help="dask scheduler address (tcp://host:8786)")
    s.add_argument("--quiet", action="store_true", help="figure 16: no progress bars")
    s.add_argument("--out", help="output directory (default runs/figure8[-BUG] or runs/figure16)")
    s.set_defaults(fn=cmd_figure)

    s = sub.add_parser("bugs", help="list the bug-zoo switches and the checker that catches each")
    s.set_defaults(fn=cmd_bugs)
    return p


def main(argv: list[str] | None = None) -> int:
    from checkers.result import CheckerError
    from checkers.rundir import RunDirError
    from scenarios.errors import ScenarioError
    from sim.errors import SimError

    args = build_parser().parse_args(argv)
    try:
        code = int(args.fn(args))
        sys.stdout.flush()  # here, where a closed pipe is caught, not at the interpreter's exit
        return code
    except (ScenarioError, CheckerError, RunDirError, SimError) as e:  # SimError: a setting the simulator refused
        return _fail(str(e))
    except BrokenPipeError:  # `raftsim ... | head`: the reader left; end quietly, as other tools do
        _quiet_stdout()
        return EXIT_ERROR
    except FileNotFoundError as e:
        return _fail(f"{e.filename}: no such file or directory")
    except OSError as e:  # e.g. --out names a file, or a directory we may not write
        return _fail(f"{e.filename or ''}: {e.strerror or e}" if e.filename else str(e))
    except KeyboardInterrupt:
        return _fail("interrupted")


def _quiet_stdout() -> None:
    """Point stdout at /dev/null, so the interpreter's last flush cannot raise BrokenPipeError again."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # no real stdout (captured under pytest): nothing to flush
        pass


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
