# Over 400 lines: etcd v2's store operations in one state machine, as etcd's store.go.
"""The v2 store state machine: `Store.apply(command, raft_index)`, `get`, `watch`.

Rules:
- Pure and deterministic: times arrive in commands (`now_ns`) or as arguments; nothing here
  reads a clock, draws randomness, or iterates an unordered collection into output.
- Each operation detects its errors in etcd's order (spec.md §3.3) *before* mutating anything,
  so a failed operation leaves the store untouched and takes no index.
- Every successful mutation and every TTL expiry takes exactly the next etcd index and records
  one event; watchers are collected while applying and called after the apply completes.
- Commands with `client_id` + `seq` are de-duplicated: the latest (seq, result) per client is
  remembered; the same seq again returns the remembered result without applying.

Commands (JSON-able dicts; see request.py for how requests become commands):
    {"op": "set",    "path", "value", "dir", "ttl", "refresh"}
    {"op": "create", "path", "value", "dir", "ttl", "unique"}        (POST: unique=true)
    {"op": "update", "path", "value", "ttl", "refresh"}
    {"op": "compareAndSwap",   "path", "value", "ttl", "refresh", "prev_value", "prev_index"}
    {"op": "delete", "path", "dir", "recursive"}
    {"op": "compareAndDelete", "path", "prev_value", "prev_index"}
    {"op": "get",    "path", "recursive", "sorted"}                  (quorum read through the log)
    {"op": "sync"}                                                   (leader's expiry tick, etcd v2)
    {"op": "expire", "paths": [[path, expire_ns], ...]}              (leader's expiry of exact nodes)
    {"op": "member-add" | "member-remove" | "publish" | ...}          (etcd's /0 namespace: membership.py)
  plus "now_ns" (int, virtual ns; the proposing member's clock; SYNC: the leader's) and
  optionally "client_id" (str|int) and "seq" (int). "ttl" is whole seconds or null (permanent);
  the expiration now_ns + ttl s is computed identically on every replica.
"""

from __future__ import annotations

import json
from dataclasses import replace
from json.encoder import encode_basestring_ascii as _quote
from typing import Callable

from .errors import (DIR_NOT_EMPTY, KEY_NOT_FOUND, NODE_EXIST, NOT_FILE, RAFT_INTERNAL,
                     ROOT_RONLY, TEST_FAILED, EtcdError)
from . import membership
from .command import OPS, Command
from .events import Event, EventHistory, NodeView, Watcher, WatcherHub
from .expiry import MIN_EXPIRE_NS, TtlIndex, ttl_seconds
from .result import Result
from .stats import StoreStats
from .tree import Node, clean_path, error_path, split

__all__ = ["Store", "Result", "OPS"]

def _view(n: Node, now_ns: int, recursive: bool = False, sort: bool = False) -> NodeView:
    """etcd's node.Repr: a directory lists children only when `recursive`."""
    exp = n.expire_ns
    ttl = 0 if exp is None else ttl_seconds(exp, now_ns)
    if n.children is None:
        return NodeView(n.path, n.value, False, exp, ttl, None, n.modified, n.created)
    nodes = _children(n, now_ns, recursive, sort) if recursive else None
    return NodeView(n.path, None, True, exp, ttl, nodes, n.modified, n.created)


def _children(n: Node, now_ns: int, recursive: bool, sort: bool) -> tuple[NodeView, ...] | None:
    assert n.children is not None
    views = [_view(c, now_ns, recursive, sort) for c in n.children.values() if not c.name.startswith("_")]
    if sort:
        views.sort(key=lambda v: v.key)
    return tuple(views) if views else None


