"""HTTP-shaped requests of the v2 keys API: validation (spec.md §3.1) and dispatch (§3.2).

Rules:
- `parse_request` never raises: every malformed request becomes etcd's answer (a `Response`).
  Order: unknown URL -> 404 text; unclean path -> 301 (Go's ServeMux, before the API sees it);
  method not in HEAD,GET,PUT,POST,DELETE -> 405; then the parameter checks of §3.1 in order.
- Parameters: query string and (for PUT/POST only, like Go's ParseForm) the form body; for the
  same name the body wins, and only a name's first value counts. Raw strings/bytes are parsed
  with Go's url.ParseQuery rules (a bad %-escape or a ';' is error 210).
- A GET with quorum=true is a quorum read even with wait=true (etcd turns GET+quorum into QGET
  before it looks at wait).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Callable, Mapping, Union
from urllib.parse import urlencode

from .errors import (INDEX_NAN, INVALID_FIELD, INVALID_FORM, PREV_VALUE_REQUIRED, REFRESH_TTL_REQUIRED,
                     REFRESH_VALUE, TTL_NAN, EtcdError)
from .events import Event
from .ops import Result, Store
from .render import Response, escape_path, method_not_allowed, not_found, redirect, render, render_error
from .tree import clean_path, go_clean

__all__ = ["RequestKind", "ParsedRequest", "parse_request", "parse_query", "handle_local", "KEYS_PREFIX"]

KEYS_PREFIX = "/v2/keys"
METHODS = ("HEAD", "GET", "PUT", "POST", "DELETE")
_BOOLS = {"1": True, "t": True, "T": True, "TRUE": True, "true": True, "True": True,
          "0": False, "f": False, "F": False, "FALSE": False, "false": False, "False": False}

Params = Union[None, str, bytes, Mapping[str, "list[str] | str"]]


class RequestKind(Enum):
    LOCAL_READ = "local-read"      # GET/HEAD: answer from this member's store now
    QUORUM_READ = "quorum-read"    # GET quorum=true: ReadIndex (or propose `command`), then read
    WATCH = "watch"                # GET wait=true: Store.watch
    WRITE = "write"                # PUT/POST/DELETE: propose `command` through raft


@dataclass(frozen=True, slots=True, kw_only=True)
class ParsedRequest:
    """A valid keys-API request. For WRITE (and QUORUM_READ) `command` is the JSON-able dict to
    propose; the member adds "now_ns" (and "client_id", "seq") before proposing."""

    kind: RequestKind
    method: str
    path: str
    command: dict | None = None
    recursive: bool = False
    sorted: bool = False
    wait_index: int = 0
    stream: bool = False
    no_value_on_success: bool = False

    @property
    def is_head(self) -> bool:
        return self.method == "HEAD"

    def __str__(self) -> str:
        return f"{self.kind.value} {self.method} {self.path} {self.command or ''}".rstrip()

    def read(self, store: Store, *, now_ns: int) -> Result:
        """LOCAL_READ / QUORUM_READ (after ReadIndex): read from `store` with this member's clock."""
        return store.get(self.path, recursive=self.recursive, sorted=self.sorted, now_ns=now_ns)

    def watch(self, store: Store, callback: Callable[[Event | None], None] | None = None) -> Result:
        return store.watch(self.path, recursive=self.recursive, stream=self.stream,
                           wait_index=self.wait_index, callback=callback)

    def respond(self, result: Result, *, raft_index: int, raft_term: int) -> Response:
        """Render `result` as the answer to this request."""
        return render(result, raft_index=raft_index, raft_term=raft_term, head=self.is_head,
                      no_value_on_success=self.no_value_on_success)


def _unescape(s: str) -> str:
    """Go's url.QueryUnescape; raises ValueError with Go's message on a bad escape."""
    if "%" not in s and "+" not in s:
        return s
    out = bytearray()
    i, n = 0, len(s)
    while i < n:
        ch = s[i]
        if ch == "%":
            hx = s[i + 1:i + 3]
            if len(hx) < 2 or any(c not in "0123456789abcdefABCDEF" for c in hx):
                raise ValueError(f'invalid URL escape "{s[i:i + 3]}"')
            out.append(int(hx, 16))
            i += 3
        elif ch == "+":
            out.append(0x20)
            i += 1
        else:
            out += ch.encode("utf-8", "surrogateescape")
            i += 1
    return out.decode("utf-8", "surrogateescape")


