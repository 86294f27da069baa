"""Foreign history formats: Jepsen EDN and porcupine JSON, read into our ``Op`` list; ours written as either.

Rules:
- EDN (Jepsen): one map per line or a vector of maps, e.g. etcd's
  ``{:type :invoke, :f :read, :value nil, :process 0, :time 123}``. ``:type``/``:f`` keywords become strings;
  ``:process`` must be an int (Jepsen's ``:nemesis`` events are skipped); knossos' independent tuples
  ``:value [k v]`` (cas-register: ``[k [old new]]``) become ``key``/``value`` when every client op of ours
  in the history has such a tuple (``independent=None``, the default; True/False forces it). Keys are
  stringified. The writer writes ``[key value]`` for every op when any op has a key. Jepsen cas completions carry the cas value; a cas ``:fail`` becomes
  ``error: "compare-failed"`` only if its ``:error`` says so.
- Porcupine (its ``kv`` test data, ``porcupine.Operation`` as JSON): a JSON array of
  ``{"ClientId": int, "Input": {"Op": 0|1|2, "Key": str, "Value": str}, "Output": {"Value": str},
  "Call": int, "Return": int}`` with Op 0 = get (read), 1 = put (write), 2 = append, lower-case keys also
  accepted. Each becomes an invoke at ``Call`` and an ok at ``Return``; porcupine's kv treats a missing key
  as ``""``, so a get of ``""`` reads ``null`` here (we keep ``""`` otherwise identical). Its kv logs
  (``test_data/kv/c50-bad.txt``: EDN maps ``{:process 0, :type :invoke, :f :get, :key "0", :value nil}``, in
  history order, no times) read the same way under the same format name: a file not starting with ``[``.
- The EDN reader knows nil, true/false, numbers, strings, keywords, symbols, vectors, lists, maps, sets
  and ``#tag`` (ignored); ``;`` comments and commas are whitespace. No third-party dependency.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from checkers.history import HistoryError, Op, OpType, check_ops
from checkers.result import CheckerError

__all__ = ["InteropError", "Keyword", "READERS", "WRITERS", "dumps_edn", "loads_edn",
           "loads_edn_all", "ops_from_edn", "ops_from_porcupine", "ops_from_porcupine_log", "ops_to_edn",
           "ops_to_porcupine", "read_edn_history", "read_porcupine"]


class InteropError(CheckerError):
    """A foreign history we cannot read; the message says where."""


class Keyword(str):
    """An EDN keyword (``:read`` -> Keyword("read"))."""

    __slots__ = ()

    def __repr__(self) -> str:
        return ":" + str(self)


class Symbol(str):
    __slots__ = ()


_TOKEN = re.compile(r"""
    (?P<ws>[\s,]+|;[^\n]*)
  | (?P<str>"(?:[^"\\]|\\.)*")
  | (?P<open>\#\{|[\[\](){}])
  | (?P<tag>\#[A-Za-z_][\w.\-/]*)
  | (?P<char>\\(?:newline|space|tab|.))
  | (?P<atom>[^\s,;"\[\](){}]+)
""", re.VERBOSE)
_INT = re.compile(r"[+-]?\d+N?$")
_FLOAT = re.compile(r"[+-]?\d+(\.\d*)?([eE][+-]?\d+)?M?$")
_ESC = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "b": "\b", "f": "\f"}


def _atom(tok: str) -> Any:
    if tok == "nil":
        return None
    if tok == "true":
        return True
    if tok == "false":
        return False
    if tok.startswith(":"):
        return Keyword(tok[1:])
    if _INT.match(tok):
        return int(tok.rstrip("N"))
    if _FLOAT.match(tok):
        return float(tok.rstrip("M"))
    return Symbol(tok)


def _string(tok: str) -> str:
    body = tok[1:-1]
    if "\\" not in body:
        return body
    out = []
    i = 0
    while i < len(body):
        c = body[i]
        if c == "\\" and i + 1 < len(body):
            n = body[i + 1]
            if n == "u":
                out.append(chr(int(body[i + 2:i + 6], 16)))
                i += 6
                continue
            out.append(_ESC.get(n, n))
            i += 2
            continue
        out.append(c)
        i += 1
    return "".join(out)


def _freeze_key(v: Any) -> Any:
    """A map key made hashable: vectors, lists and sets become tuples, maps frozensets of their items."""
    if isinstance(v, list):
        return tuple(_freeze_key(x) for x in v)
    if isinstance(v, dict):  # keys are already frozen
        return frozenset((k, _freeze_key(x)) for k, x in v.items())
    return v


MAX_EDN_DEPTH = 100  # a Jepsen op nests 3 or 4 levels (a txn's [[:append k v] ...] inside a map)


def loads_edn_all(text: str) -> list[Any]:
    """Every top-level EDN value in ``text``. Raises InteropError with the line of a syntax error."""
    values: list[Any] = []
    stack: list[tuple[str, list[Any], int]] = []  # (closer, items, line)
    pos, line = 0, 1
    n = len(text)
    while pos < n:
        m = _TOKEN.match(text, pos)
        if m is None:
            raise InteropError(f"line {line}: cannot read EDN at {text[pos:pos + 20]!r}")
        kind = m.lastgroup
        tok = m.group()
        pos = m.end()
        if kind == "ws":
            line += tok.count("\n")
            continue
        if kind == "tag":
            continue  # #inst "..." and friends: keep the value, drop the tag
        if kind == "open":
            if tok in ")]}":
                if not stack or stack[-1][0] != tok:
                    raise InteropError(f"line {line}: unexpected {tok!r}")
                closer, items, start = stack.pop()
                if closer == "}" and items and items[0] == "#set":
                    value: Any = items[1:]
                elif closer == "}":
                    if len(items) % 2:
                        raise InteropError(f"line {start}: a map needs an even number of forms")
                    value = {_freeze_key(items[i]): items[i + 1] for i in range(0, len(items), 2)}
                else:
                    value = items
            else:
                if len(stack) >= MAX_EDN_DEPTH:  # the readers after this one (_plain, _freeze_key) recurse
                    raise InteropError(f"line {line}: nested more than {MAX_EDN_DEPTH} levels deep")
                stack.append(({"[": "]", "(": ")", "{": "}", "#{": "}"}[tok], ["#set"] if tok == "#{" else [], line))
                continue
        elif kind == "str":
            line += tok.count("\n")
            value = _string(tok)
        elif kind == "char":
            value = {"\\newline": "\n", "\\space": " ", "\\tab": "\t"}.get(tok, tok[1:])
        else:
            value = _atom(tok)
        if stack:
            stack[-1][1].append(value)
        else:
            values.append(value)
    if stack:
        raise InteropError(f"line {stack[-1][2]}: unclosed {stack[-1][0]!r} at end of input")
    return values


def loads_edn(text: str) -> Any:
    """One EDN value. Raises InteropError."""
    vals = loads_edn_all(text)
    if len(vals) != 1:
        raise InteropError(f"expected one EDN value, found {len(vals)}")
    return vals[0]


def dumps_edn(v: Any) -> str:
    """EDN text of a JSON-like value; dict keys that are ``Keyword`` print as keywords."""
    if v is None:
        return "nil"
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, Keyword):
        return ":" + v
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, (list, tuple)):
        return "[" + " ".join(dumps_edn(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{dumps_edn(k)} {dumps_edn(x)}" for k, x in v.items()) + "}"
    raise InteropError(f"cannot write {type(v).__name__} as EDN")


def _plain(v: Any) -> Any:
    """EDN value -> JSON-like value (keywords become strings, map keys strings)."""
    if isinstance(v, list):
        return [_plain(x) for x in v]
    if isinstance(v, dict):
        return {str(k) if not isinstance(k, tuple) else json.dumps(k): _plain(x) for k, x in v.items()}
    if isinstance(v, (Keyword, Symbol)):
        return str(v)
    return v


_OURS = {"read", "write", "cas", "append", "delete"}


def _is_tuple(f: str, value: Any) -> bool:
    return (isinstance(value, list) and len(value) == 2 and isinstance(value[0], (int, str))
            and not isinstance(value[0], bool)
            and (f != "cas" or value[1] is None or (isinstance(value[1], list) and len(value[1]) == 2)))


def ops_from_edn(records: Iterable[Any], independent: bool | None = None) -> list[Op]:
    """Jepsen op maps -> our events (checked: pairing, time order). Raises InteropError / HistoryError.

    ``independent=None`` decides per history: keyed iff every client op's value is a ``[k v]`` tuple.
    """
    records = list(records)
    if independent is None:
        client = [r for r in records if isinstance(r, dict) and isinstance(r.get(Keyword("process")), int)
                  and str(r.get(Keyword("f"))) in _OURS]
        independent = bool(client) and all(_is_tuple(str(r.get(Keyword("f"))), _plain(r.get(Keyword("value"))))
                                           for r in client)
    ops: list[Op] = []
    for n, rec in enumerate(records, 1):
        if not isinstance(rec, dict):
            raise InteropError(f"op {n}: expected a map, got {dumps_edn(_plain(rec))[:60]}")
        proc = rec.get(Keyword("process"))
        if not isinstance(proc, int) or isinstance(proc, bool):
            continue  # :nemesis and other non-client events
        try:
            typ = OpType(str(rec.get(Keyword("type"))))
        except ValueError:
            raise InteropError(f"op {n}: :type must be :invoke/:ok/:fail/:info") from None
        f = str(rec.get(Keyword("f")))
        value = _plain(rec.get(Keyword("value")))
        key = ""
        if independent and f in _OURS:
            key, value = str(value[0]), value[1]
        t = rec.get(Keyword("time"))
        err = rec.get(Keyword("error"))
        error = None if err is None else (str(err) if not isinstance(err, list) else json.dumps(_plain(err)))
        if typ is OpType.FAIL and f == "cas" and error is not None and "compare" in error.lower():
            error = "compare-failed"
        node = rec.get(Keyword("node"))
        ops.append(Op(process=proc, type=typ, f=f, key=key, value=value,
                      time=t if isinstance(t, int) and not isinstance(t, bool) else None,
                      node=None if node is None else str(node), error=error, lineno=n))
    check_ops(ops)
    return ops


def read_edn_history(path: Path | str, independent: bool | None = None) -> list[Op]:
    """A Jepsen ``history.edn`` (maps one per line, or one vector of them)."""
    vals = loads_edn_all(Path(path).read_text(encoding="utf-8"))
    if len(vals) == 1 and isinstance(vals[0], list):
        vals = vals[0]
    return ops_from_edn(vals, independent=independent)


def ops_to_edn(ops: Iterable[Op]) -> str:
    """Our events as Jepsen EDN, one map per line; a keyed op's value becomes ``[key value]``."""
    ops = list(ops)
    keyed = any(op.key for op in ops)
    lines = []
    for op in ops:
        value = [op.key, op.value] if keyed else op.value
        m: dict[Any, Any] = {Keyword("type"): Keyword(op.type.value), Keyword("f"): Keyword(op.f),
                             Keyword("value"): value, Keyword("process"): op.process}
        if op.time is not None:
            m[Keyword("time")] = op.time
        if op.error is not None:
            m[Keyword("error")] = op.error
        if op.node is not None:
            m[Keyword("node")] = op.node
        lines.append(dumps_edn(m) + "\n")
    return "".join(lines)


_PORCUPINE_OPS = {0: "read", 1: "write", 2: "append"}


def _pget(d: dict[str, Any], name: str) -> Any:
    return d[name] if name in d else d.get(name.lower())


def ops_from_porcupine(records: Any) -> list[Op]:
    """Porcupine kv operations (see the module rules) -> our events, ordered by time."""
    if not isinstance(records, list):
        raise InteropError("a porcupine history is a JSON array of operations")
    events: list[tuple[int, int, int, Op]] = []
    for n, rec in enumerate(records, 1):
        if not isinstance(rec, dict):
            raise InteropError(f"operation {n}: expected an object")
        try:
            client, call, ret = _pget(rec, "ClientId"), _pget(rec, "Call"), _pget(rec, "Return")
            inp, out = _pget(rec, "Input") or {}, _pget(rec, "Output") or {}
            if not isinstance(inp, dict) or not isinstance(out, dict):
                raise TypeError
            code = _pget(inp, "Op")
            f = _PORCUPINE_OPS[code]
        except (KeyError, TypeError, AttributeError):
            raise InteropError(f"operation {n}: needs ClientId, Call, Return and Input.Op in 0..2") from None
        if not all(isinstance(x, int) and not isinstance(x, bool) for x in (client, call, ret)) or ret < call:
            raise InteropError(f"operation {n}: ClientId/Call/Return must be ints with Call <= Return")
        key = str(_pget(inp, "Key") or "")
        if f == "read":
            got = _pget(out, "Value")
            inv_value, ok_value = None, (None if got in ("", None) else got)
        else:
            inv_value = ok_value = _pget(inp, "Value")
        events.append((call, 1, n, Op(process=client, type=OpType.INVOKE, f=f, key=key, value=inv_value,
                                       time=call)))
        events.append((ret, 0, n, Op(process=client, type=OpType.OK, f=f, key=key, value=ok_value, time=ret)))
    events.sort(key=lambda e: e[:3])  # at equal times a return precedes a call, as in porcupine
    ops = [Op(process=o.process, type=o.type, f=o.f, key=o.key, value=o.value, time=o.time, lineno=i)
           for i, (_, _, _, o) in enumerate(events, 1)]
    try:
        check_ops(ops)
    except HistoryError as e:
        raise InteropError(f"porcupine history: a client has overlapping operations ({e})") from None
    return ops


_PORCUPINE_FS = {"get": "read", "put": "write", "append": "append"}


def ops_from_porcupine_log(records: Iterable[Any]) -> list[Op]:
    """Porcupine's kv log (EDN maps with ``:f`` get/put/append and ``:key``) -> our events, in file order."""
    ops: list[Op] = []
    for n, rec in enumerate(records, 1):
        if not isinstance(rec, dict):
            raise InteropError(f"op {n}: expected a map")
        proc, typ, f = rec.get(Keyword("process")), str(rec.get(Keyword("type"))), str(rec.get(Keyword("f")))
        key, value = rec.get(Keyword("key")), rec.get(Keyword("value"))
        if not isinstance(proc, int) or isinstance(proc, bool) or typ not in ("invoke", "ok") \
                or f not in _PORCUPINE_FS or not isinstance(key, str) or not (value is None or isinstance(value, str)):
            raise InteropError(f"op {n}: expected :process int, :type :invoke/:ok, :f :get/:put/:append, "
                               f":key and :value strings")
        f = _PORCUPINE_FS[f]
        if f == "read":
            value = None if typ == "invoke" or value == "" else value
        ops.append(Op(process=proc, type=OpType(typ), f=f, key=key, value=value, lineno=n))
    check_ops(ops)
    return ops


def read_porcupine(path: Path | str) -> list[Op]:
    """Porcupine's kv operations as a JSON array, or its kv log (see the module rules)."""
    text = Path(path).read_text(encoding="utf-8")
    if not text.lstrip().startswith("["):
        return ops_from_porcupine_log(loads_edn_all(text))
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as e:
        raise InteropError(f"line {e.lineno}: not JSON ({e.msg})") from None
    except RecursionError:  # deeply nested arrays; not a ValueError
        raise InteropError("not JSON (nested too deeply)") from None
    return ops_from_porcupine(doc)


READERS: dict[str, Callable[[Path | str], list[Op]]] = {"edn": read_edn_history, "porcupine": read_porcupine}


def ops_to_porcupine(ops: Iterable[Op]) -> str:
    """Our events as porcupine kv operations (a JSON array; read/write/append only, as its kv model).

    A failed op never happened and is left out; an unanswered write or append may take effect until the
    end (its Return is after every other time); an unanswered read says nothing and is left out.
    Raises InteropError for an op porcupine's kv model lacks (cas, delete) or an event without a time.
    """
    from checkers.history import pair_ops

    ops = list(ops)
    if any(op.time is None for op in ops):
        raise InteropError("porcupine needs a time on every event")
    end = max((op.time or 0 for op in ops), default=0) + 1
    codes = {v: k for k, v in _PORCUPINE_OPS.items()}
    out = []
    for o in pair_ops(ops):
        if o.f not in codes:
            raise InteropError(f"porcupine's kv model has no {o.f!r} (history event {o.invoke_index + 1})")
        if o.type is OpType.FAIL or (o.type is OpType.INFO and o.f == "read"):
            continue
        value = "" if o.f == "read" or o.input is None else str(o.input)
        output = "" if o.output is None or o.f != "read" else str(o.output)
        out.append({"ClientId": o.process, "Input": {"Op": codes[o.f], "Key": o.key, "Value": value},
                    "Output": {"Value": output}, "Call": o.invoke_time,
                    "Return": end if o.complete_time is None else o.complete_time})
    return json.dumps(out, indent=0) + "\n"


WRITERS: dict[str, Callable[[Iterable[Op]], str]] = {"edn": ops_to_edn, "porcupine": ops_to_porcupine}

