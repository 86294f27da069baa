"""A fair (FIFO) lock on POST in-order keys: take a ticket, hold when it is the smallest (spec §8, §9).

Rules (the recipe, in requests):
- ticket: ``POST <dir>?value=<owner>&ttl=T`` creates ``<dir>/<20-digit index>``; tickets are ordered by
  commit, so contenders are served first come, first served. The fencing token is the ticket's
  createdIndex (tickets of successive holders increase because holders are served in ticket order).
- check: ``GET <dir>?recursive=true&sorted=true&quorum=true``. Ours is the smallest: held. Ours is gone:
  it expired while we waited (``(False, "expired")``). Otherwise watch only the **predecessor** (the ticket
  just before ours: no thundering herd) from the listing's ``X-Etcd-Index`` + 1 and check again when it is
  deleted / expires, or when the watch ends.
- While waiting, and while holding, the ticket is kept alive with ``PUT <ticket>?refresh=true&prevExist=true&ttl=T``
  (the waiter refreshes at least every ttl/3). A waiter that gives up deletes its ticket.
- release: compareAndDelete of the ticket on its modifiedIndex (see ``common.release_node``).
- An acquire whose ticket POST has an unknown outcome reports unknown: a ticket may exist that nobody
  owns; it blocks the line until its TTL expires. The same limit as ``lock.Lock`` applies: a holder
  paused past its TTL still believes it holds; use the fencing token.
"""

from __future__ import annotations

from typing import Any

from kvraft.recipes.common import MS, Done, Requester, S, etcd_index, event_of, node_of, outcome, release_node

__all__ = ["FairLock"]


