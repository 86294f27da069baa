# Over 400 lines: every rule table of the module in the one file bench/mutation.py runs first for its mutants.
"""The Server's disk records, rule by rule: what each record holds and how a restart decodes them in write
order (a later snapshot drops the entries it covers, a later entries record overwrites from its first index,
the last hard state wins, unknown records are skipped) (bench/mutation.py --module kvraft/server.py)."""

from __future__ import annotations

import heapq
import random
from typing import Any

import pytest

from kvraft.bugs import Bugs
from kvraft.raft import (AppendEntries, ConfChange, ConfChangeType, Entry, EntryType, HardState, RaftConfig,
                         ReadIndexReply, RequestVoteReply, Snapshot)
from kvraft.raft.entry import digest
from kvraft.server import RECORD_FORMAT, Server, _digest, _ent_rec, _hs_rec, _snap_rec, decode_records

from tests.raft.fakeworld import FakeDisk, FakeRuntime, FakeTimer, FakeWorld
from tests.raft.kvsm import ListStateMachine

MS = 1_000_000


def es(first: int, terms: list[int]) -> list[Entry]:
    return [Entry(index=first + i, term=t, data=f"d{first + i}".encode()) for i, t in enumerate(terms)]


def test_records_are_json_values() -> None:
    assert RECORD_FORMAT == 1
    assert _hs_rec(HardState(term=3, vote="b", commit=2)) == {"r": "hard-state", "term": 3, "vote": "b", "commit": 2}
    assert _ent_rec([Entry(index=4, term=2, type=EntryType.CONF_CHANGE, data=b"add d")]) == \
        {"r": "entries", "entries": [[4, 2, "conf_change", b"add d".hex()]]}
    assert _snap_rec(Snapshot(index=9, term=2, voters=("a", "b"), learners=("c",), data=b"\x00s")) == \
        {"r": "snapshot", "format": 1, "index": 9, "term": 2, "voters": ["a", "b"], "learners": ["c"], "data": "0073"}


def test_decode_in_write_order() -> None:
    recs = [
        _hs_rec(HardState(term=1, vote="a", commit=0)), _ent_rec(es(1, [1, 1, 1])),
        _hs_rec(HardState(term=2, vote="b", commit=2)), _ent_rec(es(3, [2, 2])),  # overwrites 3 on
        {"r": "applied", "index": 2}, "not a record", {"r": "unknown"}, {"no": "kind"},
    ]
    storage, applied = decode_records(recs)
    assert storage.hard_state() == HardState(term=2, vote="b", commit=2)
    assert [(e.index, e.term, e.data) for e in storage.entries()] == [
        (1, 1, b"d1"), (2, 1, b"d2"), (3, 2, b"d3"), (4, 2, b"d4")]
    assert storage.snapshot() is None and applied == 2
    empty, none_applied = decode_records([])
    assert (empty.entries(), empty.snapshot(), empty.hard_state(), none_applied) == ([], None, HardState(), 0)


def test_decode_a_snapshot_then_the_tail() -> None:
    snap = Snapshot(index=3, term=2, voters=("a", "b"), learners=("c",), data=b"img")
    storage, applied = decode_records([_ent_rec(es(1, [1, 2, 2, 2])), _snap_rec(snap), _ent_rec(es(5, [3]))])
    assert storage.snapshot() == snap and applied == 0
    assert [(e.index, e.term) for e in storage.entries()] == [(4, 2), (5, 3)]
    assert storage.entries()[0].type is EntryType.NORMAL


def test_digest_is_memoised_and_equal_to_digest() -> None:
    for data in (b"x", b"x", b"", bytearray(b"y")):
        assert _digest(data) == digest(bytes(data))


# ---------------------------------------------------------------------------------------------- a driven cluster
class Rt(FakeRuntime):
    """The fake runtime with a monotonic clock (the tickless driver reads it)."""

    def monotonic(self) -> int:
        return self.world.now


