"""Peer messages' one-line str(), rule by rule: the text traces and interaction tests read, for every type and
each optional part (bench/mutation.py --module kvraft/raft/messages.py)."""

from __future__ import annotations

import pytest

from kvraft.raft import Entry, Snapshot
from kvraft.raft.messages import (MESSAGE_TYPES, AppendEntries, AppendEntriesReply, Heartbeat, HeartbeatReply,
                                  InstallSnapshot, InstallSnapshotReply, Propose, ReadIndex, ReadIndexReply,
                                  RequestVote, RequestVoteReply, TimeoutNow)


def es(n: int) -> tuple[Entry, ...]:
    return tuple(Entry(index=i, term=2) for i in range(1, n + 1))


@pytest.mark.parametrize(("m", "want"), [
    (RequestVote(frm="a", to="b", term=3, last_log_index=5, last_log_term=2), "a->b RequestVote term=3 last=2/5"),
    (RequestVote(frm="a", to="b", term=3, last_log_index=5, last_log_term=2, pre_vote=True, transfer=True),
     "a->b PreVote term=3 last=2/5 transfer"),
    (RequestVoteReply(frm="b", to="a", term=3, granted=True), "b->a RequestVoteReply term=3 granted"),
    (RequestVoteReply(frm="b", to="a", term=3, granted=False, pre_vote=True), "b->a PreVoteReply term=3 rejected"),
    (AppendEntries(frm="a", to="b", term=2, prev_log_index=4, prev_log_term=1, commit=3),
     "a->b AppendEntries term=2 prev=1/4 commit=3 entries=[]"),
    (AppendEntries(frm="a", to="b", term=2, prev_log_index=4, prev_log_term=1),
     "a->b AppendEntries term=2 prev=1/4 commit=0 entries=[]"),
    (AppendEntries(frm="a", to="b", term=2, prev_log_index=0, prev_log_term=0, entries=es(6)),
     "a->b AppendEntries term=2 prev=0/0 commit=0 entries=[2/1,2/2,2/3,2/4,2/5,2/6]"),
    (AppendEntries(frm="a", to="b", term=2, prev_log_index=0, prev_log_term=0, entries=es(7)),
     "a->b AppendEntries term=2 prev=0/0 commit=0 entries=[2/1 ... 2/7 (7)]"),
    (AppendEntriesReply(frm="b", to="a", term=2, index=7), "b->a AppendEntriesReply term=2 index=7"),
    (AppendEntriesReply(frm="b", to="a", term=2, index=7, reject=True, hint_index=3, hint_term=1),
     "b->a AppendEntriesReply term=2 reject index=7 hint=1/3"),
    (AppendEntriesReply(frm="b", to="a", term=2, index=7, reject=True),  # no hint: 0/0, probe back one by one
     "b->a AppendEntriesReply term=2 reject index=7 hint=0/0"),
    (Heartbeat(frm="a", to="b", term=2, commit=4), "a->b Heartbeat term=2 commit=4"),
    (Heartbeat(frm="a", to="b", term=2), "a->b Heartbeat term=2 commit=0"),
    (Heartbeat(frm="a", to="b", term=2, commit=4, ctx=b"r1"), "a->b Heartbeat term=2 commit=4 ctx=r1"),
    (HeartbeatReply(frm="b", to="a", term=2), "b->a HeartbeatReply term=2"),
    (HeartbeatReply(frm="b", to="a", term=2, ctx=b"r1"), "b->a HeartbeatReply term=2 ctx=r1"),
    (InstallSnapshot(frm="a", to="b", term=2, snapshot=Snapshot(index=9, term=2, voters=("a", "b"))),
     "a->b InstallSnapshot term=2 snapshot 2/9 voters=(a,b)"),
    (InstallSnapshotReply(frm="b", to="a", term=2, index=9), "b->a InstallSnapshotReply term=2 index=9"),
    (TimeoutNow(frm="a", to="b", term=2), "a->b TimeoutNow term=2"),
    (ReadIndex(frm="b", to="a", term=2, ctx=b"\xffq"), "b->a ReadIndex term=2 ctx=\ufffdq"),
    (ReadIndexReply(frm="a", to="b", term=2, ctx=b"q", index=5), "a->b ReadIndexReply term=2 ctx=q index=5"),
    (Propose(frm="b", to="a", term=2, entries=es(3)), "b->a Propose term=2 entries=3"),
])
def test_message_str(m: object, want: str) -> None:
    assert str(m) == want


def test_every_type_is_listed_once() -> None:
    assert len(MESSAGE_TYPES) == len(set(MESSAGE_TYPES)) == 12
