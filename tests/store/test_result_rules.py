"""Result, rule by rule: its one-line str() for each outcome and its JSON form (the dedup table in a
snapshot), where the mutation bench found them unchecked (bench/mutation.py --module kvraft/store/result.py)."""

from __future__ import annotations

import pytest

from kvraft.store import EtcdError, Event, NodeView, Store, Watcher
from kvraft.store.result import Result

NODE = NodeView("/k", "v", False, None, 0, None, 7, 5)
EV = Event("set", NODE)
EXPIRED = (Event("expire", NodeView("/a", None, False, None, 0, None, 8, 3)),
           Event("expire", NodeView("/b", None, False, None, 0, None, 9, 4)))


@pytest.mark.parametrize(("r", "want"), [
    (Result(etcd_index=7, event=EV), "set /k @7 X-Etcd-Index=7"),
    (Result(etcd_index=7, error=EtcdError(100, "/k", 7)), "error 100: Key not found (/k) [7]"),
    (Result(etcd_index=7, watcher=Watcher("/d", True, False, 3, 8, None)), "watching /d from 3"),
    (Result(etcd_index=9, expired=EXPIRED), "2 expired, index 9"),
    (Result(etcd_index=9), "0 expired, index 9"),
])
def test_result_str(r: Result, want: str) -> None:
    assert str(r) == want


@pytest.mark.parametrize(("r", "want"), [
    (Result(etcd_index=7, event=EV), {"etcd_index": 7, "event": EV.to_json()}),
    (Result(etcd_index=7, error=EtcdError(105, "/k", 6)), {"etcd_index": 7, "error": [105, "/k", 6]}),
    (Result(etcd_index=9, expired=EXPIRED), {"etcd_index": 9, "expired": [e.to_json() for e in EXPIRED]}),
    (Result(etcd_index=3), {"etcd_index": 3}),
])
def test_result_json_round_trip(r: Result, want: dict) -> None:
    assert r.to_json() == want
    back = Result.from_json(want)
    assert (back.etcd_index, back.event, back.expired) == (r.etcd_index, r.event, r.expired)
    assert (back.error is None) is (r.error is None)
    if r.error is not None:
        assert (back.error.code, back.error.cause, back.error.index) == (r.error.code, r.error.cause, r.error.index)


def test_a_restored_store_answers_a_retry_like_the_original() -> None:
    s = Store()
    ok = s.apply({"op": "set", "path": "/k", "value": "v", "client_id": "c1", "seq": 1}, 1)
    bad = s.apply({"op": "create", "path": "/k", "value": "w", "client_id": "c2", "seq": 4}, 2)
    assert bad.error is not None and bad.error.code == 105
    r = Store()
    r.restore(s.snapshot())
    again_ok = r.apply({"op": "set", "path": "/k", "value": "v", "client_id": "c1", "seq": 1}, 3)
    again_bad = r.apply({"op": "create", "path": "/k", "value": "w", "client_id": "c2", "seq": 4}, 4)
    assert again_ok.duplicate and again_ok.event == ok.event and again_ok.etcd_index == ok.etcd_index
    assert again_bad.duplicate and str(again_bad) == str(bad)
