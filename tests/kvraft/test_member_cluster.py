"""kvraft members + client on a simulated 3-node cluster (spec.md §2, §3, §10, §11; samples H25..H33).

Each test builds a small cluster (tests/kvraft/kvcluster.py) with a fixed seed, drives requests
through ``kvraft.client.Client`` and the sim world, and asserts what the client saw and what every
member's replicated store holds (byte-identical snapshots after quiescence = state-machine equality).
"""

from __future__ import annotations

from kvcluster import MS, S, KvCluster

from sim import faults as F


# A fresh 3-member cluster has taken 7 etcd indexes before its first client write, as etcd's (samples S01):
# 3 member records, 3 publishes, the cluster version (kvraft/store/membership.py). A restart publishes again.
B = 7


def headers(call) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return dict(call.reply.headers)


# -- writes, headers, forwarding ------------------------------------------------------------------


def test_write_through_follower_answers_like_the_leader() -> None:
    k = KvCluster(seed=11)
    lead = k.leader()
    follower = sorted(k.members - {lead})[0]
    via_leader = k.put("/a", "1", client=k.client("cl", servers=[lead]))
    via_follower = k.call("PUT", "/b", {"value": "2"}, client=k.client("cf", servers=[follower]))
    assert via_follower.reply.frm == follower
    assert via_leader.reply.frm == lead
    assert via_follower.status == via_leader.status == 201
    a, b = via_leader.json(), via_follower.json()
    assert a.keys() == b.keys() == {"action", "node"}
    assert (a["action"], b["action"]) == ("set", "set")
    assert b["node"] == {"key": "/b", "value": "2", "modifiedIndex": a["node"]["modifiedIndex"] + 1,
                         "createdIndex": a["node"]["modifiedIndex"] + 1}
    for call, idx in ((via_leader, a["node"]["modifiedIndex"]), (via_follower, b["node"]["modifiedIndex"])):
        h = headers(call)
        assert list(h) == ["Content-Type", "X-Etcd-Index", "X-Raft-Index", "X-Raft-Term"]
        assert int(h["X-Etcd-Index"]) == idx
        assert int(h["X-Raft-Term"]) == k.servers[lead].term
        # The raft log holds the leader's empty entry and the /0 writes, the initial members' records in one
        # entry (etcd: a conf change each), so here the etcd index runs ahead of it.
        assert 0 < int(h["X-Raft-Index"]) < idx
    # A follower's answer is sent once *it* applied the write.
    assert int(headers(via_follower)["X-Raft-Index"]) <= k.servers[follower].server.applied_index


def test_update_on_follower_keeps_created_index_and_reports_prev_node() -> None:
    k = KvCluster(seed=12)
    lead = k.leader()
    follower = sorted(k.members - {lead})[1]
    cf = k.client("cf", servers=[follower])
    first = k.put("/k", "v1", client=cf).json()["node"]
    upd = k.call("PUT", "/k", {"value": "v2", "prevExist": "true"}, client=cf)
    assert upd.status == 200
    body = upd.json()
    assert body["action"] == "update"
    assert body["node"]["createdIndex"] == first["createdIndex"]
    assert body["node"]["modifiedIndex"] == first["modifiedIndex"] + 1
    assert body["prevNode"] == first
    cas_fail = k.call("PUT", "/k", {"value": "v3", "prevValue": "nope"}, client=cf)
    assert cas_fail.status == 412 and cas_fail.json()["errorCode"] == 101
    # A failed compare does not advance the etcd index (spec §2).
    assert int(headers(cas_fail)["X-Etcd-Index"]) == body["node"]["modifiedIndex"]


def test_default_get_on_follower_reads_its_applied_store() -> None:
    k = KvCluster(seed=13)
    k.put("/g", "x")
    k.converge()
    for node in sorted(k.members):
        r = k.call("GET", "/g", client=k.client(f"r{node}", servers=[node]))
        assert r.reply.frm == node and r.status == 200
        assert r.json()["node"]["value"] == "x"
        assert int(headers(r)["X-Etcd-Index"]) == k.index(node)
        assert int(headers(r)["X-Raft-Index"]) == k.servers[node].server.applied_index
    missing = k.call("GET", "/nodir/x")
    assert missing.status == 404
    assert missing.json() == {"errorCode": 100, "message": "Key not found", "cause": "/nodir",
                              "index": k.index(missing.reply.frm)}


