# Over 400 lines: every rule table of the module in the one file bench/mutation.py runs first for its mutants.
"""RaftNode, rule by rule, driven by hand: a node's starting state, tick(n) as n ticks, the next deadline, what makes
a Ready and what must be synced, compaction's bounds, and which peer messages are dropped with which reason
(bench/mutation.py --module kvraft/raft/core.py)."""

from __future__ import annotations

import random

import pytest

from kvraft.bugs import Bugs
from kvraft.errors import InvariantViolation
from kvraft.raft import (AppendEntries, AppendEntriesReply, Entry, EntryType, HardState, Heartbeat, HeartbeatReply,
                         MemoryStorage, RaftConfig, RaftNode, RequestVote, RequestVoteReply, Role, Snapshot)
from kvraft.raft.messages import InstallSnapshot, InstallSnapshotReply, Propose, ReadIndexReply, TimeoutNow
from kvraft.raft.ready import SoftState

IDS = ("n1", "n2", "n3")


def node(nid: str = "n1", *, storage: MemoryStorage | None = None, seed: int = 1, **cfg) -> RaftNode:
    cfg.setdefault("pre_vote", False)
    cfg.setdefault("check_quorum", False)
    cfg.setdefault("voters", IDS)
    return RaftNode(RaftConfig(id=nid, **cfg), storage or MemoryStorage(), random.Random(seed))


def drain(n: RaftNode) -> list:
    msgs = []
    while n.has_ready():
        rd = n.ready()
        msgs += rd.messages
        n.advance(rd)
    return msgs


def leader(**cfg) -> RaftNode:
    """n1, leader of term 1 with its no-op durable (n2 and n3 have voted for it)."""
    n = node(**cfg)
    n.campaign()
    drain(n)
    for v in ("n2", "n3"):
        n.step(RequestVoteReply(frm=v, to="n1", term=1, granted=True))
    drain(n)
    assert n.role is Role.LEADER
    return n


def storage_with(term: int = 0, vote: str | None = None, commit: int = 0, entries: list[Entry] | None = None,
                 snapshot: Snapshot | None = None) -> MemoryStorage:
    s = MemoryStorage()
    if snapshot is not None:
        s.apply_snapshot(snapshot)
    if entries:
        s.append(entries)
    s.set_hard_state(HardState(term=term, vote=vote, commit=commit))
    return s


# ---------------------------------------------------------------------------------------------- starting state
def test_a_node_starts_as_a_follower_from_its_durable_state() -> None:
    ents = [Entry(index=1, term=1), Entry(index=2, term=2, data=b"x")]
    n = node(storage=storage_with(term=2, vote="n3", commit=1, entries=ents), applied=1)
    assert (n.role, n.term, n.vote, n.leader, n.is_leader) == (Role.FOLLOWER, 2, "n3", None, False)
    assert (n.commit_index, n.applied_index, n.log.last_index) == (1, 1, 2)
    assert n.hard_state() == HardState(term=2, vote="n3", commit=1)
    assert n.soft_state() == SoftState(role=Role.FOLLOWER, leader=None)
    assert (n.voters, n.learners, n.conf_index, n.pending_conf_index, n.lead_transferee) == (IDS, (), 0, 0, None)
    assert (n.election_elapsed, n.heartbeat_elapsed, n.votes, n.prs) == (0, 0, {}, {})
    assert 10 <= n.randomized_election_ticks < 20 and n.deadline_resets >= 1
    assert not n.has_ready()  # nothing new: the durable state is the last reported one


def test_a_learner_is_not_promotable_and_never_campaigns() -> None:
    n = node("n4", voters=IDS, learners=("n4",))
    assert n.ticks_until_next() is None
    n.tick(100)
    n.campaign()
    assert n.role is Role.FOLLOWER and n.term == 0 and drain(n) == []


# ---------------------------------------------------------------------------------------------- ticks
def snapshot_of(n: RaftNode) -> tuple:
    return (n.role, n.term, n.vote, n.leader, n.election_elapsed, n.heartbeat_elapsed, n.randomized_election_ticks,
            [str(m) for m in n.msgs])


