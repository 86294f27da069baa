"""Requests of the keys API, rule by rule (spec.md §3.1, §3.2): Go's query parsing and unescaping, the URL
checks in order (404, 301, 405), each parameter's accepted spellings, and the exact command each request
becomes (bench/mutation.py --module kvraft/store/request.py)."""

from __future__ import annotations

import json

import pytest

from kvraft.store import Store
from kvraft.store.render import Response
from kvraft.store.request import (KEYS_PREFIX, METHODS, ParsedRequest, RequestKind, _as_form, _clean_url_path,
                                  _raw_query, _uint, _unescape, handle_local, parse_query, parse_request)


def test_constants() -> None:
    assert KEYS_PREFIX == "/v2/keys" and METHODS == ("HEAD", "GET", "PUT", "POST", "DELETE")


@pytest.mark.parametrize(("raw", "want"), [
    ("abc", "abc"), ("", ""), ("a+b", "a b"), ("%41%62", "Ab"), ("%e2%82%ac", "\u20ac"), ("%2B+", "+ "),
    ("x%20", "x "), ("%FF", "\udcff"),  # a byte that is not UTF-8 is kept as a surrogate escape
    ("\u00e9%41", "\u00e9A"),  # raw non-ASCII passes through
    ("\ud800x", "\ud800x"),  # nothing to unescape: returned as it is, even what UTF-8 cannot carry
])
def test_unescape(raw: str, want: str) -> None:
    assert _unescape(raw) == want


@pytest.mark.parametrize(("raw", "err"), [
    ("%", 'invalid URL escape "%"'), ("a%4", 'invalid URL escape "%4"'), ("%zz", 'invalid URL escape "%zz"'),
    ("%4g", 'invalid URL escape "%4g"'), ("%g4", 'invalid URL escape "%g4"'), ("ok%41%", 'invalid URL escape "%"'),
    ("%zz1234", 'invalid URL escape "%zz"'), ("a%+1", 'invalid URL escape "%+1"'),  # three characters named
])
def test_unescape_bad_escape(raw: str, err: str) -> None:
    with pytest.raises(ValueError) as e:
        _unescape(raw)
    assert str(e.value) == err


@pytest.mark.parametrize(("raw", "want"), [
    ("", {}), ("a=1", {"a": ["1"]}), ("a=1&a=2&b", {"a": ["1", "2"], "b": [""]}), ("&&a=1&", {"a": ["1"]}),
    ("a=b=c", {"a": ["b=c"]}), ("%61=%62", {"a": ["b"]}), ("a+b=c+d", {"a b": ["c d"]}),
    (b"a=%FF", {"a": ["\udcff"]}), (b"k=\xff", {"k": ["\udcff"]}), ("=v", {"": ["v"]}),
])
def test_parse_query(raw: str | bytes, want: dict) -> None:
    assert parse_query(raw) == want


@pytest.mark.parametrize(("raw", "err"), [
    ("a=1;b=2", "invalid semicolon separator in query"), ("a=%zz&b=%yy", 'invalid URL escape "%zz"'),
    ("%zz=1", 'invalid URL escape "%zz"'), ("a;=1&b=%zz", "invalid semicolon separator in query"),
    ("b=%zz&a;", 'invalid URL escape "%zz"'),  # the first error is the one reported
])
def test_parse_query_errors(raw: str, err: str) -> None:
    with pytest.raises(ValueError) as e:
        parse_query(raw)
    assert str(e.value) == err


@pytest.mark.parametrize(("p", "form", "raw"), [
    (None, {}, ""), ("a=1&b=2", {"a": ["1"], "b": ["2"]}, "a=1&b=2"), (b"a=%41", {"a": ["A"]}, "a=%41"),
    ({"a": "x y", "b": ["1", "2"]}, {"a": ["x y"], "b": ["1", "2"]}, "a=x+y&b=1&b=2"),
    ({"a": ("1",)}, {"a": ["1"]}, "a=1"), (b"k=\xff", {"k": ["\udcff"]}, "k=\udcff"),
])
def test_params_as_form_and_raw_query(p, form: dict, raw: str) -> None:
    assert _as_form(p) == form and _raw_query(p) == raw


