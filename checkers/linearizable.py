# Over 400 lines: the model, the per-key split, the frontier search driver and the local-read hand-off share one op set.
"""Linearizability of a history against a ``Model`` (default ``kv``): split by key, then a frontier search.

Rules:
- P-compositionality: the model partitions operations (``kv``: by key); a history is linearizable iff every
  part is, so each part is searched alone, in sorted label order.
- The search sweeps the part's events left to right (history order is real-time order) and keeps only the
  *frontier*: the set of configurations ``(state, lin, used)`` reachable so far, where ``lin`` is a bitmask
  over the slots of the currently open ok operations (slots are reused, so the mask is bounded by the
  concurrency, not by the history length) that are already linearized, and ``used`` a bitmask over the part's
  ``info`` operations that took effect. Just-in-time linearization (Lowe, "Testing for linearizability",
  2017): an operation is linearized only when its return forces it, together with whatever open operations
  must precede it; duplicates collapse in the frontier set, which is what memoises the search.
- A read-only operation (``model.read_only(input)``, optional) legal in the current state is linearized
  eagerly, when it is invoked or when the state changes: a configuration with more reads done and the same
  state dominates. (Not so a write of the current value: later it could take effect.)
- ``fail`` operations never took effect and are dropped (``kv``: except a failed cas with
  ``error: "compare-failed"``, used as an observation, see ``checkers.models.kv``). ``info`` operations (and
  invokes never completed) may take effect at any point after their invoke or never: they stay available
  forever. Identical unused info operations are interchangeable (only the first is tried); an info operation
  takes effect only into a state some operation's outcome depends on (optional
  ``Model.relevant_states``), else it can as well happen later; and a configuration that used a superset of
  another's info operations, with the same state and ``lin``, is dropped.
- States the model calls alike (optional ``Model.canonical``) are merged into one representative.
- A part the model proves linearizable by itself (optional ``Model.decide``) is not searched; it counts in
  ``details["decided_keys"]``.
- The search has a budget of configurations explored, so a verdict depends on the history alone, never on
  the machine's speed; an optional time limit (``Budget.seconds``) is for interactive use. Running out gives
  ``Verdict.UNKNOWN``.
- Decide first, explain second: on ILLEGAL the failing part alone is searched again, within its own budget,
  keeping linearization paths, for the counterexample in ``details`` (``checkers.counterexample``).
- Never raises on a bad history: ``HistoryError``/``ModelError`` become UNKNOWN with the line in the summary.
- A ``read`` marked ``"local": true`` (etcd v2's default GET) is not linearizable by design: it is judged by
  ``checkers.local_reads`` instead, and that verdict joins this one (details["local_reads"]).
"""

from __future__ import annotations

import contextlib
import gc
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from checkers.counterexample import explain
from checkers.frontier import Failure, Meter, OutOfBudget, search
from checkers.history import Event, HistoryError, Op, Operation, OpType, check_ops, parse_events
from checkers.local_reads import LOCAL, judge_local_reads
from checkers.model import Model, ModelError
from checkers.models.kv import KV
from checkers.registry import checker
from checkers.result import CheckResult, Verdict

__all__ = ["Budget", "LinearizabilityChecker", "check_events", "check_history", "check_history_file"]

NAME = "linearizable"


@dataclass(frozen=True, slots=True, kw_only=True)
class Budget:
    """Search limits. ``configs`` counts configurations explored over all parts; past either limit: UNKNOWN.

    The time limits are off by default: with them the verdict would depend on the machine's load.
    """

    configs: int = 20_000_000
    live_configs: int = 2_000_000  # held at once: the memory bound (2M held ~ 1-3 GB, by state size)
    seconds: float | None = None
    explain_configs: int = 2_000_000
    explain_seconds: float | None = None


class _Entry:
    """A paired operation (the fields of ``Operation``, plus history line numbers); cheap to build."""

    __slots__ = ("process", "f", "key", "type", "input", "output", "error", "invoke_time", "complete_time",
                 "invoke_index", "complete_index", "invoke_line", "complete_line")

    def to_json(self, model: Model[Any, Any, Any], io: tuple[Any, Any] | None) -> dict[str, Any]:
        d = {"process": self.process, "f": self.f, "key": self.key, "type": self.type.value,
             "value": self.input, "output": self.output, "invoke_time": self.invoke_time,
             "complete_time": self.complete_time, "invoke_index": self.invoke_index,
             "complete_index": self.complete_index, "invoke_line": self.invoke_line,
             "complete_line": self.complete_line}
        if self.error is not None:
            d["error"] = self.error
        if io is not None:
            d["text"] = model.describe_op(*io)
        return d


