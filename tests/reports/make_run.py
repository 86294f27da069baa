"""Write a realistic synthetic run directory for the report tests (and for looking at reports by hand).

Rules:
- Not a Raft implementation to trust: a small scripted discrete-event story told in the exact file
  formats (run.json via checkers.rundir, history.jsonl via checkers.history, trace.jsonl via sim.trace,
  result.json via checkers.result), so reports can be built before the real runner exists.
- Deterministic: the same arguments give the same bytes (one ``random.Random(seed)``, a heap ordered by
  ``(t, seq)``, no wall clock).
- The story: an election at the start; the leader isolated by a partition (it stays leader of a minority,
  the majority elects a new leader; clients of the old leader time out as ``info``); heal (the old leader
  steps down); a crash of the leader, a new election and a restart; a pause/resume of a follower.
  Heartbeats and log replication are real enough: AppendEntries with prev/commit/entries, replies,
  drops at partitions and at down nodes, commits and applies on every node.
- ``failing=True`` (duration >= 2 s) lets a leader serve reads from local state (bug B07): the isolated old leader answers
  stale reads, and result.json carries a linearizability counterexample in checkers/linearizable.py's shape
  ``{"key", "op", "window": [ops], "partial_linearizations": [{"state", "tail", ...}], "states_before"}``.

Usage: ``python tests/reports/make_run.py OUT_DIR [--seed N] [--nodes N] [--duration-ms N] [--failing]``.
"""

from __future__ import annotations

import argparse
import hashlib
import heapq
import random
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from checkers.history import HistoryWriter, OpType, pair_ops, read_history
from checkers.result import CheckResult, Verdict, write_result
from checkers.rundir import write_run_json
from sim.trace import TraceWriter

MS = 1_000_000


@dataclass
class _Node:
    id: str
    role: str = "follower"
    term: int = 1
    vote: str | None = None
    leader: str | None = None
    log: list[tuple[int, str, dict[str, Any]]] = field(default_factory=list)  # (term, digest, cmd)
    commit: int = 0
    applied: int = 0
    kv: dict[str, Any] = field(default_factory=dict)
    up: bool = True
    paused: bool = False
    incarnation: int = 1
    next_index: dict[str, int] = field(default_factory=dict)
    match: dict[str, int] = field(default_factory=dict)
    votes: set[str] = field(default_factory=set)


