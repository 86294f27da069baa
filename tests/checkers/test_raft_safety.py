"""Raft invariants on hand-made traces: each bad trace is caught, its good twin passes."""

from __future__ import annotations

import json

import pytest

from checkers.raft_safety import PROPERTIES, RaftSafetyChecker, check_trace, initial_voters
from checkers.result import Verdict
from checkers.rundir import RunFiles

NODES = ["n1", "n2", "n3"]


class T:
    """A tiny trace builder: each call appends one record at the next t."""

    def __init__(self) -> None:
        self.t = 0
        self.recs: list[dict] = [{"kind": "trace-header", "format": 1, "t": 0, "nodes": NODES}]

    def ev(self, kind: str, node: str, **kw) -> "T":
        self.t += 10
        self.recs.append({"kind": kind, "t": self.t, "node": node, **kw})
        return self

    def elect(self, leader: str, term: int, voters=NODES) -> "T":
        self.ev("become-candidate", leader, term=term, leader=None)
        for v in voters:
            self.ev("vote", v, term=term, vote=leader)
        for v in voters:
            if v != leader:
                self.ev("become-follower", v, term=term, leader=leader)
        return self.ev("become-leader", leader, term=term, leader=leader)

    def replicate(self, nodes, entries) -> "T":
        for n in nodes:
            self.ev("append", n, entries=entries)
        return self

    def commit_apply(self, nodes, upto: int, entries) -> "T":
        for n in nodes:
            self.ev("commit", n, commit=upto)
            for i, t, d in entries:
                if i <= upto:
                    self.ev("apply", n, index=i, term=t, digest=d)
        return self


def good() -> T:
    e1 = [[1, 1, "a"], [2, 1, "b"]]
    return T().elect("n1", 1).replicate(NODES, e1).commit_apply(NODES, 2, e1)


def verdicts(recs) -> dict[str, Verdict]:
    return {r.checker: r.verdict for r in check_trace(recs)}


def bad_props(recs) -> set[str]:
    return {p for p, v in verdicts(recs).items() if v is Verdict.ILLEGAL}


def illegal(recs, voters) -> set[str]:
    """The checkers that call the trace ``recs`` illegal, judged with initial ``voters``."""
    return {r.checker for r in check_trace(recs, voters=voters) if r.verdict is Verdict.ILLEGAL}


def handover() -> T:
    """good() then n2 leads term 2 holding the committed entries: every property has something to judge."""
    return good().elect("n2", 2).ev("append", "n2", entries=[[3, 2, "c"]])


def test_good_trace_passes_every_property():
    assert all(v is Verdict.OK for v in verdicts(handover().recs).values())
    assert set(verdicts(handover().recs)) == set(PROPERTIES)
    # one leader, never handed over: leader completeness had nothing to compare
    assert {p for p, v in verdicts(good().recs).items() if v is not Verdict.OK} == {"leader-completeness"}


def test_property_without_records_is_not_exercised_never_ok(tmp_path):
    # a live trace: observed leaders only (no votes, appends, commits, applies)
    recs = [{"kind": "trace-header", "format": 1, "t": 0, "nodes": NODES},
            {"kind": "become-leader", "t": 5, "node": "n1", "term": 2, "observed": True},
            {"kind": "become-follower", "t": 6, "node": "n2", "term": 2, "observed": True}]
    v = verdicts(recs)
    assert v["election-safety"] is Verdict.OK
    assert {p for p, x in v.items() if x is Verdict.NOT_EXERCISED} == set(PROPERTIES) - {"election-safety"}
    (tmp_path / "trace.jsonl").write_text("".join(json.dumps(r) + "\n" for r in recs))
    r = RaftSafetyChecker().check(RunFiles(tmp_path))
    assert r.summary.startswith("1 of 9 invariants hold; not exercised: vote-once, term-monotonic")
    props = r.details["properties"]
    assert props["log-matching"]["verdict"] == "not-exercised" and props["log-matching"]["checked"] == 0
    assert props["election-safety"]["verdict"] == "ok" and props["election-safety"]["checked"] == 1
    # no Raft record at all: the whole checker vouches for nothing
    (tmp_path / "trace.jsonl").write_text(json.dumps(recs[0]) + "\n")
    assert RaftSafetyChecker().check(RunFiles(tmp_path)).verdict is Verdict.NOT_EXERCISED


