"""Events, the 1000-event history window, and the watcher hub (etcd's event_history/watcher_hub).

Rules:
- An `Event` is immutable and carries `NodeView`s whose `ttl` was computed when the event was
  made (at the command's `now_ns`), so every replica holds byte-identical events.
- Every index the store takes produces exactly one event in the history, refreshes included
  (history indexes are contiguous; `scan` relies on it as etcd does). Refresh events are kept
  but never matched or delivered (spec.md §6).
- Matching (spec.md §7): key == P; or recursive and key under P/; or a delete/expire of a
  directory that contains P. Live delivery to an ancestor skips keys below P that pass through a
  hidden component; the history scan does not filter hidden keys.
- An `internal` event is a write to etcd's own /0 namespace (membership, cluster version,
  `membership.py`): it takes its index and its place in the window, and no watcher ever sees it.
- Watchers are callbacks, fired by the store after an apply completes, in etcd's order.
  No threads, no clocks.
"""

from __future__ import annotations

from collections import deque
from typing import Callable

from .errors import EVENT_INDEX_CLEARED, EtcdError

__all__ = ["NodeView", "Event", "EventHistory", "Watcher", "WatcherHub", "HISTORY_CAPACITY",
           "STREAM_BUFFER"]

HISTORY_CAPACITY = 1000
# etcd's per-watcher channel: a stream watcher that falls this many events behind is dropped.
STREAM_BUFFER = 100


class NodeView:
    """A node as shown in an answer: etcd's NodeExtern (value None = no "value" field)."""

    __slots__ = ("key", "value", "dir", "expire_ns", "ttl", "nodes", "modified", "created")

    def __init__(self, key: str, value: str | None, dir: bool, expire_ns: int | None, ttl: int,
                 nodes: tuple["NodeView", ...] | None, modified: int, created: int) -> None:
        self.key = key
        self.value = value
        self.dir = dir
        self.expire_ns = expire_ns
        self.ttl = ttl
        self.nodes = nodes
        self.modified = modified
        self.created = created

    def to_json(self) -> dict:
        d: dict = {"key": self.key, "mi": self.modified, "ci": self.created}
        if self.value is not None:
            d["value"] = self.value
        if self.dir:
            d["dir"] = True
        if self.expire_ns is not None:
            d["exp"] = self.expire_ns
            d["ttl"] = self.ttl
        if self.nodes is not None:
            d["nodes"] = [n.to_json() for n in self.nodes]
        return d

    @classmethod
    def from_json(cls, d: dict) -> "NodeView":
        nodes = d.get("nodes")
        return cls(d["key"], d.get("value"), d.get("dir", False), d.get("exp"), d.get("ttl", 0),
                   None if nodes is None else tuple(cls.from_json(n) for n in nodes), d["mi"], d["ci"])

    def __eq__(self, other: object) -> bool:
        return isinstance(other, NodeView) and self.to_json() == other.to_json()

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"NodeView({self.to_json()!r})"


class Event:
    """One store event: `action`, `node`, `prev` (prevNode or None), `refresh`."""

    __slots__ = ("action", "node", "prev", "refresh", "internal")

    def __init__(self, action: str, node: NodeView, prev: NodeView | None = None,
                 refresh: bool = False, internal: bool = False) -> None:
        self.action = action
        self.node = node
        self.prev = prev
        self.refresh = refresh
        self.internal = internal

    @property
    def index(self) -> int:
        return self.node.modified

    def __str__(self) -> str:
        return f"{self.action} {self.node.key or '/'} @{self.index}"

    def __repr__(self) -> str:
        return f"Event({self.to_json()!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Event) and self.to_json() == other.to_json()

    __hash__ = None  # type: ignore[assignment]

    def to_json(self) -> dict:
        d: dict = {"action": self.action, "node": self.node.to_json()}
        if self.prev is not None:
            d["prev"] = self.prev.to_json()
        if self.refresh:
            d["refresh"] = True
        if self.internal:
            d["internal"] = True
        return d

    @classmethod
    def from_json(cls, d: dict) -> "Event":
        prev = d.get("prev")
        return cls(d["action"], NodeView.from_json(d["node"]),
                   None if prev is None else NodeView.from_json(prev), d.get("refresh", False),
                   d.get("internal", False))

    def matches(self, key: str, recursive: bool) -> bool:
        """The history-scan match rule (no hidden filter), spec.md §7."""
        k = self.node.key
        if k == key:
            return True
        if recursive and k.startswith(key if key.endswith("/") else key + "/"):
            return True
        prev = self.prev
        if self.action in ("delete", "expire") and prev is not None and prev.dir:
            return key.startswith(prev.key + "/")
        return False


