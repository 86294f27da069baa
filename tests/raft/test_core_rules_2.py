"""RaftNode, rule by rule (the second table; the first is test_core_rules.py, the leader's side is
test_core_rules_3.py): what a new term forgets, the timers and tick(n)'s cost, the follower side, votes and
forwarding, and what else each raft bug switch changes (bench/mutation.py --module kvraft/raft/core.py)."""

from __future__ import annotations

import pytest

from kvraft.bugs import Bugs
from kvraft.raft import (AppendEntries, AppendEntriesReply, Entry, Heartbeat, HeartbeatReply, RaftNode, RequestVote,
                         RequestVoteReply, Role, Snapshot)
from kvraft.raft.messages import InstallSnapshot, Propose
from tests.raft.test_core_rules import IDS, caught_up_leader, drain, follower_of_n2, leader, node, storage_with


def win(n: RaftNode) -> None:
    """``n`` campaigns and n2, n3 grant its term (PreVote off)."""
    n.campaign()
    for v in ("n2", "n3"):
        n.step(RequestVoteReply(frm=v, to="n1", term=n.term, granted=True))
    assert n.role is Role.LEADER


def deposed(n: RaftNode) -> RaftNode:
    """``n``, a leader, hears n2 lead a later term and follows it."""
    n.step(Heartbeat(frm="n2", to="n1", term=n.term + 1))
    drain(n)
    assert n.role is Role.FOLLOWER
    return n


# -------------------------------------------------------------------------------------------- a new term forgets
def test_a_leader_elected_again_starts_a_fresh_heartbeat_interval() -> None:
    n = leader(heartbeat_ticks=5)
    n.tick(3)
    deposed(n)
    win(n)
    assert (n.heartbeat_elapsed, n.ticks_until_next()) == (0, 5)


def test_a_new_leader_starts_a_full_quorum_check_interval() -> None:
    n = node(heartbeat_ticks=5)
    n.campaign()
    n.tick(3)  # the election took 3 ticks
    resets = n.deadline_resets
    for v in ("n2", "n3"):
        n.step(RequestVoteReply(frm=v, to="n1", term=1, granted=True))
    assert (n.role, n.election_elapsed, n.votes) == (Role.LEADER, 0, {})
    assert n.deadline_resets > resets and (n.leader, n.lead_transferee) == ("n1", None)


def test_a_transfer_in_progress_is_forgotten_when_the_leader_steps_down() -> None:
    n = caught_up_leader()
    n.propose(b"lag")  # n3 lags: the transfer waits for it
    drain(n)
    n.transfer_leadership("n3")
    assert n.lead_transferee == "n3"
    deposed(n)
    assert n.lead_transferee is None
    win(n)
    n.propose(b"x")  # not refused as "transfer in progress"
    assert n.log.entries[-1].data == b"x"


def test_reads_pending_in_a_lost_term_are_never_answered() -> None:
    n = leader()  # its no-op is not committed: the read waits for it
    n.read_index(b"old")
    assert n.reads.waiting
    deposed(n)
    win(n)
    drain(n)
    for v in ("n2", "n3"):
        n.step(AppendEntriesReply(frm=v, to="n1", term=n.term, index=n.log.last_index))
    rd = n.ready()
    assert n.commit_index == n.log.last_index and rd.read_states == ()
    assert not [m for m in rd.messages if isinstance(m, Heartbeat) and m.ctx]  # no read round for it either


def test_a_leader_elected_again_forgets_what_it_knew_of_its_followers() -> None:
    n = caught_up_leader()
    n.propose(b"x")
    drain(n)
    n.step(AppendEntriesReply(frm="n2", to="n1", term=1, index=2))
    assert n.prs["n2"].match == 2
    deposed(n)
    win(n)
    # §5.3: a new leader knows nothing of its followers' logs (n2's may have been cut since)
    # probing from its no-op at 3
    assert [(p, n.prs[p].match, n.prs[p].next) for p in ("n2", "n3")] == [("n2", 0, 3), ("n3", 0, 3)]


