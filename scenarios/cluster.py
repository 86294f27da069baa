"""Cluster wiring: a World with kvraft members on its server hosts, client hosts, and the nemesis's view.

Rules:
- A Cluster is the runner's live object (never handed to a workload or the nemesis as is): the nemesis sees
  the read-only ``ClusterView``; faults go through ``Cluster.apply`` (World.apply, the only way in).
- Servers n1..nN (+ spare machines for membership changes) boot a ``Member`` with the scenario's Raft
  settings and its bug switches (zoo ids mapped to kvraft.bugs.Bugs by scenarios/bugs.py); every rng is
  forked by name from the run seed.
- Clients: one machine per workload client, two admin machines (membership changes) and one for the final
  reads; a Client owns its machine's receiver, so they never share one.
"""

from __future__ import annotations

from typing import Any

from kvraft.client import Client
from kvraft.member import Member, MemberConfig
from kvraft.raft.config import RaftConfig, ReadOnlyOption
from scenarios.bugs import bugs_from_ids
from scenarios.params import Params
from scenarios.spec import Scenario, get_def
from sim import faults as F
from sim.latency import Constant, Exponential, LongTail, Normal, Uniform
from sim.world import World

__all__ = ["Cluster", "ClusterView", "MS", "MemberHosts", "S"]

MS = 1_000_000
S = 1_000_000_000


