"""store-api: each tree-workload answer must be the one a single store fed the client's requests would give."""

from __future__ import annotations

import json

from checkers.api import check_api
from checkers.history import parse_history_lines
from checkers.result import Verdict


def api_history(*ops: tuple) -> list:
    """(process, req, expect, type, got) -> parsed history."""
    lines, t = [], 0
    for p, req, expect, typ, got in ops:
        t += 10
        lines.append(json.dumps({"process": p, "type": "invoke", "f": "api", "key": "/t/c0/g0/f0",
                                 "value": {"req": req, "expect": expect}, "time": t}))
        lines.append(json.dumps({"process": p, "type": typ, "f": "api", "key": "/t/c0/g0/f0", "value": got,
                                 "time": t + 5}))
    return parse_history_lines(lines)


SET = [201, None, "set", None]
NOT_A_FILE = [403, 102, None, None]


def test_answers_as_predicted_are_ok_and_info_or_unpredicted_ops_are_not_judged():
    h = api_history((0, "PUT /t/c0/g0/f0?value=v1", SET, "ok", SET),
                    (0, "PUT /t/c0/g0/d0?value=v2", NOT_A_FILE, "fail", NOT_A_FILE),
                    (0, "PUT /t/c0/g0/f1?value=v3", SET, "info", None),
                    (1, "GET /t/c0/g0?stream=true&wait=true", None, "ok", [200, None, "set", None]))
    r = check_api(h)
    assert r.verdict is Verdict.OK and r.details["judged"] == 2, r.summary


def test_an_answer_unlike_the_single_stores_is_illegal():
    h = api_history((0, "PUT /t/c0/g0/d0?value=v2", NOT_A_FILE, "ok", SET))
    r = check_api(h)
    assert r.verdict is Verdict.ILLEGAL and "PUT /t/c0/g0/d0" in r.summary, r.summary


def test_no_api_ops_is_not_exercised():
    assert check_api([]).verdict is Verdict.NOT_EXERCISED
