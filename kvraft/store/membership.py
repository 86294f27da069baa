"""etcd's own /0 namespace in the v2 store: the membership records and the cluster version.

Rules (etcd 3.4's membership/cluster.go and apply_v2.go, observed in samples.md and on etcd 3.4.23):
- etcd keeps its member table in the same v2 store as the keys, under ``/0`` (the keys live under ``/1``),
  so every membership write takes the next etcd index, as a client write does: a member add creates
  ``/0/members/<id>/raftAttributes`` (1 index), a removal deletes ``/0/members/<id>`` and creates
  ``/0/removed_members/<id>`` (2), a peer-URL update updates ``raftAttributes`` (1), each member's publish at
  start-up sets ``/0/members/<id>/attributes`` (1; skipped for a member not in the table), and the leader sets
  ``/0/version`` (1). A fresh N-member cluster has taken 2N + 1 indexes before its first client write
  (1 member: 3; 3 members: 7), and every restart one more (its publish).
- Nothing here is visible through ``/v2/keys``: the namespace is a tree of its own (``Store._system``), its
  events take their place in the 1000-event window (so 401 boundaries agree with etcd's) but are marked
  ``internal`` and never match a watch, and the writes count in ``/v2/stats/store`` as etcd's do.
- Pure and deterministic like the rest of the store: applied in log order, from the command alone.

Commands (proposed by ``kvraft/member.py``, never built from a client request):
    {"op": "member-bootstrap", "members": [[id, raftAttributes], ...]}   (the initial members, once)
    {"op": "member-add", "member": id, "value": raftAttributes}
    {"op": "member-remove", "member": id}
    {"op": "member-update", "member": id, "value": raftAttributes}
    {"op": "publish", "member": id, "value": attributes}
    {"op": "cluster-version", "value": "3.4.0"}
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .events import Event, NodeView
from .tree import Node, split

if TYPE_CHECKING:
    from .command import Command
    from .ops import Store

__all__ = ["OPS", "apply", "cluster_version", "is_bootstrapped", "is_listed"]

OPS = ("member-bootstrap", "member-add", "member-remove", "member-update", "publish", "cluster-version")

PREFIX = "/0"  # etcd's StoreClusterPrefix; only in the events' keys (the tree's own root is /0)


def _lookup(store: "Store", path: str) -> Node | None:
    node = store._system
    for name in path[1:].split("/"):
        children = node.children
        if children is None or name not in children:
            return None
        node = children[name]
    return node


def _write(store: "Store", action: str, path: str, value: str | None) -> None:
    """One internal write at the next index: set/create ``path`` to ``value``, or delete it (value None)."""
    nxt = store.index + 1
    parent_path, name = split(path)
    if value is None:
        parent = _lookup(store, parent_path)
        assert parent is not None and parent.children is not None
        old = parent.children.pop(name)
        view = NodeView(PREFIX + path, None, old.children is not None, None, 0, None, nxt, old.created)
    else:
        parent = store._system.ensure_dir(parent_path, store.index, nxt)
        assert parent.children is not None
        old = parent.children.get(name)
        created = old.created if old is not None and action == "update" else nxt
        parent.children[name] = Node(path, name, value, None, created, nxt, None)
        view = NodeView(PREFIX + path, value, False, None, 0, None, nxt, created)
    store.index = nxt
    store._history.add(Event(action, view, internal=True))
    store.stats.record(action, True)


def is_bootstrapped(store: "Store") -> bool:
    """Has the store recorded its first members (etcd: the bootstrap conf changes at indexes 1..N)?"""
    return bool(store._system.children)


def is_listed(store: "Store", member: str) -> bool:
    """Is ``member`` in the table (added and not removed)?"""
    return _lookup(store, f"/members/{member}") is not None


def cluster_version(store: "Store") -> str | None:
    node = _lookup(store, "/version")
    return None if node is None else node.value


def apply(store: "Store", c: "Command") -> None:
    """Apply one membership command (see the module docstring); a command with nothing to do takes no index."""
    op, member = c.op, c.member
    if not member and op != "member-bootstrap" and op != "cluster-version":
        return
    if op == "member-bootstrap":
        if not is_bootstrapped(store):
            for mid, attrs in c.members:
                _write(store, "create", f"/members/{mid}/raftAttributes", attrs)
    elif op == "member-add":
        if not is_listed(store, member):
            _write(store, "create", f"/members/{member}/raftAttributes", c.value)
    elif op == "member-remove":
        if is_listed(store, member):
            _write(store, "delete", f"/members/{member}", None)
        if _lookup(store, f"/removed_members/{member}") is None:
            _write(store, "create", f"/removed_members/{member}", "")
    elif op == "member-update":
        if _lookup(store, f"/members/{member}/raftAttributes") is not None:
            _write(store, "update", f"/members/{member}/raftAttributes", c.value)
    elif op == "publish":
        if is_listed(store, member):  # etcd: "skipped updating attributes of removed member"
            _write(store, "set", f"/members/{member}/attributes", c.value)
    elif op == "cluster-version":
        _write(store, "set", "/version", c.value)
