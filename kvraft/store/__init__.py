"""kvraft.store: the etcd v2 key space as a pure state machine, plus its HTTP-shaped edges.

Rules: pure and deterministic (no clock, no randomness, no threads); every time arrives as an
int of virtual ns since `EPOCH` (2026-01-01T00:00:00Z); answers are byte-identical to etcd
3.4's v2 API (shared/etcd-v2/spec.md) wherever the spec and the samples say what they are.

The flow a kv member follows (sim and real HTTP alike)::

    p = parse_request(method, path, query_params, body_params)
    if isinstance(p, Response):                 # 301/404/405 or a 2xx-code parse error (index 0)
        answer(p)
    elif p.kind is RequestKind.LOCAL_READ:      # GET/HEAD: from this member's store, at once
        answer(p.respond(p.read(store, now_ns=my_clock()), raft_index=applied, raft_term=term))
    elif p.kind is RequestKind.QUORUM_READ:     # ReadIndex, wait until applied >= read index, then
        answer(p.respond(p.read(store, now_ns=my_clock()), ...))   # (or propose p.command like a write)
    elif p.kind is RequestKind.WATCH:           # local to this member
        r = p.watch(store, callback=on_event)   # r.event: answer now; r.watcher: wait for on_event
        head = p.respond(r, ...)                # 200 + headers (X-Etcd-Index = index at registration)
        # body: render_event(event) once (long poll) or per event (stream=true); on_event(None)
        # means the watcher was dropped: end the response.
    else:                                       # RequestKind.WRITE
        cmd = dict(p.command, now_ns=my_clock(), client_id=..., seq=...)
        propose(json.dumps(cmd, sort_keys=True).encode())
        # ... on every member, for each committed entry in log order:
        result = store.apply(json.loads(data), raft_index)
        # ... and on the member holding the client: answer(p.respond(result, raft_index=..., raft_term=...))

Time: the member that *receives* a write stamps its own clock as `now_ns` (etcd computes the
expiration on the receiving member); the expiration `now_ns + ttl` then travels in the entry, so
all replicas agree. Only the leader proposes `sync_command(now_ns)` (every 500 ms while
`store.next_expiration_ns()` is not None); applying it expires every node with expiration <=
now_ns, one index and one `expire` event each. `ttl` in write answers and events is computed
at the entry's `now_ns`; in reads, at the reader's `now_ns`.

Retries: a command with `client_id` + `seq` equal to that client's last applied seq returns the
remembered `Result` (`duplicate=True`) and changes nothing; an older seq returns error 300.

Snapshots: `store.snapshot() -> bytes` (canonical JSON) and `store.restore(bytes)` carry the tree,
the indexes, the 1000-event window and the dedup table, so a restored member answers watches
(waitIndex, 401 boundary) and retries like the others.
"""

from .errors import MESSAGES, EtcdError, http_status
from .events import HISTORY_CAPACITY, Event, NodeView, Watcher
from .expiry import EPOCH, NS_PER_S, rfc3339, ttl_seconds
from .ops import Result, Store
from .render import Response, render, render_error, render_event
from .request import ParsedRequest, RequestKind, handle_local, parse_query, parse_request
from .snapshot import FORMAT_VERSION, SnapshotError

__all__ = [
    "Store", "Result", "Event", "NodeView", "Watcher", "EtcdError", "MESSAGES", "http_status",
    "parse_request", "parse_query", "ParsedRequest", "RequestKind", "handle_local",
    "render", "render_event", "render_error", "Response",
    "sync_command", "EPOCH", "NS_PER_S", "rfc3339", "ttl_seconds", "HISTORY_CAPACITY",
    "FORMAT_VERSION", "SnapshotError",
]


def sync_command(now_ns: int) -> dict:
    """The leader's expiry tick: propose this (its own clock) while TTL nodes exist."""
    return {"op": "sync", "now_ns": now_ns}
