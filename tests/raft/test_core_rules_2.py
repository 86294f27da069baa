"""RaftNode, rule by rule (second table; the first is test_core_rules.py): what a new term forgets, what a
leader keeps of an earlier leadership, how a leader feeds a follower (a window of appends per reply, one
snapshot at a time, who counts as active), the follower's reply below its commit, tick(n)'s cost, and the
bug switches' side effects (bench/mutation.py --module kvraft/raft/core.py)."""

from __future__ import annotations

import pytest

from kvraft.bugs import Bugs
from kvraft.errors import InvariantViolation
from kvraft.raft import (AppendEntries, AppendEntriesReply, Entry, Heartbeat, HeartbeatReply, RaftNode,
                         RequestVote, RequestVoteReply, Role, Snapshot)
from kvraft.raft.messages import InstallSnapshot, InstallSnapshotReply, Propose
from kvraft.raft.progress import ProgressState
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


# ---------------------------------------------------------------------------------------------- a new term forgets
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
    assert [(p, n.prs[p].match, n.prs[p].next) for p in ("n2", "n3")] == [("n2", 0, 3), ("n3", 0, 3)]  # probing from its no-op


@pytest.mark.parametrize("pre_vote", [False, True])
def test_b02_counts_replies_within_one_round_only(pre_vote: bool) -> None:
    # Bug B02 counts granted replies, not voters; a new round still starts from zero.
    n = node(bugs=Bugs(vote_replies_counted=True), pre_vote=pre_vote, voters=("n1", "n2", "n3", "n4", "n5"))
    n.campaign()
    n.step(RequestVoteReply(frm="n2", to="n1", term=n.term + pre_vote, granted=True, pre_vote=pre_vote))
    n.campaign()  # the round timed out: 1 of 5 counted, not 3
    assert n.role is (Role.PRE_CANDIDATE if pre_vote else Role.CANDIDATE)


# ---------------------------------------------------------------------------------------------- follower side
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


# ---------------------------------------------------------------------------------------------- leader side
def probing_leader(**cfg) -> RaftNode:
    """n1 leads term 1 with entries 2..5 (one byte each) that n2 and n3 have not acked."""
    n = leader(**cfg)
    for k in range(4):
        n.propose(b"%d" % k)
    drain(n)
    return n


def appends_to(msgs: list, to: str) -> list[list[int]]:
    return [[e.index for e in m.entries] for m in msgs if isinstance(m, AppendEntries) and m.to == to]


def test_an_ack_sends_the_follower_as_many_appends_as_its_window_holds() -> None:
    n = probing_leader(max_size_per_msg=1, max_inflight_msgs=3)
    n.step(AppendEntriesReply(frm="n2", to="n1", term=1, index=1))  # n2 probed at 1: it matches
    assert appends_to(drain(n), "n2") == [[2], [3], [4]]  # one entry a message, three in flight
    assert n.prs["n2"].state is ProgressState.REPLICATE and n.prs["n2"].next == 5


def test_a_follower_behind_the_snapshot_gets_it_once() -> None:
    n = caught_up_leader(max_size_per_msg=1)
    for k in range(3):
        n.propose(b"%d" % k)
    drain(n)
    for v in ("n2", "n3"):
        n.step(AppendEntriesReply(frm=v, to="n1", term=1, index=4))
    drain(n)
    n.compact(3, b"s3")
    n.prs["n3"].become_probe()
    n.prs["n3"].next, n.prs["n3"].match = 2, 0  # n3 lost its disk: probe from the start
    n.step(HeartbeatReply(frm="n3", to="n1", term=1))
    [m] = drain(n)
    assert isinstance(m, InstallSnapshot) and m.snapshot.index == 3
    assert (n.prs["n3"].state, n.prs["n3"].pending_snapshot) == (ProgressState.SNAPSHOT, 3)
    n.step(HeartbeatReply(frm="n3", to="n1", term=1))
    n.step(AppendEntriesReply(frm="n3", to="n1", term=1, index=0, reject=True))
    assert [type(m).__name__ for m in drain(n)] == []  # the snapshot is in flight: nothing more to n3


def test_a_leader_without_the_snapshot_it_needs_is_our_bug() -> None:
    n = caught_up_leader()
    n.prs["n2"].match, n.prs["n2"].next = 0, 9  # past the log's end, which only a bug of ours makes
    with pytest.raises(InvariantViolation, match="need a snapshot for n2 but have none"):
        n.step(HeartbeatReply(frm="n2", to="n1", term=1))


