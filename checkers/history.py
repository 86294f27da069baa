# Over 400 lines: one format, one module (STYLE rule 8): the history's writer, reader and op pairing.
"""The history format (``history.jsonl``, spec: shared/formats/history.md): writer, reader, pairing.

Rules:
- One JSON object per line, in the order events happened; ``time`` (int ns) never decreases.
- A completion (ok/fail/info) pairs with the latest invoke of the same process; an invoke never
  completed counts as info. After an info a process never invokes again.
- The reader never raises on bad input past ``read_history``'s ``HistoryError``, which names the line.
- This module imports only the stdlib, so every package may use it.
- Over 400 lines: the format's writer, reader, checks and pairing stay in its one module (STYLE 8).
"""

from __future__ import annotations

import enum
import gc
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

__all__ = [
    "FORMAT_VERSION",
    "Event",
    "HistoryError",
    "HistoryWriter",
    "Op",
    "OpType",
    "Operation",
    "check_ops",
    "fmt_ms",
    "event_to_op",
    "pair_ops",
    "parse_events",
    "parse_history_lines",
    "read_history",
]

FORMAT_VERSION = 1


class HistoryError(ValueError):
    """A history that breaks the format; the message starts with ``line N:``."""

    def __init__(self, lineno: int, message: str) -> None:
        super().__init__(f"line {lineno}: {message}")
        self.lineno = lineno


class OpType(enum.Enum):
    INVOKE = "invoke"
    OK = "ok"
    FAIL = "fail"
    INFO = "info"


@dataclass(frozen=True, slots=True, kw_only=True)
class Op:
    """One history event (a line)."""

    process: int
    type: OpType
    f: str
    key: str = ""
    value: Any = None
    time: int | None = None
    node: str | None = None
    error: str | None = None
    extra: tuple[tuple[str, Any], ...] = ()  # any other fields, sorted by name (kept for round trips)
    lineno: int = 0

    def to_json(self) -> dict[str, Any]:
        d: dict[str, Any] = {"process": self.process, "type": self.type.value, "f": self.f}
        if self.key != "":
            d["key"] = self.key
        d["value"] = self.value
        if self.time is not None:
            d["time"] = self.time
        if self.node is not None:
            d["node"] = self.node
        if self.error is not None:
            d["error"] = self.error
        for k, v in self.extra:
            d[k] = v
        return d

    def __str__(self) -> str:
        key = f" {self.key}" if self.key else ""
        err = f" ({self.error})" if self.error else ""
        t = f" @{fmt_ms(self.time)}" if self.time is not None else ""
        return f"p{self.process} {self.type.value} {self.f}{key} {json.dumps(self.value)}{err}{t}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Operation:
    """An invoke paired with its completion; ``type`` is the completion's (INFO if none)."""

    process: int
    f: str
    key: str
    type: OpType
    input: Any
    output: Any
    invoke_time: int | None
    complete_time: int | None  # None: never completed (may take effect any time after invoke)
    invoke_index: int  # position of the invoke event in the history
    complete_index: int | None
    node: str | None = None
    error: str | None = None

    def __str__(self) -> str:
        """``p6 read /r/k0 null -> ok 85 [1495.594056 ms, 1499.119619 ms]``: times in ms, to the exact ns."""
        key = f" {self.key}" if self.key else ""
        done = "never completed" if self.complete_time is None else fmt_ms(self.complete_time)
        return (
            f"p{self.process} {self.f}{key} {json.dumps(self.input)} -> {self.type.value} "
            f"{json.dumps(self.output)} [{fmt_ms(self.invoke_time)}, {done}]"
        )


def fmt_ms(t_ns: Any, digits: int = 6) -> str:
    """Virtual ns for people: ``fmt_ms(1495594056) == "1495.594056 ms"`` (6 digits: the exact ns)."""
    if not isinstance(t_ns, int) or isinstance(t_ns, bool):
        return "?" if t_ns is None else str(t_ns)
    return f"{t_ns / 1e6:.{digits}f} ms" if abs(t_ns) < 2**53 else f"{t_ns} ns"


