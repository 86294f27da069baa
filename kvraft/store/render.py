"""Answers in etcd's exact wire shape: JSON bodies, statuses and headers (spec.md §4).

Rules:
- JSON is written by hand in Go's field order (action, node, prevNode; key, value, dir,
  expiration, ttl, nodes, modifiedIndex, createdIndex) with Go's omitempty rules and Go's string
  escaping (<, >, & as \\u003c \\u003e \\u0026; U+2028/U+2029 escaped; other non-ASCII raw UTF-8;
  bytes that were not UTF-8, carried as surrogate escapes, become \\ufffd). Each body ends in "\\n".
- Header order is fixed: Content-Type, X-Etcd-Index, X-Raft-Index, X-Raft-Term (errors carry no
  X-Raft-* headers). HEAD answers carry the headers and no body.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import quote

from .errors import EtcdError
from .events import Event, NodeView, Watcher
from .expiry import rfc3339

__all__ = ["Response", "render", "render_event", "render_error", "event_json", "node_json",
           "go_json_string", "redirect", "method_not_allowed", "not_found", "ALLOW"]

ALLOW = "HEAD,GET,PUT,POST,DELETE"
JSON = "application/json"
TEXT = "text/plain; charset=utf-8"


@dataclass(frozen=True, slots=True, kw_only=True)
class Response:
    """An HTTP answer. `watcher` is set while a long-poll / stream watch is still waiting."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    watcher: Watcher | None = None

    def __str__(self) -> str:
        hdrs = " ".join(f"{k}={v}" for k, v in self.headers.items())
        return f"{self.status} {hdrs} {self.body!r}"


def _escape_table() -> dict[int, str]:
    t: dict[int, str] = {i: f"\\u{i:04x}" for i in range(0x20)}
    t.update({ord("\n"): "\\n", ord("\r"): "\\r", ord("\t"): "\\t", ord('"'): '\\"', ord("\\"): "\\\\",
              ord("<"): "\\u003c", ord(">"): "\\u003e", ord("&"): "\\u0026",
              0x2028: "\\u2028", 0x2029: "\\u2029"})
    for i in range(0xD800, 0xE000):  # surrogate escapes of invalid UTF-8 bytes
        t[i] = "\\ufffd"
    return t


_ESC = _escape_table()


def go_json_string(s: str) -> str:
    """`s` as Go's encoding/json writes a string (HTML-safe escaping, pre-Go-1.22 \\b and \\f)."""
    return '"' + s.translate(_ESC) + '"'


def node_json(v: NodeView) -> str:
    parts = []
    if v.key:
        parts.append('"key":' + go_json_string(v.key))
    if v.value is not None:
        parts.append('"value":' + go_json_string(v.value))
    if v.dir:
        parts.append('"dir":true')
    if v.expire_ns is not None:
        parts.append('"expiration":"' + rfc3339(v.expire_ns) + '"')
        if v.ttl:
            parts.append(f'"ttl":{v.ttl}')
    if v.nodes:
        parts.append('"nodes":[' + ",".join(node_json(c) for c in v.nodes) + "]")
    if v.modified:
        parts.append(f'"modifiedIndex":{v.modified}')
    if v.created:
        parts.append(f'"createdIndex":{v.created}')
    return "{" + ",".join(parts) + "}"


_NO_VALUE_ACTIONS = frozenset({"set", "compareAndSwap", "create", "update"})


def event_json(e: Event, no_value_on_success: bool = False) -> str:
    if no_value_on_success and e.action in _NO_VALUE_ACTIONS:
        return '{"action":' + go_json_string(e.action) + "}"
    s = '{"action":' + go_json_string(e.action) + ',"node":' + node_json(e.node)
    if e.prev is not None:
        s += ',"prevNode":' + node_json(e.prev)
    return s + "}"


def render_event(e: Event) -> bytes:
    """One watch event as a body line (long poll body, or one line of a stream)."""
    return (event_json(e) + "\n").encode("utf-8")


def render_error(err: EtcdError, *, head: bool = False) -> "Response":
    body = '{"errorCode":' + str(err.code) + ',"message":' + go_json_string(err.message)
    if err.cause:
        body += ',"cause":' + go_json_string(err.cause)
    body += ',"index":' + str(err.index) + "}\n"
    return Response(status=err.status, headers={"Content-Type": JSON, "X-Etcd-Index": str(err.index)},
                    body=b"" if head else body.encode("utf-8"))


def render(result, *, raft_index: int, raft_term: int, head: bool = False,
           no_value_on_success: bool = False) -> Response:
    """The HTTP answer for a store `Result` (apply, get or watch).

    Args: raft_index / raft_term of the answering member; `head` for HEAD requests;
    `no_value_on_success` from the request. A watch still waiting renders as the 200 head whose
    body the caller completes with `render_event` when the watcher fires.
    """
    if result.error is not None:
        return render_error(result.error, head=head)
    headers = {"Content-Type": JSON, "X-Etcd-Index": str(result.etcd_index),
               "X-Raft-Index": str(raft_index), "X-Raft-Term": str(raft_term)}
    e = result.event
    if result.is_watch:
        body = b"" if e is None or head else render_event(e)
        return Response(status=200, headers=headers, body=body,
                        watcher=result.watcher if e is None else None)
    if e is None:
        return Response(status=200, headers=headers)
    status = 201 if e.action == "create" or (e.action == "set" and e.prev is None) else 200
    body = b"" if head else (event_json(e, no_value_on_success) + "\n").encode("utf-8")
    return Response(status=status, headers=headers, body=body)


def redirect(location: str, method: str) -> Response:
    """Go ServeMux's 301 for an unclean path (spec.md §1, S62)."""
    headers = {"Location": location}
    body = b""
    if method in ("GET", "HEAD"):
        headers = {"Content-Type": "text/html; charset=utf-8", "Location": location}
        if method == "GET":
            body = ('<a href="' + _html_escape(location) + '">Moved Permanently</a>.\n\n').encode("utf-8")
    return Response(status=301, headers=headers, body=body)


def _html_escape(s: str) -> str:
    return (s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&#34;").replace("'", "&#39;"))


def escape_path(path: str) -> str:
    """Go's url.URL.EscapedPath for a path we built."""
    return quote(path.encode("utf-8", "surrogateescape"), safe="/$&+,:;=@")


def method_not_allowed() -> Response:
    return Response(status=405, headers={"Content-Type": TEXT, "Allow": ALLOW}, body=b"Method Not Allowed\n")


def not_found() -> Response:
    return Response(status=404, headers={"Content-Type": TEXT}, body=b"404 page not found\n")