def _latency(p: Params) -> Any:
    mean = int(p.latency_ms * MS)
    kind = p.latency_dist
    if kind == "constant":
        return Constant(mean)
    if kind == "uniform":
        return Uniform(mean // 2, mean + mean // 2)
    if kind == "normal":
        return Normal(mean, max(1, mean // 4))
    if kind == "long-tail":
        return LongTail(Exponential(mean), Exponential(mean * 20), 0.02)
    return Exponential(mean)


class ClusterView:
    """The read-only ClusterView the nemesis sees."""

    def __init__(self, cluster: "Cluster") -> None:
        self._c = cluster

    @property
    def nodes(self) -> list[str]:
        return list(self._c.all_nodes)

    @property
    def members(self) -> list[str]:
        return sorted(self._c.members)

    @property
    def spare(self) -> list[str]:
        return sorted(n for n in self._c.all_nodes if n not in self._c.members)

    @property
    def up(self) -> list[str]:
        return [n for n in self._c.all_nodes if self._c.world.hosts[n].up and not self._c.world.hosts[n].paused]

    @property
    def down(self) -> list[str]:
        return [n for n in self._c.all_nodes if not self._c.world.hosts[n].up]

    @property
    def paused(self) -> list[str]:
        return [n for n in self._c.all_nodes if self._c.world.hosts[n].up and self._c.world.hosts[n].paused]

    @property
    def leader(self) -> str | None:
        return self._c.leader()

    @property
    def clients(self) -> list[str]:
        # The workload's client machines (not the admin/final-read one).
        return [c for c in self._c.client_hosts if self._c.world.hosts[c].up and not self._c.world.hosts[c].paused]

    @property
    def drifting(self) -> list[str]:
        return [n for n in self._c.all_nodes if self._c.world.hosts[n].drift_ppm != 0]

    @property
    def link_baseline(self) -> object:
        return self._c.link_baseline

    @property
    def links_faulted(self) -> bool:
        return self._c.link_setting != self._c.link_baseline


class MemberHosts:
    """kvraft members on a world's server hosts: each boots (and reboots, from its disk) a ``Member``; spare
    hosts idle until ``join``. Shared by ``Cluster`` and the kvraft integration tests' cluster."""

    def __init__(self, world: World, all_nodes: list[str], members: set[str], raft_config: RaftConfig,
                 member_config: MemberConfig) -> None:
        self.world, self.all_nodes, self.members = world, all_nodes, members
        self.raft_config, self.member_config = raft_config, member_config
        self.servers: dict[str, Member] = {}
        self.joined: set[str] = set()
        self.boot_peers: dict[str, list[str]] = {}  # node -> the peers of its first start (its --initial-cluster)
        for node in self.all_nodes:
            self.world.add_host(node, kind="server", on_boot=self._boot)

    def _boot(self, runtime: Any) -> None:
        node = runtime.node_id
        self.servers.pop(node, None)
        if node not in self.members and node not in self.joined:
            # A spare machine: up, but no kvraft member runs on it until the cluster adds it.
            runtime.set_receiver(lambda src, msg: None)
            return
        self._start_member(runtime)

    def _start_member(self, runtime: Any) -> None:
        node = runtime.node_id
        inc = self.world.hosts[node].incarnation
        # As etcd's --initial-cluster: the members known at the node's first start, itself included, and the
        # same on every restart (etcd reads the flag only without a data dir). The Raft core starts from these
        # and replays the conf entries of its own log (or its snapshot's configuration), so a restart given
        # today's members would count removals its log does not hold yet.
        peers = self.boot_peers.setdefault(node, sorted(self.members | {node}))
        m = Member(runtime, peers=peers, raft_config=self.raft_config, config=self.member_config,
                   rng=self.world.streams.fork(f"raft/{node}#{inc}"))
        self.servers[node] = m
        m.start()

    def join(self, node: str) -> None:
        """Start a member on the spare ``node`` (after the cluster agreed to add it: etcd's ``member add``)."""
        self.joined.add(node)
        self.members.add(node)
        host = self.world.hosts[node]
        if host.up and node not in self.servers and host.runtime is not None:
            self._start_member(host.runtime)

    def leader(self) -> str | None:
        """The live, unpaused member that leads in the highest term, if any."""
        best: tuple[int, str] | None = None
        for node in self.all_nodes:
            h = self.world.hosts[node]
            m = self.servers.get(node)
            if m is None or not h.up or h.paused or not m.is_leader:
                continue
            if best is None or m.term > best[0]:
                best = (m.term, node)
        return best[1] if best else None


class Cluster(MemberHosts):
    """The world, the kvraft members on it and the client hosts (live objects; the runner's only)."""

    def __init__(self, scenario: Scenario, seed: int) -> None:
        p = scenario.p
        self.scenario, self.seed, self.params = scenario, seed, p
        self.plan = get_def(scenario.name).build(p)
        world = World(seed, latency=_latency(p), trace_messages=bool(p.trace_messages))
        n, spare = p.nodes, self.plan.spare_nodes
        all_nodes = [f"n{i}" for i in range(1, n + spare + 1)]
        bugs = bugs_from_ids(p.bugs)  # validated by Scenario.create
        raft_config = RaftConfig(
            election_ticks=p.election_ticks, heartbeat_ticks=p.heartbeat_ticks, pre_vote=p.pre_vote,
            check_quorum=p.check_quorum, snapshot_entries=p.snapshot_entries, bugs=bugs.raft_part(),
            max_size_per_msg=p.max_msg_bytes, election_ticks_max=p.get("election_ticks_max") or None,
            read_only=ReadOnlyOption(p.read_only),
        )
        election_ns = p.election_ticks * p.tick_ms * MS
        member_config = MemberConfig(tick_ns=p.tick_ms * MS, tickless=p.tickless, bugs=bugs,
                                     request_timeout_ns=5 * S + 2 * election_ns)  # as etcd
        self.admin: Client | None = None
        self.admins: list[Client] = []
        super().__init__(world, all_nodes, set(all_nodes[:n]), raft_config, member_config)
        # The scenario's own link settings (not a fault): the nemesis returns to them after loss bursts.
        self.link_baseline = F.LinkFaults(loss=p.loss, dup=p.dup, reorder=p.reorder)
        self.link_setting = F.LinkFaults()
        if self.link_baseline != self.link_setting:
            self.apply(self.link_baseline)
        if p.fsync_ms > 0:  # otherwise the simulator's default disk (not a fault worth listing)
            for node in self.all_nodes:
                self.world.apply(F.DiskFaults(node=node, fsync_latency=Exponential(int(p.fsync_ms * MS))))
        # One machine per workload client, plus one for the admin (membership) client and one for the
        # final reads: a Client owns its machine's receiver, so they must not share one.
        self.client_hosts = [f"c{i}" for i in range(max(1, p.clients))]
        self.admin_host, self.final_host = "admin", "final"
        self.admin_hosts = [self.admin_host, "admin1"]  # a second admin client: two changes in flight
        for c in [*self.client_hosts, *self.admin_hosts, self.final_host]:
            self.world.add_host(c, kind="client")

    def apply(self, fault: object) -> None:
        """Inject a fault (through World.apply, the only way), remembering the link setting in force."""
        if isinstance(fault, F.LinkFaults) and fault.src is None and fault.dst is None:
            self.link_setting = fault
        self.world.apply(fault)

    def client(self, host: str, client_id: str) -> Client:
        rt = self.world.hosts[host].runtime
        return Client(rt, servers=sorted(self.members), client_id=client_id,
                      rng=self.world.streams.fork(f"client/{client_id}"))