_KNOWN = {"process", "type", "f", "key", "value", "time", "node", "error"}


def _op_from_json(lineno: int, rec: Any) -> Op:
    if not isinstance(rec, dict):
        raise HistoryError(lineno, "an event must be a JSON object")
    proc = rec.get("process")
    if not isinstance(proc, int) or isinstance(proc, bool):
        raise HistoryError(lineno, f"'process' must be an int, got {proc!r}")
    try:
        typ = OpType(rec.get("type"))
    except ValueError:
        raise HistoryError(lineno, f"'type' must be invoke/ok/fail/info, got {rec.get('type')!r}") from None
    f = rec.get("f")
    if not isinstance(f, str) or not f:
        raise HistoryError(lineno, f"'f' must be a non-empty string, got {f!r}")
    key = rec.get("key", "")
    if key is None:
        key = ""
    if not isinstance(key, str):
        raise HistoryError(lineno, f"'key' must be a string, got {key!r}")
    t = rec.get("time")
    if t is not None and (not isinstance(t, int) or isinstance(t, bool)):
        raise HistoryError(lineno, f"'time' must be int nanoseconds, got {t!r}")
    node = rec.get("node")
    error = rec.get("error")
    extra = tuple(sorted((k, v) for k, v in rec.items() if k not in _KNOWN))
    return Op(
        process=proc, type=typ, f=f, key=key, value=rec.get("value"), time=t,
        node=None if node is None else str(node), error=None if error is None else str(error),
        extra=extra, lineno=lineno,
    )


def _records(lines: Iterable[str]) -> Iterable[tuple[int, Any]]:
    """(lineno, decoded JSON) for each non-blank line; raises HistoryError on bad JSON.

    Fast path: a file (anything with ``read``) is read whole and, when no line is blank, decoded by one
    ``json.loads`` over all its lines as a JSON array (3-4x faster than a call per line); otherwise, or if
    that fails, the slow path decodes line by line to name the bad line.
    """
    read = getattr(lines, "read", None)
    if read is not None:
        text = read().rstrip()  # trailing blank lines move no line number
        try:  # text-mode lines end in "\n" alone, never inside a JSON string: n values, n lines, none blank
            recs = json.loads("[" + text.replace("\n", ",") + "]")
            if len(recs) == text.count("\n") + 1:
                return zip(range(1, len(recs) + 1), recs)
        except (json.JSONDecodeError, RecursionError):
            pass  # a blank line, bad JSON or deep nesting: the slow path says which line
        lines = text.split("\n")
    numbered = [(n, line) for n, line in enumerate(lines, 1) if line.strip()]
    if not numbered:
        return []
    try:
        recs = json.loads("[" + ",".join(line for _, line in numbered) + "]")
        if len(recs) == len(numbered):
            return [(n, rec) for (n, _), rec in zip(numbered, recs)]
    except (json.JSONDecodeError, RecursionError):
        pass
    out: list[tuple[int, Any]] = []
    for lineno, line in numbered:
        try:
            out.append((lineno, json.loads(line)))
        except json.JSONDecodeError as e:
            raise HistoryError(lineno, f"not JSON ({e.msg})") from None
        except RecursionError:  # json.loads of deeply nested arrays; not a ValueError
            raise HistoryError(lineno, "not JSON (nested too deeply)") from None
    return out


class _Validator:
    """The cross-line rules: time never decreases; invoke/complete alternate per process; no reuse after info."""

    __slots__ = ("last_time", "open_by_process", "done_info")

    def __init__(self) -> None:
        self.last_time: int | None = None
        self.open_by_process: dict[int, int] = {}
        self.done_info: set[int] = set()

    def see(self, lineno: int, process: int, typ: OpType, time: int | None) -> None:
        if time is not None:
            if self.last_time is not None and time < self.last_time:
                raise HistoryError(lineno, f"time goes backwards ({time} < {self.last_time})")
            self.last_time = time
        if typ is OpType.INVOKE:
            if process in self.open_by_process:
                raise HistoryError(lineno, f"process {process} invokes while its op from line "
                                           f"{self.open_by_process[process]} is open")
            if process in self.done_info:
                raise HistoryError(lineno, f"process {process} invokes again after an info completion")
            self.open_by_process[process] = lineno
        else:
            if process not in self.open_by_process:
                raise HistoryError(lineno, f"a {typ.value} completion for process {process} without an invoke")
            del self.open_by_process[process]
            if typ is OpType.INFO:
                self.done_info.add(process)


