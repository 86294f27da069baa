"""Recipe logic against a one-store fake cluster (tests/recipes/fake.py): fast, no Raft, no simpy."""

from __future__ import annotations

from typing import Any

import pytest

from kvraft.recipes import Barrier, ConfigWatch, Election, FairLock, KeepAlive, Lock, Queue, Registry

from .fake import MS, S, FakeWorld

T = 1000 * MS


class Box:
    """Collects on_done(ok, value) calls."""

    def __init__(self) -> None:
        self.calls: list[tuple[Any, Any]] = []

    def __call__(self, ok: Any, value: Any) -> None:
        self.calls.append((ok, value))

    @property
    def one(self) -> tuple[Any, Any]:
        assert len(self.calls) == 1, self.calls
        return self.calls[0]


def run(world: FakeWorld, ns: int = 100 * MS) -> None:
    world.run_for(ns)


# -- lock -----------------------------------------------------------------------------------------


def test_lock_second_acquire_waits_until_release_and_gets_larger_token() -> None:
    w = FakeWorld()
    a = Lock(w.client("a"), "/l", owner="a", ttl_s=5, timeout_ns=3 * S)
    b = Lock(w.client("b"), "/l", owner="b", ttl_s=5, timeout_ns=3 * S)
    ra, rb = Box(), Box()
    a.acquire(ra)
    run(w)
    assert ra.one[0] is True and a.is_held
    b.acquire(rb)
    run(w)
    assert rb.calls == []  # waiting on the watch
    rel = Box()
    a.release(rel)
    run(w)
    assert rel.one == (True, ra.one[1])
    assert rb.one[0] is True and rb.one[1] > ra.one[1]
    assert not a.is_held and b.is_held


def test_lock_try_acquire_fails_105_when_taken() -> None:
    w = FakeWorld()
    a = Lock(w.client("a"), "/l", owner="a", ttl_s=5, timeout_ns=T)
    b = Lock(w.client("b"), "/l", owner="b", ttl_s=5, timeout_ns=T)
    a.acquire(Box())
    run(w)
    rb = Box()
    b.try_acquire(rb)
    run(w)
    assert rb.one == (False, "105")


def test_lock_waiter_times_out_with_105() -> None:
    w = FakeWorld()
    a = Lock(w.client("a"), "/l", owner="a", ttl_s=10, timeout_ns=T)
    b = Lock(w.client("b"), "/l", owner="b", ttl_s=10, timeout_ns=T)
    a.acquire(Box())
    run(w)
    rb = Box()
    b.acquire(rb)
    run(w, 2 * S)
    assert rb.one == (False, "105")


def test_lock_refresh_keeps_it_past_ttl_and_waiter_gets_it_after_expiry() -> None:
    w = FakeWorld()
    a = Lock(w.client("a"), "/l", owner="a", ttl_s=1, timeout_ns=T)
    b = Lock(w.client("b"), "/l", owner="b", ttl_s=1, timeout_ns=10 * S)
    a.acquire(Box())
    run(w)
    rb = Box()
    b.acquire(rb)
    for _ in range(4):  # 2 s of refreshes every 0.5 s
        r = Box()
        a.refresh(r)
        run(w, 500 * MS)
        assert r.one[0] is True
    assert rb.calls == []
    run(w, 2 * S)  # a stops refreshing: the key expires, b wakes on the expire event
    assert rb.one[0] is True and b.is_held


def test_lock_paused_holder_still_believes_it_holds_and_tokens_increase() -> None:
    """The documented limit: a holder paused past its TTL; the fencing token tells them apart."""
    w = FakeWorld()
    ca = w.client("a")
    a = Lock(ca, "/l", owner="a", ttl_s=1, timeout_ns=T)
    b = Lock(w.client("b"), "/l", owner="b", ttl_s=5, timeout_ns=5 * S)
    ra, rb = Box(), Box()
    a.acquire(ra)
    run(w)
    ca.rt.paused = True
    b.acquire(rb)
    run(w, 3 * S)
    ca.rt.resume()
    assert a.is_held and b.is_held  # both believe it
    assert rb.one[1] > ra.one[1]  # fencing tokens increase
    r = Box()
    a.refresh(r)  # the next refresh tells a the truth
    run(w)
    assert r.one == (False, "101") and not a.is_held


