"""docs/architecture.md's recipes are true: a toy fault, checker and workload defined in this module only.

Each test adds its toy the way the recipe says (the registries' decorators; a fault's effect row) and shows
every consumer the recipe names takes it: the schedule parser, ``World.apply``, liveness and reports for a
fault; ``check_run`` for a checker; ``--set workload=`` and a run for a workload. The registries are restored
after each test.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from checkers import check_run, registry as checker_registry
from checkers.liveness import faulty_periods
from checkers.result import CheckResult, Verdict
from reports.data import load_run
from scenarios import nemesis as N
from scenarios import plugins, registry
from scenarios.errors import ConfigError
from scenarios.record import run
from scenarios.spec import Scenario
from scenarios.workloads import Workload
from sim import faults as F
from sim import trace as T
from sim.errors import ConfigError as SimConfigError
from sim.trace import iter_records

SHORT = {"nodes": 3, "clients": 2, "duration_s": 2.0, "recover_s": 1.0, "rate": 10.0}


@pytest.fixture
def restore_tables():
    """Snapshot the fault, checker and workload tables; put them back after the test."""
    checker_registry.load()  # the built-in entries are in the snapshot, so restoring keeps them
    registry.load()
    faults, effects = dict(F.FAULTS), dict(T.FAULT_EFFECTS)
    checkers, workloads = dict(checker_registry._REGISTERED), dict(registry._WORKLOADS)
    sources = list(plugins._sources)  # a module that registers is recorded as a plugin in later runs' run.json
    yield
    for table, saved in ((F.FAULTS, faults), (T.FAULT_EFFECTS, effects),
                         (checker_registry._REGISTERED, checkers), (registry._WORKLOADS, workloads)):
        table.clear()
        table.update(saved)  # type: ignore[attr-defined]
    plugins._sources[:] = sources


def _toy_cut() -> type:
    # Recipe step 1: the fault class (sim/faults.py, or any module): fields, str, check, apply_to.
    @F.fault
    class ToyCut(F.Fault):
        """Cut ``node`` off from every other server, both ways."""

        node: str

        def __str__(self) -> str:
            return f"toy-cut {self.node}"

        def check(self, world) -> None:
            world.require_server(str(self), self.node)

        def apply_to(self, world) -> None:
            others = [n for n in world.server_nodes if n != self.node]
            world.network.set_cut([(self.node, o) for o in others] + [(o, self.node) for o in others])

    return ToyCut


def test_a_new_fault_type_reaches_parser_world_liveness_and_reports(tmp_path: Path, restore_tables) -> None:
    toy = _toy_cut()
    T.FAULT_EFFECTS["toy-cut"] = T.FaultEffect("partition")  # recipe step 2: its row (it opens a cut)
    text = "mix(at(0.5, do(F.ToyCut(node='n1'))), at(1.5, do_heal()))"
    assert N.from_repr(text) == N.mix(N.at(0.5, N.do(toy(node="n1"))), N.at(1.5, N.do_heal()))  # the parser

    rd = run(Scenario.create("scripted", {**SHORT, "schedule": text}), 1, tmp_path / "toy")
    lines = (rd.root / "trace.jsonl").read_text().splitlines()
    faults = [r for _, r in iter_records(lines, kinds={T.FAULT})]
    assert [(r["name"], r["fault"]) for r in faults][:2] == [("toy-cut", "toy-cut n1"), ("heal", "heal")]  # World.apply
    cut_at, heal_at = faults[0]["t"], faults[1]["t"]
    cut = [r for _, r in iter_records(lines, kinds={T.DROP}) if r["reason"] == "partition" and cut_at <= r["t"] < heal_at]
    assert cut and all("n1" in (r["node"], r["dst"]) for r in cut)  # apply_to ran: n1's messages are cut
    assert faulty_periods(faults)[0] == (cut_at, heal_at)  # liveness: a cut from the toy fault to the heal
    spans = [s for s in load_run(rd.root).faults if s.label == "toy-cut n1"]
    assert [(s.kind, s.start_ns, s.end_ns) for s in spans] == [("partition", cut_at, heal_at)]  # reports
    from sim.world import World

    w = World(1)
    w.add_host("n1", kind="server")
    w.add_host("c0", kind="client")
    with pytest.raises(SimConfigError, match="toy-cut c0: 'c0' is a client"):  # the world checks it like any fault
        w.apply(toy(node="c0"))


def test_without_its_effect_row_a_fault_is_an_instant(restore_tables) -> None:
    _toy_cut()
    records = [{"kind": "fault", "name": "toy-cut", "node": "n1", "t": 5}]
    assert faulty_periods(records) == []  # liveness does not wait for a heal it cannot know of
    assert T.fault_effect("toy-cut") == T.FaultEffect()


def test_a_new_checker_is_run_by_check_run(tmp_path: Path, restore_tables) -> None:
    # Recipe: the checker class with @checker (a plugin's) -- check_run runs it after the built-in set.
    @checker_registry.checker()
    class CountsOps:
        name = "toy-counts-ops"

        def check(self, run_files) -> CheckResult:
            n = len(run_files.history.read_text().splitlines())
            return CheckResult(checker=self.name, verdict=Verdict.OK, summary=f"{n} history lines")

    rd = run(Scenario.create("steady", SHORT), 1, tmp_path / "steady")
    _, results = check_run(rd.root)
    assert [r.checker for r in results][-1] == "toy-counts-ops" and results[-1].verdict is Verdict.OK
    saved = json.loads((rd.root / "result.json").read_text())
    assert "toy-counts-ops" in json.dumps(saved)


def test_a_new_workload_is_accepted_by_set_and_runs(tmp_path: Path, restore_tables) -> None:
    # Recipe: the Workload subclass with @workload(name) -- --set workload= accepts it, a run drives it.
    @registry.workload("toy-reads")
    class ToyReads(Workload):
        prefix = "/toy"

        def next_op(self, slot: int, rng):
            return "read", self.keys[0], None

        def execute(self, client, f: str, key: str, value, rng):
            self.used_keys.add(key)
            return (yield from self.kv_read(client, key))

    with pytest.raises(ConfigError, match="workload='toy-nope'"):
        Scenario.create("steady", {"workload": "toy-nope"})
    rd = run(Scenario.create("steady", {**SHORT, "workload": "toy-reads"}), 1, tmp_path / "toy")
    ops = [json.loads(x) for x in (rd.root / "history.jsonl").read_text().splitlines()]
    assert ops and {o.get("f") for o in ops} == {"read"}
