"""Hosts: incarnations, crash/restart, pause/resume, a per-host clock, and ``SimRuntime``.

Rules:
- A host runs one *incarnation* at a time. Every timer, fsync callback and delivery remembers
  the incarnation it belongs to and does nothing if that incarnation is no longer up: a crash
  silently cancels them all.
- Pause freezes the process: callbacks that come due are held, then released in the order they
  came due at ``resume`` (the clock keeps running meanwhile, so the process wakes up stale).
- Clock: ``now() = true + offset + drift`` where drift accrues ``ppm`` per million ns of true time
  since it was set. ``after(d)`` fires once the node's clock has advanced ``d`` at the drift rate
  in force when the timer was set; skew and jumps move ``now()`` but never pending timers (they
  run on the monotonic clock, as ``CLOCK_MONOTONIC`` timers do).
- ``SimRuntime`` implements ``kvraft.runtime.Runtime`` exactly; a stale runtime (of a crashed
  incarnation) is inert: its sends, timers, receivers and traces are ignored.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .disk import SimDisk
from .errors import ConfigError
from . import trace as T
from .trace import node_line

if TYPE_CHECKING:
    from .world import World

__all__ = ["Host", "SimRuntime", "SimTimer"]

_PPM = 1_000_000


class SimTimer:
    """A pending ``after`` callback; ``cancel()`` is idempotent and a no-op once it ran.

    It is also its own simpy event (``callbacks`` + ``_ok``), so a timer costs one object and one
    heap entry: no Timeout, no closure.
    """

    __slots__ = ("_fn", "callbacks", "_ok", "_host", "_inc")

    def __init__(self, fn: Callable[[], None] | None, host: "Host | None" = None, inc: int = 0) -> None:
        self._fn = fn
        self._host = host
        self._inc = inc
        self.callbacks = _TIMER_CALLBACKS
        self._ok = True

    def cancel(self) -> None:
        self._fn = None

    @property
    def is_pending(self) -> bool:
        return self._fn is not None

    def _fire_once(self) -> None:
        fn, self._fn = self._fn, None
        if fn is not None:
            fn()

    def _due(self) -> None:
        """The timer came due: run it if its incarnation is still up (held while paused)."""
        host = self._host
        if self._fn is not None and host is not None and host.up and host.incarnation == self._inc:
            if host.paused:
                host.held.append((None, self._fire_once))
            else:
                self._fire_once()


_TIMER_CALLBACKS = (SimTimer._due,)


class SimRuntime:
    """The ``Runtime`` one incarnation of a host sees (see ``kvraft/runtime.py``)."""

    __slots__ = ("node_id", "disk", "incarnation", "_host", "_world")

    def __init__(self, host: "Host", incarnation: int) -> None:
        self.node_id = host.node_id
        self.disk = host.disk
        self.incarnation = incarnation
        self._host = host
        self._world = host.world

    @property
    def is_live(self) -> bool:
        """True while this runtime's incarnation is the host's current one and it is up."""
        h = self._host
        return h.up and h.incarnation == self.incarnation

    def now(self) -> int:
        """This node's own clock in ns (skewed, drifting, jumped)."""
        return self._host.local_now()

    def monotonic(self) -> int:
        """This node's monotonic clock in ns: drifts with the host, never skews or jumps."""
        h = self._host
        if h.drift_ppm or h._drift_acc_ns:
            return h.monotonic_now()
        return self._world.env._now  # never drifted: true time (the tickless driver asks at every input)

    def after(self, delay_ns: int, fn: Callable[[], None]) -> SimTimer:
        """Call ``fn()`` once ``delay_ns`` of this node's clock has passed. Raises ConfigError if < 0."""
        return self._timer("after", delay_ns, fn, tick=False)

    def after_tick(self, delay_ns: int, fn: Callable[[], None]) -> SimTimer:
        """``after`` for the Raft tick timer: at its instant it runs before other events, ordered by node
        (``World.push_tick``), so when it was scheduled does not matter."""
        return self._timer("after_tick", delay_ns, fn, tick=True)

    def _timer(self, what: str, delay_ns: int, fn: Callable[[], None], *, tick: bool) -> SimTimer:
        if delay_ns < 0:
            raise ConfigError(f"{self.node_id}: {what}() with negative delay {delay_ns}")
        host = self._host
        if not (host.up and host.incarnation == self.incarnation):
            return SimTimer(None)
        timer = SimTimer(fn, host, self.incarnation)
        delay = delay_ns if not host.drift_ppm else host.real_delay(delay_ns)
        if tick:
            self._world.push_tick(delay, timer, self.node_id)
        else:
            self._world.push(delay, timer)
        return timer

    def send(self, to: str, msg: Any) -> None:
        """Best-effort send to node or client ``to`` through the world's network."""
        if self._host.up and self._host.incarnation == self.incarnation:
            self._world.network.send(self.node_id, to, msg)

    def set_receiver(self, fn: Callable[[str, Any], None]) -> None:
        """Register ``fn(src, msg)`` for messages delivered to this incarnation."""
        if self.is_live:
            self._host.receiver = fn

    def trace(self, kind: str, **fields: Any) -> None:
        """Write a trace event for this node (ignored for a stale incarnation)."""
        h = self._host
        if h.up and h.incarnation == self.incarnation:
            # As World.trace(kind, node=..., **fields), without a second copy of ``fields``.
            world = self._world
            world.trace_writer.emit_line(node_line(world.env._now, kind, self.node_id, fields))
            if world.watchers:
                world.notify(kind, self.node_id)

    def __repr__(self) -> str:
        return f"SimRuntime({self.node_id}#{self.incarnation})"


