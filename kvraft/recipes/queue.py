"""A work queue on POST in-order keys (spec §8): enqueue appends, dequeue claims the head exactly once.

Rules (the recipe, in requests):
- enqueue: ``POST <dir>?value=<item>`` creates ``<dir>/<20-digit index>``; names increase in commit order.
- head: ``GET <dir>?recursive=true&sorted=true&quorum=true``; the smallest key is the head.
- dequeue (claim): ``DELETE <dir>/<name>?prevIndex=<its modifiedIndex>`` (compareAndDelete). Only one
  claimer's compare succeeds, so an item is handed out at most once. A loser (101/100: someone claimed it
  first) moves on to the next item of the same listing, and lists again when the listing is used up.
- An unknown claim (timeout, 300) may have taken the item: it is reported unknown, never retried on
  another item, so the caller can account for it (it may be lost to everyone).
- ``dequeue`` answers ``(False, "empty")`` when a listing has no items, and ``(False, "read-<why>")`` when a
  listing failed or timed out (only reads and lost claims were sent: certainly nothing was claimed).
  Operations of one Queue must not overlap.
"""

from __future__ import annotations

from typing import Any

from kvraft.recipes.common import Done, Requester, error_code, node_of, outcome

__all__ = ["Queue", "Item"]

Item = dict[str, Any]  # a listed entry: {"key", "value", "modifiedIndex", "createdIndex"}


class Queue:
    """A FIFO work queue in directory ``dir``.

    Args:
        client: a ``kvraft.client.Client``.
        dir: the queue directory, e.g. ``/jobs``.
        timeout_ns: default deadline of one operation (a dequeue's retries included).
    """

    def __init__(self, client: Any, dir: str, *, timeout_ns: int) -> None:
        self.req = Requester(client, timeout_ns)
        self.dir = dir.rstrip("/") or "/"
        self.claim_attempts = 0  # compareAndDeletes sent by the last dequeue

    def enqueue(self, value: str, on_done: Done, *, ttl_s: int | None = None) -> None:
        """POST ``value``. on_done(True, {"key", "index"}) | (False, code) | (None, why)."""
        params = {"value": value, **({"ttl": str(ttl_s)} if ttl_s is not None else {})}

        def posted(reply: Any) -> None:
            ok, err = outcome(reply)
            if ok:
                node = node_of(reply)
                on_done(True, {"key": node.get("key"), "index": node.get("modifiedIndex")})
            else:
                on_done(ok, err)

        self.req.call("POST", self.dir, params, self.req.deadline(), posted)

    def items(self, on_done: Done, *, deadline_ns: int | None = None) -> None:
        """Quorum listing, oldest first: on_done(True, [Item, ...]) (``[]`` when the dir is missing)."""

        def got(reply: Any) -> None:
            ok, err = outcome(reply)
            if ok:
                nodes = node_of(reply).get("nodes") or []
                on_done(True, [{"key": n["key"], "value": n.get("value"), "modifiedIndex": n["modifiedIndex"],
                                "createdIndex": n["createdIndex"]} for n in nodes if not n.get("dir")])
            elif ok is False and error_code(reply) == 100:
                on_done(True, [])
            else:
                on_done(ok, err)

        self.req.call("GET", self.dir, {"recursive": "true", "sorted": "true", "quorum": "true"},
                      deadline_ns if deadline_ns is not None else self.req.deadline(), got)

    def head(self, on_done: Done) -> None:
        """The oldest item: on_done(True, Item or None)."""
        self.items(lambda ok, v: on_done(True, v[0] if v else None) if ok else on_done(ok, v))

    def dequeue(self, on_done: Done, *, timeout_ns: int | None = None) -> None:
        """Claim the oldest item. on_done(True, value) | (False, "empty") | (False, "contention") when every
        claim lost until the deadline | (None, why) when the claim's outcome is unknown."""
        deadline = self.req.deadline(timeout_ns)
        self.claim_attempts = 0
        self._list(deadline, on_done)

    def _list(self, deadline: int, on_done: Done) -> None:
        def listed(ok: bool | None, items: Any) -> None:
            if not ok:  # only reads so far (or claims that certainly failed): nothing was claimed
                on_done(False, f"read-{items}")
            elif not items:
                on_done(False, "empty")
            else:
                self._claim(items, 0, deadline, on_done)

        self.items(listed, deadline_ns=deadline)

    def _claim(self, items: list[Item], i: int, deadline: int, on_done: Done) -> None:
        item = items[i]
        self.claim_attempts += 1

        def deleted(reply: Any) -> None:
            ok, err = outcome(reply)
            if ok:
                on_done(True, item["value"])
            elif ok is None:
                on_done(None, err)
            elif err in ("100", "101"):  # claimed by someone else first
                if self.req.left(deadline) <= 0:
                    on_done(False, "contention")
                elif i + 1 < len(items):
                    self._claim(items, i + 1, deadline, on_done)
                else:
                    self._list(deadline, on_done)
            else:
                on_done(False, err)

        self.req.call("DELETE", item["key"], {"prevIndex": str(item["modifiedIndex"])}, deadline, deleted)
