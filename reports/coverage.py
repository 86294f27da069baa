"""Behaviour coverage of run directories: which API and protocol paths a run (or a sweep) exercised, how often.

Rules:
- Read only from the files a run writes (trace.jsonl through ``sim.trace.iter_records``, run.json); nothing
  is re-run, and no new trace field is needed: client requests and replies, Raft messages, drops, snapshots,
  restores, read-index, conf and member-change records are all in the trace already.
- ``ROWS`` lists every row, in (area, behaviour) order; a row no run reached is a gap and is printed as one,
  except the rows of ``UNREACHABLE``: answers kvraft gives only outside a simulation, or never (each with
  the reason), printed as such and counted apart.
- A sweep directory is every ``seed-*`` run directory under it (sweep with ``--keep all``; a message-less
  trace -- ``--trace-messages none`` or an ok seed under the default -- covers only the non-message rows, and
  is counted and named).
- Dedupe hits are not traced by a member: the row counts a write retried under the same (client, seq), which
  is what the member's dedupe is for. A lease read is a confirmed ReadIndex (``read-index``) in a run whose
  run.json says ``read_only=lease``.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import parse_qsl

from checkers.rundir import RunDirError, RunFiles
from sim.trace import TraceError, iter_records

__all__ = ["ROWS", "UNREACHABLE", "CoverageError", "collect", "format_table", "run_dirs"]


class CoverageError(Exception):
    """A path that is neither a run directory nor a sweep of them (one line)."""


_STORE = [("GET", o) for o in ("plain", "quorum", "recursive", "sorted", "wait", "waitIndex", "stream", "hidden")]
_STORE += [("PUT", o) for o in ("plain", "prevValue", "prevIndex", "prevExist", "dir", "ttl", "refresh", "hidden")]
_STORE += [("POST", o) for o in ("in-order", "ttl")]
_STORE += [("DELETE", o) for o in ("plain", "prevValue", "prevIndex", "dir", "recursive")]
# etcd v2 error codes a client can be answered with (kvraft/store/errors.py; reports do not import kvraft).
_ERRORS = (100, 101, 102, 104, 105, 107, 108, 201, 202, 203, 209, 210, 211, 212, 300, 400, 401)
_RAFT = ("RequestVote", "RequestVoteReply", "PreVote", "PreVoteReply", "AppendEntries", "AppendEntriesReply",
         "Heartbeat", "HeartbeatReply", "InstallSnapshot", "InstallSnapshotReply", "TimeoutNow", "ReadIndex",
         "ReadIndexReply", "Propose")
_REJECT = ("RequestVoteReply rejected", "PreVoteReply rejected", "AppendEntriesReply reject")

ROWS: tuple[tuple[str, str], ...] = (
    *[("store", f"{m} {o}") for m, o in _STORE],
    *[("etcd error", str(c)) for c in _ERRORS],
    *[("raft message", t) for t in _RAFT],
    *[("raft rejection", r) for r in _REJECT],
    ("raft", "message dropped by the receiver (any reason)"),
    ("snapshot", "taken (compaction)"), ("snapshot", "sent (InstallSnapshot)"), ("snapshot", "installed (restore)"),
    ("read", "ReadIndex confirmed (read-index)"), ("read", "ReadIndex forwarded by a follower"),
    ("read", "lease read"), ("read", "local (serializable) GET"),
    ("leader", "transfer (TimeoutNow)"), ("leader", "elected"),
    ("membership", "add"), ("membership", "remove"), ("membership", "conf applied"),
    ("client", "retry (same op resent)"), ("client", "redirect (same op to another member)"),
    ("client", "write retried: dedupe candidate"), ("client", "no leader: retry status 0"),
    ("watch", "resume (waitIndex)"), ("watch", "401 event index cleared"),
)

UNREACHABLE: dict[tuple[str, str], str] = {
    ("etcd error", "210"): "only the real HTTP server answers it (a form body over its limit); a simulated "
                           "client sends its parameters as a mapping",
    ("etcd error", "400"): "no answer carries it: a watcher a snapshot install drops gets its response "
                           "ended (empty body, the client re-watches), as etcd's v2 handler ends it",
}

_REQ = re.compile(r"^(\S+)->(\S+) (GET|PUT|POST|DELETE) (\S+?)(?:\?(\S*))? #(\S+)$")
_REPLY = re.compile(r"^\S+->\S+ reply #\d+ (\d+) ?(.*)$")
_CODE = re.compile(r'"errorCode":\s*(\d+)')


def run_dirs(root: Path) -> list[Path]:
    """``root`` itself if it is a run directory, else the run directories under it (a sweep)."""
    if (root / "run.json").is_file():
        return [root]
    if not root.is_dir():
        raise CoverageError(f"{root}: not a run directory or a sweep directory")
    found = sorted((p for p in root.iterdir() if (p / "run.json").is_file()), key=lambda p: p.name)
    if not found:
        raise CoverageError(f"{root}: no run directories in it (sweep with --keep all to keep every seed)")
    return found


def _store_rows(method: str, path: str, query: str) -> list[str]:
    q = dict(parse_qsl(query or "", keep_blank_values=True))
    hidden = any(part.startswith("_") for part in path.split("/"))
    if method == "POST":
        rows = ["in-order"] + (["ttl"] if "ttl" in q else [])
    elif method == "GET":
        rows = [o for o in ("recursive", "sorted", "wait", "waitIndex", "stream") if q.get(o, "") not in ("", "false")]
        rows += ["quorum"] if q.get("quorum") == "true" else []
    else:
        rows = [o for o in ("prevValue", "prevIndex", "prevExist", "dir", "recursive", "ttl", "refresh") if o in q]
    rows = (rows or ["plain"]) + (["hidden"] if hidden else [])
    return [f"{method} {r}" for r in rows]


def _one(run: RunFiles, got: Counter[tuple[str, str]]) -> bool:
    """Add one run's rows to ``got``; returns whether its trace has message records."""
    seen_ops: dict[str, list[str]] = {}  # "client/seq" -> the members it was sent to, in order
    writes: set[str] = set()
    messages = False
    lease = (run.meta().get("params") or {}).get("read_only") == "lease"
    with open(run.trace, encoding="utf-8") as f:
        for _, r in iter_records(f, kinds=("send", "drop-msg", "snapshot", "restore", "read-index", "conf",
                                             "member-change", "become-leader")):
            kind = r["kind"]
            if kind != "send":
                if kind == "drop-msg":
                    got["raft", "message dropped by the receiver (any reason)"] += 1
                    got["raft drop", str(r.get("why", ""))] += 1
                elif kind == "snapshot":
                    got["snapshot", "taken (compaction)"] += 1
                elif kind == "restore":
                    got["snapshot", "installed (restore)"] += 1
                elif kind == "read-index":
                    got["read", "lease read" if lease else "ReadIndex confirmed (read-index)"] += 1
                elif kind == "conf":
                    got["membership", "conf applied"] += 1
                elif kind == "member-change":
                    got["membership", str(r.get("op"))] += 1
                else:
                    got["leader", "elected"] += 1
                continue
            messages = True
            typ, msg = r.get("type", ""), str(r.get("msg", ""))
            text = msg.split(" ", 1)[1] if " " in msg else msg
            if typ == "ClientRequest":
                m = _REQ.match(msg)
                if not m:
                    continue
                _, dst, method, path, query, op = m.groups()
                for row in _store_rows(method, path, query or ""):
                    got["store", row] += 1
                if method == "GET":
                    q = dict(parse_qsl(query or "", keep_blank_values=True))
                    if q.get("quorum") != "true" and not q.get("wait"):
                        got["read", "local (serializable) GET"] += 1
                    if q.get("waitIndex"):
                        got["watch", "resume (waitIndex)"] += 1
                else:
                    writes.add(op)
                sent = seen_ops.setdefault(op, [])
                if sent:
                    got["client", "retry (same op resent)"] += 1
                    if sent[-1] != dst:
                        got["client", "redirect (same op to another member)"] += 1
                    if op in writes:
                        got["client", "write retried: dedupe candidate"] += 1
                sent.append(dst)
            elif typ == "ClientReply":
                m = _REPLY.match(msg)
                if m:
                    if m.group(1) == "0":
                        got["client", "no leader: retry status 0"] += 1
                    c = _CODE.search(m.group(2))
                    if c:
                        got["etcd error", c.group(1)] += 1
                        if c.group(1) == "401":
                            got["watch", "401 event index cleared"] += 1
            elif typ != "AdminRequest":  # a Raft message: its text names it (a PreVote travels as RequestVote)
                name = text.split(" ", 1)[0]
                got["raft message", name] += 1
                if name == "InstallSnapshot":
                    got["snapshot", "sent (InstallSnapshot)"] += 1
                elif name == "TimeoutNow":
                    got["leader", "transfer (TimeoutNow)"] += 1
                elif name == "ReadIndex":
                    got["read", "ReadIndex forwarded by a follower"] += 1
                if name.endswith("VoteReply") and " rejected" in text:
                    got["raft rejection", f"{name} rejected"] += 1
                elif name == "AppendEntriesReply" and " reject " in text:
                    got["raft rejection", "AppendEntriesReply reject"] += 1
    return messages


