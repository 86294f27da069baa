"""The simulated world: virtual time (simpy, int ns), random streams, hosts, network, trace.

Rules:
- ``World.apply(fault)`` is the only way to inject a fault. It validates the fault against the
  world (``ConfigError`` and no effect if bad), writes it to the trace as a ``fault`` event, then
  applies it.
- Everything is callbacks on simpy events scheduled with ``env.schedule`` (never a simpy process
  per message or timer); events at the same instant run in the order they were scheduled, except
  Raft tick timers (``push_tick``): at one instant they run after urgent events and before every
  other event, ordered by node id, whenever they were scheduled. So a node woken every tick and a
  node woken only at its next deadline (kvraft/server.py's two drivers) see the same order.
- ``t`` in the trace is the *true* time; hosts' clocks may differ (see ``sim.host``).
- Deterministic: same seed => same trace bytes under any ``PYTHONHASHSEED``. Hosts are booted and
  listed in sorted order; nothing iterates an unordered collection where order can matter.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from typing import Any

import simpy

from .errors import ConfigError
from .faults import Fault, fault_fields, fault_name
from .host import Host, SimRuntime
from .latency import Latency
from .network import Network, default_latency
from .rand import RandomStreams
from . import trace as T
from .trace import TraceWriter, canonical

__all__ = ["World"]

_URGENT = 0
_TICK = 0.5  # between simpy's URGENT (0) and NORMAL (1): a tick at an instant precedes that instant's events
_NORMAL = 1


class _Call:
    """A bare simpy event that calls ``fn()`` when processed (cheaper than a Timeout + closure)."""

    __slots__ = ("callbacks", "_ok", "fn")

    def __init__(self, fn: Callable[[], None]) -> None:
        self.callbacks = (_Call._run,)
        self._ok = True
        self.fn = fn

    @staticmethod
    def _run(ev: "_Call") -> None:
        ev.fn()


class World:
    """A deterministic cluster: hosts on a network, under one seed.

    Contract: ``add_host`` for every node, then ``start()``, then ``schedule``/``apply``/``run``.

    Args:
        seed: the run seed; every random draw comes from a stream forked from it.
        latency: base one-way latency of every link (default uniform 0.5ms..1.5ms).
        trace_messages: write ``send``/``deliver`` events (default True; turn off for speed).
        keep_trace_lines: keep trace lines in memory (needed for ``write_trace``).
        max_events: stop after processing this many simulation events (None: no limit). A livelock
            (e.g. a bug's endless reject/retry loop) then ends the run instead of eating time and memory:
            ``run`` traces one ``event-limit`` record, sets ``cut_short`` and returns at that instant; later
            ``run`` calls do nothing. Deterministic: it counts events, not seconds, and a run under the
            limit is byte-identical to one without it.
    """

    def __init__(self, seed: int, *, latency: Latency | None = None, trace_messages: bool = True,
                 keep_trace_lines: bool = True, max_events: int | None = None) -> None:
        if max_events is not None and (not isinstance(max_events, int) or max_events < 1):
            raise ConfigError(f"max_events must be a positive int or None, not {max_events!r}")
        self.max_events = max_events
        self.events = 0  # simulation events processed so far
        self.cut_short: dict[str, int] | None = None  # {"t", "events"} once the event limit stopped the run
        self.seed = seed
        self.streams = RandomStreams(seed)
        self.env = simpy.Environment(initial_time=0)
        self.trace_writer = TraceWriter(keep_lines=keep_trace_lines)
        self.trace_writer.header(seed=seed)
        self.hosts: dict[str, Host] = {}
        self.network = Network(self, self.streams.fork("network"), latency or default_latency(),
                               trace_messages=trace_messages)
        self.started = False
        self.watchers: dict[str, list[Callable[[str | None], None]]] = {}

    # -- time ----------------------------------------------------------------------------------
    @property
    def now_ns(self) -> int:
        """True virtual time in ns."""
        return self.env.now

    def push(self, delay_ns: int, event: Any, priority: int = _NORMAL) -> None:
        """The one scheduling function (hosts and the network are handed it): ``event`` (anything with
        ``callbacks``) fires at true time now + ``delay_ns``, after the events already due then.

        ``env.schedule(event, priority, delay)`` inlined: the same heap entry and event id, without simpy's
        per-call overhead. The only writes into simpy's private fields are here and in ``_run_until``.
        """
        env = self.env
        heapq.heappush(env._queue, (env._now + delay_ns, priority, next(env._eid), event))  # type: ignore[attr-defined]

    def push_tick(self, delay_ns: int, event: Any, node_id: str) -> None:
        """``push`` for a Raft tick timer of ``node_id``: at its instant it runs after urgent events, before
        normal ones, and among tick timers in (node id, scheduling) order, not scheduling order alone."""
        env = self.env
        heapq.heappush(env._queue, (env._now + delay_ns, _TICK, (node_id, next(env._eid)), event))  # type: ignore[attr-defined]

    def call_later(self, delay_ns: int, fn: Callable[[], None], *, urgent: bool = False) -> None:
        """Call ``fn()`` at true time now + ``delay_ns`` (``urgent``: before normal events of that instant)."""
        if delay_ns < 0:
            raise ConfigError(f"negative delay {delay_ns}")
        self.push(delay_ns, _Call(fn), _URGENT if urgent else _NORMAL)

    def schedule(self, at_ns: int, fn: Callable[[], None]) -> None:
        """Call ``fn()`` at true time ``at_ns`` (>= now). Raises ConfigError for a time in the past."""
        if at_ns < self.env.now:
            raise ConfigError(f"schedule at {at_ns} ns is before now ({self.env.now} ns)")
        self.call_later(at_ns - self.env.now, fn)

    def run(self, until_ns: int) -> None:
        """Process every event before true time ``until_ns``; afterwards ``now_ns == until_ns``."""
        if until_ns < self.env.now:
            raise ConfigError(f"run until {until_ns} ns is before now ({self.env.now} ns)")
        if not self.started:
            self.start()
        if until_ns > self.env.now and self.cut_short is None:
            self._run_until(until_ns)

    def _run_until(self, until_ns: int) -> None:
        """``env.run(until=until_ns)`` without simpy's per-event overhead, in exactly its order.

        simpy schedules a stop event at (until, URGENT, next eid) and processes every event that
        sorts before it; so does this loop (taking that eid too). Time stays an int.
        """
        env = self.env
        queue = env._queue
        stop_eid = next(env._eid)  # type: ignore[attr-defined]
        pop = heapq.heappop
        n = self.events
        limit = self.max_events if self.max_events is not None else -1
        try:
            while queue:
                t, prio, eid, event = queue[0]
                if t > until_ns or (t == until_ns and (prio > _URGENT or eid > stop_eid)):
                    break
                if n == limit:
                    env._now = t
                    self.cut_short = {"t": t, "events": n}
                    self.trace(T.EVENT_LIMIT, events=n)
                    return
                n += 1
                pop(queue)
                env._now = t
                callbacks, event.callbacks = event.callbacks, None
                for callback in callbacks:
                    callback(event)
                if not event._ok and not hasattr(event, "_defused"):
                    # As simpy: a failed event nobody handled crashes the run (copy of the exception).
                    exc = type(event._value)(*event._value.args)
                    exc.__cause__ = event._value
                    raise exc
        finally:
            self.events = n
        env._now = until_ns

    def run_for(self, duration_ns: int) -> None:
        """``run(now + duration_ns)``."""
        self.run(self.env.now + duration_ns)

    # -- hosts ---------------------------------------------------------------------------------
    def add_host(self, node_id: str, kind: str = "server",
                 on_boot: Callable[[SimRuntime], None] | None = None) -> Host:
        """Add a host. ``on_boot(runtime)`` runs at start and at every restart. Raises ConfigError."""
        if not isinstance(node_id, str) or not node_id:
            raise ConfigError(f"node id must be a non-empty str, got {node_id!r}")
        if node_id in self.hosts:
            raise ConfigError(f"host {node_id!r} added twice")
        host = Host(self, node_id, kind, on_boot)
        self.hosts[node_id] = host
        if self.started:
            host.boot()
        return host

    def host(self, node_id: str) -> Host:
        """The host ``node_id``. Raises ConfigError if unknown."""
        h = self.hosts.get(node_id)
        if h is None:
            raise ConfigError(f"unknown node {node_id!r} (known: {', '.join(sorted(self.hosts))})")
        return h

    @property
    def server_nodes(self) -> list[str]:
        return sorted(n for n, h in self.hosts.items() if h.kind == "server")

    @property
    def client_nodes(self) -> list[str]:
        return sorted(n for n, h in self.hosts.items() if h.kind == "client")

    def start(self) -> None:
        """Boot every host, in node-id order (idempotent)."""
        if self.started:
            return
        self.started = True
        for node in sorted(self.hosts):
            if self.hosts[node].incarnation == 0:
                self.hosts[node].boot()

    # -- trace ---------------------------------------------------------------------------------
    def trace(self, kind: str, node: str | None = None, **fields: Any) -> None:
        """Write one trace event at the current true time (``t`` is added)."""
        # ``fields`` is a fresh dict and cannot hold "kind" or "node" (they bind to the parameters);
        # a caller's own "t" wins, as it did when fields were merged over {"t", "kind", "node"}.
        if "t" not in fields:
            fields["t"] = self.env._now
        fields["kind"] = kind
        if node is not None:
            fields["node"] = node
        self.trace_writer.emit_line(canonical(fields) + "\n")
        if self.watchers:
            self.notify(kind, node)

    def watch(self, kind: str, fn: Callable[[str | None], None]) -> None:
        """Call ``fn(node)`` after every trace event ``kind`` (e.g. ``become-leader``), as a new event at
        the same instant: never inside the component that wrote the event. Used by reactive nemeses."""
        self.watchers.setdefault(kind, []).append(fn)

    def notify(self, kind: str, node: str | None) -> None:
        """Schedule the watchers of ``kind`` (called by every trace writer once the line is written)."""
        for fn in self.watchers.get(kind, ()):
            self.call_later(0, lambda fn=fn: fn(node))

    # -- faults --------------------------------------------------------------------------------
    def apply(self, fault: Fault) -> None:
        """Check ``fault`` against the world, write it to the trace, then apply it (``fault.apply_to``).

        Raises:
            ConfigError: not a fault, or one this world cannot take (unknown node, a cut touching a client).
        """
        if not isinstance(fault, Fault):
            raise ConfigError(f"not a fault: {fault!r}")
        fault.check(self)
        self.trace(T.FAULT, fault=str(fault), name=fault_name(fault), **fault_fields(fault))
        fault.apply_to(self)

    def require_server(self, what: str, node: str) -> None:
        """ConfigError (naming ``what``) unless ``node`` is a server: network cuts touch server nodes only."""
        h = self.host(node)
        if h.kind != "server":
            raise ConfigError(f"{what}: {node!r} is a client; only server nodes are cut by partitions")

    # -- output --------------------------------------------------------------------------------
    @property
    def trace_sha256(self) -> str:
        """SHA-256 of the trace so far (names the run)."""
        return self.trace_writer.sha256

    def write_trace(self, path: Any) -> None:
        """Write ``trace.jsonl`` (requires ``keep_trace_lines``)."""
        self.trace_writer.write_to(path)
