"""Answers in etcd's wire shape, rule by rule: Go's string escaping, field order and omitempty, the status
of each write, error bodies and headers, HEAD, redirects (bench/mutation.py --module kvraft/store/render.py)."""

from __future__ import annotations

import pytest

from kvraft.store import EtcdError, Event, NodeView, Watcher
from kvraft.store.render import (ALLOW, Response, escape_path, event_json, go_json_string, method_not_allowed,
                                 node_json, not_found, redirect, render, render_error, render_event)
from kvraft.store.result import Result


@pytest.mark.parametrize(("s", "want"), [
    ("plain", '"plain"'), ("a<b>&c", '"a\\u003cb\\u003e\\u0026c"'), ('q"\\', '"q\\"\\\\"'),
    ("\n\r\t", '"\\n\\r\\t"'), ("\x00\x08\x0c\x1f", '"\\u0000\\u0008\\u000c\\u001f"'), ("\x20~", '" ~"'),
    ("\u2028\u2029", '"\\u2028\\u2029"'), ("é€", '"é€"'), ("\udcff", '"\\ufffd"'),
    ("\ud800\udfff", '"\\ufffd\\ufffd"'),
    ("\ue000", '"\ue000"'), ("\ud7ff", '"\ud7ff"'), ("\x7f", '"\x7f"'),  # just outside the surrogates: kept
])
def test_go_json_string(s: str, want: str) -> None:
    assert go_json_string(s) == want


@pytest.mark.parametrize(("v", "want"), [
    (NodeView("/k", "v", False, None, 0, None, 3, 2), '{"key":"/k","value":"v","modifiedIndex":3,"createdIndex":2}'),
    (NodeView("", None, True, None, 0, None, 0, 0), '{"dir":true}'),  # the root: every field omitted
    (NodeView("/k", "", False, 1_000_000_000, 5, None, 1, 1),
     '{"key":"/k","value":"","expiration":"2026-01-01T00:00:01Z","ttl":5,"modifiedIndex":1,"createdIndex":1}'),
    (NodeView("/k", "", False, 0, 0, None, 1, 1),
     '{"key":"/k","value":"","expiration":"2026-01-01T00:00:00Z","modifiedIndex":1,"createdIndex":1}'),  # ttl 0
    (NodeView("/d", None, True, None, 0, (NodeView("/d/a", "1", False, None, 0, None, 4, 4),
                                          NodeView("/d/b", None, True, None, 0, (), 5, 5)), 2, 2),
     '{"key":"/d","dir":true,"nodes":[{"key":"/d/a","value":"1","modifiedIndex":4,"createdIndex":4},'
     '{"key":"/d/b","dir":true,"modifiedIndex":5,"createdIndex":5}],"modifiedIndex":2,"createdIndex":2}'),
])
def test_node_json(v: NodeView, want: str) -> None:
    assert node_json(v) == want


K = NodeView("/k", "v", False, None, 0, None, 3, 3)
OLD = NodeView("/k", "u", False, None, 0, None, 2, 2)


@pytest.mark.parametrize(("e", "quiet", "want"), [
    (Event("set", K), False, '{"action":"set","node":' + node_json(K) + "}"),
    (Event("set", K, OLD), False, '{"action":"set","node":' + node_json(K) + ',"prevNode":' + node_json(OLD) + "}"),
    (Event("set", K, OLD), True, '{"action":"set"}'),
    (Event("create", K), True, '{"action":"create"}'), (Event("update", K), True, '{"action":"update"}'),
    (Event("compareAndSwap", K), True, '{"action":"compareAndSwap"}'),
    (Event("delete", K), True, '{"action":"delete","node":' + node_json(K) + "}"),  # only the four writes
])
def test_event_json(e: Event, quiet: bool, want: str) -> None:
    assert event_json(e, quiet) == want
    if not quiet:
        assert render_event(e) == (want + "\n").encode()