@pytest.mark.parametrize(("path", "want"), [
    ("", "/"), ("/", "/"), ("a", "/a"), ("/a/", "/a/"), ("/a//b", "/a/b"), ("/a/./b/", "/a/b/"), ("/a/..", "/"),
    ("/a/../", "/"), ("/v2/keys", "/v2/keys"), ("v2/keys/", "/v2/keys/"), ("/..", "/"),
])
def test_clean_url_path(path: str, want: str) -> None:
    assert _clean_url_path(path) == want


@pytest.mark.parametrize(("s", "want"), [
    ("0", 0), ("7", 7), ("007", 7), ("18446744073709551615", (1 << 64) - 1), ("18446744073709551616", None),
    ("", None), ("-1", None), ("+1", None), ("1.5", None), (" 1", None), ("\u0661", None), ("1e3", None),
])
def test_uint(s: str, want: int | None) -> None:
    assert _uint(s) == want


def parsed(method: str, query: str = "", body: str = "", path: str = "/v2/keys/k") -> ParsedRequest:
    p = parse_request(method, path, query, body)
    assert isinstance(p, ParsedRequest), p
    return p


def error_of(method: str, query: str = "", body: str = "", path: str = "/v2/keys/k") -> tuple:
    r = parse_request(method, path, query, body)
    assert isinstance(r, Response), r
    if r.headers.get("Content-Type") != "application/json":
        return r.status, r.body
    d = json.loads(r.body) if r.body else {}
    return r.status, d.get("errorCode"), d.get("cause"), r.headers["X-Etcd-Index"]


@pytest.mark.parametrize(("value", "want"), [
    *[(s, True) for s in ("1", "t", "T", "TRUE", "true", "True")],
    *[(s, False) for s in ("0", "f", "F", "FALSE", "false", "False")],
])
def test_boolean_spellings(value: str, want: bool) -> None:
    for name, attr in (("recursive", "recursive"), ("sorted", "sorted"), ("stream", "stream"),
                       ("noValueOnSuccess", "no_value_on_success")):
        assert getattr(parsed("GET", f"{name}={value}"), attr) is want
    assert (parsed("GET", f"quorum={value}").kind is RequestKind.QUORUM_READ) is want
    assert (parsed("GET", f"wait={value}").kind is RequestKind.WATCH) is want
    assert parsed("PUT", f"dir={value}").command["dir"] is want
    assert (parsed("PUT", f"prevExist={value}").command["op"] == "update") is want


@pytest.mark.parametrize("value", ["yes", "", "tRUE", "2", "on", " true"])
def test_boolean_rejects_other_spellings(value: str) -> None:
    assert error_of("GET", f"sorted={value}") == (400, 209, 'invalid value for "sorted"', "0")
    assert error_of("PUT", f"dir={value}") == (400, 209, 'invalid value for "dir"', "0")


@pytest.mark.parametrize(("method", "query", "body", "want"), [
    # the URL first: outside the API, then unclean (301 keeps the query), then the method
    ("GET", "", "", (404, b"404 page not found\n")),
    ("PATCH", "a=%zz", "", (404, b"404 page not found\n")),
    ("OPTIONS", "", "", (405, b"Method Not Allowed\n")),
    ("PATCH", "wait=x", "", (405, b"Method Not Allowed\n")),
    # §3.1's order: form (body, then query), prevIndex, waitIndex, the booleans, wait without GET, prevValue,
    # noValueOnSuccess, ttl, prevExist, refresh
    ("PUT", "a=%zz", "b=%yy", (400, 210, 'invalid URL escape "%yy"', "0")),
    ("POST", "a=1", "b;", (400, 210, "invalid semicolon separator in query", "0")),
    ("DELETE", "a=1", "b;", None),  # DELETE never reads its body
    ("GET", "prevIndex=1&waitIndex=x", "", (400, 203, 'invalid value for "waitIndex"', "0")),
    ("GET", "prevIndex=", "", (400, 203, 'invalid value for "prevIndex"', "0")),
    ("GET", "recursive=1&sorted=1&wait=1&dir=x", "", (400, 209, 'invalid value for "dir"', "0")),
    ("GET", "dir=1&quorum=x&stream=x", "", (400, 209, 'invalid value for "quorum"', "0")),
    ("PUT", "wait=true", "", (400, 209, '"wait" can only be used with GET requests', "0")),
    ("HEAD", "wait=true", "", (400,)),
    ("PUT", "wait=false&prevValue=", "", (400, 201, '"prevValue" cannot be empty', "0")),
    ("PUT", "ttl=-1", "", (400, 202, 'invalid value for "ttl"', "0")),
    ("PUT", "ttl=&prevExist=", "", (400, 209, "invalid value for prevExist", "0")),
    ("PUT", "refresh=true&value=", "", (400, 212, "No TTL value set", "0")),
    ("PUT", "refresh=false&value=v", "", None),
    ("PUT", "refresh=true&ttl=5&value=", "", None),  # an empty value is no value
    ("PUT", "refresh=true", "ttl=5&value=v", (400, 211, "A value was provided on a refresh", "0")),
])
def test_request_checks_in_order(method: str, query: str, body: str, want: tuple | None) -> None:
    path = "/v2/nothing" if want and want[0] == 404 else "/v2/keys/k"
    if want is None:
        assert isinstance(parse_request(method, path, query, body), ParsedRequest)
    elif want == (400,):
        r = parse_request(method, path, query, body)
        assert isinstance(r, Response) and r.status == 400 and r.body == b""  # HEAD: headers only
    else:
        assert error_of(method, query, body, path) == want


