"""Events, the history window and the watcher hub, rule by rule (spec.md §7): which events match a watch,
the 401 boundary of the window, hidden keys below a watched directory, streams kept and plain watches used
up, a deleted path's event delivered once, watchers offered events root first
(bench/mutation.py --module kvraft/store/events.py)."""

from __future__ import annotations

import pytest

from kvraft.store import EtcdError
from kvraft.store.events import (HISTORY_CAPACITY, STREAM_BUFFER, Event, EventHistory, NodeView, Watcher, WatcherHub,
                                 _hidden_below)


def nv(key: str, index: int, *, dir: bool = False, value: str | None = "v") -> NodeView:  # noqa: A002
    return NodeView(key, None if dir else value, dir, None, 0, None, index, index)


def ev(action: str, key: str, index: int, *, prev_dir: bool = False, refresh: bool = False) -> Event:
    prev = nv(key, index - 1, dir=prev_dir) if action in ("delete", "expire", "update") else None
    return Event(action, nv(key, index, dir=prev_dir), prev, refresh)


def test_constants() -> None:
    assert (HISTORY_CAPACITY, STREAM_BUFFER) == (1000, 100)


@pytest.mark.parametrize(("e", "key", "recursive", "want"), [
    (ev("set", "/a/b", 5), "/a/b", False, True),
    (ev("set", "/a/b", 5), "/a", False, False),
    (ev("set", "/a/b", 5), "/a", True, True),
    (ev("set", "/a/b", 5), "/a/", True, True),
    (ev("set", "/ab", 5), "/a", True, False),  # a sibling with the same prefix is not below
    (ev("set", "/a", 5), "/a/b", True, False),
    (ev("delete", "/a", 5, prev_dir=True), "/a/b/c", False, True),  # deleting a directory hits keys inside
    (ev("expire", "/a", 5, prev_dir=True), "/a/b", False, True),
    (ev("delete", "/a", 5, prev_dir=True), "/ab", False, False),
    (ev("delete", "/a", 5), "/a/b", False, False),  # a file's delete: nothing inside
    (ev("update", "/a", 5, prev_dir=True), "/a/b", False, False),
    (Event("delete", nv("/a", 5)), "/a/b", False, False),  # no prevNode
])
def test_event_matches(e: Event, key: str, recursive: bool, want: bool) -> None:
    assert e.matches(key, recursive) is want


def test_event_value() -> None:
    e = ev("update", "/k", 5)
    assert e.index == 5 and str(e) == "update /k @5" and str(Event("get", nv("", 0, dir=True))) == "get / @0"
    assert Event.from_json(e.to_json()) == e and e.to_json()["prev"]["mi"] == 4 and "refresh" not in e.to_json()
    assert repr(e) == f"Event({e.to_json()!r})"
    r = Event("set", nv("/k", 6), None, True)
    assert r.to_json()["refresh"] is True and Event.from_json(r.to_json()).refresh is True
    i = Event("set", nv("/0/version", 6), None, internal=True)  # etcd's /0 namespace: kept apart from watches
    assert i.to_json()["internal"] is True and Event.from_json(i.to_json()).internal is True
    assert "internal" not in r.to_json() and Event.from_json(r.to_json()).internal is False
    assert i != Event("set", nv("/0/version", 6))
    assert e != ev("update", "/k", 6) and (e == "x") is False and "prev" not in ev("set", "/k", 5).to_json()
    with pytest.raises(TypeError):
        hash(e)
    d = NodeView("/d", None, True, 7, 3, (nv("/d/a", 2),), 4, 1)
    assert d.to_json() == {"key": "/d", "mi": 4, "ci": 1, "dir": True, "exp": 7, "ttl": 3,
                           "nodes": [{"key": "/d/a", "mi": 2, "ci": 2, "value": "v"}]}
    assert NodeView.from_json(d.to_json()) == d and repr(d).startswith("NodeView({'key': '/d'")
    assert (d == "x") is False and (d == e) is False and d != nv("/d", 4)
    bare = NodeView.from_json({"key": "/k", "mi": 1, "ci": 1})
    assert bare.to_json() == {"key": "/k", "mi": 1, "ci": 1}
    assert (bare.value, bare.dir, bare.expire_ns, bare.ttl, bare.nodes) == (None, False, None, 0, None)