def test_two_leaders_in_one_term_violate_election_safety():
    t = good().ev("become-leader", "n2", term=1, leader="n2")
    res = {r.checker: r for r in check_trace(t.recs)}
    assert res["election-safety"].verdict is Verdict.ILLEGAL
    ce = res["election-safety"].details["counterexample"]
    assert [e["node"] for e in ce["events"]] == ["n1", "n2"] and all("t" in e for e in ce["events"])


def test_same_leader_twice_in_a_term_is_fine():
    assert "election-safety" not in bad_props(good().ev("become-leader", "n1", term=1, leader="n1").recs)


def test_second_vote_in_term_after_restart_is_caught():
    t = good().ev("crash", "n3", incarnation=1).ev("restart", "n3", incarnation=2).ev("vote", "n3", term=1, vote="n2")
    assert "vote-once" in bad_props(t.recs)
    ok = good().ev("crash", "n3", incarnation=1).ev("restart", "n3", incarnation=2).ev("vote", "n3", term=2, vote="n2")
    assert "vote-once" not in bad_props(ok.recs)


def test_persisted_term_going_back_is_caught():
    t = good().ev("hard-state", "n2", term=0, vote=None, commit=2)
    assert "term-monotonic" in bad_props(t.recs)
    assert "term-monotonic" not in bad_props(good().ev("hard-state", "n2", term=3, vote=None, commit=2).recs)


def test_same_index_term_different_digest_breaks_log_matching():
    t = good().ev("append", "n3", entries=[[3, 1, "x"]]).ev("append", "n2", entries=[[3, 1, "y"]])
    assert "log-matching" in bad_props(t.recs)


def test_prefix_disagreement_breaks_log_matching():
    # n2 and n3 agree at (2, 2) but differ at index 1 (n3 never truncated).
    t = T().elect("n1", 1).replicate(["n2"], [[1, 1, "a"]]).replicate(["n3"], [[1, 1, "z"]])
    assert "log-matching" in bad_props(t.recs)  # same (index, term), different digest
    t = T().elect("n1", 2).replicate(["n2"], [[1, 1, "a"], [2, 2, "b"]]).replicate(["n3"], [[1, 3, "z"]])
    t.ev("append", "n3", entries=[[2, 2, "b"]])
    assert "log-matching" in bad_props(t.recs)


def test_leader_overwriting_its_own_entry_is_caught():
    t = good().ev("append", "n1", entries=[[2, 1, "other"]])
    assert "leader-append-only" in bad_props(t.recs)
    # a follower's conflicting suffix may be replaced
    ok = good().ev("append", "n2", entries=[[3, 1, "c"]]).ev("append", "n2", entries=[[3, 1, "c"], [4, 1, "d"]])
    assert "leader-append-only" not in bad_props(ok.recs)


def test_new_leader_missing_a_committed_entry_breaks_leader_completeness():
    # Figure 8 (d) with the B03 bug: index 2 committed in term 2, then n3 (no index 2) wins term 3.
    t = T().elect("n1", 2).replicate(["n1", "n2"], [[1, 2, "a"], [2, 2, "b"]]).replicate(["n3"], [[1, 2, "a"]])
    t.ev("commit", "n1", commit=2)
    t.ev("become-leader", "n3", term=3, leader="n3")
    assert "leader-completeness" in bad_props(t.recs)
    # n2 holds it, so n2 may lead term 3
    ok = T().elect("n1", 2).replicate(["n1", "n2"], [[1, 2, "a"], [2, 2, "b"]]).replicate(["n3"], [[1, 2, "a"]])
    ok.ev("commit", "n1", commit=2).ev("become-leader", "n2", term=3, leader="n2")
    assert bad_props(ok.recs) == set()