@pytest.mark.parametrize("start", ["follower", "leader", "candidate", "pre-candidate"])
@pytest.mark.parametrize("ticks", [0, 1, 2, 5, 9, 10, 11, 19, 20, 21, 35])
def test_tick_n_is_n_ticks(start: str, ticks: int) -> None:
    def make() -> RaftNode:
        if start == "leader":
            return leader(check_quorum=True)
        n = node(pre_vote=start == "pre-candidate")
        if start != "follower":
            n.campaign()
        n.tick(3)
        return n

    one, many = make(), make()
    for _ in range(ticks):
        one.tick()
    many.tick(ticks)
    assert snapshot_of(many) == snapshot_of(one)


@pytest.mark.parametrize(("start", "elapsed", "want"), [
    ("follower", 0, "timeout"), ("follower", 4, "timeout-4"), ("candidate", 2, "timeout-2"),
    ("leader", 0, 1),  # heartbeat every tick
])
def test_ticks_until_next(start: str, elapsed: int, want: object) -> None:
    n = leader(heartbeat_ticks=1) if start == "leader" else node()
    if start == "candidate":
        n.campaign()
    for _ in range(elapsed):
        n.tick()
    t = n.randomized_election_ticks
    assert n.ticks_until_next() == {"timeout": t, "timeout-4": t - 4, "timeout-2": t - 2}.get(want, want)


def test_a_leaders_next_deadline_is_its_heartbeat_or_its_quorum_check() -> None:
    n = leader(heartbeat_ticks=3, election_ticks=10)
    assert n.ticks_until_next() == 3
    n.tick(2)
    assert n.ticks_until_next() == 1
    n.heartbeat_elapsed, n.election_elapsed = 0, 9
    assert n.ticks_until_next() == 1  # the CheckQuorum deadline comes first
    n.heartbeat_elapsed, n.election_elapsed = 5, 0
    assert n.ticks_until_next() == 1  # overdue: never 0 or less


# ---------------------------------------------------------------------------------------------- Ready
def test_what_must_be_synced() -> None:
    n = leader()
    n.propose(b"x")
    rd = n.ready()
    assert rd.entries and rd.must_sync and rd.hard_state is None and rd.soft_state is None
    n.advance(rd)
    for v in ("n2", "n3"):
        n.step(AppendEntriesReply(frm=v, to="n1", term=1, index=2))
    rd = n.ready()
    assert rd.hard_state == HardState(term=1, vote="n1", commit=2) and not rd.must_sync  # a commit-only change
    assert [e.index for e in rd.committed] == [1, 2] and rd.current_hard_state == rd.hard_state
    n.advance(rd)
    assert n.applied_index == 2 and not n.has_ready()
    n.step(AppendEntries(frm="n2", to="n1", term=5, prev_log_index=2, prev_log_term=1, commit=2))
    rd = n.ready()
    assert rd.must_sync and rd.soft_state == SoftState(role=Role.FOLLOWER, leader="n2")  # a term change
    assert rd.hard_state == HardState(term=5, vote=None, commit=2)


@pytest.mark.parametrize("reason", ["message", "read-state", "dropped", "unstable", "committed", "soft", "hard",
                                    "conf", "snapshot"])
def test_each_kind_of_news_makes_a_ready(reason: str) -> None:
    n = leader()
    assert not n.has_ready()
    if reason == "message":
        n.step(HeartbeatReply(frm="n2", to="n1", term=1))  # n2 is behind: an append goes out
    elif reason == "read-state":
        n.step(ReadIndexReply(frm="n2", to="n1", term=1, ctx=b"r", index=1))  # not expected: dropped
        n.ready()
        n.role = Role.FOLLOWER
        n.prev_soft = n.soft_state()
        n.step(ReadIndexReply(frm="n2", to="n1", term=1, ctx=b"r", index=1))
    elif reason == "dropped":
        n.step(RequestVoteReply(frm="n2", to="n1", term=1, granted=True))
    elif reason == "unstable":
        n.log.append([Entry(index=2, term=1, data=b"y")])
    elif reason == "committed":
        n.log.append([Entry(index=2, term=1, data=b"y")])
        n.log.stable_to(2, 1)
        n.log.commit_to(2)
        n.prev_hard = n.hard_state()
    elif reason == "soft":
        n.leader = "n2"
    elif reason == "hard":
        n.vote = "n2"
    elif reason == "conf":
        n.learners = ("n4",)
    elif reason == "snapshot":
        n.log.pending_snapshot = Snapshot(index=1, term=1, voters=IDS)
    assert n.has_ready()


