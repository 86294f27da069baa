"""The kvraft client library: talks to any member, follows the leader, retries without duplicates.

Rules:
- Callbacks only (runs on any Runtime). ``request(..., on_done)`` calls ``on_done`` exactly once:
  with the member's ``ClientReply``, or with ``None`` when the deadline passed (the outcome is then
  unknown: the history records it as ``info``).
- Every op gets a fresh ``seq``; retries of that op (after a lost message, a crashed member, a
  "retry elsewhere" answer) reuse ``(client_id, seq)``, and members de-duplicate writes on it in
  replicated state, so a retried write is applied at most once.
- The member to try next is the last leader hint, else the next member in a seeded order.
- Writes from one client are sent one at a time, in order (later ones queue): the members remember
  only the latest ``seq`` per client, so an older write arriving after a newer one would be refused.
  Reads and watches are not queued.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from kvraft.api import STATUS_RETRY, AdminRequest, ClientReply, ClientRequest
from kvraft.runtime import Runtime, Timer

__all__ = ["Client", "ClientReply", "outcome"]

MS = 1_000_000


def outcome(reply: ClientReply | None) -> tuple[bool | None, str | None]:
    """(ok, error) of a request's answer, for histories: (True, None) for 2xx, it took effect;
    (None, "timeout" | "http-<status>") when unknown (no answer, 5xx, error 300); else (False, the
    etcd error code, or "http-<status>"): it certainly did not take effect."""
    if reply is None:
        return None, "timeout"
    doc = reply.json()
    code = doc.get("errorCode") if isinstance(doc, dict) else None
    code = code if isinstance(code, int) else None
    if reply.status >= 500 or code == 300 or reply.status == STATUS_RETRY:
        return None, f"http-{reply.status}"
    if 200 <= reply.status < 300:
        return True, None
    return False, str(code) if code is not None else f"http-{reply.status}"


@dataclass
class _Pending:
    req: ClientRequest | AdminRequest
    on_done: Callable[[Any], None]
    deadline_ns: int
    attempt_timer: Timer | None = None
    deadline_timer: Timer | None = None
    tries: int = 0


class Client:
    """A client of the kvraft cluster (one logical client id; any number of ops in flight)."""

    def __init__(self, runtime: Runtime, *, servers: list[str], client_id: str, rng: random.Random,
                 attempt_ns: int = 250 * MS) -> None:
        if not servers:
            raise ValueError("a client needs at least one server")
        self.rt = runtime
        self.servers = sorted(servers)
        self.client_id = client_id
        self.rng = rng
        self.attempt_ns = attempt_ns
        self.leader_hint: str | None = None
        self._next_id = 0
        self._seq = 0
        self._cursor = rng.randrange(len(self.servers))
        self._pending: dict[int, _Pending] = {}
        self._write_queue: list[tuple[ClientRequest, Callable[[Any], None], int]] = []
        self._write_in_flight: int | None = None
        runtime.set_receiver(self._receive)

    def set_servers(self, servers: list[str]) -> None:
        self.servers = sorted(servers) or self.servers

    # -- public API
    def request(self, method: str, path: str, params: Mapping[str, str] | None = None, *, timeout_ns: int,
                on_done: Callable[[ClientReply | None], None]) -> None:
        """Send one v2 request (``path`` like ``/v2/keys/a``); ``on_done(reply or None)`` exactly once."""
        self._seq += 1
        self._next_id += 1
        req = ClientRequest(frm=self.rt.node_id, to="", id=self._next_id, client_id=self.client_id, seq=self._seq,
                            method=method, path=path, params=tuple(sorted((params or {}).items())))
        if method in ("GET", "HEAD"):
            self._start(req, on_done, timeout_ns)
        elif self._write_in_flight is None:
            self._write_in_flight = req.id
            self._start(req, on_done, timeout_ns)
        else:
            # The deadline runs from now, as the caller expects, even while queued.
            self._write_queue.append((req, on_done, self.rt.now() + timeout_ns))

    def admin(self, op: str, node: str = "", *, timeout_ns: int, on_done: Callable[[ClientReply | None], None]) -> None:
        """Membership API: op in list | add | remove | leader | transfer (leadership to ``node``)."""
        self._next_id += 1
        self._start(AdminRequest(frm=self.rt.node_id, to="", id=self._next_id, op=op, node=node), on_done, timeout_ns)

    def add_member(self, node: str, on_done: Callable[[bool], None], timeout_ns: int = 3000 * MS) -> None:
        self.admin("add", node, timeout_ns=timeout_ns, on_done=lambda r: on_done(r is not None and r.status < 300))

    def remove_member(self, node: str, on_done: Callable[[bool], None], timeout_ns: int = 3000 * MS) -> None:
        self.admin("remove", node, timeout_ns=timeout_ns, on_done=lambda r: on_done(r is not None and r.status < 300))

    # -- internals
    def _start(self, req: Any, on_done: Callable[[Any], None], timeout_ns: int) -> None:
        p = _Pending(req, on_done, self.rt.now() + timeout_ns)
        self._pending[req.id] = p
        p.deadline_timer = self.rt.after(timeout_ns, lambda: self._finish(req.id, None))
        self._attempt(req.id)

    def _pick(self) -> str:
        if self.leader_hint in self.servers:
            return self.leader_hint  # type: ignore[return-value]
        self._cursor = (self._cursor + 1) % len(self.servers)
        return self.servers[self._cursor]

    def _attempt(self, rid: int) -> None:
        p = self._pending.get(rid)
        if p is None:
            return
        p.tries += 1
        to = self._pick()
        msg = _with_to(p.req, to)
        self.rt.send(to, msg)
        if p.attempt_timer is not None:
            p.attempt_timer.cancel()
        # Back off a little on each try so a leaderless cluster is not flooded.
        wait = min(self.attempt_ns * (1 + p.tries // len(self.servers)), 4 * self.attempt_ns)

        def retry() -> None:
            if self.leader_hint == to:
                self.leader_hint = None  # it did not answer: stop preferring it
            self._attempt(rid)

        p.attempt_timer = self.rt.after(wait, retry)

    def _receive(self, src: str, msg: Any) -> None:
        if not isinstance(msg, ClientReply):
            return
        p = self._pending.get(msg.id)
        if p is None:
            return  # a late or duplicate reply of an op already finished
        if msg.status == STATUS_RETRY:
            self.leader_hint = msg.leader_hint if msg.leader_hint != src else None
            if p.attempt_timer is not None:
                p.attempt_timer.cancel()
            # Try elsewhere soon, not at once: a cluster without a leader answers retry immediately.
            p.attempt_timer = self.rt.after(10 * MS + self.rng.randrange(20 * MS), lambda: self._attempt(msg.id))
            return
        if msg.leader_hint:
            self.leader_hint = msg.leader_hint
        self._finish(msg.id, msg)

    def _finish(self, rid: int, reply: ClientReply | None) -> None:
        p = self._pending.pop(rid, None)
        if p is None:
            return
        for t in (p.attempt_timer, p.deadline_timer):
            if t is not None:
                t.cancel()
        if rid == self._write_in_flight:
            self._write_in_flight = None
            self._next_write()
        p.on_done(reply)

    def _next_write(self) -> None:
        while self._write_queue and self._write_in_flight is None:
            req, on_done, deadline = self._write_queue.pop(0)
            left = deadline - self.rt.now()
            if left <= 0:
                on_done(None)  # its deadline passed while queued: never sent, outcome "unknown" is safe
                continue
            self._write_in_flight = req.id
            self._start(req, on_done, left)


def _with_to(req: Any, to: str) -> Any:
    if isinstance(req, ClientRequest):
        return ClientRequest(frm=req.frm, to=to, id=req.id, client_id=req.client_id, seq=req.seq, method=req.method,
                             path=req.path, params=req.params)
    return AdminRequest(frm=req.frm, to=to, id=req.id, op=req.op, node=req.node)