def history(first: int, last: int, capacity: int = 5) -> EventHistory:
    h = EventHistory(capacity)
    for i in range(first, last + 1):
        h.add(ev("set", "/k" if i % 2 else "/j", i, refresh=(i == 8)))
    return h


def test_history_window() -> None:
    h = history(1, 9)  # keeps 5..9
    assert (h.start_index, h.last_index, len(h.events), h.capacity) == (5, 9, 5, 5)
    assert (EventHistory().start_index, EventHistory().last_index, EventHistory().capacity) == (0, 0, 1000)


@pytest.mark.parametrize(("key", "since", "want"), [
    ("/k", 5, 5), ("/k", 6, 7), ("/j", 5, 6), ("/j", 7, None),  # 8 is a refresh: never matched
    ("/k", 9, 9), ("/k", 10, None), ("/x", 5, None),
])
def test_history_scan(key: str, since: int, want: int | None) -> None:
    got = history(1, 9).scan(key, False, since)
    assert (got.index if got else None) == want


@pytest.mark.parametrize("since", [4, 1, 0])
def test_history_scan_before_the_window_is_401(since: int) -> None:
    with pytest.raises(EtcdError) as e:
        history(1, 9).scan("/k", False, since)
    assert (e.value.code, e.value.cause, e.value.index) == (
        401, f"the requested history has been cleared [5/{since}]", 0)


@pytest.mark.parametrize(("watch", "key", "want"), [
    ("/", "/a", False), ("/", "/_a", True), ("/a", "/a/_b/c", True), ("/a", "/a/b/_c", True),
    ("/a", "/a/b", False), ("/a/b", "/a", False), ("/_a", "/_a/b", False),  # only below the watched path
    ("/a", "/a/b_", False),
])
def test_hidden_below(watch: str, key: str, want: bool) -> None:
    assert _hidden_below(watch, key) is want


def test_watcher_buffer_and_cancel() -> None:
    w = Watcher("/k", False, True, 1, 1, None)
    w._deliver(None)
    assert w.events == [] and w.active
    for i in range(STREAM_BUFFER - 1):
        w._deliver(ev("set", "/k", i + 1))
    assert w.active and len(w.events) == STREAM_BUFFER - 1
    w._deliver(ev("set", "/k", 100))
    assert not w.active  # a stream that fell STREAM_BUFFER behind is dropped
    plain = Watcher("/k", False, False, 1, 1, None)
    for i in range(STREAM_BUFFER + 5):
        plain._deliver(ev("set", "/k", i + 1))
    assert plain.active  # only streams are dropped
    got: list = []
    cb = Watcher("/k", False, False, 1, 1, got.append)
    cb._deliver(None)
    cb._deliver(ev("set", "/k", 3))
    assert got[0] is None and got[1].index == 3 and cb.events == []
    assert repr(cb) == "Watcher('/k' recursive=False stream=False since=1 active=True)"
    fields = Watcher("/p", True, True, 7, 5, got.append)
    assert (fields.path, fields.recursive, fields.stream, fields.since_index, fields.start_index, fields.callback,
            fields.last_index, fields.events, fields.active) == ("/p", True, True, 7, 5, got.append, 0, [], True)