# ---------------------------------------------------------------------------------------------- compaction
def test_compaction_is_bounded_by_applied_and_idempotent_below_the_snapshot() -> None:
    n = leader()
    commit_three(n)
    assert n.applied_index == 4
    with pytest.raises(InvariantViolation, match="beyond applied"):
        n.compact(5, b"s")
    snap, tail = n.compact_for_disk(3, b"s3")
    assert (snap.index, snap.term, snap.voters, snap.data) == (3, 1, IDS, b"s3")
    assert [e.index for e in tail] == [4] and n.log.snap_index == 3
    assert n.compact(2, b"older") is snap and n.compact(3, b"again") is snap  # at or below: the one it has


# ---------------------------------------------------------------------------------------------- dropped messages
def dropped(n: RaftNode) -> list[tuple[str, str, str]]:
    return [(d.frm, d.type, d.why) for d in n.ready().dropped]


@pytest.mark.parametrize(("msg", "why"), [
    ("not a message", "not a raft message"),
    (Heartbeat(frm="n2", to="n9", term=1), "addressed to n9"),
    (AppendEntries(frm="n2", to="n1", term=1, prev_log_index=0, prev_log_term=0,
                   entries=(Entry(index=2, term=1),)), "malformed entries"),  # a gap
    (AppendEntries(frm="n2", to="n1", term=1, prev_log_index=0, prev_log_term=0,
                   entries=(Entry(index=1, term=2),)), "malformed entries"),  # newer than the message's term
    (AppendEntries(frm="n2", to="n1", term=3, prev_log_index=0, prev_log_term=0,
                   entries=(Entry(index=1, term=2), Entry(index=2, term=1))), "malformed entries"),  # terms fall
    (InstallSnapshotReply(frm="n2", to="n1", term=0, index=1), "not expected by a follower"),
    (Propose(frm="n2", to="n1", term=0, entries=()), "no leader to forward to"),
    (TimeoutNow(frm="n2", to="n1", term=0), None),  # a voter campaigns at once
])
def test_a_follower_drops_what_it_cannot_use(msg: object, why: str | None) -> None:
    n = node()
    n.step(msg)  # type: ignore[arg-type]
    got = dropped(n)
    if why is None:
        assert got == [] and n.role is Role.CANDIDATE
    else:
        assert [w for _, _, w in got] == [why] and n.role is Role.FOLLOWER


def test_a_learner_drops_timeout_now() -> None:
    n = node("n4", learners=("n4",))
    n.step(TimeoutNow(frm="n1", to="n4", term=0))
    assert dropped(n) == [("n1", "TimeoutNow", "not a voter")] and n.role is Role.FOLLOWER


def test_a_malformed_message_is_dropped_with_its_error() -> None:
    n = node()
    n.step(AppendEntries(frm="n2", to="n1", term=1, prev_log_index=0, prev_log_term=0, entries=(None,)))  # type: ignore[arg-type]
    [(frm, typ, why)] = dropped(n)
    assert (frm, typ) == ("n2", "AppendEntries") and why.startswith("malformed: ")


@pytest.mark.parametrize(("check_quorum", "pre_vote", "reply"), [
    (False, False, False), (True, False, True), (False, True, True), (True, True, True)])
def test_a_stale_leader_hears_the_new_term_only_with_pre_vote_or_check_quorum(check_quorum: bool, pre_vote: bool,
                                                                              reply: bool) -> None:
    n = node(check_quorum=check_quorum, pre_vote=pre_vote, storage=storage_with(term=3))
    n.step(Heartbeat(frm="n2", to="n1", term=2))
    rd = n.ready()
    assert [(type(m).__name__, m.to, m.term, m.index) for m in rd.messages] == (
        [("AppendEntriesReply", "n2", 3, 0)] if reply else [])
    assert [d.why for d in rd.dropped] == ["stale term 2 < 3"]


