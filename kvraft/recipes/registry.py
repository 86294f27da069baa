"""Service registry: instances register a key with a TTL and keep it alive with refreshes (spec §9).

Rules (the recipe, in requests):
- register: ``PUT <key>?value=<addr>&ttl=T`` (a plain set: re-registering replaces the node).
- heartbeat: ``PUT <key>?refresh=true&prevExist=true&ttl=T``: resets the TTL, keeps the value, wakes no
  watcher; fails 100 once the key has expired (the instance must register again).
- deregister: ``DELETE <key>``. lookup: ``GET <key>?quorum=true`` (linearizable; null when absent).
  instances: ``GET <dir>?recursive=true&sorted=true&quorum=true``.
- ``KeepAlive`` heartbeats every ``interval_ns`` (choose well under the TTL: the key lives TTL after the
  heartbeat *reached the receiving member*) and registers again when a heartbeat finds the key gone.
  Its requests go one after another on its own Client.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kvraft.recipes.common import Done, Requester, error_code, node_of, outcome, quorum_value

__all__ = ["Registry", "KeepAlive"]


class Registry:
    """Register / heartbeat / deregister / look up service instances.

    Args:
        client: a ``kvraft.client.Client``.
        timeout_ns: deadline of each operation (one request each).
    """

    def __init__(self, client: Any, *, timeout_ns: int) -> None:
        self.req = Requester(client, timeout_ns)

    def register(self, key: str, value: str, ttl_s: int, on_done: Done) -> None:
        """on_done(True, modifiedIndex) | (False, code) | (None, why)."""
        self._write("PUT", key, {"value": value, "ttl": str(ttl_s)}, on_done)

    def heartbeat(self, key: str, ttl_s: int, on_done: Done) -> None:
        """Refresh the TTL. on_done(True, modifiedIndex) | (False, "100") key gone | (None, why)."""
        self._write("PUT", key, {"refresh": "true", "prevExist": "true", "ttl": str(ttl_s)}, on_done)

    def deregister(self, key: str, on_done: Done) -> None:
        """Delete the key. on_done(True, modifiedIndex of the delete) | (False, "100") absent | (None, why)."""
        self._write("DELETE", key, {}, on_done)

    def lookup(self, key: str, on_done: Done) -> None:
        """Quorum read. on_done(True, value or None when absent) | (False, code) | (None, why)."""
        quorum_value(self.req, key, on_done)

    def instances(self, service_dir: str, on_done: Done) -> None:
        """All registered instances under a directory: on_done(True, {key: value}) sorted by key."""

        def got(reply: Any) -> None:
            ok, err = outcome(reply)
            if ok:
                nodes = node_of(reply).get("nodes") or []
                on_done(True, {n["key"]: n.get("value") for n in nodes if not n.get("dir")})
            elif ok is False and error_code(reply) == 100:
                on_done(True, {})
            else:
                on_done(ok, err)

        self.req.call("GET", service_dir, {"recursive": "true", "sorted": "true", "quorum": "true"},
                      self.req.deadline(), got)

    def _write(self, method: str, key: str, params: dict[str, str], on_done: Done) -> None:
        def wrote(reply: Any) -> None:
            ok, err = outcome(reply)
            if ok:
                on_done(True, node_of(reply).get("modifiedIndex"))
            else:
                on_done(ok, err)

        self.req.call(method, key, params, self.req.deadline(), wrote)


class KeepAlive:
    """Keep one instance registered: register, then heartbeat every ``interval_ns`` until stopped.

    Contract: ``start()`` once; ``stop(on_done=None, deregister=False)`` ends the loop (after the request
    in flight, if any, completes) and optionally deregisters. ``on_event(kind, ok, value)`` (optional) hears
    every step: kind is ``"register"`` or ``"heartbeat"``.

    Args:
        registry: the Registry to use (its Client must not be shared with concurrent writers).
        key, value, ttl_s: the instance's key, address and TTL.
        interval_ns: time between the end of one step and the start of the next.
    """

    def __init__(self, registry: Registry, key: str, value: str, *, ttl_s: int, interval_ns: int,
                 on_event: Callable[[str, bool | None, Any], None] | None = None) -> None:
        if interval_ns <= 0:
            raise ValueError(f"interval_ns must be > 0, got {interval_ns}")
        self.registry = registry
        self.key, self.value, self.ttl_s, self.interval_ns = key, value, ttl_s, interval_ns
        self.on_event = on_event
        self.running = False
        self.registered = False  # as of the last answer
        self.beats = 0  # ok heartbeats
        self.registrations = 0  # ok registers
        self._timer: Any = None
        self._busy = False
        self._after_stop: Callable[[], None] | None = None

    def start(self) -> None:
        if self.running:
            return
        self.running = True
        self._step()

    def stop(self, on_done: Done | None = None, *, deregister: bool = False) -> None:
        """Stop heartbeating; with ``deregister`` delete the key once no request is in flight."""
        self.running = False
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

        def finish() -> None:
            if deregister:
                self.registry.deregister(self.key, on_done or (lambda ok, v: None))
            elif on_done is not None:
                on_done(True, None)

        if self._busy:
            self._after_stop = finish
        else:
            finish()

    def _step(self) -> None:
        self._timer = None
        if not self.running:
            return
        self._busy = True
        if self.registered:
            self.registry.heartbeat(self.key, self.ttl_s, lambda ok, v: self._done("heartbeat", ok, v))
        else:
            self.registry.register(self.key, self.value, self.ttl_s, lambda ok, v: self._done("register", ok, v))

    def _done(self, kind: str, ok: bool | None, value: Any) -> None:
        self._busy = False
        if ok:
            self.registered = True
            if kind == "heartbeat":
                self.beats += 1
            else:
                self.registrations += 1
        elif ok is False and kind == "heartbeat" and value == "100":
            self.registered = False  # expired: register again at once
        if self.on_event is not None:
            self.on_event(kind, ok, value)
        if self._after_stop is not None:
            then, self._after_stop = self._after_stop, None
            then()
            return
        if self.running:
            delay = 0 if (kind == "heartbeat" and not self.registered) else self.interval_ns
            self._timer = self.registry.req.rt.after(delay, self._step)
