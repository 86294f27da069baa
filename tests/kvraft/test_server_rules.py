"""The Server's disk records, rule by rule: what each record holds and how a restart decodes them in write
order (a later snapshot drops the entries it covers, a later entries record overwrites from its first index,
the last hard state wins, unknown records are skipped) (bench/mutation.py --module kvraft/server.py)."""

from __future__ import annotations

import random
from typing import Any

from kvraft.bugs import Bugs
from kvraft.raft import Entry, EntryType, HardState, RaftConfig, Snapshot
from kvraft.raft.entry import digest
from kvraft.server import RECORD_FORMAT, Server, _digest, _ent_rec, _hs_rec, _snap_rec, decode_records

from tests.raft.fakeworld import FakeRuntime, FakeWorld
from tests.raft.kvsm import ListStateMachine

MS = 1_000_000


def es(first: int, terms: list[int]) -> list[Entry]:
    return [Entry(index=first + i, term=t, data=f"d{first + i}".encode()) for i, t in enumerate(terms)]


def test_records_are_json_values() -> None:
    assert RECORD_FORMAT == 1
    assert _hs_rec(HardState(term=3, vote="b", commit=2)) == {"r": "hard-state", "term": 3, "vote": "b", "commit": 2}
    assert _ent_rec([Entry(index=4, term=2, type=EntryType.CONF_CHANGE, data=b"add d")]) == \
        {"r": "entries", "entries": [[4, 2, "conf_change", b"add d".hex()]]}
    assert _snap_rec(Snapshot(index=9, term=2, voters=("a", "b"), learners=("c",), data=b"\x00s")) == \
        {"r": "snapshot", "format": 1, "index": 9, "term": 2, "voters": ["a", "b"], "learners": ["c"], "data": "0073"}


def test_decode_in_write_order() -> None:
    recs = [
        _hs_rec(HardState(term=1, vote="a", commit=0)), _ent_rec(es(1, [1, 1, 1])),
        _hs_rec(HardState(term=2, vote="b", commit=2)), _ent_rec(es(3, [2, 2])),  # overwrites 3 on
        {"r": "applied", "index": 2}, "not a record", {"r": "unknown"}, {"no": "kind"},
    ]
    storage, applied = decode_records(recs)
    assert storage.hard_state() == HardState(term=2, vote="b", commit=2)
    assert [(e.index, e.term, e.data) for e in storage.entries()] == [
        (1, 1, b"d1"), (2, 1, b"d2"), (3, 2, b"d3"), (4, 2, b"d4")]
    assert storage.snapshot() is None and applied == 2
    empty, none_applied = decode_records([])
    assert (empty.entries(), empty.snapshot(), empty.hard_state(), none_applied) == ([], None, HardState(), 0)


def test_decode_a_snapshot_then_the_tail() -> None:
    snap = Snapshot(index=3, term=2, voters=("a", "b"), learners=("c",), data=b"img")
    storage, applied = decode_records([_ent_rec(es(1, [1, 2, 2, 2])), _snap_rec(snap), _ent_rec(es(5, [3]))])
    assert storage.snapshot() == snap and applied == 0
    assert [(e.index, e.term) for e in storage.entries()] == [(4, 2), (5, 3)]
    assert storage.entries()[0].type is EntryType.NORMAL


def test_digest_is_memoised_and_equal_to_digest() -> None:
    for data in (b"x", b"x", b"", bytearray(b"y")):
        assert _digest(data) == digest(bytes(data))


# ---------------------------------------------------------------------------------------------- a driven cluster
class Rt(FakeRuntime):
    """The fake runtime with a monotonic clock (the tickless driver reads it)."""

    def monotonic(self) -> int:
        return self.world.now


class Cluster:
    """``n`` Servers on a FakeWorld, each with a ListStateMachine; ``boot`` (re)starts one from its disk."""

    def __init__(self, n: int = 3, *, seed: int = 1, tickless: bool = False, bugs: Bugs = Bugs(),  # noqa: B008
                 fsync_ns: int = 500_000, **cfg: Any) -> None:
        self.ids = [f"n{i}" for i in range(1, n + 1)]
        self.w = FakeWorld(list(self.ids), seed=seed, fsync_ns=fsync_ns)
        self.seed, self.tickless, self.cfg = seed, tickless, {"bugs": bugs, **cfg}
        self.s: dict[str, Server] = {}
        self.sm: dict[str, ListStateMachine] = {}
        self.inc = dict.fromkeys(self.ids, 0)
        for i in self.ids:
            self.boot(i)

    def boot(self, i: str, peers: list[str] | None = None) -> Server:
        if i not in self.w.runtimes:
            self.w.add_node(i)
            self.inc[i] = 0
        self.w.runtimes[i] = Rt(self.w, i)
        self.w.up[i] = True
        self.sm[i] = ListStateMachine()
        self.s[i] = Server(self.w.runtimes[i], peers=peers or self.ids, config=RaftConfig(**self.cfg),
                           state_machine=self.sm[i], rng=random.Random(f"{self.seed}:{i}:{self.inc[i]}"),
                           tickless=self.tickless)
        self.inc[i] += 1
        self.s[i].start()
        return self.s[i]

    def restart(self, i: str) -> Server:
        self.w.crash(i)
        return self.boot(i)

    def leader(self) -> str | None:
        return next((i for i in sorted(self.s) if self.w.up[i] and self.s[i].node is not None
                     and self.s[i].is_leader), None)

    def run(self, ms: int) -> None:
        self.w.run_for(ms * MS)

    def trace(self, kind: str, node: str | None = None) -> list[dict[str, Any]]:
        return [r for r in self.w.trace if r["kind"] == kind and node in (None, r["node"])]


def script(c: Cluster) -> None:
    """Elect, write, read, partition the leader away, heal, crash and restart a follower, compact."""
    c.run(500)
    lead = c.leader()
    for k in range(4):
        c.s[lead].propose(f"a{k}".encode())
    c.run(60)
    got: list[int] = []
    c.s[lead].read_index(b"r1", got.append)
    c.run(60)
    assert got, "no read point"
    c.w.partition([lead], [i for i in c.ids if i != lead])
    c.run(1500)
    c.w.heal()
    c.run(800)
    lead = c.leader()
    follower = next(i for i in c.ids if i != lead)
    c.w.crash(follower)
    for k in range(8):
        c.s[lead].propose(f"b{k}".encode())
        c.run(7)
    c.w.restart(follower)
    c.boot(follower)
    c.run(800)


def test_the_tickless_driver_gives_the_same_protocol_events() -> None:
    ticks, lazy = Cluster(snapshot_entries=5), Cluster(snapshot_entries=5, tickless=True)
    script(ticks)
    script(lazy)
    kinds = {r["kind"] for r in ticks.w.trace}
    assert {"become-leader", "snapshot", "restore", "read-index", "commit", "apply", "vote"} <= kinds
    for i, (a, b) in enumerate(zip(ticks.w.trace, lazy.w.trace)):
        assert a == b, f"trace record {i}: every tick {a}, tickless {b}"
    assert len(ticks.w.trace) == len(lazy.w.trace)
    assert {i: sm.values() for i, sm in ticks.sm.items()} == {i: sm.values() for i, sm in lazy.sm.items()}
