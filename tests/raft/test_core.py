"""RaftNode driven by hand, one test per rule of the Raft paper (etcd-io/raft raft_paper_test.go style)."""

from __future__ import annotations

import random

import pytest

from kvraft.bugs import Bugs
from kvraft.errors import ConfigError, NotLeader, ProposalDropped
from kvraft.raft import (AppendEntries, AppendEntriesReply, Entry, HardState, Heartbeat, MemoryStorage, RaftConfig,
                         RaftNode, RequestVote, RequestVoteReply, Role)

from .env import elect, make_env

IDS = ("n1", "n2", "n3")


def node(nid: str = "n1", *, storage: MemoryStorage | None = None, **cfg) -> RaftNode:
    cfg.setdefault("pre_vote", False)
    return RaftNode(RaftConfig(id=nid, voters=IDS, **cfg), storage or MemoryStorage(), random.Random(1))


def sent(n: RaftNode) -> list:
    rd = n.ready()
    n.advance(rd)
    return list(rd.messages)


def test_election_ticks_must_exceed_heartbeat_ticks():
    with pytest.raises(ConfigError):
        node(election_ticks=1, heartbeat_ticks=1)
    with pytest.raises(ConfigError):
        RaftNode(RaftConfig(id="n9", voters=IDS), MemoryStorage(), random.Random(0))
    with pytest.raises(ConfigError, match="must be a kvraft.bugs.Bugs"):
        node(bugs=frozenset({"B03"}))
    with pytest.raises(ConfigError, match="belong in MemberConfig.bugs"):
        node(bugs=Bugs(stale_local_reads=True))


def test_election_timeout_is_randomized_in_t_to_2t():
    seen = set()
    for seed in range(50):
        n = RaftNode(RaftConfig(id="n1", voters=IDS), MemoryStorage(), random.Random(seed))
        assert 10 <= n.randomized_election_ticks < 20
        seen.add(n.randomized_election_ticks)
    assert len(seen) > 3


def test_follower_starts_election_after_timeout():
    n = node()
    for _ in range(20):
        n.tick()
    assert n.role is Role.CANDIDATE and n.term == 1 and n.vote == "n1"
    assert {m.to for m in sent(n) if isinstance(m, RequestVote)} == {"n2", "n3"}


def test_candidate_steps_down_on_higher_term():
    n = node()
    n.campaign()
    n.step(AppendEntries(frm="n2", to="n1", term=5, prev_log_index=0, prev_log_term=0))
    assert n.role is Role.FOLLOWER and n.term == 5 and n.leader == "n2"


def test_candidate_becomes_follower_on_append_entries_of_same_term():
    n = node()
    n.campaign()
    n.step(Heartbeat(frm="n3", to="n1", term=1))
    assert n.role is Role.FOLLOWER and n.leader == "n3"


def test_voter_grants_at_most_one_vote_per_term():
    n = node()
    n.step(RequestVote(frm="n2", to="n1", term=1, last_log_index=0, last_log_term=0))
    n.step(RequestVote(frm="n3", to="n1", term=1, last_log_index=0, last_log_term=0))
    replies = [m for m in sent(n) if isinstance(m, RequestVoteReply)]
    assert [(m.to, m.granted) for m in replies] == [("n2", True), ("n3", False)]


def test_voter_rejects_candidate_with_older_last_term():
    st = MemoryStorage(hard_state=HardState(term=2), entries=[Entry(index=1, term=2)])
    n = node(storage=st)
    n.step(RequestVote(frm="n2", to="n1", term=3, last_log_index=5, last_log_term=1))  # longer but older
    (r,) = [m for m in sent(n) if isinstance(m, RequestVoteReply)]
    assert not r.granted


def test_stale_term_message_is_dropped_not_raised():
    n = node(storage=MemoryStorage(hard_state=HardState(term=3)))
    n.step(AppendEntries(frm="n2", to="n1", term=1, prev_log_index=0, prev_log_term=0))
    n.step("garbage")  # type: ignore[arg-type]
    rd = n.ready()
    assert [d.why for d in rd.dropped][0].startswith("stale term") and len(rd.dropped) == 2


def test_leader_only_commits_entries_of_its_current_term():
    env = make_env(3, pre_vote=False)
    elect(env, "n1")
    n1 = env.node("n1")
    # Pretend an old-term entry is replicated everywhere: commit does not move by counting (§5.4.2).
    n1.term += 1
    n1.prs["n2"].match = n1.prs["n3"].match = n1.log.last_index
    assert not n1._maybe_commit()


def test_follower_rejects_append_entries_with_mismatched_prev_and_gives_hint():
    st = MemoryStorage(hard_state=HardState(term=3), entries=[Entry(index=1, term=1), Entry(index=2, term=2)])
    n = node(storage=st)
    n.step(AppendEntries(frm="n2", to="n1", term=3, prev_log_index=5, prev_log_term=3))
    (r,) = [m for m in sent(n) if isinstance(m, AppendEntriesReply)]
    assert r.reject and r.index == 5 and (r.hint_index, r.hint_term) == (2, 2)


def test_follower_commit_is_min_of_leader_commit_and_last_new_entry():
    st = MemoryStorage(hard_state=HardState(term=1), entries=[Entry(index=1, term=1), Entry(index=2, term=1)])
    n = node(storage=st)
    n.step(AppendEntries(frm="n2", to="n1", term=1, prev_log_index=0, prev_log_term=0,
                         entries=(Entry(index=1, term=1),), commit=2))
    assert n.commit_index == 1


def test_propose_without_leader_is_dropped_and_follower_forwards():
    n = node()
    with pytest.raises(ProposalDropped):
        n.propose(b"x")
    n.step(Heartbeat(frm="n2", to="n1", term=1))
    sent(n)
    n.propose(b"x")
    assert [type(m).__name__ for m in sent(n)] == ["Propose"]
    with pytest.raises(NotLeader):
        n.transfer_leadership("n3")


def test_message_str_is_one_line():
    m = AppendEntries(frm="n1", to="n2", term=2, prev_log_index=4, prev_log_term=1, commit=4,
                      entries=(Entry(index=5, term=2),))
    assert str(m) == "n1->n2 AppendEntries term=2 prev=1/4 commit=4 entries=[2/5]"


def test_single_node_commits_after_persisting():
    n = RaftNode(RaftConfig(id="n1", voters=("n1",)), MemoryStorage(), random.Random(0))
    n.campaign()
    assert n.is_leader
    n.propose(b"a")
    rd = n.ready()
    assert rd.committed == () and rd.must_sync  # nothing commits before it is durable
    n.advance(rd)
    rd = n.ready()
    assert [e.index for e in rd.committed] == [1, 2]