def test_lock_release_after_unknown_refresh_rechecks_and_deletes() -> None:
    w = FakeWorld()
    ca = w.client("a")
    a = Lock(ca, "/l", owner="a", ttl_s=5, timeout_ns=T)
    a.acquire(Box())
    run(w)
    r = Box()
    a.refresh(r, timeout_ns=1)  # times out, but the server applies it: modifiedIndex moves
    run(w)
    assert r.one == (None, "timeout")
    rel = Box()
    a.release(rel)
    run(w)
    assert rel.one[0] is True
    assert w.store.index == 3  # create, refresh, compareAndDelete
    assert "GET /v2/keys/l?quorum=true" in ca.sent  # the first compareAndDelete missed: recheck


def test_lock_release_of_someone_elses_lock_fails() -> None:
    w = FakeWorld()
    a = Lock(w.client("a"), "/l", owner="a", ttl_s=1, timeout_ns=T)
    b = Lock(w.client("b"), "/l", owner="b", ttl_s=5, timeout_ns=5 * S)
    a.acquire(Box())
    run(w, 2 * S)  # expires
    b.acquire(Box())
    run(w)
    rel = Box()
    a.release(rel)
    run(w)
    assert rel.one == (False, "101")
    assert b.is_held


# -- fair lock ------------------------------------------------------------------------------------


def test_fair_lock_serves_in_ticket_order() -> None:
    w = FakeWorld()
    locks = [FairLock(w.client(f"c{i}"), "/fl", owner=f"c{i}", ttl_s=3, timeout_ns=20 * S) for i in range(3)]
    boxes = [Box() for _ in locks]
    order: list[int] = []
    for i, (lk, bx) in enumerate(zip(locks, boxes)):
        lk.acquire(lambda ok, v, i=i, bx=bx: (order.append(i), bx(ok, v)))
        run(w, 10 * MS)
    run(w)
    assert order == [0]
    for i in range(2):
        locks[i].release(Box())
        run(w, 200 * MS)
        assert order == list(range(i + 2))
    tokens = [bx.one[1] for bx in boxes]
    assert tokens == sorted(tokens)


def test_fair_lock_waiter_keeps_its_ticket_alive_past_ttl() -> None:
    w = FakeWorld()
    a = FairLock(w.client("a"), "/fl", owner="a", ttl_s=1, timeout_ns=20 * S)
    b = FairLock(w.client("b"), "/fl", owner="b", ttl_s=1, timeout_ns=20 * S)
    a.acquire(Box())
    run(w)
    rb = Box()
    b.acquire(rb)
    for _ in range(6):
        a.refresh(Box())
        run(w, 400 * MS)
    assert rb.calls == [] and b.ticket is not None
    a.release(Box())
    run(w, 500 * MS)
    assert rb.one[0] is True


def test_fair_lock_gives_up_and_deletes_its_ticket() -> None:
    w = FakeWorld()
    a = FairLock(w.client("a"), "/fl", owner="a", ttl_s=5, timeout_ns=T)
    b = FairLock(w.client("b"), "/fl", owner="b", ttl_s=5, timeout_ns=T)
    a.acquire(Box())
    run(w)
    rb = Box()
    b.acquire(rb)
    run(w, 2 * S)
    assert rb.one == (False, "105")
    left = Box()
    Queue(w.client("x"), "/fl", timeout_ns=T).items(left)
    run(w)
    assert [i["value"] for i in left.one[1]] == ["a"]


# -- queue ----------------------------------------------------------------------------------------


def test_queue_fifo_and_empty() -> None:
    w = FakeWorld()
    q = Queue(w.client("p"), "/q", timeout_ns=T)
    for v in ("a", "b", "c"):
        q.enqueue(v, Box())
        run(w, 10 * MS)
    got = []
    for _ in range(4):
        r = Box()
        q.dequeue(r)
        run(w)
        got.append(r.one)
    assert got == [(True, "a"), (True, "b"), (True, "c"), (False, "empty")]