class Cluster:
    """``n`` Servers on a FakeWorld, each with a ListStateMachine; ``boot`` (re)starts one from its disk."""

    def __init__(self, n: int = 3, *, seed: int = 1, tickless: bool = False, bugs: Bugs = Bugs(),  # noqa: B008
                 fsync_ns: int = 500_000, rt: type[Rt] = Rt, **cfg: Any) -> None:
        self.ids = [f"n{i}" for i in range(1, n + 1)]
        self.w = FakeWorld(list(self.ids), seed=seed, fsync_ns=fsync_ns)
        self.seed, self.tickless, self.cfg = seed, tickless, {"bugs": bugs, **cfg}
        self.rt = rt
        self.s: dict[str, Server] = {}
        self.sm: dict[str, ListStateMachine] = {}
        self.inc = dict.fromkeys(self.ids, 0)
        for i in self.ids:
            self.boot(i)

    def boot(self, i: str, peers: list[str] | None = None) -> Server:
        if i not in self.w.runtimes:
            self.w.add_node(i)
            self.inc[i] = 0
        self.w.runtimes[i] = self.rt(self.w, i)
        self.w.up[i] = True
        self.sm[i] = ListStateMachine()
        self.s[i] = Server(self.w.runtimes[i], peers=peers or self.ids, config=RaftConfig(**self.cfg),
                           state_machine=self.sm[i], rng=random.Random(f"{self.seed}:{i}:{self.inc[i]}"),
                           tickless=self.tickless)
        self.inc[i] += 1
        self.s[i].start()
        return self.s[i]

    def restart(self, i: str) -> Server:
        self.w.crash(i)
        return self.boot(i)

    def leader(self) -> str | None:
        return next((i for i in sorted(self.s) if self.w.up[i] and self.s[i].node is not None
                     and self.s[i].is_leader), None)

    def run(self, ms: int) -> None:
        self.w.run_for(ms * MS)

    def trace(self, kind: str, node: str | None = None) -> list[dict[str, Any]]:
        return [r for r in self.w.trace if r["kind"] == kind and node in (None, r["node"])]


def script(c: Cluster) -> None:
    """Elect, write, read, partition the leader away, heal, crash and restart a follower, compact."""
    c.run(500)
    lead = c.leader()
    for k in range(4):
        c.s[lead].propose(f"a{k}".encode())
    c.run(60)
    got: list[int] = []
    c.s[lead].read_index(b"r1", got.append)
    c.run(60)
    assert got, "no read point"
    c.w.partition([lead], [i for i in c.ids if i != lead])
    c.run(1500)
    c.w.heal()
    c.run(800)
    lead = c.leader()
    follower = next(i for i in c.ids if i != lead)
    c.w.crash(follower)
    for k in range(8):
        c.s[lead].propose(f"b{k}".encode())
        c.run(7)
    c.w.restart(follower)
    c.boot(follower)
    c.run(800)


def test_the_tickless_driver_gives_the_same_protocol_events() -> None:
    ticks, lazy = Cluster(snapshot_entries=5), Cluster(snapshot_entries=5, tickless=True)
    script(ticks)
    script(lazy)
    kinds = {r["kind"] for r in ticks.w.trace}
    assert {"become-leader", "become-follower", "become-pre-candidate", "become-candidate", "snapshot", "restore",
            "read-index", "append", "commit", "apply", "vote", "hard-state", "drop-msg"} <= kinds
    for i, (a, b) in enumerate(zip(ticks.w.trace, lazy.w.trace)):
        assert a == b, f"trace record {i}: every tick {a}, tickless {b}"
    assert len(ticks.w.trace) == len(lazy.w.trace)
    assert {i: sm.values() for i, sm in ticks.sm.items()} == {i: sm.values() for i, sm in lazy.sm.items()}


# ---------------------------------------------------------------------------------------------- the Ready loop
def test_a_server_answers_nothing_before_start() -> None:
    w = FakeWorld(["n1"])
    s = Server(Rt(w, "n1"), peers=["n2", "n1"], config=RaftConfig(), state_machine=ListStateMachine(),
               rng=random.Random(1))
    assert s.node_id == "n1" and s.config.voters == ("n1", "n2") and s.applied_index == 0
    assert s.tick_ns == 10 * MS and not s.tickless and s.on_applied == [] and s.app_handler is None
    with pytest.raises(RuntimeError, match="start"):
        s.term  # noqa: B018


def test_the_servers_view_is_its_cores() -> None:
    c = Cluster(3, snapshot_entries=0)
    c.run(500)
    lead = c.leader()
    c.s[lead].propose(b"x")
    c.run(50)
    for i, s in c.s.items():
        n = s.node
        assert (s.role, s.term, s.leader_id, s.commit_index, s.voters, s.learners, s.is_leader) == (
            n.role, n.term, n.leader, n.commit_index, n.voters, n.learners, i == lead)
        assert s.applied_index == n.applied_index == s.commit_index == 2 and s.leader_id == lead


@pytest.mark.parametrize("call", ["propose", "propose_conf_change", "read_index", "transfer_leadership"])
def test_inputs_without_a_leader_are_refused(call: str) -> None:
    c = Cluster(3, tickless=True)  # asked before the first election
    s = c.s["n1"]
    args = {"propose": (b"x",), "propose_conf_change": (ConfChange(type=ConfChangeType.ADD_NODE, node_id="n4"),),
            "read_index": (b"r", lambda i: None), "transfer_leadership": ("n2",)}[call]
    assert getattr(s, call)(*args) is False
    assert not s.node.msgs and s.node.log.last_index == 0
    c.run(500)
    lead = c.s[c.leader()]
    args = {**dict.fromkeys([call], args), "transfer_leadership": (next(i for i in c.ids if i != lead.node_id),)}[call]
    assert getattr(lead, call)(*args) is True