@pytest.mark.parametrize("reply", [AppendEntriesReply(frm="n9", to="n1", term=1, index=1),
                                   HeartbeatReply(frm="n9", to="n1", term=1),
                                   InstallSnapshotReply(frm="n9", to="n1", term=1, index=1)])
def test_a_reply_from_an_unknown_peer_is_dropped_as_such(reply: object) -> None:
    n = caught_up_leader()
    n.step(reply)  # type: ignore[arg-type]
    assert [(d.frm, d.type, d.why) for d in n.ready().dropped] == [("n9", type(reply).__name__, "unknown peer")]


@pytest.mark.parametrize("reply", ["append", "heartbeat", "snapshot", "none"])
def test_a_followers_reply_counts_for_check_quorum(reply: str) -> None:
    n = leader(check_quorum=True)
    n.tick(9)
    drain(n)
    n.tick(1)  # the check at 10 ticks: the leader's own vote counts, its followers are active from the start
    assert n.is_leader
    if reply == "append":
        n.step(AppendEntriesReply(frm="n2", to="n1", term=1, index=1))
    elif reply == "heartbeat":
        n.step(HeartbeatReply(frm="n2", to="n1", term=1))
    elif reply == "snapshot":
        n.step(InstallSnapshotReply(frm="n2", to="n1", term=1, index=1))
    n.tick(10)
    assert n.is_leader is (reply != "none")


def test_an_empty_batch_appends_nothing_and_drops_nothing() -> None:
    n = caught_up_leader()
    n.propose_batch([])
    n.step(Propose(frm="n2", to="n1", term=1, entries=()))
    rd = n.ready()
    assert (n.log.last_index, rd.dropped, rd.entries) == (1, (), ())


def test_a_plain_append_leaves_the_deadline_alone() -> None:
    # deadline_resets tells a tickless driver to re-read the next deadline: only a configuration change may move it.
    n = caught_up_leader()
    before = n.deadline_resets
    n.propose(b"x")
    f = node("n2")
    f.step(AppendEntries(frm="n1", to="n2", term=1, prev_log_index=0, prev_log_term=0,
                         entries=(Entry(index=1, term=1),)))
    resets = f.deadline_resets
    f.step(AppendEntries(frm="n1", to="n2", term=1, prev_log_index=1, prev_log_term=1,
                         entries=(Entry(index=2, term=1, data=b"x"),)))
    assert (n.deadline_resets, f.deadline_resets) == (before, resets)


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


# ---------------------------------------------------------------------------------------------- tick(n)'s cost
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


# ---------------------------------------------------------------------------------------------- Ready and advance
def test_an_installed_snapshot_is_handed_out_once() -> None:
    n = node()
    snap = Snapshot(index=3, term=1, voters=IDS)
    n.step(InstallSnapshot(frm="n2", to="n1", term=1, snapshot=snap))
    rd = n.ready()
    assert rd.snapshot is snap
    n.advance(rd)
    assert (n.log.pending_snapshot, n.applied_index, n.has_ready()) == (None, 3, False)


def test_a_deposed_leader_never_commits_by_its_old_progress() -> None:
    # n1 led term 1 (2..4 acked by n2 only, not yet durable here); n3 now leads term 2 and replaces 2 with 2/2.
    n = leader()
    n.propose_batch([b"a", b"b", b"c"])
    rd = n.ready()  # not advanced: n1's own match stays at 1
    n.step(AppendEntriesReply(frm="n2", to="n1", term=1, index=4))
    n.step(AppendEntries(frm="n3", to="n1", term=2, prev_log_index=1, prev_log_term=1, commit=1,
                         entries=(Entry(index=2, term=2),)))
    n.advance(rd)
    drain(n)
    assert (n.role, n.commit_index, n.log.last_index) == (Role.FOLLOWER, 1, 2)  # only a leader counts matches


# ---------------------------------------------------------------------------------------------- snapshots
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


def test_b11_rolls_the_state_machine_back_to_the_stale_snapshot_and_its_configuration() -> None:
    n = node(storage=storage_with(term=1, commit=3, entries=[Entry(index=i, term=1) for i in (1, 2, 3)]), applied=3,
             bugs=Bugs(stale_snapshot_install=True))
    n.step(InstallSnapshot(frm="n2", to="n1", term=1, snapshot=Snapshot(index=2, term=1, voters=(*IDS, "n4"))))
    assert (n.commit_index, n.applied_index, n.voters) == (2, 2, (*IDS, "n4"))


