# Over 400 lines: every rule table of the module in the one file bench/mutation.py runs first for its mutants.
"""The kvraft member, rule by rule, on the in-memory fake runtime (no simulator): its etcd defaults, which bug
switch reaches which layer, requests answered once with the right status and headers, TTL deadlines by the
monotonic clock, watches, the membership API's statuses (bench/mutation.py --module kvraft/member.py)."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest

from kvraft.api import STATUS_RETRY, AdminRequest, ClientReply, ClientRequest
from kvraft.bugs import Bugs
from kvraft.member import Member, MemberConfig
from kvraft.raft.config import RaftConfig, ReadOnlyOption

from tests.raft.fakeworld import FakeRuntime, FakeWorld

MS = 1_000_000
S = 1000 * MS


class Rt(FakeRuntime):
    """A fake runtime with a wall clock ``skew_ns`` off the world's and a monotonic clock ``mono_ns`` off it."""

    skew_ns = 0
    mono_ns = 0

    def now(self) -> int:
        return self.world.now + self.skew_ns

    def monotonic(self) -> int:
        return self.world.now + self.mono_ns


def base(n: int) -> int:
    """The etcd index a fresh n-member cluster reaches before any client write."""
    return 2 * n + 1


class Members:
    """``n`` members n1..nN and one client host ``c`` on a FakeWorld; ``req`` sends and runs until the answer."""

    def __init__(self, n: int = 1, *, bugs: Bugs = Bugs(), seed: int = 1, elect: bool = True,  # noqa: B008
                 **cfg: Any) -> None:
        self.names = [f"n{i}" for i in range(1, n + 1)]
        self.w = FakeWorld([*self.names, "c"], seed=seed)
        self.replies: list[ClientReply] = []
        self.w.runtimes["c"].set_receiver(lambda src, m: self.replies.append(m))
        self.config = MemberConfig(bugs=bugs, **cfg)
        self.m: dict[str, Member] = {}
        self._id = 0
        for i, name in enumerate(self.names):
            self.w.runtimes[name] = Rt(self.w, name)
            self.boot(name, seed=i)
        assert not elect or self.wait_leader(), "no leader"
        if elect:
            self.settle()

    def settle(self, max_ns: int = 3 * S) -> None:
        """Run until every member has applied etcd's own records (kvraft/store/membership.py): the initial
        members (n), the cluster version and each member's publish (n), indexes 1..2n+1; a client's first write
        then takes ``base(n) + 1``."""
        end = self.w.now + max_ns
        while any(self.m[n].store.index < base(len(self.names)) for n in self.names) and self.w.now < end:
            self.w.run_for(MS)
        self.w.run_for(20 * MS)  # the last publish answered, nothing in flight

    def boot(self, name: str, seed: int = 0) -> Member:
        self.w.up[name] = True
        m = Member(self.w.runtimes[name], peers=self.names, config=self.config,
                   raft_config=RaftConfig(election_ticks=10, heartbeat_ticks=1), rng=random.Random(seed))
        self.m[name] = m
        m.start()
        return m

    def leader(self) -> str | None:
        return next((n for n in self.names if self.w.up[n] and self.m[n].is_leader), None)

    def wait_leader(self, max_ns: int = 3 * S) -> str | None:
        end = self.w.now + max_ns
        while self.leader() is None and self.w.now < end:
            self.w.run_for(10 * MS)
        return self.leader()

    def isolate(self, name: str) -> None:
        """Cut ``name`` off from the other members (the client still reaches everyone)."""
        self.w.blocked |= {(a, b) for a in self.names for b in self.names if a != b and name in (a, b)}

    def send(self, to: str, method: str, path: str, seq: int | None = None, client_id: str = "c",
             **params: str) -> int:
        self._id += 1
        self.w.send("c", to, ClientRequest(frm="c", to=to, id=self._id, client_id=client_id, seq=seq or self._id,
                                           method=method, path="/v2/keys" + path, params=tuple(sorted(params.items()))))
        return self._id

    def admin(self, to: str, op: str, node: str = "", max_ns: int = 2 * S) -> ClientReply | None:
        self._id += 1
        self.w.send("c", to, AdminRequest(frm="c", to=to, id=self._id, op=op, node=node))
        return self.answer(self._id, max_ns)

    def answers(self, rid: int) -> list[ClientReply]:
        return [r for r in self.replies if r.id == rid]

    def answer(self, rid: int, max_ns: int = 2 * S) -> ClientReply | None:
        end = self.w.now + max_ns
        while not self.answers(rid) and self.w.now < end:
            self.w.run_for(MS)
        got = self.answers(rid)
        return got[0] if got else None

    def req(self, to: str, method: str, path: str, seq: int | None = None, max_ns: int = 2 * S,
            **params: str) -> ClientReply | None:
        return self.answer(self.send(to, method, path, seq, **params), max_ns)


