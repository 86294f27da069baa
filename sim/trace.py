"""The trace format (``trace.jsonl``): one canonical JSON object per line; its SHA-256 names a run.

Rules:
- Canonical JSON: ``sort_keys=True``, separators ``(",", ":")``, ASCII only, one record per line,
  ``\\n`` line ends. Same scenario + seed + code version => same bytes => same SHA-256.
- No wall-clock times, no machine paths, no object ids. ``t`` is the *true* virtual time in int ns.
- The first record is the header: ``{"kind": "trace-header", "format": FORMAT_VERSION, "t": 0, ...}``.
- Every record has ``t`` (int ns) and ``kind`` (str); most have ``node`` (str).

Event vocabulary (stable names; checkers and reports depend on them; add, never rename):

sim layer (sim/):
  fault       fault=<one-line str of the fault value>, name=<fault class, kebab-case>, plus its fields
  send        node=src, dst, id=<message seq>, type=<message class name>, msg=<one-line str>
  deliver     node=dst, src, id, type
  drop        node=src, dst, id, type, reason ("partition" | "loss" | "down" | "paused-crash")
  duplicate   node=src, dst, id, type
  crash       node, incarnation
  restart     node, incarnation
  pause / resume   node
  disk-lost   node, records (count of unsynced records lost at crash), torn (bool)
  clock       node, offset_ns, drift_ppm (after a skew/drift/jump)
  event-limit events (the run stopped here: World's max_events simulation events were processed)

raft layer (kvraft/server.py):
  become-follower / become-pre-candidate / become-candidate / become-leader
              node, term, leader (may be null)
  vote        node, term, vote (durable: written after fsync of the hard state)
  hard-state  node, term, vote, commit (durable)
  append      node, entries=[[index, term, digest], ...] (durable; an append at index i replaces i..)
  commit      node, commit (commit index known to the node; never decreases)
  apply       node, index, term, digest
  snapshot    node, index, term (taken locally; durable)
  restore     node, index, term (snapshot installed from the leader; durable)
  conf        node, index, voters=[...], learners=[...] (configuration in force)
  read-index  node, index, ctx (a ReadIndex read served)
  drop-msg    node, src, type, why (a stale/malformed message the core ignored)

kv layer (kvraft/):
  client-request / client-reply   node, client, id, method, path, status
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from json.encoder import encode_basestring_ascii as _q
from pathlib import Path
from typing import IO, Any

__all__ = [
    "FORMAT_VERSION",
    "TraceError",
    "TraceWriter",
    "canonical",
    "read_trace",
    "trace_sha256",
]

FORMAT_VERSION = 1


class TraceError(ValueError):
    """A trace file that cannot be read: says which line and why."""


def _not_serializable(o: Any) -> Any:
    raise TypeError(f"Object of type {o.__class__.__name__} is not JSON serializable")


try:
    from _json import make_encoder as _c_make_encoder
except ImportError:  # pragma: no cover - CPython always has _json
    _c_make_encoder = None

if _c_make_encoder is not None:
    # The C encoder json.dumps builds on every call, built once: same bytes, a fraction of the cost.
    # markers=None: records are plain trees (no circularity check needed).
    _encode = _c_make_encoder(None, _not_serializable, json.encoder.encode_basestring_ascii, None, ":", ",",
                              True, False, True)

    def canonical(record: dict[str, Any]) -> str:
        """Return the canonical one-line JSON text of ``record`` (no newline)."""
        return "".join(_encode(record, 0))
else:  # pragma: no cover
    def canonical(record: dict[str, Any]) -> str:
        """Return the canonical one-line JSON text of ``record`` (no newline)."""
        return json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def _fast_apply(t: int, node: str, f: dict[str, Any]) -> str | None:
    i, term, d = f.get("index"), f.get("term"), f.get("digest")
    if len(f) == 3 and type(i) is int and type(term) is int and type(d) is str:
        return '{"digest":%s,"index":%d,"kind":"apply","node":%s,"t":%d,"term":%d}\n' % (_q(d), i, _q(node), t, term)
    return None


def _fast_commit(t: int, node: str, f: dict[str, Any]) -> str | None:
    c = f.get("commit")
    if len(f) == 1 and type(c) is int:
        return '{"commit":%d,"kind":"commit","node":%s,"t":%d}\n' % (c, _q(node), t)
    return None


def _fast_hard_state(t: int, node: str, f: dict[str, Any]) -> str | None:
    term, vote, c, synced = f.get("term"), f.get("vote"), f.get("commit"), f.get("synced")
    if len(f) == 4 and type(term) is int and type(c) is int and type(synced) is bool \
            and (vote is None or type(vote) is str):
        return '{"commit":%d,"kind":"hard-state","node":%s,"synced":%s,"t":%d,"term":%d,"vote":%s}\n' % (
            c, _q(node), "true" if synced else "false", t, term, "null" if vote is None else _q(vote))
    return None


def _fast_append(t: int, node: str, f: dict[str, Any]) -> str | None:
    entries = f.get("entries")
    if len(f) != 1 or type(entries) is not list:
        return None
    parts = []
    for e in entries:
        if type(e) is not list or len(e) != 3 or type(e[0]) is not int or type(e[1]) is not int \
                or type(e[2]) is not str:
            return None
        parts.append("[%d,%d,%s]" % (e[0], e[1], _q(e[2])))
    return '{"entries":[%s],"kind":"append","node":%s,"t":%d}\n' % (",".join(parts), _q(node), t)


def _fast_read_index(t: int, node: str, f: dict[str, Any]) -> str | None:
    i, ctx = f.get("index"), f.get("ctx")
    if len(f) == 2 and type(i) is int and type(ctx) is str:
        return '{"ctx":%s,"index":%d,"kind":"read-index","node":%s,"t":%d}\n' % (_q(ctx), i, _q(node), t)
    return None


# The most frequent node records, rendered by hand (3x cheaper than the sorting encoder); each
# renderer checks the exact field set and types it knows and otherwise defers to canonical().
_FAST: dict[str, Callable[[int, str, dict[str, Any]], str | None]] = {
    "apply": _fast_apply, "commit": _fast_commit, "hard-state": _fast_hard_state, "append": _fast_append,
    "read-index": _fast_read_index,
}


def node_line(t: int, kind: str, node: str, fields: dict[str, Any]) -> str:
    """``canonical({"t": t, "kind": kind, "node": node, **fields}) + "\\n"`` (``fields`` may be consumed).

    ``fields`` must not hold "kind" or "node"; a "t" in it wins over ``t``.
    """
    fast = _FAST.get(kind)
    if fast is not None and type(t) is int and type(node) is str:
        line = fast(t, node, fields)
        if line is not None:
            return line
    if "t" not in fields:
        fields["t"] = t
    fields["kind"] = kind
    fields["node"] = node
    return canonical(fields) + "\n"


@dataclass
class TraceWriter:
    """Collects canonical trace lines and their running SHA-256.

    Lines are kept in memory (runs are small) and can be written with ``write_to``. The hash is fed
    in batches (SHA-256 of the concatenation does not depend on how it is chunked), so emitting a
    line is cheap and ``sha256`` is exact at any time.
    """

    keep_lines: bool = True
    lines: list[str] = field(default_factory=list)
    count: int = 0
    _hash: Any = field(default_factory=hashlib.sha256, repr=False)
    _pending: list[str] = field(default_factory=list, repr=False)
    _hashed: int = field(default=0, repr=False)  # keep_lines: lines[:_hashed] are in _hash

    def __post_init__(self) -> None:
        if self.keep_lines:
            # The kept lines are the hash's buffer too: emitting is one append (hashed on demand).
            self.emit_line = self._emit_kept  # type: ignore[method-assign]

    def header(self, **fields: Any) -> None:
        self.emit({"kind": "trace-header", "format": FORMAT_VERSION, "t": 0, **fields})

    def emit(self, record: dict[str, Any]) -> None:
        """Append one record (must hold ``t`` and ``kind``)."""
        self.emit_line(canonical(record) + "\n")

    def emit_line(self, line: str) -> None:
        """Append one pre-rendered record: ``canonical(record) + "\\n"`` exactly (the hot path)."""
        self.count += 1
        pending = self._pending
        pending.append(line)
        if len(pending) >= 2048:
            self._flush()

    def _emit_kept(self, line: str) -> None:
        self.count += 1
        self.lines.append(line)

    def _flush(self) -> None:
        if self.keep_lines:
            lines, start = self.lines, self._hashed
            for lo in range(start, len(lines), 2048):
                self._hash.update("".join(lines[lo:lo + 2048]).encode("ascii"))
            self._hashed = len(lines)
        elif self._pending:
            self._hash.update("".join(self._pending).encode("ascii"))
            self._pending.clear()

    @property
    def sha256(self) -> str:
        self._flush()
        return self._hash.hexdigest()

    def write_to(self, path: Path | str) -> None:
        with open(path, "w", encoding="ascii", newline="\n") as f:
            f.writelines(self.lines)


def trace_sha256(path: Path | str) -> str:
    """SHA-256 of a trace file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _iter_lines(src: IO[str]) -> Iterator[tuple[int, dict[str, Any]]]:
    for lineno, line in enumerate(src, 1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as e:
            raise TraceError(f"line {lineno}: not JSON: {e.msg}") from None
        except RecursionError:  # deeply nested arrays; not a ValueError
            raise TraceError(f"line {lineno}: not JSON: nested too deeply") from None
        if not isinstance(rec, dict) or not isinstance(rec.get("kind"), str) or not isinstance(rec.get("t"), int):
            raise TraceError(f"line {lineno}: a trace record needs int 't' and str 'kind'")
        yield lineno, rec


def read_trace(path: Path | str, *, strict: bool = True) -> list[dict[str, Any]]:
    """Read a trace file into records.

    With ``strict=False`` a malformed line (e.g. a truncated tail) ends the read instead of raising,
    so reports and checkers can use what is there.
    Raises TraceError (strict) naming the line.
    """
    out: list[dict[str, Any]] = []
    with open(path, encoding="utf-8") as f:
        it = _iter_lines(f)
        while True:
            try:
                _, rec = next(it)
            except StopIteration:
                break
            except TraceError:
                if strict:
                    raise
                break
            out.append(rec)
    if out and out[0].get("kind") == "trace-header" and out[0].get("format") != FORMAT_VERSION and strict:
        raise TraceError(f"line 1: trace format {out[0].get('format')!r}, this reader knows {FORMAT_VERSION}")
    return out
