"""Config change notification: a watch loop on a key or prefix that never misses an event (spec §7, §9).

Rules (the recipe, in requests):
- Start from a known index: either the caller's ``after_index``, or a quorum GET of the key whose
  ``X-Etcd-Index`` is the index the snapshot reflects (``on_reset`` receives that snapshot).
- Loop ``GET <key>?wait=true[&recursive=true]&waitIndex=<next>``; on an event: ``on_change(event)``, then
  ``next = event.modifiedIndex + 1``. An empty body, a timed-out long poll, or a lost member: re-watch
  with the same ``next`` (nothing can have been missed: history is kept by index).
- **401 recovery**: when ``next`` has fallen out of the 1000-event window (error 401, "the event in the
  requested index is outdated and cleared"), events were lost for good: GET the current value (quorum)
  and its ``X-Etcd-Index``, hand it to ``on_reset``, and resume at that index + 1.
- Each long poll lasts at most ``poll_ns``, then is re-armed: a poll parked on a member that crashed or
  was cut off is abandoned rather than waited for forever. Refreshes are never delivered (spec §6).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kvraft.recipes.common import MS, Requester, body, error_code, etcd_index, event_of, outcome

__all__ = ["ConfigWatch"]


class ConfigWatch:
    """Watch ``key`` (and with ``recursive`` its subtree), calling ``on_change(event)`` for each change in order.

    Args:
        client: a ``kvraft.client.Client`` (watches are reads: it may be shared).
        key: the key or directory to watch.
        on_change: called with each event dict (action, key, value, prevValue, modifiedIndex, createdIndex).
        on_reset: called as ``on_reset(node_or_None, index)`` with the state read at start and after a 401.
        recursive: watch the subtree.
        poll_ns: longest single long poll before re-arming. retry_ns: pause after a failed read.
    """

    def __init__(self, client: Any, key: str, *, on_change: Callable[[dict[str, Any]], None],
                 on_reset: Callable[[dict[str, Any] | None, int], None] | None = None, recursive: bool = False,
                 poll_ns: int = 3_000 * MS, retry_ns: int = 50 * MS) -> None:
        self.req = Requester(client, poll_ns)
        self.key = key
        self.on_change = on_change
        self.on_reset = on_reset
        self.recursive = recursive
        self.poll_ns = poll_ns
        self.retry_ns = retry_ns
        self.next_index: int | None = None
        self.running = False
        self.events = 0  # events delivered
        self.resets = 0  # snapshots read (start without after_index, and each 401 recovery)
        self.cleared = 0  # 401s seen
        self._gen = 0  # bumps on stop/start so stale callbacks are ignored

    def start(self, after_index: int | None = None) -> None:
        """Begin watching after ``after_index``, or from a fresh snapshot when None."""
        self.running = True
        self._gen += 1
        if after_index is None:
            self._snapshot(self._gen)
        else:
            self.next_index = after_index + 1
            self._poll(self._gen)

    def stop(self) -> None:
        """Stop: the poll in flight is ignored when it answers."""
        self.running = False
        self._gen += 1

    def _live(self, gen: int) -> bool:
        return self.running and gen == self._gen

    def _snapshot(self, gen: int) -> None:
        params = {"quorum": "true", **({"recursive": "true", "sorted": "true"} if self.recursive else {})}

        def got(reply: Any) -> None:
            if not self._live(gen):
                return
            ok, _ = outcome(reply)
            idx = etcd_index(reply)
            if (ok or error_code(reply) == 100) and idx is not None:
                self.resets += 1
                self.next_index = idx + 1
                if self.on_reset is not None:
                    node = body(reply).get("node") if ok else None
                    self.on_reset(node, idx)
                self._poll(gen)
            else:
                self.req.rt.after(self.retry_ns, lambda: self._live(gen) and self._snapshot(gen))

        self.req.call("GET", self.key, params, self.req.deadline(), got)

    def _poll(self, gen: int) -> None:
        assert self.next_index is not None
        params = {"wait": "true", "waitIndex": str(self.next_index), **({"recursive": "true"} if self.recursive else {})}

        def fired(reply: Any) -> None:
            if not self._live(gen):
                return
            ev = event_of(reply)
            if reply is not None and reply.status == 200 and ev is not None:
                self.events += 1
                self.next_index = int(ev["modifiedIndex"]) + 1
                self.on_change(ev)
                if self._live(gen):
                    self._poll(gen)
            elif error_code(reply) == 401:
                self.cleared += 1
                self._snapshot(gen)
            elif reply is None or reply.status == 200:
                self._poll(gen)  # timed out / closed early: same waitIndex
            else:
                self.req.rt.after(self.retry_ns, lambda: self._live(gen) and self._poll(gen))

        self.req.call("GET", self.key, params, self.req.deadline(), fired)