# -------------------------------------------------------------------------------------------------------- timers
@pytest.mark.parametrize("pre_vote", [False, True])
def test_the_election_timeout_fires_on_its_tick_and_restarts_the_timer(pre_vote: bool) -> None:
    n = node(pre_vote=pre_vote)
    timeout = n.randomized_election_ticks
    n.tick(timeout - 1)
    assert (n.role, n.ticks_until_next()) == (Role.FOLLOWER, 1)
    n.tick()
    assert n.role is (Role.PRE_CANDIDATE if pre_vote else Role.CANDIDATE) and n.election_elapsed == 0
    if pre_vote:  # the same timeout again for the round (no new term, no new draw)
        assert n.ticks_until_next() == timeout


@pytest.mark.parametrize(("start", "ticks", "steps"), [
    ("learner", 1000, 1),  # no deadline ever: one step
    ("follower", 5, 1),  # before the election timeout: counted, then one step
    ("leader", 25, 9),  # heartbeat every 3 ticks: one step per deadline (8) and the last tick
    ("leader-2", 10, 5),  # every 2 ticks: one quiet tick before each
])
def test_tick_n_steps_only_at_deadlines(start: str, ticks: int, steps: int) -> None:
    # "Ticks before the next deadline only count": a driver sleeping till its deadline costs one step, not n.
    n = {"learner": lambda: node("n4", learners=("n4",)), "follower": node,
         "leader": lambda: leader(heartbeat_ticks=3, election_ticks=30),
         "leader-2": lambda: leader(heartbeat_ticks=2, election_ticks=30)}[start]()
    calls = []
    step = n._tick1
    n._tick1 = lambda: (calls.append(1), step())[1]  # type: ignore[method-assign]
    n.tick(ticks)
    assert len(calls) == steps
    if start == "learner":
        assert n.election_elapsed == ticks  # and still exactly n ticks


def test_a_learner_cut_off_for_an_election_timeout_is_out_of_the_lease() -> None:
    # A learner never campaigns, but its timer keeps counting: the leader's lease (§4.2.3) ends for it too.
    n = node("n4", learners=("n4",), check_quorum=True)
    n.step(Heartbeat(frm="n2", to="n4", term=1))
    n.tick(n.randomized_election_ticks)
    n.step(RequestVote(frm="n3", to="n4", term=5, last_log_index=0, last_log_term=0))
    assert (n.term, n.role, n.election_elapsed) == (5, Role.FOLLOWER, 0)


def test_without_check_quorum_a_leader_hearing_nobody_stays() -> None:
    n = leader(check_quorum=False)
    n.tick(35)
    assert n.is_leader


# --------------------------------------------------------------------------------------------- the follower side
@pytest.mark.parametrize("msg", [
    AppendEntries(frm="n2", to="n1", term=1, prev_log_index=0, prev_log_term=0),
    Heartbeat(frm="n2", to="n1", term=1),
    InstallSnapshot(frm="n2", to="n1", term=1, snapshot=Snapshot(index=3, term=1, voters=IDS)),
])
def test_a_follower_hearing_its_terms_leader_restarts_its_timer_and_knows_the_leader(msg: object) -> None:
    n = node(storage=storage_with(term=1))  # term 1, no leader known yet
    n.tick(5)
    n.step(msg)  # type: ignore[arg-type]
    assert (n.term, n.election_elapsed, n.leader) == (1, 0, "n2")
    assert n.ticks_until_next() == n.randomized_election_ticks  # a whole timeout from now


def test_a_heartbeat_carries_the_commit_to_a_follower() -> None:
    n = node(storage=storage_with(term=1, entries=[Entry(index=i, term=1) for i in (1, 2, 3)]))
    n.step(Heartbeat(frm="n2", to="n1", term=1, commit=2))
    assert n.commit_index == 2


def test_an_append_whose_terms_rise_is_well_formed() -> None:
    n = node(storage=storage_with(term=3))
    n.step(AppendEntries(frm="n2", to="n1", term=3, prev_log_index=0, prev_log_term=0,
                         entries=(Entry(index=1, term=1), Entry(index=2, term=2), Entry(index=3, term=3))))
    rd = n.ready()
    assert (rd.dropped, [m.index for m in rd.messages], n.log.last_index) == ((), [3], 3)


