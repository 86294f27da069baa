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

scenario layer (scenarios/):
  run         scenario, nodes (the first record after the header)
  phase       name ("recover": the nemesis healed everything)
  member-change   node, op ("add" | "remove"; the admin client asks the cluster)

The kinds are constants below (KIND_*), grouped by the layer that writes them; ``iter_records`` is the
one reader (filtered by kind on the raw text before parsing) for every consumer, and ``TraceWriter`` with
``node_line`` / ``send_line`` / ``deliver_line`` / ``drop_line`` the one writer for every producer.
kvraft/ writes its kinds as literals through its runtime's ``trace`` (it imports nothing of sim/).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from json.encoder import encode_basestring_ascii as _q
from pathlib import Path
from typing import Any

__all__ = [
    "FAULT_EFFECTS",
    "FORMAT_VERSION",
    "FaultEffect",
    "NEMESIS_KINDS",
    "NETWORK_KINDS",
    "RAFT_KINDS",
    "ROLE_KINDS",
    "TraceError",
    "TraceWriter",
    "canonical",
    "deliver_line",
    "drop_line",
    "fault_effect",
    "iter_records",
    "read_trace",
    "send_line",
    "trace_sha256",
]

FORMAT_VERSION = 1

# Record kinds (see the vocabulary above).
HEADER = "trace-header"
END = "trace-end"  # never in a file: iter_records(..., end=True) appends it with the last record's t
FAULT, CRASH, RESTART, PAUSE, RESUME, DISK_LOST, CLOCK, EVENT_LIMIT = (
    "fault", "crash", "restart", "pause", "resume", "disk-lost", "clock", "event-limit")
SEND, DELIVER, DROP, DUPLICATE = "send", "deliver", "drop", "duplicate"
BECOME_FOLLOWER, BECOME_PRE_CANDIDATE, BECOME_CANDIDATE, BECOME_LEADER = (
    "become-follower", "become-pre-candidate", "become-candidate", "become-leader")
VOTE, HARD_STATE, APPEND, COMMIT, APPLY, SNAPSHOT, RESTORE, CONF, READ_INDEX, DROP_MSG = (
    "vote", "hard-state", "append", "commit", "apply", "snapshot", "restore", "conf", "read-index", "drop-msg")
RUN, PHASE, MEMBER_CHANGE = "run", "phase", "member-change"
# How long a requested leadership transfer (``member-change`` op ``transfer``) may still take effect: the admin
# client's whole timeout, retries on other members included (liveness excuses the one deposal it causes).
TRANSFER_TIMEOUT_NS = 3_000_000_000

ROLE_KINDS = (BECOME_FOLLOWER, BECOME_PRE_CANDIDATE, BECOME_CANDIDATE, BECOME_LEADER)
NEMESIS_KINDS = frozenset({FAULT, PHASE, MEMBER_CHANGE, CLOCK, PAUSE, RESUME, CRASH, RESTART, DISK_LOST, RUN})
NETWORK_KINDS = frozenset({DELIVER, DROP, DUPLICATE})
RAFT_KINDS = frozenset({VOTE, HARD_STATE, APPEND, COMMIT, APPLY, SNAPSHOT, RESTORE, CONF, READ_INDEX, DROP_MSG,
                        *ROLE_KINDS})



@dataclass(frozen=True, slots=True)
class FaultEffect:
    """What a ``fault`` record (by its ``name``) opens or closes, for every reader of faults.

    ``span``: the interval it opens or closes: "partition" (any cut: partition, grudge, block), "crash",
    "pause", "link" (a link-faults setting: opens unless every setting is zero, and the catch-all zero
    setting clears every link), or None (an instant: clocks, disks). ``closes``: it ends ``span`` (heal,
    restart, resume). ``per_node``: the span belongs to the record's ``node``.
    """

    span: str | None = None
    closes: bool = False
    per_node: bool = False


# One row per sim/faults.py class (kebab-case name; tests/sim checks the two agree). Decision (issue 17):
# a grudge is a cut like a partition (it replaces the cut), for liveness and reports alike.
FAULT_EFFECTS: dict[str, FaultEffect] = {
    "partition": FaultEffect("partition"), "grudge": FaultEffect("partition"), "block": FaultEffect("partition"),
    "heal": FaultEffect("partition", closes=True),
    "crash": FaultEffect("crash", per_node=True), "restart": FaultEffect("crash", closes=True, per_node=True),
    "pause": FaultEffect("pause", per_node=True), "resume": FaultEffect("pause", closes=True, per_node=True),
    "link-faults": FaultEffect("link"),
    "clock-skew": FaultEffect(), "clock-drift": FaultEffect(), "clock-jump": FaultEffect(), "disk-faults": FaultEffect(),
}


