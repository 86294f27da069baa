"""The store snapshot format, rule by rule: what a node keeps (value only for files, expiration only with a
TTL), the TTL index rebuilt on load, and every malformed input refused as SnapshotError without touching the
store (bench/mutation.py --module kvraft/store/snapshot.py)."""

from __future__ import annotations

import json

import pytest

from kvraft.store import FORMAT_VERSION, SnapshotError, Store
from kvraft.store.expiry import NS_PER_S

S = NS_PER_S


def small_store() -> Store:
    s = Store()
    s.apply({"op": "set", "path": "/d/f", "value": "x", "ttl": 5, "now_ns": 0}, 1)
    s.apply({"op": "set", "path": "/e", "dir": True}, 2)
    s.apply({"op": "set", "path": "/g", "value": "", "client_id": "c", "seq": 3}, 3)
    return s


def test_snapshot_document_shape() -> None:
    doc = json.loads(small_store().snapshot())
    assert doc["format_version"] == FORMAT_VERSION == 2
    assert doc["system"] == {"n": "", "ci": 0, "mi": 0, "c": []}  # etcd's /0: nothing before membership
    assert (doc["index"], doc["raft_index"]) == (3, 3)
    root = doc["root"]
    assert (root["n"], root["ci"], root["mi"], "v" in root, "e" in root) == ("", 0, 0, False, False)
    d, e, g = root["c"]
    assert (d["n"], "v" in d, "e" in d) == ("d", False, False)
    assert d["c"] == [{"n": "f", "ci": 1, "mi": 1, "v": "x", "e": 5 * S}]
    assert e == {"n": "e", "ci": 2, "mi": 2, "c": []}
    assert g == {"n": "g", "ci": 3, "mi": 3, "v": ""}
    assert [ev["action"] for ev in doc["history"]] == ["set", "set", "set"]
    assert [row[1] for row in doc["dedup"]] == [3]  # the one client's latest seq


def test_load_rebuilds_paths_and_the_ttl_index() -> None:
    s = small_store()
    r = Store.from_snapshot(s.snapshot())
    assert r.ttl_nodes() == [("/d/f", 5 * S)] and r.next_expiration_ns() == 5 * S
    assert (r.index, r.raft_index) == (3, 3)
    got = r.get("/d/f", now_ns=S)
    assert (got.event.node.key, got.event.node.value, got.event.node.ttl) == ("/d/f", "x", 4)
    assert r.get("/e").event.node.dir and r.get("/e").event.node.value is None
    assert [e.node.key for e in r.apply({"op": "sync", "now_ns": 5 * S}, 4).expired] == ["/d/f"]
    assert r.snapshot() != s.snapshot()  # the expiry changed it; the original is untouched
    assert Store.from_snapshot(s.snapshot()).snapshot() == s.snapshot()


@pytest.mark.parametrize("data", [
    b"", b"not json", b"[]", b"{}", b'{"format_version": 2}', b'{"format_version": "1"}',
    b'{"format_version": 1}',
    b'{"format_version": 1, "root": {"n": ""}, "history": [], "dedup": [], "index": 0, "raft_index": 0}',
    b'{"format_version": 1, "root": {"n": "", "ci": 0, "mi": 0, "c": []}, "history": [], "dedup": [],'
    b' "index": 0}',
    b'{"format_version": 1, "root": {"n": "", "ci": 0, "mi": 0, "c": []}, "history": [{}], "dedup": [],'
    b' "index": 0, "raft_index": 0}',
    b'{"format_version": 1, "root": {"n": "", "ci": 0, "mi": 0, "c": []}, "history": [], "dedup": [[1]],'
    b' "index": 0, "raft_index": 0}',
    b'{"format_version": 1, "root": {"n": "", "ci": 0, "mi": 0, "c": [5]}, "history": [], "dedup": [],'
    b' "index": 0, "raft_index": 0}',
])
def test_malformed_snapshots_are_refused_and_change_nothing(data: bytes) -> None:
    s = small_store()
    before = s.snapshot()
    with pytest.raises(SnapshotError):
        s.restore(data)
    assert s.snapshot() == before and s.next_expiration_ns() == 5 * S


@pytest.mark.parametrize("version", [0, 3, "1", "2", None])
def test_a_whole_snapshot_of_another_format_version_is_refused(version: object) -> None:
    doc = json.loads(small_store().snapshot())
    doc["format_version"] = version
    s = Store()
    with pytest.raises(SnapshotError, match="snapshot format"):
        s.restore(json.dumps(doc).encode())
    assert s.snapshot() == Store().snapshot()


def test_a_version_1_snapshot_loads_with_an_empty_cluster_namespace() -> None:
    doc = json.loads(small_store().snapshot())
    doc["format_version"] = 1
    del doc["system"]
    s = Store()
    s.restore(json.dumps(doc).encode())
    assert s.snapshot() == small_store().snapshot()