def parse_query(raw: str | bytes) -> dict[str, list[str]]:
    """Go's url.ParseQuery; raises ValueError(Go's error text) after parsing what it can."""
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8", "surrogateescape")
    values: dict[str, list[str]] = {}
    err: str | None = None
    for part in raw.split("&"):
        if ";" in part:
            err = err or "invalid semicolon separator in query"
            continue
        if part == "":
            continue
        k, _, v = part.partition("=")
        try:
            k = _unescape(k)
            v = _unescape(v)
        except ValueError as e:
            err = err or str(e)
            continue
        values.setdefault(k, []).append(v)
    if err is not None:
        raise ValueError(err)
    return values


def _as_form(p: Params) -> dict[str, list[str]]:
    if p is None:
        return {}
    if isinstance(p, (str, bytes)):
        return parse_query(p)
    return {k: ([v] if isinstance(v, str) else list(v)) for k, v in p.items()}


def _raw_query(p: Params) -> str:
    if p is None:
        return ""
    if isinstance(p, bytes):
        return p.decode("utf-8", "surrogateescape")
    if isinstance(p, str):
        return p
    return urlencode([(k, x) for k, v in p.items() for x in ([v] if isinstance(v, str) else v)])


def _clean_url_path(p: str) -> str:
    """Go ServeMux's cleanPath: path.Clean, keeping a trailing slash."""
    if p == "":
        return "/"
    if not p.startswith("/"):
        p = "/" + p
    np = go_clean(p)
    if p.endswith("/") and np != "/":
        np += "/"
    return np


def _uint(s: str) -> int | None:
    if not s or not s.isascii() or not s.isdigit():
        return None
    v = int(s)
    return v if v < (1 << 64) else None


class _Bad(Exception):
    pass


def parse_request(method: str, path: str, params: Params = None, body_params: Params = None) -> ParsedRequest | Response:
    """Validate one keys-API request and say what it becomes.

    Args: `method`; `path`, the decoded URL path (e.g. "/v2/keys/a/b"); `params`, the query (a
    raw query string, or a mapping name -> value(s)); `body_params`, the urlencoded form body in
    the same forms (ignored unless PUT/POST, as in Go).
    Returns: a `ParsedRequest`, or the finished `Response` for a request that fails before the
    store (404/301/405 text answers, or an error with index 0).
    """
    clean = _clean_url_path(path)
    if clean != path:
        return _redirect(clean, params, method)
    if not (path == KEYS_PREFIX or path.startswith(KEYS_PREFIX + "/")):
        return not_found()
    if method not in METHODS:
        return method_not_allowed()
    try:
        form: dict[str, list[str]] = {}
        err: str | None = None
        if method in ("PUT", "POST"):
            try:
                form = _as_form(body_params)
            except ValueError as e:
                err = str(e)
        try:
            q = _as_form(params)
        except ValueError as e:
            err = err or str(e)
            q = {}
        for k, v in q.items():
            form.setdefault(k, []).extend(v)
        if err is not None:
            raise EtcdError(INVALID_FORM, err, 0)
        return _parse(method, clean, form)
    except EtcdError as e:
        return render_error(e, head=method == "HEAD")


def _redirect(clean: str, params: Params, method: str) -> Response:
    loc = escape_path(clean)
    raw = _raw_query(params)
    return redirect(loc + ("?" + raw if raw else ""), method)