def test_each_committed_entry_is_applied_once_in_order_no_ops_and_conf_changes_only_traced() -> None:
    c = Cluster(3)
    c.run(500)
    lead = c.leader()
    c.s[lead].propose(b"a")
    c.s[lead].propose(b"")  # empty data: traced, not applied
    c.run(50)
    c.s[lead].propose_conf_change(ConfChange(type=ConfChangeType.ADD_NODE, node_id="n4", ))
    c.run(50)
    c.s[lead].propose(b"b")
    c.run(100)
    for i in c.ids:
        assert c.sm[i].applied == [(2, b"a"), (5, b"b")] or i == "n4"
        assert [r["index"] for r in c.trace("apply", i)] == [1, 2, 3, 4, 5]
        commits = [r["commit"] for r in c.trace("commit", i)]
        assert commits == sorted(set(commits)) and commits[-1] == 5  # traced when it grows, only then
        assert c.sm[i].confs == [(("n1", "n2", "n3", "n4"), ())]  # the hook, once per change
        assert [r["voters"] for r in c.trace("conf", i)] == [["n1", "n2", "n3", "n4"]]


def test_votes_are_traced_when_they_change_and_hard_states_say_whether_synced() -> None:
    c = Cluster(3)
    c.run(500)
    lead = c.leader()
    c.s[lead].propose(b"a")
    c.run(100)
    for i in c.ids:
        votes = c.trace("vote", i)
        assert len(votes) == 1 and votes[0]["vote"] == lead
        hs = c.trace("hard-state", i)
        assert all(h["synced"] is (h is hs[0] or (h["term"], h["vote"]) != (p["term"], p["vote"]) or
                                   h["commit"] == p["commit"]) for p, h in zip([{}, *hs], hs))
        assert any(h["synced"] is False for h in hs)  # a commit-only change is written without fsync


@pytest.mark.parametrize(("bugs", "vote"), [(Bugs(), "n1"), (Bugs(vote_not_persisted=True), None)])
def test_the_hard_state_on_disk_holds_the_vote(bugs: Bugs, vote: str | None) -> None:
    c = Cluster(1, bugs=bugs, snapshot_entries=2)
    c.run(500)
    for k in range(3):
        c.s["n1"].propose(b"x%d" % k)
    c.run(50)
    disk = c.w.disks["n1"].durable
    assert {r["vote"] for r in disk if r["r"] == "hard-state"} == {vote}
    assert [r["r"] for r in disk] == ["snapshot", "hard-state", "entries"][: len(disk)]
    restarted = c.restart("n1")
    assert restarted.node.vote == vote and restarted.term == 1


@pytest.mark.parametrize(("bugs", "applied_at_1ms"), [(Bugs(), []), (Bugs(ack_before_fsync=True), [b"x"])])
def test_a_lone_leader_applies_only_after_its_fsync(bugs: Bugs, applied_at_1ms: list[bytes]) -> None:
    c = Cluster(1, bugs=bugs, fsync_ns=50 * MS)
    c.run(500)
    assert c.s["n1"].propose(b"x")
    c.run(1)
    assert c.sm["n1"].values() == applied_at_1ms  # B12: applied (and answered) before it is durable
    c.run(60)
    assert c.sm["n1"].values() == [b"x"]
    storage, _ = decode_records(c.w.disks["n1"].durable)
    assert [e.data for e in storage.entries()][-1:] == [b"x"]  # fsynced, even when B12 answered before the fsync


@pytest.mark.parametrize(("bugs", "marks"), [(Bugs(), []), (Bugs(applied_index_apart=True), [1, 2, 3])])
def test_the_applied_index_is_not_written_apart_from_the_state(bugs: Bugs, marks: list[int]) -> None:
    c = Cluster(1, bugs=bugs, snapshot_entries=0)
    c.run(500)
    c.s["n1"].propose(b"a")
    c.run(20)
    c.s["n1"].propose(b"b")
    c.run(20)
    disk = c.w.disks["n1"]
    assert [r["index"] for r in disk.durable + disk.buffer if r["r"] == "applied"] == marks
    c.restart("n1")
    c.run(500)
    # B20: the restarted member trusts the durable mark, so its (empty) state machine skips what it covers
    assert c.sm["n1"].values() == ([b"b"] if marks else [b"a", b"b"])