def test_a_stale_pre_vote_is_refused_with_the_current_term() -> None:
    n = node(pre_vote=True, storage=storage_with(term=3))
    n.step(RequestVote(frm="n2", to="n1", term=2, last_log_index=9, last_log_term=9, pre_vote=True))
    assert [(m.term, m.granted, m.pre_vote) for m in n.ready().messages] == [(3, False, True)]


# ---------------------------------------------------------------------------------------------- role changes
def follower_of_n2(**cfg) -> RaftNode:
    n = node(**cfg)
    n.step(Heartbeat(frm="n2", to="n1", term=1))
    drain(n)
    assert n.leader == "n2" and n.term == 1
    return n


@pytest.mark.parametrize(("pre_vote", "role", "term", "vote"), [
    (False, Role.CANDIDATE, 2, "n1"), (True, Role.PRE_CANDIDATE, 1, None)])
def test_campaigning_forgets_the_leader_and_counts_only_its_own_vote(pre_vote: bool, role: Role, term: int,
                                                                     vote: str | None) -> None:
    n = follower_of_n2(pre_vote=pre_vote, voters=("n1", "n2", "n3", "n4", "n5"))
    n.tick(3)
    n.campaign()
    assert (n.role, n.term, n.vote, n.leader) == (role, term, vote, None)
    assert n.votes == {"n1": True} and n.election_elapsed == (3 if pre_vote else 0)
    rd = n.ready()
    assert rd.soft_state == SoftState(role=role, leader=None)
    asked = [(m.to, m.term, m.pre_vote) for m in rd.messages]
    assert asked == [(v, 2, pre_vote) for v in ("n2", "n3", "n4", "n5")]


def test_a_new_pre_vote_round_counts_only_its_own_grants() -> None:
    n = node(pre_vote=True, voters=("n1", "n2", "n3", "n4", "n5"))
    n.campaign()
    n.step(RequestVoteReply(frm="n2", to="n1", term=1, granted=True, pre_vote=True))
    assert n.role is Role.PRE_CANDIDATE
    n.campaign()  # the round timed out: a new one
    n.step(RequestVoteReply(frm="n3", to="n1", term=1, granted=True, pre_vote=True))
    assert n.role is Role.PRE_CANDIDATE and n.votes == {"n1": True, "n3": True}  # n2's old grant is gone
    n.step(RequestVoteReply(frm="n4", to="n1", term=1, granted=True, pre_vote=True))
    assert n.role is Role.CANDIDATE and n.term == 1


def test_a_leader_keeps_its_vote_and_counts_its_uncommitted_tail_as_a_pending_change() -> None:
    ents = [Entry(index=1, term=1), Entry(index=2, term=1, data=b"x")]
    n = node(storage=storage_with(term=1, vote="n2", commit=1, entries=ents))
    n.campaign()
    for v in ("n2", "n3"):
        n.step(RequestVoteReply(frm=v, to="n1", term=2, granted=True))
    assert (n.role, n.term, n.vote, n.leader) == (Role.LEADER, 2, "n1", "n1")
    assert n.pending_conf_index == 2  # §4.1: anything uncommitted may be a change: no new one until it commits
    assert n.prs["n1"].match == 2 and n.log.last_index == 3 and n.log.entries[-1].type is EntryType.NOOP
    assert n.hard_state() == HardState(term=2, vote="n1", commit=1)


# ---------------------------------------------------------------------------------------------- bug switches
# Each raft-level switch, on a minimal script: the observable it changes (the bug zoo runs the full schedules).
def stale_tail() -> MemoryStorage:
    """n1's durable log: 1/1 committed, 2/1 and 3/1 from an old leader, uncommitted."""
    return storage_with(term=1, commit=1, entries=[Entry(index=i, term=1) for i in (1, 2, 3)])


def b06(bugs: Bugs) -> object:
    n = node(storage=stale_tail(), bugs=bugs)
    n.step(AppendEntries(frm="n2", to="n1", term=2, prev_log_index=1, prev_log_term=1, commit=3))
    return n.commit_index  # the leader's commit bounds only what this message proved to match