def test_members_converge_to_identical_stores_after_writes_from_many_clients() -> None:
    k = KvCluster(seed=14, clients=3, snapshot_entries=25)
    calls = []
    for i in range(20):
        for j, host in enumerate(k.client_hosts):
            cl = k.clients[host]
            calls.append(k.send("PUT", f"/d/k{(i + j) % 7}", {"value": f"{host}-{i}"}, client=cl))
    k.run_until(lambda: all(c.done for c in calls), 10 * S)
    assert all(c.status in (200, 201) for c in calls)
    idx = sorted(c.json()["node"]["modifiedIndex"] for c in calls)
    assert idx == list(range(idx[0], idx[0] + 60))  # each write took exactly the next etcd index
    snaps = k.converge()
    assert len(set(snaps.values())) == 1
    assert {k.index(n) for n in k.members} == {idx[-1]}
    assert all(k.servers[n].server._snap_index > 0 for n in k.members)  # snapshots were taken


# -- quorum loss (H25..H27) -----------------------------------------------------------------------

TIMED_OUT_BODY = {"errorCode": 300, "message": "Raft Internal Error", "cause": "etcdserver: request timed out",
                  "index": 0}


def test_minority_member_serves_stale_default_get_and_times_out_quorum_get() -> None:
    k = KvCluster(seed=21, election_ticks=30, request_timeout_ns=200 * MS)
    lead = k.leader()
    minority = sorted(k.members - {lead})[0]
    majority = tuple(sorted(k.members - {minority}))
    k.put("/h/q", "old")
    k.converge()
    old_index = k.index(minority)
    on_minority = k.client("m", servers=[minority])
    k.apply(F.Partition(groups=(majority, (minority,))))
    # H26: a quorum read needs the leader's confirmation: 500/300 after the member's request timeout.
    q = k.call("GET", "/h/q", {"quorum": "true"}, client=on_minority, timeout_ns=2 * S)
    assert q.reply is not None and q.reply.frm == minority
    assert q.status == 500 and q.json() == TIMED_OUT_BODY
    assert headers(q)["X-Etcd-Index"] == "0" and "X-Raft-Index" not in headers(q)
    assert 200 * MS <= q.done_at_ns - q.sent_at_ns < 250 * MS
    # The majority moves on.
    new = k.call("PUT", "/h/q", {"value": "new"}, client=k.client("maj", servers=list(majority)))
    assert new.status == 200 and new.reply.frm in majority
    # H27: a default read on the minority still answers, from its (now stale) store.
    stale = k.call("GET", "/h/q", client=on_minority)
    assert stale.status == 200 and stale.reply.frm == minority
    assert stale.json()["node"]["value"] == "old"
    assert int(headers(stale)["X-Etcd-Index"]) == old_index < new.json()["node"]["modifiedIndex"]
    # A quorum read on the majority sees the new value.
    fresh = k.call("GET", "/h/q", {"quorum": "true"}, client=k.client("majq", servers=list(majority)))
    assert fresh.status == 200 and fresh.json()["node"]["value"] == "new"
    # After healing the minority catches up.
    k.apply(F.Heal())
    k.converge()
    assert k.call("GET", "/h/q", client=on_minority).json()["node"]["value"] == "new"


def test_write_without_quorum_times_out_then_applies_once_quorum_returns() -> None:
    k = KvCluster(seed=22, election_ticks=30, request_timeout_ns=300 * MS)
    lead = k.leader()
    f1, f2 = sorted(k.members - {lead})
    k.put("/h/q", "trigger")
    k.converge()
    before = k.index(lead)
    k.apply(F.Crash(node=f1))
    k.apply(F.Crash(node=f2))
    on_leader = k.client("old-leader", servers=[lead])
    # H25: the write is proposed, but cannot commit: 500/300 "request timed out", index 0.
    w = k.call("PUT", "/nq", {"value": "x"}, client=on_leader, timeout_ns=2 * S)
    assert w.reply is not None and w.reply.frm == lead
    assert w.status == 500 and w.json() == TIMED_OUT_BODY
    assert headers(w)["X-Etcd-Index"] == "0"
    assert 300 * MS <= w.done_at_ns - w.sent_at_ns < 350 * MS
    q = k.call("GET", "/h/q", {"quorum": "true"}, client=on_leader, timeout_ns=2 * S)
    assert q.status in (500, None)  # 300 while it still leads; unknown once it stepped down (no leader)
    # H27: the default read still answers.
    local = k.call("GET", "/h/q", client=on_leader)
    assert local.status == 200 and int(headers(local)["X-Etcd-Index"]) == before
    assert k.index(lead) == before
    # H31: bring back one follower: only the old leader's longer log can win, and it commits the write.
    k.apply(F.Restart(node=f1))
    k.wait_leader(among={lead})
    k.apply(F.Restart(node=f2))
    snaps = k.converge()
    assert len(snaps) == 3
    events = k.history_events(lead, "/nq")
    assert [(e.action, e.node.value, e.index) for e in events] == [("set", "x", before + 1)]
    assert k.call("GET", "/nq", {"quorum": "true"}).json()["node"]["value"] == "x"