def _pair_events(events: Sequence[Event], local: list[_Entry] | None = None) -> list[_Entry]:
    """Pair invokes with completions (as ``checkers.history.pair_ops``), in invoke order; local reads to ``local``."""
    out: list[_Entry] = []
    append = out.append
    pending: dict[int, _Entry] = {}
    info, invoke, ok = OpType.INFO, OpType.INVOKE, OpType.OK
    i = -1
    for lineno, proc, typ, f, key, value, t, error, rec in events:
        i += 1
        if typ is invoke:  # one attribute a statement: a tuple assignment builds and unpacks a tuple
            e = _Entry()
            e.process = proc
            e.f = f
            e.key = key
            e.type = info
            e.input = value
            e.output = None
            e.error = None
            e.invoke_time = t
            e.complete_time = None
            e.invoke_index = i
            e.complete_index = None
            e.invoke_line = lineno
            e.complete_line = None
            pending[proc] = e
            if local is not None and f == "read" and rec and rec.get(LOCAL) is True:
                local.append(e)
            else:
                append(e)
            continue
        e = pending.pop(proc, None)  # type: ignore[assignment]
        if e is None:
            continue
        e.type = typ
        e.error = error
        e.complete_index = i
        e.complete_line = lineno
        if typ is ok:
            e.output = value
        if typ is not info:
            e.complete_time = t
    return out


def _entries_from_operations(ops: Sequence[Operation]) -> list[_Entry]:
    out = []
    for o in ops:
        e = _Entry()
        e.process, e.f, e.key, e.type, e.input, e.output, e.error = o.process, o.f, o.key, o.type, o.input, \
            o.output, o.error
        e.invoke_time, e.complete_time, e.invoke_index, e.complete_index = o.invoke_time, o.complete_time, \
            o.invoke_index, o.complete_index
        e.invoke_line, e.complete_line = None, None
        out.append(e)
    return out


@dataclass(slots=True)
class _Part:
    label: str
    entries: list[_Entry]
    items: list[tuple[Any, Any]]  # (input, output) per searched op
    entry_of: list[int]  # item -> index into entries
    is_info: list[bool]
    events: list[tuple[int, int]]  # (item, 0 invoke / 1 return), in history order


def _line(e: _Entry) -> str:
    return f"line {e.invoke_line}: " if e.invoke_line is not None else f"event {e.invoke_index}: "


def _prepare(model: Model[Any, Any, Any], label: str, entries: list[_Entry]) -> _Part:
    """The searchable ops of one part; raises ModelError prefixed with the op's line."""
    items: list[tuple[Any, Any]] = []
    entry_of: list[int] = []
    is_info: list[bool] = []
    timed: list[tuple[int, int, int]] = []
    prepare = model.prepare
    info = OpType.INFO
    prepared: list[tuple[int, _Entry, Any]] = []
    has_info = False
    for n, e in enumerate(entries):
        try:
            io = prepare(e)
        except ModelError as err:
            raise ModelError(_line(e) + str(err)) from None
        if io is not None:
            prepared.append((n, e, io))
            if e.type is info:
                has_info = True
    # An info op whose effect no other op could have observed may be taken never to have happened:
    # dropping it up front keeps the search from branching on it (Knossos does the same).
    unobserved = getattr(model, "unobserved_info", None)
    drop: set[int] = set()
    if has_info and unobserved is not None:
        drop = unobserved([(io, e.type is info) for _, e, io in prepared])
    for k, (n, e, io) in enumerate(prepared):
        if drop and k in drop:
            continue
        j = len(items)
        items.append(io)
        entry_of.append(n)
        # an info op never returns; a used fail (an observation) returns at its completion
        returns = e.type is not info and e.complete_index is not None
        is_info.append(not returns)
        timed.append((e.invoke_index, 0, j))
        if returns:
            timed.append((e.complete_index, 1, j))  # type: ignore[arg-type]
    timed.sort()
    return _Part(label=label, entries=entries, items=items, entry_of=entry_of, is_info=is_info,
                 events=[(j, kind) for _, kind, j in timed])


def _check_entries(entries: list[_Entry], model: Model[Any, Any, Any], budget: Budget, strict: bool,
                   t0: float, local: list[_Entry] | None = None) -> CheckResult:
    with _no_gc():
        return _check_entries_gc_off(entries, model, budget, strict, t0, local)


