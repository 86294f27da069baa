"""A TTL lock on one key (etcd v2 spec §9), with a fencing token.

Rules (the recipe, in requests):
- acquire: ``PUT <key>?prevExist=false&value=<owner>&ttl=T``. 201 = held; the fencing token is the new
  node's createdIndex (= its modifiedIndex on create; strictly increasing over successive holders,
  because every create takes a new, larger etcd index). 412/105 = taken.
- waiting: after a 105 the waiter watches ``<key>?wait=true&waitIndex=<X-Etcd-Index of the 105>+1`` and
  tries again on ``delete`` / ``compareAndDelete`` / ``expire`` (or when the watch ends without an event:
  a lost or timed-out long poll is simply retried). Refreshes never wake waiters (spec §6).
- refresh: ``PUT <key>?refresh=true&prevExist=true&prevValue=<owner>&ttl=T``: it keeps the holder's own
  node alive and fails 101/100 once the key expired or someone else holds it. A refresh takes an index,
  so it moves the node's modifiedIndex; the lock tracks it from each answer.
- release: compareAndDelete ``DELETE <key>?prevIndex=<modifiedIndex>``. If the compare fails because an
  earlier refresh's outcome was unknown, a quorum GET tells whether the node is still ours (its
  createdIndex is our token) and the release is retried once with the current modifiedIndex.

**Known limit** (inherent to any lease lock, etcd's included): the lock is a lease. A holder that is
paused (GC, SIGSTOP, a slow disk) or partitioned past its TTL loses the lock on the server, and another
client acquires it, while the paused holder, when it runs again, still *believes* it holds it:
``is_held`` stays True until a refresh or release tells it otherwise, and checking the local clock
first does not help (the pause can fall between the check and the use). What saves you is the
fencing token: pass ``token`` with every use of the protected resource and let the resource reject a
token smaller than the largest it has seen. Tokens of successive holders strictly increase.

Use one Lock (and one Client) per concurrent holder; operations of one Lock must not overlap.
"""

from __future__ import annotations

from typing import Any

from kvraft.recipes.common import Done, Requester, S, etcd_index, event_of, node_of, outcome, release_node

__all__ = ["Lock", "WAKE_ACTIONS"]

# Watch events after which a waiter tries again: the holder's node is gone.
WAKE_ACTIONS = frozenset({"delete", "compareAndDelete", "expire"})