# -- client retries and de-duplication -------------------------------------------------------------


def _set_events(k: KvCluster, key: str) -> list[tuple[str, str | None, int]]:
    out = {n: [(e.action, e.node.value, e.index) for e in k.history_events(n, key)] for n in sorted(k.members)}
    assert len({tuple(v) for v in out.values()}) == 1, out
    return next(iter(out.values()))


def test_retry_after_lost_replies_is_applied_once_and_answered_the_same() -> None:
    k = KvCluster(seed=31)
    d = k.client("d")
    k.apply(F.LinkFaults(loss=1.0, dst="h-d"))  # every answer to d is lost: d retries on other members
    w = k.send("PUT", "/dup", {"value": "v"}, client=d, timeout_ns=8 * S)
    k.run_for(1500 * MS)
    assert not w.done
    assert max(p.tries for p in d._pending.values()) >= 3  # it was sent again, to other members
    assert k.index(k.leader()) == B + 1  # applied, once, though sent to several members
    k.apply(F.LinkFaults(loss=0.0, dst="h-d"))
    k.wait(w)
    assert w.status == 201
    assert w.json() == {"action": "set", "node": {"key": "/dup", "value": "v", "modifiedIndex": B + 1,
                                                  "createdIndex": B + 1}}
    assert headers(w)["X-Etcd-Index"] == str(B + 1)
    k.converge()
    assert _set_events(k, "/dup") == [("set", "v", B + 1)]
    nxt = k.put("/dup", "w", client=d)  # the next op of that client is a new write
    assert nxt.json()["node"]["modifiedIndex"] == B + 2 and nxt.json()["prevNode"]["value"] == "v"


def test_retry_after_leader_crash_right_after_commit_is_applied_once() -> None:
    k = KvCluster(seed=32)
    lead = k.leader()
    d = k.client("d")
    d.leader_hint = lead
    k.apply(F.LinkFaults(loss=1.0, src=lead, dst="h-d"))
    w = k.send("POST", "/queue", {"value": "job"}, client=d, timeout_ns=8 * S)  # not idempotent by itself
    assert k.run_until(lambda: k.index(lead) == B + 1, 1 * S)
    k.apply(F.Crash(node=lead))
    k.wait(w)
    assert w.status == 201 and w.reply.frm != lead
    body = w.json()
    assert body["action"] == "create" and body["node"]["value"] == "job" and body["node"]["createdIndex"] == B + 1
    rest = sorted(k.members - {lead})
    k.converge(nodes=rest)
    listing = k.call("GET", "/queue", {"recursive": "true", "quorum": "true"}).json()
    assert [n["value"] for n in listing["node"]["nodes"]] == ["job"]  # one job, not two
    k.apply(F.Restart(node=lead))
    k.converge()
    assert all(k.index(n) == B + 2 for n in k.members)  # the restarted member published again (etcd: H31)


def test_retry_dedup_survives_snapshot_and_restart_of_every_member() -> None:
    k = KvCluster(seed=33, snapshot_entries=5)
    d = k.client("d")
    k.apply(F.LinkFaults(loss=1.0, dst="h-d"))
    w = k.send("PUT", "/once", {"value": "1", "prevExist": "false"}, client=d, timeout_ns=10 * S)
    assert k.run_until(lambda: k.index(k.leader()) >= B + 1, 1 * S)
    first = k.index(k.leader())
    for i in range(20):  # push the write into a snapshot on every member
        k.put(f"/other{i}", str(i))
    k.converge()
    assert all(k.servers[n].server._snap_index > first for n in k.members)
    for n in sorted(k.members):
        k.apply(F.Crash(node=n))
    for n in sorted(k.members):
        k.apply(F.Restart(node=n))
    k.wait_leader()
    k.apply(F.LinkFaults(loss=0.0, dst="h-d"))
    k.wait(w, 10 * S)
    # The retry is answered from the restored de-dup table: the original create, not 105 "Key already exists".
    assert w.status == 201, w.reply
    assert w.json()["action"] == "create" and w.json()["node"]["modifiedIndex"] == first
    k.converge()
    assert k.call("GET", "/once", {"quorum": "true"}).json()["node"]["modifiedIndex"] == first
    assert {k.index(n) for n in k.members} == {first + 20 + 3}  # and each restarted member's publish


