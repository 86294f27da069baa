"""Server (the Ready loop) on an in-memory fake runtime: election, replication, reads, restart."""

from __future__ import annotations

import random

from kvraft.raft import ConfChange, ConfChangeType, RaftConfig
from kvraft.server import Role, Server

from .fakeworld import FakeWorld
from .kvsm import ListStateMachine

MS = 1_000_000


def make_cluster(n: int = 3, seed: int = 1, **cfg):
    ids = [f"n{i}" for i in range(1, n + 1)]
    world = FakeWorld(list(ids), seed=seed)
    servers: dict[str, Server] = {}
    sms: dict[str, ListStateMachine] = {}

    def boot(i: str, inc: int = 0, peers=None) -> None:
        sms[i] = ListStateMachine()
        servers[i] = Server(world.runtimes[i], peers=peers or ids, config=RaftConfig(**cfg), state_machine=sms[i],
                            rng=random.Random(f"{seed}:{i}:{inc}"))
        servers[i].start()

    for i in ids:
        boot(i)
    return world, servers, sms, boot


def leader_of(servers):
    leaders = [s for s in servers.values() if s.node is not None and s.is_leader]
    return leaders[0] if len(leaders) == 1 else None


def test_server_elects_a_leader_and_replicates():
    world, servers, sms, _ = make_cluster()
    world.run_for(500 * MS)
    lead = leader_of(servers)
    assert lead is not None and lead.role is Role.LEADER
    for k in range(5):
        assert lead.propose(f"v{k}".encode())
    world.run_for(200 * MS)
    for i, sm in sms.items():
        assert sm.values() == [f"v{k}".encode() for k in range(5)], i
    kinds = {r["kind"] for r in world.trace}
    assert {"become-leader", "vote", "hard-state", "append", "commit", "apply"} <= kinds


def test_follower_forwards_proposals_to_the_leader():
    world, servers, sms, _ = make_cluster()
    world.run_for(500 * MS)
    lead = leader_of(servers)
    follower = next(s for s in servers.values() if not s.is_leader)
    assert follower.propose(b"from-follower")
    world.run_for(100 * MS)
    assert sms[lead.node_id].values() == [b"from-follower"]


def test_read_index_callback_runs_after_apply():
    world, servers, sms, _ = make_cluster()
    world.run_for(500 * MS)
    lead = leader_of(servers)
    lead.propose(b"a")
    world.run_for(50 * MS)
    got = []
    follower = next(s for s in servers.values() if not s.is_leader)
    assert follower.read_index(b"r1", got.append)
    world.run_for(100 * MS)
    assert got and got[0] >= 2 and follower.applied_index >= got[0]
    assert any(r["kind"] == "read-index" for r in world.trace)


def test_restart_restores_log_and_state_machine_with_snapshots():
    world, servers, sms, boot = make_cluster(snapshot_entries=5)
    world.run_for(500 * MS)
    lead = leader_of(servers)
    for k in range(12):
        lead.propose(f"v{k}".encode())
    world.run_for(200 * MS)
    victim = next(i for i, s in servers.items() if not s.is_leader)
    before = sms[victim].values()
    assert len(before) == 12
    assert any(r["kind"] == "snapshot" and r["node"] == victim for r in world.trace)
    world.crash(victim)
    world.restart(victim)
    boot(victim, inc=1)
    world.run_for(300 * MS)
    assert sms[victim].values() == before


def test_lagging_follower_catches_up_by_snapshot():
    world, servers, sms, boot = make_cluster(snapshot_entries=5)
    world.run_for(500 * MS)
    lead = leader_of(servers)
    lag = next(i for i, s in servers.items() if not s.is_leader)
    world.crash(lag)
    for k in range(20):
        lead.propose(f"v{k}".encode())
    world.run_for(300 * MS)
    world.restart(lag)
    boot(lag, inc=1)
    world.run_for(500 * MS)
    assert sms[lag].values() == [f"v{k}".encode() for k in range(20)]
    assert any(r["kind"] == "restore" and r["node"] == lag for r in world.trace)


def test_add_and_remove_member():
    world, servers, sms, boot = make_cluster()
    world.run_for(500 * MS)
    lead = leader_of(servers)
    lead.propose(b"x")
    world.run_for(100 * MS)
    world.add_node("n4")
    boot("n4", peers=["n1", "n2", "n3", "n4"])
    assert lead.propose_conf_change(ConfChange(type=ConfChangeType.ADD_NODE, node_id="n4"))
    world.run_for(300 * MS)
    assert servers["n4"].voters == ("n1", "n2", "n3", "n4")
    assert sms["n4"].values() == [b"x"]
    assert lead.propose_conf_change(ConfChange(type=ConfChangeType.REMOVE_NODE, node_id=lead.node_id))
    world.run_for(1000 * MS)
    new = leader_of({k: v for k, v in servers.items() if k != lead.node_id})
    assert new is not None and lead.node_id not in new.voters
    assert not lead.is_leader


def test_leader_replicates_while_its_own_fsync_runs():
    # §10.2.1: with 50 ms fsyncs, a write commits after about one fsync (the followers' runs in parallel
    # with the leader's), not two in a row.
    world, servers, sms, _ = make_cluster()
    world.fsync_ns = 50 * MS
    world.run_for(2000 * MS)
    lead = leader_of(servers)
    assert lead is not None
    world.run_for(200 * MS)  # let the no-op and heartbeats settle
    assert lead.propose(b"w")
    world.run_for(80 * MS)
    assert sms[lead.node_id].values()[-1:] == [b"w"]