def _load_view(n: Node, now_ns: int, recursive: bool, sort: bool) -> NodeView:
    """etcd's loadInternalNode (GET): a directory always lists its children, one level unless recursive."""
    exp = n.expire_ns
    ttl = 0 if exp is None else ttl_seconds(exp, now_ns)
    key = "" if n.path == "/" else n.path
    if n.children is None:
        return NodeView(key, n.value, False, exp, ttl, None, n.modified, n.created)
    return NodeView(key, None, True, exp, ttl, _children(n, now_ns, recursive, sort), n.modified, n.created)


def _compare(n: Node, prev_value: str, prev_index: int, index: int) -> None:
    """CAS/CAD comparison; empty prev_value and prev_index 0 are wildcards (spec.md §3.3)."""
    index_ok = prev_index == 0 or n.modified == prev_index
    value_ok = prev_value == "" or n.value == prev_value
    if index_ok and value_ok:
        return
    if index_ok:
        cause = f"[{prev_value} != {n.value}]"
    elif value_ok:
        cause = f"[{prev_index} != {n.modified}]"
    else:
        cause = f"[{prev_value} != {n.value}] [{prev_index} != {n.modified}]"
    raise EtcdError(TEST_FAILED, cause, index)


class Store:
    """One member's v2 key space. See the package docstring for the calling contract."""

    def __init__(self) -> None:
        self._root = Node.root()
        self._system = Node.root()  # etcd's /0: membership and cluster version (membership.py)
        self.index = 0
        self.raft_index = 0
        self._history = EventHistory()
        self._hub = WatcherHub()
        self._ttl = TtlIndex()
        self._dedup: dict[str, tuple[int, Result]] = {}
        self._out: list[tuple[Watcher, Event]] = []
        self._ttl_listener: Callable[[str, int | None], None] | None = None
        self.stats = StoreStats()

    def set_ttl_listener(self, fn: Callable[[str, int | None], None] | None) -> None:
        """Call ``fn(path, expire_ns or None)`` whenever a node gains, changes or loses a TTL.

        Not called for the nodes a ``restore`` loads: read those with ``ttl_nodes()``.
        """
        self._ttl_listener = fn
        self._ttl.on_change = fn

    # ---- queries ---------------------------------------------------------------------------

    @property
    def watcher_count(self) -> int:
        return self._hub.count

    def next_expiration_ns(self) -> int | None:
        """Earliest TTL expiration in the store (the leader proposes SYNC while this is not None)."""
        return self._ttl.next_expiration()

    def get(self, path: str, *, recursive: bool = False, sorted: bool = False, now_ns: int = 0) -> Result:
        """Read `path` from this member's store; `now_ns` is this member's clock (for `ttl`)."""
        try:
            n = self._root.lookup(clean_path(path), self.index)
        except EtcdError as e:
            self.stats.record("get", False)
            return Result(etcd_index=e.index, error=e)
        self.stats.record("get", True)
        return Result(etcd_index=self.index, event=Event("get", _load_view(n, now_ns, recursive, sorted)))

    def watch(self, path: str, *, recursive: bool = False, stream: bool = False, wait_index: int = 0,
              callback: Callable[[Event | None], None] | None = None) -> Result:
        """Answer from history at once (`event` set) or register a watcher (`watcher` set).

        The callback fires from a later `apply` with each matching event (once for a plain watch,
        every time for a stream), or with None when the watcher is dropped (store restore, or a
        stream buffer overflow). As in etcd, a hit in history answers and registers nothing, even
        for a stream. 401 if `wait_index` fell out of the 1000-event window.
        """
        key = clean_path(path)
        since = wait_index if wait_index else self.index + 1
        try:
            e = self._history.scan(key, recursive, since)
        except EtcdError as err:
            err.index = self.index
            return Result(etcd_index=self.index, error=err, is_watch=True)
        w = Watcher(key, recursive, stream, since, self.index, callback)
        if e is not None:
            w.active = False
            return Result(etcd_index=self.index, event=e, watcher=w, is_watch=True)
        self._hub.add(w)
        return Result(etcd_index=self.index, watcher=w, is_watch=True)

    # ---- apply -----------------------------------------------------------------------------

    def apply(self, command: dict, raft_index: int) -> Result:
        """Apply one committed command (a write, a quorum get, or SYNC) at `raft_index`.

        Call on every member in log order. Never raises on bad input: a malformed command is an
        error 300 result that changes nothing. Watchers are notified before this returns.
        """
        self.raft_index = raft_index
        cid = command.get("client_id") if isinstance(command, dict) else None
        seq = command.get("seq") if isinstance(command, dict) else None
        dkey = None
        op = command.get("op") if isinstance(command, dict) else None
        if cid is not None and type(seq) is int and op not in ("get", "sync"):
            # json.dumps of a str is its ASCII-escaped quoted form: skip building an encoder (hot path).
            dkey = _quote(cid) if type(cid) is str else json.dumps(cid, sort_keys=True)
            seen = self._dedup.get(dkey)
            if seen is not None:
                if seq == seen[0]:
                    return replace(seen[1], duplicate=True)
                if seq < seen[0]:
                    err = EtcdError(RAFT_INTERNAL, f"kvraft: stale duplicate request (seq {seq} < {seen[0]})", 0)
                    return Result(etcd_index=0, error=err, duplicate=True)
        try:
            c = Command(command) if isinstance(command, dict) else None
            if c is None:
                raise ValueError("command is not a dict")
        except ValueError as exc:
            result = Result(etcd_index=0, error=EtcdError(RAFT_INTERNAL, f"kvraft: malformed command: {exc}", 0))
        else:
            try:
                result = self._dispatch(c)
            except EtcdError as e:
                result = Result(etcd_index=e.index, error=e)
        if dkey is not None:
            self._dedup[dkey] = (seq, result)
        if type(op) is str and op != "get":
            self.stats.record(op, result.error is None)
        if result.expired:
            self.stats.expire_count += len(result.expired)
        self._fire()
        return result

    def _fire(self) -> None:
        out, self._out = self._out, []
        for w, e in out:
            w._deliver(e)

    def _dispatch(self, c: Command) -> Result:
        op = c.op
        now = c.now_ns
        if op == "set":
            e = self._set(c.path, c.dir, c.value, c.expiration(), c.refresh, now)
        elif op == "create":
            e = self._create(c.path, c.dir, c.value, c.expiration(), c.unique, False, "create", now)
            self._record(e, True)
        elif op == "update":
            e = self._update(c.path, c.value, c.expiration(), c.refresh, now)
        elif op == "compareAndSwap":
            e = self._cas(c.path, c.prev_value, c.prev_index, c.value, c.expiration(), c.refresh, now)
        elif op == "delete":
            e = self._delete(c.path, c.dir, c.recursive, now)
        elif op == "compareAndDelete":
            e = self._cad(c.path, c.prev_value, c.prev_index, now)
        elif op == "get":
            return self.get(c.path, recursive=c.recursive, sorted=c.sorted, now_ns=now)
        elif op == "expire":
            return Result(etcd_index=self.index, expired=self._expire_exact(c.paths, now))
        elif op in membership.OPS:
            membership.apply(self, c)
            return Result(etcd_index=self.index)
        else:
            expired = self._sync(now)
            return Result(etcd_index=self.index, expired=expired)
        return Result(etcd_index=e.index, event=e)

    def _record(self, e: Event, notify: bool) -> None:
        self._history.add(e)
        if notify:
            self._hub.notify(e, self._out)

    def _set_ttl(self, n: Node, exp: int | None) -> None:
        n.expire_ns = exp
        if exp is None:
            self._ttl.discard(n.path)
        else:
            self._ttl.set(n.path, exp)

    def _set(self, path: str, is_dir: bool, value: str, exp: int | None, refresh: bool, now: int) -> Event:
        path = clean_path(path)
        try:
            old: Node | None = self._root.lookup(path, self.index)
        except EtcdError as err:
            if err.code != KEY_NOT_FOUND or refresh:
                raise
            old = None
        if refresh and old is not None:
            value = old.value
        e = self._create(path, is_dir, value, exp, False, True, "set", now)
        e.refresh = refresh  # etcd's SetRefresh: kept in history, skipped by its scan, delivered to no one
        self._record(e, not refresh)
        return e

    def _create(self, path: str, is_dir: bool, value: str, exp: int | None, unique: bool,
                replace_file: bool, action: str, now: int) -> Event:
        cur = self.index
        nxt = cur + 1
        if unique:
            path = path + "/" + f"{nxt:020d}"
        path = clean_path(path)
        if path == "/":
            raise EtcdError(ROOT_RONLY, "/", cur)
        if exp is not None and exp < MIN_EXPIRE_NS:
            exp = None
        parent_path, name = split(path)
        parent = self._root.ensure_dir(parent_path, cur, nxt)
        children = parent.children
        assert children is not None
        old = children.get(name)
        prev = None
        refresh = False
        if old is not None:
            if not replace_file:
                raise EtcdError(NODE_EXIST, path, cur)
            if old.children is not None:
                raise EtcdError(NOT_FILE, path, cur)
            prev = _view(old, now)
            del children[name]
            self._ttl.discard(path)
        if is_dir:
            value = ""
        node = Node(path, name, value, {} if is_dir else None, nxt, nxt, exp)
        children[name] = node
        if exp is not None:
            self._ttl.set(path, exp)
        self.index = nxt
        ttl = 0 if exp is None else ttl_seconds(exp, now)
        view = NodeView(path, None if is_dir else value, is_dir, exp, ttl, None, nxt, nxt)
        return Event(action, view, prev, refresh)

    def _update(self, path: str, value: str, exp: int | None, refresh: bool, now: int) -> Event:
        path = clean_path(path)
        cur = self.index
        if path == "/":
            raise EtcdError(ROOT_RONLY, "/", cur)
        n = self._root.lookup(path, cur)
        is_dir = n.children is not None
        if is_dir and value:
            raise EtcdError(NOT_FILE, path, cur)
        nxt = cur + 1
        prev = _view(n, now)
        if refresh:
            value = n.value
        if not is_dir:
            # a directory keeps its modifiedIndex; only the event reports the new one (H07/H08)
            n.value = value
            n.modified = nxt
        self._set_ttl(n, exp)
        self.index = nxt
        ttl = 0 if exp is None else ttl_seconds(exp, now)
        e = Event("update", NodeView(path, None if is_dir else value, is_dir, exp, ttl, None, nxt, n.created),
                  prev, refresh)
        self._record(e, not refresh)
        return e

    def _cas(self, path: str, prev_value: str, prev_index: int, value: str, exp: int | None,
             refresh: bool, now: int) -> Event:
        path = clean_path(path)
        cur = self.index
        if path == "/":
            raise EtcdError(ROOT_RONLY, "/", cur)
        n = self._root.lookup(path, cur)
        if n.children is not None:
            raise EtcdError(NOT_FILE, error_path(path), cur)
        _compare(n, prev_value, prev_index, cur)
        if refresh:
            value = n.value
        nxt = cur + 1
        prev = _view(n, now)
        n.value = value
        n.modified = nxt
        self._set_ttl(n, exp)
        self.index = nxt
        ttl = 0 if exp is None else ttl_seconds(exp, now)
        e = Event("compareAndSwap", NodeView(path, value, False, exp, ttl, None, nxt, n.created), prev, refresh)
        self._record(e, not refresh)
        return e

    def _remove(self, n: Node, e: Event) -> None:
        """Unlink `n` and its subtree; watchers at every removed path get `e` (deleted=True)."""
        parent_path, name = split(n.path)
        parent = self._root.lookup(parent_path, self.index)
        assert parent.children is not None
        for m in n.walk():
            if m.expire_ns is not None:
                self._ttl.discard(m.path)
            if m is n:
                del parent.children[name]
            self._hub.notify_path(e, m.path, True, self._out)

    def _delete(self, path: str, is_dir: bool, recursive: bool, now: int) -> Event:
        path = clean_path(path)
        cur = self.index
        if path == "/":
            raise EtcdError(ROOT_RONLY, "/", cur)
        if recursive:
            is_dir = True
        n = self._root.lookup(path, cur)
        if n.children is not None:
            if not is_dir:
                raise EtcdError(NOT_FILE, path, cur)
            if n.children and not recursive:
                raise EtcdError(DIR_NOT_EMPTY, path, cur)
        nxt = cur + 1
        e = Event("delete", NodeView(path, None, n.children is not None, None, 0, None, nxt, n.created),
                  _view(n, now))
        self._remove(n, e)
        self.index = nxt
        self._record(e, True)
        return e

    def _cad(self, path: str, prev_value: str, prev_index: int, now: int) -> Event:
        path = clean_path(path)
        cur = self.index
        n = self._root.lookup(path, cur)
        if n.children is not None:
            raise EtcdError(NOT_FILE, error_path(path), cur)
        _compare(n, prev_value, prev_index, cur)
        nxt = cur + 1
        e = Event("compareAndDelete", NodeView(path, None, False, None, 0, None, nxt, n.created),
                  _view(n, now))
        self._remove(n, e)
        self.index = nxt
        self._record(e, True)
        return e

    def _sync(self, now: int) -> tuple[Event, ...]:
        expired: list[Event] = []
        while True:
            path = self._ttl.pop_due(now)
            if path is None:
                break
            try:
                n = self._root.lookup(path, self.index)
            except EtcdError:  # pragma: no cover - the TTL index only holds live paths
                continue
            expired.append(self._expire_node(n, path, now))
        return tuple(expired)

    def _expire_node(self, n: Node, path: str, now: int) -> Event:
        nxt = self.index + 1
        prev = _view(n, now)
        n.expire_ns = None
        self._ttl.discard(path)
        e = Event("expire", NodeView(path, None, n.children is not None, None, 0, None, nxt, n.created), prev)
        self._remove(n, e)
        self.index = nxt
        self._record(e, True)
        return e

    def _expire_exact(self, paths: list[tuple[str, int]], now: int) -> tuple[Event, ...]:
        """Expire each listed node that still carries exactly that expiration (a refresh since the
        leader decided changes it, and the node then stays). Used instead of SYNC when expiry is
        decided by the leader's monotonic deadlines (kvraft/member.py), so clock jumps cannot
        expire a node early."""
        expired: list[Event] = []
        for path, exp in paths:
            try:
                n = self._root.lookup(clean_path(path), self.index)
            except EtcdError:
                continue
            if n.expire_ns is None or n.expire_ns != exp:
                continue
            expired.append(self._expire_node(n, n.path, now))
        return tuple(expired)

    def ttl_nodes(self) -> list[tuple[str, int]]:
        """(path, expire_ns) of every node carrying a TTL, sorted by path."""
        return sorted(self._ttl.items())

    # ---- snapshots -------------------------------------------------------------------------

    def snapshot(self) -> bytes:
        """Canonical bytes of the replicated state (tree, indexes, history window, dedup table)."""
        from . import snapshot
        return snapshot.dump(self)

    def restore(self, data: bytes) -> None:
        """Replace this store's state with `snapshot()` bytes.

        Registered watchers are dropped (their callbacks get None; the member ends those
        responses and clients re-watch, as after an etcd store recovery). Raises SnapshotError.
        """
        from . import snapshot
        snapshot.load(self, data)
        self._ttl.on_change = self._ttl_listener
        for w in self._hub.drop_all():
            w._deliver(None)

    @classmethod
    def from_snapshot(cls, data: bytes) -> "Store":
        s = cls()
        s.restore(data)
        return s
