"""The linearizability checker: corpora, generated histories (hypothesis), a brute-force oracle, bad input."""

from __future__ import annotations

import json
import random
from functools import lru_cache
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from checkers import frontier
from checkers.history import OpType, pair_ops, parse_history_lines
from checkers.linearizable import Budget, LinearizabilityChecker, check_history, check_history_file
from checkers.models.kv import KV, freeze
from checkers.models.synth import REGISTER_MIX, generate, inject_stale_read, to_lines
from checkers.result import Verdict
from checkers.rundir import RunFiles

DATA = Path(__file__).parent / "data"
CORPUS = sorted(DATA.glob("ok/*.jsonl")) + sorted(DATA.glob("bad/*.jsonl"))


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_corpus_verdict_matches_its_directory(path: Path) -> None:
    result = check_history_file(path)
    expected = Verdict.OK if path.parent.name == "ok" else Verdict.ILLEGAL
    assert result.verdict is expected, result.summary
    json.dumps(result.to_json())  # details are JSON-able


def _brute_force(lines: list[str]) -> bool:
    """Every order of the ops, memoised on (done set, state): the definition, for tiny histories."""
    items = []
    for o in pair_ops(parse_history_lines(lines)):
        io = KV.prepare(o)
        if io is not None:
            items.append((o, io, o.type is OpType.INFO))
    must = [i for i, it in enumerate(items) if not it[2]]

    @lru_cache(None)
    def go(done: int, state: object) -> bool:
        if all(done >> i & 1 for i in must):
            return True
        for i, (o, io, _) in enumerate(items):
            if done >> i & 1:
                continue
            if any(not done >> k & 1 and not it[2] and it[0].complete_index < o.invoke_index
                   for k, it in enumerate(items) if k != i):
                continue
            ok, s2 = KV.step(state, *io)
            if ok and go(done | 1 << i, s2):
                return True
        return False

    return go(0, None)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32), n=st.integers(1, 9), conc=st.integers(1, 4), mutate=st.booleans())
def test_agrees_with_brute_force_on_tiny_histories(seed: int, n: int, conc: int, mutate: bool) -> None:
    rng = random.Random(seed)
    recs = [json.loads(x) for x in to_lines(generate(rng, n_ops=n, concurrency=conc, info_p=0.2, fail_p=0.1))]
    reads = [r for r in recs if r["type"] == "ok" and r["f"] == "read"]
    if mutate and reads:
        rng.choice(reads)["value"] = rng.choice([r["value"] for r in recs if r["f"] in ("write", "append")] + [None])
    lines = [json.dumps(r) for r in recs]
    got = check_history(parse_history_lines(lines)).verdict
    assert got is (Verdict.OK if _brute_force(lines) else Verdict.ILLEGAL)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32), n=st.integers(2, 10), conc=st.integers(2, 5), mutate=st.booleans())
def test_merging_unread_values_agrees_with_brute_force(seed: int, n: int, conc: int, mutate: bool) -> None:
    # appends (whose orders the merging collapses) with writes and reads, the merging on from the first
    # return (a search that never branches would not merge at all)
    rng = random.Random(seed)
    mix = (("read", 35), ("append", 45), ("write", 15), ("cas", 5))
    recs = [json.loads(x) for x in to_lines(generate(rng, n_ops=n, concurrency=conc, info_p=0.1, fail_p=0.05,
                                                     mix=mix))]
    reads = [r for r in recs if r["type"] == "ok" and r["f"] == "read" and isinstance(r["value"], str)]
    if mutate and reads:  # the same tokens in another order, or one token fewer
        r = rng.choice(reads)
        tokens = r["value"].split(";")[:-1]
        rng.shuffle(tokens) if rng.random() < 0.5 else tokens.pop(rng.randrange(len(tokens)))
        r["value"] = "".join(t + ";" for t in tokens) or None
    lines = [json.dumps(r) for r in recs]
    saved = frontier._CANON_AFTER
    frontier._CANON_AFTER = -1
    try:
        got = check_history(parse_history_lines(lines)).verdict
    finally:
        frontier._CANON_AFTER = saved
    assert got is (Verdict.OK if _brute_force(lines) else Verdict.ILLEGAL)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32), n=st.integers(1, 300), keys=st.integers(1, 3), conc=st.integers(1, 10),
       info_p=st.sampled_from([0.0, 0.05]), register=st.booleans())
def test_histories_of_a_sequential_run_are_linearizable(seed: int, n: int, keys: int, conc: int, info_p: float,
                                                       register: bool) -> None:
    rng = random.Random(seed)
    kw = {"mix": REGISTER_MIX} if register else {"info_fs": ("write", "cas", "delete")}
    ops = generate(rng, n_ops=n, keys=keys, concurrency=conc, info_p=info_p, fail_p=0.05, **kw)  # type: ignore[arg-type]
    result = check_history(parse_history_lines(to_lines(ops)), budget=Budget(seconds=20))
    assert result.verdict is Verdict.OK, result.summary


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32), n=st.integers(20, 300), keys=st.integers(1, 3), conc=st.integers(1, 10))
def test_one_injected_stale_read_is_illegal(seed: int, n: int, keys: int, conc: int) -> None:
    rng = random.Random(seed)
    ops = generate(rng, n_ops=n, keys=keys, concurrency=conc, fail_p=0.05)
    stale = inject_stale_read(rng, ops)
    if stale is None:
        return
    result = check_history(parse_history_lines(to_lines(ops)), budget=Budget(seconds=20))
    assert result.verdict is Verdict.ILLEGAL, result.summary
    assert result.details["key"] == stale.key


