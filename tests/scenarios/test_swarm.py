"""The swarm scenario: each seed draws its configuration, the draw is plain parameters, and it replays.

Rules: the draw is a pure function of the seed; a drawn scenario (``drawn=true``) is never drawn again; a
parameter the user set is kept; the replay line's ``--set`` values reproduce the run's trace.
"""

from __future__ import annotations

import random
import shlex
from pathlib import Path
from typing import Any

import pytest

from checkers.rundir import read_run_meta
from scenarios.runner import run
from scenarios.spec import Scenario, get_def
from scenarios.swarm import FAULT_KINDS, WORKLOADS


def _drawn(seed: int, **sets: object) -> Scenario:
    return Scenario.create("swarm", sets).for_seed(seed)


def test_the_draw_is_a_pure_function_of_the_seed_and_varies_across_seeds() -> None:
    assert _drawn(7) == _drawn(7)
    configs = [_drawn(s) for s in range(1, 31)]
    assert len({repr(c) for c in configs}) == 30
    assert {_drawn(s).params["nodes"] for s in range(1, 101)} == set(range(3, 8))  # the shapes set 3 or 5 nodes
    assert len({c.params["mix"] for c in configs}) >= 20
    assert {c.params["read_mode"] for c in configs} == {"quorum", "local", "mixed"}
    assert {c.params["read_only"] for c in configs} == {"safe", "lease"}
    for c in configs:
        kinds = c.params["faults"].split(",")
        assert kinds and set(kinds) <= set(FAULT_KINDS)
        parts = c.params["mix"].split(",")
        assert c.params["workload"] == "mix" and parts and set(parts) <= set(WORKLOADS)
        assert c.params["clients"] >= len(parts) and c.params["drawn"] is True
        assert c.params["election_ticks"] > c.params["heartbeat_ticks"]
        if c.params["read_only"] == "lease":  # only where a lease is correct (bug-zoo B09)
            assert c.params["check_quorum"] and not [k for k in kinds if k.startswith(("clock-", "pause-"))]
            assert "leader-cuts" not in kinds  # nor leader cuts (a stale lease read on the clean build)


def test_the_two_whole_shapes_are_drawn_crash_flap_and_quorum_reads_at_a_cut_off_leader() -> None:
    configs = [_drawn(s).params for s in range(1, 41)]
    flaps = [c for c in configs if "crash-flap" in c["faults"].split(",")]
    assert 3 <= len(flaps) <= 15 and {c["flap_every_s"] for c in flaps} <= {0.05, 0.1, 0.2}
    cut_off = [c for c in configs if not c["check_quorum"] and c["read_mode"] == "quorum"
               and "register" in c["mix"].split(",") and "isolate-leader" in c["faults"].split(",")]
    assert len(cut_off) >= 2  # bug-zoo B07's shape, drawn whole
    plan = get_def("swarm").build(Scenario.create("swarm", {"faults": "crash-flap", "flap_every_s": 0.05, "drawn": True}).p)
    assert "kill_random(0.03)" in repr(plan.nemesis) and "every(0.05" in repr(plan.nemesis)


def test_the_bug_zoo_shapes_are_drawn_whole_and_last() -> None:
    configs = [_drawn(s).params for s in range(1, 201)]
    kinds = [set(c["faults"].split(",")) for c in configs]
    slow_disk = [c for c, k in zip(configs, kinds) if c["fsync_ms"] == 80.0]
    assert 25 <= len(slow_disk) <= 60  # bug-zoo B08: a hot register on a slow disk, its leader cut off (19 %)
    assert all(c["nodes"] == 3 and c["mix"] == "register" and c["keys"] == 1 and c["read_mode"] == "quorum"
               and c["check_quorum"] and "leader-cuts" in c["faults"].split(",") and c["cut_s"] == 2.0
               and c["tick_ms"] * c["election_ticks"] == 1000 and c["duration_s"] == 40.0
               and c["read_only"] == "safe" for c in slow_disk)  # leader cuts: no lease reads
    slow_links = [c for c in configs if c.get("dup") == 0.3]
    assert 25 <= len(slow_links) <= 60  # B02 (22 %): a vote's round trip (60 ms links) longer than an election timeout
    assert all(c["latency_ms"] == 60.0 and c["tick_ms"] * c["election_ticks"] == 100 and c["nodes"] == 5
               and c["cut_s"] == 0.4 and "leader-cuts" in c["faults"].split(",") for c in slow_links)
    fig8 = [c for c, k in zip(configs, kinds) if "figure-8" in k]
    assert len(fig8) >= 10 and all(c["nodes"] == 5 and c["max_msg_bytes"] == 1 and not c["pre_vote"] for c in fig8)
    for whole in ("minority-tail", "split-removals"):  # B04, B18: a schedule added to the drawn ones
        assert sum(whole in k for k in kinds) >= 10
    slow_clock = [c for c, k in zip(configs, kinds) if "clock-slow-leader" in k]
    assert 10 <= len(slow_clock) <= 40  # B09 (10 %): a slow-clocked leader cut off, quorum reads on both sides
    assert all(c["nodes"] == 5 and c["mix"] == "register" and c["read_mode"] == "quorum" and c["read_only"] == "safe"
               and c["tick_ms"] * c["election_ticks"] == 100 for c in slow_clock)
    steps = [c for c, k in zip(configs, kinds) if "clock-step-leader" in k]
    assert 10 <= len(steps) <= 40  # B16 (10 %): 5 lock clients, the leader's clock stepped past the lock's TTL
    assert all(c["mix"] == "lock" and c["clients"] == 5 and c["keys"] == 1 and c["ttl_s"] == 2
               and c["read_only"] == "safe" for c in steps)
    clocks = {"figure-8", "clock-slow-leader", "clock-step-leader"}
    whole = [c for c, k in zip(configs, kinds) if c["fsync_ms"] == 80.0 or c.get("dup") == 0.3 or k & clocks]
    assert len(whole) <= 150  # at most one of these per seed: 30 % of the seeds keep a free draw
    def plan(**sets: object) -> Any:
        return get_def("swarm").build(Scenario.create("swarm", {**sets, "drawn": True}).p)

    for kind in ("figure-8", "minority-tail", "split-removals", *sorted(clocks - {"figure-8"}), "leader-cuts"):
        assert plan(faults=kind).spare_nodes == 0 and repr(plan(faults=kind).nemesis) != "none()"
    assert repr(plan(faults="leader-cuts", cut_s=0.4).nemesis) == "cycle(0.4, isolate_leader(), do(F.Heal()), start_s=0.5)"
    assert "jump_leader(3.0)" in repr(plan(faults="clock-step-leader", ttl_s=2).nemesis)  # a step past the TTL