def test_leader_with_different_committed_entry_breaks_leader_completeness():
    t = T().elect("n1", 2).replicate(["n1", "n2"], [[1, 2, "a"], [2, 2, "b"]]).replicate(["n3"], [[1, 2, "a"], [2, 1, "q"]])
    t.ev("commit", "n1", commit=2).ev("become-leader", "n3", term=3, leader="n3")
    assert "leader-completeness" in bad_props(t.recs)


def test_different_applies_at_one_index_break_state_machine_safety():
    t = good().ev("append", "n3", entries=[[3, 1, "c"]])
    t.ev("apply", "n2", index=3, term=1, digest="c").ev("apply", "n3", index=3, term=1, digest="zz")
    assert "state-machine-safety" in bad_props(t.recs)


def test_commit_going_back_in_one_incarnation_is_caught():
    t = good().ev("commit", "n2", commit=1)
    assert "monotonic-indexes" in bad_props(t.recs)


def test_commit_restarting_from_durable_hard_state_is_fine():
    t = good().ev("hard-state", "n2", term=1, vote="n1", commit=1).ev("crash", "n2", incarnation=1)
    t.ev("restart", "n2", incarnation=2).ev("commit", "n2", commit=1).ev("apply", "n2", index=1, term=1, digest="a")
    assert bad_props(t.recs) == set()


def test_reapplying_below_the_snapshot_after_restart_is_caught():
    t = good().ev("snapshot", "n2", index=2, term=1).ev("crash", "n2", incarnation=1).ev("restart", "n2", incarnation=2)
    t.ev("commit", "n2", commit=2).ev("apply", "n2", index=2, term=1, digest="b")
    assert "monotonic-indexes" in bad_props(t.recs)


def test_restore_below_applied_is_caught():
    t = good().ev("restore", "n3", index=1, term=1)
    assert "monotonic-indexes" in bad_props(t.recs)
    ok = good().replicate(["n1", "n2"], [[3, 1, "c"]]).ev("commit", "n1", commit=3).ev("restore", "n3", index=3, term=1)
    assert bad_props(ok.recs) == set()


def test_apply_beyond_commit_is_caught():
    t = good().ev("append", "n2", entries=[[3, 1, "c"]]).ev("apply", "n2", index=3, term=1, digest="c")
    assert "monotonic-indexes" in bad_props(t.recs)


def test_commit_on_a_minority_is_caught():
    e = [[1, 1, "a"]]
    t = T().elect("n1", 1).replicate(["n1"], e).ev("commit", "n1", commit=1)
    assert "quorum-commit" in bad_props(t.recs)
    ok = T().elect("n1", 1).replicate(["n1", "n3"], e).ev("commit", "n1", commit=1)
    assert "quorum-commit" not in bad_props(ok.recs)


def test_quorum_uses_the_configuration_in_force():
    e = [[1, 1, "a"]]
    t = T().elect("n1", 1).ev("conf", "n1", index=0, voters=["n1", "n2", "n3", "n4", "n5"])
    t.replicate(["n1", "n2"], e).ev("commit", "n1", commit=1)
    assert "quorum-commit" in bad_props(t.recs)


