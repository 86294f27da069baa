"""Ready.split_messages: which messages may leave before the Ready is durable (Raft thesis §10.2.1)."""

from __future__ import annotations

import random

from kvraft.raft import (AppendEntries, AppendEntriesReply, Entry, HardState, MemoryStorage, RaftConfig, RaftNode,
                         RequestVote, RequestVoteReply)

from .env import elect, make_env

IDS = ("n1", "n2", "n3")


def test_leader_sends_append_entries_before_its_own_entries_are_durable():
    env = make_env(3, pre_vote=False)
    elect(env, "n1")
    n1 = env.node("n1")
    durable = n1.hard_state()
    n1.propose(b"x")
    rd = n1.ready()
    assert rd.must_sync and rd.entries
    early, late = rd.split_messages(durable)
    assert sorted(m.to for m in early if isinstance(m, AppendEntries)) == ["n2", "n3"]
    assert late == ()


def test_follower_acks_append_entries_only_after_persisting():
    n = RaftNode(RaftConfig(id="n1", voters=IDS, pre_vote=False), MemoryStorage(hard_state=HardState(term=1)),
                 random.Random(1))
    durable = n.hard_state()
    n.step(AppendEntries(frm="n2", to="n1", term=1, prev_log_index=0, prev_log_term=0,
                         entries=(Entry(index=1, term=1),), commit=0))
    rd = n.ready()
    early, late = rd.split_messages(durable)
    assert early == () and [type(m) for m in late] == [AppendEntriesReply]


def test_nothing_leaves_early_while_term_or_vote_is_not_durable():
    n = RaftNode(RaftConfig(id="n1", voters=IDS, pre_vote=False), MemoryStorage(), random.Random(1))
    durable = n.hard_state()
    n.campaign()  # term 1, vote n1: a RequestVote of a term a crash could forget must wait
    rd = n.ready()
    assert {type(m) for m in rd.messages} == {RequestVote}
    assert rd.split_messages(durable) == ((), rd.messages)
    # A vote granted in a term already durable still waits for the vote itself to be durable.
    v = RaftNode(RaftConfig(id="n2", voters=IDS, pre_vote=False), MemoryStorage(hard_state=HardState(term=1)),
                 random.Random(1))
    durable = v.hard_state()
    v.step(RequestVote(frm="n1", to="n2", term=1, last_log_index=0, last_log_term=0))
    rd = v.ready()
    assert [type(m) for m in rd.messages] == [RequestVoteReply] and rd.messages[0].granted
    assert rd.split_messages(durable) == ((), rd.messages)
