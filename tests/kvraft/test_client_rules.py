"""The client library, rule by rule, on a hand-driven runtime (no simulator): outcomes for histories, which
member is tried and when, retries that keep (client_id, seq), writes one at a time with deadlines from the call,
each op answered exactly once (bench/mutation.py --module kvraft/client.py)."""

from __future__ import annotations

import random
from typing import Any

import pytest

from kvraft.api import STATUS_RETRY, AdminRequest, ClientReply, ClientRequest
from kvraft.client import MS, Client, outcome


class _Timer:
    def __init__(self) -> None:
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


class FakeRuntime:
    """Timers fire only when the test calls ``advance``; sent messages are kept in ``sent``."""

    node_id = "cl"

    def __init__(self) -> None:
        self.t = 0
        self.timers: list[tuple[int, int, Any, _Timer]] = []
        self.sent: list[tuple[int, str, Any]] = []
        self.receiver: Any = None

    def now(self) -> int:
        return self.t

    def after(self, delay_ns: int, fn: Any) -> _Timer:
        tm = _Timer()
        self.timers.append((self.t + delay_ns, len(self.timers), fn, tm))
        return tm

    def send(self, to: str, msg: Any) -> None:
        self.sent.append((self.t, to, msg))

    def set_receiver(self, fn: Any) -> None:
        self.receiver = fn

    def advance(self, to_ns: int) -> None:
        while True:
            due = sorted(x for x in self.timers if x[0] <= to_ns and not x[3].cancelled)
            if not due:
                break
            at, _, fn, tm = due[0]
            tm.cancelled = True
            self.t = at
            fn()
        self.t = to_ns

    def reply(self, frm: str, req: Any, status: int = 200, body: bytes = b"{}", hint: str | None = None) -> None:
        self.receiver(frm, ClientReply(frm=frm, to="cl", id=req.id, status=status, body=body, leader_hint=hint))


def client(servers: list[str] = ["b", "a", "c"], seed: int = 1) -> tuple[FakeRuntime, Client, list]:  # noqa: B006
    rt = FakeRuntime()
    done: list = []
    return rt, Client(rt, servers=servers, client_id="c1", rng=random.Random(seed), attempt_ns=100 * MS), done


@pytest.mark.parametrize(("status", "body", "want"), [
    (200, b"{}", (True, None)), (201, b"{}", (True, None)), (299, b"", (True, None)),
    (404, b'{"errorCode":100}', (False, "100")), (412, b'{"errorCode":101}', (False, "101")),
    (400, b"not json", (False, "http-400")), (400, b'{"errorCode":"100"}', (False, "http-400")),
    (400, b"[1]", (False, "http-400")), (301, b"", (False, "http-301")), (499, b"", (False, "http-499")),
    (500, b'{"errorCode":300}', (None, "http-500")), (503, b"", (None, "http-503")),
    (400, b'{"errorCode":300}', (None, "http-400")),  # 300: the write may still commit
    (500, b"", (None, "http-500")), (300, b"", (False, "http-300")), (199, b"", (False, "http-199")),
    (STATUS_RETRY, b"", (None, f"http-{STATUS_RETRY}")),
])
def test_outcome(status: int, body: bytes, want: tuple) -> None:
    assert outcome(ClientReply(frm="a", to="c", id=1, status=status, body=body)) == want


def test_outcome_of_no_answer_is_unknown() -> None:
    assert outcome(None) == (None, "timeout")


def test_servers_are_needed_and_sorted() -> None:
    with pytest.raises(ValueError, match="at least one server"):
        client([])
    rt, c, _ = client()
    assert c.servers == ["a", "b", "c"]
    c.set_servers([])
    assert c.servers == ["a", "b", "c"]
    c.set_servers(["z", "y"])
    assert c.servers == ["y", "z"]


def test_requests_carry_fresh_ids_and_seqs_and_sorted_params() -> None:
    rt, c, done = client()
    c.request("GET", "/v2/keys/a", {"z": "1", "a": "2"}, timeout_ns=S, on_done=done.append)
    c.request("GET", "/v2/keys/b", timeout_ns=S, on_done=done.append)
    c.admin("list", timeout_ns=S, on_done=done.append)
    c.request("HEAD", "/v2/keys/c", timeout_ns=S, on_done=done.append)
    msgs = [m for _, _, m in rt.sent]
    assert [m.id for m in msgs] == [1, 2, 3, 4]
    assert [m.seq for m in msgs if isinstance(m, ClientRequest)] == [1, 2, 3]  # admin takes no seq
    assert msgs[0].params == (("a", "2"), ("z", "1")) and msgs[1].params == ()
    assert isinstance(msgs[2], AdminRequest) and msgs[2].op == "list"
    assert all(m.frm == "cl" and m.client_id == "c1" for m in msgs if isinstance(m, ClientRequest))