class Lock:
    """A lease lock on ``key``, held as ``owner`` for ``ttl_s`` seconds per acquire / refresh.

    Args:
        client: a ``kvraft.client.Client`` (this lock's own; see the module rules).
        key: the lock key, e.g. ``/locks/db``.
        owner: this holder's value; must be unique among contenders (refresh compares on it).
        ttl_s: lease length in whole seconds (etcd TTLs are seconds), >= 1.
        timeout_ns: default deadline of one operation (acquire's waiting included).
    """

    def __init__(self, client: Any, key: str, *, owner: str, ttl_s: int, timeout_ns: int) -> None:
        if ttl_s < 1:
            raise ValueError(f"ttl_s must be >= 1, got {ttl_s}")
        if not owner:
            raise ValueError("owner must be a non-empty string")
        self.req = Requester(client, timeout_ns)
        self.key = key
        self.owner = owner
        self.ttl_s = ttl_s
        self.token: int | None = None  # fencing token of the current hold (createdIndex)
        self.modified_index: int | None = None  # the node's modifiedIndex as of our last write to it
        self.lease_start_ns: int | None = None  # local clock when the last ok acquire/refresh was sent
        self.attempts = 0  # create requests sent by the last acquire

    # -- state
    @property
    def is_held(self) -> bool:
        """Whether this client *believes* it holds the lock (see the known limit: it may be wrong)."""
        return self.token is not None

    @property
    def ttl_ns(self) -> int:
        return self.ttl_s * S

    def lease_left_ns(self) -> int:
        """Local estimate of the lease left (server expiry is never earlier, absent clock faults); 0 if not held."""
        if self.lease_start_ns is None or self.token is None:
            return 0
        return max(0, self.lease_start_ns + self.ttl_ns - self.req.now())

    # -- operations
    def try_acquire(self, on_done: Done, *, timeout_ns: int | None = None) -> None:
        """One create attempt. on_done(True, token) | (False, "105") when taken | (None, why) unknown."""
        deadline = self.req.deadline(timeout_ns)
        self.attempts = 0
        self._create(deadline, on_done, wait=False)

    def acquire(self, on_done: Done, *, timeout_ns: int | None = None) -> None:
        """Acquire, waiting (watching the key) until it is free or the deadline passes.

        on_done(True, token) when held; (False, "105") if still taken at the deadline; (None, why) if the
        last create's outcome is unknown (the key may be ours until its TTL runs out); (False, code) for
        other errors. Raises nothing; calling it while ``is_held`` answers (False, "held").
        """
        if self.is_held:
            on_done(False, "held")
            return
        deadline = self.req.deadline(timeout_ns)
        self.attempts = 0
        self._create(deadline, on_done, wait=True)

    def _create(self, deadline: int, on_done: Done, *, wait: bool) -> None:
        self.attempts += 1
        sent_ns = self.req.now()

        def created(reply: Any) -> None:
            ok, err = outcome(reply)
            if ok:
                node = node_of(reply)
                self.token = node.get("createdIndex")
                self.modified_index = node.get("modifiedIndex")
                self.lease_start_ns = sent_ns
                on_done(True, self.token)
            elif ok is None:
                on_done(None, err)
            elif err == "105" and wait and self.req.left(deadline) > 0:
                self._wait(etcd_index(reply) or 0, deadline, on_done)
            else:
                on_done(False, err)

        self.req.call("PUT", self.key, {"prevExist": "false", "value": self.owner, "ttl": str(self.ttl_s)},
                      deadline, created)

    def _wait(self, seen_index: int, deadline: int, on_done: Done) -> None:
        """Watch the key from seen_index + 1; try again when the holder's node goes."""

        def fired(reply: Any) -> None:
            if self.req.left(deadline) <= 0:
                on_done(False, "105")
                return
            ev = event_of(reply)
            if reply is not None and reply.status == 200 and ev is not None and ev["action"] not in WAKE_ACTIONS:
                self._wait(int(ev["modifiedIndex"]), deadline, on_done)  # changed, not freed: keep watching
                return
            # freed; or the watch ended (timeout, closed, 401 history cleared): just try again
            self._create(deadline, on_done, wait=True)

        self.req.call("GET", self.key, {"wait": "true", "waitIndex": str(seen_index + 1)}, deadline, fired)

    def refresh(self, on_done: Done, *, timeout_ns: int | None = None) -> None:
        """Extend the lease by ttl_s. on_done(True, token); (False, "101"|"100") = lost it (``is_held`` turns
        False); (None, why) unknown (still believed held); (False, "not-held") if not held."""
        if self.token is None:
            on_done(False, "not-held")
            return
        deadline = self.req.deadline(timeout_ns)
        sent_ns = self.req.now()
        token = self.token

        def refreshed(reply: Any) -> None:
            ok, err = outcome(reply)
            if self.token != token:  # released meanwhile: report, do not resurrect
                on_done(ok, token if ok else err)
                return
            if ok:
                node = node_of(reply)
                if node.get("createdIndex") not in (None, token):
                    # someone else's node with our owner value: not our hold (owner values must be unique)
                    self._forget()
                    on_done(False, "101")
                    return
                self.modified_index = node.get("modifiedIndex", self.modified_index)
                self.lease_start_ns = sent_ns
                on_done(True, token)
            elif ok is None:
                on_done(None, err)
            else:
                if err in ("100", "101"):
                    self._forget()
                on_done(False, err)

        self.req.call("PUT", self.key, {"refresh": "true", "prevExist": "true", "prevValue": self.owner,
                                        "ttl": str(self.ttl_s)}, deadline, refreshed)

    def release(self, on_done: Done, *, timeout_ns: int | None = None) -> None:
        """compareAndDelete the held node. on_done(True, token) released; (False, "101"|"100") it was no
        longer ours; (None, why) unknown. The lock counts as not held from the call on, whatever happens
        (an unknown release leaves the key to expire by TTL)."""
        if self.token is None:
            on_done(False, "not-held")
            return
        token, index = self.token, self.modified_index or self.token
        self._forget()
        release_node(self.req, self.key, token, index, self.req.deadline(timeout_ns), on_done)

    def _forget(self) -> None:
        self.token = None
        self.modified_index = None
        self.lease_start_ns = None