def fault_effect(name: str) -> FaultEffect:
    """The FAULT_EFFECTS row of a fault name; an unknown name is an instant."""
    return FAULT_EFFECTS.get(name, _INSTANT)


_INSTANT = FaultEffect()

class TraceError(ValueError):
    """A trace file that cannot be read: says which line (``lineno``) and why."""

    def __init__(self, message: str, lineno: int = 0) -> None:
        super().__init__(message)
        self.lineno = lineno


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


_QUOTED: dict[str, str] = {}


def _quoted(s: str) -> str:
    """``_q(s)``, memoised for the few names every record repeats (node ids, message types, reasons); callers
    inline the hit as ``_QUOTED.get(s) or _quoted(s)`` (a quoted string is never empty)."""
    if len(_QUOTED) >= 4096:
        _QUOTED.clear()
    q = _QUOTED[s] = _q(s)
    return q


# Hand-rendered records below use f-strings on values whose types they checked (ints stay ints: the same text
# as canonical()), and the memoised quotes of names: about half the cost of %-formatting with fresh quotes.
def _fast_apply(t: int, node: str, f: dict[str, Any]) -> str | None:
    i, term, d = f.get("index"), f.get("term"), f.get("digest")
    if len(f) == 3 and type(i) is int and type(term) is int and type(d) is str:
        qn = _QUOTED.get(node) or _quoted(node)
        return f'{{"digest":{_q(d)},"index":{i},"kind":"apply","node":{qn},"t":{t},"term":{term}}}\n'
    return None


def _fast_commit(t: int, node: str, f: dict[str, Any]) -> str | None:
    c = f.get("commit")
    if len(f) == 1 and type(c) is int:
        return f'{{"commit":{c},"kind":"commit","node":{_QUOTED.get(node) or _quoted(node)},"t":{t}}}\n'
    return None


def _fast_hard_state(t: int, node: str, f: dict[str, Any]) -> str | None:
    term, vote, c, synced = f.get("term"), f.get("vote"), f.get("commit"), f.get("synced")
    if len(f) == 4 and type(term) is int and type(c) is int and type(synced) is bool \
            and (vote is None or type(vote) is str):
        qn = _QUOTED.get(node) or _quoted(node)
        qv = "null" if vote is None else _QUOTED.get(vote) or _quoted(vote)
        return (f'{{"commit":{c},"kind":"hard-state","node":{qn},"synced":{"true" if synced else "false"},'
                f'"t":{t},"term":{term},"vote":{qv}}}\n')
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
        parts.append(f"[{e[0]},{e[1]},{_q(e[2])}]")
    return f'{{"entries":[{",".join(parts)}],"kind":"append","node":{_QUOTED.get(node) or _quoted(node)},"t":{t}}}\n'


def _fast_read_index(t: int, node: str, f: dict[str, Any]) -> str | None:
    i, ctx = f.get("index"), f.get("ctx")
    if len(f) == 2 and type(i) is int and type(ctx) is str:
        qn = _QUOTED.get(node) or _quoted(node)
        return f'{{"ctx":{_q(ctx)},"index":{i},"kind":"read-index","node":{qn},"t":{t}}}\n'
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


def send_line(t: int, src: str, dst: str, mid: int, tname: str, text: str) -> str:
    """The ``send`` record (hot path, by hand: the same bytes as canonical()); ``t`` and ``mid`` are ints."""
    qd = _QUOTED.get(dst) or _quoted(dst)
    qs = _QUOTED.get(src) or _quoted(src)
    qt = _QUOTED.get(tname) or _quoted(tname)
    return f'{{"dst":{qd},"id":{mid},"kind":"send","msg":{_q(text)},"node":{qs},"t":{t},"type":{qt}}}\n'


def deliver_line(t: int, node: str, src: str, mid: int, tname: str) -> str:
    """The ``deliver`` record (hot path, by hand: the same bytes as canonical()); ``t`` and ``mid`` are ints."""
    qn = _QUOTED.get(node) or _quoted(node)
    qs = _QUOTED.get(src) or _quoted(src)
    qt = _QUOTED.get(tname) or _quoted(tname)
    return f'{{"id":{mid},"kind":"deliver","node":{qn},"src":{qs},"t":{t},"type":{qt}}}\n'


