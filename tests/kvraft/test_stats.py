"""etcd's /v2/stats/self rates and follower latencies (kvraft/stats.py), against etcd 3.4's v2stats arithmetic."""

from __future__ import annotations

import math

import pytest

from kvraft.stats import QUEUE_CAPACITY, FollowerStats, RateQueue, go_duration, self_rates

S = 1_000_000_000


def test_rate_is_count_and_bytes_over_the_span_from_oldest_to_newest() -> None:
    q = RateQueue()
    for i, size in enumerate((100, 50, 150)):
        q.insert(i * S // 2, size)  # at 0, 0.5 s, 1 s
    assert q.rate(S) == (3.0, 300.0)
    assert q.rate(2 * S) == (3.0, 300.0)  # the newest is exactly 1 s old: still counted


def test_rate_keeps_the_newest_200_samples() -> None:
    q = RateQueue()
    for i in range(QUEUE_CAPACITY + 50):
        q.insert(i * 1_000_000, 10 if i < 50 else 20)  # one every ms; the first 50 smaller
    span_ns = (QUEUE_CAPACITY - 1) * 1_000_000
    assert q.rate((QUEUE_CAPACITY + 49) * 1_000_000) == (200 * S / span_ns, 200 * 20 * S / span_ns)


def test_rate_is_zero_and_cleared_once_the_newest_is_over_a_second_old() -> None:
    q = RateQueue()
    q.insert(0, 10)
    q.insert(S // 10, 10)
    assert q.rate(S + S // 10 + 1) == (0.0, 0.0)
    q.insert(5 * S, 10)
    assert q.rate(5 * S) == (0.0, 0.0)  # cleared: one sample has no span (etcd: a division by zero)
    q.insert(5 * S + S // 2, 30)
    assert q.rate(5 * S + S // 2) == (4.0, 80.0)


def test_self_rates_omit_zero_rates_in_etcds_field_order() -> None:
    recv, send = RateQueue(), RateQueue()
    assert list(self_rates(recv, send, 3, 0, 0)) == ["recvAppendRequestCnt", "sendAppendRequestCnt"]
    send.insert(0, 80)
    send.insert(S // 4, 80)
    assert self_rates(recv, send, 3, 2, S // 4) == {"recvAppendRequestCnt": 3, "sendAppendRequestCnt": 2,
                                                    "sendPkgRate": 8.0, "sendBandwidthRate": 640.0}


def test_follower_latency_is_etcds_running_mean_sd_min_max() -> None:
    f = FollowerStats()
    assert f.as_json()["latency"]["minimum"] == float(1 << 63)
    for ms in (1.0, 2.0, 3.0):
        f.succ(ms)
    lat = f.as_json()["latency"]
    assert lat == {"current": 3.0, "average": 2.0, "standardDeviation": pytest.approx(math.sqrt(2 / 3)),
                   "minimum": 1.0, "maximum": 3.0}
    assert f.as_json()["counts"] == {"fail": 0, "success": 3}


@pytest.mark.parametrize("ns, text", [(0, "0s"), (750, "750ns"), (2500, "2.5µs"), (1_500_000, "1.5ms"),
                                      (S, "1s"), (4_132_230_103, "4.132230103s"), (64_500_000_000, "1m4.5s"),
                                      (3_723_500_000_000, "1h2m3.5s"), (3_600 * S, "1h0m0s")])
def test_go_duration_strings(ns: int, text: str) -> None:
    assert go_duration(ns) == text
