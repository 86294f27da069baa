"""The ``raftsim`` command line: parse arguments, call one library function, return an exit code.

(Over 400 lines: one small function per subcommand and the parser that names them all; no logic lives here.)

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
    from scenarios.params import typed_params
    from scenarios.spec import list_defs

    defs = list_defs()
    width = max(len(d.name) for d in defs)
    for d in defs:
        print(f"{d.name:<{width}}  {d.description}")
        if args.verbose:  # the fault schedule, as run.json records it
            defaults = typed_params(d.schema(), {k: p.default for k, p in d.schema().items()})
            print(f"{'':<{width}}  schedule: {d.build(defaults).nemesis!r}")
    return EXIT_OK


def cmd_params(args: argparse.Namespace) -> int:
    from scenarios.spec import get_def

    d = get_def(args.scenario)
    rows = [(p.name, p.type.__name__, _show_default(p.default), p.accepted(), p.doc + (f" ({p.why})" if p.why else ""))
            for p in d.schema().values()]
    head = ("parameter", "type", "default", "range", "meaning")
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(4)]
    print(f"{d.name}: {d.description}")
    for r in [head, *rows]:
        print("  ".join(f"{c:<{w}}" for c, w in zip(r[:4], widths)) + "  " + r[4])
    print(f"set one with: raftsim run {d.name} --seed 1 --set {rows[0][0]}={rows[0][2]}")
    return EXIT_OK


def _show_default(v: object) -> str:
    return str(v).lower() if isinstance(v, bool) else str(v) if v != "" else '""'


def _load_recorded_plugins(run_dir: Path) -> None:
    """Import the plugin modules a run directory's run.json names (its workload's checkers)."""
    from checkers.rundir import RunFiles
    from scenarios.plugins import load

    try:
        plugins = RunFiles(run_dir).meta().get("plugins") or []
    except Exception:  # noqa: BLE001 - a bad run.json is the checkers' to report (integrity)
        return
    if isinstance(plugins, list):
        load(plugins)


def _print_verdicts(run_dir: Path) -> int:
    from checkers.run import check_run, exercised, summary_lines, verdict_line

    _load_recorded_plugins(run_dir)
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
    if args.json:
        return _print_json_run(scen, args.seed, out, args.no_check, args.report)
    rd = run(scen, args.seed, out)
    print(f"run directory: {rd.root}")
    print(f"trace sha256:  {rd.trace_sha256}")
    print(f"replay:        {rd.replay}")
    if rd.meta.get("drawn"):  # the swarm scenario: what this seed drew (also in the replay line)
        print("drawn:         " + " ".join(f"{k}={v}" for k, v in sorted(rd.meta["drawn"].items())))
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
    if args.json:
        from raftsim.api import check

        result = check(Path(args.run_dir))
        _print_json(result.to_json())
        return result.exit_code
    return _print_verdicts(Path(args.run_dir))


def _print_json_run(scen: object, seed: int, out: Path | None, no_check: bool, report: bool) -> int:
    from raftsim.api import run

    result = run(scen, seed, out, check=not no_check)  # type: ignore[arg-type]
    doc = result.to_json()
    if report:
        from reports import render

        doc["paths"]["report"] = str(render(result.run_dir))
    _print_json(doc)
    return result.exit_code


def _print_json(doc: object) -> None:
    import json

    print(json.dumps(doc, indent=1, sort_keys=True))


def cmd_check_history(args: argparse.Namespace) -> int:
    from checkers.linearizable import check_history_file

    fmt = args.format or _HISTORY_FORMATS.get(Path(args.file).suffix.lower(), "jsonl")
    from checkers.sentence import sentence

    result = check_history_file(Path(args.file), fmt=fmt)
    if args.json:
        _print_json({"file": args.file, "format": fmt, "exit_code": result.verdict.exit_code,
                     "counterexample": sentence(result) if result.verdict.is_failure else "", **result.to_json()})
    else:
        print(str(result))
        if result.verdict.is_failure and sentence(result) != result.summary:
            print(f"counterexample: {sentence(result)}")
    return result.verdict.exit_code


def cmd_export_history(args: argparse.Namespace) -> int:
    from checkers.history import read_history
    from checkers.interop import READERS, WRITERS

    src = Path(args.file)
    fmt = args.format or _HISTORY_FORMATS.get(src.suffix.lower(), "jsonl")
    try:
        ops = read_history(src) if fmt == "jsonl" else READERS[fmt](src)
    except (ValueError, RecursionError) as e:  # HistoryError (line-numbered), not UTF-8, nested too deeply
        return _fail(f"{src}: not a {fmt} history ({str(e).splitlines()[0] if str(e) else type(e).__name__})")
    text = WRITERS[args.to](ops)
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
        print(f"{args.to}: {args.out} ({len(ops)} events)")
    else:
        sys.stdout.write(text)
    return EXIT_OK


# check-history: the format a file's extension names (--format overrides it)
_HISTORY_FORMATS = {".jsonl": "jsonl", ".edn": "edn", ".json": "porcupine"}


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
    import contextlib

    out = Path(args.out) if args.out else Path("runs") / f"sweep-{scen.name}"
    with contextlib.redirect_stdout(sys.stderr) if args.json else contextlib.nullcontext():  # stdout: JSON only
        summary = sweep(scen, seeds, out_dir=out, jobs=args.jobs,
                        executor=args.executor, scheduler=args.scheduler, progress=not args.quiet,
                        report=args.report, keep=args.keep, trace_messages=args.trace_messages)
    if args.junit:
        from reports.junit import write_junit

        write_junit(args.junit, scen.name, summary.rows)
    if args.json:
        doc = summary.to_json()
        doc.update(exit_code=summary.exit_code, sweep_dir=str(out), junit=args.junit,
                   failing=[{"seed": r["seed"], "verdict": r["verdict"], "replay": r["replay"],
                             "run_dir": str(out / f"seed-{r['seed']}")}
                            for r in doc["rows"] if r["verdict"] in ("illegal", "unknown")])
        _print_json(doc)
    return summary.exit_code


def cmd_coverage(args: argparse.Namespace) -> int:
    from reports.coverage import CoverageError, collect, format_table, run_dirs
    from scenarios.errors import ConfigError

    try:
        dirs = run_dirs(Path(args.run_dir))
        total, runs, quiet = collect(dirs)
    except CoverageError as e:
        raise ConfigError(str(e)) from None
    text, gaps = format_table(total, runs, len(dirs), quiet)
    print(text)
    return EXIT_OK


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
    from checkers.registry import registered

    target = args.checker or (ZOO[args.bug].checker if args.bug else None)
    every = default_checkers() + registered()  # the plugins' checkers too
    names = [c.name for c in every]
    if target is not None and target not in names:
        return _fail(f"--checker {target}: no such checker (one of {', '.join(names)})")
    if args.max_examples < 1:
        return _fail(f"--max-examples {args.max_examples}: need at least 1")
    budget = parse_budget(args.budget)
    if not 1 <= budget <= 7 * 24 * 3600:
        return _fail(f"--budget {args.budget}: expected 1s..7d of wall-clock time")
    chosen = [c for c in every if target is None or c.name == target]

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

    s = sub.add_parser("list", help="list the named scenarios (e.g. raftsim list --verbose)")
    s.add_argument("--verbose", "-v", action="store_true", help="also show each scenario's fault schedule")
    s.set_defaults(fn=cmd_list)

    s = sub.add_parser("params", help="every parameter of a scenario: type, default, range, meaning "
                                      "(e.g. raftsim params partition-majority)")
    s.add_argument("scenario", help="a scenario name (see raftsim list)")
    s.set_defaults(fn=cmd_params)

    s = sub.add_parser("run", help="run one scenario with one seed and check it")
    s.add_argument("scenario", help="a scenario name (raftsim list), e.g. partition-majority")
    s.add_argument("--seed", type=int, required=True, help="the run's seed, e.g. --seed 7 (same seed, same run)")
    s.add_argument("--set", action="append", metavar="KEY=VALUE", help="override a scenario parameter (repeatable; see raftsim params SCENARIO), e.g. --set nodes=3")
    s.add_argument("--out", help="run directory (default runs/<scenario>-seed<N>)")
    s.add_argument("--check-determinism", action="store_true",
                   help="run twice in-process and once under another PYTHONHASHSEED; report the first differing event")
    s.add_argument("--report", action="store_true", help="also render report.html")
    s.add_argument("--no-check", action="store_true", help="do not run the checkers")
    s.add_argument("--allow-empty", action="store_true",
                   help="run even if no fault can happen or no client issues an op with these parameters")
    s.add_argument("--json", action="store_true",
                   help="print one JSON document (verdicts, counts, replay line, paths) instead of text")
    s.set_defaults(fn=cmd_run)

    from scenarios.live.command import add_live_parser

    add_live_parser(sub, _fail, _print_verdicts, _render)

    s = sub.add_parser("check", help="check a run directory and write result.json")
    s.add_argument("run_dir", help="a run directory, e.g. runs/partition-majority-seed7")
    s.add_argument("--json", action="store_true", help="print one JSON document instead of text")
    s.set_defaults(fn=cmd_check)

    s = sub.add_parser("check-history", help="check a bare history file for linearizability")
    s.add_argument("file", help="a history file, e.g. runs/x/history.jsonl, history.edn or porcupine.json")
    s.add_argument("--format", choices=["jsonl", "edn", "porcupine"], default=None,
                   help="the file's format (default: from its extension: .jsonl ours, .edn Jepsen, .json porcupine)")
    s.add_argument("--json", action="store_true", help="print the verdict as one JSON document")
    s.set_defaults(fn=cmd_check_history)

    s = sub.add_parser("export-history", help="write a history as Jepsen EDN (Knossos, Elle) or porcupine JSON")
    s.add_argument("file", help="a history: .jsonl (ours), .edn or .json (porcupine)")
    s.add_argument("--to", choices=["edn", "porcupine"], required=True, help="the format to write (e.g. --to edn)")
    s.add_argument("--format", choices=["jsonl", "edn", "porcupine"], default=None,
                   help="the input's format (default: from its extension)")
    s.add_argument("--out", help="output file (default: stdout), e.g. --out history.edn")
    s.set_defaults(fn=cmd_export_history)

    s = sub.add_parser("replay", help="re-run a run directory from its run.json and confirm the trace hash "
                                      "(--html: write its animated replay.html instead)")
    s.add_argument("run_dir", help="a run directory, e.g. runs/partition-majority-seed7")
    s.add_argument("--html", action="store_true", help="write RUN_DIR/replay.html (animated, self-contained)")
    s.set_defaults(fn=cmd_replay)

    s = sub.add_parser("report", help="render report.html for a run directory (or a sweep directory)")
    s.add_argument("run_dir", help="a run or sweep directory, e.g. runs/sweep-kill-random")
    s.set_defaults(fn=cmd_report)

    s = sub.add_parser("sweep", help="run a scenario over many seeds in parallel")
    s.add_argument("scenario", help="a scenario name (raftsim list), e.g. kill-random")
    s.add_argument("--seeds", required=True, help="a range like 1..1000, or a list 1,5,9")
    s.add_argument("--set", action="append", metavar="KEY=VALUE", help="override a parameter for every seed, e.g. --set nodes=3")
    s.add_argument("-j", "--jobs", type=int, default=2, help="worker processes (default 2), e.g. -j 4")
    s.add_argument("--executor", choices=["local", "dask"], default="local", help="local processes (default) or a dask cluster (a LocalCluster unless --scheduler)")
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
    s.add_argument("--json", action="store_true",
                   help="print one JSON document (counts, rows, failing seeds' replay lines, paths) on stdout")
    s.add_argument("--junit", metavar="FILE", help="also write JUnit XML: one testcase per seed (e.g. --junit sweep.xml)")
    s.set_defaults(fn=cmd_sweep)

    s = sub.add_parser("hunt", help="search fault schedules (hypothesis) that break a checker; shrink and save")
    s.add_argument("scenario", help="the base scenario whose schedule is searched, e.g. lossy-network")
    s.add_argument("--bug", help="bug-zoo switch to turn on (e.g. B03); its checker is the target")
    s.add_argument("--checker", help="target checker name (default: the bug's, else any)")
    s.add_argument("--budget", default="10m", help="wall-clock budget: 90s, 10m, 1h")
    s.add_argument("--seed", type=int, default=1, help="seed of the per-message randomness")
    s.add_argument("--max-examples", type=int, default=200, help="schedules to try at most (default 200), e.g. --max-examples 50")
    s.add_argument("--set", action="append", metavar="KEY=VALUE", help="override a base parameter, e.g. --set nodes=3")
    s.add_argument("--out", help="output directory (default runs/hunt-<scenario>-<bug>-seed<N>)")
    s.add_argument("--corpus", help="where to write the corpus entry (default <out>/corpus; never replaces one)")
    s.set_defaults(fn=cmd_hunt)

    s = sub.add_parser("figure", help="the Raft paper's Figure 8 (re-enacted, with its replay) or Figure 16 (measured)")
    s.add_argument("number", choices=["8", "16"], help="which figure: 8 or 16")
    s.add_argument("--bug", help="figure 8: a bug-zoo switch to turn on (B03 makes panel (d) lose a committed entry)")
    s.add_argument("--seed", type=int, default=5, help="figure 8: the run's seed")
    s.add_argument("--trials", type=int, default=1000, help="figure 16: seeded trials per timeout range")
    s.add_argument("-j", "--jobs", type=int, default=2, help="figure 16: worker processes (default 2)")
    s.add_argument("--executor", choices=["local", "dask"], default="local", help="figure 16: local processes or a dask cluster")
    s.add_argument("--scheduler", help="dask scheduler address (tcp://host:8786)")
    s.add_argument("--quiet", action="store_true", help="figure 16: no progress bars")
    s.add_argument("--out", help="output directory (default runs/figure8[-BUG] or runs/figure16)")
    s.set_defaults(fn=cmd_figure)

    s = sub.add_parser("coverage", help="which API and protocol behaviours a run or a sweep (--keep all) exercised, "
                       "and the gaps (e.g. raftsim coverage runs/sweep-swarm)")
    s.add_argument("run_dir", help="a run directory or a sweep directory, e.g. runs/sweep-swarm")
    s.set_defaults(fn=cmd_coverage)

    s = sub.add_parser("bugs", help="list the bug-zoo switches and the checker that catches each")
    s.set_defaults(fn=cmd_bugs)
    _add_common(p, sub)
    return p


EXIT_CODES = "exit codes: 0 valid, 1 invalid (a checker found a violation), 2 unknown or error"
EXAMPLES = {
    "list": "raftsim list --verbose",
    "params": "raftsim params partition-majority",
    "run": "raftsim run partition-majority --seed 7 --set nodes=3 --json",
    "check": "raftsim check runs/partition-majority-seed7 --json",
    "check-history": "raftsim check-history history.edn --json",
    "export-history": "raftsim export-history runs/partition-majority-seed7/history.jsonl --to edn --out h.edn",
    "replay": "raftsim replay runs/partition-majority-seed7",
    "report": "raftsim report runs/partition-majority-seed7",
    "sweep": "raftsim sweep kill-random --seeds 1..200 -j 2 --junit sweep.xml",
    "hunt": "raftsim hunt lossy-network --bug B10 --budget 5m",
    "figure": "raftsim figure 8 --bug B03",
    "bugs": "raftsim bugs",
}


def _add_common(p: argparse.ArgumentParser, sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """--version on raftsim; --plugin, an example and the exit codes on every subcommand (also others')."""
    p.add_argument("--version", action=_Version, nargs=0, help="print raftsim's version (package metadata) and exit")
    p.formatter_class = argparse.RawDescriptionHelpFormatter
    p.epilog = ("examples:\n" + "\n".join(f"  {e}" for e in EXAMPLES.values())
                + f"\n  raftsim run bank-partition --seed 1 --plugin bank   (your own scenario)\n\n{EXIT_CODES}")
    for name, s in sub.choices.items():
        s.formatter_class = argparse.RawDescriptionHelpFormatter
        s.epilog = (f"example:\n  {EXAMPLES[name]}\n\n" if name in EXAMPLES else "") + EXIT_CODES
        s.add_argument("--plugin", action="append", default=[], metavar="MODULE",
                       help="import MODULE first: your scenarios, workloads, schedules and checkers "
                            "(repeatable; e.g. --plugin my_suite.faults)")


class _Version(argparse.Action):
    """--version, read from the package metadata only when asked (start-up stays cheap)."""

    def __call__(self, parser: argparse.ArgumentParser, *args: object, **kw: object) -> None:
        print(f"raftsim {_version()}")
        parser.exit(EXIT_OK)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("raftsim")
    except PackageNotFoundError:  # a source tree that was never installed
        return "0+unknown"


def main(argv: list[str] | None = None) -> int:
    from checkers.result import CheckerError
    from checkers.rundir import RunDirError
    from scenarios.errors import ScenarioError
    from sim.errors import SimError

    args = build_parser().parse_args(argv)
    try:
        if getattr(args, "plugin", None):
            from scenarios.plugins import load

            load(args.plugin)
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
