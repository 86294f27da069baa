"""Fuzz our own inputs: schedule and scenario text, --set strings, run.json, history files (jsonl, edn,
porcupine) and trace files, fed to ``run``, ``replay``, ``check``, ``report`` and ``check-history``.

The only outcomes allowed are a verdict or one line on stderr with exit 2 (tests/fuzz/harness.py): no
traceback, no hang (a SIGALRM guard per input), nothing written outside the run directory. The short fuzz
(a few hundred inputs, derandomized) runs in the default suite; the long one is ``-m slow`` with
``RAFTSIM_FUZZ_EXAMPLES`` inputs spread over the targets by weight (it prints how many each one tried):

    RAFTSIM_FUZZ_EXAMPLES=100000 python -m pytest tests/fuzz -m slow -s -p no:cacheprovider

Inputs that would start a simulation (a well-formed --set line or run.json) are judged up to the wired
cluster (``runner.build``), not run: the runs themselves are the scenario tests' business.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from checkers.history import read_history
from checkers.interop import ops_to_edn
from scenarios import nemesis as N
from scenarios.errors import ConfigError
from scenarios.spec import COMMON_PARAMS, Scenario, list_defs

from . import strategies as S
from .conftest import BaseRun
from .harness import (assert_allowed, assert_report_clean, assert_writes_only, call, fuzz_settings, guard, listing,
                      sandbox)

S_NS = 1_000_000_000
pytestmark = pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisWarning")  # large reprs of inputs


class _Accepted(BaseException):
    """The stubbed runner got a scenario it would run: the input was accepted."""


class _View:
    nodes = members = up = ["n1", "n2", "n3"]
    spare = down = paused = drifting = []
    leader = "n1"
    clients = ["c1", "c2"]
    link_baseline = None
    links_faulted = False


def _one_line(e: BaseException) -> None:
    assert "\n" not in str(e) and str(e), f"not one line: {str(e)[:300]!r}"


# ---------------------------------------------------------------- targets


def schedule_text(base: BaseRun, parent: Path, text: str) -> None:
    """Refused with one line, or a schedule that plans and resolves (no hang, no overflow)."""
    with guard():
        try:
            sched = N.from_repr(text)
        except ConfigError as e:
            _one_line(e)
            return
        rng = random.Random(1)
        plan = sched.plan(rng, S_NS, 11 * S_NS)
        N.triggers(sched, S_NS, 11 * S_NS)
        for _, action in plan[:50]:
            action.resolve(_View(), rng)
    assert N.from_repr(repr(sched)) == sched


def scenario_text(base: BaseRun, parent: Path, text: str) -> None:
    with guard():
        try:
            scen = Scenario.from_repr(text)
        except ConfigError as e:
            _one_line(e)
            return
    assert Scenario.from_repr(repr(scen)) == scen


def _stub_runner(monkeypatch: pytest.MonkeyPatch) -> None:
    """``run`` and ``replay`` wire the cluster (plan, workload, nemesis) but do not simulate."""
    import scenarios.runner as R

    def fake_run(scen: Scenario, seed: int, out: Path | None = None) -> Any:
        R.build(scen, seed)
        raise _Accepted

    def fake_trace_lines(scen: Scenario, seed: int) -> tuple[str, list[str]]:
        R.build(scen, seed)
        return "0" * 64, []

    monkeypatch.setattr(R, "run", fake_run)
    monkeypatch.setattr(R, "trace_lines", fake_trace_lines)


def set_strings(base: BaseRun, parent: Path, arg: tuple[str, str, list[str]]) -> None:
    name, seed, items = arg
    argv = ["run", name, "--seed", seed, "--no-check", "--out", "out"]
    for item in items:
        argv += ["--set", item]
    with sandbox(parent) as root, pytest.MonkeyPatch.context() as mp:
        _stub_runner(mp)
        before = listing(root)
        try:
            o = call(argv)
        except _Accepted:
            return
        assert_allowed(o, argv)
        assert_writes_only(before, listing(root), (), argv)


def _check_and_judge(root: Path, argv: list[str], allowed: tuple[str, ...]) -> None:
    before = listing(root)
    o = call(argv)
    assert_allowed(o, argv)
    assert_writes_only(before, listing(root), allowed, argv)


def run_json(base: BaseRun, parent: Path, data: bytes) -> None:
    """A doctored run.json: ``check`` judges or refuses, ``replay`` (stubbed simulation) too."""
    with sandbox(parent) as root, pytest.MonkeyPatch.context() as mp:
        base.write(root / "run", run_json=data)
        _check_and_judge(root, ["check", "run"], ("run/result.json",))
        _stub_runner(mp)
        try:
            _check_and_judge(root, ["replay", "run"], ())
        except _Accepted:
            pass


def history_in_run(base: BaseRun, parent: Path, data: bytes) -> None:
    with sandbox(parent) as root:
        base.write(root / "run", history_jsonl=data)
        _check_and_judge(root, ["check", "run"], ("run/result.json",))


def trace_in_run(base: BaseRun, parent: Path, data: bytes) -> None:
    with sandbox(parent) as root:
        base.write(root / "run", trace_jsonl=data)
        _check_and_judge(root, ["check", "run"], ("run/result.json",))


def report(base: BaseRun, parent: Path, arg: tuple[str, bytes]) -> None:
    which, data = arg
    with sandbox(parent) as root:
        base.write(root / "run", **{which: data})
        _check_and_judge(root, ["report", "run"], ("run/report.html", "run/replay.html", "run/plots"))
        assert_report_clean(root / "run" / "report.html")


def check_history(base: BaseRun, parent: Path, arg: tuple[str, bytes]) -> None:
    fmt, data = arg
    with sandbox(parent) as root:
        (root / "h").write_bytes(data)
        _check_and_judge(root, ["check-history", "h", "--format", fmt], ())


# ---------------------------------------------------------------- strategies over the base run


def _lines(base: BaseRun, name: str) -> list[str]:
    return base.text(name).splitlines()


def _porcupine(base: BaseRun) -> str:
    """The base history as porcupine kv operations (reads and writes, paired per process)."""
    ops, open_ = [], {}
    for op in read_history(base.root / "history.jsonl"):
        if op.type.value == "invoke":
            open_[op.process] = op
        elif op.process in open_ and op.type.value == "ok" and op.f in ("read", "write"):
            inv = open_.pop(op.process)
            value = "" if op.value is None else str(op.value)
            ops.append({"ClientId": op.process, "Call": inv.time, "Return": op.time,
                        "Input": {"Op": 0 if op.f == "read" else 1, "Key": op.key, "Value": value},
                        "Output": {"Value": value}})
    return json.dumps(ops)


def _edn(base: BaseRun) -> str:
    return ops_to_edn(read_history(base.root / "history.jsonl"))


_FORMATS = st.sampled_from(["jsonl", "edn", "porcupine"])

# Regressions: json.loads raises RecursionError (not ValueError) on deep arrays; it leaked into verdicts
# ("maximum recursion depth exceeded") or crashed check-history before the readers caught it.
_DEEP_JSON = b"[" * 100_000 + b"]" * 100_000


@dataclass(frozen=True)
class Target:
    name: str
    short: int  # examples in the default suite
    weight: float  # share of RAFTSIM_FUZZ_EXAMPLES in the long fuzz
    strategy: Callable[[BaseRun], Any]
    body: Callable[[BaseRun, Path, Any], None]
    examples: list[Any] = field(default_factory=list)  # regressions: inputs that once failed


TARGETS = [
    Target("schedule-text", 60, 0.30, lambda b: S.schedule_texts(), schedule_text),
    Target("scenario-repr", 40, 0.10,
           lambda b: S.scenario_texts(json.loads(b.files["run.json"])["scenario_repr"]), scenario_text),
    Target("set-strings", 30, 0.12, lambda b: st.tuples(
        st.sampled_from([d.name for d in list_defs()]), st.sampled_from(["1", "0", "-1", "x", "1e3", "9" * 30]),
        S.set_items(sorted({*COMMON_PARAMS, "schedule"}))), set_strings,
           [("append-kill", "1", ["0\x1e0=nan"]), ("steady", "1", ["schedule=\udcff"]),  # one *printable* line
            ("zoo-figure-8", "1", ["duration_s=nan"]), ("append-kill", "1", ["latency_ms=inf"]),  # finite only
            ("append-kill", "1", ["latency_ms=-0"])]),  # Exponential(0): the simulator's ConfigError, one line
    Target("run-json", 20, 0.08, lambda b: S.json_mutated(json.loads(b.files["run.json"]))
           .map(lambda t: t.encode("utf-8", "surrogatepass")) | S.bytes_mutated(b.files["run.json"]), run_json,
           [_DEEP_JSON, b'{"timing": true}', b'{"liveness": {"op_bound_ns": "x"}}', b'{"nodes": [1]}']),
    Target("history-in-run", 15, 0.06, lambda b: S.jsonl_mutated(_lines(b, "history.jsonl")), history_in_run,
           [_DEEP_JSON + b"\n", b'{"process": 1, "type": [], "f": "read", "value": null, "time": 1}\n']),
    Target("trace-in-run", 10, 0.04, lambda b: S.jsonl_mutated(_lines(b, "trace.jsonl")), trace_in_run,
           [_DEEP_JSON + b"\n"]),
    Target("report", 3, 0.01, lambda b: st.one_of(
        st.tuples(st.just("run_json"), S.json_mutated(json.loads(b.files["run.json"])).map(
            lambda t: t.encode("utf-8", "surrogatepass"))),
        st.tuples(st.just("history_jsonl"), S.jsonl_mutated(_lines(b, "history.jsonl"))),
        st.tuples(st.just("trace_jsonl"), S.jsonl_mutated(_lines(b, "trace.jsonl")))), report),
    Target("check-history-jsonl", 40, 0.10,
           lambda b: st.tuples(_FORMATS, S.jsonl_mutated(_lines(b, "history.jsonl"))), check_history,
           [("jsonl", _DEEP_JSON), ("edn", _DEEP_JSON)]),
    Target("check-history-edn", 30, 0.095, lambda b: st.tuples(st.just("edn"), st.one_of(
        S.text_mutated(_edn(b)).map(lambda t: t.encode("utf-8", "surrogatepass")),
        S.bytes_mutated(_edn(b).encode()))), check_history,
           [("edn", b"{{:a 1} 2}\n"), ("edn", b"{{:a [1 {:b 2}]} 2, #{1} 3}\n")]),  # maps as map keys
    Target("check-history-porcupine", 30, 0.095, lambda b: st.tuples(st.just("porcupine"), st.one_of(
        S.json_mutated(json.loads(_porcupine(b))).map(lambda t: t.encode("utf-8", "surrogatepass")),
        S.bytes_mutated(_porcupine(b).encode()))), check_history, [
        ("porcupine", _DEEP_JSON), ("porcupine", b'[{"ClientId": 1, "Call": 1, "Return": 2, "Input": "x"}]'),
        ("porcupine", b'[{"ClientId": 1, "Call": 1, "Return": 2, "Input": {"Op": 0}, "Output": true}]')]),
]


def _fuzz(target: Target, base: BaseRun, tmp_path: Path, *, long: bool) -> None:
    tried = [0]

    def one(value: Any) -> None:
        tried[0] += 1
        target.body(base, tmp_path, value)

    test = given(target.strategy(base))(one)
    for ex in target.examples:
        test = example(ex)(test)
    try:
        fuzz_settings(target.short, target.weight, long=long)(test)()
    finally:
        if long:
            print(f"\nfuzz {target.name}: {tried[0]} inputs tried (shrinking included)")


@pytest.mark.parametrize("target", TARGETS, ids=lambda t: t.name)
def test_fuzz_short(target: Target, base_run: BaseRun, tmp_path: Path) -> None:
    _fuzz(target, base_run, tmp_path, long=False)


@pytest.mark.slow
@pytest.mark.parametrize("target", TARGETS, ids=lambda t: t.name)
def test_fuzz_long(target: Target, base_run: BaseRun, tmp_path: Path) -> None:
    _fuzz(target, base_run, tmp_path, long=True)
