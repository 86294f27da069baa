"""Recipes on the simulated cluster (scenarios.runner.Cluster: five kvraft members, Raft, simulated network).

Each test drives recipe objects from sim callbacks, records what the clients saw at true virtual
time, and asserts the recipe's promise (or, for the lease lock, its documented limit).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from kvraft.recipes import ConfigWatch, Election, KeepAlive, Lock, Queue, Registry
from scenarios.runner import Cluster
from scenarios.spec import Scenario
from sim import faults as F

MS = 1_000_000
S = 1_000_000_000


def cluster(seed: int = 1, clients: int = 4, **over: Any) -> Cluster:
    scen = Scenario.create("steady", {"clients": clients, "trace_messages": False, **over})
    c = Cluster(scen, seed)
    c.world.start()
    c.world.run(1 * S)  # elect a leader
    assert c.leader() is not None
    return c


def soon(c: Cluster, fn: Callable[[], None], delay_ns: int = 0) -> None:
    """Run ``fn`` inside the simulation (as a callback would), ``delay_ns`` from now."""
    c.world.call_later(delay_ns, fn)


def now(c: Cluster) -> int:
    return c.world.now_ns


# -- lock -----------------------------------------------------------------------------------------


def test_lock_holders_never_overlap_without_faults() -> None:
    c = cluster(seed=3)
    holds: list[tuple[int, int, int, str]] = []  # (acquired, release invoked, token, who)
    tokens: list[int] = []

    def loop(lock: Lock, hold_ns: int, stop_ns: int) -> None:
        if now(c) >= stop_ns:
            return

        def acquired(ok: Any, token: Any) -> None:
            if not ok:
                soon(c, lambda: loop(lock, hold_ns, stop_ns), 5 * MS)
                return
            t0 = now(c)
            tokens.append(token)

            def release() -> None:
                holds.append((t0, now(c), token, lock.owner))
                lock.release(lambda ok, v: soon(c, lambda: loop(lock, hold_ns, stop_ns), 3 * MS))

            soon(c, release, hold_ns)

        lock.acquire(acquired)

    locks = [Lock(c.client(f"c{i}", f"c{i}"), "/locks/a", owner=f"c{i}", ttl_s=2, timeout_ns=2 * S) for i in range(3)]
    stop = now(c) + 4 * S
    for i, lk in enumerate(locks):
        soon(c, lambda lk=lk, i=i: loop(lk, (30 + 20 * i) * MS, stop))
    c.world.run(now(c) + 6 * S)
    assert len(holds) >= 20
    assert {h[3] for h in holds} == {"c0", "c1", "c2"}  # everyone got a turn
    holds.sort()
    for a, b in zip(holds, holds[1:]):
        assert a[1] <= b[0], f"overlap: {a} and {b}"
    assert tokens == sorted(tokens) and len(set(tokens)) == len(tokens)


def test_lock_holder_paused_past_ttl_shows_the_known_limit() -> None:
    """Two clients both believe they hold the lock; the fencing tokens still increase."""
    c = cluster(seed=4)
    a = Lock(c.client("c0", "c0"), "/locks/b", owner="c0", ttl_s=1, timeout_ns=1 * S)
    b = Lock(c.client("c1", "c1"), "/locks/b", owner="c1", ttl_s=10, timeout_ns=5 * S)
    got: dict[str, Any] = {}
    soon(c, lambda: a.acquire(lambda ok, v: got.update(a=(ok, v, now(c)))))
    c.world.run(now(c) + 100 * MS)
    assert got["a"][0] is True
    c.world.apply(F.Pause(node="c0"))  # the holder freezes (GC pause, SIGSTOP) past its TTL
    soon(c, lambda: b.acquire(lambda ok, v: got.update(b=(ok, v, now(c)))))
    c.world.run(now(c) + 3 * S)
    c.world.apply(F.Resume(node="c0"))
    c.world.run(now(c) + 10 * MS)
    assert got["b"][0] is True
    assert got["b"][2] - got["a"][2] >= 1 * S  # b got it only after a's lease ran out on the server
    assert a.is_held and b.is_held  # the limit: both believe they hold it
    assert got["b"][1] > got["a"][1]  # the fencing token tells them apart
    soon(c, lambda: a.refresh(lambda ok, v: got.update(refresh=(ok, v))))
    c.world.run(now(c) + 200 * MS)
    assert got["refresh"] == (False, "101") and not a.is_held and b.is_held


# -- queue ----------------------------------------------------------------------------------------


def test_queue_nothing_lost_nothing_claimed_twice() -> None:
    c = cluster(seed=5, clients=5)
    enq_ok: list[str] = []
    deq: list[str] = []
    unknown: list[str] = []

    def produce(q: Queue, name: str, n: int) -> None:
        if n == 30:
            return

        def done(ok: Any, v: Any) -> None:
            (enq_ok if ok else unknown).append(f"{name}.{n}")
            soon(c, lambda: produce(q, name, n + 1), 7 * MS)

        q.enqueue(f"{name}.{n}", done)

    def consume(q: Queue, stop_ns: int) -> None:
        def done(ok: Any, v: Any) -> None:
            if ok:
                deq.append(v)
            elif ok is None:
                unknown.append(v)
            if now(c) < stop_ns or ok:
                soon(c, lambda: consume(q, stop_ns), 5 * MS)

        q.dequeue(done)

    stop = now(c) + 3 * S
    for i in range(2):
        q = Queue(c.client(f"c{i}", f"c{i}"), "/jobs", timeout_ns=1 * S)
        soon(c, lambda q=q, i=i: produce(q, f"p{i}", 0))
    for i in range(2, 5):
        q = Queue(c.client(f"c{i}", f"c{i}"), "/jobs", timeout_ns=1 * S)
        soon(c, lambda q=q: consume(q, stop))
    c.world.run(now(c) + 5 * S)
    assert unknown == []
    assert len(enq_ok) == 60
    assert len(deq) == len(set(deq)), "an item was claimed twice"
    assert sorted(deq) == sorted(enq_ok), "an item was lost or invented"


def test_queue_with_leader_crashes_claims_nothing_twice_and_unknowns_explain_any_loss() -> None:
    c = cluster(seed=9, clients=4)
    enq: dict[str, bool | None] = {}
    deq: list[str] = []
    unknown_claims = [0]

    def produce(q: Queue, name: str, n: int) -> None:
        if n < 40:
            q.enqueue(f"{name}.{n}", lambda ok, v: (enq.__setitem__(f"{name}.{n}", ok),
                                                     soon(c, lambda: produce(q, name, n + 1), 20 * MS)))

    def consume(q: Queue, stop_ns: int) -> None:
        def done(ok: Any, v: Any) -> None:
            if ok:
                deq.append(v)
            elif ok is None:
                unknown_claims[0] += 1
            if now(c) < stop_ns or ok or v != "empty":
                soon(c, lambda: consume(q, stop_ns), 10 * MS)

        q.dequeue(done)

    t0 = now(c)
    for i in range(2):
        q = Queue(c.client(f"c{i}", f"c{i}"), "/jobs", timeout_ns=1 * S)
        soon(c, lambda q=q, i=i: produce(q, f"p{i}", 0))
    for i in range(2, 4):
        q = Queue(c.client(f"c{i}", f"c{i}"), "/jobs", timeout_ns=1 * S)
        soon(c, lambda q=q: consume(q, t0 + 5 * S))
    for k in range(3):  # crash whoever leads, restart it 0.7 s later
        c.world.run(t0 + (k + 1) * S)
        lead = c.leader()
        if lead is not None:
            c.world.apply(F.Crash(node=lead, lose_unsynced=True))
            c.world.schedule(now(c) + 700 * MS, lambda n=lead: c.world.apply(F.Restart(node=n)))
    c.world.run(t0 + 9 * S)
    assert len(deq) == len(set(deq)), "an item was claimed twice"
    acked = {k for k, ok in enq.items() if ok}
    assert set(deq) <= set(enq), "an item was invented"
    assert len(acked - set(deq)) <= unknown_claims[0], "acknowledged items lost"
    assert len(deq) >= 60


# -- election -------------------------------------------------------------------------------------


def test_election_at_most_one_leader_at_a_time() -> None:
    c = cluster(seed=6)
    es = [Election(c.client(f"c{i}", f"c{i}"), "/election/x", candidate=f"c{i}", ttl_s=1, timeout_ns=3 * S)
          for i in range(4)]
    terms: list[tuple[int, str]] = []
    max_leaders = [0]

    def run_for_office(e: Election, stop_ns: int) -> None:
        if now(c) >= stop_ns:
            return

        def elected(ok: Any, token: Any) -> None:
            if not ok:
                soon(c, lambda: run_for_office(e, stop_ns), 10 * MS)
                return
            terms.append((token, e.candidate))
            e.keepalive(300 * MS)
            # lead for 1.5 s (past the 1 s TTL: only the keep-alive keeps it), then step down
            soon(c, lambda: e.resign(lambda ok, v: soon(c, lambda: run_for_office(e, stop_ns), 50 * MS)), 1500 * MS)

        e.campaign(elected)

    def probe() -> None:
        max_leaders[0] = max(max_leaders[0], sum(e.is_leader for e in es))
        soon(c, probe, 5 * MS)

    stop = now(c) + 6 * S
    for e in es:
        soon(c, lambda e=e: run_for_office(e, stop))
    soon(c, probe)
    c.world.run(now(c) + 8 * S)
    assert max_leaders[0] == 1
    assert len(terms) >= 3
    assert [t for t, _ in terms] == sorted(t for t, _ in terms)
    assert len({who for _, who in terms}) >= 2


# -- registry -------------------------------------------------------------------------------------


def test_registry_key_stays_while_heartbeats_flow_and_expires_after_they_stop() -> None:
    c = cluster(seed=7)
    reg = Registry(c.client("c0", "c0"), timeout_ns=1 * S)
    ka = KeepAlive(reg, "/svc/api/i1", "10.0.0.1:80", ttl_s=1, interval_ns=300 * MS)
    observer = Registry(c.client("c1", "c1"), timeout_ns=1 * S)
    seen: list[tuple[int, Any]] = []

    def look(until_ns: int) -> None:
        if now(c) < until_ns:
            observer.lookup("/svc/api/i1", lambda ok, v: (seen.append((now(c), v)), soon(c, lambda: look(until_ns), 100 * MS)))

    soon(c, ka.start)
    c.world.run(now(c) + 200 * MS)
    t0 = now(c)
    soon(c, lambda: look(t0 + 4 * S))
    c.world.run(t0 + 4 * S)
    assert len(seen) >= 30 and all(v == "10.0.0.1:80" for _, v in seen)  # 4 TTLs, never gone
    assert ka.beats >= 10
    seen.clear()
    t1 = now(c)
    soon(c, lambda: ka.stop())
    soon(c, lambda: look(t1 + 3 * S))
    c.world.run(t1 + 3 * S)
    present = [t for t, v in seen if v is not None]
    absent = [t for t, v in seen if v is None]
    assert present and absent and max(present) < min(absent)  # there until it expires, then gone
    assert min(absent) - t1 <= 2 * S  # TTL 1 s + the leader's 0.5 s expiry tick + commit
    assert max(present) - t1 >= 600 * MS  # not before the TTL of the last heartbeat


# -- config watch ---------------------------------------------------------------------------------


def test_config_watch_sees_every_change_in_order_on_the_cluster() -> None:
    c = cluster(seed=8)
    writer = c.client("c0", "c0")
    seen: list[tuple[str, str]] = []
    cw = ConfigWatch(c.client("c1", "c1"), "/cfg", recursive=True, on_change=lambda e: seen.append((e["key"], e["value"])),
                     poll_ns=500 * MS)
    soon(c, cw.start)
    c.world.run(now(c) + 100 * MS)
    want = [(f"/cfg/k{i % 3}", str(i)) for i in range(15)]

    def write(i: int) -> None:
        if i < len(want):
            writer.request("PUT", "/v2/keys" + want[i][0], {"value": want[i][1]}, timeout_ns=1 * S,
                           on_done=lambda r: soon(c, lambda: write(i + 1), 40 * MS))

    soon(c, lambda: write(0))
    c.world.run(now(c) + 3 * S)
    cw.stop()
    assert seen == want


# -- workloads ------------------------------------------------------------------------------------


@pytest.mark.parametrize("workload", ["lock", "election", "queue", "registry"])
def test_recipe_workload_passes_its_checkers_without_faults(workload: str, tmp_path: Any) -> None:
    from checkers.result import Verdict
    from checkers.run import check_run
    from scenarios.runner import run

    scen = Scenario.create("steady", {"workload": workload, "clients": 4, "duration_s": 2.0, "recover_s": 1.0,
                                      "trace_messages": False})
    rd = run(scen, 1, tmp_path / workload)
    verdict, results = check_run(rd.root)
    by = {r.checker: r for r in results}
    assert verdict is Verdict.OK, [(r.checker, r.summary) for r in results if r.verdict is not Verdict.OK]
    judged = {"lock": "lock", "election": "lock", "queue": "queue", "registry": "ttl"}[workload]
    assert not by[judged].details.get("skipped"), by[judged].summary


@pytest.mark.parametrize("name", ["lock-pause-holder", "queue-crash", "ttl-skew"])
def test_recipe_scenario_trace_is_deterministic(name: str) -> None:
    from scenarios.runner import trace_lines

    scen = Scenario.create(name, {"duration_s": 2.5, "recover_s": 1.0})
    assert trace_lines(scen, 7)[0] == trace_lines(scen, 7)[0]
