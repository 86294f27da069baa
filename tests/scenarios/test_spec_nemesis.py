"""Scenario values, --set parsing and nemesis schedules (pure parts; no simulation)."""

from __future__ import annotations

import random

import pytest

from scenarios import nemesis as N
from scenarios.errors import ConfigError
from scenarios.spec import Scenario, list_defs
from scenarios.sweep import parse_seeds


def test_catalog_has_at_least_15_kebab_case_scenarios_with_one_line_descriptions() -> None:
    defs = list_defs()
    assert len(defs) >= 15
    for d in defs:
        assert d.name == d.name.lower() and " " not in d.name
        assert d.description and "\n" not in d.description


@pytest.mark.parametrize("name", [d.name for d in list_defs()])
def test_every_scenario_repr_round_trips(name: str) -> None:
    s = Scenario.create(name)
    assert Scenario.from_repr(repr(s)) == s
    sched = next(d for d in list_defs() if d.name == name).build(s.p).nemesis
    assert repr(N.from_repr(repr(sched))) == repr(sched)


def test_set_parses_by_the_defaults_type() -> None:
    s = Scenario.parse_sets("partition-majority", ["nodes=3", "loss=0.1", "pre_vote=false", "workload=cas-register"])
    assert s.params["nodes"] == 3 and s.params["loss"] == 0.1 and s.params["pre_vote"] is False
    assert s.cli_args() == "--set loss=0.1 --set nodes=3 --set pre_vote=false --set workload=cas-register"


@pytest.mark.parametrize(
    "sets, needle",
    [
        (["nope=1"], "unknown parameter"),
        (["nodes=three"], "expected an int"),
        (["loss=1.5"], "probability"),
        (["pre_vote=maybe"], "expected a bool"),
        (["workload=banana"], "workload"),
        (["nodes"], "expected key=value"),
        (["election_ticks=1"], "election_ticks"),
        (["bugs=x7"], "bugs"),
    ],
)
def test_bad_set_is_a_config_error_naming_the_problem(sets: list[str], needle: str) -> None:
    with pytest.raises(ConfigError, match=needle):
        Scenario.parse_sets("partition-majority", sets)


def test_unknown_scenario_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="unknown scenario"):
        Scenario.create("partition-majorty")


@pytest.mark.parametrize("text, seeds", [("1..3", [1, 2, 3]), ("7", [7]), ("1..2,9", [1, 2, 9]), ("5,5", [5])])
def test_parse_seeds(text: str, seeds: list[int]) -> None:
    assert parse_seeds(text) == seeds


@pytest.mark.parametrize("text", ["", "a..b", "3..1", "1..", "1-5"])
def test_malformed_seeds_are_config_errors(text: str) -> None:
    with pytest.raises(ConfigError):
        parse_seeds(text)


class _View:
    nodes = ["n1", "n2", "n3", "n4", "n5"]
    members = nodes
    spare: list[str] = []
    up = nodes
    down: list[str] = []
    paused: list[str] = []
    leader = "n3"
    drifting: list[str] = []
    clients = ["c0", "c1"]
    link_baseline = None
    links_faulted = False