def b06_heartbeat(bugs: Bugs) -> object:
    n = leader(bugs=bugs)
    n.step(AppendEntriesReply(frm="n2", to="n1", term=1, index=1))
    drain(n)
    n.tick()
    return sorted((m.to, m.commit) for m in n.ready().messages if isinstance(m, Heartbeat))


def b08(bugs: Bugs) -> object:
    n = node(storage=stale_tail(), bugs=bugs)
    n.campaign()
    for v in ("n2", "n3"):
        n.step(RequestVoteReply(frm=v, to="n1", term=2, granted=True))
    n.read_index(b"r")
    drain(n)
    n.step(HeartbeatReply(frm="n2", to="n1", term=2, ctx=b"r"))
    return [(s.index, s.ctx) for s in n.ready().read_states]  # a read point before this term's no-op commits


def b11(bugs: Bugs) -> object:
    n = node(storage=storage_with(term=1, commit=3, entries=[Entry(index=i, term=1) for i in (1, 2, 3)]), bugs=bugs)
    n.step(InstallSnapshot(frm="n2", to="n1", term=1, snapshot=Snapshot(index=2, term=1, voters=IDS)))
    return (n.commit_index, n.log.last_index, [m.index for m in n.ready().messages])


def b13(bugs: Bugs) -> object:
    n = node(storage=storage_with(term=2, vote="n3"), bugs=bugs)
    n.tick(5)
    n.step(RequestVote(frm="n2", to="n1", term=2, last_log_index=0, last_log_term=0))  # refused: voted for n3
    after_refusal = n.election_elapsed
    n.tick(2)
    n.step(AppendEntries(frm="n2", to="n1", term=1, prev_log_index=0, prev_log_term=0))  # stale
    return (after_refusal, n.election_elapsed, n.randomized_election_ticks)


def b14(bugs: Bugs) -> object:
    n = node(pre_vote=True, check_quorum=True, bugs=bugs)
    return (n.pre_vote, n.check_quorum)


def b15(bugs: Bugs) -> object:
    n = leader(bugs=bugs)
    n.propose(b"x")
    drain(n)
    n.step(AppendEntriesReply(frm="n2", to="n1", term=1, index=1))
    return n.prs["n2"].match  # the follower said 1; the leader's log ends at 2


def b18(bugs: Bugs) -> object:
    from kvraft.errors import ProposalDropped
    from kvraft.raft import ConfChange, ConfChangeType
    n = leader(bugs=bugs)
    n.propose_conf_change(ConfChange(type=ConfChangeType.ADD_NODE, node_id="n4"))
    try:
        n.propose_conf_change(ConfChange(type=ConfChangeType.ADD_NODE, node_id="n5"))
    except ProposalDropped:
        return "second change refused"
    return n.voters


def b02(dups: int, pre_vote: bool = False):
    def script(bugs: Bugs) -> object:
        n = node(bugs=bugs, pre_vote=pre_vote, voters=("n1", "n2", "n3", "n4", "n5"))
        n.campaign()
        for _ in range(dups):  # one voter's grant, duplicated by the network
            n.step(RequestVoteReply(frm="n2", to="n1", term=1, granted=True, pre_vote=pre_vote))
        return n.role
    return script