def body(r: ClientReply | None) -> Any:
    assert r is not None, "no answer"
    return json.loads(r.body)


# ---------------------------------------------------------------------------------------------- configuration
def test_member_config_defaults_are_etcds() -> None:
    c = MemberConfig()
    assert (c.tick_ns, c.sync_interval_ns, c.request_timeout_ns, c.restore_grace_ns) == (
        10_000_000, 500_000_000, 5_600_000_000, 1_000_000_000)
    assert not c.tickless and not c.bugs


@pytest.mark.parametrize(("bugs", "read_only", "check_quorum", "raft_bugs"), [
    (Bugs(), ReadOnlyOption.SAFE, False, Bugs()),
    (Bugs(lease_reads=True), ReadOnlyOption.LEASE, True, Bugs()),  # B09: the kv switch sets the raft options
    (Bugs(stale_local_reads=True, ack_before_fsync=True), ReadOnlyOption.SAFE, False, Bugs(ack_before_fsync=True)),
])
def test_bug_switches_reach_their_layer(bugs: Bugs, read_only: ReadOnlyOption, check_quorum: bool,
                                        raft_bugs: Bugs) -> None:
    w = FakeWorld(["n1"])
    rt = Rt(w, "n1")
    m = Member(rt, peers=["n1"], raft_config=RaftConfig(check_quorum=False), config=MemberConfig(bugs=bugs),
               rng=random.Random(1))
    assert m.bugs == bugs
    rc = m.server.config
    assert (rc.read_only, rc.check_quorum, rc.bugs) == (read_only, check_quorum, raft_bugs)
    assert rc.id == "n1" and rc.voters == ("n1",)


def test_term_leader_and_role_are_the_servers() -> None:
    c = Members(3)
    lead = c.leader()
    for name, m in c.m.items():
        assert (m.term, m.leader_id, m.is_leader) == (m.server.term, lead, name == lead) and m.term >= 1


# ---------------------------------------------------------------------------------------------- writes
@pytest.mark.parametrize(("bugs", "indexes"), [
    (Bugs(), [1, 1, 2]),  # a retry (same client and seq) is applied once and answered the same
    (Bugs(no_client_dedup=True), [1, 2, 3]),  # B10: the store never sees (client_id, seq)
])
def test_retried_write_is_applied_once(bugs: Bugs, indexes: list[int]) -> None:
    c = Members(3, bugs=bugs)
    got = [body(c.req("n1", "PUT", "/k", seq=s, value=v)) for s, v in ((7, "a"), (7, "b"), (8, "c"))]
    assert [g["node"]["modifiedIndex"] - base(3) for g in got] == indexes
    assert got[1]["node"]["value"] == ("a" if indexes[1] == 1 else "b")


def test_a_member_that_knows_no_leader_answers_retry() -> None:
    c = Members(3, elect=False)  # asked before the first election
    for rid in (c.send("n1", "PUT", "/k", value="v"), c.send("n2", "GET", "/k", quorum="true")):
        r = c.answer(rid, 5 * MS)
        assert r is not None and (r.status, r.leader_hint, r.frm) == (STATUS_RETRY, None, c.names[rid - 1])
    leader = c.admin("n3", "leader", max_ns=5 * MS)
    assert leader is not None and leader.status == STATUS_RETRY


@pytest.mark.parametrize(("method", "params", "status", "code"), [
    ("PUT", {"value": "v", "ttl": "x"}, 400, 202),
    ("GET", {"wait": "true", "waitIndex": "x"}, 400, 203),
    ("PATCH", {}, 405, None),
])
def test_a_bad_request_is_answered_at_once_and_proposes_nothing(method: str, params: dict, status: int,
                                                                code: int | None) -> None:
    c = Members(1)
    last = c.m["n1"].server.node.log.last_index
    r = c.req("n1", method, "/k", **params)
    assert r is not None and r.status == status
    if code is not None:
        assert body(r)["errorCode"] == code
    assert c.m["n1"].server.node.log.last_index == last