def test_render_error() -> None:
    r = render_error(EtcdError(100, "/k", 7))
    assert (r.status, r.headers) == (404, {"Content-Type": "application/json", "X-Etcd-Index": "7"})
    assert r.body == b'{"errorCode":100,"message":"Key not found","cause":"/k","index":7}\n'
    assert render_error(EtcdError(209, "", 0)).body == b'{"errorCode":209,"message":"Invalid field","index":0}\n'
    assert render_error(EtcdError(100, "/k", 7), head=True).body == b""
    via = render(Result(etcd_index=9, error=EtcdError(105, "/k", 9)), raft_index=12, raft_term=2)
    assert (via.status, list(via.headers)) == (412, ["Content-Type", "X-Etcd-Index"])


HEAD = {"Content-Type": "application/json", "X-Etcd-Index": "9", "X-Raft-Index": "12", "X-Raft-Term": "2"}


@pytest.mark.parametrize(("e", "status"), [
    (Event("create", K), 201), (Event("set", K), 201), (Event("set", K, OLD), 200), (Event("update", K, OLD), 200),
    (Event("get", K), 200), (Event("delete", K, OLD), 200),
])
def test_render_write_status_and_headers(e: Event, status: int) -> None:
    r = render(Result(etcd_index=9, event=e), raft_index=12, raft_term=2)
    assert (r.status, r.headers, r.body, r.watcher) == (status, HEAD, render_event(e), None)
    assert list(r.headers) == list(HEAD)
    h = render(Result(etcd_index=9, event=e), raft_index=12, raft_term=2, head=True)
    assert (h.status, h.headers, h.body) == (status, HEAD, b"")
    q = render(Result(etcd_index=9, event=e), raft_index=12, raft_term=2, no_value_on_success=True)
    assert q.body == (event_json(e, True) + "\n").encode()


def test_render_watch_and_empty() -> None:
    w = Watcher("/k", False, False, 10, 10, None)
    waiting = render(Result(etcd_index=9, watcher=w, is_watch=True), raft_index=12, raft_term=2)
    assert (waiting.status, waiting.headers, waiting.body, waiting.watcher) == (200, HEAD, b"", w)
    hit = render(Result(etcd_index=9, event=Event("set", K), is_watch=True), raft_index=12, raft_term=2)
    assert (hit.status, hit.body, hit.watcher) == (200, render_event(Event("set", K)), None)
    head = render(Result(etcd_index=9, event=Event("set", K), is_watch=True), raft_index=12, raft_term=2, head=True)
    assert head.body == b"" and head.watcher is None
    empty = render(Result(etcd_index=9), raft_index=12, raft_term=2)
    assert (empty.status, empty.headers, empty.body) == (200, HEAD, b"")


@pytest.mark.parametrize(("method", "headers", "body"), [
    ("GET", {"Content-Type": "text/html; charset=utf-8", "Location": "/v2/keys/a?x=<&>"},
     b'<a href="/v2/keys/a?x=&lt;&amp;&gt;">Moved Permanently</a>.\n\n'),
    ("HEAD", {"Content-Type": "text/html; charset=utf-8", "Location": "/v2/keys/a?x=<&>"}, b""),
    ("PUT", {"Location": "/v2/keys/a?x=<&>"}, b""),
])
def test_redirect(method: str, headers: dict, body: bytes) -> None:
    r = redirect("/v2/keys/a?x=<&>", method)
    assert (r.status, r.headers, r.body) == (301, headers, body)
    assert b"&#34;&#39;" in redirect("/\"'", "GET").body


def test_fixed_answers_and_text() -> None:
    assert ALLOW == "HEAD,GET,PUT,POST,DELETE"
    m = method_not_allowed()
    assert (m.status, m.headers, m.body) == (405, {"Content-Type": "text/plain; charset=utf-8", "Allow": ALLOW},
                                             b"Method Not Allowed\n")
    n = not_found()
    assert (n.status, n.headers, n.body) == (404, {"Content-Type": "text/plain; charset=utf-8"},
                                             b"404 page not found\n")
    assert str(Response(status=200, headers={"A": "1", "B": "2"}, body=b"x")) == "200 A=1 B=2 b'x'"
    assert escape_path("/a b/é/$&+,:;=@?#") == "/a%20b/%C3%A9/$&+,:;=@%3F%23"