# ---------------------------------------------------------------------------------------------- bug switches
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


@pytest.mark.parametrize(("bugs", "last"), [(Bugs(), 3), (Bugs(truncate_every_append=True), 2)])
def test_b05_truncates_after_an_append_that_matches(bugs: Bugs, last: int) -> None:
    n = node(storage=storage_with(term=1, commit=1, entries=[Entry(index=i, term=1) for i in (1, 2, 3)]), bugs=bugs)
    n.step(AppendEntries(frm="n2", to="n1", term=1, prev_log_index=1, prev_log_term=1, commit=1,
                         entries=(Entry(index=2, term=1),)))  # a delayed, shorter copy of the leader's log
    [reply] = n.ready().messages
    assert (n.log.last_index, reply.index) == (last, 2)
    resets = n.deadline_resets
    n.step(AppendEntries(frm="n2", to="n1", term=1, prev_log_index=last, prev_log_term=1, commit=1))  # empty, at the end
    assert n.log.last_index == last and n.deadline_resets == resets  # nothing cut, nothing to re-read


def test_a_leaders_commit_moves_when_a_match_moves() -> None:
    # The server may take a Ready, then take inputs while its disk writes, then advance: an advance that made
    # nothing new durable counts nothing, even when a removal appended meanwhile shrank the quorum (§4.1).
    from kvraft.raft import ConfChange, ConfChangeType
    n = leader(voters=("n1", "n2", "n3", "n4"))
    n.propose(b"x")
    drain(n)
    n.step(AppendEntriesReply(frm="n2", to="n1", term=1, index=2))  # 2 of 4 hold 2: not committed
    rd = n.ready()
    n.propose_conf_change(ConfChange(type=ConfChangeType.REMOVE_NODE, node_id="n4"))
    n.advance(rd)
    assert (n.voters, n.commit_index) == (IDS, 0)
    drain(n)  # the removal is durable here: n1's match moves, 2 of 3 hold 2
    assert n.commit_index == 2


# ---------------------------------------------------------------------------------------------- probing and the window
@pytest.mark.parametrize(("hint_index", "hint_term", "prev"), [
    (3, 1, 2),  # n2 holds 3 at term 1: the leader skips its own term-2 entries above 2 (etcd's fast back-up)
    (3, 0, 3),  # no hint term: the hint index is taken as is
])
def test_a_reject_backs_the_probe_up_to_the_followers_hint(hint_index: int, hint_term: int, prev: int) -> None:
    ents = [Entry(index=i, term=t) for i, t in ((1, 1), (2, 1), (3, 2), (4, 2))]
    n = node(storage=storage_with(term=2, commit=2, entries=ents))
    win(n)  # term 3: n2 is probed at 4
    drain(n)
    n.step(AppendEntriesReply(frm="n2", to="n1", term=3, index=4, reject=True, hint_index=hint_index,
                              hint_term=hint_term))
    [m] = [m for m in drain(n) if isinstance(m, AppendEntries)]
    assert (m.to, m.prev_log_index) == ("n2", prev)


def test_an_ack_below_the_match_still_frees_the_window() -> None:
    n = caught_up_leader(max_inflight_msgs=2, max_size_per_msg=1)
    n.propose(b"a")
    n.propose(b"b")
    drain(n)  # n2 has 2 and 3 in flight: its window is full
    n.step(InstallSnapshotReply(frm="n2", to="n1", term=1, index=3))  # a late reply says n2 holds 3
    n.step(AppendEntriesReply(frm="n2", to="n1", term=1, index=3))  # the acks of 2..3: nothing new, but delivered
    drain(n)
    n.propose(b"c")
    assert appends_to(drain(n), "n2")[:1] == [[4]]


def test_an_ack_covering_the_pending_snapshot_resumes_replication() -> None:
    n = caught_up_leader()
    n.propose(b"a")
    drain(n)
    n.step(AppendEntriesReply(frm="n2", to="n1", term=1, index=2))  # n2 acks 2: committed; n3 has not acked it
    drain(n)
    n.compact(2, b"s2")
    n.prs["n3"].become_snapshot(2)  # a snapshot went out to n3 ...
    n.step(AppendEntriesReply(frm="n3", to="n1", term=1, index=2))  # ... yet an earlier append got there first
    assert n.prs["n3"].state is ProgressState.REPLICATE
    n.propose(b"b")
    assert appends_to(drain(n), "n3")[-1:] == [[3]]


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


