"""Foreign formats: the EDN reader/writer, Jepsen and porcupine histories, round trips."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from checkers.history import parse_history_lines
from checkers.interop import (InteropError, Keyword, dumps_edn, loads_edn, ops_from_edn, ops_from_porcupine,
                              ops_from_porcupine_log,
                              ops_to_edn, loads_edn_all)
from checkers.linearizable import Budget, check_history, check_history_file
from checkers.models.synth import generate, to_lines
from checkers.result import Verdict

DATA = Path(__file__).parent / "data"

ETCD = """\
{:type :invoke, :f :write, :value 3, :process 0, :time 10}
{:type :invoke, :f :read, :value nil, :process 1, :time 11} ; a comment
{:type :ok, :f :write, :value 3, :process 0, :time 12}
{:type :info, :f :start-partition, :value nil, :process :nemesis, :time 13}
{:type :ok, :f :read, :value 3, :process 1, :time 14}
{:type :invoke, :f :cas, :value [3 4], :process 0, :time 15}
{:type :ok, :f :cas, :value [3 4], :process 0, :time 16}
"""


def test_edn_reader_knows_the_jepsen_subset() -> None:
    v = loads_edn('{:a #{1 2}, :b "x\\ny" :c (1 -2.5e1 3N) :d #inst "2020" :e [nil true false] :f \\space}')
    assert v == {"a": [1, 2], "b": "x\ny", "c": [1, -25.0, 3], "d": "2020", "e": [None, True, False], "f": " "}
    assert isinstance(next(iter(v)), Keyword)
    with pytest.raises(InteropError, match="line 2: unexpected"):
        loads_edn_all("{:a 1\n]")


def test_etcd_history_reads_skips_the_nemesis_and_checks() -> None:
    ops = ops_from_edn(loads_edn_all(ETCD))
    assert [(o.process, o.type.value, o.f, o.value) for o in ops][-2:] == [(0, "invoke", "cas", [3, 4]),
                                                                           (0, "ok", "cas", [3, 4])]
    assert check_history(ops).verdict is Verdict.OK


def test_knossos_independent_tuples_become_keys(tmp_path: Path) -> None:
    path = tmp_path / "h.edn"
    path.write_text("[{:type :invoke :f :write :value [1 3] :process 0 :time 1}\n"
                    " {:type :ok :f :write :value [1 3] :process 0 :time 2}\n"
                    " {:type :invoke :f :cas :value [2 [3 4]] :process 1 :time 3}\n"
                    " {:type :ok :f :cas :value [2 [3 4]] :process 1 :time 4}]\n")
    result = check_history_file(path, fmt="edn")
    assert result.verdict is Verdict.ILLEGAL and result.details["key"] == "2"


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32), n=st.integers(0, 40), keys=st.integers(1, 3))
def test_our_histories_round_trip_through_edn(seed: int, n: int, keys: int) -> None:
    ops = parse_history_lines(to_lines(generate(random.Random(seed), n_ops=n, keys=keys, concurrency=3,
                                                info_p=0.1, fail_p=0.1)))
    back = ops_from_edn(loads_edn_all(ops_to_edn(ops)))
    assert [o.to_json() for o in back] == [o.to_json() for o in ops]


@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(),
                    lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=3), c, max_size=3)))
def test_edn_values_round_trip(v: object) -> None:
    assert json.loads(json.dumps(_plain(loads_edn(dumps_edn(v))))) == v


def _plain(v: object) -> object:
    if isinstance(v, dict):
        return {str(k): _plain(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_plain(x) for x in v]
    return v


PORCUPINE = [
    {"ClientId": 0, "Input": {"Op": 1, "Key": "x", "Value": "a"}, "Output": {"Value": ""}, "Call": 0, "Return": 10},
    {"ClientId": 1, "Input": {"Op": 0, "Key": "x", "Value": ""}, "Output": {"Value": "a"}, "Call": 5, "Return": 15},
    {"ClientId": 1, "Input": {"Op": 2, "Key": "x", "Value": "b"}, "Output": {"Value": ""}, "Call": 20, "Return": 30},
    {"ClientId": 0, "Input": {"Op": 0, "Key": "x", "Value": ""}, "Output": {"Value": "ab"}, "Call": 31, "Return": 40},
]


def test_porcupine_kv_log_reads_and_checks(tmp_path: Path) -> None:
    path = tmp_path / "p.json"
    path.write_text(json.dumps(PORCUPINE))
    assert check_history_file(path, fmt="porcupine").verdict is Verdict.OK
    stale = [dict(op) for op in PORCUPINE]
    stale[3] = dict(stale[3], Output={"Value": "a"})
    path.write_text(json.dumps(stale))
    assert check_history_file(path, fmt="porcupine").verdict is Verdict.ILLEGAL


PORCUPINE_KV = sorted((DATA / "porcupine-kv").glob("c*.txt"))


@pytest.mark.parametrize("path", PORCUPINE_KV, ids=lambda p: p.stem)
def test_porcupine_kv_logs_are_decided(path: Path) -> None:
    # 50 clients on 10 keys of appends: before unread values were merged, c50-bad was unknown after 30 s
    result = check_history_file(path, fmt="porcupine", budget=Budget(configs=500_000))
    assert result.verdict is (Verdict.OK if path.stem.endswith("-ok") else Verdict.ILLEGAL), result.summary
    json.dumps(result.to_json())  # a counterexample over merged (unread) states is JSON-able too


def test_porcupine_kv_log_maps_get_put_and_the_empty_value() -> None:
    ops = ops_from_porcupine_log(loads_edn_all(
        '{:process 0, :type :invoke, :f :get, :key "k", :value nil}\n'
        '{:process 0, :type :ok, :f :get, :key "k", :value ""}\n'
        '{:process 1, :type :invoke, :f :put, :key "k", :value "x 1 0 y"}\n'))
    assert [(o.f, o.key, o.value) for o in ops] == [("read", "k", None), ("read", "k", None), ("write", "k", "x 1 0 y")]
    with pytest.raises(InteropError, match="op 1"):
        ops_from_porcupine_log(loads_edn_all('{:process 0, :type :info, :f :get, :key "k", :value nil}'))


def test_porcupine_overlapping_client_ops_are_unknown(tmp_path: Path) -> None:
    bad = [dict(PORCUPINE[0]), dict(PORCUPINE[1], ClientId=0)]
    with pytest.raises(InteropError, match="overlapping"):
        ops_from_porcupine(bad)
    path = tmp_path / "p.json"
    path.write_text(json.dumps(bad))
    result = check_history_file(path, fmt="porcupine")
    assert result.verdict is Verdict.UNKNOWN and "overlapping" in result.summary


def test_unknown_format_and_missing_file_are_unknown(tmp_path: Path) -> None:
    assert check_history_file(tmp_path / "nope.edn", fmt="edn").verdict is Verdict.UNKNOWN
    assert check_history_file(DATA / "ok" / "cas-chain.jsonl", fmt="xml").verdict is Verdict.UNKNOWN