def test_illegal_details_name_the_op_the_window_and_partial_linearizations() -> None:
    result = check_history_file(DATA / "bad" / "stale-read.jsonl")
    d = result.details
    assert d["key"] == "" and d["op"]["process"] == 1 and d["op"]["complete_line"] == 6
    assert d["op"]["text"] == "read -> 1"
    assert [w["invoke_line"] for w in d["window"]] == [5]
    best = d["partial_linearizations"][0]
    assert best["state"] == "2" and [o["text"] for o in best["tail"]] == ["write 1", "write 2"]
    assert "line 6" in result.summary


def test_failed_compare_is_used_as_an_observation() -> None:
    assert check_history_file(DATA / "bad" / "compare-failed-but-equal.jsonl").verdict is Verdict.ILLEGAL


def test_json_equality_keeps_booleans_apart_from_numbers() -> None:
    assert freeze(True) != freeze(1) and freeze(1.0) == freeze(1) and freeze([1]) != freeze({"1": 1})


BAD_INPUT = [
    ('{"process": 0, "type": "invoke", "f": "read"}\nnot json\n', "line 2: not JSON"),
    ('{"process": 0, "type": "invoke", "f": "frob", "value": 1}\n', "line 1: unknown f 'frob'"),
    ('{"process": 0, "type": "ok", "f": "read", "value": 1}\n', "line 1: a ok completion for process 0 without an invoke"),
    ('{"process": 0, "type": "invoke", "f": "read", "time": 5}\n{"process": 0, "type": "ok", "f": "read", "time": 4}\n',
     "line 2: time goes backwards (4 < 5)"),
    ('{"process": 0, "type": "invoke", "f": "cas", "value": 3}\n', "line 1: cas value must be [expected, new]"),
]


@pytest.mark.parametrize("text,message", BAD_INPUT, ids=["malformed", "unknown-f", "no-invoke", "time-back", "cas-operand"])
def test_bad_input_is_unknown_with_the_line(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "h.jsonl"
    path.write_text(text)
    result = check_history_file(path)
    assert result.verdict is Verdict.UNKNOWN and message in result.summary, result.summary


def test_bad_ops_in_memory_are_unknown_not_an_exception() -> None:
    ops = parse_history_lines(['{"process": 0, "type": "invoke", "f": "read", "time": 5}'])
    ops.append(type(ops[0])(process=0, type=OpType.OK, f="read", value=None, time=1, lineno=2))
    result = check_history(ops)
    assert result.verdict is Verdict.UNKNOWN and "line 2: time goes backwards" in result.summary


def test_budget_exhaustion_is_unknown() -> None:
    ops = generate(random.Random(3), n_ops=400, concurrency=10)
    result = check_history(parse_history_lines(to_lines(ops)), budget=Budget(configs=50))
    assert result.verdict is Verdict.UNKNOWN and "budget" in result.summary


def test_run_checker_skips_keys_of_other_workloads(tmp_path: Path) -> None:
    (tmp_path / "history.jsonl").write_text(
        (DATA / "ok" / "cas-chain.jsonl").read_text()
        + '{"process": 9, "type": "invoke", "f": "enqueue", "key": "/q", "value": "i1", "time": 500}\n')
    result = LinearizabilityChecker().check(RunFiles(tmp_path))
    assert result.checker == "linearizable" and result.verdict is Verdict.OK
    assert result.details["skipped_keys"][0]["key"] == "/q"
    assert LinearizabilityChecker().check(RunFiles(tmp_path / "nope")).verdict is Verdict.UNKNOWN


def _append_history(n_info: int, stale: bool) -> list[str]:
    """One key; sequential appends with reads after each; ``n_info`` appends time out and never show up."""
    recs, t, cur, proc = [], 0, "", 0
    for i in range(200):
        tok = f"{i};"
        if i % 7 == 3 and n_info:
            n_info -= 1
            recs.append({"process": proc, "type": "invoke", "f": "append", "key": "a", "value": tok, "time": t})
            recs.append({"process": proc, "type": "info", "f": "append", "key": "a", "value": tok, "time": t + 1})
            proc += 1  # a process never invokes again after an info
        else:
            recs.append({"process": proc, "type": "invoke", "f": "append", "key": "a", "value": tok, "time": t})
            recs.append({"process": proc, "type": "ok", "f": "append", "key": "a", "value": tok, "time": t + 1})
            cur += tok
        old = cur[: cur.find(";") + 1] if stale and i == 150 else cur
        recs.append({"process": proc, "type": "invoke", "f": "read", "key": "a", "value": None, "time": t + 2})
        recs.append({"process": proc, "type": "ok", "f": "read", "key": "a", "value": old, "time": t + 3})
        t += 10
    return [json.dumps(r) for r in recs]


def test_unobserved_info_appends_do_not_blow_up_the_search() -> None:
    # 25 timed-out appends that no read shows: each may be taken never to have happened. Without that
    # pruning the search branches on every one of them (append-kill: 89 s and 9 GB before the fix).
    ok = check_history(parse_history_lines(_append_history(25, stale=False)), budget=Budget(configs=200_000))
    assert ok.verdict is Verdict.OK, ok.summary
    bad = check_history(parse_history_lines(_append_history(25, stale=True)), budget=Budget(configs=200_000))
    assert bad.verdict is Verdict.ILLEGAL, bad.summary
