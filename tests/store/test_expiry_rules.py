"""TTL time, rule by rule: Go's int64 wrap of absurd TTLs, rounding up of the remaining seconds, and the TTL
index ordered by (expiration, path) with its observer (bench/mutation.py --module kvraft/store/expiry.py)."""

from __future__ import annotations

import pytest

from datetime import datetime, timezone

from kvraft.store.expiry import (EPOCH, EPOCH_UNIX_NS, MIN_EXPIRE_NS, NS_PER_S, TtlIndex, _wrap64,
                                 expiration_from_ttl, rfc3339, ttl_seconds)

S = NS_PER_S
I64 = 1 << 63


def test_the_epoch_constants_agree() -> None:
    assert EPOCH == datetime(2026, 1, 1, tzinfo=timezone.utc)
    assert EPOCH_UNIX_NS == int(EPOCH.timestamp()) * S and NS_PER_S == 10**9
    assert MIN_EXPIRE_NS + EPOCH_UNIX_NS == int(datetime(2000, 1, 1, tzinfo=timezone.utc).timestamp()) * S


@pytest.mark.parametrize(("v", "want"), [
    (0, 0), (5, 5), (-5, -5), (I64 - 1, I64 - 1), (I64, -I64), (-I64, -I64), (-I64 - 1, I64 - 1), (1 << 64, 0),
])
def test_wrap64_is_gos_int64_overflow(v: int, want: int) -> None:
    assert _wrap64(v) == want


BIG = (I64 - EPOCH_UNIX_NS) // S + 1  # the first TTL whose Unix expiration is past int64


@pytest.mark.parametrize(("now_ns", "ttl", "want"), [
    (0, 0, 0), (5, 3, 5 + 3 * S), (-S, 1, 0), (0, -1, -S),
    (0, BIG - 1, (BIG - 1) * S),
    (0, BIG, BIG * S - (1 << 64)),  # wraps to a negative int64, like Go
])
def test_expiration_from_ttl_wraps_like_go(now_ns: int, ttl: int, want: int) -> None:
    assert expiration_from_ttl(now_ns, ttl) == want


def test_expiration_from_ttl_wraps_ttl_itself() -> None:
    assert expiration_from_ttl(0, 1 << 64) == 0  # Duration(2**64) is 0 in int64
    assert expiration_from_ttl(0, (1 << 64) + 2) == 2 * S


@pytest.mark.parametrize(("expire_ns", "now_ns", "want"), [
    (10 * S, 0, 10), (10 * S, 1, 10), (10 * S + 1, 0, 11), (S, S, 0), (S, S + 1, 0), (0, S, -1),
    (0, S + 1, -1), (0, 2 * S - 1, -1), (0, 2 * S, -2), (7 * S, 2 * S, 5),
])
def test_ttl_seconds(expire_ns: int, now_ns: int, want: int) -> None:
    assert ttl_seconds(expire_ns, now_ns) == want


@pytest.mark.parametrize(("ns", "want"), [
    (0, "2026-01-01T00:00:00Z"), (10, "2026-01-01T00:00:00.00000001Z"), (86_400 * S + 120_000_000,
                                                                         "2026-01-02T00:00:00.12Z"),
])
def test_rfc3339(ns: int, want: str) -> None:
    assert rfc3339(ns) == want


def test_ttl_index_orders_by_expiration_then_path() -> None:
    seen: list[tuple[str, int | None]] = []
    idx = TtlIndex()
    assert idx.next_expiration() is None and idx.pop_due(10**18) is None and len(idx) == 0
    idx.on_change = lambda p, e: seen.append((p, e))
    idx.set("/b", 5)
    idx.set("/a", 5)
    idx.set("/c", 3)
    idx.set("/c", 9)  # moved later: the old heap entry is stale
    idx.set("/d", 7)
    idx.discard("/d")
    idx.discard("/nope")
    assert len(idx) == 3 and sorted(idx.items()) == [("/a", 5), ("/b", 5), ("/c", 9)]
    assert idx.next_expiration() == 5
    assert idx.pop_due(4) is None
    assert [idx.pop_due(5), idx.pop_due(5), idx.pop_due(5)] == ["/a", "/b", None]  # ties by path
    assert idx.next_expiration() == 9 and idx.pop_due(9) == "/c" and len(idx) == 0
    assert seen == [("/b", 5), ("/a", 5), ("/c", 3), ("/c", 9), ("/d", 7), ("/d", None), ("/nope", None),
                    ("/a", None), ("/b", None), ("/c", None)]


def test_ttl_index_heap_stays_bounded() -> None:
    idx = TtlIndex()
    for i in range(1000):
        idx.set("/k", i)
    assert len(idx._heap) <= 2 * len(idx) + 65
    assert idx.next_expiration() == 999 and idx.pop_due(999) == "/k" and idx.pop_due(10**9) is None
