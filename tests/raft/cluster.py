"""Cluster: an in-memory Raft cluster for property tests, with a Figure 3 safety monitor.

Rules: the harness is the driver. Every input to a node (step, tick, propose, campaign) is
followed by handling its Ready exactly as the contract says: persist snapshot, hard state and
entries into the node's MemoryStorage (its disk), then queue the messages, then apply committed
entries, then ``advance``. A crash keeps only storage: volatile state, and entries appended but
not yet handed out in a Ready, are lost. In-flight messages are one list; any of them may be
delivered, dropped or duplicated, in any order. A partition cuts every link between ``side``
and the rest (messages across the cut are lost when delivered).

``SafetyMonitor.check`` raises ``SafetyViolation`` (an AssertionError) on the first broken
invariant (kept beside checkers/raft_safety.py, which env.py's interaction tests use through safety.py: these
checks read every node's in-memory log after each Ready, e.g. §5.4.3's inductive Leader Completeness, which no
trace record shows): Election Safety, Log Matching, Leader Completeness, State Machine Safety, commit
monotonic within an incarnation, applied <= commit <= last index, one vote per (node, term)
across restarts.

The driver-side bug B01 ("vote not persisted", bug-zoo) is emulated here, as kvraft/server.py
does it: with ``B01`` in the bug set the harness persists hard states with ``vote=None``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace

from kvraft.errors import ProposalDropped
from kvraft.raft import Entry, EntryType, MemoryStorage, Message, RaftConfig, RaftNode, Ready, Role
from kvraft.raft.messages import RequestVote, RequestVoteReply
from scenarios.bugs import bugs_from_ids

__all__ = ["Cluster", "Nodes", "SafetyMonitor", "SafetyViolation"]


class SafetyViolation(AssertionError):
    """A Raft safety invariant failed (Figure 3 or an implementation invariant)."""


def _payload(e: Entry) -> bytes:
    return e.data if e.type is EntryType.NORMAL else b""


@dataclass
class SafetyMonitor:
    """Ghost state for the invariants: what was committed, applied, voted and led, ever."""

    leaders: dict[int, str] = field(default_factory=dict)  # term -> the leader of that term
    votes: dict[tuple[str, int], str] = field(default_factory=dict)  # (voter, term) -> candidate
    applied: dict[int, tuple[int, bytes, str]] = field(default_factory=dict)  # index -> (term, data, by)
    # index -> (term, data, lowest term of a node that saw it committed)
    committed: dict[int, tuple[int, bytes, int]] = field(default_factory=dict)
    commit_seen: dict[tuple[str, int], int] = field(default_factory=dict)  # (node, incarnation) -> commit

    def fail(self, msg: str) -> None:
        raise SafetyViolation(msg)

    def on_leader(self, nid: str, term: int) -> None:
        other = self.leaders.setdefault(term, nid)
        if other != nid:
            self.fail(f"Election Safety: term {term} has leaders {sorted({other, nid})}")

    def on_vote(self, voter: str, term: int, candidate: str) -> None:
        prev = self.votes.setdefault((voter, term), candidate)
        if prev != candidate:
            self.fail(f"one vote per term: {voter} voted for {prev} and {candidate} in term {term}")

    def on_apply(self, nid: str, e: Entry) -> None:
        prev = self.applied.setdefault(e.index, (e.term, _payload(e), nid))
        if prev[:2] != (e.term, _payload(e)):
            self.fail(f"State Machine Safety: {nid} applies {e.term}/{e.index} but {prev[2]} applied "
                      f"{prev[0]}/{e.index}")


class Nodes:
    """RaftNodes on MemoryStorages (their disks) with incarnations, and the messages in flight: what the
    interaction-test environment (env.py) and the property-test Cluster share."""

    def __init__(self, seed: int = 0) -> None:
        self.seed = seed
        self.configs: dict[str, RaftConfig] = {}
        self.storages: dict[str, MemoryStorage] = {}
        self.incarnation: dict[str, int] = {}
        self.nodes: dict[str, RaftNode | None] = {}
        self.inflight: list[Message] = []

    def add_node(self, cfg: RaftConfig) -> None:
        self.configs[cfg.id] = cfg
        self.storages[cfg.id] = MemoryStorage()
        self.incarnation[cfg.id] = 0
        self.nodes[cfg.id] = self._boot(cfg.id)

    def _boot(self, nid: str) -> RaftNode:
        """A node built from its storage (a restart), with an rng for this incarnation."""
        rng = random.Random(f"{self.seed}:{nid}:{self.incarnation[nid]}")
        return RaftNode(self.configs[nid], self.storages[nid], rng)

    def crash(self, nid: str) -> None:
        """Only storage survives; messages in flight to the node are lost."""
        self.nodes[nid] = None
        self.inflight = [m for m in self.inflight if m.to != nid]

    def restart(self, nid: str) -> None:
        self.incarnation[nid] += 1
        self.nodes[nid] = self._boot(nid)

    def persist(self, nid: str, rd: Ready, *, vote: bool = True) -> None:
        """Ready step 2: snapshot, hard state (without its vote if not ``vote``: bug B01) and entries."""
        st = self.storages[nid]
        if rd.snapshot is not None:
            st.apply_snapshot(rd.snapshot)
        if rd.hard_state is not None:
            st.set_hard_state(rd.hard_state if vote else replace(rd.hard_state, vote=None))
        if rd.entries:
            st.append(rd.entries)


class Cluster(Nodes):
    """n voters n1..nN driven by hand; see the module rules."""

    def __init__(self, n: int, *, seed: int = 0, bugs: frozenset[str] = frozenset(), **cfg) -> None:
        super().__init__(seed)
        self.ids = tuple(f"n{i}" for i in range(1, n + 1))
        self.bugs = bugs_from_ids(bugs)  # zoo ids -> kvraft.bugs.Bugs
        self.side: frozenset[str] = frozenset()  # one side of a partition; empty: healed
        self.monitor = SafetyMonitor()
        self.check_every_ready = True
        for i in self.ids:
            self.add_node(RaftConfig(id=i, voters=self.ids, bugs=self.bugs, **cfg))

    # ------------------------------------------------------------------ queries
    def up(self) -> list[str]:
        return [i for i in self.ids if self.nodes[i] is not None]

    def down(self) -> list[str]:
        return [i for i in self.ids if self.nodes[i] is None]

    def leaders(self) -> list[str]:
        return [i for i in self.up() if self.nodes[i].role is Role.LEADER]

    def is_cut(self, a: str, b: str) -> bool:
        return bool(self.side) and ((a in self.side) != (b in self.side))

    # ------------------------------------------------------------------ inputs (each handles the Ready)
    def tick(self, nid: str, k: int = 1) -> None:
        n = self.nodes[nid]
        for _ in range(k):
            n.tick()
            self.handle_ready(nid)

    def tick_election(self, nid: str) -> None:
        """Tick until the node's election timer fires (or a randomized timeout's worth)."""
        n = self.nodes[nid]
        for _ in range(2 * n.config.election_ticks):
            before = (n.role, n.term)
            n.tick()
            self.handle_ready(nid)
            if (n.role, n.term) != before:
                return

    def campaign(self, nid: str) -> None:
        self.nodes[nid].campaign()
        self.handle_ready(nid)

    def propose(self, nid: str, data: bytes) -> bool:
        try:
            self.nodes[nid].propose(data)
        except ProposalDropped:
            return False
        self.handle_ready(nid)
        return True

    def deliver(self, i: int) -> Message:
        """Deliver in-flight message ``i`` (lost if its destination is down or across the cut)."""
        m = self.inflight.pop(i)
        n = self.nodes.get(m.to)
        if n is not None and not self.is_cut(m.frm, m.to):
            n.step(m)
            self.handle_ready(m.to)
        return m

    def deliver_votes(self, limit: int = 200) -> None:
        """Deliver only election traffic (RequestVote and replies, PreVote too), oldest first."""
        for _ in range(limit):
            i = next((k for k, m in enumerate(self.inflight) if isinstance(m, (RequestVote, RequestVoteReply))), None)
            if i is None:
                return
            self.deliver(i)

    def stabilize(self, among: frozenset[str] | None = None, limit: int = 500) -> None:
        """Deliver what is in flight (only between nodes ``among``, if given), oldest first, until
        the network is quiet or ``limit`` deliveries."""
        for _ in range(limit):
            i = next((k for k, m in enumerate(self.inflight)
                      if among is None or (m.frm in among and m.to in among)), None)
            if i is None:
                return
            self.deliver(i)

    # ------------------------------------------------------------------ faults
    def restart(self, nid: str) -> None:
        super().restart(nid)
        self.check_node(nid)

    def compact(self, nid: str) -> bool:
        n = self.nodes[nid]
        if n.log.applied <= n.log.snap_index:
            return False
        snap = n.compact(n.log.applied, b"")
        self.storages[nid].apply_snapshot(snap)
        return True

    # ------------------------------------------------------------------ the Ready loop
    def handle_ready(self, nid: str, *, send: bool = True) -> Ready | None:
        """Persist, send (unless ``send`` is False: a crash right after the fsync), apply, advance."""
        n = self.nodes[nid]
        if not n.has_ready():
            return None
        rd = n.ready()
        self.persist(nid, rd, vote=not self.bugs.vote_not_persisted)  # Bug B01 (driver)
        hs = rd.hard_state
        if hs is not None and hs.vote is not None:
            self.monitor.on_vote(nid, hs.term, hs.vote)
        if rd.soft_state is not None and rd.soft_state.role is Role.LEADER:
            self.monitor.on_leader(nid, n.term)
            self._check_leader_completeness(nid)
        if not send:
            return rd
        for m in rd.messages:
            if isinstance(m, RequestVoteReply) and m.granted and not m.pre_vote:
                self.monitor.on_vote(m.frm, m.term, m.to)
        self.inflight.extend(rd.messages)
        for e in rd.committed:
            self.monitor.on_apply(nid, e)
        n.advance(rd)
        if self.check_every_ready:
            self.check()  # transient states count: a leader may crash right after any Ready
        return rd

    # ------------------------------------------------------------------ invariants
    def check(self) -> None:
        """Every invariant over the whole cluster; raises SafetyViolation."""
        for nid in self.up():
            self.check_node(nid)
        for nid in self.leaders():
            self._check_leader_completeness(nid)
        self._check_log_matching()
        self._check_committed_is_safe()

    def check_node(self, nid: str) -> None:
        n = self.nodes[nid]
        log = n.log
        mon = self.monitor
        if not (log.snap_index <= log.applied <= log.commit <= log.last_index):
            mon.fail(f"{nid}: snap {log.snap_index} <= applied {log.applied} <= commit {log.commit} "
                     f"<= last {log.last_index} broken")
        key = (nid, self.incarnation[nid])
        prev = mon.commit_seen.get(key, 0)
        if log.commit < prev:
            mon.fail(f"{nid}: commit went back from {prev} to {log.commit} in one incarnation")
        mon.commit_seen[key] = log.commit
        # Record what this node considers committed (State Machine Safety on the commit, not only apply).
        for idx in range(max(prev, log.snap_index) + 1, log.commit + 1):
            e = log.entry(idx)
            old = mon.committed.get(idx)
            if old is None:
                mon.committed[idx] = (e.term, _payload(e), n.term)
            elif old[:2] != (e.term, _payload(e)):
                mon.fail(f"State Machine Safety: {nid} commits {e.term}/{idx} but {old[0]}/{idx} was committed")
            elif n.term < old[2]:
                mon.committed[idx] = (old[0], old[1], n.term)

    def _check_leader_completeness(self, nid: str) -> None:
        """Figure 3: an entry committed while the cluster was at term c is in every leader of a term > c."""
        n = self.nodes[nid]
        log = n.log
        for idx, (t, data, seen_term) in sorted(self.monitor.committed.items()):
            if seen_term >= n.term or idx <= log.snap_index:
                continue
            if log.term(idx) != t or _payload(log.entry(idx)) != data:
                have = log.term(idx)
                self.monitor.fail(f"Leader Completeness: {nid}, leader of term {n.term}, lacks committed "
                                  f"{t}/{idx} (has {have if have is not None else 'nothing'}/{idx})")

    def _check_committed_is_safe(self) -> None:
        """Leader Completeness made inductive (§5.4.3's proof): a node whose log lacks a committed
        entry is never at least as up-to-date (§5.4.1) as a quorum of logs, itself included; else
        it could win an election and overwrite the entry. Catches the overwrite before it happens.
        """
        committed = self.monitor.committed
        if not committed:
            return
        tails = {}
        lacking = []
        for i in self.ids:
            n = self.nodes[i]
            if n is not None:
                log = n.log
                last = (log.last_term, log.last_index)
                snap_index, term_at = log.snap_index, log.term
            else:
                st = self.storages[i]
                snap, ents = st.snapshot(), st.entries()
                snap_index = snap.index if snap else 0
                last = (ents[-1].term, ents[-1].index) if ents else ((snap.term, snap.index) if snap else (0, 0))
                by_index = {e.index: e.term for e in ents}
                term_at = by_index.get
            tails[i] = last
            for idx, (t, _, _) in sorted(committed.items()):
                if idx > snap_index and term_at(idx) != t:
                    lacking.append((i, idx, t))
                    break
        quorum = len(self.ids) // 2 + 1
        for x, idx, t in lacking:
            could_vote = [y for y in self.ids if tails[x] >= tails[y]]
            if len(could_vote) >= quorum:
                self.monitor.fail(f"Leader Completeness (inductive): {x} lacks committed {t}/{idx} but its log "
                                  f"{tails[x][0]}/{tails[x][1]} is as up-to-date as {could_vote}, a quorum")

    def _logs(self) -> dict[str, dict[int, Entry]]:
        out = {}
        for i in self.ids:
            n = self.nodes[i]
            ents = n.log.entries if n is not None else self.storages[i].entries()
            out[i] = {e.index: e for e in ents}
        return out

    def _check_log_matching(self) -> None:
        logs = self._logs()
        for a in range(len(self.ids)):
            for b in range(a + 1, len(self.ids)):
                la, lb = logs[self.ids[a]], logs[self.ids[b]]
                matched = False
                for idx in sorted(set(la) & set(lb), reverse=True):
                    ea, eb = la[idx], lb[idx]
                    if ea.term == eb.term:
                        matched = True
                    if matched and ea != eb:
                        self.monitor.fail(f"Log Matching: {self.ids[a]} and {self.ids[b]} differ at {idx} "
                                          f"({ea} vs {eb}) below a matching entry")

    def describe(self) -> str:
        lines = []
        for i in self.ids:
            n = self.nodes[i]
            if n is None:
                lines.append(f"{i} down; disk log {[str(e) for e in self.storages[i].entries()]}")
            else:
                lines.append(f"{i} {n.role.value} term={n.term} commit={n.log.commit} log={[str(e) for e in n.log.entries]}")
        return "\n".join(lines)