_TYPES = {t.value: t for t in OpType}

# A checked event as a plain tuple (the fast path for big histories):
# (lineno, process, type, f, key, value, time, error, record dict)
Event = tuple[int, int, OpType, str, str, Any, "int | None", "str | None", dict[str, Any]]


def parse_events(lines: Iterable[str]) -> list[Event]:
    """Parse and check JSON lines into plain event tuples (lineno, process, type, f, key, value, time,
    error, record). Same rules and messages as ``parse_history_lines``, without building ``Op`` objects.

    Raises HistoryError naming the line.
    """
    gc_was_enabled = gc.isenabled()
    gc.disable()  # hundreds of thousands of small dicts: the cyclic GC would rescan them again and again
    try:
        return _parse_events(lines)
    finally:
        if gc_was_enabled:
            gc.enable()


def _parse_events(lines: Iterable[str]) -> list[Event]:
    out: list[Event] = []
    append = out.append
    last_time: int | None = None
    open_by_process: dict[int, int] = {}
    done_info: set[int] = set()
    invoke = OpType.INVOKE
    types = _TYPES
    for lineno, rec in _records(lines):
        if type(rec) is not dict:
            raise HistoryError(lineno, "an event must be a JSON object")
        get = rec.get
        proc = get("process")
        typ = get("type")
        typ = types.get(typ) if type(typ) is str else None  # a list or dict here is unhashable
        f = get("f")
        key = get("key", "")
        t = get("time")
        if type(proc) is not int or typ is None or type(f) is not str or not f or type(key) is not str \
                or (t is not None and type(t) is not int):
            _op_from_json(lineno, rec)  # raises the precise message
            key = ""  # only a null key gets here
        if t is not None:
            if last_time is not None and t < last_time:
                raise HistoryError(lineno, f"time goes backwards ({t} < {last_time})")
            last_time = t
        if typ is invoke:
            if proc in open_by_process:
                raise HistoryError(lineno, f"process {proc} invokes while its op from line "
                                           f"{open_by_process[proc]} is open")
            if proc in done_info:
                raise HistoryError(lineno, f"process {proc} invokes again after an info completion")
            open_by_process[proc] = lineno
        else:
            if open_by_process.pop(proc, None) is None:
                raise HistoryError(lineno, f"a {typ.value} completion for process {proc} without an invoke")
            if typ is OpType.INFO:
                done_info.add(proc)
        error = get("error")
        append((lineno, proc, typ, f, key, get("value"), t, None if error is None else str(error), rec))
    return out


def event_to_op(ev: Event) -> Op:
    lineno, proc, typ, f, key, value, t, error, rec = ev
    node = rec.get("node")
    extra = tuple(sorted((k, x) for k, x in rec.items() if k not in _KNOWN))
    return Op(process=proc, type=typ, f=f, key=key, value=value, time=t,
              node=None if node is None else str(node), error=error, extra=extra, lineno=lineno)


def parse_history_lines(lines: Iterable[str]) -> list[Op]:
    """Parse JSON lines into events, checking the format. Raises HistoryError naming the line."""
    events = parse_events(lines)
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        return [event_to_op(ev) for ev in events]
    finally:
        if gc_was_enabled:
            gc.enable()


def check_ops(ops: Iterable[Op]) -> None:
    """Check the cross-line rules on ops built in memory (time order, invoke/complete pairing).

    Raises HistoryError naming the line (``op.lineno``, or the position from 1 when it is 0).
    """
    v = _Validator()
    for i, op in enumerate(ops, 1):
        v.see(op.lineno or i, op.process, op.type, op.time)


def read_history(path: Path | str) -> list[Op]:
    """Read and check a history file. Raises HistoryError (line-numbered) or OSError."""
    with open(path, encoding="utf-8") as f:
        return parse_history_lines(f)


