"""Leader election with a TTL key (spec §9): the candidate whose create succeeds leads until it resigns or
its lease runs out.

Rules (the recipe, in requests; it is ``lock.Lock`` with election words):
- campaign: ``PUT <key>?prevExist=false&value=<candidate>&ttl=T``; on 105 watch the key and try again when
  the leader's node is deleted or expires. The term token is the key's createdIndex (use it to fence
  the leader's writes: a deposed leader's token is smaller than its successor's).
- keep-alive: ``PUT <key>?refresh=true&prevExist=true&prevValue=<candidate>&ttl=T`` every ``interval_ns``
  (well under T); a refresh that fails 100/101 means leadership was lost: ``on_lost(token)`` runs.
- resign: compareAndDelete on the node's modifiedIndex (only our own node can be deleted).
- leader: ``GET <key>?quorum=true``: the current leader's name, or None.
- Operations of one Election run one at a time: the keep-alive skips a beat while another operation is
  in flight, and ``resign`` waits for a refresh in flight (writes on one Client must not overlap).
- Same known limit as the lock: a leader paused past T still believes it leads (``is_leader``) until
  its next refresh fails. Only the token makes that safe.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kvraft.recipes.common import Done, quorum_value
from kvraft.recipes.lock import Lock

__all__ = ["Election"]


class Election:
    """Campaign for leadership of ``key`` as ``candidate``.

    Args:
        client: a ``kvraft.client.Client`` (this candidate's own).
        key: the election key, e.g. ``/election/scheduler``.
        candidate: this candidate's unique name (the key's value while it leads).
        ttl_s: leadership lease in whole seconds.
        timeout_ns: default deadline of one operation (campaign's waiting included).
    """

    def __init__(self, client: Any, key: str, *, candidate: str, ttl_s: int, timeout_ns: int) -> None:
        self.lock = Lock(client, key, owner=candidate, ttl_s=ttl_s, timeout_ns=timeout_ns)
        self.key = key
        self.candidate = candidate
        self._busy = False
        self._queued: list[Callable[[], None]] = []
        self._ka_timer: Any = None
        self._ka_interval_ns = 0
        self._on_lost: Callable[[int | None], None] | None = None

    @property
    def is_leader(self) -> bool:
        """Whether this candidate *believes* it leads (see the known limit)."""
        return self.lock.is_held

    @property
    def token(self) -> int | None:
        return self.lock.token

    # -- serial execution of this candidate's operations
    def _serial(self, op: Callable[[Done], None], on_done: Done) -> None:
        def run() -> None:
            self._busy = True
            op(finish)

        def finish(ok: bool | None, value: Any) -> None:
            self._busy = False
            on_done(ok, value)
            if self._queued and not self._busy:
                self._queued.pop(0)()

        if self._busy:
            self._queued.append(run)
        else:
            run()

    # -- operations
    def campaign(self, on_done: Done, *, wait: bool = True, timeout_ns: int | None = None) -> None:
        """Become leader. on_done(True, token) | (False, "105") someone else leads | (None, why) unknown."""
        if wait:
            self._serial(lambda d: self.lock.acquire(d, timeout_ns=timeout_ns), on_done)
        else:
            self._serial(lambda d: self.lock.try_acquire(d, timeout_ns=timeout_ns), on_done)

    def refresh(self, on_done: Done, *, timeout_ns: int | None = None) -> None:
        """Extend the lease. on_done(True, token) | (False, "100"|"101") lost | (None, why)."""
        self._serial(lambda d: self.lock.refresh(d, timeout_ns=timeout_ns), on_done)

    def resign(self, on_done: Done, *, timeout_ns: int | None = None) -> None:
        """Stop the keep-alive and delete our node. on_done(True, token) | (False, "100"|"101") | (None, why)."""
        self.stop_keepalive()
        self._serial(lambda d: self.lock.release(d, timeout_ns=timeout_ns), on_done)

    def leader(self, on_done: Done) -> None:
        """Who leads now (quorum read): on_done(True, name or None) | (False, code) | (None, why)."""
        quorum_value(self.lock.req, self.key, on_done)

    # -- keep-alive
    def keepalive(self, interval_ns: int, on_lost: Callable[[int | None], None] | None = None) -> None:
        """Refresh every ``interval_ns`` while leading; ``on_lost(token)`` once a refresh says we lost it."""
        if interval_ns <= 0:
            raise ValueError(f"interval_ns must be > 0, got {interval_ns}")
        self.stop_keepalive()
        self._ka_interval_ns = interval_ns
        self._on_lost = on_lost
        self._ka_timer = self.lock.req.rt.after(interval_ns, self._beat)

    def stop_keepalive(self) -> None:
        if self._ka_timer is not None:
            self._ka_timer.cancel()
        self._ka_timer = None
        self._ka_interval_ns = 0

    def _beat(self) -> None:
        self._ka_timer = None
        if not self.is_leader:
            return
        if self._busy:  # another operation in flight: skip this beat
            self._ka_timer = self.lock.req.rt.after(self._ka_interval_ns, self._beat)
            return
        token = self.token

        def done(ok: bool | None, value: Any) -> None:
            if ok is False and value in ("100", "101"):
                if self._on_lost is not None:
                    self._on_lost(token)
                return
            if self.is_leader and self._ka_interval_ns:
                self._ka_timer = self.lock.req.rt.after(self._ka_interval_ns, self._beat)

        self.refresh(done)