def test_queue_concurrent_consumers_claim_each_item_once() -> None:
    w = FakeWorld()
    prod = Queue(w.client("p"), "/q", timeout_ns=T)
    for i in range(20):
        prod.enqueue(f"i{i}", Box())
    run(w)
    consumers = [Queue(w.client(f"c{i}"), "/q", timeout_ns=T) for i in range(4)]
    got: list[str] = []

    def loop(q: Queue) -> None:
        def done(ok: Any, v: Any) -> None:
            if ok:
                got.append(v)
                loop(q)

        q.dequeue(done)

    for q in consumers:
        loop(q)
    run(w, 2 * S)
    assert sorted(got) == sorted(f"i{i}" for i in range(20))
    assert any(q.claim_attempts > 1 for q in consumers) or len(got) == 20


# -- election -------------------------------------------------------------------------------------


def test_election_one_leader_then_successor_after_resign() -> None:
    w = FakeWorld()
    es = [Election(w.client(f"n{i}"), "/e", candidate=f"n{i}", ttl_s=2, timeout_ns=5 * S) for i in range(3)]
    boxes = [Box() for _ in es]
    for e, b in zip(es, boxes):
        e.campaign(b)
    run(w)
    leaders = [e for e in es if e.is_leader]
    assert len(leaders) == 1
    lead = leaders[0]
    who = Box()
    lead.leader(who)
    run(w)
    assert who.one == (True, lead.candidate)
    lead.resign(Box())
    run(w)
    assert sum(e.is_leader for e in es) == 1 and not lead.is_leader


def test_election_keepalive_holds_and_loss_is_reported() -> None:
    w = FakeWorld()
    a = Election(w.client("a"), "/e", candidate="a", ttl_s=1, timeout_ns=T)
    b = Election(w.client("b"), "/e", candidate="b", ttl_s=1, timeout_ns=10 * S)
    a.campaign(Box())
    run(w)
    lost: list[Any] = []
    a.keepalive(300 * MS, on_lost=lost.append)
    rb = Box()
    b.campaign(rb)
    run(w, 3 * S)
    assert a.is_leader and rb.calls == []
    w.raft_index += 1
    w.store.apply({"op": "sync", "now_ns": w.t + 10 * S}, w.raft_index)  # the key expires under a's feet
    run(w, 1 * S)
    assert lost and not a.is_leader
    assert rb.one[0] is True and b.is_leader


# -- registry -------------------------------------------------------------------------------------


def test_registry_register_heartbeat_lookup_deregister() -> None:
    w = FakeWorld()
    r = Registry(w.client("s"), timeout_ns=T)
    steps: list[tuple[Any, Any]] = []
    r.register("/svc/a", "10.0.0.1", 1, lambda ok, v: steps.append(("reg", ok)))
    run(w)
    for _ in range(4):
        r.heartbeat("/svc/a", 1, lambda ok, v: steps.append(("hb", ok)))
        run(w, 500 * MS)
    look = Box()
    r.lookup("/svc/a", look)
    run(w)
    assert look.one == (True, "10.0.0.1")
    inst = Box()
    r.instances("/svc", inst)
    run(w)
    assert inst.one == (True, {"/svc/a": "10.0.0.1"})
    run(w, 2 * S)
    hb, look2 = Box(), Box()
    r.heartbeat("/svc/a", 1, hb)
    r.lookup("/svc/a", look2)
    run(w)
    assert hb.one == (False, "100") and look2.one == (True, None)
    assert all(ok for _, ok in steps)


