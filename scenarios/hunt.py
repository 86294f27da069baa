"""``raftsim hunt``: a Hypothesis search for a fault schedule that breaks a checker, shrunk to a minimum.

Rules:
- The strategy draws a *timed fault schedule* (0-6 events, each ``at(t, action)`` or, reacting to the run,
  ``on("become-leader", action, delay_ms=..., nth=k)``: partitions, leader isolation,
  crashes with restart, pauses, clock steps, membership changes, heals; each a nemesis combinator whose ``repr`` round-trips
  through ``scenarios.nemesis.from_repr``) and a few workload parameters. Everything per message (latency,
  loss, election jitter) still comes from the run's seeded streams, so an example is one deterministic run.
- Examples run without message tracing (about twice as fast; the history, and so every verdict, is the
  same: see scenarios/sweep.py); the kept run of the result traces them as the base scenario says.
- Hypothesis shrinks a failing example to fewer, simpler events, then ``drop_events`` deletes single
  events while it still fails (1-minimal); the result replays as
  ``raftsim run scripted --seed N --set schedule='mix(at(...), ...)' ...``.
- On a failure we write (a) the run directory of the shrunk example, (b) a standalone pytest file that
  rebuilds the scenario and asserts the checker's verdict, and (c) a corpus entry (JSON) that
  tests/bugzoo/test_corpus.py replays.
- With ``bug`` set the search is differential: a schedule counts only if the clean build passes it; ones
  that break the clean build too are real findings, listed in ``clean-failures.txt`` next to the output.
- Judging is injected (``check(run_dir) -> {checker: verdict}``), as in scenarios/bugs.py.
- Everything is written under the output directory (run, reproducer, corpus entry) unless the caller names
  another corpus directory; an existing corpus entry is never replaced. Progress (examples tried, the best
  failure so far, time left) goes to ``on_example``, never into the files. The corpus entry records how
  many examples and wall seconds the find took: a hunt that finds nothing quotes those of similar bugs.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scenarios import nemesis as N
from scenarios.errors import ConfigError
from scenarios.spec import COMMON_PARAMS, Scenario

__all__ = ["CORPUS_FORMAT", "HuntResult", "HuntStatus", "budget_advice", "drop_events", "event_count", "hunt",
           "hunt_name", "parse_budget", "schedule_strategy", "write_corpus_entry"]

CORPUS_FORMAT = 1
CheckFn = Callable[[Path], Mapping[str, str]]

# Actions a drawn event may take, simplest first: scenarios/actions.py's menu, beside the actions.
_ACTIONS = N.HUNT_MENU


def parse_budget(text: str) -> float:
    """``10m``, ``90s``, ``1h`` or plain seconds -> seconds."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smh]?)\s*", text)
    if not m:
        raise ConfigError(f"--budget {text!r}: expected e.g. 90s, 10m, 1h")
    return float(m.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600}[m.group(2)]


def schedule_strategy(duration_s: float, max_events: int = 6) -> Any:
    """A strategy of schedule reprs: 0..max_events timed fault events in the fault phase."""
    from hypothesis import strategies as st

    steps = max(1, int(duration_s * 10) - 1)
    # (t, action, d, delay, reactive): timed ``at(t/10, action)``, or -- reactive, shrinking towards timed --
    # ``on("become-leader", action, delay_ms=2*delay, nth=1 + t % 4)``: a fault at an instant relative to
    # an election (e.g. within one round trip of it), which fixed times almost never hit.
    event = st.tuples(st.integers(0, steps), st.integers(0, len(_ACTIONS) - 1), st.integers(1, 8),
                      st.integers(0, 30), st.booleans())

    def build(events: list[tuple[int, int, int, int, bool]]) -> str:
        parts = [N.on("become-leader", _ACTIONS[a](d / 10), delay_ms=(2.0 * ms, 2.0 * ms), nth=1 + t % 4)
                 if reactive else N.at(t / 10, _ACTIONS[a](d / 10)) for t, a, d, ms, reactive in sorted(events)]
        return repr(N.mix(*parts)) if parts else "NONE"

    return st.lists(event, min_size=0, max_size=max_events).map(build)


