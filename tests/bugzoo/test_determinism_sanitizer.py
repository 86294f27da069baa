"""The determinism sanitizer names the component behind the first divergent trace event."""

from __future__ import annotations

import itertools

from scenarios.runner import check_determinism, trace_component
from scenarios.spec import Scenario


def test_trace_component_names_each_layer() -> None:
    assert trace_component('{"kind":"send","node":"n3","type":"AppendEntries","t":1}').startswith("raft node n3")
    assert trace_component('{"kind":"send","node":"c2","type":"ClientRequest","t":1}').startswith("client c2")
    assert trace_component('{"kind":"send","node":"n1","type":"ClientReply","t":1}').startswith("kv member n1")
    assert trace_component('{"kind":"deliver","node":"n2","src":"n1","t":1}').startswith("network")
    assert trace_component('{"kind":"fault","name":"heal","t":1}').startswith("nemesis")
    assert trace_component('{"kind":"become-leader","node":"n4","t":1}') == "raft node n4 (become-leader)"


def test_injected_nondeterminism_is_reported_with_its_component(monkeypatch) -> None:
    """State leaking from one run into the next (as a module-level set or cache would) changes the Raft
    core's election timeout in the second run; the sanitizer must say where the traces part."""
    from kvraft.raft import core
    from scenarios import execution

    runs = itertools.count()
    current = {"run": 0}
    real_simulate, real_reset = execution.simulate, core.RaftNode._reset

    def counting_simulate(scenario, seed):
        current["run"] = next(runs)
        return real_simulate(scenario, seed)

    def leaky_reset(self, term):
        real_reset(self, term)
        self.randomized_election_ticks += current["run"]  # 0 in run 1, 1 in run 2

    monkeypatch.setattr(execution, "simulate", counting_simulate)
    monkeypatch.setattr(core.RaftNode, "_reset", leaky_reset)
    scen = Scenario.create("steady", {"duration_s": 0.5, "recover_s": 0.2, "clients": 2})
    report = check_determinism(scen, 1, subprocess_check=False)
    assert not report.same
    assert "first difference at trace line" in report.text
    line = next(ln for ln in report.text.splitlines() if "component:" in ln)
    assert "raft node" in line, report.text
