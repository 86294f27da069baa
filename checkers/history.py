"""The history format (``history.jsonl``, spec: shared/formats/history.md): writer, reader, pairing.

Rules:
- One JSON object per line, in the order events happened; ``time`` (int ns) never decreases.
- A completion (ok/fail/info) pairs with the latest invoke of the same process; an invoke never
  completed counts as info. After an info a process never invokes again.
- The reader never raises on bad input past ``read_history``'s ``HistoryError``, which names the line.
- This module imports only the stdlib, so every package may use it.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

__all__ = [
    "FORMAT_VERSION",
    "HistoryError",
    "HistoryWriter",
    "Op",
    "OpType",
    "Operation",
    "pair_ops",
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
        t = f"@{self.time}" if self.time is not None else ""
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
        key = f" {self.key}" if self.key else ""
        return (
            f"p{self.process} {self.f}{key} {json.dumps(self.input)} -> {self.type.value} "
            f"{json.dumps(self.output)} [{self.invoke_time}, {self.complete_time}]"
        )


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


def parse_history_lines(lines: Iterable[str]) -> list[Op]:
    """Parse JSON lines into events, checking the format. Raises HistoryError naming the line."""
    ops: list[Op] = []
    last_time: int | None = None
    open_by_process: dict[int, int] = {}
    done_info: set[int] = set()
    for lineno, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as e:
            raise HistoryError(lineno, f"not JSON ({e.msg})") from None
        op = _op_from_json(lineno, rec)
        if op.time is not None:
            if last_time is not None and op.time < last_time:
                raise HistoryError(lineno, f"time goes backwards ({op.time} < {last_time})")
            last_time = op.time
        if op.type is OpType.INVOKE:
            if op.process in open_by_process:
                raise HistoryError(lineno, f"process {op.process} invokes while its op from line {open_by_process[op.process]} is open")
            if op.process in done_info:
                raise HistoryError(lineno, f"process {op.process} invokes again after an info completion")
            open_by_process[op.process] = lineno
        else:
            if op.process not in open_by_process:
                raise HistoryError(lineno, f"a {op.type.value} completion for process {op.process} without an invoke")
            del open_by_process[op.process]
            if op.type is OpType.INFO:
                done_info.add(op.process)
        ops.append(op)
    return ops


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
        line = json.dumps(op.to_json(), sort_keys=False, separators=(", ", ": ")) + "\n"
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


def iter_json_lines(lines: Iterable[str]) -> Iterator[tuple[int, Any]]:
    """Yield (lineno, parsed) for non-blank lines; raises HistoryError on bad JSON."""
    for lineno, line in enumerate(lines, 1):
        if line.strip():
            try:
                yield lineno, json.loads(line)
            except json.JSONDecodeError as e:
                raise HistoryError(lineno, f"not JSON ({e.msg})") from None