def test_a_restart_traces_the_durable_hard_state_and_restores_the_snapshot() -> None:
    c = Cluster(1, snapshot_entries=3)
    fresh = c.trace("hard-state")
    assert fresh == []  # nothing on disk: nothing restored
    c.run(500)
    for k in range(4):
        c.s["n1"].propose(b"v%d" % k)
        c.run(5)
    c.run(50)
    c.restart("n1")
    on_disk = [r for r in c.w.disks["n1"].durable if r["r"] == "hard-state"][-1]
    restored = [r for r in c.trace("hard-state") if r.get("restored")]
    assert [(r["term"], r["vote"], r["commit"], r["synced"]) for r in restored] == [
        (1, "n1", on_disk["commit"], True)]  # the floor the invariant checkers need: what survived on disk
    assert c.s["n1"].applied_index == on_disk["commit"] >= 3  # the snapshot, then the committed tail re-applied
    c.run(500)
    assert c.s["n1"].applied_index == 6 and c.sm["n1"].values() == [b"v0", b"v1", b"v2", b"v3"]
    snaps = [r["index"] for r in c.trace("snapshot")]
    assert snaps == [3, 6]  # every snapshot_entries applied entries


def test_read_callbacks_run_once_applied_reaches_the_read_point() -> None:
    c = Cluster(3, fsync_ns=20 * MS)
    c.run(500)
    lead = c.leader()
    follower = next(i for i in c.ids if i != lead)
    got: list[tuple[int, int]] = []
    c.s[lead].propose(b"a")
    c.run(100)  # applied everywhere, and nothing is written after: a read waits for no later apply
    c.s[follower].read_index(b"f1", lambda idx: got.append((idx, c.s[follower].applied_index)))
    c.s[lead].read_index(b"l1", lambda idx: got.append((idx, c.s[lead].applied_index)))
    c.run(200)
    assert sorted(got) == [(2, 2), (2, 2)]
    assert sorted(r["ctx"] for r in c.trace("read-index")) == ["f1", "l1"]


def test_a_stopped_server_ticks_no_more() -> None:
    for tickless in (False, True):
        c = Cluster(3, tickless=tickless)
        for s in c.s.values():
            s.stop()
        c.s["n1"].stop()  # twice is fine
        c.run(2000)
        assert c.trace("become-candidate") == [] and c.leader() is None


@pytest.mark.parametrize(("disk", "restored", "applied", "values"), [
    ([], None, 0, []),
    ([_hs_rec(HardState(term=2, vote="n2", commit=0))], (2, "n2", 0), 0, []),  # a vote, nothing committed
    ([_hs_rec(HardState(term=0, vote=None, commit=0))], None, 0, []),
    ([_ent_rec(es(1, [1, 1])), _hs_rec(HardState(term=1, vote=None, commit=2))], (1, None, 2), 2, [b"d1", b"d2"]),
    ([_snap_rec(Snapshot(index=2, term=1, voters=("n1",), data=b'[[1, "61"], [2, "62"]]')),
      _hs_rec(HardState(term=1, vote="n1", commit=2)), _ent_rec(es(3, [1]))], (1, "n1", 2), 2, [b"a", b"b"]),
])
def test_start_restores_what_the_disk_holds(disk: list, restored: tuple | None, applied: int,
                                            values: list[bytes]) -> None:
    w = FakeWorld(["n1"])
    w.disks["n1"].durable = list(disk)
    sm = ListStateMachine()
    s = Server(Rt(w, "n1"), peers=["n1"], config=RaftConfig(), state_machine=sm, rng=random.Random(1))
    s.start()
    got = [(r["term"], r["vote"], r["commit"]) for r in w.trace if r["kind"] == "hard-state" and r.get("restored")]
    assert got == ([restored] if restored else [])
    assert (s.applied_index, sm.values()) == (applied, values)


def test_a_dropped_message_is_traced_and_a_read_point_nobody_waits_for_is_ignored() -> None:
    c = Cluster(3)
    c.run(500)
    lead = c.leader()
    follower = next(i for i in c.ids if i != lead)
    t0 = c.w.now
    c.s[follower]._receive(lead, RequestVoteReply(frm=lead, to=follower, term=c.s[follower].term, granted=True))
    c.s[follower]._receive(lead, ReadIndexReply(frm=lead, to=follower, term=c.s[follower].term, ctx=b"gone", index=1))
    c.run(50)
    assert [(r["node"], r["src"], r["type"], r["why"]) for r in c.trace("drop-msg") if r["t"] >= t0] == [
        (follower, lead, "RequestVoteReply", "not expected by a follower")]
    assert [(r["node"], r["ctx"]) for r in c.trace("read-index")] == [(follower, "gone")]