@pytest.mark.parametrize(("flag", "script", "clean", "buggy"), [
    ("follower_commit_unbounded", b06, 1, 3),
    ("follower_commit_unbounded", b06_heartbeat, [("n2", 1), ("n3", 0)], [("n2", 1), ("n3", 1)]),
    ("read_before_term_commit", b08, [], [(1, b"r")]),
    ("stale_snapshot_install", b11, (3, 3, [3]), (2, 2, [2])),
    ("election_timer_resets", b13, (5, 7, "jitter"), (0, 0, 10)),
    ("no_pre_vote_check_quorum", b14, (True, True), (False, False)),
    ("match_from_own_log", b15, 1, 2),
    ("unsafe_membership", b18, "second change refused", ("n1", "n2", "n3", "n4", "n5")),
    ("vote_replies_counted", b02(1), Role.CANDIDATE, Role.CANDIDATE),  # 2 of 5 counted
    ("vote_replies_counted", b02(2), Role.CANDIDATE, Role.LEADER),  # 3 of 5 counted: "won"
    ("vote_replies_counted", b02(1, pre_vote=True), Role.PRE_CANDIDATE, Role.PRE_CANDIDATE),
    ("vote_replies_counted", b02(2, pre_vote=True), Role.PRE_CANDIDATE, Role.CANDIDATE),
])
def test_each_raft_bug_switch_changes_what_it_says(flag: str, script, clean: object, buggy: object) -> None:
    got = script(Bugs())
    if clean == (5, 7, "jitter"):
        assert got[:2] == (5, 7) and got[2] != 10  # jittered in [10, 20): seed 1 does not draw 10
    else:
        assert got == clean
    assert script(Bugs(**{flag: True})) == buggy


# ---------------------------------------------------------------------------------------------- leadership transfer
def caught_up_leader(**cfg) -> RaftNode:
    n = leader(**cfg)
    for v in ("n2", "n3"):
        n.step(AppendEntriesReply(frm=v, to="n1", term=1, index=1))
    drain(n)
    return n


def commit_three(n: RaftNode) -> None:
    """The leader ``n`` of term 1 writes entries 2..4, which n2 and n3 both acknowledge (committed and applied)."""
    for k in range(3):
        n.propose(b"v%d" % k)
    drain(n)
    for v in ("n2", "n3"):
        n.step(AppendEntriesReply(frm=v, to="n1", term=1, index=4))
    drain(n)


@pytest.mark.parametrize(("to", "sent", "transferee"), [
    ("n1", [], None),  # itself: ignored
    ("n9", [], None),  # not a voter: ignored
    ("n2", ["TimeoutNow n2"], "n2"),  # caught up: TimeoutNow at once
])
def test_a_transfer_goes_only_to_another_voter(to: str, sent: list[str], transferee: str | None) -> None:
    n = caught_up_leader()
    n.tick(4)
    drain(n)  # the heartbeats
    n.transfer_leadership(to)
    assert [f"{type(m).__name__} {m.to}" for m in drain(n)] == sent and n.lead_transferee == transferee
    assert n.election_elapsed == (0 if transferee else 4)  # the transfer gets one full election timeout
    n.transfer_leadership(to)  # asked again: nothing new
    assert drain(n) == []


def test_a_lagging_transferee_is_caught_up_first_then_told_to_campaign() -> None:
    n = caught_up_leader()
    n.propose(b"x")
    drain(n)
    n.transfer_leadership("n3")
    assert [type(m).__name__ for m in drain(n)] == ["AppendEntries"]
    n.step(AppendEntriesReply(frm="n3", to="n1", term=1, index=2))
    assert [f"{type(m).__name__} {m.to}" for m in drain(n)][-1:] == ["TimeoutNow n3"]


def test_a_transfer_not_done_in_an_election_timeout_is_aborted() -> None:
    n = caught_up_leader(check_quorum=False)
    n.propose(b"x")
    drain(n)
    n.tick(5)
    n.transfer_leadership("n3")
    n.tick(9)
    assert n.lead_transferee == "n3"
    n.tick(1)
    assert n.lead_transferee is None and n.is_leader


def test_timer_resets_and_configuration_changes_move_the_deadline_counter() -> None:
    n = node()
    before = n.deadline_resets
    n.campaign()
    assert n.deadline_resets > before
    n = caught_up_leader()
    before = n.deadline_resets
    from kvraft.raft import ConfChange, ConfChangeType
    n.propose_conf_change(ConfChange(type=ConfChangeType.ADD_NODE, node_id="n4"))
    assert n.deadline_resets == before + 1 and n.voters == ("n1", "n2", "n3", "n4")