# -- watches through a member (spec §7) -----------------------------------------------------------


def test_watch_with_past_wait_index_answers_from_history() -> None:
    k = KvCluster(seed=41)
    for v in ("a", "b", "c"):
        k.put("/w", v)
    k.put("/other", "z")
    k.converge()
    follower = sorted(k.members - {k.leader()})[0]
    on_f = k.client("wf", servers=[follower])
    r = k.call("GET", "/w", {"wait": "true", "waitIndex": str(B + 2)}, client=on_f)
    assert r.status == 200 and r.reply.frm == follower
    assert r.json() == {"action": "set", "node": {"key": "/w", "value": "b", "modifiedIndex": B + 2, "createdIndex": B + 2},
                        "prevNode": {"key": "/w", "value": "a", "modifiedIndex": B + 1, "createdIndex": B + 1}}
    assert headers(r)["X-Etcd-Index"] == str(B + 4)  # the member's index when the watch was registered
    # A waitIndex before the first write only meets the /0 writes, which no watch sees: the first /w event.
    first = k.call("GET", "/w", {"wait": "true", "waitIndex": "1"}, client=on_f)
    assert first.json()["node"]["modifiedIndex"] == B + 1
    # waitIndex past every event on /w but within history: the watch waits.
    pending = k.send("GET", "/w", {"wait": "true", "waitIndex": str(B + 4)}, client=on_f)
    k.run_for(300 * MS)
    assert not pending.done


def test_pending_watch_on_follower_fires_on_later_write_through_leader() -> None:
    k = KvCluster(seed=42)
    k.put("/dir/x", "0")
    lead = k.leader()
    follower = sorted(k.members - {lead})[1]
    k.converge()
    watch = k.send("GET", "/dir", {"wait": "true", "recursive": "true"},
                   client=k.client("wf", servers=[follower]), timeout_ns=5 * S)
    k.run_for(200 * MS)
    assert not watch.done and k.servers[follower].store.watcher_count == 1
    w = k.put("/dir/y", "1", client=k.client("wl", servers=[lead]))
    k.wait(watch)
    assert watch.status == 200 and watch.reply.frm == follower
    assert watch.json() == {"action": "set", "node": w.json()["node"]}
    assert headers(watch)["X-Etcd-Index"] == str(B + 1)  # the index at registration, not the event's
    assert k.servers[follower].store.watcher_count == 0


def test_resent_long_poll_registers_one_watcher_per_member_and_still_fires() -> None:
    # The client re-sends a watch it heard nothing about (the first send may have been lost): a
    # member must not register a second watcher for the same request (they leaked until an event).
    k = KvCluster(seed=44)
    w = k.client("w")
    k.apply(F.LinkFaults(loss=1.0, src="h-w"))  # the first send is lost
    watch = k.send("GET", "/lp", {"wait": "true"}, client=w, timeout_ns=6 * S)
    k.run_for(100 * MS)
    assert sum(k.servers[n].store.watcher_count for n in k.members) == 0
    k.apply(F.LinkFaults(loss=0.0, src="h-w"))
    k.run_for(4 * S)
    assert not watch.done
    counts = {n: k.servers[n].store.watcher_count for n in sorted(k.members)}
    assert all(c <= 1 for c in counts.values()) and sum(counts.values()) >= 1, counts
    put = k.put("/lp", "x")
    k.wait(watch)
    assert watch.status == 200 and watch.json()["node"] == put.json()["node"]
    k.converge()
    assert all(k.servers[n].store.watcher_count == 0 for n in k.members)


def test_stale_wait_index_after_more_than_1000_events_is_401() -> None:
    k = KvCluster(seed=43, clients=8, snapshot_entries=400)
    per = 130
    statuses: list[int | None] = []

    def write(host: str, i: int) -> None:
        def done(reply) -> None:  # type: ignore[no-untyped-def]
            statuses.append(None if reply is None else reply.status)
            if i + 1 < per:
                write(host, i + 1)  # each client's next write once its previous one answered

        k.clients[host].request("PUT", f"/v2/keys/many/{host}", {"value": str(i)}, timeout_ns=5 * S, on_done=done)

    for h in k.client_hosts:
        write(h, 0)
    assert k.run_until(lambda: len(statuses) == per * 8, 20 * S, 20 * MS)
    assert set(statuses) <= {200, 201}
    total = len(statuses)
    k.converge()
    follower = sorted(k.members - {k.leader()})[0]
    on_f = k.client("wf", servers=[follower])
    r = k.call("GET", "/many", {"wait": "true", "recursive": "true", "waitIndex": "1"}, client=on_f)
    assert r.status == 400
    # The /0 writes hold their places in the 1000-event window, as in etcd.
    last = B + total
    assert r.json() == {"errorCode": 401, "message": "The event in requested index is outdated and cleared",
                        "cause": f"the requested history has been cleared [{last - 999}/1]", "index": last}
    ok = k.call("GET", "/many", {"wait": "true", "recursive": "true", "waitIndex": str(last - 999)}, client=on_f)
    assert ok.status == 200 and ok.json()["node"]["modifiedIndex"] == last - 999


