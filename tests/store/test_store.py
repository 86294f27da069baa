"""Behaviour of the pure store beyond the samples: SYNC expiry, the 1000-event window, watches,
de-duplication, snapshots, request validation order, and Go's JSON escaping."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from kvraft.store import (HISTORY_CAPACITY, Event, Store, handle_local, parse_request, render_event,
                          sync_command, rfc3339, ttl_seconds, Response, RequestKind, SnapshotError)
from kvraft.store.expiry import NS_PER_S

S = NS_PER_S


def req(store: Store, method: str, path: str, query: str = "", body: str = "", *, now_ns: int = 0, **kw) -> Response:
    return handle_local(store, method, "/v2/keys" + path, query, body, now_ns=now_ns, raft_index=1,
                        raft_term=1, **kw)


def js(r: Response) -> dict:
    return json.loads(r.body)


# ---- time -------------------------------------------------------------------------------

def test_rfc3339_trims_trailing_zeros_like_go() -> None:
    assert rfc3339(0) == "2026-01-01T00:00:00Z"
    assert rfc3339(1_500_000_000) == "2026-01-01T00:00:01.5Z"
    assert rfc3339(-1) == "2025-12-31T23:59:59.999999999Z"


@pytest.mark.parametrize("remaining_ns,ttl", [(5 * S, 5), (3_800_000_000, 4), (1, 1), (0, 0),
                                              (-500_000_000, 0), (-1_500_000_000, -1)])
def test_ttl_rounds_up_with_go_truncation(remaining_ns: int, ttl: int) -> None:
    assert ttl_seconds(remaining_ns, 0) == ttl


def test_ttl_in_reads_uses_the_readers_clock() -> None:
    s = Store()
    req(s, "PUT", "/k", body="value=v&ttl=10", now_ns=0)
    assert js(req(s, "GET", "/k", now_ns=2_500_000_000))["node"]["ttl"] == 8
    assert "ttl" not in js(req(s, "GET", "/k", now_ns=10 * S))["node"]  # rounds to 0: omitted


# ---- SYNC expiry --------------------------------------------------------------------------

def test_sync_expires_due_nodes_in_expiration_order_one_index_each() -> None:
    s = Store()
    req(s, "PUT", "/late", body="value=1&ttl=3")
    req(s, "PUT", "/early", body="value=2&ttl=1")
    req(s, "PUT", "/keep", body="value=3&ttl=100")
    assert s.next_expiration_ns() == 1 * S
    r = s.apply(sync_command(5 * S), 10)
    assert [(e.action, e.node.key, e.index) for e in r.expired] == [("expire", "/early", 4), ("expire", "/late", 5)]
    assert s.index == 5 and r.etcd_index == 5
    assert s.next_expiration_ns() == 100 * S
    assert s.apply(sync_command(5 * S), 11).expired == ()  # nothing more is due


def test_sync_before_expiration_does_nothing_and_refresh_postpones() -> None:
    s = Store()
    req(s, "PUT", "/k", body="value=v&ttl=2", now_ns=0)
    assert s.apply(sync_command(1 * S), 2).expired == ()
    req(s, "PUT", "/k", "prevExist=true", "ttl=5&refresh=true", now_ns=1 * S)
    assert s.apply(sync_command(3 * S), 3).expired == ()
    assert js(req(s, "GET", "/k", now_ns=3 * S))["node"]["value"] == "v"
    assert [e.node.key for e in s.apply(sync_command(6 * S), 4).expired] == ["/k"]


def test_expiring_directory_removes_subtree_with_one_event_seen_by_watchers_inside() -> None:
    s = Store()
    req(s, "PUT", "/d/a/b", body="value=x")
    req(s, "PUT", "/d/a/c", body="value=y&ttl=100")
    req(s, "PUT", "/d", "prevExist=true", "dir=true&ttl=1")
    inner = req(s, "GET", "/d/a/b", "wait=true").watcher
    r = s.apply(sync_command(2 * S), 9)
    assert len(r.expired) == 1 and r.expired[0].node.dir and r.expired[0].node.key == "/d"
    assert inner.events == [r.expired[0]]
    assert s.next_expiration_ns() is None  # the child's TTL went with the directory
    assert req(s, "GET", "/d/a/b").status == 404


def test_permanent_set_clears_ttl_and_ttl_zero_expires_at_next_sync() -> None:
    s = Store()
    req(s, "PUT", "/k", body="value=v&ttl=5")
    req(s, "PUT", "/k", body="value=w")
    assert s.next_expiration_ns() is None
    r = req(s, "PUT", "/z", body="value=z&ttl=0", now_ns=7)
    assert "ttl" not in js(r)["node"] and js(r)["node"]["expiration"] == rfc3339(7)
    assert [e.node.key for e in s.apply(sync_command(7), 3).expired] == ["/z"]


# ---- the 1000-event window ------------------------------------------------------------------

def test_history_keeps_1000_events_and_answers_401_before() -> None:
    s = Store()
    for i in range(1100):
        req(s, "PUT", "/f", body=f"value={i}")
    c = s.index
    ok = req(s, "GET", "/f", f"wait=true&waitIndex={c - 999}")
    assert ok.status == 200 and js(ok)["node"]["modifiedIndex"] == c - 999
    bad = req(s, "GET", "/f", f"wait=true&waitIndex={c - 1000}")
    assert bad.status == 400 and bad.headers["X-Etcd-Index"] == str(c)
    assert js(bad) == {"errorCode": 401, "message": "The event in requested index is outdated and cleared",
                       "cause": f"the requested history has been cleared [{c - 999}/{c - 1000}]", "index": c}
    assert HISTORY_CAPACITY == 1000


def test_refresh_is_recorded_but_never_delivered() -> None:
    s = Store()
    req(s, "PUT", "/k", body="value=v&ttl=5")
    w = req(s, "GET", "/k", "wait=true").watcher
    req(s, "PUT", "/k", "prevExist=true", "ttl=9&refresh=true")
    assert w.events == [] and s.index == 2
    req(s, "PUT", "/k", body="value=x")
    assert [e.index for e in w.events] == [3]
    # the history scan skips the refresh at index 2
    assert js(req(s, "GET", "/k", "wait=true&waitIndex=2"))["node"]["modifiedIndex"] == 3


# ---- watches ----------------------------------------------------------------------------------

def test_recursive_watch_skips_hidden_live_but_history_scan_does_not() -> None:
    s = Store()
    w = req(s, "GET", "/d", "wait=true&recursive=true").watcher
    req(s, "PUT", "/d/_h/x", body="value=1")
    assert w.events == []
    req(s, "PUT", "/d/v", body="value=2")
    assert [e.node.key for e in w.events] == ["/d/v"]
    assert js(req(s, "GET", "/d", "wait=true&recursive=true&waitIndex=1"))["node"]["key"] == "/d/_h/x"
    exact = req(s, "GET", "/d/_h/x", "wait=true").watcher  # a hidden key is watchable by its path
    req(s, "PUT", "/d/_h/x", body="value=3")
    assert [e.node.value for e in exact.events] == ["3"]


def test_stream_watch_gets_every_event_once_including_a_directory_delete() -> None:
    s = Store()
    req(s, "PUT", "/d/k", body="value=0")
    got: list[Event | None] = []
    resp = req(s, "GET", "/d/k", "wait=true&stream=true", callback=got.append)
    assert resp.status == 200 and resp.body == b"" and resp.watcher is not None
    req(s, "PUT", "/d/k", body="value=1")
    req(s, "PUT", "/d/k", body="value=2")
    req(s, "DELETE", "/d/k")
    assert [(e.action, e.index) for e in got] == [("set", 2), ("set", 3), ("delete", 4)]
    req(s, "PUT", "/d/k", body="value=3")
    req(s, "DELETE", "/d", "recursive=true")
    assert [(e.action, e.node.key) for e in got[-2:]] == [("set", "/d/k"), ("delete", "/d")]
    resp.watcher.cancel()
    req(s, "PUT", "/d/k", body="value=4")
    assert len(got) == 5 and s.watcher_count == 0


def test_plain_watch_fires_once_and_future_wait_index_waits() -> None:
    s = Store()
    w = req(s, "GET", "/k", "wait=true&waitIndex=3").watcher
    req(s, "PUT", "/k", body="value=1")
    req(s, "PUT", "/k", body="value=2")
    req(s, "PUT", "/k", body="value=3")
    req(s, "PUT", "/k", body="value=4")
    assert [e.index for e in w.events] == [3] and not w.active
    assert render_event(w.events[0]).endswith(b"\n")


def test_stream_buffer_overflow_drops_the_watcher() -> None:
    s = Store()
    w = req(s, "GET", "/k", "wait=true&stream=true").watcher
    for i in range(100):
        req(s, "PUT", "/k", body=f"value={i}")
    assert not w.active and len(w.events) == 100 and s.watcher_count == 0


# ---- de-duplication -----------------------------------------------------------------------------

def test_retried_command_returns_remembered_response_without_applying() -> None:
    s = Store()
    cmd = {"op": "create", "path": "/q", "value": "job", "dir": False, "ttl": None, "unique": True,
           "now_ns": 0, "client_id": "c1", "seq": 1}
    first = s.apply(cmd, 1)
    again = s.apply(dict(cmd), 2)
    assert again.duplicate and again.event == first.event and s.index == 1
    failed = s.apply({"op": "compareAndSwap", "path": "/x", "prev_value": "a", "value": "b",
                      "client_id": "c1", "seq": 2}, 3)
    s.apply({"op": "set", "path": "/x", "value": "a", "client_id": "c2", "seq": 1}, 4)
    retry = s.apply({"op": "compareAndSwap", "path": "/x", "prev_value": "a", "value": "b",
                     "client_id": "c1", "seq": 2}, 5)
    assert failed.error is not None and retry.error == failed.error and s.index == 2
    stale = s.apply(dict(cmd), 6)
    assert stale.error is not None and stale.error.code == 300 and s.index == 2


def test_malformed_commands_are_error_300_and_change_nothing() -> None:
    s = Store()
    for bad in ({"op": "nope"}, {"op": "set", "path": 3}, {"op": "set", "ttl": -1}, {"op": "set", "dir": "yes"}, []):
        r = s.apply(bad, 1)  # type: ignore[arg-type]
        assert r.error is not None and r.error.code == 300
    assert s.index == 0 and s.snapshot() == Store().snapshot().replace(b'"raft_index":0', b'"raft_index":1')


# ---- snapshots -------------------------------------------------------------------------------

def _busy_store() -> Store:
    s = Store()
    req(s, "PUT", "/a/b", body="value=1&ttl=50")
    req(s, "POST", "/q", body="value=job")
    req(s, "PUT", "/z", body="value=é<&>")
    req(s, "PUT", "/a", "prevExist=true", "dir=true&ttl=70")
    req(s, "DELETE", "/z")
    req(s, "PUT", "/m", body="value=0")
    s.apply({"op": "set", "path": "/c", "value": "v", "client_id": "cl", "seq": 7, "now_ns": 0}, 9)
    for i in range(1005):
        req(s, "PUT", "/m", body=f"value={i}")
    return s


def test_snapshot_restore_round_trip_answers_watches_and_retries_alike() -> None:
    a = _busy_store()
    data = a.snapshot()
    b = Store.from_snapshot(data)
    assert b.snapshot() == data and b.index == a.index and b.next_expiration_ns() == a.next_expiration_ns()
    c = a.index
    for q in (f"wait=true&waitIndex={c - 999}", f"wait=true&waitIndex={c - 1000}", "wait=true&waitIndex=1",
              f"wait=true&recursive=true&waitIndex={c - 500}"):
        assert req(a, "GET", "/m", q).body == req(b, "GET", "/m", q).body
    assert req(a, "GET", "/", "recursive=true", now_ns=S).body == req(b, "GET", "/", "recursive=true", now_ns=S).body
    retry = {"op": "set", "path": "/c", "value": "v", "client_id": "cl", "seq": 7, "now_ns": 0}
    ra, rb = a.apply(dict(retry), 2000), b.apply(dict(retry), 2000)
    assert ra.duplicate and rb.duplicate and ra.event == rb.event
    for st in (a, b):
        st.apply(sync_command(100 * S), 2001)
    assert a.snapshot() == b.snapshot()


def test_restore_drops_registered_watchers() -> None:
    s = Store()
    got: list = []
    req(s, "GET", "/k", "wait=true", callback=got.append)
    s.restore(Store().snapshot())
    assert got == [None] and s.watcher_count == 0
    with pytest.raises(SnapshotError):
        s.restore(b'{"format_version": 99}')


def test_snapshot_bytes_do_not_depend_on_hash_seed() -> None:
    code = ("import sys; sys.path.insert(0, 'tests/store'); from test_store import _busy_store; "
            "import hashlib; print(hashlib.sha256(_busy_store().snapshot()).hexdigest())")
    outs = {subprocess.run([sys.executable, "-c", code], env={"PYTHONHASHSEED": seed, "PATH": ""},
                           capture_output=True, text=True, check=True).stdout for seed in ("1", "2")}
    assert len(outs) == 1


# ---- request validation (spec.md §3.1) ---------------------------------------------------

@pytest.mark.parametrize("method,query,body,code,cause", [
    ("PUT", "a=%zz", "", 210, 'invalid URL escape "%zz"'),
    ("PUT", "a=1;b=2", "", 210, "invalid semicolon separator in query"),
    ("PUT", "prevIndex=x&waitIndex=y&recursive=z", "", 203, 'invalid value for "prevIndex"'),
    ("GET", "waitIndex=-1&recursive=z", "", 203, 'invalid value for "waitIndex"'),
    ("GET", "recursive=z&sorted=z", "", 209, 'invalid value for "recursive"'),
    ("GET", "stream=yes", "", 209, 'invalid value for "stream"'),
    ("GET", "quorum=", "", 209, 'invalid value for "quorum"'),
    ("DELETE", "wait=true&prevValue=", "", 209, '"wait" can only be used with GET requests'),
    ("PUT", "prevValue=&ttl=x", "", 201, '"prevValue" cannot be empty'),
    ("PUT", "noValueOnSuccess=2&ttl=x", "", 209, 'invalid value for "noValueOnSuccess"'),
    ("PUT", "ttl=1.5&prevExist=x", "", 202, 'invalid value for "ttl"'),
    ("PUT", "ttl=18446744073709551616", "", 202, 'invalid value for "ttl"'),
    ("PUT", "prevExist=x&refresh=x", "", 209, "invalid value for prevExist"),
    ("PUT", "refresh=x", "", 209, "invalid value for refresh"),
    ("PUT", "refresh=true", "value=v", 211, "A value was provided on a refresh"),
    ("PUT", "refresh=true&ttl=", "", 212, "No TTL value set"),
])
def test_request_errors_come_in_spec_order_with_index_0(method, query, body, code, cause) -> None:
    r = parse_request(method, "/v2/keys/k", query, body)
    assert isinstance(r, Response) and r.headers["X-Etcd-Index"] == "0"
    assert js(r)["errorCode"] == code and js(r)["cause"] == cause and js(r)["index"] == 0


def test_body_wins_over_query_and_first_value_counts_and_delete_ignores_body() -> None:
    p = parse_request("PUT", "/v2/keys/k", "value=q&value=r", "value=b&value=c")
    assert not isinstance(p, Response) and p.command["value"] == "b"
    d = parse_request("DELETE", "/v2/keys/k", "", "prevValue=x")
    assert not isinstance(d, Response) and d.command["op"] == "delete"
    assert parse_request("PUT", "/v2/keys/k", {"value": ["x"]}, {"ttl": "3"}).command["ttl"] == 3


@pytest.mark.parametrize("method,query,kind,op", [
    ("GET", "", RequestKind.LOCAL_READ, None), ("HEAD", "quorum=true", RequestKind.LOCAL_READ, None),
    ("GET", "quorum=true", RequestKind.QUORUM_READ, "get"), ("GET", "wait=true", RequestKind.WATCH, None),
    ("GET", "wait=true&quorum=true", RequestKind.QUORUM_READ, "get"),
    ("PUT", "", RequestKind.WRITE, "set"), ("PUT", "prevExist=true", RequestKind.WRITE, "update"),
    ("PUT", "prevExist=true&prevIndex=3", RequestKind.WRITE, "compareAndSwap"),
    ("PUT", "prevExist=false&prevValue=x", RequestKind.WRITE, "create"),
    ("PUT", "prevValue=x", RequestKind.WRITE, "compareAndSwap"), ("PUT", "prevIndex=0", RequestKind.WRITE, "set"),
    ("POST", "", RequestKind.WRITE, "create"), ("DELETE", "prevIndex=2", RequestKind.WRITE, "compareAndDelete"),
    ("DELETE", "recursive=true", RequestKind.WRITE, "delete"),
])
def test_dispatch_table(method, query, kind, op) -> None:
    p = parse_request(method, "/v2/keys/k", query)
    assert not isinstance(p, Response) and p.kind is kind
    assert (p.command or {}).get("op") == op
    if p.command is not None:
        json.dumps(p.command)  # JSON-able, ready to propose


def test_urls_outside_the_api_and_unclean_paths() -> None:
    assert parse_request("GET", "/v2/nothing").body == b"404 page not found\n"
    r = parse_request("GET", "/v2/keys/a/../b", "x=1")
    assert r.status == 301 and r.headers["Location"] == "/v2/keys/b?x=1" and r.body.startswith(b"<a href=")
    assert not isinstance(parse_request("GET", "/v2/keys"), Response)
    assert not isinstance(parse_request("GET", "/v2/keys/a/"), Response)
    assert parse_request("OPTIONS", "/v2/keys/a").status == 405


# ---- operations and rendering details ---------------------------------------------------------

def test_go_json_escaping_and_invalid_utf8() -> None:
    s = Store()
    r = req(s, "PUT", "/e", body="value=%E2%80%A8%01%FF%08")
    assert r.body.startswith(b'{"action":"set","node":{"key":"/e","value":"\\u2028\\u0001\\ufffd\\u0008"')
    assert js(req(s, "GET", "/e", "wait=true&waitIndex=1"))["node"]["value"] == "\u2028\x01\ufffd\x08"


def test_head_of_an_error_has_headers_only_and_no_value_on_success() -> None:
    s = Store()
    r = req(s, "HEAD", "/missing")
    assert r.status == 404 and r.body == b"" and r.headers["X-Etcd-Index"] == "0"
    assert req(s, "PUT", "/k", "noValueOnSuccess=true", "value=1").body == b'{"action":"set"}\n'
    assert js(req(s, "DELETE", "/k", "noValueOnSuccess=true"))["action"] == "delete"


def test_post_to_root_and_in_order_names() -> None:
    s = Store()
    r = js(req(s, "POST", "/", body="value=x"))
    assert r["node"]["key"] == "/00000000000000000001"
    assert req(s, "PUT", "/", "prevExist=false", "value=x").status == 400


def test_set_refresh_replaces_node_and_update_refresh_keeps_created() -> None:
    s = Store()
    req(s, "PUT", "/k", body="value=v&ttl=5")
    r = js(req(s, "PUT", "/k", "refresh=true", "ttl=9"))
    assert r["action"] == "set" and r["node"]["value"] == "v" and r["node"]["createdIndex"] == 2
    assert js(req(s, "PUT", "/missing/x", "refresh=true", "ttl=9"))["cause"] == "/missing"


def test_delete_dir_watch_on_nonexistent_child_matches_history_only() -> None:
    s = Store()
    req(s, "PUT", "/w/k", body="value=1")
    live = req(s, "GET", "/w/none", "wait=true").watcher
    req(s, "DELETE", "/w", "recursive=true")
    assert live.events == []  # etcd notifies the removed nodes' paths, not every path below
    assert js(req(s, "GET", "/w/none", "wait=true&waitIndex=2"))["action"] == "delete"
    assert req(s, "GET", "/wx", "wait=true&waitIndex=2").watcher is not None  # not a prefix match


def test_quorum_get_through_the_log_is_not_deduplicated_and_takes_no_index() -> None:
    s = Store()
    s.apply({"op": "set", "path": "/k", "value": "1", "client_id": "c", "seq": 1}, 1)
    r = s.apply({"op": "get", "path": "/k", "client_id": "c", "seq": 1}, 2)
    assert not r.duplicate and r.event is not None and r.event.action == "get" and s.index == 1
    q = req(s, "GET", "/k", "quorum=true")
    assert q.status == 200 and js(q)["action"] == "get"