# ---------------------------------------------------------------------------------------------- votes and proposals
@pytest.mark.parametrize(("state", "asked", "granted"), [
    ({}, {}, True),
    ({"vote": "n3"}, {}, False),  # one vote per term
    ({"vote": "n2"}, {}, True),  # the same candidate again
    ({"leader": "n3"}, {}, False),  # a follower of a live leader votes for no one in its term
    ({"leader": "n3"}, {"pre_vote": True, "term": 3}, True),  # a PreVote for a later term is only a question
    ({"vote": "n3"}, {"pre_vote": True, "term": 3}, True),
    ({}, {"last_log_term": 0, "last_log_index": 5}, False),  # §5.4.1: an older last term loses, however long
    ({}, {"last_log_term": 1, "last_log_index": 1}, False),  # same last term, shorter log
])
def test_who_gets_a_vote(state: dict, asked: dict, granted: bool) -> None:
    n = node(storage=storage_with(term=2, entries=[Entry(index=1, term=1), Entry(index=2, term=1)]))
    n.vote, n.leader = state.get("vote"), state.get("leader")
    n.tick(3)
    m = {"frm": "n2", "to": "n1", "term": 2, "last_log_index": 2, "last_log_term": 1, **asked}
    n.step(RequestVote(**m))
    [reply] = n.ready().messages
    assert (reply.granted, reply.pre_vote, reply.term) == (granted, m.get("pre_vote", False),
                                                           m["term"] if granted else 2)
    recorded = granted and not m.get("pre_vote")
    assert n.vote == ("n2" if recorded else state.get("vote"))  # a PreVote grant records nothing
    assert n.election_elapsed == (0 if recorded else 3)  # a real grant restarts the election timer


def test_a_leader_ignores_campaign() -> None:
    n = leader()
    n.campaign()
    assert n.role is Role.LEADER and n.term == 1


@pytest.mark.parametrize(("who", "frm", "result"), [
    ("follower", "n3", "forwarded to n2"),
    ("follower", "n2", "dropped: no leader to forward to"),  # from the leader itself: never bounced back
    ("leader", "n2", "appended"),
    ("transferring", "n2", "dropped: leadership transfer in progress"),
])
def test_a_forwarded_proposal(who: str, frm: str, result: str) -> None:
    n = follower_of_n2() if who == "follower" else caught_up_leader()
    if who == "transferring":
        n.propose(b"lag")  # n3 lags: the transfer waits for it
        drain(n)
        n.transfer_leadership("n3")
        drain(n)
    last = n.log.last_index
    n.step(Propose(frm=frm, to="n1", term=n.term, entries=(Entry(index=0, term=0, data=b"p"),)))
    rd = n.ready()
    got = ([f"forwarded to {m.to}" for m in rd.messages if isinstance(m, Propose)]
           + [f"dropped: {d.why}" for d in rd.dropped] + (["appended"] if n.log.last_index == last + 1 else []))
    assert got == [result]


def test_a_snapshot_arriving_while_another_is_persisted_is_kept() -> None:
    n = follower_of_n2()
    s1, s2 = (Snapshot(index=i, term=1, voters=IDS, data=b"s%d" % i) for i in (3, 5))
    n.step(InstallSnapshot(frm="n2", to="n1", term=1, snapshot=s1))
    rd = n.ready()
    assert rd.snapshot is s1
    n.step(InstallSnapshot(frm="n2", to="n1", term=1, snapshot=s2))  # while s1 is written
    n.advance(rd)
    assert n.has_ready() and n.ready().snapshot is s2 and n.applied_index == 3


@pytest.mark.parametrize(("snap_index", "snap_term", "commit", "last", "reply"), [
    (3, 1, 3, 3, 3),  # held already (same term at 3): commit fast-forwards, the log stays
    (3, 2, 3, 3, 3),  # a different term at 3: the log is replaced by the snapshot
    (1, 1, 2, 3, 2),  # older than our commit: nothing changes, the reply says our commit
    (5, 1, 5, 5, 5),  # beyond our log: installed
])
def test_install_snapshot(snap_index: int, snap_term: int, commit: int, last: int, reply: int) -> None:
    n = node(storage=storage_with(term=2, commit=2, entries=[Entry(index=i, term=1) for i in (1, 2, 3)]))
    snap = Snapshot(index=snap_index, term=snap_term, voters=IDS)
    n.step(InstallSnapshot(frm="n2", to="n1", term=2, snapshot=snap))
    rd = n.ready()
    assert (n.commit_index, n.log.last_index, [m.index for m in rd.messages]) == (commit, last, [reply])
    installed = snap_index > 2 and not (snap_index == 3 and snap_term == 1)
    assert (rd.snapshot is snap) is installed and (n.log.snap_index == snap_index) is installed