S = 1000 * MS


def test_members_tried_round_robin_then_the_leader_hint() -> None:
    rt, c, done = client(seed=1)
    first = random.Random(1).randrange(3)
    c.request("GET", "/k", timeout_ns=10 * S, on_done=done.append)
    c.request("GET", "/k", timeout_ns=10 * S, on_done=done.append)
    c.request("GET", "/k", timeout_ns=10 * S, on_done=done.append)
    assert [to for _, to, _ in rt.sent] == [c.servers[(first + i) % 3] for i in (1, 2, 3)]
    rt.reply("a", rt.sent[0][2], hint="b")
    assert c.leader_hint == "b" and len(done) == 1
    c.request("GET", "/k", timeout_ns=10 * S, on_done=done.append)
    c.request("GET", "/k", timeout_ns=10 * S, on_done=done.append)
    assert [to for _, to, _ in rt.sent[3:]] == ["b", "b"]
    c.set_servers(["a", "c"])  # a hint outside the servers is not used
    c.request("GET", "/k", timeout_ns=10 * S, on_done=done.append)
    assert rt.sent[-1][1] in ("a", "c")


def test_a_retry_reuses_the_op_and_backs_off() -> None:
    rt, c, done = client()
    c.request("PUT", "/k", {"value": "1"}, timeout_ns=10 * S, on_done=done.append)
    rt.advance(10 * S - 1)
    times = [t for t, _, _ in rt.sent]
    # attempt_ns * (1 + tries // 3), at most 4 * attempt_ns: 100 ms for tries 1-2, 200 ms from 3, ...
    assert times[:8] == [0, 100 * MS, 200 * MS, 400 * MS, 600 * MS, 800 * MS, 1100 * MS, 1400 * MS]
    assert all(b - a <= 400 * MS for a, b in zip(times, times[1:]))
    assert times[-1] - times[-2] == 400 * MS
    assert {(m.id, m.seq) for _, _, m in rt.sent} == {(1, 1)}
    assert done == []
    rt.advance(10 * S)
    assert done == [None]  # the deadline: unknown, exactly once
    rt.advance(20 * S)
    assert done == [None] and all(t <= 10 * S for t, _, _ in rt.sent)


def test_a_silent_hinted_leader_stops_being_preferred() -> None:
    rt, c, done = client()
    c.leader_hint = "b"
    c.request("GET", "/k", timeout_ns=10 * S, on_done=done.append)
    assert rt.sent[0][1] == "b"
    rt.advance(100 * MS)
    assert c.leader_hint is None and len(rt.sent) == 2  # tried again, round robin from now on


def test_retry_elsewhere_answer() -> None:
    rt, c, done = client()
    c.request("GET", "/k", timeout_ns=10 * S, on_done=done.append)
    to = rt.sent[0][1]
    rt.reply(to, rt.sent[0][2], status=STATUS_RETRY, hint=to)  # a hint naming itself is no hint
    assert c.leader_hint is None and done == [] and len(rt.sent) == 1
    rt.advance(10 * MS - 1)
    assert len(rt.sent) == 1  # not at once
    rt.advance(30 * MS)
    assert len(rt.sent) == 2 and rt.sent[1][0] < 30 * MS
    src = rt.sent[1][1]
    hint = next(s for s in c.servers if s != src)
    rt.reply(src, rt.sent[1][2], status=STATUS_RETRY, hint=hint)
    assert c.leader_hint == hint
    rt.advance(60 * MS)
    assert rt.sent[2][1] == hint
    rt.advance(99 * MS)
    assert len(rt.sent) == 3  # the earlier attempt timer was cancelled by the retry answer
    rt.reply(hint, rt.sent[2][2])
    assert len(done) == 1 and done[0].status == 200
    rt.reply(hint, rt.sent[2][2], status=500)  # a late duplicate: ignored
    rt.receiver(hint, "not a reply")
    assert len(done) == 1