def test_cycle_alternates_actions_and_stays_in_its_window() -> None:
    sched = N.cycle(2.0, N.partition("majority"), N.do_heal(), start_s=1.0)
    plan = sched.plan(random.Random(1), 0, 10 * N.NS_PER_S)
    assert [t // N.NS_PER_S for t, _ in plan] == [1, 3, 5, 7, 9]
    assert [repr(a) for _, a in plan][:2] == ["partition('majority')", "do(F.Heal())"]


def test_isolate_leader_targets_whoever_leads_when_it_fires() -> None:
    [(delay, fault)] = N.isolate_leader().resolve(_View(), random.Random(1))
    assert delay == 0 and ("n3",) in fault.groups


def test_leader_minority_puts_the_leader_in_a_minority() -> None:
    [(_, fault)] = N.leader_minority().resolve(_View(), random.Random(3))
    minority = next(g for g in fault.groups if "n3" in g)
    assert len(minority) == 2 and sum(len(g) for g in fault.groups) == 5


def test_kill_leader_crashes_then_restarts_the_same_node() -> None:
    (d1, f1), (d2, f2) = N.kill_leader(0.5).resolve(_View(), random.Random(1))
    assert (d1, type(f1).__name__, f1.node) == (0, "Crash", "n3")
    assert (d2, type(f2).__name__, f2.node) == (N.NS_PER_S // 2, "Restart", "n3")


def test_mix_merges_in_time_order_and_is_deterministic_per_seed() -> None:
    sched = N.mix(N.every(1.0, N.kill_random(0.1), jitter=0.5), N.every(0.7, N.clock_bump(1.0)))
    a = sched.plan(random.Random(9), 0, 5 * N.NS_PER_S)
    b = sched.plan(random.Random(9), 0, 5 * N.NS_PER_S)
    assert a == b and [t for t, _ in a] == sorted(t for t, _ in a)


def test_on_plans_nothing_ahead_and_its_window_follows_phases() -> None:
    trig = N.on("become-leader", N.isolate_leader(), delay_ms=(1.0, 2.0), p=0.5, nth=2)
    sched = N.phases((1.0, N.mix(N.at(0.0, N.do_heal()), trig)), (2.0, trig))
    assert [repr(a) for _, a in sched.plan(random.Random(1), 0, 10 * N.NS_PER_S)] == ["do(F.Heal())"]
    assert [(lo, hi) for lo, hi, _ in N.triggers(sched, 0, 10 * N.NS_PER_S)] == [(0, N.NS_PER_S), (N.NS_PER_S, 3 * N.NS_PER_S)]
    assert N.from_repr(repr(sched)) == sched and "nth=2" in repr(sched)
    delays = [trig.draw_delay_ns(random.Random(s)) for s in range(200)]
    fired = [d for d in delays if d is not None]
    assert 60 < len(fired) < 140 and all(1_000_000 <= d <= 2_000_000 for d in fired)


@pytest.mark.parametrize("kwargs", [{"delay_ms": (2.0, 1.0)}, {"p": 1.5}, {"nth": -1}, {"delay_ms": (-1.0, 0.0)}])
def test_on_rejects_bad_arguments(kwargs) -> None:
    with pytest.raises(ConfigError):
        N.on("become-leader", N.isolate_leader(), **kwargs)


def test_all_of_resolves_every_action_against_the_same_view() -> None:
    faults = [str(f) for _, f in N.all_of(N.kill_leader(0.5), N.do_heal()).resolve(_View(), random.Random(1))]
    assert faults == ["crash n3", "restart n3", "heal"]
    both = N.all_of(N.kill_leader(0.5), N.do_heal())
    assert N.from_repr(repr(both), actions=True) == both


def test_heal_all_resets_only_what_is_faulted() -> None:
    class V(_View):
        paused = ["n2"]
        down = ["n4"]
        drifting = ["n5"]

    names = [str(f) for _, f in N.heal_all().resolve(V(), random.Random(1))]
    assert names == ["heal", "resume n2", "restart n4", "clock-drift n5 +0ppm"]


def test_replay_arguments_survive_the_shell_even_with_quotes_in_a_schedule() -> None:
    import shlex

    s = Scenario.create("scripted", {"schedule": "mix(at(2.0, partition('majority')))", "nodes": 3})
    argv = shlex.split(s.cli_args())
    assert argv[0::2] == ["--set"] * (len(argv) // 2)
    assert Scenario.parse_sets("scripted", argv[1::2]) == s


def test_on_reacts_to_the_run_at_the_instant_of_the_event(tmp_path) -> None:
    import json

    from scenarios.runner import run

    # Isolate the first leader elected in the fault phase, the moment it is elected (nth=1).
    sched = "mix(at(0.0, isolate_leader()), on('become-leader', isolate_leader(), nth=1))"
    scen = Scenario.create("scripted", {"schedule": sched, "duration_s": 2.0, "recover_s": 0.5, "clients": 2,
                                        "trace_messages": False})
    rd = run(scen, 3, tmp_path / "r")
    lines = [json.loads(x) for x in (rd.root / "trace.jsonl").read_text().splitlines()[1:]]
    parts = [e for e in lines if e.get("name") == "partition"]
    assert len(parts) == 2, parts  # the scheduled one, then exactly one reaction
    elected = [e for e in lines if e["kind"] == "become-leader" and e["t"] > parts[0]["t"]]
    assert elected and parts[1]["t"] == elected[0]["t"]
    assert [elected[0]["node"]] in parts[1]["groups"]
