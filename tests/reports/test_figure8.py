"""Figure 8 found on real runs of ``fig8-paper``: the clean build ends in panel (e), bug B03 in (d), caught."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from checkers import check_run
from reports.data import load_run
from reports.figure8 import NoFigure8, detect_panels, figure8
from reports.replay import server_nodes
from reports.timeline import build_timeline
from scenarios.runner import run
from scenarios.spec import Scenario


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("fig8")
    out = {}
    for name, bugs in (("clean", ""), ("b03", "B03")):
        rd = run(Scenario.create("fig8-paper", {"bugs": bugs}), 5, root / name)
        check_run(rd.root)
        out[name] = rd.root
    return out


def _verdict(root: Path, checker: str) -> str:
    return json.loads((root / "result.json").read_text())["checkers"][checker]["verdict"]


def test_clean_build_ends_in_panel_e_and_raft_safety_holds(runs: dict[str, Path]) -> None:
    panels, info, paths = figure8(runs["clean"])
    assert [p.label for p in panels] == ["a", "b", "c", "e"] and info["ending"] == "e"
    assert _verdict(runs["clean"], "raft-safety") == "ok"
    idx, old = info["index"], info["old_term"]
    last = panels[-1]
    assert sum(1 for log in last.logs.values() if len(log) >= idx and log[idx - 1] == old) >= 3
    assert all(p.is_file() and p.stat().st_size > 1000 for p in paths)


def test_b03_reaches_panel_d_and_raft_safety_reports_the_overwritten_entry(runs: dict[str, Path]) -> None:
    panels, info, _ = figure8(runs["b03"])
    assert [p.label for p in panels] == ["a", "b", "c", "d"]
    idx, old = info["index"], info["old_term"]
    c, d = panels[2], panels[3]
    leader_c = c.leader
    assert leader_c is not None and c.commit[leader_c] >= idx and c.logs[leader_c][idx - 1] == old  # committed by count
    assert d.leader is not None and d.logs[d.leader][idx - 1] != old  # ... and overwritten
    assert _verdict(runs["b03"], "raft-safety") == "illegal"
    narration = json.loads((runs["b03"] / "narration.json").read_text())
    assert [n["text"][:3] for n in narration] == ["(a)", "(b)", "(c)", "(d)"]
    assert [n["t"] for n in narration] == sorted(n["t"] for n in narration)


def test_panels_show_the_logs_the_trace_implies(runs: dict[str, Path]) -> None:
    data = load_run(runs["b03"])
    tl = build_timeline(data.trace, server_nodes(data))
    panels, _ = detect_panels(data.trace, tl)
    for p in panels:
        assert p.logs == {n: tl.log_at(n, p.t_ns) for n in tl.nodes}


def test_a_run_without_a_contested_index_has_no_figure_8(tmp_path: Path) -> None:
    rd = run(Scenario.create("steady", {"duration_s": 0.5, "recover_s": 0.2, "clients": 1}), 1, tmp_path / "s")
    with pytest.raises(NoFigure8):
        figure8(rd.root)
