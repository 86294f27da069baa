"""Membership takes etcd indexes as etcd's does (kvraft/store/membership.py), on real kvraft processes.

etcd 3.4.23, observed (samples.md S01, H31, and by hand on etcd-local-cluster.sh): a fresh N-member cluster
answers X-Etcd-Index 2N+1 before any write (1 member: 3, 3 members: 7) and its first write gets 2N+2; a
member add takes 1 index, its removal 2, a member's restart 1 (its publish); `/0` and `/_etcd` are not keys.
"""

from __future__ import annotations

import json
from pathlib import Path

from real.procs import http, initial_cluster, leader_url, make_nodes, stop, until, wait_healthy, wait_leader


def _index(url: str) -> int:
    return int(http("GET", url + "/v2/keys/")[1]["X-Etcd-Index"])


def test_one_member_first_write_at_4_and_a_restart_takes_one(procs, tmp_path: Path) -> None:
    (n,) = make_nodes(tmp_path, 1, "one")
    procs.start_node(n, initial_cluster([n]))
    wait_healthy([n.client_url])
    assert until(lambda: _index(n.client_url), lambda i: i == 3, 10) == 3
    status, headers, body = http("PUT", n.client_url + "/v2/keys/a", b"value=1")
    assert (status, headers["X-Etcd-Index"], json.loads(body)["node"]["createdIndex"]) == (201, "4", 4)
    stop(n)
    procs.start_node(n, initial_cluster([n]))
    wait_healthy([n.client_url])
    assert until(lambda: _index(n.client_url), lambda i: i == 5, 10) == 5  # its publish


def test_three_members_first_write_at_8_add_takes_1_remove_2_restart_1(procs, tmp_path: Path) -> None:
    nodes = make_nodes(tmp_path, 3, "tri")
    for n in nodes:
        procs.start_node(n, initial_cluster(nodes))
    urls = [n.client_url for n in nodes]
    wait_healthy(urls)
    wait_leader(urls)
    for u in urls:
        assert until(lambda: _index(u), lambda i: i == 7, 10) == 7, u
    status, headers, body = http("GET", urls[1] + "/v2/keys/")
    assert (status, body) == (200, b'{"action":"get","node":{"dir":true}}\n')
    for key in ("0", "_etcd", "0/members", "0/version"):
        status, _, body = http("GET", f"{urls[0]}/v2/keys/{key}")
        assert status == 404 and json.loads(body) == {"errorCode": 100, "message": "Key not found",
                                                      "cause": "/" + key.split("/")[0], "index": 7}, body
    lead = leader_url(urls[0])
    status, headers, _ = http("PUT", lead + "/v2/keys/first", b"value=1")
    assert (status, headers["X-Etcd-Index"]) == (201, "8")
    status, _, body = http("POST", lead + "/v2/members", json.dumps({"peerURLs": ["http://127.0.0.1:9"]}).encode(),
                           headers={"Content-Type": "application/json"})
    assert status == 201, body
    assert until(lambda: _index(lead), lambda i: i == 9, 10) == 9
    status, _, body = http("DELETE", lead + "/v2/members/" + json.loads(body)["id"])
    assert status == 204, body
    assert until(lambda: _index(lead), lambda i: i == 11, 10) == 11
    follower = next(n for n in nodes if n.client_url != lead)
    stop(follower)
    procs.start_node(follower, initial_cluster(nodes))
    wait_healthy(urls)
    assert until(lambda: _index(follower.client_url), lambda i: i == 12, 10) == 12
    status, headers, _ = http("PUT", leader_url(urls[0]) + "/v2/keys/next", b"value=2")
    assert (status, headers["X-Etcd-Index"]) == (201, "13")
