"""The ``tree`` workload: the store API's corners (directories, hidden keys, TTLs and refreshes, in-order POST
with TTL, compare-and-delete, recursive and dir deletes, the root, malformed parameters, stream watches),
each answer predicted by a reference store.

Rules:
- Each slot owns a subtree ``/t/c<slot>/g<gen>`` that no other client touches, and has at most one op in
  flight, so the cluster must answer exactly as a single store fed that slot's requests in order would: the
  workload keeps such a store (``kvraft.store``, applied locally) and writes its prediction in the invoke.
- After an unknown outcome (timeout, 5xx/300) the prediction is no longer sure: the slot moves to a fresh
  subtree (``gen + 1``) with a fresh reference store.
- One op = one request, history ``f: "api"``: invoke value ``{"req": "PUT /t/c0/g0/d1?dir=true",
  "expect": [status, errorCode, action, observed]}``; the completion (``ok`` below 300, else ``fail``) holds
  what came back in the same shape. ``observed`` is a file's value, or a directory's number of children,
  else null. Indexes are not compared (the cluster's count every client's writes). A stream watch is not
  predicted (``expect`` null): it exercises the path only.
- TTLs are 600 s: nothing expires inside a run, so expiry (a clock matter) never races a prediction.
  checkers/api.py judges the prediction.
"""

from __future__ import annotations

import json
import random
from collections.abc import Generator
from typing import Any

from kvraft.store import Store, handle_local
from scenarios.registry import workload
from scenarios.workloads import KvOutcome, Workload, WorkloadContext

__all__ = ["TreeWorkload"]

TTL = "600"
_NAMES = ("f0", "f1", "d0", "d1", "_h0", "d0/f0", "d0/_h1", "d1/d2", "f0/x")


def _shape(status: int, body: bytes) -> list[Any]:
    """[status, errorCode, action, observed] of one answer (see the module rules)."""
    try:
        doc = json.loads(body or b"{}")
    except (ValueError, UnicodeDecodeError):
        doc = {}
    if not isinstance(doc, dict):
        doc = {}
    node = doc.get("node") if isinstance(doc.get("node"), dict) else {}
    observed: Any = None
    if doc.get("action") == "get":
        observed = len(node.get("nodes") or []) if node.get("dir") else node.get("value")
    code = doc.get("errorCode")
    return [status, code if isinstance(code, int) else None, doc.get("action"), observed]


@workload("tree")
class TreeWorkload(Workload):
    """See the module rules."""

    prefix = "/t"
    int_values = False

    def __init__(self, ctx: WorkloadContext) -> None:
        super().__init__(ctx)
        self.gen: dict[int, int] = {}
        self.ref: dict[int, Store] = {}
        self.ref_index: dict[int, int] = {}
        self.counter = 0

    def root(self, slot: int) -> str:
        return f"{self.prefix}/c{slot}/g{self.gen.get(slot, 0)}"

    def next_op(self, slot: int, rng: random.Random) -> tuple[str, str, Any]:
        base = self.root(slot)
        path = f"{base}/{_NAMES[rng.randrange(len(_NAMES))]}"
        self.counter += 1
        v = f"v{self.counter}"
        r = rng.randrange(20)
        method, params = "PUT", {"value": v}
        if r == 0:
            method, path, params = "PUT", "/", {"value": v}  # the root is read-only (107)
        elif r == 1:
            params = {"dir": "true"}
        elif r == 2:
            params = {"value": v, "ttl": TTL}
        elif r == 3:
            params = {"ttl": TTL, "refresh": "true", "prevExist": "true"}
        elif r == 4:
            params = rng.choice(({"value": v, "ttl": "abc"}, {"value": v, "prevIndex": "abc"}, {"value": v, "prevValue": ""},
                                 {"refresh": "true", "value": v, "ttl": TTL}, {"refresh": "true", "prevExist": "true"},
                                 {"value": v, "dir": "true"}, {"value": v, "prevExist": "maybe"}))
        elif r == 5:
            params = {"value": v, "prevExist": rng.choice(("true", "false"))}
        elif r == 6:
            method, path, params = "POST", f"{base}/q", {"value": v, "ttl": TTL}
        elif r == 7:
            method, params = "POST", {"value": v}
        elif r in (8, 9):
            method, params = "DELETE", rng.choice(({}, {"dir": "true"}, {"recursive": "true"}, {"dir": "true", "recursive": "true"}))
        elif r == 10:
            method, params = "DELETE", {"prevValue": f"v{max(1, self.counter - rng.randrange(1, 6))}"}
        elif r in (11, 12, 13):
            method, params = "GET", {"quorum": "true", **rng.choice(({}, {"recursive": "true", "sorted": "true"}))}
        elif r == 14:
            method, path, params = "GET", base, {"wait": "true", "stream": "true", "recursive": "true", "waitIndex": "1"}
        return "api", path, self.invoke_value(slot, path, method, params)

    def _predict(self, slot: int, method: str, path: str, params: dict[str, str]) -> list[Any] | None:
        store = self.ref.setdefault(slot, Store())
        i = self.ref_index.get(slot, 0) + 1
        if params.get("stream"):
            return None  # a stream's events are not predicted (its waitIndex may be cleared: 401)
        resp = handle_local(store, method, "/v2/keys" + path, dict(params), now_ns=self.now, raft_index=i, raft_term=1)
        if method != "GET" and resp.status < 500:
            self.ref_index[slot] = i
        return _shape(resp.status, resp.body)

    def invoke_value(self, slot: int, path: str, method: str, params: dict[str, str]) -> dict[str, Any]:
        query = "&".join(f"{k}={v}" for k, v in sorted(params.items()))
        return {"req": f"{method} {path}" + (f"?{query}" if query else ""), "expect": self._predict(slot, method, path, params),
                "method": method, "params": params}

    def execute(self, client: Any, f: str, key: str, value: Any, rng: random.Random) -> Generator[Any, Any, KvOutcome]:
        if value is None:
            return KvOutcome("info", error="no final reads")
        timeout = 3_000_000_000 if value["params"].get("stream") else None
        reply = yield from self.request(client, value["method"], key, dict(value["params"]), timeout_ns=timeout)
        if reply is None:
            return KvOutcome("info", error="timeout")
        got = _shape(reply.status, reply.body)
        if reply.status >= 500 or got[1] == 300:
            return KvOutcome("info", got, error=f"http-{reply.status}")
        return KvOutcome("ok" if reply.status < 300 else "fail", got, error=None if reply.status < 300 else str(got[1]))

    def after_op(self, slot: int, f: str, out: KvOutcome) -> Generator[Any, Any, None]:
        if out.type == "info":  # the reference no longer knows: a fresh subtree, a fresh reference
            self.gen[slot] = self.gen.get(slot, 0) + 1
            self.ref.pop(slot, None)
            self.ref_index.pop(slot, None)
        return
        yield  # pragma: no cover

    def final_ops(self) -> list[tuple[str, str]]:
        return []  # judged op by op; the subtrees have no final state to read