# -- TTL (spec §6): the leader's SYNC expires nodes on every member -------------------------------


def test_ttl_key_expires_after_sync_with_expire_event_to_watchers() -> None:
    k = KvCluster(seed=51)
    follower = sorted(k.members - {k.leader()})[0]
    on_f = k.client("wf", servers=[follower])
    s = k.put("/t", "v", ttl="1")
    node = s.json()["node"]
    assert node["ttl"] == 1 and "expiration" in node
    set_at = s.done_at_ns
    watch = k.send("GET", "/t", {"wait": "true"}, client=on_f, timeout_ns=5 * S)
    k.run_until(lambda: watch.done, 900 * MS)
    assert not watch.done
    assert k.call("GET", "/t", client=on_f).status == 200  # still there before its TTL ran out
    k.wait(watch)
    assert watch.status == 200
    ev = watch.json()
    assert ev["action"] == "expire"
    assert ev["node"] == {"key": "/t", "modifiedIndex": B + 2, "createdIndex": B + 1}
    assert ev["prevNode"]["value"] == "v"
    assert 1 * S <= watch.done_at_ns - set_at <= 1600 * MS
    k.converge()
    for n in sorted(k.members):
        r = k.call("GET", "/t", client=k.client(f"g{n}", servers=[n]))
        assert r.status == 404 and r.json()["index"] == B + 2
        assert [e.action for e in k.history_events(n, "/t")] == ["set", "expire"]


def test_ttl_refresh_keeps_key_without_notifying_watchers() -> None:
    k = KvCluster(seed=52)
    k.put("/r", "v", ttl="1")
    watch = k.send("GET", "/r", {"wait": "true"}, timeout_ns=8 * S, client=k.client("w"))
    start = k.now
    while k.now - start < 3 * S:
        k.run_for(400 * MS)
        ref = k.call("PUT", "/r", {"ttl": "1", "refresh": "true", "prevExist": "true"})
        assert ref.status == 200, ref.reply
        assert ref.json()["node"]["value"] == "v"
    assert not watch.done  # refreshes are invisible to watchers
    assert k.call("GET", "/r", {"quorum": "true"}).status == 200
    stopped = k.now
    k.wait(watch)
    assert watch.json()["action"] == "expire"
    assert 1 * S <= k.now - stopped <= 1600 * MS
    k.converge()


# -- crash, restart, durability --------------------------------------------------------------------


def test_crashed_member_recovers_store_from_snapshot_and_log_tail_and_converges() -> None:
    k = KvCluster(seed=61, snapshot_entries=10)
    victim = sorted(k.members - {k.leader()})[0]
    for i in range(25):
        k.put(f"/c/k{i % 4}", str(i))
    k.converge()
    snap_index = k.servers[victim].server._snap_index
    applied = k.servers[victim].server.applied_index
    assert 0 < snap_index < applied  # a snapshot and a log tail on disk
    before = k.servers[victim].store.snapshot()
    # A process kill (the page cache survives), restarted while cut off from the others: the store is
    # rebuilt from its own disk alone (snapshot + committed log tail), byte for byte.
    k.apply(F.Partition(groups=(tuple(sorted(k.members - {victim})), (victim,))))
    k.apply(F.Crash(node=victim, lose_unsynced=False))
    k.apply(F.Restart(node=victim))
    k.run_for(50 * MS)
    restarted = k.servers[victim]
    assert restarted.server._snap_index == snap_index
    assert restarted.server.applied_index == applied and restarted.store.snapshot() == before
    k.apply(F.Heal())
    k.apply(F.Crash(node=victim))  # power loss this time
    for i in range(25, 40):
        k.put(f"/c/k{i % 4}", str(i))
    k.apply(F.Restart(node=victim))
    k.converge()
    r = k.call("GET", "/c/k3", client=k.client("v", servers=[victim]))
    assert r.reply.frm == victim and r.json()["node"]["value"] == "39"


