"""Parameters are declared once and checked before anything runs: one line, exit 2, never a traceback."""

from __future__ import annotations

import math

import pytest

from scenarios.cli import main
from scenarios.errors import ConfigError
from scenarios.params import BUDGET_OPS, PARAMS, Param
from scenarios.preflight import preflight, require_exercise
from scenarios.spec import Scenario, get_def, list_defs

# Values that once crashed a run with a traceback (inf/nan/1e308 durations, rates, latencies, fsyncs:
# OverflowError in the runner; latency_ms=0: the simulator's ConfigError; round_s=0: ZeroDivisionError;
# keys=1e9: MemoryError; 1e9 timeouts and durations: a run that never ends), and the rest of the ladder.
LADDER = ["0", "-1", "1", "2", "0.5", "1e-9", "1000000000", "1e308", "inf", "-inf", "nan", "abc", "", "true"]
SAMPLE = ["steady", "bridge", "membership-churn", "zoo-figure-8", "scripted", "lock-pause-holder", "zoo-membership-split"]


@pytest.mark.parametrize("name", SAMPLE)
def test_every_value_is_accepted_or_refused_in_one_line_naming_it(name: str) -> None:
    bad = []
    for key in sorted(get_def(name).schema()):
        if key == "schedule":  # the schedule grammar has its own hostile-input tests
            continue
        for value in LADDER:
            try:
                scen = Scenario.parse_sets(name, [f"{key}={value}"])
            except ConfigError as e:
                if "\n" in str(e) or f"{key}=" not in str(e):
                    bad.append(f"{key}={value}: {e}")
                continue
            p = scen.params[key]
            if isinstance(p, float) and not math.isfinite(p):
                bad.append(f"{key}={value} accepted as {p}")
            try:
                preflight(scen)
            except ConfigError as e:  # e.g. a schedule too big for the cluster: a reason, never a crash
                if "\n" in str(e):
                    bad.append(f"{key}={value}: {e}")
    assert not bad, "\n".join(bad)


def test_every_param_has_a_type_a_meaning_and_bounded_numbers() -> None:
    for p in PARAMS:
        assert p.doc and "\n" not in p.doc, p.name
        assert p.check(p.default) == p.default, p.name
        if p.type in (int, float):
            assert p.lo is not None and p.hi is not None, f"{p.name}: a number needs both bounds"


def test_every_scenario_declares_every_parameter_it_has() -> None:
    for d in list_defs():
        schema = d.schema()
        assert set(Scenario.create(d.name).params) == set(schema), d.name
        for p in schema.values():
            assert isinstance(p, Param) and p.check(p.default, d.name) == p.default