def collect(dirs: Iterable[Path]) -> tuple[Counter[tuple[str, str]], Counter[tuple[str, str]], list[str]]:
    """(row -> count, row -> runs that reached it, runs without message records) over ``dirs``."""
    total: Counter[tuple[str, str]] = Counter()
    runs: Counter[tuple[str, str]] = Counter()
    quiet: list[str] = []
    for d in dirs:
        got: Counter[tuple[str, str]] = Counter()
        try:
            if not _one(RunFiles(d), got):
                quiet.append(d.name)
        except (OSError, RunDirError, TraceError) as e:
            raise CoverageError(f"{d}: {e}") from None
        total.update(got)
        runs.update({k: 1 for k in got})
    return total, runs, quiet


def format_table(total: Counter[tuple[str, str]], runs: Counter[tuple[str, str]], n_runs: int,
                 quiet: list[str]) -> tuple[str, list[tuple[str, str]]]:
    """The printed table (declared rows first, then any extra row seen, e.g. each drop reason) and the gaps."""
    extra = sorted(k for k in total if k not in ROWS)
    lines = [f"{'area':<15} {'behaviour':<46} {'count':>9} {'runs':>5}"]
    gaps = []
    unreachable = []
    for row in [*ROWS, *extra]:
        n = total.get(row, 0)
        mark = ""
        if n == 0 and row in UNREACHABLE:
            unreachable.append(row)
            mark = "  n/a in simulation"
        elif n == 0:
            gaps.append(row)
            mark = "  GAP"
        lines.append(f"{row[0]:<15} {row[1][:46]:<46} {n:>9} {runs.get(row, 0):>5}" + mark)
    reachable = len(ROWS) - len(unreachable)
    lines.append(f"{n_runs} run(s); {reachable - len(gaps)}/{reachable} reachable rows reached; gaps: "
                 + (", ".join(f"{a}: {b}" for a, b in gaps) or "none"))
    for row in unreachable:
        lines.append(f"not reachable in simulation: {row[0]} {row[1]}: {UNREACHABLE[row]}")
    if quiet:
        lines.append(f"{len(quiet)} run(s) have no message records (message rows not counted there): "
                     + ", ".join(quiet[:8]) + (" ..." if len(quiet) > 8 else ""))
    return "\n".join(lines), gaps
