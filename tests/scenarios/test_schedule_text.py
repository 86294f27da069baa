"""Fault schedules come back from text (``--set schedule=``, run.json, the hunt corpus) only through a parser
that can build schedule and action values, nothing else: no code runs, hostile text is one line and exit 2."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings

import sim
from fuzz.strategies import SCHEDULES
from scenarios import nemesis as N
from scenarios.cli import main
from scenarios.errors import ConfigError
from scenarios.hunt import schedule_strategy
from scenarios.spec import Scenario

FAST = ["--set", "duration_s=1", "--set", "recover_s=0.5", "--set", "clients=2", "--set", "nodes=3"]


def _payload(marker: Path) -> str:
    """A schedule that escapes restricted builtins through ``object.__subclasses__`` and touches ``marker``."""
    return ("[c for c in ().__class__.__base__.__subclasses__() if c.__name__ == '_wrap_close'][0]"
            f".__init__.__globals__['system']('touch {marker}')")


def _cli(argv: list[str]) -> int | BaseException:
    """``main(argv)``, or the exception that escaped it (so the marker is checked first)."""
    try:
        return main(argv)
    except BaseException as e:  # noqa: BLE001 - reported by the caller's asserts
        return e


def test_a_schedule_on_the_command_line_never_runs_code(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    marker = tmp_path / "pwned"
    code = _cli(["run", "scripted", "--seed", "1", "--out", str(tmp_path / "run"), "--no-check", *FAST,
                 "--set", f"schedule={_payload(marker)}"])
    err = capsys.readouterr().err
    assert not marker.exists(), "the schedule ran a command"
    assert code == 2 and len(err.splitlines()) == 1 and "schedule" in err


def test_replaying_a_doctored_run_json_never_runs_code(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "run"
    assert main(["run", "scripted", "--seed", "1", "--out", str(out), "--no-check", *FAST]) == 0
    meta = json.loads((out / "run.json").read_text())
    marker = tmp_path / "pwned"
    meta["scenario_repr"] = meta["scenario_repr"].replace("schedule='NONE'", f"schedule={_payload(marker)!r}")
    assert _payload(marker) in meta["scenario_repr"]
    (out / "run.json").write_text(json.dumps(meta))
    capsys.readouterr()
    code = _cli(["replay", str(out)])
    err = capsys.readouterr().err
    assert not marker.exists(), "replay ran a command from run.json"
    assert code == 2 and len(err.splitlines()) == 1 and "schedule" in err


# ---------------------------------------------------------------- round trips


def _catalog_schedules() -> list[tuple[str, object]]:
    from scenarios.spec import Scenario, get_def, list_defs

    return [(d.name, get_def(d.name).build(Scenario.create(d.name).p).nemesis) for d in list_defs()]


@pytest.mark.parametrize("name, sched", _catalog_schedules(), ids=lambda v: v if isinstance(v, str) else "")
def test_every_catalog_and_zoo_schedule_round_trips(name: str, sched: object) -> None:
    text = repr(sched)
    assert N.from_repr(text) == sched
    assert repr(N.from_repr(text)) == text


@settings(max_examples=100, deadline=None)
@given(schedule_strategy(6.0))
def test_hunt_schedules_round_trip(text: str) -> None:
    sched = N.from_repr(text)
    assert repr(sched) == text and N.from_repr(repr(sched)) == sched


@settings(max_examples=300, deadline=None)
@given(SCHEDULES)
def test_any_schedule_built_from_the_constructors_round_trips(sched: object) -> None:
    text = repr(sched)
    assert N.from_repr(text) == sched
    assert repr(N.from_repr(text)) == text


def test_a_link_fault_with_its_latency_round_trips() -> None:
    # Before the parser, the bare ``Uniform(...)`` inside a LinkFaults repr was a NameError under eval.
    sched = N.at(1.0, N.do(sim.LinkFaults(loss=0.1, latency=sim.LongTail(sim.Constant(5), sim.Uniform(1, 9), 0.5))))
    assert N.from_repr(repr(sched)) == sched


# ---------------------------------------------------------------- hostile text

HOSTILE = {
    "attribute": "().__class__.__base__.__subclasses__()",
    "attribute-of-a-constructor": "at.__globals__",
    "attribute-of-F": "F.os.system('true')",
    "attribute-of-a-value": "heal_all().__class__()",
    "subscript": "[at][0](1.0, heal_all())",
    "lambda": "(lambda: at(1.0, heal_all()))()",
    "dunder-import": "__import__('os').system('true')",
    "dunder-builtins": "__builtins__",
    "dunder-keyword": "at(1.0, heal_all(), __class__=1)",
    "comprehension": "mix(*[at(float(i), heal_all()) for i in range(3)])",
    "generator": "mix(*(at(1.0, heal_all()) for _ in 'ab'))",
    "f-string": "at(f'{1}', heal_all())",
    "walrus": "(x := at(1.0, heal_all()))",
    "open": "open('/etc/passwd')",
    "exec": "exec('import os')",
    "eval": "eval('1')",
    "getattr": "getattr(at, '__globals__')",
    "starred": "mix(*[at(1.0, heal_all())])",
    "double-starred": "at(**dict(t_s=1.0, action=heal_all()))",
    "operator": "at(1.0 * 2, heal_all())",
    "bytes": "at(b'1', heal_all())",
    "complex": "at(1j, heal_all())",
    "ellipsis": "at(..., heal_all())",
    "set": "mix({at(1.0, heal_all())})",
    "dict": "at({}, heal_all())",
    "call-of-a-constant": "NONE()",
    "a-fault-is-not-a-schedule": "F.Crash(node='n1')",
    "an-action-is-not-a-schedule": "heal_all()",
    "a-number-is-not-a-schedule": "1",
    "unknown-constructor": "nuke_everything()",
    "wrong-type": "at('soon', heal_all())",
    "zero-period": "every(0, heal_all())",
    "negative-period": "every(-1.0, heal_all())",
    "infinite-time": "at(1e999, heal_all())",
    "not-an-action": "at(1.0, 5)",
    "unknown-shape": "at(1.0, partition('donut'))",
    "no-actions": "cycle(1.0)",
    "bad-fault": "at(1.0, do(F.Block(src='n1', dst='n1')))",
    "too-many-args": "at(1.0, heal_all(), 3)",
    "repeated-keyword": "every(1.0, heal_all(), start_s=1.0, start_s=2.0)",
    "syntax": "mix(at(1.0, heal_all())",
    "null-byte": "at(1.0, heal_all())\x00",
    "lone-surrogate": "at('\udcff', heal_all())",
    "deep-nesting": "mix(" * 100 + ")" * 100,
    "deep-parentheses": "(" * 5000 + "NONE" + ")" * 5000,
    "deep-lists": "[" * 20000 + "]" * 20000,
    "deep-minus": "-" * 60000 + "1",
    "deep-calls-and-tuples": "phases(" + "(1.0, mix(" * 30 + "NONE" + "))" * 30 + ")",
    "huge-int": "at(" + "9" * 5000 + ", heal_all())",
    "one-megabyte": "mix(" + "at(1.0, heal_all()), " * 50_000 + ")",
}


@pytest.mark.parametrize("text", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_schedule_text_is_refused_with_one_line(text: str) -> None:
    with pytest.raises(ConfigError) as e:
        N.from_repr(text)
    assert "\n" not in str(e.value) and len(str(e.value)) < 400


@pytest.mark.parametrize("text", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_scenario_repr_is_refused_with_one_line(text: str) -> None:
    for wrapped in (text, f"Scenario('scripted', dict(schedule={text}))", f"Scenario({text}, dict())"):
        with pytest.raises(ConfigError) as e:
            Scenario.from_repr(wrapped)
        assert "\n" not in str(e.value)


@pytest.mark.parametrize("text", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_schedule_on_the_command_line_is_exit_2_with_one_line(
        text: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = _cli(["run", "scripted", "--seed", "1", "--out", str(tmp_path / "run"), "--no-check", *FAST,
                 "--set", f"schedule={text}"])
    captured = capsys.readouterr()
    assert code == 2, code
    assert len(captured.err.splitlines()) == 1 and captured.err.startswith("raftsim: ") and not captured.out
    assert list(tmp_path.iterdir()) == []  # nothing written


@pytest.fixture(scope="module")
def scripted_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("scripted") / "run"
    assert main(["run", "scripted", "--seed", "1", "--out", str(out), "--no-check", *FAST]) == 0
    return out


@pytest.mark.parametrize("text", HOSTILE.values(), ids=HOSTILE.keys())
def test_replay_of_a_run_json_with_a_hostile_schedule_is_exit_2_with_one_line(
        text: str, scripted_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "run"
    shutil.copytree(scripted_run, out)
    meta = json.loads((out / "run.json").read_text())
    meta["scenario_repr"] = meta["scenario_repr"].replace("schedule='NONE'", f"schedule={text!r}")
    (out / "run.json").write_text(json.dumps(meta))
    before = sorted(p.name for p in out.iterdir())
    capsys.readouterr()
    code = _cli(["replay", str(out)])
    captured = capsys.readouterr()
    assert code == 2, code
    assert len(captured.err.splitlines()) == 1 and captured.err.startswith("raftsim: ") and not captured.out
    assert sorted(p.name for p in out.iterdir()) == before


@pytest.mark.parametrize("fault", ["F.Crash(node='zz')", "F.Partition(groups=(('n1',),))"])
def test_a_schedule_fault_the_cluster_cannot_take_is_exit_2_with_one_line(
        fault: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Node names are only known once the cluster exists: refused when the fault fires, never a traceback
    # (--allow-empty: the preflight, which refuses a schedule that injects nothing, would say so first).
    code = _cli(["run", "scripted", "--seed", "1", "--out", str(tmp_path / "run"), "--no-check", "--allow-empty",
                 *FAST, "--set", f"schedule=at(0.1, do({fault}))"])
    err = capsys.readouterr().err
    assert code == 2 and len(err.splitlines()) == 1 and "cannot apply" in err
    assert list(tmp_path.iterdir()) == []


def test_limits_refuse_only_what_is_over_them() -> None:
    from scenarios.parser import MAX_CHARS, MAX_DEPTH

    big = N.mix(*[N.at(float(i), N.kill_leader(0.5)) for i in range(2000)])
    assert len(repr(big)) < MAX_CHARS and N.from_repr(repr(big)) == big
    deep = N.NONE
    for _ in range(MAX_DEPTH // 2 - 1):  # each mix(...) level is one call; phases adds a tuple level
        deep = N.phases((1.0, deep))
    assert N.from_repr(repr(deep)) == deep
    with pytest.raises(ConfigError, match="nested more than"):
        N.from_repr(repr(N.phases((1.0, deep))).replace("NONE", "mix(" * 3 + "NONE" + ")" * 3))