@pytest.mark.parametrize("argv, needle", [
    (["bridge", "--set", "nodes=2"], "nodes=2: expected 3..15 (a majority and a minority need three nodes)"),
    (["partition-majority", "--set", "nodes=1"], "nodes=1: expected 3..15"),
    (["membership-churn", "--set", "nodes=1"], "nodes=1: expected 2..15"),
    (["zoo-membership-split", "--set", "nodes=3"], "nodes=3: expected 5..5"),
    (["steady", "--set", "latency_ms=inf"], "latency_ms=inf: expected a finite number"),
    (["steady", "--set", "latency_ms=nan"], "latency_ms=nan: expected a finite number"),
    (["steady", "--set", "latency_ms=0"], "latency_ms=0: expected > 0 and <= 10_000"),
    (["steady", "--set", "duration_s=1e9"], "duration_s=1e+09: expected > 0 and <= 600"),
    (["steady", "--set", "client_timeout_ms=1000000000"], "client_timeout_ms=1000000000: expected 1..60_000"),
    (["steady", "--set", "keys=1000000000"], "keys=1000000000: expected 1..1000"),
    (["steady", "--set", "fsync_ms=-1"], "fsync_ms=-1: expected >= 0 and <= 10_000"),
    (["steady", "--set", "bugs=B99"], "no such bug B99"),
    (["steady", "--set", "clients=200", "--set", "rate=5000"], f"at most {BUDGET_OPS:,}"),
    (["zoo-figure-8", "--set", "round_s=0"], "round_s=0: expected >= 0.1 and <= 600"),
    (["scripted", "--set", "schedule=5"], "not a schedule"),
])
def test_bad_parameters_are_one_line_and_exit_2(argv: list[str], needle: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", argv[0], "--seed", "1", "--no-check", *argv[1:]]) == 2
    captured = capsys.readouterr()
    err = captured.err.strip()
    assert needle in err and len(err.splitlines()) == 1 and "Traceback" not in err, err
    assert captured.out == ""


@pytest.mark.parametrize("command", ["sweep", "hunt"])
def test_sweep_and_hunt_refuse_the_same_values_before_running(command: str, tmp_path, capsys) -> None:
    extra = ["--seeds", "1"] if command == "sweep" else ["--budget", "5s"]
    assert main([command, "bridge", *extra, "--set", "nodes=2", "--out", str(tmp_path / "o")]) == 2
    assert "nodes=2: expected 3..15" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("sets, why", [
    ({"clients": 0}, "clients=0: no client issues an op"),
    ({"duration_s": 0.5}, "no fault is scheduled within duration_s=0.5"),
])
def test_a_run_that_cannot_exercise_anything_is_refused(sets: dict, why: str) -> None:
    scen = Scenario.create("partition-majority", sets)
    with pytest.raises(ConfigError, match=why):
        require_exercise(scen)
    require_exercise(scen, allow_empty=True)  # asked for explicitly: allowed


def test_a_schedule_that_resolves_to_no_fault_is_refused() -> None:
    # A heal alone injects nothing: the events happen, but no fault does.
    scen = Scenario.create("scripted", {"schedule": "mix(at(0.5, do(F.Heal())))"})
    assert preflight(scen).faulting_events == 0
    with pytest.raises(ConfigError, match="no scheduled event can inject a fault"):
        require_exercise(scen)


def test_a_fault_free_scenario_is_not_refused_for_having_no_faults() -> None:
    pf = require_exercise(Scenario.create("steady"))
    assert not pf.plans_faults and pf.can_fault
    assert require_exercise(Scenario.create("partition-majority")).faulting_events >= 2  # the heals are no faults


def test_allow_empty_runs_and_the_verdict_line_says_what_was_exercised(tmp_path, capsys) -> None:
    fast = ["--set", "duration_s=0.5", "--set", "recover_s=0.5", "--set", "nodes=3"]
    assert main(["run", "partition-majority", "--seed", "1", "--out", str(tmp_path / "r"), *fast]) == 2
    assert "--allow-empty" in capsys.readouterr().err and not (tmp_path / "r").exists()
    code = main(["run", "partition-majority", "--seed", "1", "--out", str(tmp_path / "r"), "--allow-empty",
                 "--set", "clients=0", *fast])
    out = capsys.readouterr().out
    line = next(x for x in out.splitlines() if x.startswith("verdict: "))
    # Raft safety and liveness still judged the elections; the line says how little else was tested.
    assert "8 not exercised; 0 faults, 0 ops exercised" in line, line
    assert code == 0


def test_code_reads_typed_read_only_params_generated_from_the_declarations() -> None:
    import dataclasses
    import pickle

    scen = Scenario.parse_sets("zoo-figure-8", ["nodes=3", "round_s=1.5"])
    p = scen.p
    assert (p.nodes, p.round_s, p.pre_vote) == (3, 1.5, scen.params["pre_vote"])  # shared and the scenario's own
    assert [f.name for f in dataclasses.fields(p)] == list(scen.params)  # the table's order, every parameter
    assert {f.name: f.type for f in dataclasses.fields(p)} == {k: q.type for k, q in get_def(scen.name).schema().items()}
    with pytest.raises(AttributeError, match="no parameter 'node' .*declared: nodes"):
        p.node  # noqa: B018  (a typo fails loudly)
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.nodes = 4  # type: ignore[misc]
    assert p.get("election_ticks_max") is None and Scenario.create("fig16-election").p.get("election_ticks_max") == 300
    assert pickle.loads(pickle.dumps(p)) == p  # sweep workers may receive it
    assert Scenario.from_repr(repr(scen)) == scen and type(Scenario.create("steady").p) is type(Scenario.create("bridge").p)
