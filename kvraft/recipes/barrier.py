"""A condition-counter barrier: small tasks report ready into a queue; the big task starts at N (spec §8, §9).

Rules (the recipe, in requests):
- ready: each small task ``POST <dir>?value=<name>[&ttl=T]`` (an in-order key: a counter that cannot lose
  an increment to a race, unlike read-modify-write of one number; with a TTL a crashed task's readiness
  lapses).
- wait: the big task lists ``GET <dir>?recursive=true&sorted=true&quorum=true``; with >= N entries it
  starts (``on_done(True, names)``, the first N in commit order). Otherwise it watches the directory
  recursively from the listing's ``X-Etcd-Index`` + 1 and lists again on any event (a create, or a
  readiness that expired) or when the poll ends.
- reset: ``DELETE <dir>?dir=true&recursive=true`` for the next round.
"""

from __future__ import annotations

from typing import Any

from kvraft.recipes.common import MS, Done, Requester, error_code, etcd_index, node_of, outcome

__all__ = ["Barrier"]


class Barrier:
    """Wait for ``n`` ready marks in ``dir``.

    Args:
        client: a ``kvraft.client.Client``.
        dir: the barrier's directory, e.g. ``/barriers/build-42``.
        n: how many small tasks the big task waits for (>= 1).
        timeout_ns: default deadline of one operation (wait's waiting included).
        poll_ns: longest single long poll before listing again.
    """

    def __init__(self, client: Any, dir: str, *, n: int, timeout_ns: int, poll_ns: int = 1_000 * MS) -> None:
        if n < 1:
            raise ValueError(f"n must be >= 1, got {n}")
        self.req = Requester(client, timeout_ns)
        self.dir = dir.rstrip("/")
        self.n = n
        self.poll_ns = poll_ns

    def ready(self, name: str, on_done: Done, *, ttl_s: int | None = None) -> None:
        """Mark one small task ready. on_done(True, index) | (False, code) | (None, why)."""
        params = {"value": name, **({"ttl": str(ttl_s)} if ttl_s is not None else {})}

        def posted(reply: Any) -> None:
            ok, err = outcome(reply)
            if ok:
                on_done(True, node_of(reply).get("modifiedIndex"))
            else:
                on_done(ok, err)

        self.req.call("POST", self.dir, params, self.req.deadline(), posted)

    def count(self, on_done: Done) -> None:
        """How many are ready now: on_done(True, [names in commit order])."""
        self._list(self.req.deadline(), lambda ok, v: on_done(ok, v[0] if ok else v))

    def wait(self, on_done: Done, *, timeout_ns: int | None = None) -> None:
        """Until ``n`` are ready: on_done(True, first n names) | (False, "not-ready") at the deadline."""
        deadline = self.req.deadline(timeout_ns)

        def listed(ok: bool | None, v: Any) -> None:
            if ok and len(v[0]) >= self.n:
                on_done(True, v[0][: self.n])
            elif self.req.left(deadline) <= 0:
                on_done(False, "not-ready")
            elif ok:
                self._watch(v[1], deadline, lambda: self._list(deadline, listed))
            else:
                self.req.rt.after(10 * MS, lambda: self._list(deadline, listed))

        self._list(deadline, listed)

    def reset(self, on_done: Done) -> None:
        """Delete the directory (all marks). on_done(True, None) | (False, code) | (None, why)."""

        def deleted(reply: Any) -> None:
            ok, err = outcome(reply)
            if ok or error_code(reply) == 100:
                on_done(True, None)
            else:
                on_done(ok, err)

        self.req.call("DELETE", self.dir, {"dir": "true", "recursive": "true"}, self.req.deadline(), deleted)

    def _list(self, deadline: int, on_done: Done) -> None:
        def got(reply: Any) -> None:
            ok, err = outcome(reply)
            if ok:
                nodes = node_of(reply).get("nodes") or []
                on_done(True, ([n.get("value") for n in nodes if not n.get("dir")], etcd_index(reply) or 0))
            elif ok is False and error_code(reply) == 100:
                on_done(True, ([], etcd_index(reply) or 0))
            else:
                on_done(ok, err)

        self.req.call("GET", self.dir, {"recursive": "true", "sorted": "true", "quorum": "true"}, deadline, got)

    def _watch(self, seen: int, deadline: int, then: Any) -> None:
        self.req.call("GET", self.dir, {"wait": "true", "recursive": "true", "waitIndex": str(seen + 1)}, deadline,
                      lambda reply: then(), cap_ns=self.poll_ns)
