# Over 400 lines: one tolerant reader per run file into one ReportData; split, the tolerant-reading rules would scatter.
"""Run directory -> ``ReportData``: everything a report draws, read tolerantly from the run's files.

Rules:
- Reads files only (run.json, history.jsonl, trace.jsonl, result.json) and never raises on bad input:
  whatever cannot be read becomes a plain-language line in ``ReportData.notices``; the rest is drawn.
- Times are int ns of true virtual time, as in the files.
- Output order depends only on file contents (naturally sorted node ids, file order), never on set order.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from checkers.history import HistoryError, OpType, pair_ops, parse_history_lines
from checkers.integrity import integrity
from checkers.result import CheckerError, CheckResult, Verdict, combine, read_result
from checkers.rundir import RunDirError, RunFiles
from sim.trace import TraceError, check_header, fault_effect, iter_records

__all__ = [
    "ClientOp", "Counterexample", "FaultSpan", "Message", "ReportData", "RoleSpan",
    "fault_kind", "hashable", "load_run", "natural_key", "recovery_times",
]

ROLES = ("follower", "pre-candidate", "candidate", "leader", "down", "paused")
# The fault spans drawn as bands (sim.trace.FAULT_EFFECTS); link settings are drawn as instants ("other").
_BANDS = ("partition", "crash", "pause")


def natural_key(s: str) -> tuple[Any, ...]:
    """Sort key for node ids: n2 before n10."""
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"(\d+)", str(s)))


def fault_kind(name: str) -> str:
    """Interval kind of a fault name: partition, crash, pause, or other."""
    span = fault_effect(name).span
    return span if span in _BANDS else "other"


@dataclass(frozen=True, slots=True, kw_only=True)
class FaultSpan:
    """One nemesis interval (an opener to its closer), or an instant fault (start == end)."""

    kind: str  # partition | crash | pause | other
    label: str  # the fault's one-line str, e.g. "Partition([n1] | [n2 n3])"
    start_ns: int
    end_ns: int
    is_open: bool = False  # never closed before the end of the run
    node: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class RoleSpan:
    node: str
    role: str  # one of ROLES
    term: int
    start_ns: int
    end_ns: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Message:
    id: Any
    src: str
    dst: str
    type: str
    send_ns: int
    text: str
    deliver_ns: tuple[int, ...] = ()
    drop_ns: int | None = None
    drop_reason: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ClientOp:
    """A paired client operation, with the time of its completion event even for ``info``."""

    process: int
    f: str
    key: str
    type: str  # ok | fail | info
    invoke_ns: int | None
    complete_ns: int | None  # completion event time (None: never completed)
    index: int  # history position of the invoke
    text: str
    node: str | None = None
    error: str | None = None

    @property
    def latency_ns(self) -> int | None:
        if self.invoke_ns is None or self.complete_ns is None:
            return None
        return self.complete_ns - self.invoke_ns


@dataclass(frozen=True, slots=True, kw_only=True)
class Counterexample:
    checker: str
    key: str | None
    summary: str
    window: tuple[int, int] | None
    failing: tuple[int, ...]  # positions in ReportData.ops of the failing op(s)
    offending: tuple[int, ...]  # positions in ReportData.ops of every op the counterexample names
    partial: tuple[tuple[str, ...], ...]  # longest partial linearizations, as one-line ops
    details: dict[str, Any] = field(default_factory=dict)
    # Trace-based checkers (raft-safety): (property, message, events with t/node/kind/line) per violated property.
    trace_events: tuple[tuple[str, str, tuple[dict[str, Any], ...]], ...] = ()


@dataclass(kw_only=True)
class ReportData:
    name: str
    meta: dict[str, Any] = field(default_factory=dict)
    notices: list[str] = field(default_factory=list)
    ops: list[ClientOp] = field(default_factory=list)
    results: list[CheckResult] = field(default_factory=list)
    verdict: Verdict | None = None
    trace: list[dict[str, Any]] = field(default_factory=list)
    trace_sha256: str | None = None
    nodes: list[str] = field(default_factory=list)
    faults: list[FaultSpan] = field(default_factory=list)
    roles: list[RoleSpan] = field(default_factory=list)
    terms: dict[str, list[tuple[int, int]]] = field(default_factory=dict)
    commits: dict[str, list[tuple[int, int]]] = field(default_factory=dict)
    messages: list[Message] = field(default_factory=list)
    marks: list[tuple[int, str, str]] = field(default_factory=list)  # (t, node, kind) for the Lamport diagram
    counterexamples: list[Counterexample] = field(default_factory=list)
    end_ns: int = 0
    has_history: bool = False
    has_trace: bool = False


def load_run(run_dir: Path | str) -> ReportData:
    """Read one run directory into ``ReportData``. Never raises; problems become ``notices``."""
    root = Path(run_dir)
    files = RunFiles(root)
    data = ReportData(name=root.name)
    if not root.is_dir():
        data.notices.append(f"{root.name}: not a directory; nothing to show.")
        return data
    _load_meta(files, data)
    _load_history(files, data)
    _load_trace(files, data)
    _load_result(files, data)
    ends = [data.end_ns]
    dur = data.meta.get("duration_ns")
    if isinstance(dur, int) and not isinstance(dur, bool) and dur > 0:
        ends.append(dur)
    ends += [o.complete_ns or o.invoke_ns or 0 for o in data.ops[-50:]]
    if data.trace:
        ends.append(data.trace[-1]["t"])
    data.end_ns = max(ends)
    _derive(data)
    return data


def _load_meta(files: RunFiles, data: ReportData) -> None:
    if not files.run_json.is_file():
        data.notices.append("run.json is missing: scenario, seed and replay command are unknown.")
        return
    try:
        data.meta = files.meta()
    except RunDirError as e:
        data.notices.append(f"run.json could not be read ({_short(e)}): scenario, seed and replay command are unknown.")
    except OSError as e:
        data.notices.append(f"run.json could not be read ({_short(e)}).")


def _load_history(files: RunFiles, data: ReportData) -> None:
    if not files.history.is_file():
        data.notices.append("history.jsonl is missing: no latency, rate or client timeline.")
        return
    try:
        lines = files.history.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError as e:
        data.notices.append(f"history.jsonl could not be read ({_short(e)}).")
        return
    n = len(lines)
    events = None
    while events is None:
        try:
            events = parse_history_lines(lines[:n])
        except HistoryError as e:
            data.notices.append(f"history.jsonl {e}: showing the {e.lineno - 1} lines before it.")
            n = min(n, e.lineno) - 1
    data.has_history = True
    for i, op in enumerate(pair_ops(events)):
        ct = events[op.complete_index].time if op.complete_index is not None else None
        data.ops.append(ClientOp(
            process=op.process, f=op.f, key=op.key, type=op.type.value if op.type is not OpType.INVOKE else "info",
            invoke_ns=op.invoke_time, complete_ns=ct, index=op.invoke_index, text=str(op), node=op.node,
            error=op.error,
        ))
    if events and events[-1].time is not None:
        data.end_ns = max(data.end_ns, events[-1].time)


def _load_trace(files: RunFiles, data: ReportData) -> None:
    if not files.trace.is_file():
        data.notices.append("trace.jsonl is missing: no nemesis bands, protocol lanes, Lamport diagram or node logs.")
        return
    try:
        raw = files.trace.read_bytes()
    except OSError as e:
        data.notices.append(f"trace.jsonl could not be read ({_short(e)}).")
        return
    data.trace_sha256 = hashlib.sha256(raw).hexdigest()
    want = data.meta.get("trace_sha256")
    if isinstance(want, str) and want and want != data.trace_sha256:
        data.notices.append(f"trace.jsonl's SHA-256 ({data.trace_sha256[:12]}…) differs from run.json's "
                            f"({want[:12]}…): the trace is not the one this run wrote.")
    text = raw.decode("utf-8", errors="replace")
    lines = [ln for ln in text.split("\n") if ln.strip()]
    try:  # fast path: one C-level parse of the whole file
        recs = json.loads("[" + ",".join(lines) + "]")
        if all(isinstance(r, dict) and isinstance(r.get("kind"), str) and type(r.get("t")) is int for r in recs):
            data.trace.extend(recs)
            lines = []
    except ValueError:
        pass
    out = data.trace
    try:
        out.extend(rec for _, rec in iter_records(lines))
    except TraceError as e:
        data.notices.append(f"trace.jsonl record {e.lineno} is not a trace record (truncated?): "
                            f"showing the {len(out)} records before it.")
    data.has_trace = True
    why = check_header(out)
    if why:
        data.notices.append(f"trace.jsonl has {why}.")


def _load_result(files: RunFiles, data: ReportData) -> None:
    if not files.result.is_file():
        data.notices.append("result.json is missing: this run has not been checked (run `raftsim check` on it).")
        return
    try:
        data.verdict, data.results = read_result(files.result)
    except (CheckerError, OSError, ValueError) as e:
        data.notices.append(f"result.json could not be read ({_short(e)}): no verdicts.")
        return
    # The files may have changed since result.json was written: recompute integrity before drawing verdicts.
    now = integrity(RunFiles(files.root))
    was = next((r for r in data.results if r.checker == "integrity"), None)
    if now is not None and (was is None or was.summary != now.summary):
        data.results = [now, *(r for r in data.results if r.checker != "integrity")]
        data.verdict = combine([r.verdict for r in data.results])
        data.notices.append("The run's files changed since result.json was written: its verdicts judge other "
                            "files, so this run is UNKNOWN (integrity) until `raftsim check` judges it again.")


def _short(e: BaseException) -> str:
    s = str(e)
    return s if len(s) < 200 else s[:200] + "…"


def _str(v: Any) -> str | None:
    return v if isinstance(v, str) else (None if v is None else str(v))


def _derive(data: ReportData) -> None:
    nodes = data.meta.get("nodes")
    seen: dict[str, None] = {}
    if isinstance(nodes, list):
        for n in nodes:
            seen[str(n)] = None
    state: dict[str, list[Any]] = {}  # node -> [role, term, since, saved role while paused]
    fault_open: dict[tuple[str, str | None], tuple[int, str]] = {}
    msgs: dict[tuple[str, Any], int] = {}
    sends: list[tuple[Any, str, str, str, int, str]] = []
    delivered: dict[int, list[int]] = {}
    dropped: dict[int, tuple[int, str | None]] = {}
    end = data.end_ns

    def set_role(node: str, role: str | None, term: int | None, t: int, *, resume: bool = False) -> None:
        st = state.get(node)
        if st is None:
            st = state[node] = [None, 0, t, None]
        new_role = st[0] if role is None else role
        new_term = st[1] if term is None else term
        if st[0] == "paused" and not resume and role not in ("paused", None, "down"):
            st[3] = role  # a node that changes role while paused shows it on resume
            new_role = "paused"
        if (new_role, new_term) != (st[0], st[1]):
            if st[0] is not None and t > st[2]:
                data.roles.append(RoleSpan(node=node, role=st[0], term=st[1], start_ns=st[2], end_ns=t))
            st[0], st[1], st[2] = new_role, new_term, t
        if term is not None:
            series = data.terms.setdefault(node, [])
            if not series or series[-1][1] != term:
                series.append((t, term))

    for rec in data.trace:
        kind, t = rec["kind"], rec["t"]
        node = _str(rec.get("node"))
        if node is not None and kind != "fault":
            seen.setdefault(node, None)
        term = rec.get("term") if isinstance(rec.get("term"), int) else None
        if kind.startswith("become-") and node is not None:
            role = kind[len("become-"):]
            set_role(node, role if role in ROLES else "follower", term, t)
            if role in ("leader", "candidate"):
                data.marks.append((t, node, role))
        elif kind == "hard-state" and node is not None and term is not None:
            set_role(node, None, term, t)
        elif kind in ("crash", "restart", "pause", "resume") and node is not None:
            st = state.get(node)
            if kind == "crash":
                set_role(node, "down", None, t)
            elif kind == "restart":
                set_role(node, "follower", None, t)
            elif kind == "pause":
                prev = st[0] if st else "follower"
                set_role(node, "paused", None, t)
                state[node][3] = prev
            else:
                back = (st[3] or "follower") if st and st[0] == "paused" else (st[0] if st else None)
                if st:
                    st[3] = None
                set_role(node, back or "follower", None, t, resume=True)
            data.marks.append((t, node, kind))
        elif kind == "commit" and node is not None and isinstance(rec.get("commit"), int):
            data.commits.setdefault(node, []).append((t, rec["commit"]))
        elif kind == "send" and node is not None:
            msgs[(node, hashable(rec.get("id")))] = len(sends)
            sends.append((rec.get("id"), node, str(rec.get("dst")), str(rec.get("type", "?")), t,
                          str(rec.get("msg") or f"{node}->{rec.get('dst')} {rec.get('type', '?')}")))
        elif kind in ("deliver", "drop"):
            src = _str(rec.get("src")) if kind == "deliver" else node
            i = msgs.get((str(src), hashable(rec.get("id"))))
            if i is not None:
                if kind == "deliver":
                    delivered.setdefault(i, []).append(t)
                elif i not in dropped:
                    dropped[i] = (t, _str(rec.get("reason")))
        elif kind == "fault":
            _fault(data, rec, t, fault_open)
    for i, (mid, src, dst, typ, t, text) in enumerate(sends):
        drop = dropped.get(i, (None, None))
        data.messages.append(Message(id=mid, src=src, dst=dst, type=typ, send_ns=t, text=text,
                                     deliver_ns=tuple(delivered.get(i, ())), drop_ns=drop[0], drop_reason=drop[1]))
    for node, st in sorted(state.items()):
        if st[0] is not None and end > st[2]:
            data.roles.append(RoleSpan(node=node, role=st[0], term=st[1], start_ns=st[2], end_ns=end))
    for (kind, node), (start, label) in sorted(fault_open.items(), key=lambda kv: (kv[1][0], kv[0][0], kv[0][1] or "")):
        data.faults.append(FaultSpan(kind=kind, label=label, start_ns=start, end_ns=max(start, end), is_open=True, node=node))
    data.faults.sort(key=lambda f: (f.start_ns, f.end_ns, f.kind, f.label))
    data.roles.sort(key=lambda r: (natural_key(r.node), r.start_ns))
    data.nodes = sorted(seen, key=natural_key)
    _counterexamples(data)


def hashable(v: Any) -> Any:
    return json.dumps(v, sort_keys=True) if isinstance(v, (list, dict)) else v


def _fault(data: ReportData, rec: dict[str, Any], t: int, open_: dict[tuple[str, str | None], tuple[int, str]]) -> None:
    name = str(rec.get("name") or "fault")
    label = str(rec.get("fault") or name)
    node = _str(rec.get("node"))
    if node is None:
        m = re.search(r"\(([\w.-]+)\)\s*$", label)
        node = m.group(1) if m else None
    eff = fault_effect(name)
    kind = fault_kind(name)
    if kind == "other":
        if not eff.closes:
            data.faults.append(FaultSpan(kind="other", label=label, start_ns=t, end_ns=t, node=node))
        return
    key = (kind, node if eff.per_node else None)
    # A new cut replaces the drawn one (and heal ends it); restart/resume end that node's band.
    closes = [k for k in open_ if k[0] == "partition"] if kind == "partition" else ([key] if eff.closes and key in open_ else [])
    for k in sorted(closes, key=lambda k: (k[0], k[1] or "")):
        start, lab = open_.pop(k)
        data.faults.append(FaultSpan(kind=k[0], label=lab, start_ns=start, end_ns=t, node=k[1]))
    if not eff.closes and key not in open_:
        open_[key] = (t, label)


def _counterexamples(data: ReportData) -> None:
    by_index = {o.index: i for i, o in enumerate(data.ops)}
    by_pt = {(o.process, o.invoke_ns): i for i, o in enumerate(data.ops)}

    def find(d: Any) -> int | None:
        if isinstance(d, int) and not isinstance(d, bool):
            return by_index.get(d)
        if not isinstance(d, dict):
            return None
        idx = d.get("index", d.get("invoke_index"))
        if isinstance(idx, int) and idx in by_index:
            return by_index[idx]
        return by_pt.get((d.get("process"), d.get("invoke_time", d.get("time"))))

    for r in data.results:
        d = r.details if isinstance(r.details, dict) else {}
        if r.verdict is Verdict.ILLEGAL and isinstance(d.get("properties"), dict):
            _trace_counterexample(data, r.checker, r.summary, d)
            continue
        if r.verdict is not Verdict.ILLEGAL or not any(k in d for k in ("failing_op", "op", "window", "partial_linearizations")):
            continue
        failing = [i for i in [find(d.get("failing_op", d.get("op")))] if i is not None]
        offending = list(failing)
        w = d.get("window")
        listed = [o for k in ("ops", "window") if isinstance(d.get(k), list) for o in d[k] if isinstance(o, dict)]
        for o in listed:  # checkers.linearizable: "window" lists the ops concurrent with the failing one
            i = find(o)
            if i is not None and i not in offending:
                offending.append(i)
        window = None
        if isinstance(w, list) and len(w) == 2 and all(isinstance(x, int) and not isinstance(x, bool) for x in w):
            window = (min(w), max(w))
        elif offending:
            ts = [t for i in offending for t in (data.ops[i].invoke_ns, data.ops[i].complete_ns) if t is not None]
            hi = [data.ops[i].complete_ns for i in failing if data.ops[i].complete_ns is not None]
            window = (min(ts), max(hi) if hi else max(ts)) if ts else None

        def text(it: Any) -> str:
            i = find(it)
            if isinstance(it, str):
                return it
            if isinstance(it, dict) and isinstance(it.get("op"), str):
                return it["op"]
            if i is not None:
                return data.ops[i].text
            return json.dumps(it, sort_keys=True, default=str)

        partial: list[tuple[str, ...]] = []
        pls = d.get("partial_linearizations")
        for pl in (pls if isinstance(pls, list) else [])[:5]:
            if isinstance(pl, dict):  # {state, tail, linearized_open, info_taken_effect, length}
                items = [text(x) for x in (pl.get("tail") or [])[:60] if x is not None]
                items += [f"(open, linearized) {text(x)}" for x in (pl.get("linearized_open") or [])[:20]]
                items += [f"(info, took effect) {text(x)}" for x in (pl.get("info_taken_effect") or [])[:20]]
                if "state" in pl:
                    items.append(f"=> state {pl['state']}")
                partial.append(tuple(items))
            else:
                partial.append(tuple(text(x) for x in (pl if isinstance(pl, list) else [pl])[:60]))
        key = d.get("key")
        data.counterexamples.append(Counterexample(
            checker=r.checker, key=None if key is None else str(key), summary=r.summary, window=window,
            failing=tuple(failing), offending=tuple(offending), partial=tuple(partial), details=d,
        ))


def _trace_counterexample(data: ReportData, checker: str, summary: str, d: dict[str, Any]) -> None:
    """A checker of the trace (raft-safety): each violated property's first counterexample, as events."""
    found: list[tuple[str, str, tuple[dict[str, Any], ...]]] = []
    for name, prop in sorted(d["properties"].items()):
        cex = prop.get("counterexample") if isinstance(prop, dict) else None
        if not isinstance(cex, dict):
            continue
        events = tuple(e for e in cex.get("events") or () if isinstance(e, dict))
        found.append((str(name), str(cex.get("message", prop.get("summary", ""))), events))
    ts = [e["t"] for _, _, evs in found for e in evs if isinstance(e.get("t"), int) and not isinstance(e.get("t"), bool)]
    data.counterexamples.append(Counterexample(
        checker=checker, key=None, summary=summary, window=(min(ts), max(ts)) if ts else None, failing=(),
        offending=(), partial=(), details=d, trace_events=tuple(found)))


def recovery_times(data: ReportData) -> dict[str, list[int | None]]:
    """Per closing fault (heal, restart, resume): ns from the fault to the next ``become-leader``.

    ``None`` when no node became leader before the next fault or the end of the run.
    """
    events = [(r["t"], r["kind"], str(r.get("name", ""))) for r in data.trace if r["kind"] in ("fault", "become-leader")]
    out: dict[str, list[int | None]] = {}
    for i, (t, kind, name) in enumerate(events):
        if kind != "fault" or not fault_effect(name).closes:
            continue
        got: int | None = None
        for t2, kind2, _ in events[i + 1:]:
            if kind2 == "become-leader":
                got = t2 - t
                break
            if kind2 == "fault":
                break
        out.setdefault(name, []).append(got)
    return out