def test_writes_go_one_at_a_time_in_order() -> None:
    rt, c, done = client()
    c.request("PUT", "/k", {"value": "1"}, timeout_ns=10 * S, on_done=lambda r: done.append(("w1", r)))
    c.request("DELETE", "/k", timeout_ns=10 * S, on_done=lambda r: done.append(("w2", r)))
    c.request("POST", "/q", timeout_ns=1 * S, on_done=lambda r: done.append(("w3", r)))
    c.request("GET", "/k", timeout_ns=10 * S, on_done=lambda r: done.append(("r", r)))  # reads are not queued
    assert [(m.method, m.seq) for _, _, m in rt.sent] == [("PUT", 1), ("GET", 4)]
    rt.t = 2 * S  # w3's deadline (from its call) passes while it waits
    rt.reply("a", rt.sent[0][2])
    assert [(m.method, m.seq) for _, _, m in rt.sent[2:]] == [("DELETE", 2)]
    rt.reply("a", rt.sent[2][2])
    got = dict(done)
    assert sorted(got) == ["w1", "w2", "w3"] and got["w3"] is None and got["w2"].status == 200
    assert len(rt.sent) == 3  # w3 was never sent
    c.request("PUT", "/k", {"value": "2"}, timeout_ns=S, on_done=lambda r: done.append(("w4", r)))
    assert rt.sent[-1][2].method == "PUT"


def test_a_queued_write_keeps_what_is_left_of_its_deadline() -> None:
    rt, c, done = client()
    c.request("PUT", "/a", timeout_ns=10 * S, on_done=done.append)
    c.request("PUT", "/b", timeout_ns=3 * S, on_done=done.append)
    rt.t = 1 * S
    rt.reply("a", rt.sent[0][2])
    rt.advance(3 * S - 1)
    assert len(done) == 1
    rt.advance(3 * S)
    assert done[1] is None


@pytest.mark.parametrize(("status", "want"), [(200, True), (299, True), (300, False), (500, False)])
def test_membership_calls(status: int, want: bool) -> None:
    rt, c, _ = client()
    got: list = []
    c.add_member("d", got.append)
    c.remove_member("e", got.append, timeout_ns=S)
    add, rem = rt.sent[0][2], rt.sent[1][2]
    assert (add.op, add.node, rem.op, rem.node) == ("add", "d", "remove", "e")
    rt.reply("a", add, status=status)
    rt.advance(S)
    assert got == [want, False]
    rt2, c2, _ = client()
    c2.add_member("d", got.append)
    rt2.advance(3 * S - 1)
    assert len(got) == 2
    rt2.advance(3 * S)
    assert got[-1] is False


# ---- defaults, in plain nanoseconds (MS itself is a rule: 1 ms is 1_000_000 ns) ----

@pytest.mark.parametrize(("at_ns", "sent"), [(249_999_999, 1), (250_000_000, 2)])
def test_default_attempt_timeout_is_250_ms(at_ns: int, sent: int) -> None:
    rt = FakeRuntime()
    c = Client(rt, servers=["a", "b", "c"], client_id="c1", rng=random.Random(1))  # 3: no back-off yet
    c.request("GET", "/k", timeout_ns=10_000_000_000, on_done=lambda r: None)
    rt.advance(at_ns)
    assert len(rt.sent) == sent


@pytest.mark.parametrize("op", ["add_member", "remove_member"])
@pytest.mark.parametrize(("at_ns", "done"), [(2_999_999_999, []), (3_000_000_000, [False])])
def test_default_membership_timeout_is_3_s(op: str, at_ns: int, done: list) -> None:
    rt = FakeRuntime()
    c = Client(rt, servers=["a"], client_id="c1", rng=random.Random(1), attempt_ns=10_000_000_000)
    got: list = []
    getattr(c, op)("d", got.append)
    rt.advance(at_ns)
    assert got == done


def test_retry_elsewhere_waits_10_to_30_ms() -> None:
    rt = FakeRuntime()
    c = Client(rt, servers=["a", "b"], client_id="c1", rng=random.Random(1), attempt_ns=10_000_000_000)
    c.request("GET", "/k", timeout_ns=10_000_000_000, on_done=lambda r: None)
    rt.reply(rt.sent[0][1], rt.sent[0][2], status=STATUS_RETRY)
    rt.advance(9_999_999)
    assert len(rt.sent) == 1
    rt.advance(30_000_000)
    assert len(rt.sent) == 2 and 10_000_000 <= rt.sent[1][0] < 30_000_000


def test_a_reply_without_a_hint_keeps_the_leader_hint() -> None:
    rt, c, done = client()
    c.request("GET", "/k", timeout_ns=S, on_done=done.append)
    rt.reply(rt.sent[-1][1], rt.sent[-1][2], hint="c")
    c.request("GET", "/k", timeout_ns=S, on_done=done.append)
    rt.reply(rt.sent[-1][1], rt.sent[-1][2])  # no hint: "c" is still the leader we know
    c.request("GET", "/k", timeout_ns=S, on_done=done.append)
    assert [to for _, to, _ in rt.sent[1:]] == ["c", "c"] and c.leader_hint == "c"