def test_hub_add_remove_count() -> None:
    hub = WatcherHub()
    a, b = Watcher("/k", False, False, 1, 1, None), Watcher("/k", False, False, 1, 1, None)
    hub.add(a)
    hub.add(b)
    assert hub.count == 2 and hub.watchers["/k"] == [a, b]
    a.cancel()
    a.cancel()  # idempotent
    assert hub.count == 1 and hub.watchers["/k"] == [b] and not a.active
    hub.remove(b)
    assert hub.count == 0 and hub.watchers == {} and not b.active and b._hub is None
    hub.remove(b)
    assert hub.count == 0


def offered(hub: WatcherHub, e: Event) -> list[tuple[str, bool]]:
    out: list = []
    hub.notify(e, out)
    return [(w.path, w.recursive) for w, _ in out]


def test_notify_offers_root_first_and_uses_up_plain_watches() -> None:
    hub = WatcherHub()
    for path, rec in (("/a/b", False), ("/a", True), ("/", True), ("/a", False), ("/x", True)):
        hub.add(Watcher(path, rec, False, 1, 1, None))
    assert offered(hub, ev("set", "/a/b", 5)) == [("/", True), ("/a", True), ("/a/b", False)]
    assert hub.count == 2 and sorted(hub.watchers) == ["/a", "/x"]  # the three used up; /a plain not matched
    assert offered(hub, ev("set", "/a", 6)) == [("/a", False)]
    assert hub.count == 1 and list(hub.watchers) == ["/x"]
    prefix = Watcher("/a", True, False, 1, 1, None)
    hub.add(prefix)
    assert offered(hub, ev("set", "/ab", 8)) == [] and offered(hub, ev("set", "/x", 9)) == [("/x", True)]
    assert offered(hub, ev("set", "/a/b/c", 10)) == [("/a", True)]  # a sibling's name with the prefix: not below
    used = Watcher("/u", False, False, 1, 1, None)
    hub.add(used)
    assert offered(hub, ev("set", "/u", 7)) == [("/u", False)]
    assert used._hub is None and not used.active and hub.count == 0  # a used-up watch lets go of the hub
    used.cancel()
    assert hub.count == 0


def test_notify_since_index_streams_and_hidden_keys() -> None:
    hub = WatcherHub()
    late = Watcher("/", True, False, 10, 10, None)
    stream = Watcher("/d", True, True, 1, 1, None)
    hub.add(late)
    hub.add(stream)
    assert offered(hub, ev("set", "/d/k", 9)) == [("/d", True)]  # late waits for index 10
    assert offered(hub, ev("set", "/d/k", 10)) == [("/", True), ("/d", True)]
    assert stream.active and hub.count == 1  # a stream stays
    assert offered(hub, ev("set", "/d/_h", 11)) == []  # hidden below the watched path
    hidden_self = Watcher("/d/_h", False, False, 1, 1, None)
    hub.add(hidden_self)
    assert offered(hub, ev("set", "/d/_h", 12)) == [("/d/_h", False)]  # watched itself: delivered


def test_a_deleted_paths_event_is_offered_once() -> None:
    hub = WatcherHub()
    s = Watcher("/d/k", False, True, 1, 1, None)
    hub.add(s)
    out: list = []
    e = ev("delete", "/d/k", 7)
    hub.notify_path(e, "/d/k", True, out)
    hub.notify_path(e, "/d/k", False, out)
    assert len(out) == 1 and s.last_index == 7
    child = Watcher("/d/k/x", False, False, 1, 1, None)
    hub.add(child)
    out = []
    hub.notify_path(ev("delete", "/d/k", 8, prev_dir=True), "/d/k/x", True, out)  # removed under a deleted dir
    assert [w for w, _ in out] == [child]


def test_drop_all_in_path_order() -> None:
    hub = WatcherHub()
    ws = [Watcher(p, False, False, 1, 1, None) for p in ("/b", "/a", "/b", "/c")]
    for w in ws:
        hub.add(w)
    assert hub.drop_all() == [ws[1], ws[0], ws[2], ws[3]]
    assert hub.count == 0 and hub.watchers == {} and not any(w.active for w in ws) and ws[0]._hub is None
