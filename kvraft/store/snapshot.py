"""The store snapshot format: canonical JSON of the replicated state (spec.md §13).

Rules: one module writes and reads the format; `FORMAT_VERSION` names it. The snapshot holds
the node tree (children in insertion order), etcd's /0 namespace (``system``, membership.py; absent
in version 1, read as empty), the etcd index, the last applied raft index, the
event-history window and the client de-duplication table. Derived state (the TTL index) is
rebuilt on load. Output is canonical (sorted keys, no spaces, ASCII), so equal states give
equal bytes on every member.
"""

from __future__ import annotations

import json

from .events import Event, EventHistory
from .expiry import TtlIndex
from .result import Result
from .tree import Node, join

__all__ = ["FORMAT_VERSION", "dump", "load", "SnapshotError"]

FORMAT_VERSION = 2
_READS = (1, 2)


class SnapshotError(ValueError):
    """The bytes are not a store snapshot of a version we read (fix your input)."""


def _node_to_json(n: Node) -> dict:
    d: dict = {"n": n.name, "ci": n.created, "mi": n.modified}
    if n.expire_ns is not None:
        d["e"] = n.expire_ns
    if n.children is None:
        d["v"] = n.value
    else:
        d["c"] = [_node_to_json(c) for c in n.children.values()]
    return d


def _node_from_json(d: dict, parent_path: str | None, ttl: TtlIndex) -> Node:
    name = d["n"]
    path = "/" if parent_path is None else join(parent_path, name)
    kids = d.get("c")
    n = Node(path, name, d.get("v", ""), None if kids is None else {}, d["ci"], d["mi"], d.get("e"))
    if n.expire_ns is not None:
        ttl.set(path, n.expire_ns)
    if kids is not None:
        assert n.children is not None
        for k in kids:
            child = _node_from_json(k, path, ttl)
            n.children[child.name] = child
    return n


def dump(store) -> bytes:
    """Canonical snapshot bytes of `store`."""
    doc = {
        "format_version": FORMAT_VERSION,
        "index": store.index,
        "raft_index": store.raft_index,
        "root": _node_to_json(store._root),
        "system": _node_to_json(store._system),
        "history": [e.to_json() for e in store._history.events],
        "dedup": [[k, seq, r.to_json()] for k, (seq, r) in sorted(store._dedup.items())],
    }
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode("ascii")


def load(store, data: bytes) -> None:
    """Replace `store`'s replicated state with the snapshot `data` (watchers are the caller's)."""
    try:
        doc = json.loads(data)
        if doc.get("format_version") not in _READS:
            raise SnapshotError(f"snapshot format {doc.get('format_version')!r}, want {FORMAT_VERSION}")
        ttl = TtlIndex()
        root = _node_from_json(doc["root"], None, ttl)
        system = _node_from_json(doc["system"], None, TtlIndex()) if "system" in doc else Node.root()
        history = EventHistory(store._history.capacity)
        for e in doc["history"]:
            history.add(Event.from_json(e))
        dedup = {k: (seq, Result.from_json(r)) for k, seq, r in doc["dedup"]}
        index, raft_index = doc["index"], doc["raft_index"]
    except SnapshotError:
        raise
    except (ValueError, KeyError, TypeError, AttributeError) as e:
        raise SnapshotError(f"bad store snapshot: {e}") from e
    store._root, store._system, store._ttl, store._history, store._dedup = root, system, ttl, history, dedup
    store.index, store.raft_index = index, raft_index