def test_a_quorum_read_proposes_nothing_and_waits_for_the_read_point() -> None:
    c = Members(3)
    c.req("n1", "PUT", "/k", value="v")
    lead = c.leader()
    last = c.m[lead].server.node.log.last_index
    follower = next(n for n in c.names if n != lead)
    r = c.req(follower, "GET", "/k", quorum="true")
    assert body(r)["node"]["value"] == "v" and r.header("X-Raft-Index") == str(last)
    assert c.m[lead].server.node.log.last_index == last


# ---------------------------------------------------------------------------------------------- apply
def test_apply_of_a_non_command_changes_nothing_and_answers_no_one() -> None:
    c = Members(1)
    m = c.m["n1"]
    before = m.store.snapshot()
    for k, data in enumerate((b"not json", b"[1, 2]", b"\xff", b'"text"')):
        m.apply(100 + k, 1, data)
    assert m.store.index == base(1) and c.replies == []
    assert json.loads(m.store.snapshot())["index"] == json.loads(before)["index"]


def test_apply_of_an_entry_without_client_identity_answers_no_one() -> None:
    c = Members(3)
    lead = c.leader()
    c.isolate(lead)  # the write stays pending: its waiter ("None", 5) is registered
    rid = c.send(lead, "PUT", "/k", seq=5, client_id="None", value="v")
    c.w.run_for(50 * MS)
    assert c.answers(rid) == []
    c.m[lead].apply(99, 1, json.dumps({"op": "set", "path": "/z", "value": "q", "seq": 5, "now_ns": 0}).encode())
    c.w.run_for(50 * MS)
    assert c.answers(rid) == [] and c.m[lead].store.index == base(3) + 1


# ---------------------------------------------------------------------------------------------- membership
@pytest.mark.parametrize(("confs", "removed"), [
    ([("a", "b", "c")], set()),
    ([("a", "b")], {"c"}),
    ([("a", "b"), ("a", "b", "c")], set()),  # a re-added node is not removed any more
    ([("a", "b", "c", "d"), ("a", "b", "c")], {"d"}),  # who left is measured against the last configuration
    ([("a", "b"), ("a",)], {"b", "c"}),
])
def test_who_left_the_configuration_is_removed(confs: list[tuple[str, ...]], removed: set[str]) -> None:
    w = FakeWorld(["a"])
    m = Member(Rt(w, "a"), peers=["a", "b", "c"], raft_config=RaftConfig(), rng=random.Random(1))
    for voters in confs:
        m.on_conf_change(voters, ())
    assert m.removed == removed
    if removed:
        assert m.snapshot().startswith(b"kvraft-members " + json.dumps({"removed": sorted(removed)}, separators=(",", ":")).encode())
    else:
        assert m.snapshot() == m.store.snapshot()  # no header while nobody was removed


@pytest.mark.parametrize(("bugs", "skew_s", "ttl", "params", "status"), [
    (Bugs(), 20, "10", {"prevExist": "false"}, 412),  # the holder's lease is decided through the log
    (Bugs(lock_by_own_clock=True), 20, "10", {"prevExist": "false"}, 200),  # B16: over on this clock: taken
    (Bugs(lock_by_own_clock=True), 5, "10", {"prevExist": "false"}, 412),  # not over yet on this clock either
    (Bugs(lock_by_own_clock=True), 20, "", {"prevExist": "false"}, 412),  # no TTL: never over
    (Bugs(lock_by_own_clock=True), 20, "10", {}, 200),  # a plain set is a set anyway
])
def test_a_lock_is_granted_through_the_log(bugs: Bugs, skew_s: int, ttl: str, params: dict, status: int) -> None:
    c = Members(1, bugs=bugs)
    c.req("n1", "PUT", "/lock", value="holder", **({"ttl": ttl} if ttl else {}))
    c.w.runtimes["n1"].skew_ns = skew_s * S
    r = c.req("n1", "PUT", "/lock", value="me", **params)
    assert r is not None and r.status == status
    assert json.loads(r.body).get("node", {}).get("value", "holder") == ("me" if status == 200 else "holder")