def test_the_second_pick_is_drawn_after_everything_else(monkeypatch: pytest.MonkeyPatch) -> None:
    import scenarios.swarm as S

    now = {s: _drawn(s).params for s in range(1, 61)}
    pick = S._pick  # without the second pick at all (no number drawn for it): the draw before it was added
    monkeypatch.setattr(S, "_pick", lambda rng, settings: [] if settings is S._MORE_SETTINGS else pick(rng, settings))
    before = {s: _drawn(s).params for s in range(1, 61)}
    changed = [s for s in now if now[s] != before[s]]
    assert 10 <= len(changed) <= 45  # the seeds the second pick gave a shape; every other seed's draw is as it was
    for s in changed:  # only seeds the first pick left without a setting
        assert before[s]["fsync_ms"] != 80.0 and before[s].get("dup") != 0.3
        assert "figure-8" not in before[s]["faults"].split(",")


@pytest.mark.parametrize("members", [3, 4, 5, 7])
def test_split_removals_cut_a_minority_off_that_is_a_majority_after_two_removals(members: int) -> None:
    from types import SimpleNamespace

    from scenarios.actions import MemberChange
    from scenarios.bugzoo_catalog import split_remove_two
    from sim import faults as F

    ids = [f"n{i}" for i in range(1, members + 1)]
    view = SimpleNamespace(leader="n1", members=ids, nodes=ids)
    got = split_remove_two().resolve(view, random.Random(1))
    if members % 2 == 0:
        assert got == []  # no such split with two removals
        return
    cut = next(f for _, f in got if isinstance(f, F.Partition)).groups[0]
    removed = {f.node for _, f in got if isinstance(f, MemberChange)}
    assert "n1" in cut and 2 * len(cut) < members and 2 * len(cut) > members - 2
    assert len(removed) == 2 and not removed & set(cut)
    assert [type(f).__name__ for _, f in got][-2:] == ["Crash", "Restart"]


def test_a_users_value_is_kept_and_a_drawn_scenario_is_not_drawn_again() -> None:
    for s in range(1, 11):
        got = _drawn(s, nodes=3, workload="lock", faults="kill-leader")
        assert (got.params["nodes"], got.params["workload"], got.params["faults"]) == (3, "lock", "kill-leader")
        assert _drawn(s, read_only="lease").params["check_quorum"] is True
    # the user's own faults a lease cannot survive get no drawn lease either (clocks, pauses, leader cuts)
    for faults in ("leader-cuts", "leader-cuts,isolate-leader", "pause-leader", "clock-jump"):
        assert {_drawn(s, faults=faults).params["read_only"] for s in range(1, 101)} == {"safe"}, faults
    once = _drawn(4)
    assert once.for_seed(99) == once
    steady = Scenario.create("steady")
    assert steady.for_seed(5) is steady


def test_the_replay_line_is_plain_set_values_that_give_the_same_scenario() -> None:
    for s in (1, 2, 3):
        drawn = _drawn(s)
        words = shlex.split(drawn.cli_args())
        sets = [w for i, w in enumerate(words) if i % 2 == 1]
        assert Scenario.parse_sets("swarm", sets) == drawn


@pytest.mark.parametrize("kind", FAULT_KINDS)
def test_every_fault_kind_builds_a_plan(kind: str) -> None:
    scen = Scenario.create("swarm", {"faults": kind, "drawn": True})
    plan = get_def("swarm").build(scen.p)
    assert repr(plan.nemesis) != "none()"
    assert plan.spare_nodes == (1 if kind == "member-churn" else 0)


def test_run_json_records_the_draw_and_its_replay_reproduces_the_trace(tmp_path: Path) -> None:
    short = {"duration_s": 1.0, "recover_s": 1.0}
    rd = run(Scenario.create("swarm", short), 3, tmp_path / "a")
    meta = read_run_meta(rd.root / "run.json")
    assert meta.drawn and meta.drawn["drawn"] is True and len(meta.drawn) > 5
    assert all(meta.params[k] == v for k, v in meta.drawn.items())
    assert meta.params["drawn"] is True and "--set drawn=true" in meta.replay
    sets = [w for i, w in enumerate(shlex.split(meta.replay.split(" --seed 3 ", 1)[1])) if i % 2 == 1]
    again = run(Scenario.parse_sets("swarm", sets), 3, tmp_path / "b")
    assert again.trace_sha256 == rd.trace_sha256
    assert read_run_meta(again.root / "run.json").drawn is None  # nothing left to draw