# ---------------------------------------------------------------------------------------------- timers
def test_without_check_quorum_a_leader_hearing_nobody_stays() -> None:
    n = leader(check_quorum=False)
    n.tick(35)
    assert n.is_leader


def test_a_learner_cut_off_for_an_election_timeout_is_out_of_the_lease() -> None:
    # A learner never campaigns, but its timer keeps counting: the leader's lease (§4.2.3) ends for it too.
    n = node("n4", learners=("n4",), check_quorum=True)
    n.step(Heartbeat(frm="n2", to="n4", term=1))
    n.tick(n.randomized_election_ticks)
    n.step(RequestVote(frm="n3", to="n4", term=5, last_log_index=0, last_log_term=0))
    assert (n.term, n.role, n.election_elapsed) == (5, Role.FOLLOWER, 0)


# ---------------------------------------------------------------------------------------------- more leader replies
def test_a_snapshot_reply_resumes_probing_from_the_snapshot() -> None:
    n = caught_up_leader()
    n.propose(b"a")
    n.propose(b"b")
    drain(n)
    n.step(AppendEntriesReply(frm="n2", to="n1", term=1, index=3))
    drain(n)
    n.compact(3, b"s3")
    n.prs["n3"].become_snapshot(3)  # InstallSnapshot at 3 sent to n3
    n.propose(b"c")
    drain(n)
    n.step(InstallSnapshotReply(frm="n3", to="n1", term=1, index=3))
    pr = n.prs["n3"]
    assert (pr.state, pr.match, pr.next, pr.recent_active) == (ProgressState.PROBE, 3, 4, True)
    assert [(m.prev_log_index, [e.index for e in m.entries]) for m in drain(n)
            if isinstance(m, AppendEntries) and m.to == "n3"] == [(3, [4])]  # at once, not at the next heartbeat


def test_a_late_snapshot_reply_leaves_a_replicating_follower_replicating() -> None:
    n = caught_up_leader(max_inflight_msgs=4)
    n.propose(b"a")
    n.propose(b"b")
    drain(n)  # n2 has 2 and 3 in flight
    n.step(InstallSnapshotReply(frm="n2", to="n1", term=1, index=1))  # of a snapshot long installed
    pr = n.prs["n2"]
    assert (pr.state, pr.next, list(pr.inflights)) == (ProgressState.REPLICATE, 4, [2, 3])


@pytest.mark.parametrize("pre_vote", [False, True])
def test_a_candidate_drops_what_it_cannot_use(pre_vote: bool) -> None:
    n = node(pre_vote=pre_vote)
    n.campaign()
    n.step(HeartbeatReply(frm="n2", to="n1", term=n.term))
    role = "pre-candidate" if pre_vote else "candidate"
    assert [(d.frm, d.type, d.why) for d in n.ready().dropped] == [("n2", "HeartbeatReply", f"not expected by a {role}")]


def test_b02_counts_stale_grants_too() -> None:
    def role(bugs: Bugs) -> Role:
        n = node(bugs=bugs, voters=("n1", "n2", "n3", "n4", "n5"))
        n.campaign()
        n.campaign()  # term 2: the term-1 grants below are stale
        for v in ("n2", "n3"):
            n.step(RequestVoteReply(frm=v, to="n1", term=1, granted=True))
        return n.role
    assert (role(Bugs()), role(Bugs(vote_replies_counted=True))) == (Role.CANDIDATE, Role.LEADER)


def test_a_pre_vote_for_the_current_term_is_refused_while_a_leader_is_known() -> None:
    # A PreVote grants only a later term (§9.6): asked about the term we follow a leader in, the answer is no.
    n = follower_of_n2(pre_vote=True)
    n.step(RequestVote(frm="n3", to="n1", term=1, last_log_index=5, last_log_term=1, pre_vote=True))
    assert [(m.granted, m.pre_vote) for m in n.ready().messages] == [(False, True)]


