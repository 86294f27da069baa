"""Local reads (``"local": true``): out of the linearizability search, judged by what etcd v2 promises them."""

from __future__ import annotations

import json

import pytest

from checkers.history import parse_history_lines
from checkers.linearizable import check_history
from checkers.result import Verdict


def history(*events: tuple) -> list:
    """(process, type, f, value, time[, local]) on key x -> parsed events."""
    lines = []
    for p, typ, f, value, t, *local in sorted(events, key=lambda e: e[4]):
        rec = {"process": p, "type": typ, "f": f, "key": "x", "value": value, "time": t}
        if local and local[0]:
            rec["local"] = True
        lines.append(json.dumps(rec))
    return parse_history_lines(lines)


def write(p: int, v: int, t0: int, t1: int, typ: str = "ok") -> tuple:
    return (p, "invoke", "write", v, t0), (p, typ, "write", v, t1)


def read(p: int, v, t0: int, t1: int, local: bool) -> tuple:
    return (p, "invoke", "read", None, t0, local), (p, "ok", "read", v, t1, local)


# 1 then 2 written one after the other; a read after both that sees 1 is stale.
STALE = [*write(0, 1, 10, 20), *write(0, 2, 30, 40)]


@pytest.mark.parametrize("local,verdict", [(False, Verdict.ILLEGAL), (True, Verdict.OK)])
def test_a_stale_read_is_illegal_unless_local(local, verdict):
    h = history(*STALE, *read(1, 1, 50, 60, local))
    r = check_history(h)
    assert r.verdict is verdict, r.summary
    if local:
        assert r.details["local_reads"]["judged"] == 1 and "1 local reads" in r.summary


@pytest.mark.parametrize("why,events", [
    ("never written", [*STALE, *read(1, 7, 50, 60, True)]),
    ("from the future", [*read(1, 3, 50, 60, True), *write(0, 3, 70, 80)]),
    ("a failed write", [*write(0, 5, 10, 20, typ="fail"), *read(1, 5, 50, 60, True)]),
])
def test_a_local_read_of_a_value_nobody_wrote_by_then_is_illegal(why, events):
    r = check_history(history(*events))
    assert r.verdict is Verdict.ILLEGAL, why
    assert "local read by process 1" in r.summary


def test_local_reads_of_null_or_of_an_unacknowledged_write_are_legal():
    h = history(*write(0, 4, 10, 20, typ="info"), *read(1, 4, 15, 60, True), *read(2, None, 70, 80, True))
    r = check_history(h)
    assert r.verdict is Verdict.OK and r.details["local_reads"]["judged"] == 2, r.summary


def test_only_local_reads_still_judge_something():
    r = check_history(history(*read(1, None, 5, 6, True)))
    assert r.verdict is Verdict.OK and "local reads" in r.summary
