"""raftsim hunt: strategies round-trip, budgets parse, and a hunt finds and shrinks an easy bug."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings

from scenarios import nemesis as N
from scenarios.hunt import drop_events, event_count, hunt, parse_budget, schedule_strategy
from scenarios.spec import Scenario

from .conftest import verdicts


@settings(max_examples=50, deadline=None)
@given(schedule_strategy(4.0))
def test_drawn_schedules_round_trip_through_from_repr(text: str) -> None:
    assert repr(N.from_repr(text)) == text
    assert event_count(text) <= 6


def test_event_count_counts_timed_and_reactive_events_only() -> None:
    sched = N.mix(N.at(1.0, N.partition("majority")), N.on("become-leader", N.isolate_leader(), nth=2))
    assert event_count(repr(sched)) == 2 and event_count("NONE") == 0


def test_drop_events_leaves_a_1_minimal_schedule_and_keeps_clients_and_keys() -> None:
    sched = repr(N.mix(N.at(0.0, N.do_heal()), N.at(0.5, N.isolate_leader()), N.at(0.0, N.do_heal()),
                       N.on("become-leader", N.kill_leader(0.5), delay_ms=(2.0, 2.0), nth=1), N.at(1.0, N.do_heal())))
    tried: list[str] = []

    def fails(ex: tuple[str, int, int]) -> bool:  # needs the isolation and the reactive kill, nothing else
        tried.append(ex[0])
        return "isolate_leader" in ex[0] and "kill_leader" in ex[0]

    got, clients, keys = drop_events((sched, 7, 2), fails)
    assert (clients, keys) == (7, 2)
    assert got == repr(N.mix(N.at(0.5, N.isolate_leader()),
                             N.on("become-leader", N.kill_leader(0.5), delay_ms=(2.0, 2.0), nth=1)))
    assert N.from_repr(got) is not None and len(tried) == 5  # 3 heals deleted, 2 needed events kept
    assert drop_events(("NONE", 1, 1), fails) == ("NONE", 1, 1)
    assert drop_events((repr(N.mix(N.at(0.0, N.do_heal()))), 1, 1), lambda ex: True) == ("NONE", 1, 1)


def test_budget_parses_units() -> None:
    assert parse_budget("10m") == 600 and parse_budget("90s") == 90 and parse_budget("2") == 2
    with pytest.raises(Exception):
        parse_budget("ten minutes")


def test_scripted_scenario_runs_an_explicit_schedule() -> None:
    sched = "mix(at(0.5, isolate_leader()), at(1.5, do(F.Heal())))"
    s = Scenario.create("scripted", {"schedule": sched})
    assert Scenario.from_repr(repr(s)) == s


def test_hunt_finds_b10_and_writes_a_replayable_reproducer(tmp_path, monkeypatch) -> None:
    import tempfile

    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    base = Scenario.create("zoo-lossy-retries", {"duration_s": 2.0, "recover_s": 1.0})
    res = hunt(base, lambda d: verdicts(d, only="exactly-once"), bug="B10", budget_s=90, max_examples=10,
               out_dir=tmp_path / "out", corpus_dir=tmp_path / "corpus")
    assert res.found and res.checker == "exactly-once"
    assert event_count(str(res.scenario.params["schedule"])) <= 1  # loss alone suffices: shrinks to nothing
    doc = json.loads(res.corpus_file.read_text())
    assert doc["bug"] == "B10" and "raftsim run scripted" in doc["replay"]
    assert res.test_file.read_text().count("Scenario.from_repr") == 1
    # examples ran without message tracing; the kept run traces them, as the base scenario does
    assert json.loads((res.run_dir / "run.json").read_text())["params"]["trace_messages"] is True
    assert '"kind":"send"' in (res.run_dir / "trace.jsonl").read_text()
    assert list(scratch.iterdir()) == []  # the examples' run directories are gone
