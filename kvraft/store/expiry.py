"""Virtual time for TTLs: the epoch, Go's TTL rounding, RFC 3339 rendering, and the TTL index.

Rules:
- Virtual time is int ns since `EPOCH` (2026-01-01T00:00:00Z). The store never reads a clock:
  every time arrives as an argument (the command's `now_ns`, or the reader's `now_ns`).
- `ttl_seconds` is etcd's `expirationAndTTL`: remaining time divided with Go's truncation, plus
  one if a positive remainder is left (so 3.8 s -> 4, 0 s -> 0, -1.5 s -> -1).
- The TTL index is derived state (spec.md §13): rebuilt on restore, never snapshotted.
  Ties in expiration are broken by path so that expiry order is deterministic.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

__all__ = ["EPOCH", "EPOCH_UNIX_NS", "MIN_EXPIRE_NS", "NS_PER_S", "rfc3339", "ttl_seconds",
           "expiration_from_ttl", "TtlIndex"]

NS_PER_S = 1_000_000_000
EPOCH = datetime(2026, 1, 1, tzinfo=timezone.utc)
EPOCH_UNIX_NS = 1_767_225_600 * NS_PER_S
# etcd treats expirations before 2000-01-01T00:00:00Z as "no TTL" (spec.md §6).
MIN_EXPIRE_NS = 946_684_800 * NS_PER_S - EPOCH_UNIX_NS
_UNIX0 = datetime(1970, 1, 1, tzinfo=timezone.utc)


def _wrap64(v: int) -> int:
    return (v + (1 << 63)) % (1 << 64) - (1 << 63)


def expiration_from_ttl(now_ns: int, ttl_s: int) -> int:
    """Absolute expiration (virtual ns) of `ttl_s` seconds after `now_ns`, with Go's int64 wrap.

    etcd computes `time.Now().Add(Duration(ttl) * Second).UnixNano()`; absurd TTLs wrap the same way.
    """
    ttl_ns = _wrap64(_wrap64(ttl_s) * NS_PER_S)
    return _wrap64(EPOCH_UNIX_NS + now_ns + ttl_ns) - EPOCH_UNIX_NS


def ttl_seconds(expire_ns: int, now_ns: int) -> int:
    """Remaining whole seconds, rounded up as etcd does (Go truncating division, +1 on remainder)."""
    d = expire_ns - now_ns
    q = abs(d) // NS_PER_S
    if d < 0:
        q = -q
    if d - q * NS_PER_S > 0:
        q += 1
    return q


def rfc3339(virtual_ns: int) -> str:
    """Go's RFC3339Nano rendering of a virtual time: UTC, trailing zeros of the fraction trimmed."""
    secs, ns = divmod(EPOCH_UNIX_NS + virtual_ns, NS_PER_S)
    dt = _UNIX0 + timedelta(seconds=secs)
    frac = f".{ns:09d}".rstrip("0") if ns else ""
    return f"{dt.year:04d}-{dt.month:02d}-{dt.day:02d}T{dt.hour:02d}:{dt.minute:02d}:{dt.second:02d}{frac}Z"


class TtlIndex:
    """Which paths carry a TTL, ordered by (expiration, path); a lazy heap over a dict.

    Contract: call `set(path, expire_ns)` when a node gains or changes a TTL, `discard(path)` when
    it loses it or is removed; `due(now_ns)` yields the paths to expire, oldest first.
    """

    __slots__ = ("_live", "_heap", "on_change")

    def __init__(self) -> None:
        self._live: dict[str, int] = {}
        self._heap: list[tuple[int, str]] = []
        # Observer (path, expire_ns or None): the member keeps monotonic deadlines from it.
        self.on_change: Callable[[str, int | None], None] | None = None

    def __len__(self) -> int:
        return len(self._live)

    def set(self, path: str, expire_ns: int) -> None:
        self._live[path] = expire_ns
        if self.on_change is not None:
            self.on_change(path, expire_ns)
        heapq.heappush(self._heap, (expire_ns, path))
        if len(self._heap) > 2 * len(self._live) + 64:
            self._heap = sorted((e, p) for p, e in self._live.items())

    def discard(self, path: str) -> None:
        self._live.pop(path, None)
        if self.on_change is not None:
            self.on_change(path, None)

    def items(self) -> list[tuple[str, int]]:
        return list(self._live.items())

    def _clean_top(self) -> tuple[int, str] | None:
        heap = self._heap
        while heap:
            exp, path = heap[0]
            if self._live.get(path) == exp:
                return heap[0]
            heapq.heappop(heap)
        return None

    def next_expiration(self) -> int | None:
        top = self._clean_top()
        return None if top is None else top[0]

    def pop_due(self, now_ns: int) -> str | None:
        """The path of the earliest node with expiration <= now_ns (removed from the index), or None."""
        top = self._clean_top()
        if top is None or top[0] > now_ns:
            return None
        heapq.heappop(self._heap)
        del self._live[top[1]]
        if self.on_change is not None:
            self.on_change(top[1], None)
        return top[1]
