"""What every recipe shares: one request with a deadline, and the tri-state outcome of a reply.

Rules:
- Recipes are built only on the public ``kvraft.client.Client`` and run on any Runtime: callbacks
  only, time from ``client.rt.now()`` / ``client.rt.after()``, never ``time.*`` or ``random.*``.
- Every recipe operation ends by calling ``on_done(ok, value)`` exactly once, where ``ok`` is
  ``True`` (it took effect; ``value`` is the result), ``False`` (it certainly did not; ``value`` is an
  error string: the etcd ``errorCode`` as a string such as ``"105"``, or ``"empty"``, ``"http-<status>"``,
  ``"not-held"``, ...), or ``None`` (unknown: no answer before the deadline, or a 5xx / error 300,
  after which a write may still commit; ``value`` is ``"timeout"`` or ``"http-<status>"``).
  These map one to one onto the history's ok / fail / info.
- A Client's writes carry (client_id, seq) and the members remember only each client's latest seq,
  so two *writes* in flight at once on one Client may be answered 300 when they reorder. Each recipe
  issues its requests one after another; give recipes that run concurrently their own Client.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from kvraft.client import outcome  # the one ok / fail / unknown classification of an answer

__all__ = [
    "quorum_value",
    "Done", "Step", "KEYS", "S", "MS", "body", "error_code", "etcd_index", "event_of", "node_of",
    "outcome", "release_node", "Requester",
]

KEYS = "/v2/keys"
MS = 1_000_000
S = 1_000_000_000

Done = Callable[[bool | None, Any], None]
Step = Callable[[Any], None]  # on_done of one raw request: reply or None


def body(reply: Any) -> dict[str, Any]:
    """The reply's JSON object, or {} (empty body, plain text, not an object)."""
    if reply is None:
        return {}
    doc = reply.json()
    return doc if isinstance(doc, dict) else {}


def node_of(reply: Any) -> dict[str, Any]:
    """The ``node`` object of a success answer, or {}."""
    n = body(reply).get("node")
    return n if isinstance(n, dict) else {}


def error_code(reply: Any) -> int | None:
    """The etcd ``errorCode`` of an error answer, or None."""
    code = body(reply).get("errorCode")
    return code if isinstance(code, int) else None


def etcd_index(reply: Any) -> int | None:
    """``X-Etcd-Index`` as an int (writes: the write's index; reads and errors: the member's index)."""
    if reply is None:
        return None
    h = reply.header("X-Etcd-Index")
    if h is None or not str(h).isdigit():
        idx = body(reply).get("index")
        return idx if isinstance(idx, int) else None
    return int(h)


def event_of(reply_or_doc: Any) -> dict[str, Any] | None:
    """A watch answer as the history's event dict (checkers/vocab.py), or None for an empty body."""
    doc = reply_or_doc if isinstance(reply_or_doc, dict) else body(reply_or_doc)
    node = doc.get("node")
    if not isinstance(node, dict) or "action" not in doc:
        return None
    prev = doc.get("prevNode") if isinstance(doc.get("prevNode"), dict) else {}
    return {"action": doc.get("action"), "key": node.get("key"), "value": node.get("value"),
            "prevValue": prev.get("value"), "modifiedIndex": node.get("modifiedIndex"),
            "createdIndex": node.get("createdIndex")}


class Requester:
    """A Client plus a per-operation deadline: the plumbing each recipe object holds.

    Contract: ``deadline()`` fixes an operation's end on the client's clock; ``call`` sends one
    request whose own timeout is what is left of it (at least 1 ns), so an operation made of several
    requests never outlives its deadline.
    """

    def __init__(self, client: Any, timeout_ns: int) -> None:
        if timeout_ns <= 0:
            raise ValueError(f"timeout_ns must be > 0, got {timeout_ns}")
        self.client = client
        self.rt = client.rt
        self.timeout_ns = timeout_ns

    def now(self) -> int:
        return self.rt.now()

    def deadline(self, timeout_ns: int | None = None) -> int:
        return self.rt.now() + (timeout_ns if timeout_ns is not None else self.timeout_ns)

    def left(self, deadline_ns: int) -> int:
        return deadline_ns - self.rt.now()

    def call(self, method: str, key: str, params: Mapping[str, str] | None, deadline_ns: int, on_done: Step,
             *, cap_ns: int | None = None) -> None:
        """Send ``method /v2/keys<key>``; ``on_done(reply | None)``; None also when the deadline has passed."""
        left = deadline_ns - self.rt.now()
        if left <= 0:
            on_done(None)
            return
        if cap_ns is not None:
            left = min(left, cap_ns)
        self.client.request(method, KEYS + key, dict(params or {}), timeout_ns=left, on_done=on_done)


def quorum_value(req: Requester, key: str, on_done: Done) -> None:
    """Quorum read of ``key``: on_done(True, value or None when absent) | (False, code) | (None, why)."""

    def got(reply: Any) -> None:
        ok, err = outcome(reply)
        if ok:
            on_done(True, node_of(reply).get("value"))
        elif ok is False and error_code(reply) == 100:
            on_done(True, None)
        else:
            on_done(ok, err)

    req.call("GET", key, {"quorum": "true"}, req.deadline(), got)


def release_node(req: Requester, key: str, token: int, index: int, deadline_ns: int, on_done: Done) -> None:
    """compareAndDelete ``key`` if it is still the node created at ``token``.

    ``DELETE key?prevIndex=index``; if that compare fails (an earlier refresh whose outcome was unknown
    moved the modifiedIndex), a quorum GET checks that the node's createdIndex is still ``token`` and the
    delete is retried once at the current modifiedIndex. on_done(True, token) | (False, "100"|"101") when
    the node is no longer ours | (None, why) unknown.
    """

    def deleted(reply: Any, recheck: bool) -> None:
        ok, err = outcome(reply)
        if ok:
            on_done(True, token)
        elif ok is False and err == "101" and recheck:
            req.call("GET", key, {"quorum": "true"}, deadline_ns, got)
        else:
            on_done(ok, err)

    def got(reply: Any) -> None:
        ok, _ = outcome(reply)
        node = node_of(reply)
        if not ok or node.get("createdIndex") != token:
            # the DELETE certainly failed; the node is gone, someone else's, or we cannot tell
            on_done(False, "100" if error_code(reply) == 100 else "101")
            return
        req.call("DELETE", key, {"prevIndex": str(node.get("modifiedIndex", token))}, deadline_ns,
                 lambda r: deleted(r, False))

    req.call("DELETE", key, {"prevIndex": str(index)}, deadline_ns, lambda r: deleted(r, True))