def test_a_plain_heartbeats_reply_confirms_no_read() -> None:
    # Heartbeats without a read carry b"": their replies, even late ones sent before a read existed, confirm
    # nothing, whatever context a caller gave its read.
    n = caught_up_leader()
    n.read_index(b"")
    drain(n)
    for v in ("n2", "n3"):
        n.step(HeartbeatReply(frm=v, to="n1", term=1))
    assert n.ready().read_states == ()


# ---------------------------------------------------------------------------------------------- a follower hears its leader
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


# ---------------------------------------------------------------------------------------------- B05 and B11 in detail
def b05_node(bugs: Bugs, entries: list[Entry] | None = None) -> RaftNode:
    return node(storage=storage_with(term=1, commit=1, entries=entries or [Entry(index=i, term=1) for i in (1, 2, 3)]),
                bugs=bugs)


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


def test_b11_installs_only_snapshots_older_than_the_commit() -> None:
    n = node(storage=storage_with(term=1, commit=3, entries=[Entry(index=i, term=1) for i in (1, 2, 3, 4)]),
             bugs=Bugs(stale_snapshot_install=True))
    n.step(InstallSnapshot(frm="n2", to="n1", term=1, snapshot=Snapshot(index=3, term=1, voters=IDS)))
    rd = n.ready()
    assert (n.log.last_index, n.log.snap_index, rd.snapshot, [m.index for m in rd.messages]) == (4, 0, None, [3])


# ---------------------------------------------------------------------------------------------- the election timer
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


def test_a_leader_that_commits_on_its_own_write_tells_its_followers() -> None:
    n = caught_up_leader()
    n.propose(b"x")
    rd = n.ready()  # being written
    n.step(AppendEntriesReply(frm="n2", to="n1", term=1, index=2))  # n2 has it first: not a quorum without n1's
    assert n.commit_index == 1
    n.advance(rd)
    assert n.commit_index == 2
    assert sorted((m.to, m.commit) for m in n.ready().messages if isinstance(m, AppendEntries)) == [
        ("n2", 2), ("n3", 2)]


def test_a_forwarded_conf_change_is_dropped_while_another_is_uncommitted() -> None:
    from kvraft.raft import ConfChange, ConfChangeType, EntryType
    n = caught_up_leader()
    n.propose_conf_change(ConfChange(type=ConfChangeType.ADD_NODE, node_id="n4"))
    drain(n)
    cc = ConfChange(type=ConfChangeType.ADD_NODE, node_id="n5").encode()
    n.step(Propose(frm="n2", to="n1", term=1, entries=(Entry(index=0, term=0, type=EntryType.CONF_CHANGE, data=cc),)))
    assert [(d.frm, d.why) for d in n.ready().dropped] == [("n2", "a membership change is still uncommitted")]


def test_an_append_whose_terms_rise_is_well_formed() -> None:
    n = node(storage=storage_with(term=3))
    n.step(AppendEntries(frm="n2", to="n1", term=3, prev_log_index=0, prev_log_term=0,
                         entries=(Entry(index=1, term=1), Entry(index=2, term=2), Entry(index=3, term=3))))
    rd = n.ready()
    assert (rd.dropped, [m.index for m in rd.messages], n.log.last_index) == ((), [3], 3)


def test_a_forwarded_proposal_leaves_index_and_term_to_the_leader() -> None:
    from kvraft.raft import ConfChange, ConfChangeType
    n = follower_of_n2()
    n.propose(b"x")
    n.propose_batch([b"a", b"b"])
    n.propose_conf_change(ConfChange(type=ConfChangeType.ADD_NODE, node_id="n4"))
    sent = [[(e.index, e.term, e.data) for e in m.entries] for m in drain(n) if isinstance(m, Propose)]
    assert sent == [[(0, 0, b"x")], [(0, 0, b"a"), (0, 0, b"b")], [(0, 0, ConfChange(
        type=ConfChangeType.ADD_NODE, node_id="n4").encode())]]


def test_compaction_hands_the_driver_only_durable_entries_after_the_snapshot() -> None:
    n = caught_up_leader()
    n.propose_batch([b"a", b"b", b"c"])
    drain(n)
    for v in ("n2", "n3"):
        n.step(AppendEntriesReply(frm=v, to="n1", term=1, index=4))
    drain(n)
    n.propose(b"d")  # 5: not yet written
    snap, tail = n.compact_for_disk(3, b"s3")
    assert (snap.index, [e.index for e in tail]) == (3, [4])