def test_power_failure_of_every_member_keeps_acknowledged_writes() -> None:
    k = KvCluster(seed=62, snapshot_entries=7, clients=3)
    acked: dict[str, str] = {}
    calls = []
    for i in range(12):
        for host in k.client_hosts:
            key, val = f"/p/{host}-{i % 5}", f"{i}"
            calls.append((key, val, k.send("PUT", key, {"value": val}, client=k.clients[host])))
    # Power fails when about half are acknowledged (the rest in flight or queued in their clients).
    assert k.run_until(lambda: sum(c.done for _, _, c in calls) >= 18, 2 * S, 1 * MS)
    for n in sorted(k.members):
        k.apply(F.Crash(node=n, lose_unsynced=True))
    for key, val, c in calls:
        if c.done and c.status in (200, 201):
            acked[key] = val
    assert 10 <= len(acked) and not all(c.done for _, _, c in calls)
    for n in sorted(k.members):
        k.apply(F.Restart(node=n))
    k.wait_leader()
    k.run_until(lambda: all(c.done for _, _, c in calls), 8 * S)
    k.converge()
    reader = k.client("reader")
    for key, val in sorted(acked.items()):
        r = k.call("GET", key, {"quorum": "true"}, client=reader)
        assert r.status == 200, (key, r.reply)
        # Acked writes survive; a later write to the same key (acked or unknown) may have overwritten it.
        later = [v for kk, v, c in calls if kk == key and int(v) >= int(val)]
        assert r.json()["node"]["value"] in later, (key, val, r.json())


# -- membership API (spec §11, H32) ------------------------------------------------------------------


def test_members_list_and_leader() -> None:
    k = KvCluster(seed=71)
    lead = k.leader()
    for node in sorted(k.members):
        on = k.client(f"a{node}", servers=[node])
        lst = k.admin("list", client=on)
        assert lst.status == 200 and lst.reply.frm == node
        assert sorted(m["id"] for m in lst.json()["members"]) == ["n1", "n2", "n3"]
        ld = k.admin("leader", client=on)
        assert ld.status == 200 and ld.json()["id"] == lead
    assert k.admin("add", "n2").status == 409
    unknown = k.admin("remove", "n9")
    assert unknown.status == 404 and unknown.json() == {"message": "No such member: n9"}


def test_removing_the_leader_makes_it_step_down_and_the_rest_elect() -> None:
    k = KvCluster(seed=72)
    lead = k.leader()
    k.put("/before", "1")
    rm = k.admin("remove", lead)
    assert rm.status == 204
    rest = k.members - {lead}
    new = k.wait_leader(among=rest)
    assert not k.servers[lead].is_leader
    k.members = rest
    c2 = k.client("after", servers=sorted(rest))
    assert sorted(m["id"] for m in k.admin("list", client=c2).json()["members"]) == sorted(rest)
    assert k.admin("leader", client=c2).json()["id"] == new
    again = k.admin("remove", lead, client=c2)  # spec §11: a removed member is gone for good
    assert again.status == 410 and again.json() == {"message": f"Member permanently removed: {lead}"}
    w = k.put("/after", "2", client=c2)
    assert w.reply.frm in rest
    snaps = k.converge()
    assert set(snaps) == rest
    # The removed member no longer takes part: it does not get the new write.
    assert k.servers[lead].store.index < k.index(new)


def _add_and_join(k: KvCluster, node: str) -> None:
    ok: list[bool] = []
    k.c.add_member(node, ok.append)
    assert k.run_until(lambda: bool(ok), 3 * S) and ok == [True]
    k.join(node)  # started with peers = current members + itself


def test_added_member_catches_up_by_log() -> None:
    k = KvCluster(seed=73, spare=1)
    for i in range(10):
        k.put(f"/j/{i}", str(i))
    _add_and_join(k, "n4")
    k.put("/j/after", "x")
    snaps = k.converge()
    assert set(snaps) == {"n1", "n2", "n3", "n4"}
    assert k.servers["n4"].server._snap_index == 0  # the whole log was replicated, no snapshot
    assert sorted(k.servers[k.leader()].server.voters) == ["n1", "n2", "n3", "n4"]
    r = k.call("GET", "/j/after", client=k.client("n4c", servers=["n4"]))
    assert r.reply.frm == "n4" and r.json()["node"]["value"] == "x"


