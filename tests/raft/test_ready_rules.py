"""Ready's values and describe_ready, rule by rule: the one-line text of each state and of each Ready field
that is set, in the order the driver handles them (bench/mutation.py --module kvraft/raft/ready.py and
describe.py)."""

from __future__ import annotations

from kvraft.raft import Entry, EntryType, HardState, Ready, Role, Snapshot
from kvraft.raft.describe import describe_message, describe_ready
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
