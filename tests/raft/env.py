"""An in-memory Raft cluster of RaftNodes (no simpy, no Server): the interaction-test environment.

Rules: in-flight messages are one list, delivered only when asked; ``process_ready`` persists a
Ready into the node's MemoryStorage (its "disk"), queues its messages, applies committed entries
to a list state machine, then advances. Crash drops the node object (storage survives); restart
rebuilds it from storage. The invariant monitor is checkers/raft_safety.py, fed each handled Ready's
trace records (tests/raft/safety.py): ``violations()``.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from kvraft.raft import (ConfChange, Entry, EntryType, Message, RaftConfig, RaftNode, Ready, Role,
                         Snapshot)
from kvraft.raft.describe import describe_log, describe_ready, describe_state
from scenarios.bugs import bugs_from_ids

from .cluster import Nodes
from .safety import ReadyTrace


class Env(Nodes):
    """The interaction-test environment: the shared Nodes, a list state machine per node, isolation."""

    def __init__(self, seed: int = 0, *, ticks_in_one_step: bool = False) -> None:
        super().__init__(seed)
        self.ticks_in_one_step = ticks_in_one_step
        self.sm: dict[str, list[tuple[int, int, bytes]]] = {}  # node -> applied (index, term, data)
        self.isolated: set[str] = set()
        self.trace = ReadyTrace()

    # ------------------------------------------------------------------ building
    def add_node(self, cfg: RaftConfig) -> None:
        self.sm[cfg.id] = []
        super().add_node(cfg)
        self.trace.boot(cfg.id)

    def node(self, nid: str) -> RaftNode:
        n = self.nodes[nid]
        if n is None:
            raise KeyError(f"{nid} is down")
        return n

    def up(self) -> list[str]:
        return [i for i in sorted(self.nodes) if self.nodes[i] is not None]

    # ------------------------------------------------------------------ faults
    def restart(self, nid: str) -> None:
        super().restart(nid)
        st = self.storages[nid]
        snap, hs = st.snapshot(), st.hard_state()
        self.sm[nid] = _restore(snap) if snap else []
        self.trace.restart(nid, self.incarnation[nid], term=hs.term, vote=hs.vote, applied=snap.index if snap else 0)

    # ------------------------------------------------------------------ the Ready loop
    def process_ready(self, nid: str) -> list[str]:
        n = self.node(nid)
        if not n.has_ready():
            return []
        rd = n.ready()
        self.persist(nid, rd)
        self.trace.ready(nid, rd)
        self.inflight.extend(rd.messages)
        if rd.snapshot is not None:
            self.sm[nid] = _restore(rd.snapshot)
        for e in rd.committed:
            if self.sm[nid] and e.index <= self.sm[nid][-1][0]:
                continue
            self.sm[nid].append((e.index, e.term, e.data if e.type is EntryType.NORMAL else b""))
        n.advance(rd)
        return describe_ready(rd)

    def violations(self) -> list[str]:
        """The Raft invariants checkers/raft_safety.py finds broken in what the nodes did (empty: all hold)."""
        return self.trace.violations()

    def deliver(self, to: str | None = None, pred: Callable[[Message], bool] | None = None) -> list[Message]:
        """Deliver (and remove) in-flight messages to ``to`` (or all up nodes), in order."""
        keep: list[Message] = []
        out: list[Message] = []
        for m in self.inflight:
            if (to is None or m.to == to) and (pred is None or pred(m)):
                out.append(m)
            else:
                keep.append(m)
        self.inflight = keep
        delivered = []
        for m in out:
            if m.frm in self.isolated or m.to in self.isolated:
                continue
            n = self.nodes.get(m.to)
            if n is None:
                continue
            n.step(m)
            delivered.append(m)
        return delivered

    def stabilize(self, ids: list[str] | None = None, limit: int = 10_000) -> list[str]:
        out: list[str] = []
        for _ in range(limit):
            busy = False
            for i in ids or self.up():
                if self.nodes.get(i) is None:
                    continue
                lines = self.process_ready(i)
                if lines:
                    busy = True
                    out.append(f"> {i} handling Ready")
                    out.extend("  " + ln for ln in lines)
            for i in ids or self.up():
                if any(m.to == i for m in self.inflight):
                    ms = self.deliver(i)
                    if ms:
                        busy = True
                        out.append(f"> {i} receiving messages")
                        out.extend(f"  {m}" for m in ms)
            if not busy:
                return out
        raise AssertionError("stabilize did not converge")

    def tick(self, nid: str, n: int = 1) -> None:
        if self.ticks_in_one_step:
            self.node(nid).tick(n)  # the tickless driver's call: must equal n single ticks
            return
        for _ in range(n):
            self.node(nid).tick()

    def state(self) -> list[str]:
        return [describe_state(self.nodes[i]) if self.nodes[i] is not None else f"{i} down" for i in sorted(self.nodes)]

    def log(self, nid: str) -> list[str]:
        return describe_log(self.node(nid))

    def compact(self, nid: str) -> Snapshot:
        n = self.node(nid)
        data = _snapshot_data([(i, t, d) for i, t, d in self.sm[nid]])
        snap = n.compact(n.log.applied, data)
        st = self.storages[nid]
        st.apply_snapshot(snap)
        return snap

    def applied_values(self, nid: str) -> list[bytes]:
        return [d for _, _, d in self.sm[nid] if d]


def _snapshot_data(entries: list[tuple[int, int, bytes]]) -> bytes:
    return json.dumps([[i, t, d.hex()] for i, t, d in entries]).encode()


def _restore(snap: Snapshot) -> list[tuple[int, int, bytes]]:
    if not snap.data:
        return []
    return [(i, t, bytes.fromhex(d)) for i, t, d in json.loads(snap.data)]


def make_env(n: int, *, seed: int = 0, **cfg) -> Env:
    """``n`` voters; ``bugs`` (if given) are zoo ids."""
    if "bugs" in cfg:
        cfg["bugs"] = bugs_from_ids(cfg["bugs"])
    env = Env(seed)
    ids = tuple(f"n{i}" for i in range(1, n + 1))
    for i in ids:
        env.add_node(RaftConfig(id=i, voters=ids, **cfg))
    return env


def elect(env: Env, nid: str) -> None:
    env.node(nid).campaign()
    env.stabilize()
    assert env.node(nid).role is Role.LEADER, env.state()


__all__ = ["Env", "elect", "make_env", "ConfChange", "Entry"]
