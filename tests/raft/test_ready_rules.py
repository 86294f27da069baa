"""Ready's values and describe_ready, rule by rule: the one-line text of each state and of each Ready field
that is set, in the order the driver handles them (bench/mutation.py --module kvraft/raft/ready.py and
describe.py)."""

from __future__ import annotations

from types import SimpleNamespace

from kvraft.raft import Entry, EntryType, HardState, Ready, Role, Snapshot
from kvraft.raft.describe import describe_log, describe_message, describe_ready, describe_state
from kvraft.raft.log import RaftLog
from kvraft.raft.messages import Heartbeat
from kvraft.raft.ready import DroppedMessage, ReadState, SoftState


def test_state_text() -> None:
    assert str(HardState()) == "term=0 vote=- commit=0"
    assert str(HardState(term=3, vote="b", commit=2)) == "term=3 vote=b commit=2"
    assert str(SoftState(role=Role.LEADER, leader="a")) == "role=leader leader=a"
    assert str(SoftState(role=Role.PRE_CANDIDATE, leader=None)) == "role=pre-candidate leader=-"
    assert str(DroppedMessage(frm="b", type="Heartbeat", why="stale term")) == \
        "dropped Heartbeat from b: stale term"
    assert Ready().current_hard_state == HardState() and Ready().conf_index == 0 and not Ready().must_sync


def test_describe_ready_lists_each_set_field_in_order() -> None:
    hb = Heartbeat(frm="a", to="b", term=2, commit=1)
    rd = Ready(soft_state=SoftState(role=Role.LEADER, leader="a"), hard_state=HardState(term=2, vote="a", commit=1),
               snapshot=Snapshot(index=1, term=1, voters=("a",)),
               entries=(Entry(index=2, term=2, type=EntryType.NOOP), Entry(index=3, term=2, data=b"x")),
               committed=(Entry(index=2, term=2, type=EntryType.NOOP),), conf=(("a", "b"), ("c",)), conf_index=4,
               read_states=(ReadState(index=3, ctx=b"q"),), dropped=(DroppedMessage(frm="c", type="X", why="y"),),
               messages=(hb, hb))
    assert describe_ready(rd) == [
        "soft: role=leader leader=a", "hard: term=2 vote=a commit=1", "snapshot: snapshot 1/1 voters=(a)",
        "entries: 2/2 noop 2/3 'x'", "committed: 2/2 noop", "conf: voters=(a,b) learners=(c) at=4",
        "read-state: index=3 ctx=q", "dropped X from c: y", f"send: {hb}", f"send: {hb}"]
    assert describe_ready(Ready()) == []
    assert describe_message(hb) == str(hb)


def node(log: RaftLog, **kw) -> SimpleNamespace:  # what describe_* read of a RaftNode
    return SimpleNamespace(**{"id": "a", "role": Role.FOLLOWER, "term": 2, "vote": None, "leader": None, "log": log,
                              **kw})


def test_describe_state_and_log() -> None:
    empty = node(RaftLog(None, [], 0, 0))
    assert describe_log(empty) == ["log is empty"]
    assert describe_state(empty) == "a follower term=2 vote=- leader=- commit=0 applied=0 last=0/0"
    ents = [Entry(index=1, term=1, type=EntryType.NOOP), Entry(index=2, term=2, data=b"x")]
    full = node(RaftLog(None, ents, 2, 1), role=Role.LEADER, vote="a", leader="a")
    assert describe_log(full) == ["1/1 noop", "2/2 'x'"]
    assert describe_state(full) == "a leader term=2 vote=a leader=a commit=2 applied=1 last=2/2"
    snap = node(RaftLog(Snapshot(index=4, term=2, voters=("a",)), [], 4, 4))
    assert describe_log(snap) == ["snapshot 2/4"]
    assert describe_state(snap) == "a follower term=2 vote=- leader=- commit=4 applied=4 last=2/4 snap=2/4"
    both = node(RaftLog(Snapshot(index=4, term=2, voters=("a",)), [Entry(index=5, term=3)], 4, 4))
    assert describe_log(both) == ["snapshot 2/4", "3/5 ''"]


# ---- split_messages: a Ready that installs a snapshot sends nothing early, even with term and vote durable ----

def test_split_messages_holds_everything_back_while_a_snapshot_is_installed() -> None:
    hs = HardState(term=2, vote="a", commit=1)
    hb = Heartbeat(frm="a", to="b", term=2, commit=1)
    plain = Ready(messages=(hb,), current_hard_state=hs)
    assert plain.split_messages(hs) == ((hb,), ())
    with_snap = Ready(messages=(hb,), current_hard_state=hs, snapshot=Snapshot(index=1, term=1, voters=("a",)))
    assert with_snap.split_messages(hs) == ((), (hb,))