# ---------------------------------------------------------------------------------------------- watches
@pytest.mark.parametrize(("bugs", "seen", "wait_index", "want"), [
    (Bugs(), 0, 3, 3),  # a lagging member still answers from the client's waitIndex
    (Bugs(watch_replays_early=True), 0, 3, 1),  # B19: from its own index: event 1, already seen, again
    (Bugs(watch_replays_early=True), 1, 3, 2),
    (Bugs(watch_replays_early=True), 1, 2, 2),  # waitIndex = its index + 1: the same answer either way
])
def test_a_lagging_member_answers_a_watch_from_the_clients_wait_index(bugs: Bugs, seen: int, wait_index: int,
                                                                       want: int) -> None:
    c = Members(3, bugs=bugs)
    lead = c.leader()
    lagging = next(n for n in c.names if n != lead)
    for k in range(1, 4):
        if k == seen + 1:
            c.w.run_for(100 * MS)
            c.isolate(lagging)
        c.req(lead, "PUT", "/w", value=f"v{k}")
    assert c.m[lagging].store.index == base(3) + seen
    rid = c.send(lagging, "GET", "/w", wait="true", waitIndex=str(base(3) + wait_index))
    c.w.run_for(50 * MS)
    assert c.answers(rid) == []
    c.w.heal()
    got = body(c.answer(rid))
    assert got["node"]["modifiedIndex"] == base(3) + want and got["node"]["value"] == f"v{want}"


# ---------------------------------------------------------------------------------------------- membership API
def test_a_change_applied_before_the_answer_is_registered_is_answered_at_once() -> None:
    # B12 applies a lone leader's entries inline (before the fsync): the removal is applied inside
    # propose_conf_change, so the answer must not wait for a later apply that never comes.
    c = Members(2, bugs=Bugs(ack_before_fsync=True))
    lead = c.leader()
    other = next(n for n in c.names if n != lead)
    r = c.admin(lead, "remove", other, max_ns=10 * MS)
    assert r is not None and r.status == 204


# ---------------------------------------------------------------------------------------------- TTL expiry
def expire_entries(m: Member) -> list[dict]:
    cmds = [json.loads(e.data) for e in m.server.node.log.entries if e.data.startswith(b"{")]
    return [c for c in cmds if c.get("op") in ("expire", "sync")]