def drop_events(ex: tuple[str, int, int], fails: Callable[[tuple[str, int, int]], bool]) -> tuple[str, int, int]:
    """Delete events one at a time while the example still fails, until no single deletion does (1-minimal).

    Hypothesis's shrinker can stop at a local minimum: an event that does nothing by itself (a heal at 0 s)
    but whose deletion, together with the simplifications it is tried with, changes a random stream's
    draws. ``fails`` is the search's own memoised predicate, so this pass respects the budget too.
    """
    sched, clients, keys = ex
    parts = list(N.from_repr(sched).schedules) if sched != "NONE" else []  # type: ignore[attr-defined]
    i = 0
    while i < len(parts):
        trial = parts[:i] + parts[i + 1:]
        if fails((repr(N.mix(*trial)) if trial else "NONE", clients, keys)):
            parts = trial
        else:
            i += 1
    return (repr(N.mix(*parts)) if parts else "NONE", clients, keys)


def event_count(schedule: str) -> int:
    """How many fault events a scripted schedule holds (one per ``at(`` or ``on(``)."""
    return len(re.findall(r"\b(?:at|on)\(", schedule))


@dataclass(frozen=True, slots=True, kw_only=True)
class HuntStatus:
    """Where a hunt stands after an example: for a progress display (stderr), never for files."""

    examples: int
    best: str  # the smallest failure so far ("linearizable illegal, 2 event(s)"), or ""
    left_s: float  # wall seconds left of the budget

    def __str__(self) -> str:
        return (f"{self.examples} example(s) tried; best so far: {self.best or 'none'}; "
                f"{max(0.0, self.left_s):.0f}s left")


def hunt_name(base: Scenario, bug: str | None, seed: int) -> str:
    """The hunt's name: its default output directory, reproducer and corpus entry are named after it."""
    return f"hunt-{base.name}-{bug or 'any'}-seed{seed}"


@dataclass(frozen=True)
class HuntResult:
    found: bool
    examples: int
    wall_s: float
    scenario: Scenario | None = None
    seed: int = 0
    checker: str = ""
    run_dir: Path | None = None
    test_file: Path | None = None
    corpus_file: Path | None = None
    replay: str = ""
    advice: str = ""  # when nothing was found: what similar bugs needed

    def lines(self) -> list[str]:
        if not self.found or self.scenario is None:
            return [f"no failure in {self.examples} example(s), {self.wall_s:.0f}s"] + ([self.advice] if self.advice else [])
        return [f"FOUND after {self.examples} example(s), {self.wall_s:.0f}s: {self.checker} illegal",
                f"shrunk schedule ({event_count(str(self.scenario.p.schedule))} event(s)): "
                f"{self.scenario.p.schedule}",
                f"replay:      {self.replay}",
                f"run dir:     {self.run_dir}",
                f"pytest file: {self.test_file}",
                f"corpus:      {self.corpus_file}"]


def _base_params(base: Scenario) -> dict[str, Any]:
    return {k: v for k, v in base.params.items() if k in COMMON_PARAMS}