def test_an_append_below_the_commit_is_answered_with_the_commit() -> None:
    # Entries up to commit already match the leader (§5.4): the reply says the commit, and nothing is appended.
    n = node(storage=storage_with(term=1, commit=2, entries=[Entry(index=i, term=1) for i in (1, 2, 3)]))
    n.step(AppendEntries(frm="n2", to="n1", term=1, prev_log_index=1, prev_log_term=1, commit=3,
                         entries=tuple(Entry(index=i, term=1) for i in (2, 3, 4))))
    [reply] = n.ready().messages
    assert (reply.index, reply.reject, n.log.last_index, n.commit_index) == (2, False, 3, 2)


def test_an_append_below_a_compacted_commit_is_accepted() -> None:
    n = node(storage=storage_with(term=1, commit=5, snapshot=Snapshot(index=5, term=1, voters=IDS)))
    n.step(AppendEntries(frm="n2", to="n1", term=1, prev_log_index=3, prev_log_term=1, commit=5,
                         entries=tuple(Entry(index=i, term=1) for i in (4, 5, 6))))
    [reply] = n.ready().messages
    assert (reply.index, reply.reject) == (5, False)


@pytest.mark.parametrize("count", [1, 2])
def test_a_conf_entry_replaced_by_a_new_leader_reverts_the_configuration(count: int) -> None:
    from kvraft.raft import ConfChange, ConfChangeType, EntryType
    add = Entry(index=2, term=1, type=EntryType.CONF_CHANGE,
                data=ConfChange(type=ConfChangeType.ADD_NODE, node_id="n4").encode())
    n = node(storage=storage_with(term=1, commit=1, entries=[Entry(index=1, term=1), add]))
    assert (n.voters, n.conf_index) == ((*IDS, "n4"), 2)
    n.step(AppendEntries(frm="n3", to="n1", term=2, prev_log_index=1, prev_log_term=1, commit=1,
                         entries=tuple(Entry(index=2 + k, term=2, data=b"x") for k in range(count))))
    assert (n.voters, n.conf_index, n.log.last_index) == (IDS, 0, 1 + count)  # §4.1: the change before is in force


def test_an_installed_snapshot_brings_its_configuration() -> None:
    n = node()
    n.step(InstallSnapshot(frm="n2", to="n1", term=1, snapshot=Snapshot(index=5, term=1, voters=(*IDS, "n4"),
                                                                     learners=("n5",))))
    assert (n.voters, n.learners, n.conf_index) == ((*IDS, "n4"), ("n5",), 5)


@pytest.mark.parametrize(("snap_term", "reply"), [(1, 2), (2, 2)])
def test_a_snapshot_at_the_commit_index_never_replaces_committed_entries(snap_term: int, reply: int) -> None:
    n = node(storage=storage_with(term=2, commit=2, entries=[Entry(index=i, term=1) for i in (1, 2, 3)]))
    n.step(InstallSnapshot(frm="n2", to="n1", term=2, snapshot=Snapshot(index=2, term=snap_term, voters=IDS)))
    rd = n.ready()
    assert (n.commit_index, n.log.last_index, n.log.snap_index, rd.snapshot) == (2, 3, 0, None)
    assert [m.index for m in rd.messages] == [reply]


def test_an_installed_snapshot_is_handed_out_once() -> None:
    n = node()
    snap = Snapshot(index=3, term=1, voters=IDS)
    n.step(InstallSnapshot(frm="n2", to="n1", term=1, snapshot=snap))
    rd = n.ready()
    assert rd.snapshot is snap
    n.advance(rd)
    assert (n.log.pending_snapshot, n.applied_index, n.has_ready()) == (None, 3, False)


# --------------------------------------------------------------------------------- votes, candidates, forwarding
def test_a_pre_vote_for_the_current_term_is_refused_while_a_leader_is_known() -> None:
    # A PreVote grants only a later term (§9.6): asked about the term we follow a leader in, the answer is no.
    n = follower_of_n2(pre_vote=True)
    n.step(RequestVote(frm="n3", to="n1", term=1, last_log_index=5, last_log_term=1, pre_vote=True))
    assert [(m.granted, m.pre_vote) for m in n.ready().messages] == [(False, True)]


