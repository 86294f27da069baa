"""Trace records -> the state each server was in at every instant: the one truth the replay draws.

Rules:
- Pure: ``build_timeline(records, nodes)`` reads trace records (``sim.trace``'s vocabulary) and nothing else;
  the replay page only looks values up in what it returns, so "the drawn state equals the state the trace
  implies" is a property of this module alone (tests/reports/test_timeline.py, test_replay_browser.py).
- The state at instant ``t`` includes every record with ``record.t <= t`` (records at one instant apply in
  file order; only the last state of an instant is kept).
- Meaning of each field, from the records:
  role: ``become-*``; a restarted node is a follower. status: ``up``, ``down`` (``crash`` .. ``restart``),
  ``paused`` (``pause`` .. ``resume``), ``restarting`` (from ``restart`` until the node's first record at a
  later instant). term/vote: ``become-*``, ``hard-state``, ``vote``. commit: ``commit`` records; a restart's
  ``hard-state`` (``restored``) resets it to the durable value. applied: the last ``apply`` index (a restart
  starts again from the node's snapshot). last_index: ``append`` (an append at i replaces i..), ``snapshot``
  and ``restore``. snap_index: the compacted prefix (``snapshot``/``restore``).
- Timer: the election timer restarts on ``become-*``, a granted ``vote`` and the delivery of a leader's
  AppendEntries/Heartbeat/InstallSnapshot; the page draws the time since then against the base timeout.
- Cuts: ``partition`` and ``grudge`` replace the set of blocked directed links, ``block`` adds one,
  ``heal`` clears them.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field, replace
from typing import Any

__all__ = ["Message", "NodeState", "Timeline", "build_timeline"]

_LEADER_MSGS = frozenset({"AppendEntries", "Heartbeat", "InstallSnapshot"})
_TERM = re.compile(r"\bterm=(\d+)")


@dataclass(frozen=True, slots=True, kw_only=True)
class NodeState:
    """One server's state at an instant, as the trace implies it."""

    role: str = "follower"  # follower | pre-candidate | candidate | leader
    status: str = "up"  # up | down | paused | restarting
    term: int = 0
    vote: str | None = None
    leader: str | None = None
    commit: int = 0
    applied: int = 0
    last_index: int = 0
    snap_index: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class Message:
    """One server-to-server message: sent at ``send_ns``, delivered (or dropped) at ``end_ns``."""

    src: str
    dst: str
    type: str  # the message's own word: PreVote, RequestVote, AppendEntries, Heartbeat, ...
    term: int | None
    send_ns: int
    end_ns: int | None  # None: still in flight at the end of the run
    dropped: bool = False


@dataclass(kw_only=True)
class Timeline:
    """Per-node change points, log writes, timer resets, cuts and messages of one trace."""

    nodes: list[str]
    changes: dict[str, list[tuple[int, NodeState]]] = field(default_factory=dict)
    writes: dict[str, dict[int, list[tuple[int, int]]]] = field(default_factory=dict)  # node -> index -> [(t, term)]
    timer_resets: dict[str, list[int]] = field(default_factory=dict)
    cuts: list[tuple[int, tuple[tuple[str, str], ...]]] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)
    end_ns: int = 0

    def state_at(self, node: str, t: int) -> NodeState:
        """The state of ``node`` after every record at or before ``t``."""
        ch = self.changes.get(node, [])
        i = bisect.bisect_right(ch, t, key=lambda c: c[0]) - 1
        return ch[i][1] if i >= 0 else NodeState()

    def cut_at(self, t: int) -> tuple[tuple[str, str], ...]:
        i = bisect.bisect_right(self.cuts, t, key=lambda c: c[0]) - 1
        return self.cuts[i][1] if i >= 0 else ()

    def log_at(self, node: str, t: int) -> list[int | None]:
        """Terms of ``node``'s log entries 1..last_index at ``t`` (None: compacted into the snapshot)."""
        st = self.state_at(node, t)
        out: list[int | None] = []
        for i in range(1, st.last_index + 1):
            ws = self.writes.get(node, {}).get(i, [])
            k = bisect.bisect_right(ws, t, key=lambda w: w[0]) - 1
            out.append(None if i <= st.snap_index or k < 0 else ws[k][1])
        return out


def _int(v: Any) -> int | None:
    return v if isinstance(v, int) and not isinstance(v, bool) else None