def hunt(base: Scenario, check: CheckFn, *, bug: str | None = None, checker: str | None = None, seed: int = 1,
         budget_s: float = 600.0, max_examples: int = 200, out_dir: Path | None = None,
         corpus_dir: Path | None = None, progress: Callable[[str], None] | None = None,
         on_example: Callable[[HuntStatus], None] | None = None, figures_dirs: tuple[Path, ...] = ()) -> HuntResult:
    """Search schedules on ``base``'s cluster and workload (with ``bug`` on) until ``checker`` says ILLEGAL.

    ``checker`` defaults to the bug's zoo checker, else any checker. Stops at ``budget_s`` wall seconds
    or ``max_examples``: Hypothesis (generation and shrinking) has the first 80% of the budget, and
    ``drop_events`` the rest. An example that has started always finishes (the event limit bounds it).
    ``progress`` gets one-line notes (a hit, a clean-build failure), ``on_example`` a ``HuntStatus`` after each
    example; ``figures_dirs`` are corpus directories whose recorded figures advise when nothing is found.
    """
    from hypothesis import HealthCheck, Phase, find, settings
    from hypothesis import strategies as st
    from hypothesis.errors import NoSuchExample

    from scenarios.bugs import ZOO
    from scenarios.runner import run

    if bug is not None and checker is None:
        checker = ZOO[bug].checker if bug in ZOO else None
    entry = Path(corpus_dir) / f"{hunt_name(base, bug, seed)}.json" if corpus_dir is not None else None
    if entry is not None and entry.exists():  # refuse before the search, not after it
        raise ConfigError(f"{entry}: a corpus entry exists; not replacing it (move it, or pass another --corpus)")
    params = _base_params(base)
    if bug is not None:
        params["bugs"] = bug
    duration = float(params["duration_s"])
    strategy = st.tuples(schedule_strategy(duration), st.sampled_from([params["clients"], 4, 8]),
                         st.sampled_from([params["keys"], 1, 2]))
    t0 = time.perf_counter()  # det-ok: wall-clock budget/report outside any run
    # Hypothesis gets the first 80% of the budget; drop_events (the deletions that matter most) the rest.
    deadline = t0 + 0.8 * budget_s
    tmp = Path(tempfile.mkdtemp(prefix="raftsim-hunt-"))
    counter = {"n": 0, "hits": 0}
    say = progress or (lambda s: None)

    def scen_of(ex: tuple[str, int, int], trace_messages: bool = False) -> Scenario:
        sched, clients, keys = ex
        return Scenario.create("scripted", {**params, "schedule": sched, "clients": clients, "keys": keys,
                                            "trace_messages": trace_messages})

    memo: dict[tuple[str, int, int], bool] = {}
    found_by: dict[tuple[str, int, int], str] = {}  # failing example -> the checker that said illegal
    clean_failures: list[str] = []
    failing: list[tuple[str, int, int]] = []

    def fails(ex: tuple[str, int, int]) -> bool:
        # Memoised: Hypothesis replays examples, and a run is a pure function of them, so the answer must
        # not change when the budget runs out between two calls (that would look flaky).
        if ex in memo:
            return memo[ex]
        if time.perf_counter() > deadline:  # det-ok: wall-clock budget/report outside any run
            return False
        memo[ex] = _fails(ex)
        if memo[ex]:
            failing.append(ex)
        return memo[ex]

    def _fails(ex: tuple[str, int, int]) -> bool:
        counter["n"] += 1
        scen = scen_of(ex)
        rd = run(scen, seed, tmp / "ex")
        verdicts = check(rd.root)
        bad = [c for c, v in verdicts.items() if v == "illegal" and (checker is None or c == checker)]
        if bad and bug is not None:
            # Differential: a schedule counts only if the clean build passes it (else it is not this bug's).
            clean = Scenario.create("scripted", {**dict(scen.params), "bugs": ""})
            if check(run(clean, seed, tmp / "clean").root).get(bad[0]) == "illegal":
                clean_failures.append(f"{bad[0]} illegal without {bug}: raftsim run scripted --seed {seed} "
                                      f"{clean.cli_args()}")
                say(f"example {counter['n']}: the clean build fails too (not {bug}'s): {ex[0]}")
                return False
        if bad:
            counter["hits"] += 1
            say(f"example {counter['n']}: {bad[0]} illegal with {event_count(ex[0])} event(s): {ex[0]}")
            found_by[ex] = bad[0]
        if on_example is not None:
            best = min(found_by, key=lambda e: (event_count(e[0]), len(e[0]), e[1], e[2]), default=None)
            on_example(HuntStatus(examples=counter["n"], left_s=t0 + budget_s - time.perf_counter(),  # det-ok: wall-clock budget/report outside any run
                                  best="" if best is None else f"{found_by[best]} illegal, {event_count(best[0])} event(s)"))
        return bool(bad)

    cfg = settings(max_examples=max_examples, deadline=None, database=None, derandomize=True,
                   suppress_health_check=list(HealthCheck), phases=[Phase.generate, Phase.shrink])
    try:
        try:
            best = find(strategy, fails, settings=cfg)
        except NoSuchExample:
            if clean_failures and out_dir is not None:
                Path(out_dir).mkdir(parents=True, exist_ok=True)
                (Path(out_dir) / "clean-failures.txt").write_text("\n".join(clean_failures) + "\n")
            wall = time.perf_counter() - t0  # det-ok: wall-clock budget/report outside any run
            return HuntResult(False, counter["n"], wall, advice=budget_advice(figures_dirs, checker, bug, counter["n"], wall))
        except Exception:  # noqa: BLE001 - e.g. Hypothesis gave up mid-shrink: keep the smallest failure seen
            if not failing:
                raise
            best = min(failing, key=lambda ex: (event_count(ex[0]), len(ex[0]), ex[1], ex[2]))
        deadline = t0 + budget_s  # fails reads the enclosing binding: drop_events gets the rest
        best = drop_events(best, fails)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)  # the examples' run directories (the kept one is rebuilt below)
    scen = scen_of(best, trace_messages=bool(params.get("trace_messages", True)))
    name = hunt_name(base, bug, seed)
    out = Path(out_dir) if out_dir is not None else Path("runs") / name
    if clean_failures:  # real findings: the clean build broke; keep their replay lines
        out.mkdir(parents=True, exist_ok=True)
        (out / "clean-failures.txt").write_text("\n".join(clean_failures) + "\n")
    rd = run(scen, seed, out / "run")
    verdicts = check(rd.root)
    got = checker or next((c for c, v in sorted(verdicts.items()) if v == "illegal"), "")
    test_file = _write_pytest(out / f"test_{name.replace('-', '_')}.py", scen, seed, got)
    wall = time.perf_counter() - t0  # det-ok: wall-clock budget/report outside any run
    corpus = write_corpus_entry(Path(corpus_dir) if corpus_dir is not None else None, scen, seed, got, bug, name,
                                figures={"examples": counter["n"], "wall_s": round(wall, 1)})
    return HuntResult(True, counter["n"], wall, scen, seed, got, rd.root, test_file, corpus, rd.replay)


