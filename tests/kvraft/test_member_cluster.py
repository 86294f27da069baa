"""kvraft members + client on a simulated 3-node cluster (spec.md §2, §3, §10, §11; samples H25..H33).

Each test builds a small cluster (tests/kvraft/kvcluster.py) with a fixed seed, drives requests
through ``kvraft.client.Client`` and the sim world, and asserts what the client saw and what every
member's replicated store holds (byte-identical snapshots after quiescence = state-machine equality).
"""

from __future__ import annotations

from kvcluster import MS, S, KvCluster

from sim import faults as F


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
        assert int(h["X-Raft-Index"]) > idx  # the raft log also holds the leader's empty entry
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