def test_applied_hooks_and_a_snapshot_install_move_the_applied_index() -> None:
    c = Cluster(3, snapshot_entries=4)
    c.run(500)
    lead = c.leader()
    lag = next(i for i in c.ids if i != lead)
    seen: dict[str, list[int]] = {i: [] for i in c.ids}
    for i in c.ids:
        c.s[i].on_applied.append(seen[i].append)
    c.w.crash(lag)
    for k in range(9):
        c.s[lead].propose(b"v%d" % k)
        c.run(5)
    c.run(100)
    assert seen[lead][-1] == c.s[lead].applied_index == 10 and seen[lead] == sorted(set(seen[lead]))
    c.w.restart(lag)
    s = c.boot(lag)
    s.on_applied.append(seen[lag].append)
    c.run(300)
    restores = [r["index"] for r in c.trace("restore", lag)]
    assert restores and s.applied_index == s.node.applied_index == 10
    assert seen[lag][-1] == 10 and restores[0] in seen[lag]  # the hooks run after an install too


def test_compaction_rewrites_the_disk_as_snapshot_hard_state_tail() -> None:
    c = Cluster(1, snapshot_entries=3, fsync_ns=5 * MS)
    c.run(500)
    for k in range(4):
        c.s["n1"].propose(b"v%d" % k)  # one Ready each, overlapping: the snapshot at 3 leaves a durable tail
        c.run(4)
    c.run(100)
    disk = c.w.disks["n1"].durable
    assert [r["r"] for r in disk[:3]] == ["snapshot", "hard-state", "entries"]
    assert disk[0]["index"] == 3 and [e[0] for e in disk[2]["entries"]][:1] == [4]
    assert [r["index"] for r in c.trace("snapshot")] == [3]
    assert c.s["n1"].applied_index == 5 and c.s["n1"].node.log.snap_index == 3


class BareStateMachine:
    """The StateMachine protocol and nothing more: no on_conf_change hook."""

    def __init__(self) -> None:
        self.applied: list[int] = []

    def apply(self, index: int, term: int, data: bytes) -> None:
        self.applied.append(index)

    def snapshot(self) -> bytes:
        return b""

    def restore(self, data: bytes, index: int, term: int) -> None:
        pass


def test_a_state_machine_without_the_conf_hook_sees_changes_only_as_log_entries() -> None:
    w = FakeWorld(["n1"])
    sm = BareStateMachine()
    s = Server(Rt(w, "n1"), peers=["n1"], config=RaftConfig(), state_machine=sm, rng=random.Random(1))
    s.start()
    w.run_for(500 * MS)
    assert s.is_leader and s.propose_conf_change(ConfChange(type=ConfChangeType.ADD_LEARNER, node_id="n2"))
    s.propose(b"x")
    w.run_for(100 * MS)
    assert s.learners == ("n2",) and sm.applied == [3]
    assert [r["learners"] for r in w.trace if r["kind"] == "conf"] == [["n2"]]


def test_a_bad_config_is_refused_when_the_server_is_built() -> None:
    from kvraft.errors import ConfigError
    w = FakeWorld(["n1"])
    with pytest.raises(ConfigError):
        Server(Rt(w, "n1"), peers=["n1"], config=RaftConfig(election_ticks=1, heartbeat_ticks=1),
               state_machine=ListStateMachine(), rng=random.Random(1))


@pytest.mark.parametrize("call", ["propose", "propose_conf_change", "read_index", "transfer_leadership"])
def test_a_tickless_input_first_counts_the_ticks_that_passed(call: str) -> None:
    c = Cluster(3, tickless=True)
    c.run(500)
    lead = c.leader()
    follower = next(i for i in c.ids if i != lead)
    who = follower
    s = c.s[who]
    c.w.partition([who], [i for i in c.ids if i != who])
    c.run(5)  # what was in flight has arrived
    n = s.node
    n.election_elapsed = n.randomized_election_ticks - 1  # one tick short of its timeout; the armed timer is later
    c.run(10)  # a tick boundary passes with no input and no wake-up
    assert n.leader is not None
    args = {"propose": (b"x",), "propose_conf_change": (ConfChange(type=ConfChangeType.ADD_NODE, node_id="n4"),),
            "read_index": (b"r", lambda i: None), "transfer_leadership": (lead,)}[call]
    assert getattr(s, call)(*args) is False  # the counted tick came first: no leader known any more
    assert n.leader is None
    # and the refused input re-armed the timer for the campaign's deadline
    assert s._timer_due <= s._tick_mono + n.ticks_until_next() * s.tick_ns


def test_a_restart_never_traces_a_commit_already_durable() -> None:
    c = Cluster(3)
    c.run(500)
    lead = c.leader()
    for k in range(3):
        c.s[lead].propose(b"v%d" % k)
    c.run(100)
    victim = next(i for i in c.ids if i != lead)
    c.restart(victim)
    t0 = c.w.now
    c.run(300)
    floor = [r["commit"] for r in c.trace("hard-state", victim) if r.get("restored")][-1]
    later = [r["commit"] for r in c.trace("commit", victim) if r["t"] >= t0]
    assert floor >= 1 and all(x > floor for x in later)