def drop_line(t: int, src: str, dst: str, mid: int, tname: str, reason: str) -> str:
    """The ``drop`` record (by hand: the same bytes as canonical()); ``t`` and ``mid`` are ints."""
    return '{"dst":%s,"id":%d,"kind":"drop","node":%s,"reason":%s,"t":%d,"type":%s}\n' % (
        _q(dst), mid, _q(src), _q(reason), t, _q(tname))


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


_FIRST_T = re.compile(r'"t":\s*(\d+)').search


def iter_records(lines: Iterable[str], kinds: Iterable[str] | None = None, *,
                 end: bool = False) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield ``(lineno, record)`` for each trace line (blank lines skipped), the one trace reader.

    Args:
        lines: the file's lines (an open file will do).
        kinds: only records of these kinds are parsed and yielded; the others are skipped by their raw text
            (``"kind":"x"``, spaces allowed), so filtering a 1e6-line trace costs one read.
        end: finally yield ``(0, {"kind": "trace-end", "t": <the largest t of any line>})``.
    Raises:
        TraceError naming the line: not JSON, or no int ``t`` / str ``kind``.

    Lines are decoded _BATCH at a time by one ``json.loads`` of them as a JSON array (about 2x faster than a
    call per line, as checkers/history.py does); a batch that fails, or whose count of values is not its count
    of lines, is decoded line by line instead, so what is yielded, and where it stops, is the same either way.
    """
    has = wanted = None
    if kinds is not None:
        wanted = frozenset(kinds)
        has = re.compile(r'"kind":\s*"(?:%s)"' % "|".join(re.escape(k) for k in sorted(wanted))).search
    last_t = 0
    batch: list[tuple[int, str]] = []
    for lineno, line in enumerate(lines, 1):
        text = line.strip()
        if not text:
            continue
        # A skipped line must still look whole: a truncated or garbled one is parsed, and so reported.
        if has is not None and not has(line) and text[0] == "{" and text[-1] == "}":
            if end:
                m = _FIRST_T(line)
                if m is not None:
                    last_t = max(last_t, int(m[1]))
            continue
        batch.append((lineno, line))
        if len(batch) >= _BATCH:
            for item in _decoded(batch):
                last_t = max(last_t, item[1]["t"])
                if wanted is None or item[1]["kind"] in wanted:
                    yield item
            batch = []
    for item in _decoded(batch):
        last_t = max(last_t, item[1]["t"])
        if wanted is None or item[1]["kind"] in wanted:
            yield item
    if end:
        yield 0, {"kind": END, "t": last_t}


_BATCH = 512


def _decoded(batch: list[tuple[int, str]]) -> Iterator[tuple[int, dict[str, Any]]]:
    """``(lineno, record)`` of each line in ``batch``, checked as iter_records says (see there)."""
    if not batch:
        return
    recs: Any = None
    try:
        recs = json.loads("[" + ",".join(line for _, line in batch) + "]")
    except (json.JSONDecodeError, RecursionError):
        pass  # bad JSON or deep nesting: line by line says which line
    if recs is None or len(recs) != len(batch):
        recs = None
    for k, (lineno, line) in enumerate(batch):
        if recs is not None:
            rec = recs[k]
        else:
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as e:
                raise TraceError(f"line {lineno}: not JSON ({e.msg})", lineno) from None
            except RecursionError:  # deeply nested arrays; not a ValueError
                raise TraceError(f"line {lineno}: not JSON (nested too deeply)", lineno) from None
        if not isinstance(rec, dict) or not isinstance(rec.get("kind"), str) or type(rec.get("t")) is not int:
            raise TraceError(f"line {lineno}: a trace record needs int 't' and str 'kind'", lineno)
        yield lineno, rec


def check_header(records: list[dict[str, Any]]) -> str | None:
    """Why the records' header does not match this reader's FORMAT_VERSION, or None."""
    if records and records[0].get("kind") == HEADER and records[0].get("format") != FORMAT_VERSION:
        return f"trace format {records[0].get('format')!r}, this reader knows {FORMAT_VERSION}"
    return None


def read_trace(path: Path | str, *, strict: bool = True) -> list[dict[str, Any]]:
    """Read a trace file into records.

    With ``strict=False`` a malformed line (e.g. a truncated tail) ends the read instead of raising,
    so reports and checkers can use what is there.
    Raises TraceError (strict) naming the line.
    """
    out: list[dict[str, Any]] = []
    with open(path, encoding="utf-8") as f:
        try:
            out.extend(rec for _, rec in iter_records(f))
        except TraceError:
            if strict:
                raise
    why = check_header(out)
    if why and strict:
        raise TraceError(f"line 1: {why}", 1)
    return out