class EventHistory:
    """The newest `capacity` events, contiguous in index."""

    __slots__ = ("events", "capacity")

    def __init__(self, capacity: int = HISTORY_CAPACITY) -> None:
        self.capacity = capacity
        self.events: deque[Event] = deque(maxlen=capacity)

    @property
    def start_index(self) -> int:
        return self.events[0].index if self.events else 0

    @property
    def last_index(self) -> int:
        return self.events[-1].index if self.events else 0

    def add(self, e: Event) -> None:
        self.events.append(e)

    def scan(self, key: str, recursive: bool, since: int) -> Event | None:
        """First matching event with index >= since; raises 401 if `since` fell out of the window."""
        start = self.start_index
        if since < start:
            raise EtcdError(EVENT_INDEX_CLEARED,
                            f"the requested history has been cleared [{start}/{since}]", 0)
        if since > self.last_index:
            return None
        events = self.events
        for i in range(since - start, len(events)):
            e = events[i]
            if not e.refresh and not e.internal and e.matches(key, recursive):
                return e
        return None


def _hidden_below(watch_path: str, key: str) -> bool:
    """etcd's isHidden: does `key`, below `watch_path`, pass through a hidden component?"""
    if len(watch_path) > len(key):
        return False
    after = key[len(watch_path):]
    return ("/" + after if not after.startswith("/") else after).find("/_") >= 0


class Watcher:
    """A registered watch. `callback(event)` per delivered event; `callback(None)` when dropped.

    Without a callback, delivered events are appended to `events` (drain it to keep a stream
    alive: a stream whose buffer reaches STREAM_BUFFER undelivered events is dropped, like etcd).
    """

    __slots__ = ("path", "recursive", "stream", "since_index", "start_index", "callback",
                 "events", "active", "last_index", "_hub")

    def __init__(self, path: str, recursive: bool, stream: bool, since_index: int, start_index: int,
                 callback: Callable[[Event | None], None] | None) -> None:
        self.path = path
        self.recursive = recursive
        self.stream = stream
        self.since_index = since_index
        self.start_index = start_index
        self.callback = callback
        self.events: list[Event] = []
        self.active = True
        self.last_index = 0  # index of the last event offered (a stream gets each event once)
        self._hub: WatcherHub | None = None

    def cancel(self) -> None:
        """Unregister (the client went away). Idempotent."""
        if self._hub is not None:
            self._hub.remove(self)
        self.active = False

    def _deliver(self, e: Event | None) -> None:
        if self.callback is not None:
            self.callback(e)
            return
        if e is None:
            return
        self.events.append(e)
        if self.stream and len(self.events) >= STREAM_BUFFER:
            self.cancel()

    def __repr__(self) -> str:
        return (f"Watcher({self.path!r} recursive={self.recursive} stream={self.stream} "
                f"since={self.since_index} active={self.active})")


class WatcherHub:
    """Watchers by exact path, each list in registration order."""

    __slots__ = ("watchers", "count")

    def __init__(self) -> None:
        self.watchers: dict[str, list[Watcher]] = {}
        self.count = 0

    def add(self, w: Watcher) -> None:
        w._hub = self
        self.watchers.setdefault(w.path, []).append(w)
        self.count += 1

    def remove(self, w: Watcher) -> None:
        lst = self.watchers.get(w.path)
        if lst is not None and w in lst:
            lst.remove(w)
            self.count -= 1
            if not lst:
                del self.watchers[w.path]
        w._hub = None
        w.active = False

    def notify_path(self, e: Event, path: str, deleted: bool, out: list) -> None:
        """etcd's notifyWatchers: offer `e` to the watchers at `path`; matches go to `out`."""
        lst = self.watchers.get(path)
        if not lst:
            return
        original = e.node.key == path
        if not original and _hidden_below(path, e.node.key):
            return
        idx = e.index
        keep: list[Watcher] = []
        for w in lst:
            if (w.recursive or original or deleted) and idx >= w.since_index:
                if w.last_index == idx:
                    # etcd offers a deleted path's event twice (Remove callback, then the
                    # ancestor walk); a stream would see it twice. Deliver it once.
                    keep.append(w)
                    continue
                w.last_index = idx
                out.append((w, e))
                if w.stream:
                    keep.append(w)
                else:
                    w._hub = None
                    w.active = False
                    self.count -= 1
            else:
                keep.append(w)
        if keep:
            self.watchers[path] = keep
        else:
            del self.watchers[path]

    def notify(self, e: Event, out: list) -> None:
        """Offer `e` to the watchers of its key and of every ancestor, root first."""
        key = e.node.key
        self.notify_path(e, "/", False, out)
        if key == "/" or not self.watchers:
            return
        i = key.find("/", 1)
        while i != -1:
            self.notify_path(e, key[:i], False, out)
            i = key.find("/", i + 1)
        self.notify_path(e, key, False, out)

    def drop_all(self) -> list[Watcher]:
        """Unregister every watcher (store restore); returns them in a deterministic order."""
        dropped = [w for p in sorted(self.watchers) for w in self.watchers[p]]
        for w in dropped:
            w._hub = None
            w.active = False
        self.watchers = {}
        self.count = 0
        return dropped