class Host:
    """One simulated machine: a server or a client endpoint.

    Contract: made by ``World.add_host``; booted by ``World.start`` (which calls
    ``on_boot(runtime)``); faults reach it only through ``World.apply``.
    """

    def __init__(self, world: "World", node_id: str, kind: str,
                 on_boot: Callable[[SimRuntime], None] | None) -> None:
        if kind not in ("server", "client"):
            raise ConfigError(f"host {node_id!r}: kind must be 'server' or 'client', got {kind!r}")
        self.world = world
        self.node_id = node_id
        self.kind = kind
        self.on_boot = on_boot
        self.incarnation = 0
        self.up = False
        self.paused = False
        self.runtime: SimRuntime | None = None
        self.receiver: Callable[[str, Any], None] | None = None
        # Held while paused: (None, fn) for callbacks, (src, msg, id, type) for deliveries.
        self.held: deque[tuple[Any, ...]] = deque()
        self.offset_ns = 0
        self.drift_ppm = 0
        self._drift_base_ns = 0
        self._drift_acc_ns = 0
        self.disk = SimDisk(
            node_id, world.streams.fork(f"disk/{node_id}"), world.call_later, self.guard,
            lambda kind, **f: world.trace(kind, node=node_id, **f), lambda: world.env.now,
        )

    # -- clock ---------------------------------------------------------------------------------
    def local_now(self) -> int:
        """This host's clock reading at the current true time."""
        t = self.world.env.now
        return t + self.offset_ns + self._drift_acc_ns + (t - self._drift_base_ns) * self.drift_ppm // _PPM

    def monotonic_now(self) -> int:
        """CLOCK_MONOTONIC of this host: true time at the host's drift rate, without skew or jumps."""
        t = self.world.env.now
        return t + self._drift_acc_ns + (t - self._drift_base_ns) * self.drift_ppm // _PPM

    def real_delay(self, local_delay_ns: int) -> int:
        """True ns until the local clock has advanced ``local_delay_ns`` (rounded up)."""
        if not self.drift_ppm:
            return local_delay_ns
        rate = _PPM + self.drift_ppm
        return -(-local_delay_ns * _PPM // rate)

    def set_skew(self, offset_ns: int) -> None:
        self.offset_ns = offset_ns
        self._trace_clock()

    def set_drift(self, ppm: int) -> None:
        t = self.world.env.now
        self._drift_acc_ns += (t - self._drift_base_ns) * self.drift_ppm // _PPM
        self._drift_base_ns = t
        self.drift_ppm = ppm
        self._trace_clock()

    def jump(self, delta_ns: int) -> None:
        self.offset_ns += delta_ns
        self._trace_clock()

    def _trace_clock(self) -> None:
        self.world.trace(T.CLOCK, node=self.node_id, offset_ns=self.offset_ns, drift_ppm=self.drift_ppm)

    # -- callbacks -----------------------------------------------------------------------------
    def guard(self, fn: Callable[[], None]) -> Callable[[], None]:
        """Wrap ``fn`` so it runs only while the current incarnation is up (held while paused)."""
        inc = self.incarnation

        def guarded() -> None:
            if self.up and self.incarnation == inc:
                self.run_or_hold(fn)

        return guarded

    def run_or_hold(self, fn: Callable[[], None]) -> None:
        """Run ``fn`` now, or hold it until resume if the host is paused."""
        if self.paused:
            self.held.append((None, fn))
        else:
            fn()

    # -- lifecycle -----------------------------------------------------------------------------
    def boot(self) -> SimRuntime:
        """Start a new incarnation and call the boot hook with its runtime."""
        self.incarnation += 1
        self.up = True
        self.paused = False
        self.receiver = None
        rt = SimRuntime(self, self.incarnation)
        self.runtime = rt
        if self.on_boot is not None:
            self.on_boot(rt)
        return rt

    def crash(self, lose_unsynced: bool) -> None:
        """Kill the current incarnation (no-op if already down)."""
        if not self.up:
            return
        self.up = False
        self.world.trace(T.CRASH, node=self.node_id, incarnation=self.incarnation)
        held, self.held = self.held, deque()
        for item in held:
            if item[0] is not None:
                self.world.network.drop_held(self.node_id, item)
        self.paused = False
        self.receiver = None
        self.runtime = None
        self.disk.crash(lose_unsynced)

    def restart(self) -> None:
        """Boot a crashed host again (no-op if it is up)."""
        if self.up:
            return
        self.world.trace(T.RESTART, node=self.node_id, incarnation=self.incarnation + 1)
        self.boot()

    def pause(self) -> None:
        if not self.up or self.paused:
            return
        self.paused = True
        self.world.trace(T.PAUSE, node=self.node_id)

    def resume(self) -> None:
        if not self.up or not self.paused:
            return
        self.paused = False
        self.world.trace(T.RESUME, node=self.node_id)
        if self.held:
            self.world.call_later(0, self._drain, urgent=True)

    def _drain(self) -> None:
        inc = self.incarnation
        while self.held and self.up and self.incarnation == inc and not self.paused:
            item = self.held.popleft()
            if item[0] is None:
                item[1]()
            else:
                self.world.network.hand_over(self, *item)

    def __repr__(self) -> str:
        state = "up" if self.up else "down"
        return f"Host({self.node_id!r}, {self.kind}, #{self.incarnation} {state}{' paused' if self.paused else ''})"