@pytest.mark.parametrize(("bugs", "jump_s", "alive_at_ms", "gone_at_ms", "ops"), [
    (Bugs(), 0, 900, 1600, ["expire"]),
    (Bugs(), 3600, 900, 1600, ["expire"]),  # deadlines are monotonic: a wall-clock jump changes nothing
    # B17 (etcd v2): a SYNC at every tick while some node has a TTL, expiring by the leader's wall clock,
    (Bugs(ttl_by_wall_clock=True), 0, 900, 1600, ["sync"] * 3),
    (Bugs(ttl_by_wall_clock=True), 3600, None, 600, ["sync"]),  # so its jumped clock expires the key early
])
def test_ttl_expiry_is_proposed_once_by_the_leader_at_the_monotonic_deadline(
        bugs: Bugs, jump_s: int, alive_at_ms: int | None, gone_at_ms: int, ops: list[str]) -> None:
    c = Members(3, bugs=bugs)
    lead = c.leader()
    c.w.run_until((c.w.now // (500 * MS) + 1) * 500 * MS + 5 * MS)  # just after a sync tick
    t0 = c.w.now
    c.req(lead, "PUT", "/t", value="v", ttl="1")
    for n in c.names:
        c.w.runtimes[n].skew_ns = jump_s * S
    if alive_at_ms is not None:
        c.w.run_until(t0 + alive_at_ms * MS)
        assert c.req(lead, "GET", "/t").status == 200
    c.w.run_until(t0 + gone_at_ms * MS)
    assert c.req(lead, "GET", "/t").status == 404
    c.w.run_for(2 * S)
    assert [e["op"] for e in expire_entries(c.m[lead])] == ops  # proposed by the leader alone


def test_concurrent_quorum_reads_each_get_their_own_read_point() -> None:
    c = Members(3)
    follower = next(n for n in c.names if n != c.leader())
    boot = c.m[follower]._boot_id
    rids = [c.send(follower, "GET", "/k", quorum="true") for _ in range(3)]
    for rid in rids:
        assert c.answer(rid).status == 404  # every one answered, none lost to another's context
    ctxs = [r["ctx"] for r in c.w.trace if r["kind"] == "read-index" and r["node"] == follower]
    assert ctxs == [f"{follower}/{boot}/{k}" for k in (1, 2, 3)]  # node / incarnation / sequence from 1


def test_a_message_that_is_no_request_is_ignored() -> None:
    c = Members(1)
    for junk in ("hello", ClientReply(frm="c", to="n1", id=1, status=200), None):
        c.w.runtimes["n1"].receiver("c", junk)
    c.w.run_for(50 * MS)
    assert c.replies == []


def test_a_write_that_timed_out_is_not_answered_again_when_it_applies() -> None:
    c = Members(3, request_timeout_ns=40 * MS)
    lead = c.leader()
    c.isolate(lead)  # shorter than an election timeout: the leader keeps its term
    rid = c.send(lead, "PUT", "/k", value="v")
    c.w.run_for(60 * MS)
    c.w.heal()
    c.w.run_for(300 * MS)
    assert [(r.status, body(r)["errorCode"]) for r in c.answers(rid)] == [(500, 300)]
    assert c.m[lead].store.index == base(3) + 1  # it applied all the same


def test_a_resent_write_is_answered_after_its_first_copy_timed_out() -> None:
    c = Members(3, request_timeout_ns=40 * MS)
    lead = c.leader()
    c.isolate(lead)
    first = c.send(lead, "PUT", "/k", seq=5, value="v")
    c.w.run_for(25 * MS)
    again = c.send(lead, "PUT", "/k", seq=5, value="v")  # the client's retry: same (client_id, seq)
    c.w.run_for(20 * MS)  # the first copy timed out; the retry still waits
    c.w.heal()
    c.w.run_for(200 * MS)
    assert [r.status for r in c.answers(first)] == [500]
    assert [(r.status, body(r)["node"]["modifiedIndex"]) for r in c.answers(again)] == [(201, base(3) + 1)]


def test_a_resent_stream_watch_keeps_one_watcher() -> None:
    c = Members(1)
    rid = c.send("n1", "GET", "/s", wait="true", stream="true")
    c.w.run_for(5 * MS)
    c.req("n1", "PUT", "/s", value="1")
    c.w.runtimes["c"].send("n1", ClientRequest(frm="c", to="n1", id=rid, client_id="c", seq=rid, method="GET",
                                               path="/v2/keys/s", params=(("stream", "true"), ("wait", "true"))))
    c.w.run_for(5 * MS)
    c.req("n1", "PUT", "/s", value="2")
    c.w.run_for(5 * MS)
    assert [body(r)["node"]["value"] for r in c.answers(rid)] == ["1", "2"]  # one answer per event


def test_a_waiting_watch_is_reported_to_the_real_runtimes_hook() -> None:
    c = Members(1)
    seen: list[tuple[str, int, int]] = []
    c.m["n1"].on_watch_waiting = lambda src, rid, head: seen.append((src, rid, head.status))
    c.req("n1", "PUT", "/h", value="0")
    done = c.req("n1", "GET", "/h", wait="true", waitIndex="1")  # answered from history: never waits
    rid = c.send("n1", "GET", "/h", wait="true")
    c.w.run_for(5 * MS)
    assert body(done)["node"]["value"] == "0" and seen == [("c", rid, 200)]


@pytest.mark.parametrize(("op", "node", "on", "status", "doc"), [
    ("list", "", "leader", 200, {"members": [{"id": n, "name": n} for n in ("n1", "n2", "n3")]}),
    ("list", "", "follower", 200, {"members": [{"id": n, "name": n} for n in ("n1", "n2", "n3")]}),
    ("leader", "", "follower", 200, "leader"),
    ("transfer", "n9", "leader", 404, {"message": "No such member: n9"}),
    ("transfer", "n9", "follower", 404, {"message": "No such member: n9"}),
    ("transfer", "other", "follower", STATUS_RETRY, None),
    ("transfer", "other", "leader", 202, "other"),
    ("add", "n1", "leader", 409, {"message": "membership: ID exists"}),
    ("add", "n4", "leader", 201, {"id": "n4", "name": "n4"}),  # answered once applied (3 of 4 commit it)
    ("add", "n9", "follower", STATUS_RETRY, None),
    ("remove", "n9", "leader", 404, {"message": "No such member: n9"}),
    ("remove", "other", "follower", STATUS_RETRY, None),
    ("remove", "other", "leader", 204, "other"),
    ("frob", "", "leader", 400, {"message": "unknown admin op 'frob'"}),
])
def test_the_membership_api_answers(op: str, node: str, on: str, status: int, doc: Any) -> None:
    c = Members(3)
    lead = c.leader()
    other = next(n for n in c.names if n != lead)
    follower = next(n for n in c.names if n not in (lead, other))
    node = other if node == "other" else node
    r = c.admin(lead if on == "leader" else follower, op, node)
    assert r is not None and r.status == status
    if doc is not None:
        who = {"leader": lead, "other": other}.get(doc) if isinstance(doc, str) else None
        assert body(r) == ({"id": who, "name": who} if who else doc)
        assert r.header("Content-Type") == "application/json" and r.body.endswith(b"\n")
    if op == "transfer" and status == 202:
        c.w.run_for(300 * MS)
        assert c.leader() == other
    if op == "remove" and status == 204:
        assert other not in c.m[lead].server.voters and c.admin(lead, "remove", other).status == 410


def test_a_membership_change_without_quorum_times_out_with_500() -> None:
    c = Members(3, request_timeout_ns=200 * MS)
    lead = c.leader()
    for n in c.names:
        if n != lead:
            c.w.crash(n)
    t0 = c.w.now
    r = c.admin(lead, "add", "n4")
    assert r is not None and (r.status, body(r)) == (500, {"message": "etcdserver: request timed out"})
    assert 200 * MS <= c.w.now - t0 <= 205 * MS  # after the request timeout, once


@pytest.mark.parametrize("bugs", [Bugs(), Bugs(ttl_by_wall_clock=True)])
def test_an_idle_leader_proposes_nothing_on_its_sync_ticks(bugs: Bugs) -> None:
    c = Members(3, bugs=bugs)
    lead = c.leader()
    c.req(lead, "PUT", "/plain", value="v")  # no TTL anywhere
    last = c.m[lead].server.node.log.last_index
    c.w.run_for(2 * S)
    assert c.m[lead].server.node.log.last_index == last


def test_a_default_get_is_answered_from_the_local_store_at_once() -> None:
    c = Members(3)
    lead = c.leader()
    c.req(lead, "PUT", "/k", value="old")
    c.w.run_for(50 * MS)
    follower = next(n for n in c.names if n != lead)
    c.isolate(follower)
    c.req(lead, "PUT", "/k", value="new")
    last = c.m[follower].server.node.log.last_index
    t0 = c.w.now
    r = c.req(follower, "GET", "/k")
    assert (r.frm, r.status, body(r)["node"]["value"]) == (follower, 200, "old")  # stale, as etcd's default GET
    assert c.w.now - t0 <= 4 * MS and c.m[follower].server.node.log.last_index == last  # two hops of <= 2 ms


def test_a_quorum_read_that_timed_out_is_not_answered_again() -> None:
    c = Members(3, request_timeout_ns=40 * MS)
    lead = c.leader()
    c.req(lead, "PUT", "/k", value="v")
    c.isolate(lead)  # its heartbeat round cannot complete: the read waits past the request timeout
    rid = c.send(lead, "GET", "/k", quorum="true")
    c.w.run_for(60 * MS)
    c.w.heal()
    c.w.run_for(200 * MS)
    assert [(r.status, body(r)["errorCode"]) for r in c.answers(rid)] == [(500, 300)]


@pytest.mark.parametrize(("bugs", "on", "method", "params", "read_index"), [
    (Bugs(), "leader", "GET", {"quorum": "true"}, True),
    (Bugs(stale_local_reads=True), "leader", "GET", {"quorum": "true"}, False),  # B07: the leader reads locally
    (Bugs(stale_local_reads=True), "follower", "GET", {"quorum": "true"}, True),
    (Bugs(stale_local_reads=True), "leader", "PUT", {"value": "w"}, False),  # a write is still a write
    (Bugs(stale_local_reads=True), "leader", "GET", {"wait": "true", "waitIndex": "1"}, False),  # a watch a watch
])
def test_only_quorum_reads_on_the_leader_are_served_locally_under_b07(bugs: Bugs, on: str, method: str,
                                                                      params: dict, read_index: bool) -> None:
    c = Members(3, bugs=bugs)
    lead = c.leader()
    c.req(lead, "PUT", "/k", value="v")
    to = lead if on == "leader" else next(n for n in c.names if n != lead)
    r = c.req(to, method, "/k", **params)
    assert r is not None and r.status in (200, 201)
    assert body(r)["node"]["value"] == params.get("value", "v") and body(r)["action"] == (
        "get" if "quorum" in params else "set")  # a watch answers with the write's event
    assert any(t["kind"] == "read-index" and t["node"] == to for t in c.w.trace) is read_index


@pytest.mark.parametrize(("offset_ns", "over"), [(-1, False), (0, True), (1, True)])
def test_b16_sees_a_lease_over_from_its_expiration_instant(offset_ns: int, over: bool) -> None:
    c = Members(1, bugs=Bugs(lock_by_own_clock=True))
    c.req("n1", "PUT", "/lock", value="holder", ttl="10")
    exp = c.m["n1"].store.get("/lock", now_ns=c.w.now).event.node.expire_ns
    c.w.runtimes["n1"].skew_ns = exp - c.w.now + offset_ns
    assert c.m["n1"]._expired_here("/lock") is over
    assert c.m["n1"]._expired_here("/nothing") is False


@pytest.mark.parametrize("bugs", [Bugs(), Bugs(lease_reads=True)])
def test_a_quorum_read_served_inside_read_index_is_answered_once(bugs: Bugs) -> None:
    c = Members(1, bugs=bugs, request_timeout_ns=100 * MS)  # a lone voter serves its read point at once
    c.req("n1", "PUT", "/k", value="v")
    rid = c.send("n1", "GET", "/k", quorum="true")
    c.w.run_for(300 * MS)  # well past the request timeout
    assert [(r.status, body(r)["node"]["value"]) for r in c.answers(rid)] == [(200, "v")]


def test_a_second_change_while_one_is_uncommitted_is_retried_elsewhere() -> None:
    c = Members(3)
    lead = c.leader()
    c.w.fsync_ns = 20 * MS  # the first change stays uncommitted while the second arrives
    c.w.send("c", lead, AdminRequest(frm="c", to=lead, id=901, op="add", node="n4"))
    c.w.send("c", lead, AdminRequest(frm="c", to=lead, id=902, op="add", node="n5"))
    assert sorted(c.answer(rid).status for rid in (901, 902)) == sorted([201, STATUS_RETRY])


def test_a_change_lost_to_a_new_leader_is_answered_500() -> None:
    c = Members(3)
    old = c.leader()
    c.isolate(old)
    c.w.send("c", old, AdminRequest(frm="c", to=old, id=900, op="add", node="n4"))  # appended, never committed
    c.w.run_for(5 * MS)
    others = [n for n in c.names if n != old]
    while not any(c.m[n].is_leader for n in others):
        c.w.run_for(10 * MS)
    new = next(n for n in others if c.m[n].is_leader)
    c.req(new, "PUT", "/k", value="v")
    c.w.heal()
    r = c.answer(900)
    assert r is not None and (r.status, body(r)) == (500, {"message": "etcdserver: request timed out"})
    assert "n4" not in c.m[old].server.voters


@pytest.mark.parametrize("remaining_s", [-5, 0, 3])
def test_a_restored_ttl_gets_its_wall_clock_remainder_never_negative_plus_the_grace(remaining_s: int) -> None:
    c = Members(1)
    c.req("n1", "PUT", "/t", value="v", ttl="10")
    m = c.m["n1"]
    image = m.snapshot()
    exp = m.store.ttl_nodes()[0][1]
    rt = c.w.runtimes["n1"]
    rt.skew_ns = exp - remaining_s * S - c.w.now  # this member's wall clock reads exp - remaining
    m.restore(image, 2, 1)
    assert m._deadlines == {"/t": (rt.monotonic() + max(0, remaining_s) * S + m.config.restore_grace_ns, exp)}


def test_a_ttl_is_due_at_its_deadline_instant() -> None:
    c = Members(1)
    c.req("n1", "PUT", "/t", value="v", ttl="10")
    deadline = c.m["n1"]._deadlines["/t"][0]
    tick = (c.w.now // (500 * MS) + 1) * 500 * MS  # the next sync tick (every 500 ms since start)
    c.w.runtimes["n1"].mono_ns = deadline - tick  # the monotonic clock reads the deadline exactly then
    c.w.run_until(tick + 20 * MS)
    assert c.req("n1", "GET", "/t").status == 404


def test_a_change_that_timed_out_is_not_answered_again_when_it_applies() -> None:
    c = Members(3, request_timeout_ns=40 * MS)
    lead = c.leader()
    c.isolate(lead)  # shorter than an election timeout: the leader keeps its term and its log
    c.w.send("c", lead, AdminRequest(frm="c", to=lead, id=900, op="add", node="n4"))
    c.w.run_for(60 * MS)
    c.w.heal()
    c.w.run_for(300 * MS)
    assert [(r.status, body(r)) for r in c.answers(900)] == [(500, {"message": "etcdserver: request timed out"})]
    assert "n4" in c.m[lead].server.voters  # it applied all the same


def test_a_change_answered_inline_is_not_answered_again_at_the_timeout() -> None:
    c = Members(2, bugs=Bugs(ack_before_fsync=True), request_timeout_ns=50 * MS)
    lead = c.leader()
    other = next(n for n in c.names if n != lead)
    c.w.send("c", lead, AdminRequest(frm="c", to=lead, id=900, op="remove", node=other))
    c.w.run_for(200 * MS)
    assert [r.status for r in c.answers(900)] == [204]


@pytest.mark.parametrize("ttl", [0, 1, 7])
def test_a_ttl_deadline_is_the_monotonic_clock_at_apply_plus_the_ttl(ttl: int) -> None:
    c = Members(1)
    c.w.runtimes["n1"].mono_ns = 123 * S  # the monotonic clock is not the wall clock
    r = c.req("n1", "PUT", "/t", value="v", ttl=str(ttl))
    applied_at = next(t["t"] for t in c.w.trace if t["kind"] == "apply" and t["index"] == int(r.header("X-Raft-Index")))
    assert c.m["n1"]._deadlines["/t"][0] == applied_at + 123 * S + ttl * S


def test_a_committed_membership_change_is_recorded_in_etcds_namespace() -> None:
    from kvraft.raft import ConfChange, ConfChangeType
    from kvraft.store.membership import _lookup, is_listed
    c = Members(1)
    m = c.m["n1"]
    at = m.store.index
    m.apply_conf_change(50, 1, ConfChange(type=ConfChangeType.ADD_LEARNER, node_id="n7"))
    m.apply_conf_change(51, 1, ConfChange(type=ConfChangeType.ADD_NODE, node_id="n8"))
    assert m.store.index == at + 2 and is_listed(m.store, "n7") and is_listed(m.store, "n8")
    assert json.loads(_lookup(m.store, "/members/n7/raftAttributes").value) == {"peerURLs": [], "isLearner": True}
    assert json.loads(_lookup(m.store, "/members/n8/raftAttributes").value) == {"peerURLs": []}
    m.apply_conf_change(52, 1, ConfChange(type=ConfChangeType.REMOVE_NODE, node_id="n7"))
    assert m.store.index == at + 4 and not is_listed(m.store, "n7") and is_listed(m.store, "n8")  # a removal: 2


def test_a_lost_publish_is_retried_by_the_sync_tick_in_a_quiet_cluster() -> None:
    from kvraft.raft import Propose
    c = Members(3, elect=False)
    lost: list[str] = []

    def lose_first_publish(src: str, dst: str, msg: Any) -> bool:
        if lost or not isinstance(msg, Propose) or not any(b'"publish"' in e.data for e in msg.entries):
            return False
        lost.append(src)
        return True

    c.w.drop_filter = lose_first_publish
    assert c.wait_leader()
    c.w.run_for(3 * S)  # the rest applied, then nothing: no apply wakes the member whose publish was lost
    assert lost and not c.m[lost[0]].publisher.published
    last = c.m[lost[0]].server.node.log.last_index
    c.w.run_for(3 * S)  # past the request timeout (5.6 s): a sync tick proposes it again
    assert c.m[lost[0]].publisher.published and c.m[lost[0]].server.node.log.last_index == last + 1
    assert all(c.m[n].store.index == base(3) for n in c.names)