def test_a_read_finishing_does_not_release_the_queued_write() -> None:
    rt, c, done = client()
    c.request("PUT", "/k", {"value": "1"}, timeout_ns=S, on_done=done.append)
    c.request("PUT", "/k", {"value": "2"}, timeout_ns=S, on_done=done.append)  # queued behind the first
    c.request("GET", "/k", timeout_ns=S, on_done=done.append)
    rt.reply(rt.sent[-1][1], rt.sent[-1][2])  # the read is answered
    assert [m.method for _, _, m in rt.sent] == ["PUT", "GET"]  # the second write still waits
    rt.reply(rt.sent[0][1], rt.sent[0][2])
    assert [m.method for _, _, m in rt.sent] == ["PUT", "GET", "PUT"]


def test_a_finished_op_leaves_no_timer_behind() -> None:
    rt, c, done = client()
    c.request("GET", "/k", timeout_ns=S, on_done=done.append)
    rt.reply(rt.sent[0][1], rt.sent[0][2], hint=rt.sent[0][1])
    rt.advance(2 * S)  # its attempt timer would retry (and drop the hint), its deadline would answer None
    assert len(rt.sent) == 1 and len(done) == 1 and c.leader_hint == rt.sent[0][1]


def test_retry_elsewhere_cancels_the_attempt_timer() -> None:
    rt, c, done = client()  # attempt_ns 100 ms
    c.request("GET", "/k", timeout_ns=S, on_done=done.append)
    rt.reply(rt.sent[0][1], rt.sent[0][2], status=STATUS_RETRY)
    rt.advance(100 * MS)  # the retry-elsewhere at 10..30 ms, its own timer at +100 ms; the first timer is gone
    assert len(rt.sent) == 2


def test_a_retry_drops_the_hint_only_when_it_went_to_the_hinted_member() -> None:
    rt, c, done = client()
    c.request("GET", "/k1", timeout_ns=S, on_done=done.append)  # round robin: no hint yet
    first = rt.sent[0][1]
    hinted = next(s for s in ["a", "b", "c"] if s != first)
    c.request("GET", "/k2", timeout_ns=S, on_done=done.append)
    rt.reply(rt.sent[1][1], rt.sent[1][2], hint=hinted)  # another op learns the leader
    rt.advance(100 * MS)  # /k1 was not answered by ``first``: retried at the hinted leader, hint kept
    assert (rt.sent[-1][1], rt.sent[-1][2].path, c.leader_hint) == (hinted, "/k1", hinted)


@pytest.mark.parametrize("op", ["add_member", "remove_member"])
@pytest.mark.parametrize(("status", "want"), [(200, True), (299, True), (300, False), (500, False)])
def test_membership_ok_is_a_2xx(op: str, status: int, want: bool) -> None:
    rt, c, done = client()
    getattr(c, op)("d", done.append)
    rt.reply(rt.sent[0][1], rt.sent[0][2], status=status)
    assert done == [want]


@pytest.mark.parametrize(("first_done_at", "second_sent"), [(S - 1, True), (S, False)])
def test_a_queued_write_is_sent_only_with_time_left(first_done_at: int, second_sent: bool) -> None:
    rt, c, done = client()
    c.request("PUT", "/k", {"value": "1"}, timeout_ns=10 * S, on_done=done.append)
    c.request("PUT", "/k", {"value": "2"}, timeout_ns=S, on_done=done.append)  # its deadline: S from now
    rt.t = first_done_at
    rt.reply(rt.sent[0][1], rt.sent[0][2])
    assert len(rt.sent) == 1 + second_sent
    assert done.count(None) == (0 if second_sent else 1)  # not sent: answered None (outcome unknown)


def test_retry_elsewhere_delay_is_10_ms_plus_a_draw_below_20_ms() -> None:
    for seed in range(1, 101):
        rng = random.Random(seed)
        rng.randrange(3)  # the client's first draw: where its round robin starts
        want = 10_000_000 + rng.randrange(20_000_000)
        rt, c, done = client(seed=seed)
        c.request("GET", "/k", timeout_ns=S, on_done=done.append)
        rt.reply(rt.sent[0][1], rt.sent[0][2], status=STATUS_RETRY)
        rt.advance(want - 1)
        assert len(rt.sent) == 1, seed
        rt.advance(want)
        assert len(rt.sent) == 2, seed
