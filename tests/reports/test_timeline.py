"""reports.timeline: the state a hand-made trace implies, instant by instant; and the replay payload's thinning."""

from __future__ import annotations

from pathlib import Path

from reports.data import ReportData
from reports.replay import MAX_MSGS, payload
from reports.timeline import Message, build_timeline

NODES = ["n1", "n2", "n3"]


def rec(t: int, kind: str, node: str | None = None, **f: object) -> dict[str, object]:
    r: dict[str, object] = {"t": t, "kind": kind, **f}
    if node is not None:
        r["node"] = node
    return r


ELECTION = [
    rec(0, "trace-header", format=1),
    rec(100, "become-pre-candidate", "n1", term=0, leader=None),
    rec(200, "become-candidate", "n1", term=1, leader=None),
    rec(200, "hard-state", "n1", term=1, vote="n1", commit=0, synced=True),
    rec(250, "vote", "n2", term=1, vote="n1"),
    rec(300, "become-leader", "n1", term=1, leader="n1"),
    rec(300, "append", "n1", entries=[[1, 1, "d1"]]),
    rec(400, "append", "n2", entries=[[1, 1, "d1"]]),
    rec(500, "commit", "n1", commit=1),
    rec(500, "apply", "n1", index=1, term=1, digest="d1"),
]


def test_election_states_at_each_instant() -> None:
    tl = build_timeline(ELECTION, NODES)
    assert tl.state_at("n1", 99).role == "follower" and tl.state_at("n1", 99).term == 0
    assert tl.state_at("n1", 100).role == "pre-candidate"
    s = tl.state_at("n1", 200)
    assert (s.role, s.term, s.vote) == ("candidate", 1, "n1")
    assert tl.state_at("n2", 249).vote is None and tl.state_at("n2", 250).vote == "n1"
    assert tl.state_at("n2", 250).term == 1
    s = tl.state_at("n1", 300)
    assert (s.role, s.leader, s.last_index, s.commit) == ("leader", "n1", 1, 0)
    s = tl.state_at("n1", 10_000)
    assert (s.commit, s.applied) == (1, 1)
    assert tl.state_at("n3", 10_000).term == 0
    assert tl.timer_resets["n2"] == [250]  # granting a vote restarts the election timer


def test_records_at_one_instant_keep_only_the_last_state() -> None:
    tl = build_timeline(ELECTION, NODES)
    assert [t for t, _ in tl.changes["n1"]] == [100, 200, 300, 500]


def test_an_append_replaces_the_suffix_and_a_snapshot_compacts_the_prefix() -> None:
    trace = [
        rec(10, "append", "n2", entries=[[1, 1, "a"], [2, 1, "b"], [3, 1, "c"]]),
        rec(20, "append", "n2", entries=[[2, 2, "x"]]),
        rec(30, "snapshot", "n2", index=1, term=1),
    ]
    tl = build_timeline(trace, NODES)
    assert tl.log_at("n2", 10) == [1, 1, 1]
    assert tl.log_at("n2", 20) == [1, 2]
    assert tl.log_at("n2", 30) == [None, 2]
    assert tl.state_at("n2", 30).snap_index == 1


def test_crash_restart_and_pause_statuses() -> None:
    trace = ELECTION + [
        rec(600, "crash", "n1", incarnation=1),
        rec(700, "restart", "n1", incarnation=2),
        rec(700, "hard-state", "n1", term=1, vote="n1", commit=0, synced=True, restored=True),
        rec(800, "become-follower", "n1", term=1, leader=None),
        rec(900, "pause", "n3"),
        rec(950, "resume", "n3"),
    ]
    tl = build_timeline(trace, NODES)
    s = tl.state_at("n1", 650)
    assert (s.status, s.role, s.term, s.commit) == ("down", "follower", 1, 1)
    s = tl.state_at("n1", 700)
    assert (s.status, s.commit, s.applied) == ("restarting", 0, 0)  # the durable commit; applies start again
    assert tl.state_at("n1", 799).status == "restarting" and tl.state_at("n1", 800).status == "up"
    assert tl.state_at("n3", 920).status == "paused" and tl.state_at("n3", 950).status == "up"


def test_cuts_follow_partition_block_and_heal() -> None:
    trace = [
        rec(10, "fault", name="partition", groups=[["n1"], ["n2", "n3"]], fault="partition n1|n2,n3"),
        rec(20, "fault", name="heal", fault="heal"),
        rec(30, "fault", name="block", src="n1", dst="n2", fault="block n1->n2"),
    ]
    tl = build_timeline(trace, NODES)
    assert set(tl.cut_at(15)) == {("n1", "n2"), ("n1", "n3"), ("n2", "n1"), ("n3", "n1")}
    assert tl.cut_at(25) == () and tl.cut_at(5) == ()
    assert tl.cut_at(30) == (("n1", "n2"),)


def test_messages_between_servers_with_delivery_and_drop() -> None:
    trace = [
        rec(10, "send", "n1", dst="n2", id=1, type="AppendEntries", msg="n1->n2 AppendEntries term=3 prev=0/0"),
        rec(10, "send", "n1", dst="n3", id=2, type="Heartbeat", msg="n1->n3 Heartbeat term=3 commit=0"),
        rec(10, "send", "c1", dst="n1", id=3, type="ClientRequest", msg="c1->n1 GET /v2/keys/k"),
        rec(15, "deliver", "n2", src="n1", id=1, type="AppendEntries"),
        rec(16, "drop", "n1", dst="n3", id=2, type="Heartbeat", reason="partition"),
    ]
    tl = build_timeline(trace, NODES)
    assert tl.messages == [
        Message(src="n1", dst="n2", type="AppendEntries", term=3, send_ns=10, end_ns=15),
        Message(src="n1", dst="n3", type="Heartbeat", term=3, send_ns=10, end_ns=16, dropped=True),
    ]
    assert tl.timer_resets["n2"] == [15]


def test_dense_traffic_is_thinned_to_the_cap_and_counts_add_up(tmp_path: Path) -> None:
    n = MAX_MSGS + 5000
    trace = []
    for i in range(n):
        t = i * 100_000  # one message per 0.1 ms
        trace.append(rec(t, "send", "n1", dst="n2", id=i, type="Heartbeat", msg=f"n1->n2 Heartbeat term=1 commit={i}"))
        trace.append(rec(t + 50_000, "deliver", "n2", src="n1", id=i, type="Heartbeat"))
    tl = build_timeline(trace, NODES)
    p = payload(ReportData(name="x", nodes=NODES), tl, tmp_path)
    assert len(p["msgs"]["src"]) <= MAX_MSGS
    assert sum(p["msgs"]["n"]) == n and p["msg_total"] == n and p["msg_window_ns"] > 0