class FairLock:
    """A first-come-first-served lock in directory ``dir``.

    Args:
        client: a ``kvraft.client.Client`` (this lock's own).
        dir: the lock's ticket directory, e.g. ``/locks/db``.
        owner: value written into the ticket (for humans; tickets are told apart by key).
        ttl_s: ticket lease in whole seconds.
        timeout_ns: default deadline of one operation (acquire's waiting included).
    """

    def __init__(self, client: Any, dir: str, *, owner: str, ttl_s: int, timeout_ns: int) -> None:
        if ttl_s < 1:
            raise ValueError(f"ttl_s must be >= 1, got {ttl_s}")
        self.req = Requester(client, timeout_ns)
        self.dir = dir.rstrip("/")
        self.owner = owner
        self.ttl_s = ttl_s
        self.ticket: str | None = None  # our ticket's key while waiting or holding
        self.token: int | None = None  # the ticket's createdIndex
        self.modified_index: int | None = None
        self.is_held = False  # believed (see the known limit)
        self._refreshed_ns = 0

    def acquire(self, on_done: Done, *, timeout_ns: int | None = None) -> None:
        """Take a ticket (unless we hold one already) and wait for our turn.

        on_done(True, token) held | (False, "105") gave up at the deadline (ticket deleted) |
        (False, "expired") our ticket expired while waiting | (None, why) the ticket POST's outcome is unknown.
        """
        if self.is_held:
            on_done(False, "held")
            return
        deadline = self.req.deadline(timeout_ns)
        if self.ticket is not None:
            self._check(deadline, on_done)
            return
        sent = self.req.now()

        def posted(reply: Any) -> None:
            ok, err = outcome(reply)
            if not ok:
                on_done(ok, err)
                return
            node = node_of(reply)
            self.ticket, self.token, self.modified_index = node["key"], node["createdIndex"], node["modifiedIndex"]
            self._refreshed_ns = sent
            self._check(deadline, on_done)

        self.req.call("POST", self.dir, {"value": self.owner, "ttl": str(self.ttl_s)}, deadline, posted)

    def _check(self, deadline: int, on_done: Done) -> None:
        def listed(reply: Any) -> None:
            ok, err = outcome(reply)
            if not ok and self.req.left(deadline) > 0:
                self.req.rt.after(10 * MS, lambda: self._check(deadline, on_done))
                return
            if not ok:
                self._give_up(deadline, on_done)
                return
            keys = [n["key"] for n in node_of(reply).get("nodes") or [] if not n.get("dir")]
            if self.ticket not in keys:
                self._drop()
                on_done(False, "expired")
                return
            pos = keys.index(self.ticket)
            if pos == 0:
                self.is_held = True
                on_done(True, self.token)
                return
            self._wait(keys[pos - 1], etcd_index(reply) or 0, deadline, on_done)

        self.req.call("GET", self.dir, {"recursive": "true", "sorted": "true", "quorum": "true"}, deadline, listed)

    def _wait(self, pred: str, seen: int, deadline: int, on_done: Done) -> None:
        if self.req.left(deadline) <= 0:
            self._give_up(deadline, on_done)
            return
        if self.req.now() - self._refreshed_ns >= self.ttl_s * S // 3:
            def refreshed(ok: bool | None, err: Any) -> None:
                if ok is False and err == "100":
                    self._drop()
                    on_done(False, "expired")
                else:
                    self._wait_watch(pred, seen, deadline, on_done)

            self.refresh(refreshed, timeout_ns=max(1, self.req.left(deadline)))
            return
        self._wait_watch(pred, seen, deadline, on_done)

    def _wait_watch(self, pred: str, seen: int, deadline: int, on_done: Done) -> None:
        def fired(reply: Any) -> None:
            ev = event_of(reply)
            if reply is not None and reply.status == 200 and ev is not None and ev["action"] in ("update", "set", "compareAndSwap"):
                self._wait(pred, int(ev["modifiedIndex"]), deadline, on_done)  # predecessor still there
            else:
                self._check(deadline, on_done)  # gone, or the poll ended: look again

        self.req.call("GET", pred, {"wait": "true", "waitIndex": str(seen + 1)}, deadline, fired,
                      cap_ns=self.ttl_s * S // 3)

    def _give_up(self, deadline: int, on_done: Done) -> None:
        ticket, token, index = self.ticket, self.token, self.modified_index
        self._drop()
        if ticket is None or token is None:
            on_done(False, "105")
            return
        # best effort, on a short fresh deadline: the acquire's own deadline has passed
        release_node(self.req, ticket, token, index or token, self.req.deadline(), lambda ok, v: on_done(False, "105"))

    def refresh(self, on_done: Done, *, timeout_ns: int | None = None) -> None:
        """Extend our ticket's TTL (held or waiting). on_done(True, token) | (False, "100") ticket gone | (None, why)."""
        if self.ticket is None:
            on_done(False, "not-held")
            return
        ticket, sent = self.ticket, self.req.now()

        def done(reply: Any) -> None:
            ok, err = outcome(reply)
            if self.ticket != ticket:
                on_done(ok, self.token if ok else err)
                return
            if ok:
                self.modified_index = node_of(reply).get("modifiedIndex", self.modified_index)
                self._refreshed_ns = sent
                on_done(True, self.token)
            else:
                if err == "100":
                    self._drop()
                on_done(ok, err)

        self.req.call("PUT", ticket, {"refresh": "true", "prevExist": "true", "ttl": str(self.ttl_s)},
                      self.req.deadline(timeout_ns), done)

    def release(self, on_done: Done, *, timeout_ns: int | None = None) -> None:
        """Delete our ticket (held or waiting). on_done(True, token) | (False, "100"|"101") | (None, why)."""
        if self.ticket is None or self.token is None:
            on_done(False, "not-held")
            return
        ticket, token, index = self.ticket, self.token, self.modified_index or self.token
        self._drop()
        release_node(self.req, ticket, token, index, self.req.deadline(timeout_ns), on_done)

    def _drop(self) -> None:
        self.ticket = self.token = self.modified_index = None
        self.is_held = False