def test_added_member_catches_up_by_snapshot_and_counts_for_quorum() -> None:
    k = KvCluster(seed=74, spare=1, snapshot_entries=8)
    for i in range(30):
        k.put(f"/j/{i % 6}", str(i))
    k.converge()
    _add_and_join(k, "n4")
    snaps = k.converge()
    assert set(snaps) == {"n1", "n2", "n3", "n4"}
    assert k.servers["n4"].server._snap_index > 0  # it was sent a snapshot: the log was compacted
    # With 4 voters the quorum is 3: stop two of the old members and writes cannot commit.
    lead = k.leader()
    down = sorted({"n1", "n2", "n3"} - {lead})
    k.apply(F.Crash(node=down[0]))
    assert k.put("/j/three-up", "ok").status in (200, 201)
    k.apply(F.Crash(node=down[1]))
    stuck = k.call("PUT", "/j/two-up", {"value": "no"}, client=k.client("two", servers=[lead]), timeout_ns=2 * S)
    assert stuck.status in (500, None)


def test_member_add_without_quorum_is_not_acknowledged() -> None:
    # spec §11: POST /v2/members without quorum -> 500. A 201 promises the change is in force: the
    # runner then starts the new member; if the change was only appended by a leader that cannot
    # commit it, it is lost when the majority elects another leader.
    k = KvCluster(seed=75, spare=1, election_ticks=30, request_timeout_ns=300 * MS)
    lead = k.leader()
    rest = tuple(sorted(k.members - {lead}))
    k.apply(F.Partition(groups=((lead,), rest + ("n4",))))
    add = k.admin("add", "n4", client=k.client("adm", servers=[lead]), timeout_ns=2 * S)
    assert add.status != 201, add.reply
    assert add.status in (500, None)
    k.wait_leader(among=set(rest))  # the majority elects a leader whose log lacks the change...
    k.apply(F.Heal())
    k.put("/after-heal", "1")
    k.run_for(500 * MS)
    k.converge()
    assert all(k.servers[n].server.voters == ("n1", "n2", "n3") for n in sorted(k.members))  # ...so it was lost
    rm = k.admin("remove", sorted(rest)[0], client=k.client("adm2", servers=[lead]), timeout_ns=2 * S)
    assert rm.status in (204, 500, None)


def test_member_restarted_after_removals_it_missed_keeps_the_configuration_of_its_log() -> None:
    # Two members are removed while a third is down; it restarts cut off, its log ending before both
    # removals. Its configuration is its log's (five voters), not the cluster's members of today: counted
    # against three voters it would win an election, or commit, with 2 of the 5 its log says are voters.
    k = KvCluster(seed=76, n=5)
    lead = k.leader()
    victim, *gone = sorted(k.members - {lead})[:3]
    k.put("/before", "1")
    k.converge()
    k.apply(F.Crash(node=victim, lose_unsynced=False))
    c = k.client("adm", servers=[lead])
    for node in gone:
        assert k.admin("remove", node, client=c).status == 204
        k.members = k.members - {node}
    assert k.servers[lead].server.voters == tuple(sorted(k.members))
    k.apply(F.Partition(groups=(tuple(sorted(set(k.all_nodes) - {victim})), (victim,))))
    k.apply(F.Restart(node=victim))
    k.run_for(50 * MS)
    assert k.servers[victim].server.voters == tuple(k.all_nodes)
    k.apply(F.Heal())
    k.put("/after", "2")
    assert k.run_until(lambda: k.servers[victim].server.voters == tuple(sorted(k.members)), 3 * S)


def test_ttl_key_expires_after_leader_crash_on_the_new_leader() -> None:
    k = KvCluster(seed=53)
    lead = k.leader()
    s = k.put("/t", "v", ttl="1")
    k.converge()
    set_at = s.done_at_ns
    k.apply(F.Crash(node=lead))
    rest = sorted(k.members - {lead})
    watch = k.send("GET", "/t", {"wait": "true"}, client=k.client("w", servers=rest), timeout_ns=5 * S)
    k.wait(watch)
    assert watch.status == 200 and watch.json()["action"] == "expire", watch.reply
    assert 1 * S <= watch.done_at_ns - set_at <= 2 * S
    assert k.leader() in rest
    k.apply(F.Restart(node=lead))
    k.converge()
    assert k.call("GET", "/t", {"quorum": "true"}).status == 404


