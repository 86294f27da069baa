"""check_run on hand-made run directories: result.json, overall verdict, clear errors."""

from __future__ import annotations

import json

import pytest

import checkers
from checkers import CheckerError, Verdict, check_run, read_result, summary_lines
from checkers.rundir import write_run_json

S = 1_000_000_000


def make_run(tmp_path, *, final_value=2, two_leaders=False, history_tail=""):
    root = tmp_path / "run"
    root.mkdir()
    write_run_json(root / "run.json", {"scenario": "t", "seed": 1, "nodes": ["n1", "n2", "n3"],
                                       "timing": {"election_timeout_ns": 100_000_000, "heartbeat_ns": 10_000_000,
                                                  "latency_mean_ns": 1_000_000}})
    trace = [{"kind": "trace-header", "format": 1, "t": 0, "nodes": ["n1", "n2", "n3"]},
             {"kind": "become-leader", "t": 10, "node": "n1", "term": 1, "leader": "n1"}]
    for n in ("n1", "n2", "n3"):
        trace.append({"kind": "append", "t": 20, "node": n, "entries": [[1, 1, "a"]]})
    trace.append({"kind": "commit", "t": 30, "node": "n1", "commit": 1})
    if two_leaders:
        trace.append({"kind": "become-leader", "t": 40, "node": "n2", "term": 1, "leader": "n2"})
    (root / "trace.jsonl").write_text("".join(json.dumps(r, sort_keys=True) + "\n" for r in trace))
    hist = [
        {"process": 0, "type": "invoke", "f": "write", "key": "x", "value": 1, "time": 100},
        {"process": 0, "type": "ok", "f": "write", "key": "x", "value": 1, "time": 200},
        {"process": 0, "type": "invoke", "f": "write", "key": "x", "value": 2, "time": 300},
        {"process": 0, "type": "ok", "f": "write", "key": "x", "value": 2, "time": 400},
        {"process": 9, "type": "invoke", "f": "read", "key": "x", "value": None, "time": 500, "final": True},
        {"process": 9, "type": "ok", "f": "read", "key": "x", "value": final_value, "time": 600, "final": True},
    ]
    (root / "history.jsonl").write_text("".join(json.dumps(h) + "\n" for h in hist) + history_tail)
    return root


def only_mine():
    """The checkers this suite owns (linearizability lives elsewhere and may or may not be importable)."""
    return [c for c in checkers.default_checkers() if c.name != "linearizability" and "Lineariz" not in type(c).__name__]


def test_good_run_is_ok_and_writes_result_json(tmp_path):
    root = make_run(tmp_path)
    verdict, results = check_run(root, only_mine())
    assert verdict is Verdict.OK, summary_lines(results)
    v2, stored = read_result(root / "result.json")
    assert v2 is Verdict.OK
    names = {r.checker for r in stored}
    assert {"raft-safety", "durability", "exactly-once", "watch", "lock", "queue", "ttl", "liveness"} <= names
    assert all(r.elapsed_s >= 0 for r in results)
    skipped = {r.checker for r in stored if r.details.get("skipped")}
    assert {"watch", "lock", "queue", "ttl", "exactly-once"} <= skipped


def test_lost_write_makes_the_run_illegal(tmp_path):
    root = make_run(tmp_path, final_value=1)
    verdict, results = check_run(root, only_mine())
    assert verdict is Verdict.ILLEGAL
    assert json.loads((root / "result.json").read_text())["valid"] == "illegal"
    assert {r.checker for r in results if r.verdict is Verdict.ILLEGAL} == {"durability"}


def test_two_leaders_make_the_run_illegal(tmp_path):
    verdict, results = check_run(make_run(tmp_path, two_leaders=True), only_mine())
    assert verdict is Verdict.ILLEGAL
    (bad,) = [r for r in results if r.verdict is Verdict.ILLEGAL]
    assert bad.checker == "raft-safety" and "election-safety" in bad.summary


def test_malformed_history_is_unknown_with_line_number(tmp_path):
    root = make_run(tmp_path, history_tail="{not json\n")
    verdict, results = check_run(root, only_mine())
    assert verdict is Verdict.UNKNOWN
    dur = next(r for r in results if r.checker == "durability")
    assert dur.verdict is Verdict.UNKNOWN and "line 7" in dur.summary


