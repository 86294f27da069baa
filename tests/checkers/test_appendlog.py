"""The direct decision for unique-token append keys (checkers.models.appendlog) agrees with the search.

The search is checked against a brute-force oracle in test_linearizable.py; here ``decide`` must say True
exactly when the search finds the key linearizable, on generated append/read histories with lost and failed
completions, and on the same histories with a read corrupted in each way a buggy store could.
"""

from __future__ import annotations

import json
import random
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from checkers.history import parse_history_lines
from checkers.linearizable import check_history
from checkers.models.kv import KV, KvModel
from checkers.models.synth import generate, to_lines
from checkers.result import Verdict

APPEND_MIX = (("read", 50), ("append", 50))


class _SearchOnly(KvModel):
    """The kv model without its shortcut: every key is searched."""

    def decide(self, items: Any, returns: Any, events: Any) -> bool:
        return False


SEARCH = _SearchOnly()


class _PlainSearch(_SearchOnly):
    """The search without merging the values no read sees (``KvModel.canonical``)."""

    canonical = None


_PLAIN_SEARCH = _PlainSearch()


def _verdicts(recs: list[dict[str, Any]]) -> tuple[Verdict, int, Verdict]:
    """(verdict with the shortcut, keys it decided, verdict of the search alone)."""
    lines = [json.dumps(r) for r in recs]
    fast = check_history(parse_history_lines(lines), model=KV)
    slow = check_history(parse_history_lines(lines), model=SEARCH)
    return fast.verdict, fast.details.get("decided_keys", 0), slow.verdict


def _corrupt(rng: random.Random, recs: list[dict[str, Any]], how: str) -> bool:
    """Change one ok read's value the way a buggy store might; False if there is nothing to change."""
    reads = [r for r in recs if r["type"] == "ok" and r["f"] == "read"]
    values = [r["value"] for r in reads if r["value"]]
    if not reads or not values:
        return False
    r = rng.choice(reads)
    v = rng.choice(values)
    toks = [t + ";" for t in v.split(";")[:-1]]
    if how == "other-read":  # a value some other read saw (stale, or from the future)
        r["value"] = v
    elif how == "drop-token":  # a token lost from the middle
        del toks[rng.randrange(len(toks))]
        r["value"] = "".join(toks) or None
    elif how == "swap":  # two tokens applied in another order
        if len(toks) < 2:
            return False
        i = rng.randrange(len(toks) - 1)
        toks[i], toks[i + 1] = toks[i + 1], toks[i]
        r["value"] = "".join(toks)
    elif how == "duplicate":  # a retried append applied twice
        r["value"] = v + rng.choice(toks)
    elif how == "failed-token":  # the token of an append that failed (never took effect)
        failed = [x["value"] for x in recs if x["type"] == "fail" and x["f"] == "append"]
        if not failed:
            return False
        r["value"] = v + rng.choice(failed)
    elif how == "empty":
        r["value"] = ""
    return True


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32), n=st.integers(1, 60), conc=st.integers(1, 6),
       info_p=st.sampled_from([0.0, 0.1, 0.3]),
       corrupt=st.sampled_from(["none", "other-read", "drop-token", "swap", "duplicate", "failed-token", "empty"]))
def test_decide_is_true_exactly_when_the_search_says_linearizable(seed: int, n: int, conc: int, info_p: float,
                                                                  corrupt: str) -> None:
    rng = random.Random(seed)
    ops = generate(rng, n_ops=n, concurrency=conc, info_p=info_p, fail_p=0.1, mix=APPEND_MIX, info_fs=("append",))
    recs = [json.loads(x) for x in to_lines(ops)]
    if corrupt != "none" and not _corrupt(rng, recs, corrupt):
        return
    fast, decided, slow = _verdicts(recs)
    assert fast is slow
    assert (decided == 1) == (slow is Verdict.OK)


def _history(*ops: tuple[int, str, str | None, int, int]) -> list[dict[str, Any]]:
    """(process, f, ok value, invoke time, complete time; -1: lost completion) -> history records."""
    events = []
    for p, f, v, t0, t1 in ops:
        events.append((t0, {"process": p, "type": "invoke", "f": f, "key": "k", "value": v if f == "append" else None,
                            "time": t0}))
        if t1 >= 0:
            events.append((t1, {"process": p, "type": "ok", "f": f, "key": "k", "value": v, "time": t1}))
        else:
            events.append((10**9, {"process": p, "type": "info", "f": f, "key": "k",
                                   "value": v if f == "append" else None, "time": 10**9}))
    return [e for _, e in sorted(events, key=lambda x: x[0])]


