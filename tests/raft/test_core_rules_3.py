"""RaftNode, rule by rule: the leader's side (the third table, after test_core_rules.py and
test_core_rules_2.py): when its commit moves, the window of appends and the probe, snapshots to lagging
followers, and what each reply counts for (bench/mutation.py --module kvraft/raft/core.py)."""

from __future__ import annotations

import pytest

from kvraft.errors import InvariantViolation
from kvraft.raft import AppendEntries, AppendEntriesReply, Entry, HeartbeatReply, RaftNode, Role
from kvraft.raft.messages import InstallSnapshot, InstallSnapshotReply, Propose
from kvraft.raft.progress import ProgressState
from tests.raft.test_core_rules import IDS, caught_up_leader, commit_three, drain, leader, node, storage_with
from tests.raft.test_core_rules_2 import win


def probing_leader(**cfg) -> RaftNode:
    """n1 leads term 1 with entries 2..5 (one byte each) that n2 and n3 have not acked."""
    n = leader(**cfg)
    for k in range(4):
        n.propose(b"%d" % k)
    drain(n)
    return n


def appends_to(msgs: list, to: str) -> list[list[int]]:
    return [[e.index for e in m.entries] for m in msgs if isinstance(m, AppendEntries) and m.to == to]


# -------------------------------------------------------------------------------------------------------- commit
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


# ----------------------------------------------------------------------------- appends: the window and the probe
def test_an_ack_sends_the_follower_as_many_appends_as_its_window_holds() -> None:
    n = probing_leader(max_size_per_msg=1, max_inflight_msgs=3)
    n.step(AppendEntriesReply(frm="n2", to="n1", term=1, index=1))  # n2 probed at 1: it matches
    assert appends_to(drain(n), "n2") == [[2], [3], [4]]  # one entry a message, three in flight
    assert n.prs["n2"].state is ProgressState.REPLICATE and n.prs["n2"].next == 5


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


def test_a_forwarded_conf_change_is_dropped_while_another_is_uncommitted() -> None:
    from kvraft.raft import ConfChange, ConfChangeType, EntryType
    n = caught_up_leader()
    n.propose_conf_change(ConfChange(type=ConfChangeType.ADD_NODE, node_id="n4"))
    drain(n)
    cc = ConfChange(type=ConfChangeType.ADD_NODE, node_id="n5").encode()
    n.step(Propose(frm="n2", to="n1", term=1, entries=(Entry(index=0, term=0, type=EntryType.CONF_CHANGE, data=cc),)))
    assert [(d.frm, d.why) for d in n.ready().dropped] == [("n2", "a membership change is still uncommitted")]


# ----------------------------------------------------------------------------------------------------- snapshots
def test_a_follower_behind_the_snapshot_gets_it_once() -> None:
    n = caught_up_leader(max_size_per_msg=1)
    commit_three(n)
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


def test_a_leader_without_the_snapshot_it_needs_is_our_bug() -> None:
    n = caught_up_leader()
    n.prs["n2"].match, n.prs["n2"].next = 0, 9  # past the log's end, which only a bug of ours makes
    with pytest.raises(InvariantViolation, match="need a snapshot for n2 but have none"):
        n.step(HeartbeatReply(frm="n2", to="n1", term=1))


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


# --------------------------------------------------------------------- replies: who sent them, what they confirm
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


def test_a_plain_heartbeats_reply_confirms_no_read() -> None:
    # Heartbeats without a read carry b"": their replies, even late ones sent before a read existed, confirm
    # nothing, whatever context a caller gave its read.
    n = caught_up_leader()
    n.read_index(b"")
    drain(n)
    for v in ("n2", "n3"):
        n.step(HeartbeatReply(frm=v, to="n1", term=1))
    assert n.ready().read_states == ()