def test_each_input_is_handled_at_once() -> None:
    c = Cluster(3)
    c.run(500)
    lead, s = c.leader(), c.s[c.leader()]
    disk = c.w.disks[lead]
    while s._busy:  # no write in flight
        c.run(1)
    assert s.propose(b"x") and disk.buffer[-1]["r"] == "entries"  # written (and sent) now, not at the next tick
    while s._busy:
        c.run(1)
    assert s.propose_conf_change(ConfChange(type=ConfChangeType.ADD_LEARNER, node_id="n4"))
    assert disk.buffer[-1]["r"] == "entries" and disk.buffer[-1]["entries"][0][2] == "conf_change"
    while s._busy:
        c.run(1)
    queued = len(c.w._heap)
    assert s.transfer_leadership(next(i for i in c.ids if i != lead)) and len(c.w._heap) > queued
    lone = Cluster(1)
    lone.run(500)
    got: list[int] = []
    assert lone.s["n1"].read_index(b"r", got.append) and got == [1]  # a lone leader's read point: at once


def test_a_tickless_learner_sleeps_until_an_input() -> None:
    w = FakeWorld(["n1", "n4"])
    s = Server(Rt(w, "n4"), peers=["n1"], config=RaftConfig(voters=("n1",), learners=("n4",)),
               state_machine=ListStateMachine(), rng=random.Random(1), tickless=True)
    s.start()  # no deadline ever: no timer
    w.run_for(2000 * MS)
    assert s._timer is None and s.node.ticks_until_next() is None and s.term == 0


def test_a_server_without_an_app_handler_ignores_other_messages() -> None:
    c = Cluster(1)
    c.run(500)
    c.w.runtimes["n1"].receiver("c9", "not a raft message")  # no app_handler: dropped quietly
    got: list[tuple[str, object]] = []
    c.s["n1"].app_handler = lambda src, msg: got.append((src, msg))
    c.w.runtimes["n1"].receiver("c9", "hello")
    assert got == [("c9", "hello")] and c.s["n1"].is_leader


def test_an_installed_snapshot_is_on_disk_before_anything_else() -> None:
    c = Cluster(3, snapshot_entries=5)
    c.run(500)
    lead = c.leader()
    lag = next(i for i in c.ids if i != lead)
    c.w.crash(lag)
    for k in range(12):
        c.s[lead].propose(b"v%d" % k)
        c.run(3)
    c.run(100)
    c.w.restart(lag)
    c.boot(lag)
    c.run(300)
    assert c.trace("restore", lag) and c.w.disks[lag].durable[0]["r"] == "snapshot"
    assert c.trace("snapshot", lag) == []  # the installed snapshot is the compaction point: fewer than 5 applied since
    c.restart(lag)  # from its own disk alone: the installed snapshot, then the tail
    assert c.sm[lag].values() == [b"v%d" % k for k in range(12)]


def test_snapshot_entries_one_compacts_after_every_applied_entry() -> None:
    c = Cluster(1, snapshot_entries=1)
    c.run(500)
    for k in range(2):
        c.s["n1"].propose(b"v%d" % k)
        c.run(20)
    assert [r["index"] for r in c.trace("snapshot")] == [1, 2, 3]


@pytest.mark.parametrize("tickless", [False, True])
def test_writes_during_a_compaction_wait_for_its_replace(tickless: bool) -> None:
    c = Cluster(1, snapshot_entries=2, fsync_ns=5 * MS, tickless=tickless)
    c.run(500)
    disk = c.w.disks["n1"]
    for k in range(40):
        if k % 3 == 0 and k < 27:
            c.s["n1"].propose(b"v%d" % k)  # some arrive while a compaction's replace is in flight
        c.run(1)
        storage, _ = decode_records(disk.durable)
        on_disk = max([e.index for e in storage.entries()] + [storage.snapshot().index if storage.snapshot() else 0])
        assert storage.hard_state().commit <= on_disk, f"{k} ms: a durable commit past the durable log"
    assert c.sm["n1"].values() == [b"v%d" % k for k in range(0, 27, 3)]
    c.restart("n1")
    c.run(500)
    assert c.sm["n1"].values() == [b"v%d" % k for k in range(0, 27, 3)]


def test_an_explicit_id_and_voters_win_over_the_runtime_and_peers() -> None:
    w = FakeWorld(["n1"])
    s = Server(Rt(w, "n1"), peers=["n1", "n2", "n3"], config=RaftConfig(id="n9", voters=("n9",)),
               state_machine=ListStateMachine(), rng=random.Random(1))
    assert s.node_id == "n9" and s.config.voters == ("n9",)


def test_only_a_cast_vote_is_traced_as_a_vote() -> None:
    c = Cluster(3, snapshot_entries=5)
    script(c)  # terms adopted from higher-term messages, with no vote cast, too
    assert c.trace("vote") and all(r["vote"] is not None for r in c.trace("vote"))
    assert any(r["vote"] is None for r in c.trace("hard-state"))


