"""RaftMachine: a hypothesis RuleBasedStateMachine over a 3- or 5-node in-memory Cluster.

Rules: each rule is one thing the world can do to Raft (tick, campaign, propose, deliver / drop
/ duplicate any in-flight message, partition / heal, crash / restart, compact); the Cluster
handles every Ready as the driver contract says, and the one ``@invariant`` checks every safety
property after every step (see cluster.py). Delivery has three rules (one message, a batch, the
whole network) because most of what happens in a real cluster is messages arriving; the
targeted rules ``leader_crashes_mid_replication`` and ``isolated_leader_appends`` are the
Figure 8 and B04 shapes (a leader appends, replicates to a minority, crashes).

``machine(bugs=..., sizes=..., pre_vote=...)`` builds a subclass with bug switches set; run it
with ``run_state_machine_as_test`` (see test_property_sensitivity.py).
"""

from __future__ import annotations

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from kvraft.errors import ProposalDropped

from .cluster import Cluster

__all__ = ["RaftMachine", "machine"]

NODE = st.integers(0, 4)  # mod n: shrinks toward n1
PICK = st.integers(0, 63)  # an in-flight message, mod len: shrinks toward the oldest (FIFO)


class RaftMachine(RuleBasedStateMachine):
    BUGS: frozenset[str] = frozenset()
    SIZES: tuple[int, ...] = (3, 5)
    PRE_VOTE: tuple[bool, ...] = (False, True)
    MSG_BYTES: tuple[int, ...] = (1, 1 << 20)  # 1: one entry per AppendEntries (pipelining, partial match)
    ELECTION_TICKS = 4

    def __init__(self) -> None:
        super().__init__()
        self.c: Cluster | None = None
        self.next_value = 0

    @initialize(size=st.integers(0, 1), option=st.integers(0, 1), batching=st.integers(0, 1), seed=st.integers(0, 3))
    def boot(self, size: int, option: int, batching: int, seed: int) -> None:
        n = self.SIZES[size % len(self.SIZES)]
        pre_vote = self.PRE_VOTE[option % len(self.PRE_VOTE)]
        self.c = Cluster(n, seed=seed, bugs=self.BUGS, pre_vote=pre_vote, check_quorum=pre_vote,
                         election_ticks=self.ELECTION_TICKS,
                         max_size_per_msg=self.MSG_BYTES[batching % len(self.MSG_BYTES)])

    # ------------------------------------------------------------------ helpers
    def _node(self, k: int) -> str:
        return self.c.ids[k % len(self.c.ids)]

    def _up(self, k: int) -> str | None:
        nid = self._node(k)
        return nid if self.c.nodes[nid] is not None else None

    def _value(self) -> bytes:
        self.next_value += 1
        return f"v{self.next_value}".encode()

    def has_inflight(self) -> bool:
        return bool(self.c.inflight)

    def can_crash(self) -> bool:
        return len(self.c.down()) < len(self.c.ids) // 2 + (len(self.c.ids) > 3)

    # ------------------------------------------------------------------ network
    @precondition(has_inflight)
    @rule(pick=PICK)
    def deliver(self, pick: int) -> None:
        self.c.deliver(pick % len(self.c.inflight))

    @precondition(has_inflight)
    @rule(picks=st.lists(PICK, min_size=1, max_size=8))
    def deliver_batch(self, picks: list[int]) -> None:
        for p in picks:
            if not self.c.inflight:
                return
            self.c.deliver(p % len(self.c.inflight))

    @precondition(has_inflight)
    @rule()
    def settle(self) -> None:
        self.c.stabilize()

    @precondition(has_inflight)
    @rule(pick=PICK)
    def drop(self, pick: int) -> None:
        self.c.inflight.pop(pick % len(self.c.inflight))

    @precondition(has_inflight)
    @rule(pick=PICK)
    def duplicate(self, pick: int) -> None:
        self.c.inflight.append(self.c.inflight[pick % len(self.c.inflight)])

    @rule(mask=st.integers(1, 30))
    def partition(self, mask: int) -> None:
        side = frozenset(i for k, i in enumerate(self.c.ids) if mask >> k & 1)
        if 0 < len(side) < len(self.c.ids):
            self.c.side = side

    @precondition(lambda self: bool(self.c.side))
    @rule()
    def heal(self) -> None:
        self.c.side = frozenset()

    # ------------------------------------------------------------------ time and clients
    @rule(k=NODE, ticks=st.integers(1, 3))
    def tick(self, k: int, ticks: int) -> None:
        if (nid := self._up(k)) is not None:
            self.c.tick(nid, ticks)

    @rule(k=NODE)
    def tick_election(self, k: int) -> None:
        if (nid := self._up(k)) is not None:
            self.c.tick_election(nid)

    @rule(k=NODE)
    def campaign(self, k: int) -> None:
        if (nid := self._up(k)) is not None:
            self.c.campaign(nid)

    @rule(k=NODE)
    def elect(self, k: int) -> None:
        """Campaign and deliver the vote traffic: an election (won or lost) in one step; the new
        leader's first AppendEntries stay in flight."""
        if (nid := self._up(k)) is not None:
            self.c.campaign(nid)
            self.c.deliver_votes()

    @rule(k=NODE)
    def propose(self, k: int) -> None:
        if (nid := self._up(k)) is not None:
            self.c.propose(nid, self._value())

    @precondition(lambda self: bool(self.c.leaders()))
    @rule(count=st.integers(1, 3))
    def propose_on_leader(self, count: int) -> None:
        nid = self.c.leaders()[-1]
        for _ in range(count):
            self.c.propose(nid, self._value())

    # ------------------------------------------------------------------ crashes
    @precondition(can_crash)
    @rule(k=NODE)
    def crash(self, k: int) -> None:
        if (nid := self._up(k)) is not None:
            self.c.crash(nid)

    @precondition(lambda self: bool(self.c.down()))
    @rule(k=NODE)
    def restart(self, k: int) -> None:
        down = self.c.down()
        self.c.restart(down[k % len(down)])

    @precondition(lambda self: bool(self.c.leaders()) and self.can_crash())
    @rule(mask=st.integers(0, 15), persisted=st.booleans())
    def leader_crashes_mid_replication(self, mask: int, persisted: bool) -> None:
        """Figure 8 (a)-(b): the leader appends an entry and crashes. ``persisted``: after its fsync,
        having replicated to ``mask``'s followers (at most a minority); else before its fsync (the
        entry is lost). Its other outgoing messages die with it."""
        c = self.c
        nid = c.leaders()[-1]
        if not persisted:
            try:
                c.nodes[nid].propose(self._value())
            except ProposalDropped:
                pass
        else:
            c.propose(nid, self._value())
            followers = [i for i in c.ids if i != nid]
            reach = [f for k, f in enumerate(followers) if mask >> k & 1][: (len(c.ids) - 1) // 2]
            c.stabilize(among=frozenset([nid, *reach]))
        c.inflight = [m for m in c.inflight if m.frm != nid]
        c.crash(nid)

    @precondition(lambda self: bool(self.c.leaders()))
    @rule(count=st.integers(1, 4))
    def isolated_leader_appends(self, count: int) -> None:
        """B04's shape: cut the leader off, let it append entries nobody else will see."""
        c = self.c
        nid = c.leaders()[-1]
        c.side = frozenset({nid})
        for _ in range(count):
            c.propose(nid, self._value())

    @rule(k=NODE)
    def compact(self, k: int) -> None:
        if (nid := self._up(k)) is not None:
            self.c.compact(nid)

    # ------------------------------------------------------------------ the invariants
    @invariant()
    def raft_is_safe(self) -> None:
        if self.c is not None:
            self.c.check()


RULES = frozenset({
    "deliver", "deliver_batch", "settle", "drop", "duplicate", "partition", "heal", "tick", "tick_election",
    "campaign", "elect", "propose", "propose_on_leader", "crash", "restart", "leader_crashes_mid_replication",
    "isolated_leader_appends", "compact",
})


def _disabled(self, *args, **kwargs) -> None:  # not a rule: hypothesis never picks it
    raise AssertionError("disabled rule called")


def machine(*, bugs: frozenset[str] | set[str] = frozenset(), sizes: tuple[int, ...] = (3, 5),
            pre_vote: tuple[bool, ...] = (False, True), msg_bytes: tuple[int, ...] = (1, 1 << 20),
            rules: frozenset[str] | set[str] = RULES) -> type[RaftMachine]:
    """A RaftMachine subclass with bug switches ``bugs``, the given cluster options, and only
    ``rules`` enabled (a smaller vocabulary makes a bug's shape likelier in a small budget)."""
    unknown = set(rules) - RULES
    if unknown:
        raise ValueError(f"unknown rules {sorted(unknown)}")
    name = "RaftMachine" + "".join(sorted(bugs))
    attrs = {"BUGS": frozenset(bugs), "SIZES": sizes, "PRE_VOTE": pre_vote, "MSG_BYTES": msg_bytes}
    attrs.update({r: _disabled for r in sorted(RULES - set(rules))})
    return type(name, (RaftMachine,), attrs)
