"""The simulated network: latency, loss, duplication, reordering and directed cuts.

Rules:
- Reachability is directed: ``blocked`` is a set of ``(src, dst)`` pairs whose messages are
  dropped, checked at send and again at delivery (a cut also eats messages in flight).
  Only server pairs are ever blocked; client links get latency and loss but are never cut.
- Link settings resolve most-specific first: ``(src, dst)`` > ``(src, *)`` > ``(*, dst)`` > ``(*, *)``.
- Draws come only from the ``network`` stream, in a fixed order per send: loss, latency,
  reorder, duplicate (then latency and reorder of the copy). Zero probabilities draw nothing.
- A message to a host that is down (or that crashes before it arrives, or restarts as a new
  incarnation) is dropped with reason ``down``; one held by a paused host that then crashes is
  dropped with reason ``paused-crash``.
- Hot path: one small slotted event object per delivery pushed with ``World.push`` (never a
  simpy process per message), and trace lines rendered straight to canonical JSON.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .errors import ConfigError
from .faults import LinkFaults
from .latency import Latency, Uniform
from .trace import DUPLICATE, deliver_line, drop_line, send_line
from .units import MS

if TYPE_CHECKING:
    from .host import Host
    from .world import World

__all__ = ["LinkParams", "Network", "default_latency"]


@dataclass(frozen=True, slots=True)
class LinkParams:
    """Resolved settings of one directed link."""

    loss: float
    dup: float
    reorder: float
    latency: Latency
    reorder_delay: Latency


class _Delivery:
    """One message in flight; it is its own simpy event (``callbacks`` + ``_ok``)."""

    __slots__ = ("callbacks", "_ok", "host", "inc", "src", "msg", "mid", "tname")

    def __init__(self, cb: Any, host: "Host", src: str, msg: Any, mid: int, tname: str) -> None:
        self.callbacks = cb
        self._ok = True
        self.host = host
        self.inc = host.incarnation
        self.src = src
        self.msg = msg
        self.mid = mid
        self.tname = tname


class Network:
    """Moves messages between the world's hosts. Made by ``World``; faults arrive via ``World.apply``."""

    def __init__(self, world: "World", rng: random.Random, latency: Latency, *, trace_messages: bool = True) -> None:
        self._world = world
        self._env = world.env
        self._push = world.push  # the world's one scheduling function
        self._hosts = world.hosts
        self._rng = rng
        self._emit_line = world.trace_writer.emit_line
        self.trace_messages = trace_messages
        self.blocked: set[tuple[str, str]] = set()
        self._base = LinkParams(0.0, 0.0, 0.0, latency, Uniform(1 * MS, 50 * MS))
        self._overrides: dict[tuple[str | None, str | None], LinkFaults] = {}
        self._cache: dict[tuple[str, str], LinkParams] = {}
        self._seq = 0
        self._deliver_cb = (self._deliver,)
        self.delivered = 0

    # -- configuration -------------------------------------------------------------------------
    @property
    def base_latency(self) -> Latency:
        return self._base.latency

    def set_cut(self, pairs: Iterable[tuple[str, str]]) -> None:
        """Replace the blocked set with ``pairs`` (directed)."""
        self.blocked = set(pairs)

    def block(self, src: str, dst: str) -> None:
        """Add the directed cut ``src -> dst``."""
        self.blocked.add((src, dst))

    def heal(self) -> None:
        """Remove every cut."""
        self.blocked = set()

    def blocked_pairs(self) -> list[tuple[str, str]]:
        """The current cut, sorted."""
        return sorted(self.blocked)

    def set_link_faults(self, lf: LinkFaults) -> None:
        """Install ``lf`` for its (src, dst) scope; a ``(*, *)`` setting also clears narrower ones."""
        if lf.src is None and lf.dst is None:
            self._overrides = {}
        self._overrides[(lf.src, lf.dst)] = lf
        self._cache = {}

    def link(self, src: str, dst: str) -> LinkParams:
        """Resolved settings of the directed link ``src -> dst``."""
        p = self._cache.get((src, dst))
        if p is None:
            p = self._cache[(src, dst)] = self._resolve(src, dst)
        return p

    def _resolve(self, src: str, dst: str) -> LinkParams:
        for key in ((src, dst), (src, None), (None, dst), (None, None)):
            lf = self._overrides.get(key)
            if lf is not None:
                return LinkParams(lf.loss, lf.dup, lf.reorder, lf.latency or self._base.latency, lf.reorder_delay)
        return self._base

    # -- the hot path --------------------------------------------------------------------------
    def send(self, src: str, dst: str, msg: Any) -> None:
        """Send ``msg`` from ``src`` to ``dst`` (best effort). Raises ConfigError for an unknown dst."""
        host = self._hosts.get(dst)
        if host is None:
            raise ConfigError(f"{src} sent to unknown node {dst!r}")
        self._seq = mid = self._seq + 1
        tname = type(msg).__name__
        if self.trace_messages:
            self._emit_line(send_line(self._env._now, src, dst, mid, tname, str(msg)))
        key = (src, dst)
        if self.blocked and key in self.blocked:
            self._drop(src, dst, mid, tname, "partition")
            return
        if not host.up:
            self._drop(src, dst, mid, tname, "down")
            return
        link = self._cache.get(key) or self.link(src, dst)
        rng = self._rng
        if link.loss and rng.random() < link.loss:
            self._drop(src, dst, mid, tname, "loss")
            return
        delay = link.latency.sample(rng)
        if link.reorder and rng.random() < link.reorder:
            delay += link.reorder_delay.sample(rng)
        self._push(delay, _Delivery(self._deliver_cb, host, src, msg, mid, tname))
        if link.dup and rng.random() < link.dup:
            self._world.trace(DUPLICATE, node=src, dst=dst, id=mid, type=tname)
            delay = link.latency.sample(rng)
            if link.reorder and rng.random() < link.reorder:
                delay += link.reorder_delay.sample(rng)
            self._push(delay, _Delivery(self._deliver_cb, host, src, msg, mid, tname))

    @property
    def sent(self) -> int:
        """Messages sent so far (each send counts once, whatever became of it)."""
        return self._seq

    def _deliver(self, d: _Delivery) -> None:
        host = d.host
        if self.blocked and (d.src, host.node_id) in self.blocked:
            self._drop(d.src, host.node_id, d.mid, d.tname, "partition")
        elif host.incarnation != d.inc or not host.up:
            self._drop(d.src, host.node_id, d.mid, d.tname, "down")
        elif host.paused:
            host.held.append((d.src, d.msg, d.mid, d.tname))
        else:
            self.hand_over(host, d.src, d.msg, d.mid, d.tname)

    def hand_over(self, host: "Host", src: str, msg: Any, mid: int, tname: str) -> None:
        """Give a message that arrived to ``host``'s receiver (traced as ``deliver``)."""
        self.delivered += 1
        if self.trace_messages:
            self._emit_line(deliver_line(self._env._now, host.node_id, src, mid, tname))
        receiver = host.receiver
        if receiver is not None:
            receiver(src, msg)

    def drop_held(self, node: str, item: tuple[Any, ...]) -> None:
        """A paused host crashed while holding the delivery ``item``."""
        src, _msg, mid, tname = item
        self._drop(src, node, mid, tname, "paused-crash")

    def _drop(self, src: str, dst: str, mid: int, tname: str, reason: str) -> None:
        self._emit_line(drop_line(self._env._now, src, dst, mid, tname, reason))


def default_latency() -> Latency:
    """The network's base latency unless the world is told otherwise."""
    return Uniform(500_000, 1_500_000)
