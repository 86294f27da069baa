"""StoreStats: etcd v2's /v2/stats/store counters for one member's store (store/stats.go).

Rules: counted where etcd counts them, in the store itself: every write applied on this member (so each member
counts the cluster's writes), every get this member serves (a local GET, or a quorum GET applied), every key
that expired here. In memory only, as etcd's (a restart starts from zero). Nothing reads them in the simulator.
"""

from __future__ import annotations

__all__ = ["StoreStats"]

# command op -> etcd's counter prefix
_NAMES = {"get": "gets", "set": "sets", "delete": "delete", "update": "update", "create": "create",
          "compareAndSwap": "compareAndSwap", "compareAndDelete": "compareAndDelete"}
_ORDER = ("gets", "sets", "delete", "update", "create", "compareAndSwap", "compareAndDelete")


class StoreStats:
    """Success/fail counts per operation and the expire count."""

    __slots__ = ("counts", "expire_count")

    def __init__(self) -> None:
        self.counts: dict[str, int] = {}
        self.expire_count = 0

    def record(self, op: str, ok: bool) -> None:
        name = _NAMES.get(op)
        if name is not None:
            key = name + ("Success" if ok else "Fail")
            self.counts[key] = self.counts.get(key, 0) + 1

    def as_json(self, watchers: int) -> dict[str, int]:
        """The /v2/stats/store document, in etcd's field order."""
        doc = {f"{n}{s}": self.counts.get(f"{n}{s}", 0) for n in _ORDER for s in ("Success", "Fail")}
        return {**doc, "expireCount": self.expire_count, "watchers": watchers}
