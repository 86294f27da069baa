"""Progress, rule by rule: one table per method, rows at each boundary the mutation bench found unchecked
(bench/mutation.py --module kvraft/raft/progress.py): stale replies, the probe in flight, inflight limits."""

from __future__ import annotations

from collections import deque

import pytest

from kvraft.raft.progress import Progress, ProgressState

P, R, S = ProgressState.PROBE, ProgressState.REPLICATE, ProgressState.SNAPSHOT


def pr(state: ProgressState = P, match: int = 3, next: int = 6, **kw) -> Progress:  # noqa: A002
    p = Progress(match=match, next=next, max_inflight=kw.pop("max_inflight", 2), **kw)
    p.state = state
    return p


# ---- Progress ----

def test_a_new_progress_probes_with_nothing_pending() -> None:
    p = Progress(match=0, next=5, max_inflight=3)
    assert (p.state, p.probe_sent, p.pending_snapshot, p.recent_active, p.learner, list(p.inflights)) == (
        P, False, 0, False, False, [])
    p.state = S
    p.become_probe()
    assert p.next == 1  # nothing pending: back to match + 1


@pytest.mark.parametrize(("state", "pending", "want_next"), [
    (P, 0, 4), (R, 0, 4),
    (P, 8, 4), (R, 8, 4),  # a pending snapshot counts only in SNAPSHOT
    (S, 8, 9),  # from SNAPSHOT: past the snapshot sent
    (S, 2, 4),  # but never back below match + 1
])
def test_become_probe(state: ProgressState, pending: int, want_next: int) -> None:
    p = pr(state, pending_snapshot=pending, probe_sent=True)
    p.inflights.extend([4, 5])
    p.become_probe()
    assert (p.state, p.next, p.probe_sent, p.pending_snapshot, list(p.inflights)) == (P, want_next, False, 0, [])


def test_become_replicate_and_snapshot_reset_the_flow() -> None:
    p = pr(P, probe_sent=True)
    p.inflights.append(5)
    p.become_replicate()
    assert (p.state, p.next, p.probe_sent, list(p.inflights)) == (R, 4, False, [])
    p.probe_sent = True
    p.inflights.append(5)
    p.become_snapshot(10)
    assert (p.state, p.pending_snapshot, p.probe_sent, list(p.inflights), p.next) == (S, 10, False, [], 4)


@pytest.mark.parametrize(("state", "probe_sent", "inflight", "want"), [
    (P, False, 0, False), (P, True, 0, True),
    (R, False, 1, False), (R, False, 2, True),  # max_inflight 2: full at 2
    (R, True, 0, False),  # probe_sent does not pause a replicating follower
    (S, False, 0, True),
])
def test_is_paused(state: ProgressState, probe_sent: bool, inflight: int, want: bool) -> None:
    p = pr(state, probe_sent=probe_sent)
    p.inflights.extend(range(inflight))
    assert p.is_paused() is want


@pytest.mark.parametrize(("index", "updated", "match", "next"), [
    (5, True, 5, 6), (7, True, 7, 8),
    (3, False, 3, 6),  # stale: match never goes back
    (2, False, 3, 6),
    (4, True, 4, 6),  # next never goes back either
])
def test_maybe_update(index: int, updated: bool, match: int, next: int) -> None:  # noqa: A002
    p = pr(P, probe_sent=True)
    assert p.maybe_update(index) is updated
    assert (p.match, p.next, p.probe_sent) == (match, next, not updated)


@pytest.mark.parametrize(("state", "rejected", "hint", "ok", "want_next"), [
    (R, 3, 0, False, 6),  # REPLICATE: a reject at or below match is stale
    (R, 2, 0, False, 6),
    (R, 4, 0, True, 4),  # else back to match + 1
    (P, 4, 9, False, 6),  # PROBE: only the reject of the probe in flight (next - 1 = 5) counts
    (P, 5, 9, True, 5),  # the hint cannot move next forward
    (P, 5, 4, True, 5),
    (P, 5, 3, True, 4),  # the hint moves it back, to hint + 1
    (P, 5, 0, True, 4),  # never below match + 1
])
def test_maybe_decr_to(state: ProgressState, rejected: int, hint: int, ok: bool, want_next: int) -> None:
    p = pr(state, probe_sent=True)
    assert p.maybe_decr_to(rejected, hint) is ok
    assert p.next == want_next
    if state is P:
        assert p.probe_sent is not ok


def test_maybe_decr_to_never_below_one() -> None:
    p = Progress(match=0, next=1, max_inflight=2)
    assert p.maybe_decr_to(0, 0) and p.next == 1
    p = Progress(match=0, next=2, max_inflight=2)
    assert p.maybe_decr_to(1, 0) and p.next == 1


@pytest.mark.parametrize(("state", "count", "next", "inflight", "probe_sent"), [
    (R, 2, 9, [8], False), (R, 0, 6, [], False),  # nothing sent: nothing in flight
    (P, 2, 6, [], True), (S, 2, 6, [], False),
])
def test_sent_entries(state: ProgressState, count: int, next: int, inflight: list[int],  # noqa: A002
                      probe_sent: bool) -> None:
    p = pr(state)
    p.sent_entries(8, count)
    assert (p.next, list(p.inflights), p.probe_sent) == (next, inflight, probe_sent)


@pytest.mark.parametrize(("to", "left"), [(4, [5, 7]), (5, [7]), (6, [7]), (7, []), (3, [4, 5, 7])])
def test_free_inflights_to(to: int, left: list[int]) -> None:
    p = pr(R)
    p.inflights.extend([4, 5, 7])
    p.free_inflights_to(to)
    assert list(p.inflights) == left


@pytest.mark.parametrize(("p", "want"), [
    (pr(P), "probe match=3 next=6"),
    (pr(S, learner=True, pending_snapshot=9), "snapshot match=3 next=6 learner pending=9"),
    (pr(R, inflights=deque([4, 5])), "replicate match=3 next=6 inflight=2"),
])
def test_progress_str(p: Progress, want: str) -> None:
    assert str(p) == want
