"""A simulated disk: an append-only record log with explicit, delayed durability.

Rules:
- ``write`` appends to a volatile buffer; ``fsync(then)`` makes everything written before it
  durable after a latency drawn from the disk's own stream (``disk/<node>``) and then calls
  ``then()`` -- always later, never inline. fsyncs complete in the order they were issued.
- ``replace(records, then)`` atomically swaps the whole log (compaction); durable when ``then`` runs.
- ``read`` returns the durable records in write order; a torn tail record is never returned.
- ``crash(lose_unsynced)``: pending fsyncs never complete (their ``then`` never runs); unsynced
  writes are lost (all, or all but a random prefix with ``partial_loss``), and with
  ``torn_writes`` the first lost write is left torn. ``lose_unsynced=False`` keeps them (a process
  kill leaves the page cache). Traced as ``disk-lost node records torn``.
- Records are Python objects, kept as they are (no serialization, no copies).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from .latency import Latency, Uniform, _LATENCIES
from .errors import ConfigError
from .units import MS, US

__all__ = ["SimDisk"]

_WRITE = 0
_REPLACE = 1


class SimDisk:
    """One node's disk; survives crashes and restarts of its host.

    Args:
        node_id: owner, for traces.
        rng: the ``disk/<node>`` stream (fsync latency, partial-loss prefix).
        call_later: ``call_later(delay_ns, fn)`` runs ``fn()`` at true time now + delay_ns.
        guard: wraps a ``then`` callback so it runs only if the issuing incarnation is still up
            (and is held while the host is paused).
        trace: ``trace(kind, **fields)`` for this node.
        now: true time in ns.
    """

    def __init__(
        self,
        node_id: str,
        rng: random.Random,
        call_later: Callable[[int, Callable[[], None]], None],
        guard: Callable[[Callable[[], None]], Callable[[], None]],
        trace: Callable[..., None],
        now: Callable[[], int],
        fsync_latency: Latency = Uniform(500 * US, 2 * MS),
    ) -> None:
        self.node_id = node_id
        self.fsync_latency: Latency = fsync_latency
        self.torn_writes = False
        self.partial_loss = False
        self.torn_tail: Any = None  # the torn record left by the last crash, if any (read() drops it)
        self._rng = rng
        self._call_later = call_later
        self._guard = guard
        self._trace = trace
        self._now = now
        self._durable: list[Any] = []
        self._ops: list[tuple[int, Any]] = []  # unsynced ops, in order
        self._applied = 0  # absolute op count made durable or discarded
        self._epoch = 0  # bumped at each crash: completions of an older epoch do nothing
        self._last_done_ns = 0

    # -- the Disk protocol ---------------------------------------------------------------------
    def write(self, record: Any) -> None:
        """Append ``record`` to the volatile buffer."""
        self.torn_tail = None  # the WAL reader truncated the torn tail before appending
        self._ops.append((_WRITE, record))

    def fsync(self, then: Callable[[], None]) -> None:
        """Make every record written so far durable, then call ``then()`` (later, in fsync order)."""
        target = self._applied + len(self._ops)
        now = self._now()
        done = max(now + self.fsync_latency.sample(self._rng), self._last_done_ns)
        self._last_done_ns = done
        epoch = self._epoch
        cb = self._guard(then)

        def complete() -> None:
            if epoch != self._epoch:
                return  # crashed since: nothing of this fsync survives, then() never runs
            n = target - self._applied
            if n > 0:
                self._apply(self._ops[:n])
                del self._ops[:n]
                self._applied = target
            cb()

        self._call_later(done - now, complete)

    def replace(self, records: list[Any], then: Callable[[], None]) -> None:
        """Atomically replace the whole log with ``records``; durable when ``then()`` runs."""
        self.torn_tail = None
        self._ops.append((_REPLACE, list(records)))
        self.fsync(then)

    def read(self) -> list[Any]:
        """The durable records in write order (a torn tail is dropped)."""
        return list(self._durable)

    # -- simulator side ------------------------------------------------------------------------
    @property
    def unsynced(self) -> int:
        """Number of records written (or replaced) but not yet durable."""
        return sum(1 if kind == _WRITE else len(rec) for kind, rec in self._ops)

    def configure(self, *, torn_writes: bool, partial_loss: bool, fsync_latency: Latency | None) -> None:
        """Set crash behaviour and (if not None) the fsync latency (see ``DiskFaults``)."""
        if fsync_latency is not None and not isinstance(fsync_latency, _LATENCIES):
            raise ConfigError(f"disk {self.node_id}: fsync_latency must be a latency value")
        self.torn_writes = torn_writes
        self.partial_loss = partial_loss
        if fsync_latency is not None:
            self.fsync_latency = fsync_latency

    def crash(self, lose_unsynced: bool) -> None:
        """The host crashed: pending fsyncs die; unsynced writes are lost or kept (see module doc)."""
        self._epoch += 1
        ops, self._ops = self._ops, []
        self._applied += len(ops)
        if not lose_unsynced:
            self._apply(ops)
            return
        keep = self._rng.randint(0, len(ops)) if (self.partial_loss and ops) else 0
        self._apply(ops[:keep])
        lost = ops[keep:]
        if not lost:
            return
        torn = self.torn_writes and lost[0][0] == _WRITE
        self.torn_tail = lost[0][1] if torn else None
        records = sum(1 if kind == _WRITE else len(rec) for kind, rec in lost)
        self._trace("disk-lost", records=records, torn=torn)

    def _apply(self, ops: list[tuple[int, Any]]) -> None:
        for kind, rec in ops:
            if kind == _WRITE:
                self._durable.append(rec)
            else:
                self._durable = list(rec)
