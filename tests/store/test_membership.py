"""etcd's /0 namespace (kvraft/store/membership.py): membership takes etcd indexes, and nothing of it shows.

Observed on etcd 3.4.23 (samples.md S01, H31; and by hand: 1 member -> first write at 4, 3 members -> 8; a member
add took 1 index, its removal 2, a restart 1).
"""

from __future__ import annotations

import json

import pytest

from kvraft.store import Store
from kvraft.store.membership import cluster_version, is_bootstrapped, is_listed


def fresh(n: int) -> Store:
    """A store as a fresh n-member cluster leaves it: the initial members, their publishes, the version."""
    s = Store()
    ids = [f"m{i}" for i in range(n)]
    s.apply({"op": "member-bootstrap", "members": [[m, '{"peerURLs":[]}'] for m in ids]}, 2)
    s.apply({"op": "cluster-version", "value": "3.4.0"}, 3)
    for i, m in enumerate(ids):
        s.apply({"op": "publish", "member": m, "value": json.dumps({"name": m, "clientURLs": []})}, 4 + i)
    return s


@pytest.mark.parametrize("n", [1, 3, 5])
def test_a_fresh_cluster_takes_2n_plus_1_indexes_and_the_first_write_gets_2n_plus_2(n: int) -> None:
    s = fresh(n)
    assert s.index == 2 * n + 1
    assert s.apply({"op": "set", "path": "/a", "value": "1"}, 99).event.index == 2 * n + 2


def test_member_add_takes_one_index_remove_two_update_one_publish_one() -> None:
    s = fresh(3)
    s.apply({"op": "member-add", "member": "m9", "value": '{"peerURLs":["http://127.0.0.1:9"]}'}, 10)
    assert s.index == 8 and is_listed(s, "m9")
    s.apply({"op": "member-update", "member": "m9", "value": '{"peerURLs":["http://127.0.0.1:8"]}'}, 11)
    assert s.index == 9
    s.apply({"op": "member-remove", "member": "m9"}, 12)
    assert s.index == 11 and not is_listed(s, "m9")
    s.apply({"op": "publish", "member": "m1", "value": "{}"}, 13)  # a restart's publish
    assert s.index == 12


@pytest.mark.parametrize("cmd", [
    {"op": "member-bootstrap", "members": [["x", "{}"]]},  # only once
    {"op": "member-add", "member": "m0", "value": "{}"},  # already listed
    {"op": "member-remove", "member": "gone"},  # already removed (below)
    {"op": "member-update", "member": "nobody", "value": "{}"},
    {"op": "publish", "member": "gone", "value": "{}"},  # etcd: skipped for a removed member
    {"op": "publish", "member": "", "value": "{}"},
])
def test_a_membership_command_with_nothing_to_do_takes_no_index(cmd: dict) -> None:
    s = fresh(3)
    s.apply({"op": "member-add", "member": "gone", "value": "{}"}, 10)
    s.apply({"op": "member-remove", "member": "gone"}, 11)
    before = s.snapshot()
    s.apply(cmd, 12)
    assert s.snapshot().replace(b'"raft_index":12', b'"raft_index":11') == before


def test_the_namespace_is_invisible_to_reads_listings_and_watches() -> None:
    s = fresh(3)
    assert s.get("/").event.node.nodes is None  # the root lists nothing
    assert s.get("/", recursive=True).etcd_index == 7
    for path in ("/0", "/0/members", "/0/version", "/members", "/version", "/_etcd"):
        r = s.get(path)
        assert r.error is not None and r.error.code == 100 and r.error.index == 7
    assert s.watch("/", recursive=True, wait_index=1).watcher.active  # no /0 event in history matches
    w = s.watch("/0", recursive=True).watcher
    s.apply({"op": "member-add", "member": "m9", "value": "{}"}, 20)
    s.apply({"op": "cluster-version", "value": "3.5.0"}, 21)
    assert w.active and w.events == []
    s.apply({"op": "set", "path": "/0/x", "value": "user"}, 22)  # a user key named /0 is the user's own
    assert [e.node.key for e in w.events] == ["/0/x"] and s.index == 10


def test_the_writes_hold_places_in_the_1000_event_window() -> None:
    s = fresh(3)
    for i in range(993):
        s.apply({"op": "set", "path": "/k", "value": str(i)}, 100 + i)
    assert s.index == 1000
    assert s.watch("/k", wait_index=1).event.index == 8  # index 1 is still in the window
    s.apply({"op": "set", "path": "/k", "value": "x"}, 2000)
    r = s.watch("/k", wait_index=1)
    assert r.error is not None and r.error.code == 401
    assert r.error.cause == "the requested history has been cleared [2/1]"


def test_the_writes_count_in_store_stats_as_etcds() -> None:
    s = fresh(3)
    s.apply({"op": "member-add", "member": "m9", "value": "{}"}, 10)
    s.apply({"op": "member-remove", "member": "m9"}, 11)
    doc = s.stats.as_json(0)
    # etcd 3.4.23 after the same (3 members, an add, a removal): creates 5, sets 4, deletes 1.
    assert (doc["createSuccess"], doc["setsSuccess"], doc["deleteSuccess"]) == (5, 4, 1)


def test_the_namespace_survives_a_snapshot() -> None:
    s = fresh(3)
    s.apply({"op": "member-remove", "member": "m2"}, 10)
    t = Store.from_snapshot(s.snapshot())
    assert t.snapshot() == s.snapshot()
    assert is_bootstrapped(t) and cluster_version(t) == "3.4.0" and not is_listed(t, "m2") and is_listed(t, "m1")
    t.apply({"op": "publish", "member": "m2", "value": "{}"}, 11)
    assert t.index == s.index