class _Story:
    def __init__(self, *, seed: int, nodes: int, duration_ns: int, clients: int, failing: bool) -> None:
        self.rng = random.Random(seed)
        self.duration_ns = duration_ns
        self.failing = failing
        self.ids = [f"n{i}" for i in range(1, nodes + 1)]
        self.n = {i: _Node(id=i) for i in self.ids}
        self.groups: list[set[str]] | None = None
        self.heap: list[tuple[int, int, Callable[[], None]]] = []
        self.seq = 0
        self.now = 0
        self.trace: list[tuple[int, int, dict[str, Any]]] = []
        self.hist: list[tuple[int, int, str, dict[str, Any]]] = []
        self.msg_id = 0
        self.next_process = clients
        self.sticky: int | None = 0  # the process lineage that keeps talking to the first leader
        self.waiting: dict[tuple[str, int], tuple[int, int]] = {}  # (leader, index) -> (process, op seq)
        self.open_ops: dict[int, dict[str, Any]] = {}
        self.clients = clients
        self.think_ns = 7 * MS
        self.timeout_ns = min(500 * MS, max(50 * MS, duration_ns // 25))  # clients give up well inside a fault

    # ---- plumbing ---------------------------------------------------------------------------
    def at(self, t: int, fn: Callable[[], None]) -> None:
        self.seq += 1
        heapq.heappush(self.heap, (t, self.seq, fn))

    def emit(self, kind: str, **f: Any) -> None:
        self.seq += 1
        self.trace.append((self.now, self.seq, {"t": self.now, "kind": kind, **f}))

    def run(self) -> None:
        while self.heap:
            t, _, fn = heapq.heappop(self.heap)
            if t > self.duration_ns:
                break
            self.now = t
            fn()

    def connected(self, a: str, b: str) -> bool:
        if self.groups is None:
            return True
        return any(a in g and b in g for g in self.groups)

    def lat(self) -> int:
        return int(self.rng.uniform(0.4, 2.5) * MS)

    def send(self, src: str, dst: str, typ: str, text: str, handler: Callable[[], None]) -> None:
        self.msg_id += 1
        mid = self.msg_id
        self.emit("send", node=src, dst=dst, id=mid, type=typ, msg=f"{src}->{dst} {typ} {text}")
        if not self.connected(src, dst):
            self.emit("drop", node=src, dst=dst, id=mid, type=typ, reason="partition")
            return
        if self.rng.random() < 0.003:
            self.emit("drop", node=src, dst=dst, id=mid, type=typ, reason="loss")
            return

        def arrive() -> None:
            d = self.n[dst]
            if not d.up:
                self.emit("drop", node=src, dst=dst, id=mid, type=typ, reason="down")
            elif d.paused:
                self.at(self.now + 5 * MS, arrive)
            elif not self.connected(src, dst):
                self.emit("drop", node=src, dst=dst, id=mid, type=typ, reason="partition")
            else:
                self.emit("deliver", node=dst, src=src, id=mid, type=typ)
                handler()

        self.at(self.now + self.lat(), arrive)

    def become(self, node: _Node, role: str, term: int, leader: str | None) -> None:
        node.role, node.term, node.leader = role, term, leader
        self.emit(f"become-{role}", node=node.id, term=term, leader=leader)

    def quorum(self) -> int:
        return len(self.ids) // 2 + 1

    # ---- elections ----------------------------------------------------------------------------
    def campaign(self, cid: str) -> None:
        c = self.n[cid]
        if not c.up or c.paused or c.role == "leader":
            return
        c.vote, c.votes = cid, {cid}
        self.become(c, "candidate", c.term + 1, None)
        self.emit("vote", node=cid, term=c.term, vote=cid)
        last = (len(c.log), c.log[-1][0] if c.log else 0)
        for p in self.ids:
            if p != cid:
                self.send(cid, p, "RequestVote", f"term={c.term} last={last[1]}/{last[0]}",
                          lambda p=p, term=c.term, last=last: self.on_request_vote(p, cid, term, last))
        self.at(self.now + 300 * MS, lambda term=c.term: self.retry_election(cid, term))

    def retry_election(self, cid: str, term: int) -> None:
        c = self.n[cid]
        if c.role == "candidate" and c.term == term:
            group = next((sorted(g) for g in self.groups or [] if cid in g), self.ids)
            self.campaign_best(group)

    def campaign_best(self, group: list[str]) -> None:
        """Campaign with the most up-to-date live node of ``group`` (as a randomised timeout would, eventually)."""
        live = [i for i in group if self.n[i].up and not self.n[i].paused]
        if live:
            self.campaign(max(live, key=lambda i: ((self.n[i].log[-1][0] if self.n[i].log else 0), len(self.n[i].log))))

    def on_request_vote(self, vid: str, cid: str, term: int, last: tuple[int, int]) -> None:
        v = self.n[vid]
        if term > v.term:
            v.vote = None
            self.become(v, "follower", term, None)
        mine = (v.log[-1][0] if v.log else 0, len(v.log))
        granted = term == v.term and v.vote in (None, cid) and (last[1], last[0]) >= mine
        if granted and v.vote is None:
            v.vote = cid
            self.emit("vote", node=vid, term=term, vote=cid)
        self.send(vid, cid, "RequestVoteReply", f"term={v.term} granted={str(granted).lower()}",
                  lambda: self.on_vote_reply(cid, vid, v.term, granted))

    def on_vote_reply(self, cid: str, vid: str, term: int, granted: bool) -> None:
        c = self.n[cid]
        if term > c.term:
            self.become(c, "follower", term, None)
            return
        if c.role != "candidate" or term != c.term or not granted:
            return
        c.votes.add(vid)
        if len(c.votes) >= self.quorum():
            self.become(c, "leader", c.term, cid)
            c.next_index = {p: len(c.log) + 1 for p in self.ids}
            c.match = {p: 0 for p in self.ids}
            c.match[cid] = len(c.log)
            self.append_local(c, {"op": "noop"})
            self.heartbeat(cid, c.term)

    # ---- replication ---------------------------------------------------------------------------
    def append_local(self, c: _Node, cmd: dict[str, Any]) -> int:
        digest = hashlib.sha256(repr((c.term, len(c.log), sorted(cmd.items()))).encode()).hexdigest()[:8]
        c.log.append((c.term, digest, cmd))
        idx = len(c.log)
        c.match[c.id] = idx
        self.emit("append", node=c.id, entries=[[idx, c.term, digest]])
        return idx

    def heartbeat(self, lid: str, term: int) -> None:
        c = self.n[lid]
        if c.role != "leader" or c.term != term or not c.up:
            return
        if not c.paused:
            for p in self.ids:
                if p != lid:
                    self.replicate(c, p)
        self.at(self.now + 50 * MS, lambda: self.heartbeat(lid, term))

    def replicate(self, c: _Node, p: str) -> None:
        nxt = max(1, c.next_index.get(p, len(c.log) + 1))
        prev = nxt - 1
        prev_term = c.log[prev - 1][0] if prev >= 1 else 0
        entries = c.log[prev:][:20]
        ents = " ".join(f"{t}/{prev + 1 + i}" for i, (t, _, _) in enumerate(entries))
        text = f"term={c.term} prev={prev_term}/{prev} commit={c.commit} entries=[{ents}]"
        payload = list(entries)
        self.send(c.id, p, "AppendEntries", text,
                  lambda: self.on_append(p, c.id, c.term, prev, prev_term, payload, c.commit))

    def on_append(self, fid: str, lid: str, term: int, prev: int, prev_term: int,
                  entries: list[tuple[int, str, dict[str, Any]]], commit: int) -> None:
        f = self.n[fid]
        if term < f.term:
            self.send(fid, lid, "AppendEntriesReply", f"term={f.term} index={prev} reject=true",
                      lambda: self.on_append_reply(lid, fid, f.term, prev, True))
            return
        if term > f.term or f.role != "follower" or f.leader != lid:
            if term > f.term:
                f.vote = None
            self.become(f, "follower", term, lid)
        ok = prev == 0 or (len(f.log) >= prev and f.log[prev - 1][0] == prev_term)
        if not ok:
            hint = min(prev - 1, len(f.log))  # accelerated back-off: the leader retries from here
            self.send(fid, lid, "AppendEntriesReply", f"term={f.term} index={hint} reject=true",
                      lambda: self.on_append_reply(lid, fid, f.term, hint, True))
            return
        changed = [(prev + 1 + i, e) for i, e in enumerate(entries)
                   if len(f.log) < prev + 1 + i or f.log[prev + i][1] != e[1]]
        if changed:
            first = changed[0][0]
            del f.log[first - 1:]
            f.log.extend(e for _, e in changed)
            self.emit("append", node=fid, entries=[[i, e[0], e[1]] for i, e in changed])
        last_new = prev + len(entries)
        self.advance_commit(f, min(commit, last_new))
        self.send(fid, lid, "AppendEntriesReply", f"term={f.term} index={last_new} reject=false",
                  lambda: self.on_append_reply(lid, fid, f.term, last_new, False))

    def on_append_reply(self, lid: str, fid: str, term: int, index: int, reject: bool) -> None:
        c = self.n[lid]
        if term > c.term:
            c.vote = None
            self.become(c, "follower", term, None)
            return
        if c.role != "leader" or term != c.term:
            return
        if reject:
            c.next_index[fid] = max(1, min(c.next_index.get(fid, 1) - 1, index + 1))
            return
        c.match[fid] = max(c.match.get(fid, 0), index)
        c.next_index[fid] = c.match[fid] + 1
        acked = sorted(c.match.values(), reverse=True)
        n = acked[self.quorum() - 1]
        if n > c.commit and c.log[n - 1][0] == c.term:  # §5.4.2: count replicas only for current-term entries
            self.advance_commit(c, n)

    def advance_commit(self, node: _Node, commit: int) -> None:
        if commit <= node.commit:
            return
        node.commit = commit
        self.emit("commit", node=node.id, commit=commit)
        while node.applied < node.commit:
            node.applied += 1
            term, digest, cmd = node.log[node.applied - 1]
            self.emit("apply", node=node.id, index=node.applied, term=term, digest=digest)
            result = self.apply(node.kv, cmd)
            key = (node.id, node.applied)
            if node.role == "leader" and key in self.waiting:
                proc, opseq = self.waiting.pop(key)
                self.at(self.now + MS // 2, lambda proc=proc, opseq=opseq, r=result: self.reply(proc, opseq, *r, node.id))

    @staticmethod
    def apply(kv: dict[str, Any], cmd: dict[str, Any]) -> tuple[str, Any, str | None]:
        op, key = cmd.get("op"), cmd.get("key", "")
        if op == "write":
            kv[key] = cmd["value"]
            return "ok", cmd["value"], None
        if op == "read":
            return "ok", kv.get(key), None
        if op == "cas":
            old, new = cmd["value"]
            if kv.get(key) == old:
                kv[key] = new
                return "ok", [old, new], None
            return "fail", None, "compare-failed"
        return "ok", None, None

    # ---- clients --------------------------------------------------------------------------------
    def leader_for(self, process: int) -> str | None:
        if process == self.sticky and self.groups is not None:
            return self.ids[0]
        best = None
        for i in self.ids:
            nd = self.n[i]
            if nd.role == "leader" and nd.up and (best is None or nd.term > self.n[best].term):
                best = i
        return best

    def client_step(self, process: int) -> None:
        node = self.leader_for(process)
        key = self.rng.choice(["x", "y"])
        in_partition = self.groups is not None
        r = self.rng.random()
        if self.failing and process == self.sticky and in_partition:
            f, value = "read", None
            key = "x"
        elif r < 0.45:
            f, value = "read", None
        elif r < 0.85:
            f, value = "write", self.rng.randrange(100)
        else:
            f, value = "cas", [self.rng.randrange(100), self.rng.randrange(100)]
        self.seq += 1
        opseq = self.seq
        self.open_ops[process] = {"seq": opseq}
        self.hist.append((self.now, self.seq, "invoke", {"process": process, "f": f, "key": key, "value": value, "node": node}))
        self.at(self.now + self.timeout_ns, lambda: self.reply(process, opseq, "info", None, "timeout", node))
        nd = self.n[node] if node else None
        if nd is None or nd.role != "leader":
            self.at(self.now + 2 * MS, lambda: self.reply(process, opseq, "fail", None, "not-leader", node))
            return
        if not nd.up or nd.paused:
            return  # the timeout answers
        self.emit("client-request", node=node, client=process, id=opseq, method="GET" if f == "read" else "PUT",
                  path=f"/v2/keys/{key}", status=0)
        if f == "read" and self.failing:  # B07: serve reads from local state
            self.at(self.now + MS, lambda v=nd.kv.get(key): self.reply(process, opseq, "ok", v, None, node))
            return
        idx = self.append_local(nd, {"op": f, "key": key, "value": value})
        self.waiting[(node, idx)] = (process, opseq)
        for p in self.ids:  # replicate at once rather than on the next heartbeat
            if p != node:
                self.replicate(nd, p)

    def reply(self, process: int, opseq: int, typ: str, value: Any, error: str | None, node: str | None) -> None:
        cur = self.open_ops.get(process)
        if cur is None or cur["seq"] != opseq:
            return
        del self.open_ops[process]
        self.seq += 1
        rec: dict[str, Any] = {"process": process, "type": typ, "value": value, "node": node}
        if error:
            rec["error"] = error
        self.hist.append((self.now, self.seq, "complete", rec))
        if node:
            self.emit("client-reply", node=node, client=process, id=opseq, method="-", path="-",
                      status={"ok": 200, "fail": 412, "info": 0}[typ])
        nxt = process
        if typ == "info":  # a timed-out process is retired; its successor takes a new id
            nxt = self.next_process
            self.next_process += 1
            if process == self.sticky:
                self.sticky = nxt
        self.at(self.now + int(self.rng.uniform(0.3, 1.7) * self.think_ns), lambda: self.client_step(nxt))

    # ---- faults ---------------------------------------------------------------------------------
    def fault(self, text: str, name: str, **fields: Any) -> None:
        self.emit("fault", fault=text, name=name, **fields)

    def partition(self, minority: list[str]) -> None:
        rest = [i for i in self.ids if i not in minority]
        self.groups = [set(minority), set(rest)]
        self.fault(f"Partition([{' '.join(minority)}] | [{' '.join(rest)}])", "partition", groups=[minority, rest])
        self.at(self.now + 250 * MS, lambda: self.campaign_best(rest))

    def heal(self) -> None:
        self.groups = None
        self.fault("Heal()", "heal")
        # the rejoining side disrupts the leader (no PreVote): a new election shortly after the heal
        self.at(self.now + int(self.rng.uniform(120, 400) * MS),
                lambda: self.campaign_best([i for i in self.ids if self.n[i].role != "leader"]))

    def crash(self, nid: str) -> None:
        nd = self.n[nid]
        self.fault(f"Crash({nid})", "crash", node=nid)
        nd.up = False
        self.emit("crash", node=nid, incarnation=nd.incarnation)
        self.emit("disk-lost", node=nid, records=self.rng.randrange(3), torn=False)
        nd.role = "follower"

    def restart(self, nid: str) -> None:
        nd = self.n[nid]
        self.fault(f"Restart({nid})", "restart", node=nid)
        nd.up, nd.incarnation = True, nd.incarnation + 1
        nd.kv, nd.applied, nd.commit = {}, 0, 0
        self.emit("restart", node=nid, incarnation=nd.incarnation)
        self.become(nd, "follower", nd.term, None)

    def pause(self, nid: str, on: bool) -> None:
        self.n[nid].paused = on
        name = "pause" if on else "resume"
        self.fault(f"{name.title()}({nid})", name, node=nid)
        self.emit(name, node=nid)


def make_run(out_dir: Path | str, *, seed: int = 1, nodes: int = 3, duration_ms: int = 6000, clients: int = 3,
             failing: bool = False, think_ms: int = 7) -> Path:
    """Write run.json, history.jsonl, trace.jsonl and result.json under ``out_dir``; return it."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    D = duration_ms * MS
    s = _Story(seed=seed, nodes=nodes, duration_ns=D, clients=clients, failing=failing)
    s.think_ns = think_ms * MS
    ids = s.ids
    for i in ids:
        s.emit("become-follower", node=i, term=1, leader=None)
    s.at(100 * MS, lambda: s.campaign(ids[0]))
    for p in range(clients):
        s.at(200 * MS + p * 3 * MS, lambda p=p: s.client_step(p))
    s.at(int(D * 0.30), lambda: s.partition([ids[0]]))
    s.at(int(D * 0.50), s.heal)
    s.at(int(D * 0.62), lambda: s.crash(ids[1]))
    s.at(int(D * 0.62) + 280 * MS, lambda: s.campaign_best([i for i in ids if i != ids[1]]))
    s.at(int(D * 0.74), lambda: s.restart(ids[1]))
    s.at(int(D * 0.84), lambda: s.pause(ids[0], True))
    s.at(int(D * 0.90), lambda: s.pause(ids[0], False))
    s.run()

    tw = TraceWriter()
    tw.header(nodes=ids, seed=seed)
    for _, _, rec in sorted(s.trace, key=lambda e: (e[0], e[1])):
        tw.emit(rec)
    tw.write_to(out / "trace.jsonl")

    hw = HistoryWriter()
    for t, _, what, rec in sorted(s.hist, key=lambda e: (e[0], e[1])):
        if what == "invoke":
            hw.invoke(time=t, **rec)
        else:
            hw.complete(time=t, **rec)
    hw.write_to(out / "history.jsonl")

    name = "partition-leader"
    write_run_json(out / "run.json", {
        "scenario": name,
        "params": {"nodes": nodes, "clients": clients, "duration_ms": duration_ms, "bugs": ["B07"] if failing else []},
        "scenario_repr": f"{name}(nodes={nodes}, clients={clients}, duration_ms={duration_ms})",
        "seed": seed,
        "code_version": "0.1.0+synthetic",
        "trace_sha256": tw.sha256,
        "replay": f"raftsim run {name} --seed {seed}" + (" --bugs B07" if failing else ""),
        "nodes": ids,
        "clients": clients,
        "duration_ns": D,
        "timing": {"election_timeout_ns": 250 * MS, "heartbeat_ns": 50 * MS, "tick_ns": 10 * MS,
                   "latency_mean_ns": int(1.45 * MS)},
        "stats": {"messages": s.msg_id, "trace_events": tw.count},
    })
    write_result(out / "result.json", _verdicts(out, failing))
    return out


def _verdicts(out: Path, failing: bool) -> list[CheckResult]:
    ops = pair_ops(read_history(out / "history.jsonl"))
    safety = CheckResult(checker="raft-safety", verdict=Verdict.OK, summary="election safety, state-machine safety",
                         elapsed_s=0.01)
    live = CheckResult(checker="liveness", verdict=Verdict.OK, summary="a leader within 1.2 s after every fault",
                       elapsed_s=0.002)
    cex = _stale_read(ops) if failing else None
    if failing and cex is None:
        raise RuntimeError("failing=True but this story has no stale read: use a longer duration or another seed")
    if cex is None:
        lin = CheckResult(checker="linearizable", verdict=Verdict.OK, summary=f"{len(ops)} operations linearizable",
                          elapsed_s=0.2)
    else:
        lin = CheckResult(checker="linearizable", verdict=Verdict.ILLEGAL,
                          summary=f"key {cex['key']!r}: no linearization of p{cex['op']['process']}'s read",
                          details=cex, elapsed_s=0.3)
    return [lin, safety, live]


def _op_json(o: Any) -> dict[str, Any]:
    """An op as checkers/linearizable.py writes it in a counterexample."""
    return {"process": o.process, "f": o.f, "key": o.key, "type": o.type.value, "value": o.input, "output": o.output,
            "invoke_time": o.invoke_time, "complete_time": o.complete_time, "invoke_index": o.invoke_index,
            "complete_index": o.complete_index, "text": str(o)}


def _stale_read(ops: list[Any]) -> dict[str, Any] | None:
    """The first ok read that returns a value older than a write acknowledged before the read began."""
    for r in ops:
        if r.f != "read" or r.type is not OpType.OK:
            continue
        done = [w for w in ops if w.f in ("write", "cas") and w.key == r.key and w.type is OpType.OK
                and w.complete_time is not None and w.complete_time < r.invoke_time]
        if not done:
            continue
        last = max(done, key=lambda w: w.complete_time)
        newest = last.input if last.f == "write" else last.input[1]
        if newest == r.output:
            continue
        later = [w for w in ops if w.key == r.key and w.f in ("write", "cas") and w.type is not OpType.FAIL
                 and w.invoke_time is not None and w.invoke_time < (r.complete_time or 0)
                 and w.invoke_index > last.invoke_index]
        if any((w.input if w.f == "write" else w.input[1]) == r.output for w in later):
            continue
        prefix = [w for w in ops if w.key == r.key and w.type is OpType.OK and w.complete_time is not None
                  and w.complete_time <= last.complete_time][-6:]
        window = [w for w in ops if w.key == r.key and w.invoke_index < (r.complete_index or r.invoke_index)
                  and (w.complete_index is None or w.complete_index > r.invoke_index)]
        if last not in window:
            window.insert(0, last)
        return {  # the shape of checkers.linearizable's details
            "key": r.key,
            "op": _op_json(r),
            "window": [_op_json(w) for w in window],
            "partial_linearizations": [{"state": repr(newest), "linearized_open": [], "info_taken_effect": [],
                                        "length": len(prefix), "tail": [_op_json(o) for o in prefix]}],
            "states_before": [repr(newest)],
        }
    return None


def copy_run(src: Path, dst: Path) -> Path:
    """A fresh copy of a run's input files (no report, no plots), for tests that damage or render them."""
    dst.mkdir(parents=True)
    for name in ("run.json", "history.jsonl", "trace.jsonl", "result.json"):
        if (src / name).is_file():
            shutil.copy(src / name, dst / name)
    return dst


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--nodes", type=int, default=3)
    ap.add_argument("--clients", type=int, default=3)
    ap.add_argument("--duration-ms", type=int, default=6000)
    ap.add_argument("--think-ms", type=int, default=7)
    ap.add_argument("--failing", action="store_true")
    a = ap.parse_args(argv)
    make_run(a.out, seed=a.seed, nodes=a.nodes, clients=a.clients, duration_ms=a.duration_ms, failing=a.failing,
             think_ms=a.think_ms)
    return 0


if __name__ == "__main__":
    sys.exit(main())