@pytest.mark.parametrize(("method", "path", "query", "location"), [
    ("GET", "/v2/keys/a/../b", {"x": "1 2"}, "/v2/keys/b?x=1+2"), ("PUT", "/v2/keys//a", None, "/v2/keys/a"),
    ("GET", "v2/keys/a", b"q=%41", "/v2/keys/a?q=%41"), ("GET", "/v2/nothing/../keys/a/./", "", "/v2/keys/a/"),
    ("GET", "/v2/keys/a b/../c d", "", "/v2/keys/c%20d"),
])
def test_unclean_paths_redirect(method: str, path: str, query, location: str) -> None:
    r = parse_request(method, path, query)
    assert isinstance(r, Response) and r.status == 301 and r.headers["Location"] == location


@pytest.mark.parametrize(("path", "key"), [
    ("/v2/keys", "/"), ("/v2/keys/", "/"), ("/v2/keys/a/b", "/a/b"), ("/v2/keys/a/", "/a"),
])
def test_key_of_the_url(path: str, key: str) -> None:
    assert parsed("GET", path=path).path == key
    assert parse_request("GET", path.replace("keys", "keysx")).status == 404


@pytest.mark.parametrize(("method", "query", "body", "command"), [
    ("GET", "quorum=true&recursive=true&sorted=true&wait=true", "",
     {"op": "get", "path": "/k", "recursive": True, "sorted": True}),
    ("POST", "dir=true&ttl=5", "value=v", {"op": "create", "path": "/k", "value": "v", "dir": True, "ttl": 5,
                                           "unique": True}),
    ("POST", "prevExist=true&prevIndex=2", "", {"op": "create", "path": "/k", "value": "", "dir": False,
                                                "ttl": None, "unique": True}),
    ("DELETE", "prevValue=a&dir=true", "", {"op": "compareAndDelete", "path": "/k", "prev_value": "a",
                                            "prev_index": 0}),
    ("DELETE", "prevIndex=4", "", {"op": "compareAndDelete", "path": "/k", "prev_value": "", "prev_index": 4}),
    ("DELETE", "dir=true&prevIndex=0", "", {"op": "delete", "path": "/k", "dir": True, "recursive": False}),
    ("DELETE", "recursive=true", "", {"op": "delete", "path": "/k", "dir": False, "recursive": True}),
    ("PUT", "prevExist=true&ttl=3&refresh=true", "", {"op": "update", "path": "/k", "value": "", "ttl": 3,
                                                      "refresh": True}),
    ("PUT", "prevExist=true&prevValue=a", "value=v",
     {"op": "compareAndSwap", "path": "/k", "value": "v", "ttl": None, "refresh": False, "prev_value": "a",
      "prev_index": 0}),
    ("PUT", "prevExist=false&dir=true", "", {"op": "create", "path": "/k", "value": "", "dir": True, "ttl": None,
                                             "unique": False}),
    ("PUT", "prevExist=false&prevIndex=3", "value=v", {"op": "create", "path": "/k", "value": "v", "dir": False,
                                                       "ttl": None, "unique": False}),
    ("PUT", "prevIndex=3&ttl=0", "value=v",
     {"op": "compareAndSwap", "path": "/k", "value": "v", "ttl": 0, "refresh": False, "prev_value": "",
      "prev_index": 3}),
    ("PUT", "prevExist=f&ttl=", "value=v", {"op": "create", "path": "/k", "value": "v", "dir": False,
                                            "ttl": None, "unique": False}),
    ("PUT", "dir=true&ttl=7&refresh=1", "", {"op": "set", "path": "/k", "value": "", "dir": True, "ttl": 7,
                                             "refresh": True}),
    ("PUT", "", "value=a+b", {"op": "set", "path": "/k", "value": "a b", "dir": False, "ttl": None,
                              "refresh": False}),
])
def test_command_of_each_request(method: str, query: str, body: str, command: dict) -> None:
    p = parsed(method, query, body)
    assert p.command == command and p.kind is (RequestKind.QUORUM_READ if method == "GET" else RequestKind.WRITE)