def pair_ops(ops: Iterable[Op]) -> list[Operation]:
    """Pair each invoke with its completion, in invoke order.

    The input is an ok/fail op's output value when present, else the invoke's value; an invoke
    with no completion becomes an INFO operation with ``complete_time=None``.
    """
    out: list[Operation] = []
    pending: dict[int, tuple[int, Op]] = {}
    for i, op in enumerate(ops):
        if op.type is OpType.INVOKE:
            pending[op.process] = (len(out), op)
            out.append(Operation(  # an invoke never completed stays INFO
                process=op.process, f=op.f, key=op.key, type=OpType.INFO, input=op.value,
                output=None, invoke_time=op.time, complete_time=None, invoke_index=i,
                complete_index=None, node=op.node,
            ))
            continue
        if op.process not in pending:
            continue
        slot, inv = pending.pop(op.process)
        out[slot] = Operation(
            process=inv.process, f=inv.f, key=inv.key, type=op.type, input=inv.value,
            output=op.value if op.type is OpType.OK else None,
            invoke_time=inv.time, complete_time=op.time if op.type is not OpType.INFO else None,
            invoke_index=out[slot].invoke_index, complete_index=i,
            node=op.node or inv.node, error=op.error,
        )
    return out


# json.dumps(doc, separators=(", ", ": ")) without building an encoder per line (the writer's hot path).
_encode_line = json.JSONEncoder(separators=(", ", ": ")).encode


class HistoryWriter:
    """Writes history events as they happen (used by the runner's clients).

    Contract: ``invoke`` then exactly one of ``ok``/``fail``/``info`` per process; after ``info``
    the process id is retired (the writer enforces it: ``HistoryError`` on reuse).
    """

    def __init__(self, out: IO[str] | None = None) -> None:
        self._out = out
        self.lines: list[str] = []
        self._open: dict[int, Op] = {}
        self._retired: set[int] = set()
        self._last_time = 0

    def _emit(self, op: Op) -> None:
        if op.time is not None:
            if op.time < self._last_time:
                raise HistoryError(len(self.lines) + 1, f"time goes backwards ({op.time} < {self._last_time})")
            self._last_time = op.time
        line = _encode_line(op.to_json()) + "\n"
        self.lines.append(line)
        if self._out is not None:
            self._out.write(line)

    def invoke(self, *, process: int, f: str, key: str = "", value: Any = None, time: int, node: str | None = None, **extra: Any) -> None:
        if process in self._open or process in self._retired:
            raise HistoryError(len(self.lines) + 1, f"process {process} is busy or retired")
        op = Op(process=process, type=OpType.INVOKE, f=f, key=key, value=value, time=time, node=node,
                extra=tuple(sorted(extra.items())))
        self._open[process] = op
        self._emit(op)

    def complete(self, *, process: int, type: OpType | str, value: Any = None, time: int, node: str | None = None,
                 error: str | None = None, **extra: Any) -> None:
        typ = OpType(type)
        if typ is OpType.INVOKE:
            raise HistoryError(len(self.lines) + 1, "complete() needs ok/fail/info")
        inv = self._open.pop(process, None)
        if inv is None:
            raise HistoryError(len(self.lines) + 1, f"process {process} has no open invoke")
        if typ is OpType.INFO:
            self._retired.add(process)
        self._emit(Op(process=process, type=typ, f=inv.f, key=inv.key, value=value, time=time, node=node,
                      error=error, extra=tuple(sorted(extra.items()))))

    def ok(self, **kw: Any) -> None:
        self.complete(type=OpType.OK, **kw)

    def fail(self, **kw: Any) -> None:
        self.complete(type=OpType.FAIL, **kw)

    def info(self, **kw: Any) -> None:
        self.complete(type=OpType.INFO, **kw)

    def open_processes(self) -> list[int]:
        return sorted(self._open)

    def write_to(self, path: Path | str) -> None:
        with open(path, "w", encoding="utf-8", newline="\n") as f:
            f.writelines(self.lines)