def test_a_configuration_replaced_at_the_commit_instant_may_have_counted_it():
    """One Ready holds several steps: the leader may count a commit, then append a change (seed 282 of
    membership-churn: 3 of 5 old voters, 3 of 6 new), or append it first (seed 128: 3 of 6 old, 3 of 5
    new). The server traces the conf first; a quorum of either configuration will do at that instant."""
    e = [[1, 1, "a"]]
    five = ["n1", "n2", "n3", "n4", "n5"]
    six = [*five, "n6"]

    def trace(conf_then_commit_same_instant: bool, holders: list[str]) -> T:
        t = T().elect("n1", 1).ev("conf", "n1", index=0, voters=five).replicate(holders, e)
        t.ev("conf", "n1", index=2, voters=six)
        if conf_then_commit_same_instant:
            t.t -= 10  # the commit shares the conf's instant
        return t.ev("commit", "n1", commit=1)

    assert "quorum-commit" not in bad_props(trace(True, ["n1", "n2", "n3"]).recs)  # 3 of the 5 replaced
    assert "quorum-commit" in bad_props(trace(False, ["n1", "n2", "n3"]).recs)  # a later instant: 3 of 6 only
    assert "quorum-commit" in bad_props(trace(True, ["n1", "n2"]).recs)  # a quorum of neither
    # and the other way round: a change appended first, the commit counted in the new configuration
    t = T().elect("n1", 1).ev("conf", "n1", index=0, voters=six).replicate(["n1", "n2", "n3"], e)
    t.ev("conf", "n1", index=2, voters=five)
    t.t -= 10
    assert "quorum-commit" not in bad_props(t.ev("commit", "n1", commit=1).recs)


def test_a_spare_machine_is_no_voter_before_it_joins(tmp_path):
    """swarm seed 42: the header lists every machine, the spare n4 too; n1 committed on n1+n2 (2 of the 3
    members) before n4 joined. Counted against all four machines that was a false quorum-commit alarm."""
    e = [[1, 1, "a"]]
    t = T()
    t.recs[0]["nodes"] = [*NODES, "n4"]
    t.elect("n1", 1).replicate(["n1", "n2"], e).ev("commit", "n1", commit=1)
    assert "quorum-commit" in bad_props(t.recs)  # voters unknown: every machine of the header
    assert not [r for r in check_trace(t.recs, voters=NODES) if r.verdict is Verdict.ILLEGAL]
    minority = T()
    minority.recs[0]["nodes"] = [*NODES, "n4"]
    minority.elect("n1", 1).replicate(["n1"], e).ev("commit", "n1", commit=1)
    assert illegal(minority.recs, NODES) \
        == {"quorum-commit"}
    # through a run directory: run.json's params.nodes members, then the spare machines
    (tmp_path / "trace.jsonl").write_text("".join(json.dumps(r) + "\n" for r in t.recs))
    (tmp_path / "run.json").write_text(json.dumps({"nodes": [*NODES, "n4"], "params": {"nodes": 3}}))
    assert RaftSafetyChecker().check(RunFiles(tmp_path)).verdict is Verdict.OK
    (tmp_path / "run.json").write_text(json.dumps({"nodes": [*NODES, "n4"], "params": {"nodes": 4}}))
    assert RaftSafetyChecker().check(RunFiles(tmp_path)).verdict is Verdict.ILLEGAL
    assert initial_voters({"nodes": ["n1"], "params": {"nodes": 2}}) is None  # run.json does not add up


def test_a_joiner_without_its_own_conf_holds_the_newest_one_in_its_log():
    """swarm seed 23: members n1..n4, n5 joined (conf at index 1: n1..n5), caught up, recorded no conf of its
    own, and learned commit 2 held by n1, n4, n5: 3 of 5. Against the initial four only n1 and n4 counted."""
    four = ["n1", "n2", "n3", "n4"]
    five = [*four, "n5"]
    e = [[1, 1, "conf"], [2, 1, "b"]]

    def trace(holders):
        t = T()
        t.recs[0]["nodes"] = five
        t.elect("n1", 1, voters=four).replicate(four, e[:1])
        for n in four:
            t.ev("conf", n, index=1, voters=five)
        t.replicate(["n5"], e).replicate([h for h in holders if h != "n5"], [e[1]])
        return t.ev("commit", "n5", commit=2)

    assert "quorum-commit" not in illegal(trace(["n1", "n4", "n5"]).recs, four)
    assert "quorum-commit" in illegal(trace(["n1", "n5"]).recs, four)  # 2 of 5