@pytest.mark.parametrize(("method", "query", "want"), [
    ("GET", "recursive=true&sorted=true&waitIndex=9&stream=true&noValueOnSuccess=true",
     dict(kind=RequestKind.LOCAL_READ, recursive=True, sorted=True, wait_index=9, stream=True,
          no_value_on_success=True)),
    ("HEAD", "wait=true", None),
    ("HEAD", "", dict(kind=RequestKind.LOCAL_READ)),
    ("GET", "wait=true&waitIndex=3", dict(kind=RequestKind.WATCH, wait_index=3)),
    ("PUT", "waitIndex=2", dict(kind=RequestKind.WRITE, wait_index=2)),
])
def test_parsed_fields(method: str, query: str, want: dict | None) -> None:
    p = parse_request(method, "/v2/keys/k", query)
    if want is None:
        assert isinstance(p, Response)
        return
    base = dict(kind=None, recursive=False, sorted=False, wait_index=0, stream=False, no_value_on_success=False)
    got = {f: getattr(p, f) for f in base}
    assert got == {**base, **want} and p.method == method and p.is_head is (method == "HEAD")
    if p.kind is not RequestKind.WRITE:
        assert p.command is None


def test_parsed_request_defaults() -> None:
    p = ParsedRequest(kind=RequestKind.LOCAL_READ, method="GET", path="/k")
    assert (p.command, p.recursive, p.sorted, p.wait_index, p.stream, p.no_value_on_success, p.is_head) == (
        None, False, False, 0, False, False, False)


def test_parsed_request_str() -> None:
    assert str(parsed("GET")) == "local-read GET /k"
    assert str(parsed("DELETE")) == ("write DELETE /k {'op': 'delete', 'path': '/k', 'dir': False, "
                                     "'recursive': False}")


def test_mapping_params_and_body_win() -> None:
    p = parsed("PUT", "value=q&ttl=1", "value=b")
    assert p.command["value"] == "b" and p.command["ttl"] == 1
    p = parse_request("POST", "/v2/keys/d", {"value": ["x", "y"]}, {"ttl": ["4", "5"]})
    assert p.command["value"] == "x" and p.command["ttl"] == 4
    assert parse_request("GET", "/v2/keys/k", None, "sorted=x").sorted is False  # GET never reads its body