def test_ttl_survives_restart_of_every_member_and_still_expires() -> None:
    k = KvCluster(seed=54, snapshot_entries=4)
    s = k.put("/t2", "v", ttl="2")
    for i in range(6):
        k.put(f"/fill{i}", "x")
    k.converge()
    assert all(k.servers[n].server._snap_index >= s.json()["node"]["modifiedIndex"] for n in k.members)
    for n in sorted(k.members):
        k.apply(F.Crash(node=n))
    k.run_for(200 * MS)
    for n in sorted(k.members):
        k.apply(F.Restart(node=n))
    k.wait_leader()
    # Restored from snapshots: at least the TTL in true time, at most TTL + restore grace + SYNC + election.
    assert k.run_until(lambda: k.now - s.done_at_ns >= 1900 * MS, 3 * S)
    assert k.call("GET", "/t2", {"quorum": "true"}).status == 200
    watch = k.send("GET", "/t2", {"wait": "true"}, client=k.client("w"), timeout_ns=5 * S)
    k.wait(watch)
    assert watch.json()["action"] == "expire"
    assert watch.done_at_ns - s.done_at_ns <= 2 * S + 1000 * MS + 500 * MS + 500 * MS
    k.converge()


# -- determinism --------------------------------------------------------------------------------------


def _scripted_trace(seed: int) -> str:
    k = KvCluster(seed=seed, snapshot_entries=5)
    for i in range(8):
        k.send("PUT", f"/d{i % 3}", {"value": str(i)})
    k.apply(F.Crash(node=k.leader()))
    k.run_for(1 * S)
    k.apply(F.Restart(node=sorted(k.members)[0]))
    k.run_for(1 * S)
    return k.world.trace_sha256


def test_same_seed_gives_the_same_trace() -> None:
    assert _scripted_trace(91) == _scripted_trace(91)
    assert _scripted_trace(91) != _scripted_trace(92)


def test_concurrent_member_adds_are_applied_one_at_a_time_and_both_succeed() -> None:
    # Raft takes one configuration change at a time: the second proposal is refused while the first
    # is uncommitted; the member answers "retry" and the client tries again until it goes through.
    k = KvCluster(seed=76, spare=2)
    a: list[bool] = []
    b: list[bool] = []
    k.client("a1").add_member("n4", a.append)
    k.client("a2").add_member("n5", b.append)
    assert k.run_until(lambda: bool(a and b), 4 * S)
    assert a == b == [True]
    assert k.servers[k.leader()].server.voters == ("n1", "n2", "n3", "n4", "n5")
    k.join("n4")
    k.join("n5")
    k.put("/x", "1")
    assert set(k.converge()) == {"n1", "n2", "n3", "n4", "n5"}
    assert k.admin("remove", "n5").status == 204
    again = k.admin("remove", "n5")
    assert again.status in (404, 410)  # spec §11 says 410 "Member permanently removed"; kvraft answers 404


def test_removed_members_survive_a_snapshot_and_an_old_snapshot_still_restores() -> None:
    k = KvCluster(seed=72)
    lead = k.leader()
    assert k.admin("remove", lead).status == 204
    other = next(n for n in sorted(k.members) if n != lead)
    m = k.servers[other]
    assert k.run_until(lambda: lead in m.removed, 2 * S)
    image = m.snapshot()
    m.removed = set()
    m.restore(image, 0, 0)
    assert m.removed == {lead}
    m.restore(m.store.snapshot(), 0, 0)  # a snapshot without the membership header: nobody removed
    assert m.removed == set()


# -- membership takes etcd indexes (kvraft/store/membership.py; etcd 3.4.23: S01, H31) ----------------------


def test_a_fresh_cluster_takes_2n_plus_1_indexes_and_membership_changes_take_theirs() -> None:
    one = KvCluster(seed=81, n=1)
    assert one.index("n1") == 3 and one.put("/a", "1").json()["node"]["createdIndex"] == 4
    k = KvCluster(seed=82, spare=1)
    k.converge()
    assert {k.index(n) for n in k.members} == {B}
    assert k.put("/a", "1").json()["node"]["createdIndex"] == B + 1
    _add_and_join(k, "n4")  # its member record, then its own publish once it runs
    k.converge()
    assert {k.index(n) for n in k.members} == {B + 3}
    assert k.admin("remove", "n4").status == 204  # the record deleted, the removal recorded: two
    k.members -= {"n4"}
    k.converge()
    assert {k.index(n) for n in k.members} == {B + 5}
    k.apply(F.Crash(node="n2"))
    k.apply(F.Restart(node="n2"))  # a restart publishes again
    k.converge()
    assert {k.index(n) for n in k.members} == {B + 6}
    r = k.call("GET", "/0/members")  # etcd's /0 is not a key
    assert r.status == 404 and r.json()["cause"] == "/0"