def write_corpus_entry(corpus_dir: Path | None, scen: Scenario, seed: int, checker: str, bug: str | None,
                       name: str, figures: Mapping[str, Any] | None = None) -> Path | None:
    """Write ``<corpus_dir>/<name>.json``: the scenario repr, seed, checker and expected verdict, and the
    ``figures`` of the find (examples, wall_s). Never replaces an existing entry: ConfigError instead."""
    if corpus_dir is None:
        return None
    path = corpus_dir / f"{name}.json"
    if path.exists():
        raise ConfigError(f"{path}: a corpus entry exists; not replacing it (move it, or pass another --corpus)")
    corpus_dir.mkdir(parents=True, exist_ok=True)
    doc = {"format": CORPUS_FORMAT, "name": name, "bug": bug, "scenario_repr": repr(scen), "seed": seed,
           "checker": checker, "verdict": "illegal", "events": event_count(str(scen.p.get("schedule", ""))),
           "replay": f"raftsim run {scen.name} --seed {seed} {scen.cli_args()}", **(figures or {})}
    path.write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n")
    return path


def budget_advice(dirs: tuple[Path, ...], checker: str | None, bug: str | None, examples: int, wall_s: float) -> str:
    """What similar bugs needed (the corpus entries' ``examples``/``wall_s``: same checker, else any), as one
    line advising a bigger ``--max-examples``/``--budget``; "" when no entry records figures."""
    found = []
    for d in dirs:
        for path in sorted(Path(d).glob("*.json")):
            try:
                doc = json.loads(path.read_text(encoding="utf-8"))
                found.append((str(doc["checker"]), str(doc.get("bug")), int(doc["examples"]), float(doc["wall_s"])))
            except (OSError, ValueError, KeyError, TypeError):
                continue  # an entry without figures (or unreadable) advises nothing
    same = [f for f in found if f[0] == checker] or found
    if not same:
        return ""
    most_ex = max(f[2] for f in same)
    most_s = max(f[3] for f in same)
    bugs = ", ".join(sorted({f[1] for f in same if f[1] not in ("None", bug)}))
    kind = f"{checker} bugs" if checker and same[0][0] == checker else "bugs"
    return (f"similar {kind} ({bugs or 'in the corpus'}) were found within {most_ex} example(s) and {most_s:.0f}s "
            f"(corpus figures); this hunt tried {examples} in {wall_s:.0f}s: try --max-examples "
            f"{max(2 * most_ex, 2 * examples)} --budget {_budget_text(max(2 * most_s, 2 * wall_s))}")


def _budget_text(seconds: float) -> str:
    return f"{seconds / 60:.0f}m" if seconds >= 120 else f"{seconds:.0f}s"


_TEST_TEMPLATE = '''"""Reproducer written by `raftsim hunt`: {checker} must find the violation again.

Run it with pytest (the raftsim plugin runs the seed; a failing case shows the verdicts and the replay line).
"""

import pytest

import raftsim

raftsim.load_plugins({plugins!r})  # the user's modules the scenario comes from (none for the catalog's)
SCENARIO = raftsim.Scenario.from_repr({scen!r})
SEED = {seed}


@pytest.mark.raftsim(scenario=SCENARIO, seeds=[SEED], expect={{{checker!r}: {verdict!r}}})
def test_{fn}_is_{verdict}(raftsim_run):
    verdicts = {{r.checker: r.verdict.value for r in raftsim_run.results}}
    assert verdicts[{checker!r}] == {verdict!r}, raftsim_run.explain()
'''


def _write_pytest(path: Path, scen: Scenario, seed: int, checker: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fn = re.sub(r"\W", "_", checker)
    from scenarios.plugins import modules

    path.write_text(_TEST_TEMPLATE.format(checker=checker, scen=repr(scen), seed=seed, fn=fn, verdict="illegal",
                                          plugins=list(modules())))
    return path