def test_keepalive_keeps_key_and_reregisters_after_expiry() -> None:
    w = FakeWorld()
    c = w.client("s")
    r = Registry(c, timeout_ns=T)
    events: list[tuple[str, Any]] = []
    ka = KeepAlive(r, "/svc/a", "addr", ttl_s=1, interval_ns=300 * MS, on_event=lambda k, ok, v: events.append((k, ok)))
    ka.start()
    run(w, 3 * S)
    assert ka.registrations == 1 and ka.beats >= 8
    c.rt.paused = True
    run(w, 2 * S)
    look = Box()
    Registry(w.client("o"), timeout_ns=T).lookup("/svc/a", look)
    run(w)
    assert look.one == (True, None)  # expired while paused
    c.rt.resume()
    run(w, 1 * S)
    assert ka.registrations == 2 and ("heartbeat", False) in events
    stopped = Box()
    ka.stop(stopped, deregister=True)
    run(w)
    assert stopped.one[0] is True
    look = Box()
    r.lookup("/svc/a", look)
    run(w)
    assert look.one == (True, None)


# -- config watch ---------------------------------------------------------------------------------


def test_config_watch_sees_every_change_in_order() -> None:
    w = FakeWorld()
    writer = w.client("w")
    seen: list[Any] = []
    resets: list[Any] = []
    cw = ConfigWatch(w.client("r"), "/cfg", recursive=True, on_change=lambda e: seen.append((e["key"], e["value"])),
                     on_reset=lambda n, i: resets.append(i), poll_ns=200 * MS)
    cw.start()
    run(w)
    for i in range(5):
        writer.request("PUT", f"/v2/keys/cfg/k{i % 2}", {"value": str(i)}, timeout_ns=T, on_done=lambda r: None)
        run(w, 300 * MS)
    assert seen == [(f"/cfg/k{i % 2}", str(i)) for i in range(5)]
    assert len(resets) == 1 and cw.cleared == 0


def test_config_watch_recovers_from_401_with_a_fresh_read() -> None:
    w = FakeWorld()
    writer = w.client("w")
    for i in range(1100):  # push index 1 out of the 1000-event window
        writer.request("PUT", "/v2/keys/other", {"value": str(i)}, timeout_ns=T, on_done=lambda r: None)
    writer.request("PUT", "/v2/keys/cfg", {"value": "v1"}, timeout_ns=T, on_done=lambda r: None)
    run(w)
    seen: list[Any] = []
    resets: list[tuple[Any, int]] = []
    cw = ConfigWatch(w.client("r"), "/cfg", on_change=lambda e: seen.append(e["value"]),
                     on_reset=lambda n, i: resets.append(((n or {}).get("value"), i)), poll_ns=200 * MS)
    cw.start(after_index=0)
    run(w)
    assert cw.cleared == 1 and resets == [("v1", w.store.index)]
    writer.request("PUT", "/v2/keys/cfg", {"value": "v2"}, timeout_ns=T, on_done=lambda r: None)
    run(w)
    assert seen == ["v2"]


# -- barrier --------------------------------------------------------------------------------------


def test_barrier_big_task_starts_at_n() -> None:
    w = FakeWorld()
    big = Barrier(w.client("big"), "/b", n=3, timeout_ns=10 * S, poll_ns=300 * MS)
    started = Box()
    big.wait(started)
    smalls = [Barrier(w.client(f"s{i}"), "/b", n=3, timeout_ns=T) for i in range(4)]
    for i, s in enumerate(smalls[:2]):
        s.ready(f"s{i}", Box())
        run(w, 200 * MS)
    assert started.calls == []
    smalls[2].ready("s2", Box())
    run(w, 200 * MS)
    assert started.one == (True, ["s0", "s1", "s2"])
    reset = Box()
    big.reset(reset)
    run(w)
    cnt = Box()
    big.count(cnt)
    run(w)
    assert reset.one[0] is True and cnt.one == (True, [])


def test_barrier_wait_times_out_not_ready() -> None:
    w = FakeWorld()
    big = Barrier(w.client("big"), "/b", n=2, timeout_ns=T, poll_ns=300 * MS)
    Barrier(w.client("s"), "/b", n=2, timeout_ns=T).ready("s0", Box())
    r = Box()
    big.wait(r)
    run(w, 2 * S)
    assert r.one == (False, "not-ready")


@pytest.mark.parametrize("bad", [0, -1])
def test_lock_rejects_bad_ttl(bad: int) -> None:
    w = FakeWorld()
    with pytest.raises(ValueError):
        Lock(w.client("a"), "/l", owner="a", ttl_s=bad, timeout_ns=T)
