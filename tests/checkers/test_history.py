"""The history format module: fast parser = checked parser, line-numbered errors, writer round trip."""

from __future__ import annotations

import io
import json

import pytest

from checkers.history import (HistoryError, HistoryWriter, OpType, check_ops, event_to_op, fmt_ms, pair_ops,
                              parse_events, parse_history_lines)

LINES = [
    '{"process": 0, "type": "invoke", "f": "write", "key": "x", "value": 1, "time": 1000}',
    '',
    '{"process": 1, "type": "invoke", "f": "read", "key": "x", "value": null, "time": 1500, "final": true}',
    '{"process": 0, "type": "ok", "f": "write", "key": "x", "value": 1, "time": 2000, "node": "n1"}',
    '{"process": 1, "type": "info", "f": "read", "key": "x", "value": null, "time": 2500, "error": "timeout"}',
]


def test_events_and_ops_carry_the_same_fields_and_line_numbers() -> None:
    ops = parse_history_lines(LINES)
    assert [op.lineno for op in ops] == [1, 3, 4, 5]
    assert [event_to_op(e) for e in parse_events(LINES)] == ops
    assert ops[1].extra == (("final", True),) and ops[2].node == "n1" and ops[3].error == "timeout"
    assert [json.dumps(op.to_json()) for op in ops] == [json.dumps(json.loads(x)) for x in LINES if x]


def test_pairing_keeps_invoke_order_and_marks_unfinished_as_info() -> None:
    pairs = pair_ops(parse_history_lines(LINES[:3]))
    assert [(p.f, p.type) for p in pairs] == [("write", OpType.INFO), ("read", OpType.INFO)]
    assert pairs[0].complete_time is None


def test_ops_print_times_in_ms_to_the_exact_ns() -> None:
    ops = parse_history_lines(LINES)
    pairs = pair_ops(ops)
    assert str(pairs[0]) == "p0 write x 1 -> ok 1 [0.001000 ms, 0.002000 ms]"
    assert str(pair_ops(ops[:1])[0]).endswith("[0.001000 ms, never completed]")
    assert str(ops[3]) == 'p1 info read x null (timeout) @0.002500 ms'
    assert fmt_ms(1_495_594_056) == "1495.594056 ms" and fmt_ms(117_588_657, 3) == "117.589 ms"
    assert fmt_ms(None) == "?" and fmt_ms(2**60) == f"{2**60} ns"


@pytest.mark.parametrize("lines,message", [
    (['{"process": 0, "type": "invoke", "f": "read"}', '{"process": 0, "type": "invoke", "f": "read"}'],
     "line 2: process 0 invokes while its op from line 1 is open"),
    (['{"process": 0, "type": "invoke", "f": "read"}', '{"process": 0, "type": "info", "f": "read"}',
      '{"process": 0, "type": "invoke", "f": "read"}'], "line 3: process 0 invokes again after an info"),
    (['{"process": "a", "type": "invoke", "f": "read"}'], "line 1: 'process' must be an int"),
    (['{"process": 0, "type": "done", "f": "read"}'], "line 1: 'type' must be invoke/ok/fail/info"),
    (['{"process": 0, "type": "invoke", "f": "read", "time": 1.5}'], "line 1: 'time' must be int"),
    (['[1, 2]'], "line 1: an event must be a JSON object"),
    (['{"process": 0, "type": "invoke", "f": "read"}', '{"process": 0'], "line 2: not JSON"),
])
def test_bad_lines_name_the_line(lines: list[str], message: str) -> None:
    with pytest.raises(HistoryError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_history_lines(lines)


@pytest.mark.parametrize("lines", [LINES, LINES[:1] + LINES[2:], LINES + ["", "  "], ["  "] + LINES])
def test_a_file_read_whole_keeps_the_line_numbers_of_lines(lines: list[str]) -> None:
    text = "\n".join(lines) + "\n"
    assert parse_events(io.StringIO(text)) == parse_events(text.splitlines(keepends=True))
    bad = text + "\n" + '{"process": 7, "type": "ok", "f": "read"}\n'
    with pytest.raises(HistoryError, match=f"line {len(lines) + 2}: a ok completion for process 7"):
        parse_events(io.StringIO(bad))
    with pytest.raises(HistoryError, match=f"line {len(lines) + 1}: not JSON"):
        parse_events(io.StringIO(text + "{\n"))


def test_check_ops_applies_the_cross_line_rules_in_memory() -> None:
    ops = parse_history_lines(LINES)
    check_ops(ops)
    with pytest.raises(HistoryError, match="line 4: a ok completion"):
        check_ops([ops[2]])  # a completion with no invoke


def test_writer_output_parses_back() -> None:
    out = io.StringIO()
    w = HistoryWriter(out)
    w.invoke(process=0, f="cas", key="k", value=[1, 2], time=5)
    w.fail(process=0, time=9, error="compare-failed")
    ops = parse_history_lines(out.getvalue().splitlines())
    assert [(o.type, o.error) for o in ops] == [(OpType.INVOKE, None), (OpType.FAIL, "compare-failed")]
