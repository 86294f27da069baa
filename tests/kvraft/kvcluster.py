"""A small simulated kvraft cluster for integration tests: members + client hosts on one sim World.

Rules:
- Everything is driven from the test: requests are sent with callbacks, and ``call`` runs the world
  in small steps until the reply (or the client's deadline) arrives, so a test reads top to bottom.
- Server nodes ``n1..nN`` boot a ``kvraft.member.Member`` through ``scenarios.cluster.MemberHosts``, the
  wiring the runner's ``Cluster`` uses too; spare nodes stay idle until ``join``.
- Fixed seeds only; nothing here reads a wall clock.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from kvraft.api import ClientReply
from kvraft.client import Client
from kvraft.member import MemberConfig
from kvraft.raft.config import RaftConfig
from scenarios.cluster import MemberHosts
from sim.world import World

MS = 1_000_000
S = 1_000_000_000


@dataclass
class Call:
    """One request in flight: ``reply`` is set (possibly to None) once ``done``."""

    sent_at_ns: int
    done: bool = False
    reply: ClientReply | None = None
    done_at_ns: int = 0

    @property
    def status(self) -> int | None:
        return None if self.reply is None else self.reply.status

    def json(self) -> Any:
        assert self.reply is not None, "no reply"
        return self.reply.json()


class KvCluster(MemberHosts):
    """``n`` kvraft members (plus ``spare`` idle server hosts) and ``clients`` client hosts."""

    def __init__(self, seed: int, *, n: int = 3, spare: int = 0, clients: int = 1, snapshot_entries: int = 1000,
                 election_ticks: int = 10, heartbeat_ticks: int = 1, request_timeout_ns: int = 1 * S, warmup_ns: int = 1 * S) -> None:
        all_nodes = [f"n{i}" for i in range(1, n + spare + 1)]
        super().__init__(World(seed, trace_messages=False), all_nodes, set(all_nodes[:n]),
                         RaftConfig(election_ticks=election_ticks, heartbeat_ticks=heartbeat_ticks,
                                    snapshot_entries=snapshot_entries),
                         MemberConfig(request_timeout_ns=request_timeout_ns))
        self.client_hosts = [f"c{i}" for i in range(1, clients + 1)]
        for c in self.client_hosts:
            self.world.add_host(c, kind="client")
        self.world.start()
        self.clients = {c: self.client(c, host=c) for c in self.client_hosts}
        self.world.run(warmup_ns)
        assert self.leader() is not None, "no leader after warm-up"

    # -- wiring (the members: MemberHosts) ------------------------------------------------------
    def client(self, client_id: str, *, servers: list[str] | None = None, host: str | None = None) -> Client:
        """A new Client ``client_id``; on its own new client host unless ``host`` is given (one per host)."""
        if host is None:
            host = f"h-{client_id}"
            self.world.add_host(host, kind="client")
        rt = self.world.hosts[host].runtime
        return Client(rt, servers=servers or sorted(self.members), client_id=client_id,
                      rng=self.world.streams.fork(f"client/{client_id}"))

    @property
    def c(self) -> Client:
        return self.clients[self.client_hosts[0]]

    # -- time and faults -------------------------------------------------------------------------
    @property
    def now(self) -> int:
        return self.world.now_ns

    def run_for(self, ns: int) -> None:
        self.world.run_for(ns)

    def run_until(self, pred: Any, max_ns: int, step_ns: int = 2 * MS) -> bool:
        end = self.now + max_ns
        while not pred() and self.now < end:
            self.world.run(min(end, self.now + step_ns))
        return bool(pred())

    def apply(self, fault: object) -> None:
        self.world.apply(fault)  # type: ignore[arg-type]

    def up(self, node: str) -> bool:
        h = self.world.hosts[node]
        return h.up and not h.paused and node in self.servers

    def wait_leader(self, max_ns: int = 3 * S, *, among: set[str] | None = None) -> str:
        def ok() -> bool:
            lead = self.leader()
            return lead is not None and (among is None or lead in among)

        assert self.run_until(ok, max_ns, 10 * MS), "no leader elected"
        lead = self.leader()
        assert lead is not None
        return lead

    # -- requests --------------------------------------------------------------------------------
    def send(self, method: str, key: str, params: dict[str, str] | None = None, *, client: Client | None = None,
             timeout_ns: int = 5 * S) -> Call:
        """Start one keys-API request (``key`` like ``/a``); returns its Call."""
        call = Call(sent_at_ns=self.now)

        def done(reply: ClientReply | None) -> None:
            call.done, call.reply, call.done_at_ns = True, reply, self.now

        (client or self.c).request(method, "/v2/keys" + key, params or {}, timeout_ns=timeout_ns, on_done=done)
        return call

    def call(self, method: str, key: str, params: dict[str, str] | None = None, *, client: Client | None = None,
             timeout_ns: int = 5 * S) -> Call:
        """Send and run the world until the reply (or the client's deadline)."""
        call = self.send(method, key, params, client=client, timeout_ns=timeout_ns)
        self.wait(call, timeout_ns + 10 * MS)
        return call

    def wait(self, call: Call, max_ns: int = 6 * S) -> Call:
        self.run_until(lambda: call.done, max_ns)
        assert call.done, "request still open"
        return call

    def put(self, key: str, value: str, *, client: Client | None = None, **params: str) -> Call:
        c = self.call("PUT", key, {"value": value, **params}, client=client)
        assert c.status in (200, 201), f"PUT {key}={value}: {c.reply}"
        return c

    def admin(self, op: str, node: str = "", *, client: Client | None = None, timeout_ns: int = 3 * S) -> Call:
        call = Call(sent_at_ns=self.now)

        def done(reply: ClientReply | None) -> None:
            call.done, call.reply, call.done_at_ns = True, reply, self.now

        (client or self.c).admin(op, node, timeout_ns=timeout_ns, on_done=done)
        return self.wait(call, timeout_ns + 10 * MS)

    # -- state -----------------------------------------------------------------------------------
    def snapshots(self, nodes: list[str] | None = None) -> dict[str, bytes]:
        return {n: self.servers[n].store.snapshot() for n in (nodes or sorted(self.members)) if self.up(n)}

    def converge(self, max_ns: int = 3 * S, nodes: list[str] | None = None) -> dict[str, bytes]:
        """Run until every live member holds byte-identical store snapshots; returns them."""
        want = nodes or sorted(self.members)

        def same() -> bool:
            snaps = self.snapshots(want)
            return len(snaps) == len(want) and len(set(snaps.values())) == 1

        assert self.run_until(same, max_ns, 20 * MS), {
            n: (self.servers[n].store.index, self.servers[n].server.applied_index) for n in want if n in self.servers}
        return self.snapshots(want)

    def index(self, node: str) -> int:
        return self.servers[node].store.index

    def history_events(self, node: str, key: str) -> list[Any]:
        """``node``'s store history window: the events on exactly ``key``, oldest first."""
        return [e for e in self.servers[node].store._history.events if e.node.key == key]