def test_read_watch_and_respond() -> None:
    s = Store()
    w = handle_local(s, "PUT", "/v2/keys/d/k", "ttl=10", "value=v", now_ns=10**9, raft_index=1, raft_term=1)
    assert w.status == 201
    r = handle_local(s, "GET", "/v2/keys/d", "recursive=true&sorted=true", now_ns=5 * 10**9, raft_index=3,
                     raft_term=2)
    body = json.loads(r.body)
    assert body["node"]["nodes"][0]["ttl"] == 6 and r.headers["X-Raft-Index"] == "3" and r.headers["X-Raft-Term"] == "2"
    assert json.loads(handle_local(s, "GET", "/v2/keys/d", now_ns=0, raft_index=1, raft_term=1).body)[
        "node"]["nodes"][0]["key"] == "/d/k"
    h = handle_local(s, "HEAD", "/v2/keys/d/k", now_ns=0, raft_index=1, raft_term=1)
    assert h.status == 200 and h.body == b"" and h.headers["X-Etcd-Index"] == "1"
    got: list = []
    live = handle_local(s, "GET", "/v2/keys/d", "wait=true&recursive=true&stream=true", now_ns=0, raft_index=1,
                        raft_term=1, callback=got.append)
    assert live.watcher is not None and live.watcher.stream and live.watcher.recursive
    handle_local(s, "PUT", "/v2/keys/d/j", "", "value=1", now_ns=0, raft_index=2, raft_term=1)
    handle_local(s, "PUT", "/v2/keys/d/j", "", "value=2", now_ns=0, raft_index=3, raft_term=1)
    assert [e.index for e in got] == [2, 3] and live.watcher.active
    old = handle_local(s, "GET", "/v2/keys/d/j", "wait=true&waitIndex=3", now_ns=0, raft_index=1, raft_term=1)
    assert json.loads(old.body)["node"]["value"] == "2"
    quiet = handle_local(s, "PUT", "/v2/keys/q", "noValueOnSuccess=true", "value=1", now_ns=0, raft_index=4,
                         raft_term=1)
    assert quiet.body == b'{"action":"set"}\n'


def test_handle_local_stamps_now_and_dedup_ids() -> None:
    s = Store()
    a = handle_local(s, "PUT", "/v2/keys/k", "ttl=5", "value=1", now_ns=2 * 10**9, raft_index=1, raft_term=1,
                     client_id="c", seq=1)
    again = handle_local(s, "PUT", "/v2/keys/k", "ttl=5", "value=2", now_ns=3 * 10**9, raft_index=2, raft_term=1,
                         client_id="c", seq=1)
    assert a.body == again.body and s.index == 1 and s.next_expiration_ns() is not None
    only_id = handle_local(s, "PUT", "/v2/keys/k", "", "value=3", now_ns=0, raft_index=3, raft_term=1, client_id="c")
    only_seq = handle_local(s, "PUT", "/v2/keys/k", "", "value=4", now_ns=0, raft_index=4, raft_term=1, seq=1)
    assert (only_id.status, only_seq.status, s.index) == (200, 200, 3)
    bad = handle_local(s, "PUT", "/v2/keys/k", "ttl=x", now_ns=0, raft_index=5, raft_term=1)
    assert bad.status == 400 and s.index == 3
    q = handle_local(s, "GET", "/v2/keys/k", "quorum=true", now_ns=0, raft_index=6, raft_term=1)
    assert json.loads(q.body)["node"]["value"] == "4"


class _Recording(Store):
    def __init__(self) -> None:
        super().__init__()
        self.applied: list[tuple[dict, int]] = []

    def apply(self, command: dict, raft_index: int):
        self.applied.append((command, raft_index))
        return super().apply(command, raft_index)


@pytest.mark.parametrize(("ids", "stamped"), [
    ({"client_id": "c", "seq": 4}, {"client_id": "c", "seq": 4}),
    ({"client_id": 0, "seq": 0}, {"client_id": 0, "seq": 0}),
    ({"client_id": "c"}, {}), ({"seq": 4}, {}), ({}, {}),
])
def test_handle_local_applies_the_command_with_now_and_both_ids_or_none(ids: dict, stamped: dict) -> None:
    s = _Recording()
    handle_local(s, "PUT", "/v2/keys/k", "", "value=v", now_ns=9, raft_index=3, raft_term=1, **ids)
    handle_local(s, "GET", "/v2/keys/k", "quorum=true", now_ns=10, raft_index=4, raft_term=1, **ids)
    handle_local(s, "GET", "/v2/keys/k", "", now_ns=11, raft_index=5, raft_term=1, **ids)
    assert s.applied == [
        ({"op": "set", "path": "/k", "value": "v", "dir": False, "ttl": None, "refresh": False, "now_ns": 9,
          **stamped}, 3),
        ({"op": "get", "path": "/k", "recursive": False, "sorted": False, "now_ns": 10, **stamped}, 4)]
