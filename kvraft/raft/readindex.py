"""ReadIndex (Raft dissertation §6.4): the leader side of linearizable reads, mixed into RaftNode.

Rules:
- A new leader serves no read until an entry of its own term has committed (its no-op): before
  that, its commit index may lag what a previous leader acknowledged (bug B08 skips the wait).
- SAFE mode: a read is answered at the commit index it was registered at, once a quorum has
  acknowledged a heartbeat carrying its context (confirming this node still leads); requests are
  confirmed in registration order. LEASE mode trusts CheckQuorum's lease instead (see
  ``ReadOnlyOption``). A single-voter cluster answers at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .config import ReadOnlyOption
from .messages import ReadIndexReply
from .quorum import has_quorum
from .ready import ReadState

__all__ = ["ReadIndexMixin"]


@dataclass(slots=True)
class _ReadRequest:
    index: int
    frm: str
    acks: set[str] = field(default_factory=set)


class ReadIndexMixin:
    """Read-index methods of RaftNode (they use its state: log, term, voters, read queues)."""

    def _leader_read_index(self, ctx: bytes, frm: str) -> None:
        if self.log.term(self.log.commit) != self.term and not self.bugs.read_before_term_commit:
            self.pending_reads.append((ctx, frm))  # wait for the no-op of this term to commit
            return
        self._serve_read(ctx, frm)

    def _serve_read(self, ctx: bytes, frm: str) -> None:
        if self.voters == (self.id,) or self.config.read_only is ReadOnlyOption.LEASE:
            self._respond_read(ctx, frm, self.log.commit)
            return
        if ctx in self.read_reqs:
            return
        self.read_reqs[ctx] = _ReadRequest(index=self.log.commit, frm=frm, acks={self.id})
        self.read_order.append(ctx)
        self._bcast_heartbeat(ctx)

    def _ack_read(self, ctx: bytes, frm: str) -> None:
        req = self.read_reqs.get(ctx)
        if req is None:
            return
        req.acks.add(frm)
        if not has_quorum(self.voters, req.acks):
            return
        # A quorum confirmed leadership after every earlier request was registered too.
        n = self.read_order.index(ctx) + 1
        done, self.read_order = self.read_order[:n], self.read_order[n:]
        for c in done:
            r = self.read_reqs.pop(c)
            self._respond_read(c, r.frm, r.index)

    def _respond_read(self, ctx: bytes, frm: str, index: int) -> None:
        if frm == self.id:
            self.read_states.append(ReadState(index=index, ctx=ctx))
        else:
            self._send(ReadIndexReply(frm=self.id, to=frm, term=self.term, ctx=ctx, index=index))