def _check_file(path: Path | str, model: Model[Any, Any, Any], budget: Budget, strict: bool,
                t0: float) -> CheckResult:
    """Parse and check a jsonl history with the cyclic GC off throughout; the history is freed before the
    GC comes back on (else re-enabling it would sweep every object of the parse once more).
    Raises HistoryError, OSError, UnicodeDecodeError."""
    with _no_gc():
        local: list[_Entry] = []
        with open(path, encoding="utf-8") as f:
            entries = _pair_events(parse_events(f), local)
        result = _check_entries_gc_off(entries, model, budget, strict, t0, local)
        del entries
    return result


@contextlib.contextmanager
def _no_gc() -> Iterator[None]:
    """The cyclic GC off: the search builds millions of acyclic tuples, and each full collection would
    rescan every event of the history (it doubled the time of a 100k-op check)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _check_entries_gc_off(entries: list[_Entry], model: Model[Any, Any, Any], budget: Budget, strict: bool,
                          t0: float, local: list[_Entry] | None = None) -> CheckResult:
    judged = judge_local_reads(local, entries) if local else None

    def result(verdict: Verdict, summary: str, details: dict[str, Any]) -> CheckResult:
        if judged is not None:
            details = {**details, "local_reads": judged}
            bad = judged["violation"]
            if bad is not None and verdict is not Verdict.ILLEGAL:
                verdict, summary = Verdict.ILLEGAL, bad["message"]
            elif bad is None and judged["judged"]:
                if verdict is Verdict.NOT_EXERCISED:
                    verdict, summary = Verdict.OK, "no linearizable ops"
                summary += f"; {judged['judged']} local reads read written values"
        return CheckResult(checker=NAME, verdict=verdict, summary=summary, details=details,
                           elapsed_s=time.perf_counter() - t0)

    meter = Meter(budget.configs, budget.seconds, budget.live_configs)
    skipped: list[dict[str, str]] = []
    unknown: list[dict[str, str]] = []
    failures: list[tuple[_Part, Failure]] = []
    n_ops = 0
    n_parts = 0
    decided = 0
    decide = getattr(model, "decide", None)
    for label, idxs in model.partition(entries):
        part_entries = [entries[i] for i in idxs]
        try:
            part = _prepare(model, label, part_entries)
        except ModelError as e:
            if strict:
                return result(Verdict.UNKNOWN, str(e), {"key": label, "error": str(e)})
            skipped.append({"key": label, "reason": str(e)})
            continue
        n_parts += 1
        n_ops += len(part.items)
        if decide is not None and decide(part.items, [not i for i in part.is_info], part.events):
            decided += 1
            continue
        try:
            failure = search(model, part.items, part.events, part.is_info, meter, track=False)
        except OutOfBudget as e:
            unknown.append({"key": label, "reason": f"search budget exhausted ({e})"})
            continue
        if failure is not None:
            failures.append((part, failure))
    stats = {"keys": n_parts, "ops": n_ops, "configs": meter.count}
    if decide is not None:
        stats["decided_keys"] = decided
    if skipped:
        stats["skipped_keys"] = skipped
    if failures:
        part, failure = failures[0]
        details = explain(model, part, failure,
                          Meter(budget.explain_configs, budget.explain_seconds, budget.live_configs))
        details.update(stats)
        details["illegal_keys"] = [p.label for p, _ in failures]
        if unknown:
            details["unknown_keys"] = unknown
        bad = part.entries[part.entry_of[failure.item]]
        where = f"line {bad.complete_line}" if bad.complete_line is not None else f"event {bad.complete_index}"
        summary = (f"key {part.label!r}: {model.describe_op(*part.items[failure.item])} by process "
                   f"{bad.process} ({where}) cannot be linearized")
        if len(failures) > 1:
            summary += f" (and {len(failures) - 1} more keys)"
        return result(Verdict.ILLEGAL, summary, details)
    if unknown:
        stats["unknown_keys"] = unknown
        return result(Verdict.UNKNOWN, f"key {unknown[0]['key']!r}: {unknown[0]['reason']}", stats)
    if n_parts == 0:  # no key of the model's kind at all (all-failed ops on a key are still judged)
        return result(Verdict.NOT_EXERCISED, "no ops of the model's kind", {**stats, "skipped": True})
    return result(Verdict.OK, f"{n_ops} ops over {n_parts} keys linearizable", stats)


def check_events(events: Sequence[Event], model: Model[Any, Any, Any] = KV, budget: Budget = Budget(),
                 strict: bool = True) -> CheckResult:
    """Check parsed history events (``checkers.history.parse_events``, already format-checked).

    With ``strict`` false, parts whose ops the model does not understand (another workload's keys) are
    skipped and listed in ``details["skipped_keys"]`` instead of making the verdict UNKNOWN.
    """
    t0 = time.perf_counter()
    local: list[_Entry] = []
    with _no_gc():
        entries = _pair_events(events, local)
    return _check_entries(entries, model, budget, strict, t0, local)


def check_history(ops: Sequence[Op] | Sequence[Operation], model: Model[Any, Any, Any] = KV,
                  budget: Budget = Budget(), strict: bool = True) -> CheckResult:
    """Is the history linearizable? OK, ILLEGAL (with a counterexample in ``details``) or UNKNOWN.

    Takes history events (``Op``, checked for the format rules first) or paired ``Operation``s. Never raises
    on a bad history: a ``HistoryError`` or ``ModelError`` gives UNKNOWN with the line in the summary.
    """
    t0 = time.perf_counter()
    if ops and isinstance(ops[0], Operation):
        entries = _entries_from_operations(ops)  # type: ignore[arg-type]
        return _check_entries(entries, model, budget, strict, t0)
    try:
        check_ops(ops)  # type: ignore[arg-type]
    except HistoryError as e:
        return CheckResult(checker=NAME, verdict=Verdict.UNKNOWN, summary=str(e), details={"error": str(e)},
                           elapsed_s=time.perf_counter() - t0)
    events = [(op.lineno or i, op.process, op.type, op.f, op.key, op.value, op.time, op.error, dict(op.extra))
              for i, op in enumerate(ops, 1)]  # type: ignore[union-attr]
    return _check_entries(_pair_events(events, local := []), model, budget, strict, t0, local)  # type: ignore[arg-type]


def check_history_file(path: Path | str, fmt: str = "jsonl", model: Model[Any, Any, Any] = KV,
                       budget: Budget = Budget()) -> CheckResult:
    """Check a history file: ``jsonl`` (ours), ``edn`` (Jepsen) or ``porcupine`` (see checkers.interop).

    Never raises: an unreadable or malformed file, or one with no operations (an EDN file read as jsonl, a
    JSON file read as EDN: every event dropped), gives UNKNOWN (exit code 2) with the reason.
    """
    from checkers import interop  # interop reads foreign formats; it does not import this module

    t0 = time.perf_counter()

    def unknown(msg: str) -> CheckResult:
        return CheckResult(checker=NAME, verdict=Verdict.UNKNOWN, summary=msg, details={"error": msg},
                           elapsed_s=time.perf_counter() - t0)

    try:
        if fmt == "jsonl":
            res = _check_file(path, model, budget, True, t0)
            if res.verdict is Verdict.NOT_EXERCISED:
                return unknown(f"{path}: no operations to check (is it really --format {fmt}?)")
            return res
        if fmt not in interop.READERS:
            return unknown(f"unknown history format {fmt!r} (expected jsonl, {', '.join(sorted(interop.READERS))})")
        ops = interop.READERS[fmt](path)
    except (HistoryError, interop.InteropError) as e:
        return unknown(f"{path}: {e}")
    except (OSError, UnicodeDecodeError) as e:
        return unknown(f"cannot read {path}: {e}")
    res = check_history(ops, model=model, budget=budget)
    if res.verdict is Verdict.NOT_EXERCISED:  # an empty file, or one whose events were all dropped
        return unknown(f"{path}: no operations to check (is it really --format {fmt}?)")
    return CheckResult(checker=NAME, verdict=res.verdict, summary=res.summary, details=res.details,
                       elapsed_s=time.perf_counter() - t0)


@checker()
class LinearizabilityChecker:
    """Checks a run's ``history.jsonl`` against the kv model; keys of other workloads are skipped."""

    name = NAME

    def __init__(self, model: Model[Any, Any, Any] = KV, budget: Budget = Budget()) -> None:
        self.model = model
        self.budget = budget

    def check(self, run: Any) -> CheckResult:
        t0 = time.perf_counter()
        try:
            return _check_file(run.history, self.model, self.budget, False, t0)
        except FileNotFoundError:
            return CheckResult(checker=NAME, verdict=Verdict.UNKNOWN, summary="no history.jsonl",
                               elapsed_s=time.perf_counter() - t0)
        except (HistoryError, OSError, UnicodeDecodeError) as e:
            return CheckResult(checker=NAME, verdict=Verdict.UNKNOWN, summary=f"history.jsonl: {e}",
                               details={"error": str(e)}, elapsed_s=time.perf_counter() - t0)