@pytest.mark.parametrize("pre_vote", [False, True])
def test_a_candidate_drops_what_it_cannot_use(pre_vote: bool) -> None:
    n = node(pre_vote=pre_vote)
    n.campaign()
    n.step(HeartbeatReply(frm="n2", to="n1", term=n.term))
    role = "pre-candidate" if pre_vote else "candidate"
    assert [(d.type, d.why) for d in n.ready().dropped] == [("HeartbeatReply", f"not expected by a {role}")]


def test_a_forwarded_proposal_leaves_index_and_term_to_the_leader() -> None:
    from kvraft.raft import ConfChange, ConfChangeType
    n = follower_of_n2()
    n.propose(b"x")
    n.propose_batch([b"a", b"b"])
    n.propose_conf_change(ConfChange(type=ConfChangeType.ADD_NODE, node_id="n4"))
    sent = [[(e.index, e.term, e.data) for e in m.entries] for m in drain(n) if isinstance(m, Propose)]
    assert sent == [[(0, 0, b"x")], [(0, 0, b"a"), (0, 0, b"b")], [(0, 0, ConfChange(
        type=ConfChangeType.ADD_NODE, node_id="n4").encode())]]


# ---------------------------------------------------------------------- bug switches: what else each one changes
@pytest.mark.parametrize("pre_vote", [False, True])
def test_b02_counts_replies_within_one_round_only(pre_vote: bool) -> None:
    # Bug B02 counts granted replies, not voters; a new round still starts from zero.
    n = node(bugs=Bugs(vote_replies_counted=True), pre_vote=pre_vote, voters=("n1", "n2", "n3", "n4", "n5"))
    n.campaign()
    n.step(RequestVoteReply(frm="n2", to="n1", term=n.term + pre_vote, granted=True, pre_vote=pre_vote))
    n.campaign()  # the round timed out: 1 of 5 counted, not 3
    assert n.role is (Role.PRE_CANDIDATE if pre_vote else Role.CANDIDATE)


@pytest.mark.parametrize(("replies", "role"), [
    ([("n2", False), ("n3", False)], Role.CANDIDATE),  # denials are never counted as grants
    ([("n2", False), ("n3", False), ("n4", False)], Role.FOLLOWER),  # 3 of 5 refused: lost
    ([("n2", True), ("n2", True)], Role.LEADER),  # one grant duplicated: counted twice
])
def test_b02_counts_grants_not_voters_and_still_loses(replies: list, role: Role) -> None:
    n = node(bugs=Bugs(vote_replies_counted=True), voters=("n1", "n2", "n3", "n4", "n5"))
    n.campaign()
    for frm, granted in replies:
        n.step(RequestVoteReply(frm=frm, to="n1", term=1, granted=granted))
    assert n.role is role


def test_b02_counts_stale_grants_too() -> None:
    def role(bugs: Bugs) -> Role:
        n = node(bugs=bugs, voters=("n1", "n2", "n3", "n4", "n5"))
        n.campaign()
        n.campaign()  # term 2: the term-1 grants below are stale
        for v in ("n2", "n3"):
            n.step(RequestVoteReply(frm=v, to="n1", term=1, granted=True))
        return n.role
    assert (role(Bugs()), role(Bugs(vote_replies_counted=True))) == (Role.CANDIDATE, Role.LEADER)


def test_b03_commits_an_old_entry_by_count_but_a_read_still_waits_for_the_new_term() -> None:
    # Bug B03 commits a previous-term entry by counting; a read point still needs this term's no-op (§6.4).
    n = node(storage=storage_with(term=1, commit=1, entries=[Entry(index=i, term=1) for i in (1, 2)]),
             bugs=Bugs(old_term_commit_by_count=True))
    win(n)  # term 2, its no-op at 3
    drain(n)
    n.read_index(b"r")
    n.step(AppendEntriesReply(frm="n2", to="n1", term=2, index=2))  # n2 holds 2, not the no-op
    rd = n.ready()
    assert n.commit_index == 2 and rd.read_states == () and n.reads.waiting == [(b"r", "n1")]
    assert not [m for m in rd.messages if isinstance(m, Heartbeat)]


