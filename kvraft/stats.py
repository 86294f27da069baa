"""etcd's /v2/stats/self rates and /v2/stats/leader follower latencies (etcd 3.4's v2stats: server.go,
queue.go, leader.go), as pure arithmetic on times the caller passes.

Rules:
- No clock here: every time is an int of ns on the caller's monotonic clock (a real server passes its wall
  clock's, a simulation its virtual one), so the figures are a function of the samples.
- Rates (etcd's statsQueue): the newest 200 AppendEntries sent (or received), each (time, bytes); the rate
  is their count, and their bytes, divided by the span from the oldest to the newest, per second; if the
  newest is over 1 s old the queue is cleared and the rate is 0 (etcd's JSON then omits the field). A span
  of 0 (a single sample) gives 0 here; etcd divides by it (+Inf, which its JSON encoder refuses).
- Follower latency (etcd's FollowerStats.Succ): current, running average, standard deviation
  sqrt(avg(x^2) - avg(x)^2), minimum (starting at 2^63) and maximum, in ms; counts of success and fail.
"""

from __future__ import annotations

import math
from collections import deque
from typing import Any

__all__ = ["FollowerStats", "RateQueue", "QUEUE_CAPACITY", "go_duration", "self_rates"]

QUEUE_CAPACITY = 200
S = 1_000_000_000


class RateQueue:
    """The newest ``QUEUE_CAPACITY`` (at_ns, size) samples and their total size."""

    __slots__ = ("_q", "_bytes")

    def __init__(self) -> None:
        self._q: deque[tuple[int, int]] = deque()
        self._bytes = 0

    def insert(self, at_ns: int, size: int) -> None:
        if len(self._q) == QUEUE_CAPACITY:
            self._bytes -= self._q.popleft()[1]
        self._q.append((at_ns, size))
        self._bytes += size

    def rate(self, now_ns: int) -> tuple[float, float]:
        """(packages per second, bytes per second) at ``now_ns``; (0, 0) once the newest is over 1 s old."""
        q = self._q
        if not q:
            return 0.0, 0.0
        if now_ns - q[-1][0] > S:
            q.clear()
            self._bytes = 0
            return 0.0, 0.0
        span_ns = q[-1][0] - q[0][0]
        if span_ns <= 0:
            return 0.0, 0.0
        return len(q) * S / span_ns, self._bytes * S / span_ns


def self_rates(recv: RateQueue, send: RateQueue, recv_count: int, send_count: int, now_ns: int) -> dict[str, Any]:
    """The counts and rates of /v2/stats/self in etcd's field order; a zero rate is left out (Go's omitempty)."""
    doc: dict[str, Any] = {"recvAppendRequestCnt": recv_count}
    pkg, bw = recv.rate(now_ns)
    if pkg:
        doc["recvPkgRate"] = pkg
    if bw:
        doc["recvBandwidthRate"] = bw
    doc["sendAppendRequestCnt"] = send_count
    pkg, bw = send.rate(now_ns)
    if pkg:
        doc["sendPkgRate"] = pkg
    if bw:
        doc["sendBandwidthRate"] = bw
    return doc


def go_duration(ns: int) -> str:
    """Go's time.Duration.String(): "0s", "750ns", "1.5ms", "4.132230103s", "1h2m3.5s"."""
    if ns == 0:
        return "0s"
    sign, ns = ("-", -ns) if ns < 0 else ("", ns)
    if ns < 1000:
        return f"{sign}{ns}ns"
    if ns < S:
        unit, div = ("µs", 1000) if ns < 1_000_000 else ("ms", 1_000_000)
        whole, frac = divmod(ns, div)
        digits = len(str(div)) - 1
        tail = f"{frac:0{digits}d}".rstrip("0")
        return f"{sign}{whole}{'.' + tail if tail else ''}{unit}"
    h, rest = divmod(ns, 3600 * S)
    m, rest = divmod(rest, 60 * S)
    sec, frac = divmod(rest, S)
    tail = f"{frac:09d}".rstrip("0")
    out = f"{sec}{'.' + tail if tail else ''}s"
    if h or m:
        out = f"{m}m" + out
    if h:
        out = f"{h}h" + out
    return sign + out


class FollowerStats:
    """One follower as its leader sees it: success/fail counts and AppendEntries latency in ms."""

    def __init__(self) -> None:
        self.success = 0
        self.fail = 0
        self.current = self.average = self.sd = self.maximum = 0.0
        self.minimum = float(1 << 63)
        self._avg_square = 0.0

    def succ(self, ms: float) -> None:
        n = self.success
        total, total_sq = n * self.average, n * self._avg_square
        self.success = n + 1
        self.current = ms
        self.maximum = max(self.maximum, ms)
        self.minimum = min(self.minimum, ms)
        self.average = (total + ms) / self.success
        self._avg_square = (total_sq + ms * ms) / self.success
        self.sd = math.sqrt(max(0.0, self._avg_square - self.average * self.average))

    def as_json(self) -> dict[str, Any]:
        return {"latency": {"current": self.current, "average": self.average, "standardDeviation": self.sd,
                            "minimum": self.minimum, "maximum": self.maximum},
                "counts": {"fail": self.fail, "success": self.success}}