def test_entries_that_follow_an_installed_snapshot_in_its_ready_are_in_the_same_replace() -> None:
    from kvraft.raft import InstallSnapshot
    w = FakeWorld(["n1", "n2"])
    sm = ListStateMachine()
    s = Server(Rt(w, "n2"), peers=["n1", "n2"], config=RaftConfig(), state_machine=sm, rng=random.Random(1))
    s.start()
    snap = Snapshot(index=2, term=1, voters=("n1", "n2"), data=b'[[1, "61"], [2, "62"]]')
    s.node.step(InstallSnapshot(frm="n1", to="n2", term=1, snapshot=snap))  # both stepped before one Ready
    s.node.step(AppendEntries(frm="n1", to="n2", term=1, prev_log_index=2, prev_log_term=1, commit=3,
                              entries=(Entry(index=3, term=1, data=b"c"),)))
    s._pump()
    w.run_for(5 * MS)
    assert [r["r"] for r in w.disks["n2"].durable] == ["snapshot", "hard-state", "entries"]
    assert sm.values() == [b"a", b"b", b"c"]
    w.crash("n2")
    w.restart("n2")
    w.runtimes["n2"] = Rt(w, "n2")
    again = ListStateMachine()
    Server(w.runtimes["n2"], peers=["n1", "n2"], config=RaftConfig(), state_machine=again,
           rng=random.Random(2)).start()
    assert again.values() == [b"a", b"b", b"c"]  # from its own disk alone


class TickFirstRt(Rt):
    """Tick timers run before any other event of their instant, ordered by node, as in sim/world.py."""

    def after_tick(self, delay_ns: int, fn: Any) -> FakeTimer:
        t, w = FakeTimer(), self.world
        w._seq += 1
        order = -(10**15) + sorted(w.runtimes).index(self.node_id) * 10**9 + w._seq

        def fire() -> None:
            if not t.cancelled:
                fn()

        heapq.heappush(w._heap, (w.now + delay_ns, order, self.node_id, w.incarnation[self.node_id], fire))
        return t


@pytest.mark.parametrize("fsync_ms", [3, 15, 25])
def test_the_tickless_driver_matches_when_disk_completions_cross_deadlines(fsync_ms: int) -> None:
    """A disk completion at a tick boundary: the tick there came first with a timer per tick, so the
    tickless driver counts it before handling the completion (and re-arms after it)."""
    ticks = Cluster(snapshot_entries=5, fsync_ns=fsync_ms * MS, rt=TickFirstRt)
    lazy = Cluster(snapshot_entries=5, fsync_ns=fsync_ms * MS, rt=TickFirstRt, tickless=True)
    script(ticks)
    script(lazy)
    for i, (a, b) in enumerate(zip(ticks.w.trace, lazy.w.trace)):
        assert a == b, f"trace record {i}: every tick {a}, tickless {b}"
    assert len(ticks.w.trace) == len(lazy.w.trace)