def test_a_leader_refuses_to_remove_a_non_member_and_marks_a_change_pending() -> None:
    from kvraft.errors import ProposalDropped
    from kvraft.raft import ConfChange, ConfChangeType
    n = caught_up_leader()
    with pytest.raises(ProposalDropped, match="n9 is not a member"):
        n.propose_conf_change(ConfChange(type=ConfChangeType.REMOVE_NODE, node_id="n9"))
    n.propose(b"x")
    n.propose_conf_change(ConfChange(type=ConfChangeType.REMOVE_NODE, node_id="n3"))
    assert n.pending_conf_index == 3 == n.log.last_index and n.voters == ("n1", "n2")


def test_a_batch_of_proposals_is_appended_at_once_and_sent_in_one_append_each() -> None:
    n = caught_up_leader()
    n.propose_batch([b"a", b"b", b"c"])
    msgs = drain(n)
    assert [(e.index, e.term, e.data) for e in n.log.entries[-3:]] == [(2, 1, b"a"), (3, 1, b"b"), (4, 1, b"c")]
    assert sorted((m.to, [e.index for e in m.entries]) for m in msgs if isinstance(m, AppendEntries)) == [
        ("n2", [2, 3, 4]), ("n3", [2, 3, 4])]


def test_read_index_asks_whoever_leads() -> None:
    from kvraft.errors import ProposalDropped
    with pytest.raises(ProposalDropped, match="no leader"):
        node().read_index(b"r")
    f = follower_of_n2()
    f.read_index(bytearray(b"r"))
    [m] = drain(f)
    assert (type(m).__name__, m.to, m.ctx) == ("ReadIndex", "n2", b"r")
    n = leader(voters=("n1",))  # a lone voter answers itself
    n.read_index(b"own")
    assert [(s.index, s.ctx) for s in n.ready().read_states] == [(1, b"own")]


@pytest.mark.parametrize(("check_quorum", "leader_known", "elapsed", "transfer", "in_lease"), [
    (True, True, 3, False, True),  # §4.2.3: heard from a leader recently: the vote is ignored
    (True, True, 3, True, False),  # a leadership transfer's vote is not disruptive
    (False, True, 3, False, False),
    (True, False, 3, False, False),
    (True, True, 10, False, False),  # a full election timeout without the leader: the lease is over
    (True, True, 9, False, True),
])
def test_a_disruptive_vote_is_ignored_in_the_leaders_lease(check_quorum: bool, leader_known: bool, elapsed: int,
                                                           transfer: bool, in_lease: bool) -> None:
    n = follower_of_n2(check_quorum=check_quorum)
    n.leader = "n2" if leader_known else None
    n.election_elapsed = elapsed
    n.step(RequestVote(frm="n3", to="n1", term=5, last_log_index=9, last_log_term=9, transfer=transfer))
    rd = n.ready()
    assert ([d.why for d in rd.dropped] == ["in lease: leader heard from recently"]) is in_lease
    assert n.term == (1 if in_lease else 5)


@pytest.mark.parametrize(("msg", "term", "role"), [
    (RequestVote(frm="n3", to="n1", term=5, last_log_index=0, last_log_term=0, pre_vote=True), 1, Role.FOLLOWER),
    (RequestVoteReply(frm="n3", to="n1", term=5, granted=True, pre_vote=True), 1, Role.FOLLOWER),
    (RequestVoteReply(frm="n3", to="n1", term=5, granted=False, pre_vote=True), 5, Role.FOLLOWER),
    (HeartbeatReply(frm="n3", to="n1", term=5), 5, Role.FOLLOWER),
])
def test_which_higher_terms_are_adopted(msg: object, term: int, role: Role) -> None:
    n = follower_of_n2(pre_vote=True)
    n.leader = None
    n.step(msg)  # type: ignore[arg-type]
    assert (n.term, n.role) == (term, role)