def test_reads_fix_the_order_and_real_time_is_respected() -> None:
    ok = _history((1, "append", "a;", 0, 10), (2, "append", "b;", 5, 20), (3, "read", "a;b;", 21, 30),
                  (4, "read", "a;", 6, 25))
    assert _verdicts(ok) == (Verdict.OK, 1, Verdict.OK)
    # the read of "a;" began after the read of "a;b;" ended: b cannot be undone
    late = _history((1, "append", "a;", 0, 10), (2, "append", "b;", 5, 20), (3, "read", "a;b;", 21, 30),
                    (4, "read", "a;", 31, 40))
    assert _verdicts(late) == (Verdict.ILLEGAL, 0, Verdict.ILLEGAL)


def test_an_append_no_read_holds_must_come_after_every_read() -> None:
    # c was acknowledged before the last read began, yet that read lacks it
    lost = _history((1, "append", "a;", 0, 10), (2, "append", "c;", 11, 12), (3, "read", "a;", 13, 20))
    assert _verdicts(lost) == (Verdict.ILLEGAL, 0, Verdict.ILLEGAL)
    # the same append with its completion lost may never have happened
    maybe = _history((1, "append", "a;", 0, 10), (2, "append", "c;", 11, -1), (3, "read", "a;", 13, 20))
    assert _verdicts(maybe) == (Verdict.OK, 1, Verdict.OK)
    # and an acknowledged one that overlaps the last read can follow it
    after = _history((1, "append", "a;", 0, 10), (2, "append", "c;", 11, 25), (3, "read", "a;", 13, 20))
    assert _verdicts(after) == (Verdict.OK, 1, Verdict.OK)


def test_keys_of_other_shapes_are_left_to_the_search() -> None:
    # a token appended twice: the order of the reads no longer names one append
    twice = _history((1, "append", "a;", 0, 10), (2, "append", "a;", 11, 20), (3, "read", "a;a;", 21, 30))
    assert _verdicts(twice) == (Verdict.OK, 0, Verdict.OK)
    # a write on the key
    rec = _history((1, "append", "a;", 0, 10), (3, "read", "a;", 21, 30))
    rec[0:0] = [{"process": 9, "type": "invoke", "f": "write", "key": "k", "value": "w;", "time": -2},
                {"process": 9, "type": "ok", "f": "write", "key": "k", "value": "w;", "time": -1}]
    assert _verdicts(rec) == (Verdict.ILLEGAL, 0, Verdict.ILLEGAL)  # "w;a;" was the state, not "a;"


def _unobserved_reference(ops: list[tuple[tuple[tuple[str, Any], Any], bool]]) -> set[int]:
    """The definition for a key of appends and reads: an info append is unobserved unless its value
    starts some read's value or follows a ';' in it (scans every read: quadratic, for tests only)."""
    texts = [out for (inp, out), _ in ops if inp[0] == "read" and isinstance(out, str)]
    return {j for j, ((inp, _), info) in enumerate(ops)
            if info and inp[0] == "append" and not any(t.startswith(inp[1]) or ";" + inp[1] in t for t in texts)}


@settings(max_examples=200, deadline=None)
@given(reads=st.lists(st.one_of(st.none(), st.lists(st.sampled_from(["a;", "b;", "c;", "d;", "ab;", "x"]),
                                                     max_size=6).map("".join)), max_size=8),
       appends=st.lists(st.tuples(st.sampled_from(["a;", "b;", "c;", "d;", "e;", "x;", "ab;", "b;c;", "c;d;"]),
                                  st.booleans()), max_size=8))
@example(reads=["a;b;c;"], appends=[("b;c;", True), ("c;d;", True)])  # a multi-token value inside a read
@example(reads=["a;x"], appends=[("x;", True)])  # a read's unterminated tail is no token
def test_unobserved_info_matches_its_definition(reads: list[str | None], appends: list[tuple[str, bool]]) -> None:
    ops = [((("read", None), r), False) for r in reads] + [((("append", v), None), info) for v, info in appends]
    assert KV.unobserved_info(ops) == _unobserved_reference(ops)


def test_the_search_alone_is_memory_bounded_on_such_a_key() -> None:
    from checkers.linearizable import Budget

    rng = random.Random(1 * 1_000_003 + 300)  # bench/checker.py's 300-op append case: hard for the search
    ops = generate(rng, n_ops=300, concurrency=10, info_p=0.05, fail_p=0.02, mix=APPEND_MIX, info_fs=("append",))
    lines = parse_history_lines(to_lines(ops))
    bounded = check_history(lines, model=_PLAIN_SEARCH, budget=Budget(live_configs=20_000))
    assert bounded.verdict is Verdict.UNKNOWN and "more than 20000 configurations held at once" in bounded.summary
    merged = check_history(lines, model=SEARCH, budget=Budget(live_configs=20_000))  # unread orders merged
    assert merged.verdict is Verdict.OK and merged.details["configs"] < 20_000, merged.summary
    assert check_history(lines, model=KV).verdict is Verdict.OK  # decided directly, no search