def test_a_conf_entry_later_overwritten_is_not_the_configuration_of_a_node_that_never_held_it():
    """swarm (split-removals): the cut-off leader n1 appends a removal at index 2 (conf n1..n4); the majority
    side's leader n3 writes its own entry at index 2 (term 2) and commits it on n3, n4, n5: 3 of the five
    members in force. Only a conf whose entry is in n3's log (same index and term) is n3's configuration."""
    five = ["n1", "n2", "n3", "n4", "n5"]

    def trace(holders):
        t = T()
        t.recs[0]["nodes"] = five
        t.elect("n1", 1, voters=five).replicate(five, [[1, 1, "a"]])
        t.replicate(["n1"], [[2, 1, "conf"]]).ev("conf", "n1", index=2, voters=five[:4])
        t.elect("n3", 2, voters=["n3", "n4", "n5"]).replicate(holders, [[2, 2, "b"]])
        return t.ev("commit", "n3", commit=2)

    assert "quorum-commit" not in illegal(trace(["n3", "n4", "n5"]).recs, five)
    assert "quorum-commit" in illegal(trace(["n3", "n4"]).recs, five)  # 2 of 5


def test_a_follower_commit_traced_before_its_leaders_is_judged_by_the_leaders_configuration_too():
    """swarm (slow disk, member churn): leader n1 appends the removal of n4 (conf n1..n3) and so counts index 2
    on n1 and n3 as committed; follower n3 traces commit 2 before n1 (n1 traces after its 80 ms fsync) and
    before its own conf. 2 of n1..n3 is a quorum of the leader's configuration; 1 of it is none."""
    four = ["n1", "n2", "n3", "n4"]

    def trace(holders):
        t = T()
        t.recs[0]["nodes"] = four
        t.elect("n1", 1, voters=four).replicate(holders, [[1, 1, "a"], [2, 1, "b"]])
        t.replicate(["n1"], [[3, 1, "conf"]]).ev("conf", "n1", index=3, voters=four[:3])
        return t.ev("commit", "n3", commit=2)

    assert "quorum-commit" not in illegal(trace(["n1", "n3"]).recs, four)
    assert "quorum-commit" in illegal(trace(["n3"]).recs, four)  # 1 of 3


def test_malformed_record_is_unknown_with_line_number():
    recs = good().recs + [{"kind": "append", "t": 999, "node": "n1", "entries": "nope"}]
    res = check_trace(recs)
    assert {r.verdict for r in res} == {Verdict.UNKNOWN}
    assert f"line {len(recs)}:" in res[0].summary


def test_checker_reads_trace_file_and_reports_bad_json_line(tmp_path):
    lines = [json.dumps(r) for r in good().recs]
    (tmp_path / "trace.jsonl").write_text("\n".join(lines) + "\n")
    assert RaftSafetyChecker().check(RunFiles(tmp_path)).verdict is Verdict.OK
    (tmp_path / "trace.jsonl").write_text("\n".join(lines[:3] + ["{oops"]) + "\n")
    r = RaftSafetyChecker().check(RunFiles(tmp_path))
    assert r.verdict is Verdict.UNKNOWN and "line 4" in r.summary


@pytest.mark.parametrize("n", [20000])
def test_pass_judges_a_long_trace(n):
    # ~1e5 events in one pass; its speed is bench/seed_cost.py's to print (no timed assertion here).
    t = T().elect("n1", 1)
    for i in range(1, n + 1):
        e = [[i, 1, f"d{i}"]]
        t.replicate(NODES, e)
        t.ev("commit", "n1", commit=i)
        t.ev("apply", "n1", index=i, term=1, digest=f"d{i}")
    assert bad_props(t.recs) == set()