def _parse(method: str, url_path: str, form: dict[str, list[str]]) -> ParsedRequest:
    def first(name: str) -> str | None:
        v = form.get(name)
        return v[0] if v else None

    def uint(name: str, code: int, cause: str) -> int:
        s = first(name)
        if s is None:
            return 0
        v = _uint(s)
        if v is None:
            raise EtcdError(code, cause, 0)
        return v

    def boolean(name: str, cause: str | None = None) -> bool:
        s = first(name)
        if s is None:
            return False
        b = _BOOLS.get(s)
        if b is None:
            raise EtcdError(INVALID_FIELD, cause or f'invalid value for "{name}"', 0)
        return b

    prev_index = uint("prevIndex", INDEX_NAN, 'invalid value for "prevIndex"')
    wait_index = uint("waitIndex", INDEX_NAN, 'invalid value for "waitIndex"')
    recursive = boolean("recursive")
    sort = boolean("sorted")
    wait = boolean("wait")
    is_dir = boolean("dir")
    quorum = boolean("quorum")
    stream = boolean("stream")
    if wait and method != "GET":
        raise EtcdError(INVALID_FIELD, '"wait" can only be used with GET requests', 0)
    prev_value = first("prevValue")
    if prev_value == "":
        raise EtcdError(PREV_VALUE_REQUIRED, '"prevValue" cannot be empty', 0)
    prev_value = prev_value or ""
    no_value = boolean("noValueOnSuccess")
    ttl: int | None = None
    if first("ttl"):
        ttl = uint("ttl", TTL_NAN, 'invalid value for "ttl"')
    prev_exist: bool | None = None
    if form.get("prevExist"):
        prev_exist = boolean("prevExist", "invalid value for prevExist")
    refresh = False
    if form.get("refresh"):
        refresh = boolean("refresh", "invalid value for refresh")
        if refresh:
            if first("value"):
                raise EtcdError(REFRESH_VALUE, "A value was provided on a refresh", 0)
            if ttl is None:
                raise EtcdError(REFRESH_TTL_REQUIRED, "No TTL value set", 0)
    value = first("value") or ""
    key = clean_path(url_path[len(KEYS_PREFIX):])
    common = dict(method=method, path=key, recursive=recursive, sorted=sort, wait_index=wait_index,
                  stream=stream, no_value_on_success=no_value)

    if method == "GET" and quorum:
        cmd = {"op": "get", "path": key, "recursive": recursive, "sorted": sort}
        return ParsedRequest(kind=RequestKind.QUORUM_READ, command=cmd, **common)
    if method == "GET" and wait:
        return ParsedRequest(kind=RequestKind.WATCH, **common)
    if method in ("GET", "HEAD"):
        return ParsedRequest(kind=RequestKind.LOCAL_READ, **common)

    if method == "POST":
        cmd = {"op": "create", "path": key, "value": value, "dir": is_dir, "ttl": ttl, "unique": True}
    elif method == "DELETE":
        if prev_index > 0 or prev_value:
            cmd = {"op": "compareAndDelete", "path": key, "prev_value": prev_value, "prev_index": prev_index}
        else:
            cmd = {"op": "delete", "path": key, "dir": is_dir, "recursive": recursive}
    elif prev_exist is True and prev_index == 0 and not prev_value:
        cmd = {"op": "update", "path": key, "value": value, "ttl": ttl, "refresh": refresh}
    elif prev_exist is False:
        cmd = {"op": "create", "path": key, "value": value, "dir": is_dir, "ttl": ttl, "unique": False}
    elif prev_index > 0 or prev_value:
        cmd = {"op": "compareAndSwap", "path": key, "value": value, "ttl": ttl, "refresh": refresh,
               "prev_value": prev_value, "prev_index": prev_index}
    else:
        cmd = {"op": "set", "path": key, "value": value, "dir": is_dir, "ttl": ttl, "refresh": refresh}
    return ParsedRequest(kind=RequestKind.WRITE, command=cmd, **common)


def handle_local(store: Store, method: str, path: str, params: Params = None, body_params: Params = None, *,
                 now_ns: int, raft_index: int, raft_term: int,
                 callback: Callable[[Event | None], None] | None = None,
                 client_id: str | int | None = None, seq: int | None = None) -> Response:
    """Parse and execute one request against `store` at once (tests, single-node use).

    A write (or quorum read) is applied directly at `raft_index` with `now_ns` stamped in.
    A watch that has to wait returns the 200 head with `Response.watcher` set; its events arrive
    through `callback`, or in `watcher.events` when no callback is given (see `render_event`).
    """
    p = parse_request(method, path, params, body_params)
    if isinstance(p, Response):
        return p
    if p.kind is RequestKind.WATCH:
        result = p.watch(store, callback)
    elif p.kind is RequestKind.LOCAL_READ:
        result = p.read(store, now_ns=now_ns)
    else:
        assert p.command is not None
        cmd = dict(p.command, now_ns=now_ns)
        if client_id is not None and seq is not None:
            cmd["client_id"] = client_id
            cmd["seq"] = seq
        result = store.apply(cmd, raft_index)
    return p.respond(result, raft_index=raft_index, raft_term=raft_term)
