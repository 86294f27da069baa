"""reports.render on real short runs (tests/reports/runs.py): every section is there, and it says what happened."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import reports
from checkers.history import read_history
from reports.data import load_run, recovery_times
from reports.html import EMBED_MSGS, esc, focus_window

SECTIONS = ("summary", "faults", "latency", "protocol", "timeline-section", "lamport-section", "logs")
PLOTS = ("latency-raw", "latency-quantiles", "rate", "protocol-lanes")


def payload(html: str) -> dict:
    m = re.search(r'<script type="application/json" id="report-data">(.*?)</script>', html, re.S)
    assert m, "the report embeds its data"
    return json.loads(m.group(1))


def test_passing_run_report_has_every_section_and_no_notice(passing_run: Path) -> None:
    out = reports.render(passing_run)
    html = out.read_text(encoding="utf-8")
    assert out == passing_run / "report.html"
    for sid in SECTIONS:
        assert f'id="{sid}"' in html, sid
    assert 'id="notices"' not in html and 'id="counterexample"' not in html
    meta = json.loads((passing_run / "run.json").read_text())
    assert esc(meta["replay"]) in html and meta["trace_sha256"] in html and "(matches run.json)" in html
    assert html.count('class="badge v-ok"') >= 4  # overall + three checkers
    for name in PLOTS:
        assert (passing_run / "plots" / f"{name}.svg").stat().st_size > 1000
        assert (passing_run / "plots" / f"{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert f'id="plot-{name}"' in html


def test_report_is_self_contained(passing_run: Path) -> None:
    html = reports.render(passing_run).read_text(encoding="utf-8")
    assert not re.search(r'(src|href)="(https?:)?//', html), "no network references"
    assert "<link" not in html and "@import" not in html
    assert html.count("data:image/svg+xml;base64,") == len(PLOTS)


def test_failing_run_report_shows_the_counterexample_and_links_it(failing_run: Path) -> None:
    html = reports.render(failing_run).read_text(encoding="utf-8")
    result = json.loads((failing_run / "result.json").read_text())
    assert result["valid"] == "illegal"
    cex = result["checkers"]["linearizable"]["details"]
    assert 'class="badge v-illegal"' in html and 'id="cex-0"' in html
    assert "data-window=" in html and "Longest partial linearization 1" in html
    data = payload(html)
    window = data["cex"][0]["window"]
    assert window == [min(o["invoke_time"] for o in cex["window"]), cex["op"]["complete_time"]]
    flagged = [o for o in data["ops"] if o[5]]
    assert {o[6] for o in flagged if o[5] & 2} == {cex["op"]["invoke_index"]}
    assert {o[6] for o in flagged} == {o["invoke_index"] for o in cex["window"]} | {cex["op"]["invoke_index"]}
    assert "=&gt; state" in html  # the partial linearization ends in its state
    # the Lamport diagram opens on the failure
    assert data["focus"][0] <= window[0] and window[1] <= data["focus"][1]


def test_nemesis_bands_pair_faults_into_intervals(passing_src: Path) -> None:
    data = load_run(passing_src)
    faults = [r for r in data.trace if r["kind"] == "fault"]
    t = {r["name"]: r["t"] for r in reversed(faults)}  # each name's first time (the recovery phase heals again)
    spans = {(f.kind, f.node): (f.start_ns, f.end_ns) for f in data.faults}
    assert spans[("partition", None)] == (t["partition"], t["heal"])
    assert spans[("crash", "n2")] == (t["crash"], t["restart"])
    assert spans[("pause", "n1")] == (t["pause"], t["resume"])
    assert not any(f.is_open for f in data.faults)


def test_protocol_lanes_follow_roles_crashes_and_pauses(passing_src: Path) -> None:
    data = load_run(passing_src)
    leaders = [r for r in data.trace if r["kind"] == "become-leader"]
    spans = [r for r in data.roles if r.role == "leader"]
    assert {(r["node"], r["term"], r["t"]) for r in leaders} <= {(s.node, s.term, s.start_ns) for s in spans}
    crash = next(r for r in data.trace if r["kind"] == "crash")
    down = [r for r in data.roles if r.role == "down"]
    assert [(d.node, d.start_ns) for d in down] == [(crash["node"], crash["t"])]
    assert any(r.role == "paused" for r in data.roles)
    servers = data.meta["nodes"]  # data.nodes also lists the client machines (Lamport diagram), which have no role
    assert set(servers) < set(data.nodes)
    for node in servers:  # lanes tile the run: no gaps, no overlaps
        lane = [r for r in data.roles if r.node == node]
        assert all(a.end_ns == b.start_ns for a, b in zip(lane, lane[1:]))
        assert lane[-1].end_ns == data.end_ns
    assert all(data.commits[n] for n in servers) and all(data.terms[n] for n in servers)


def test_messages_are_matched_by_sender_and_id(passing_src: Path) -> None:
    data = load_run(passing_src)
    kinds = [r["kind"] for r in data.trace]
    assert len(data.messages) == kinds.count("send")
    assert sum(len(m.deliver_ns) for m in data.messages) == kinds.count("deliver")
    assert sum(m.drop_ns is not None for m in data.messages) == kinds.count("drop")
    assert all(d >= m.send_ns for m in data.messages for d in m.deliver_ns)


def test_client_ops_pair_with_completion_times(passing_src: Path) -> None:
    data = load_run(passing_src)
    events = read_history(passing_src / "history.jsonl")
    assert len(data.ops) == sum(e.type.value == "invoke" for e in events)
    infos = [o for o in data.ops if o.type == "info"]
    assert infos and all(o.complete_ns is None or o.complete_ns > (o.invoke_ns or 0) for o in infos)


def test_recovery_time_is_measured_to_the_next_election(passing_src: Path) -> None:
    rec = recovery_times(load_run(passing_src))
    assert sorted(rec) == ["heal", "restart", "resume"]
    assert rec["heal"][0] is not None and 0 < rec["heal"][0] < 1_000_000_000  # PreVote off: the isolated node's term forces an election at the heal


def test_node_logs_show_messages_in_their_one_line_form(passing_run: Path) -> None:
    html = reports.render(passing_run).read_text(encoding="utf-8")
    send = next(json.loads(line) for line in (passing_run / "trace.jsonl").open() if '"kind":"send"' in line)
    assert send["msg"].replace(">", "&gt;") in html
    assert re.search(r"deliver\s+#\d+ n\d+-&gt;n\d+ \w+ term=", html), "delivers show the message"


def test_focus_window_without_failure_is_around_the_first_fault(passing_src: Path) -> None:
    data = load_run(passing_src)
    a, b = focus_window(data)
    assert a <= data.faults[0].start_ns <= b


@pytest.mark.slow
def test_a_run_with_100k_events_renders_with_its_embedded_data_capped(tmp_path: Path) -> None:
    # How long it takes is a figure, not an assertion (the project's rule): see the report's note on timing.
    from runs import checked_run

    from scenarios.spec import Scenario

    run = checked_run(Scenario.create("partition-majority", {"duration_s": 15.0}), 1, tmp_path / "big")
    assert sum(1 for _ in (run / "trace.jsonl").open()) > 90000
    html = reports.render(run).read_text(encoding="utf-8")
    assert len(payload(html)["msgs"]) <= EMBED_MSGS * 2


def test_counterexample_with_an_interval_window_and_failing_op_is_also_read(failing_run: Path) -> None:
    # the sketch of the shape: failing_op + window [start, end] + lists of one-line ops
    doc = json.loads((failing_run / "result.json").read_text())
    lin = doc["checkers"]["linearizable"]
    op = lin["details"]["op"]
    lin["details"] = {"key": "x", "failing_op": {"process": op["process"], "invoke_time": op["invoke_time"],
                                                 "complete_time": op["complete_time"], "index": op["invoke_index"]},
                      "window": [op["invoke_time"] - 5_000_000, op["complete_time"]],
                      "partial_linearizations": [["p1 write x 1 -> ok"]]}
    (failing_run / "result.json").write_text(json.dumps(doc))
    (cex,) = load_run(failing_run).counterexamples
    assert cex.window == (op["invoke_time"] - 5_000_000, op["complete_time"])
    assert len(cex.failing) == 1 and cex.partial == (("p1 write x 1 -> ok",),)


def test_a_raft_safety_violation_is_a_counterexample_with_its_trace_events(failing_run: Path) -> None:
    doc = json.loads((failing_run / "result.json").read_text())
    events = [{"kind": "commit", "node": "n4", "commit": 236, "line": 17041, "t": 3_764_393_639},
              {"kind": "become-leader", "node": "n5", "leader": "n5", "term": 13, "line": 18321, "t": 4_452_053_822}]
    doc["checkers"]["raft-safety"] = {
        "checker": "raft-safety", "verdict": "illegal", "summary": "leader-completeness: 1 violation(s)", "elapsed_s": 0.1,
        "details": {"properties": {
            "election-safety": {"verdict": "ok", "summary": "holds"},
            "leader-completeness": {"verdict": "illegal", "summary": "1 violation(s)", "violations": 1,
                                    "counterexample": {"events": events, "index": 236, "message": "n5 lacks index 236"}}}}}
    (failing_run / "result.json").write_text(json.dumps(doc))
    cex = next(c for c in load_run(failing_run).counterexamples if c.checker == "raft-safety")
    assert cex.window == (3_764_393_639, 4_452_053_822)
    assert [(p, m, len(e)) for p, m, e in cex.trace_events] == [("leader-completeness", "n5 lacks index 236", 2)]
    html = reports.render(failing_run).read_text()
    assert "3,764.394 ms" in html and "become-leader" in html and "18321" in html
