"""The runtime seam: everything a kvraft server may touch of the outside world.

Rules:
- The Raft core (``kvraft/raft/``) never sees a Runtime. Only the driver (``kvraft/server.py``)
  and the layers above it (the kv member, the client) do.
- Callbacks only: no generators, no ``async``, no threads. The same server code then runs on the
  simulator (``sim.host.SimRuntime``) and on a real event loop (``kvraft/aio.py``, later).
- Time is ``int`` nanoseconds of *this node's own clock*, which may be skewed, drift or jump.
- ``send`` is best effort: a message may be lost, duplicated, delayed or reordered.
- ``Disk.write`` appends a record to a volatile buffer; only ``fsync(then)`` makes every record
  written before it durable, and ``then()`` is called once they are. A crash loses what was not
  fsynced. ``read()`` (used at restart) returns the durable records in write order; a torn tail
  record is dropped by the reader, as a CRC-checking WAL reader would.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, runtime_checkable

__all__ = ["Disk", "Runtime", "Timer"]


@runtime_checkable
class Timer(Protocol):
    """A pending callback made by ``Runtime.after``."""

    def cancel(self) -> None:
        """Stop the callback from running; a no-op if it already ran or was cancelled."""


@runtime_checkable
class Disk(Protocol):
    """An append-only record log with explicit durability."""

    def write(self, record: Any) -> None:
        """Append ``record`` (any value; the simulator keeps objects, a real disk encodes JSON)."""

    def fsync(self, then: Callable[[], None]) -> None:
        """Make every record written so far durable, then call ``then()`` (later, never inline)."""

    def read(self) -> list[Any]:
        """Return the durable records in write order (at restart)."""

    def replace(self, records: list[Any], then: Callable[[], None]) -> None:
        """Atomically replace the whole log with ``records`` (compaction), durable when ``then`` runs."""


@runtime_checkable
class Runtime(Protocol):
    """What one node's server sees of the world."""

    node_id: str
    disk: Disk

    def now(self) -> int:
        """This node's clock in ns (may be skewed, drifting or jumped; never the true time)."""

    def monotonic(self) -> int:
        """This node's monotonic clock in ns (CLOCK_MONOTONIC: never jumps; may drift slightly)."""

    def after(self, delay_ns: int, fn: Callable[[], None]) -> Timer:
        """Call ``fn()`` once ``delay_ns`` of this node's clock has passed (``delay_ns >= 0``)."""

    # Optional: ``after_tick(delay_ns, fn)``, a Timer for the Raft tick that the simulator runs before
    # other events of its instant, ordered by node (sim/world.py); the server uses ``after`` without it.

    def send(self, to: str, msg: Any) -> None:
        """Send ``msg`` to node or client ``to``; best effort, may be lost/duplicated/reordered."""

    def set_receiver(self, fn: Callable[[str, Any], None]) -> None:
        """Register ``fn(src, msg)``, called for every message delivered to this node."""

    def trace(self, kind: str, **fields: Any) -> None:
        """Record a trace event for this node (a no-op on real runs). Fields must be JSON values."""