def build_timeline(records: list[dict[str, Any]], nodes: list[str]) -> Timeline:
    """Fold trace records into a ``Timeline`` for the server ``nodes`` (other node ids are ignored).

    Contract: ``records`` in file order (``t`` non-decreasing), each with int ``t`` and str ``kind``.
    Malformed fields are skipped, never raised on.
    """
    tl = Timeline(nodes=list(nodes))
    servers = set(nodes)
    cur = {n: NodeState() for n in nodes}
    tl.changes = {n: [] for n in nodes}
    tl.writes = {n: {} for n in nodes}
    tl.timer_resets = {n: [] for n in nodes}
    restarted: dict[str, int] = {}  # node -> restart instant while "restarting"
    cut: set[tuple[str, str]] = set()
    inflight: dict[tuple[str, Any], int] = {}

    def put(node: str, t: int, st: NodeState) -> None:
        ch = tl.changes[node]
        if st == cur[node]:
            return
        cur[node] = st
        if ch and ch[-1][0] == t:
            ch[-1] = (t, st)
            if len(ch) > 1 and ch[-2][1] == st:
                ch.pop()
        else:
            ch.append((t, st))

    def reset_timer(node: str, t: int) -> None:
        rs = tl.timer_resets[node]
        if not rs or rs[-1] != t:
            rs.append(t)

    for rec in records:
        t, kind = rec["t"], rec["kind"]
        tl.end_ns = max(tl.end_ns, t)
        node = rec.get("node")
        if kind == "fault":
            name = rec.get("name")
            if name == "partition" and isinstance(rec.get("groups"), list):
                gs = [[str(n) for n in g] for g in rec["groups"] if isinstance(g, list)]
                cut = {(a, b) for i, g in enumerate(gs) for j, h in enumerate(gs) if i != j for a in g for b in h}
            elif name == "grudge" and isinstance(rec.get("blocked"), list):
                cut = {(str(p[0]), str(p[1])) for p in rec["blocked"] if isinstance(p, list) and len(p) == 2}
            elif name == "block":
                cut = cut | {(str(rec.get("src")), str(rec.get("dst")))}
            elif name == "heal":
                cut = set()
            else:
                continue
            frozen = tuple(sorted(cut))
            if tl.cuts and tl.cuts[-1][0] == t:
                tl.cuts[-1] = (t, frozen)
            elif not tl.cuts or tl.cuts[-1][1] != frozen:
                tl.cuts.append((t, frozen))
            continue
        if kind == "send" and node in servers and rec.get("dst") in servers:
            text = str(rec.get("msg") or "")
            words = text.split(" ")
            m = _TERM.search(text)
            tl.messages.append(Message(src=node, dst=str(rec["dst"]), type=words[1] if len(words) > 1 else str(rec.get("type")),
                                       term=int(m.group(1)) if m else None, send_ns=t, end_ns=None))
            inflight[(node, rec.get("id"))] = len(tl.messages) - 1
            continue
        if kind in ("deliver", "drop"):
            src = rec.get("src") if kind == "deliver" else node
            i = inflight.pop((src, rec.get("id")), None)
            if i is not None:
                tl.messages[i] = replace(tl.messages[i], end_ns=t, dropped=kind == "drop")
            if kind == "drop" or node not in servers:
                continue
            if rec.get("type") in _LEADER_MSGS and cur[node].role != "leader":
                reset_timer(node, t)
        if node not in servers:
            continue
        st = cur[node]
        if node in restarted and t > restarted[node] and kind != "restart":
            del restarted[node]
            if st.status == "restarting":
                st = replace(st, status="up")
        term = _int(rec.get("term"))
        if kind.startswith("become-"):
            role = kind[len("become-"):]
            st = replace(st, role=role, term=term if term is not None else st.term, leader=rec.get("leader"))
            reset_timer(node, t)
        elif kind == "hard-state":
            st = replace(st, term=term if term is not None else st.term, vote=rec.get("vote"))
            if rec.get("restored") and _int(rec.get("commit")) is not None:
                st = replace(st, commit=rec["commit"])
        elif kind == "vote":
            st = replace(st, term=term if term is not None else st.term, vote=rec.get("vote"))
            if rec.get("vote") is not None and rec.get("vote") != node:
                reset_timer(node, t)
        elif kind == "commit" and _int(rec.get("commit")) is not None:
            st = replace(st, commit=rec["commit"])
        elif kind == "apply" and _int(rec.get("index")) is not None:
            st = replace(st, applied=rec["index"])
        elif kind == "append" and isinstance(rec.get("entries"), list):
            last = st.last_index
            for e in rec["entries"]:
                if isinstance(e, list) and len(e) >= 2 and _int(e[0]) is not None and _int(e[1]) is not None:
                    tl.writes[node].setdefault(e[0], []).append((t, e[1]))
                    last = e[0]
            st = replace(st, last_index=last)
        elif kind in ("snapshot", "restore") and _int(rec.get("index")) is not None:
            idx = rec["index"]
            last = idx if kind == "restore" else max(st.last_index, idx)
            st = replace(st, snap_index=idx, last_index=last,
                         commit=max(st.commit, idx) if kind == "restore" else st.commit,
                         applied=max(st.applied, idx) if kind == "restore" else st.applied)
        elif kind == "crash":
            st = replace(st, status="down", role="follower", leader=None)
        elif kind == "restart":
            st = replace(st, status="restarting", role="follower", leader=None, applied=st.snap_index)
            restarted[node] = t
            reset_timer(node, t)
        elif kind == "pause":
            st = replace(st, status="paused")
        elif kind == "resume":
            st = replace(st, status="up")
        put(node, t, st)
    return tl
