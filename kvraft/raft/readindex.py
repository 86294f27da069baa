"""ReadIndex (Raft dissertation §6.4): the leader's read-only requests as one explicit object, ``ReadOnly``
(etcd-io/raft's readOnly); RaftNode owns one and does the messaging.

Rules:
- A new leader serves no read until an entry of its own term has committed (its no-op): before
  that, its commit index may lag what a previous leader acknowledged (bug flag read_before_term_commit
  skips the wait). Such reads wait in ``ReadOnly.waiting``.
- SAFE mode: a read is answered at the commit index it was registered at, once a quorum has
  acknowledged a heartbeat carrying its context (confirming this node still leads); requests are
  confirmed in registration order. LEASE mode trusts CheckQuorum's lease instead (see
  ``ReadOnlyOption``). A single-voter cluster answers at once.
- ``ReadOnly`` holds state only (no messages, no log): the node calls it and acts on what it returns.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .quorum import has_quorum

__all__ = ["ReadOnly"]


@dataclass(slots=True)
class _ReadRequest:
    index: int
    frm: str
    acks: set[str] = field(default_factory=set)


@dataclass(slots=True)
class ReadOnly:
    """Outstanding read-only requests of a leader: waiting for its term's commit, or for a quorum's ack."""

    waiting: list[tuple[bytes, str]] = field(default_factory=list)  # (ctx, from) until this term commits
    requests: dict[bytes, _ReadRequest] = field(default_factory=dict)
    order: list[bytes] = field(default_factory=list)

    def add(self, ctx: bytes, frm: str, index: int, self_id: str) -> bool:
        """Register a read at commit ``index``; False if ``ctx`` is already outstanding."""
        if ctx in self.requests:
            return False
        self.requests[ctx] = _ReadRequest(index=index, frm=frm, acks={self_id})
        self.order.append(ctx)
        return True

    def ack(self, ctx: bytes, frm: str, voters: tuple[str, ...]) -> list[tuple[bytes, str, int]]:
        """Record ``frm``'s heartbeat ack of ``ctx``; returns the reads now confirmed, in registration order,
        as (ctx, from, index): a quorum confirmed leadership after every earlier request was registered too."""
        req = self.requests.get(ctx)
        if req is None:
            return []
        req.acks.add(frm)
        if not has_quorum(voters, req.acks):
            return []
        n = self.order.index(ctx) + 1
        done, self.order = self.order[:n], self.order[n:]
        out = []
        for c in done:
            r = self.requests.pop(c)
            out.append((c, r.frm, r.index))
        return out

    def last_ctx(self) -> bytes:
        """The newest outstanding context (heartbeats carry it), or b""."""
        return self.order[-1] if self.order else b""

    def take_waiting(self) -> list[tuple[bytes, str]]:
        waiting, self.waiting = self.waiting, []
        return waiting