def b05_node(bugs: Bugs, entries: list[Entry] | None = None) -> RaftNode:
    return node(storage=storage_with(term=1, commit=1, entries=entries or [Entry(index=i, term=1) for i in (1, 2, 3)]),
                bugs=bugs)


@pytest.mark.parametrize(("bugs", "last"), [(Bugs(), 3), (Bugs(truncate_every_append=True), 2)])
def test_b05_truncates_after_an_append_that_matches(bugs: Bugs, last: int) -> None:
    n = node(storage=storage_with(term=1, commit=1, entries=[Entry(index=i, term=1) for i in (1, 2, 3)]), bugs=bugs)
    n.step(AppendEntries(frm="n2", to="n1", term=1, prev_log_index=1, prev_log_term=1, commit=1,
                         entries=(Entry(index=2, term=1),)))  # a delayed, shorter copy of the leader's log
    [reply] = n.ready().messages
    assert (n.log.last_index, reply.index) == (last, 2)
    resets = n.deadline_resets  # then an empty append at the end
    n.step(AppendEntries(frm="n2", to="n1", term=1, prev_log_index=last, prev_log_term=1, commit=1))
    assert n.log.last_index == last and n.deadline_resets == resets  # nothing cut, nothing to re-read


@pytest.mark.parametrize(("prev", "ents", "buggy", "rewritten"), [
    (1, (), [1], []),  # an empty append at 1 cuts everything after it under B05
    (2, (3,), [1, 2, 3], [3]),  # cut at prev + 1 and put back (written again): never below it
    (1, (2,), [1, 2], [2]),
    (2, (), [1, 2], []),  # an empty append one short of the end cuts the last entry
])
def test_b05_cuts_at_prev_plus_one(prev: int, ents: tuple, buggy: list, rewritten: list) -> None:
    for bugs, want, written in ((Bugs(), [1, 2, 3], []), (Bugs(truncate_every_append=True), buggy, rewritten)):
        n = b05_node(bugs)
        n.step(AppendEntries(frm="n2", to="n1", term=1, prev_log_index=prev, prev_log_term=1, commit=1,
                             entries=tuple(Entry(index=i, term=1) for i in ents)))
        rd = n.ready()
        assert ([e.index for e in n.log.entries], [e.index for e in rd.entries]) == (want, written)


def test_b05_still_follows_a_configuration_change() -> None:
    from kvraft.raft import ConfChange, ConfChangeType, EntryType
    n = b05_node(Bugs(truncate_every_append=True))
    add = Entry(index=4, term=1, type=EntryType.CONF_CHANGE,
                data=ConfChange(type=ConfChangeType.ADD_NODE, node_id="n4").encode())
    n.step(AppendEntries(frm="n2", to="n1", term=1, prev_log_index=3, prev_log_term=1, commit=1, entries=(add,)))
    assert (n.voters, n.conf_index) == ((*IDS, "n4"), 4)


def test_b11_rolls_the_state_machine_back_to_the_stale_snapshot_and_its_configuration() -> None:
    n = node(storage=storage_with(term=1, commit=3, entries=[Entry(index=i, term=1) for i in (1, 2, 3)]), applied=3,
             bugs=Bugs(stale_snapshot_install=True))
    n.step(InstallSnapshot(frm="n2", to="n1", term=1, snapshot=Snapshot(index=2, term=1, voters=(*IDS, "n4"))))
    assert (n.commit_index, n.applied_index, n.voters) == (2, 2, (*IDS, "n4"))


def test_b11_installs_only_snapshots_older_than_the_commit() -> None:
    n = node(storage=storage_with(term=1, commit=3, entries=[Entry(index=i, term=1) for i in (1, 2, 3, 4)]),
             bugs=Bugs(stale_snapshot_install=True))
    n.step(InstallSnapshot(frm="n2", to="n1", term=1, snapshot=Snapshot(index=3, term=1, voters=IDS)))
    rd = n.ready()
    assert (n.log.last_index, n.log.snap_index, rd.snapshot, [m.index for m in rd.messages]) == (4, 0, None, [3])