def test_a_malformed_history_is_unknown_for_every_checker_that_reads_it(tmp_path):
    # the parse is cached per run: its error must reach each checker, not only the first
    root = make_run(tmp_path, history_tail="{not json\n")
    _, results = check_run(root, only_mine())
    readers = {r.checker: r for r in results if r.checker not in ("raft-safety", "integrity")}
    assert set(readers) == {"durability", "exactly-once", "watch", "lock", "queue", "ttl", "store-api", "liveness"}
    assert all(r.verdict is Verdict.UNKNOWN and "line 7" in r.summary for r in readers.values()), summary_lines(results)


def test_history_and_trace_scan_are_read_once_per_check_run(tmp_path, monkeypatch):
    import checkers.history
    import checkers.liveness

    calls = {"history": 0, "scan": 0}
    read, scan = checkers.history.read_history, checkers.liveness.scan_trace

    def counting_read(path):
        calls["history"] += 1
        return read(path)

    def counting_scan(path):
        calls["scan"] += 1
        return scan(path)

    monkeypatch.setattr(checkers.vocab, "read_history", counting_read)
    monkeypatch.setattr(checkers.liveness, "scan_trace", counting_scan)
    verdict, results = check_run(make_run(tmp_path), only_mine())
    assert verdict is Verdict.OK, summary_lines(results)
    assert calls == {"history": 1, "scan": 1}


def test_default_checker_set_runs_whatever_is_installed(tmp_path):
    verdict, results = check_run(make_run(tmp_path))
    assert {r.checker for r in results} >= {"raft-safety", "liveness"}
    assert verdict in (Verdict.OK, Verdict.UNKNOWN)  # linearizability may be absent or still in progress


def test_a_crashing_checker_is_unknown_not_fatal(tmp_path):
    class Boom:
        name = "boom"

        def check(self, run):
            raise RuntimeError("kaput")

    verdict, results = check_run(make_run(tmp_path), [Boom()])
    assert verdict is Verdict.UNKNOWN and "kaput" in results[0].summary


def test_missing_run_dir_or_files_raise_one_line_checker_error(tmp_path):
    with pytest.raises(CheckerError, match="no such run directory"):
        check_run(tmp_path / "nope")
    root = make_run(tmp_path)
    (root / "trace.jsonl").unlink()
    with pytest.raises(CheckerError) as e:
        check_run(root)
    assert "trace.jsonl" in str(e.value) and "\n" not in str(e.value)


def test_summary_lines_one_per_checker(tmp_path):
    _, results = check_run(make_run(tmp_path), only_mine())
    lines = summary_lines(results)
    assert len(lines) == len(results) and all("\n" not in ln for ln in lines)
    assert lines[0].split()[1] in ("ok", "illegal", "unknown")


def test_a_trace_or_history_cut_short_is_unknown_never_ok(tmp_path):
    import hashlib

    root = make_run(tmp_path)
    meta = json.loads((root / "run.json").read_text())
    meta["trace_sha256"] = hashlib.sha256((root / "trace.jsonl").read_bytes()).hexdigest()
    meta["stats"] = {"history_events": 6}
    write_run_json(root / "run.json", {k: v for k, v in meta.items() if k != "format"})
    verdict, results = check_run(root)
    assert verdict is Verdict.OK and "integrity" not in [r.checker for r in results]
    # the trace loses its tail at a line boundary: every line parses, and each checker alone says ok
    lines = (root / "trace.jsonl").read_text().splitlines(keepends=True)
    (root / "trace.jsonl").write_text("".join(lines[:-1]))
    verdict, results = check_run(root)
    assert verdict is Verdict.UNKNOWN and results[0].checker == "integrity"
    assert "trace.jsonl" in results[0].summary and results[0].verdict is Verdict.UNKNOWN
    assert all(r.verdict in (Verdict.OK, Verdict.NOT_EXERCISED) for r in results[1:])
    (root / "trace.jsonl").write_text("".join(lines))
    hist = (root / "history.jsonl").read_text().splitlines(keepends=True)
    (root / "history.jsonl").write_text("".join(hist[:-2]))
    verdict, results = check_run(root)
    assert verdict is Verdict.UNKNOWN and "history.jsonl has 4 lines, run.json says 6" in results[0].summary