class ArmedCluster(Cluster):
    """Checks, every 100 us of the run, that each tickless server's pending timer fires no later than its core's
    next deadline (tick timers run first at their instant, so a later timer would miss a deadline)."""

    def run(self, ms: int) -> None:
        for _ in range(ms * 10):
            self.w.run_for(MS // 10)
            for i, s in sorted(self.s.items()):
                if not self.w.up[i] or s.node is None:
                    continue
                until = s.node.ticks_until_next()
                if until is not None:
                    assert s._timer is not None and not s._timer.cancelled, f"{i} at {self.w.now}: no timer"
                    assert s._timer_due <= s._tick_mono + until * s.tick_ns, f"{i} at {self.w.now}: timer late"


def test_a_tickless_timer_is_never_later_than_the_next_deadline() -> None:
    for fsync_ms in (1, 15):
        c = ArmedCluster(snapshot_entries=5, fsync_ns=fsync_ms * MS, rt=TickFirstRt, tickless=True)
        script(c)
        lead = c.leader()
        c.s[lead].transfer_leadership(next(i for i in c.ids if i != lead))
        c.run(300)
        for i in c.ids:
            c.s[i].propose(b"late")  # refused inputs too
            c.s[i].read_index(b"r-" + i.encode(), lambda idx: None)
        c.run(300)


def test_a_stopped_tickless_server_wakes_no_more() -> None:
    c = Cluster(3, tickless=True, rt=SendLoggedRt)
    c.run(500)
    for k in range(3):
        c.s[c.leader()].propose(b"v%d" % k)
        c.run(7)
    for s in c.s.values():
        s.stop()
    t0 = c.w.now
    c.run(10)  # what was in flight lands
    sent = len(c.trace("send"))
    c.run(3000)
    assert [r for r in c.w.trace if r["t"] > t0 and r["kind"].startswith("become-")] == []
    assert len(c.trace("send")) == sent  # no heartbeat either: one timer per server, and stop() cancelled it



# ---------------------------------------------------------------------------------------------- one Ready's order
class LoggedDisk(FakeDisk):
    """The fake disk, logging each write and fsync into the world's trace (as the simulator traces them)."""

    def write(self, record: Any) -> None:
        self.world.trace.append({"kind": "write", "node": self.node, "r": record["r"]})
        super().write(record)

    def fsync(self, then: Any) -> None:
        self.world.trace.append({"kind": "fsync", "node": self.node})
        super().fsync(then)


class SendLoggedRt(Rt):
    """Logs each send into the world's trace in send order (the simulator traces every send)."""

    def send(self, to: str, msg: Any) -> None:
        self.world.trace.append({"t": self.world.now, "kind": "send", "node": self.node_id, "type": type(msg).__name__})
        super().send(to, msg)


def _follower_n2(bugs: Bugs) -> tuple[FakeWorld, Server]:
    """n2, a follower of a leader n1 that exists only as the messages stepped here, with entry 1 durable."""
    w = FakeWorld(["n1", "n2"])
    w.disks["n2"] = LoggedDisk(w, "n2")
    s = Server(SendLoggedRt(w, "n2"), peers=["n1", "n2"], config=RaftConfig(bugs=bugs),
               state_machine=ListStateMachine(), rng=random.Random(1))
    s.start()
    s._receive("n1", AppendEntries(frm="n1", to="n2", term=1, prev_log_index=0, prev_log_term=0, commit=0,
                                   entries=(Entry(index=1, term=1, data=b"a"),)))
    w.run_for(5 * MS)
    assert not s._busy and s.node.log.stabled == 1
    return w, s


@pytest.mark.parametrize(("bugs", "entries", "order"), [
    # a Ready with nothing to sync (a commit-only hard state): traced, then every message in the core's order
    (Bugs(), (), ["write hard-state", "trace hard-state", "trace commit", "send AppendEntriesReply",
                  "send ReadIndex", "trace apply"]),
    # B12 issues no fsync for it either
    (Bugs(ack_before_fsync=True), (), ["write hard-state", "trace hard-state", "trace commit",
                                       "send AppendEntriesReply", "send ReadIndex", "trace apply"]),
    # a Ready that must sync: what promises nothing about the disk goes first, the ack once durable
    (Bugs(), (Entry(index=2, term=1, data=b"b"),), [
        "send ReadIndex", "write hard-state", "write entries", "fsync", "trace hard-state", "trace append",
        "trace commit", "send AppendEntriesReply", "trace apply"]),
    # B12: nothing goes first; all sent in the core's order before the fsync completes
    (Bugs(ack_before_fsync=True), (Entry(index=2, term=1, data=b"b"),), [
        "write hard-state", "write entries", "fsync", "trace hard-state", "trace append", "trace commit",
        "send AppendEntriesReply", "send ReadIndex", "trace apply"]),
])
def test_one_readys_writes_traces_and_sends_come_in_this_order(bugs: Bugs, entries: tuple, order: list[str]) -> None:
    w, s = _follower_n2(bugs)
    t0 = len(w.trace)
    s.node.step(AppendEntries(frm="n1", to="n2", term=1, prev_log_index=1, prev_log_term=1, commit=1,
                              entries=entries))  # an ack (after persist) ...
    assert s.read_index(b"r", lambda i: None) is True  # ... then a forwarded read (promises nothing): one Ready
    w.run_for(5 * MS)
    labels = {"send": lambda r: f"send {r['type']}", "write": lambda r: f"write {r['r']}", "fsync": lambda r: "fsync"}
    assert [labels.get(r["kind"], lambda r: f"trace {r['kind']}")(r) for r in w.trace[t0:]] == order


@pytest.mark.parametrize("tickless", [False, True])
def test_a_stopped_server_counts_no_ticks_even_after_an_input(tickless: bool) -> None:
    c = Cluster(3, tickless=tickless, rt=SendLoggedRt)
    c.run(500)
    for s in c.s.values():
        s.stop()
    t0 = c.w.now
    c.run(3000)  # election timeouts long past
    for i in c.ids:
        c.s[i].propose(b"late")  # forwarded or appended: handled, but no tick passed since stop() is counted
        c.s[i].read_index(b"r-" + i.encode(), lambda idx: None)
    c.run(3000)
    assert [r for r in c.w.trace if r["t"] > t0 and r["kind"].startswith("become-")] == []
    assert {r["type"] for r in c.trace("send") if r["t"] > t0} & {"RequestVote", "TimeoutNow"} == set()
    assert all(s._timer is None for s in c.s.values())
