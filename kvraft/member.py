# Over 400 lines: a member is one state machine (apply, waiters, admin ops, watches, TTL sync) around one Server.
"""A kvraft member: the v2 store replicated by a Raft ``Server``, answering client requests.

Rules (etcd v2's server, restated):
- Requests are parsed and validated by ``kvraft.store``'s one handler; the same code answers over
  real HTTP later, so answers are byte-identical.
- Default GETs read this member's applied store (may be stale, as etcd); ``quorum=true`` GETs wait
  for a ReadIndex read point, then read locally; writes are proposed through Raft (a follower's
  proposal is forwarded by Raft to the leader) and answered when *this* member applies them.
- The member that receives a write stamps ``now_ns`` from its own clock (the ``expiration`` shown in
  answers comes from it, as in etcd v2).
- TTL expiry is decided by monotonic deadlines, as etcd v3's lessor does: every member, when it
  applies a write that gives a node a TTL, sets deadline = its monotonic clock + TTL (so a deadline
  is never before the client's invoke + TTL in true time, whatever the wall clocks say); every
  500 ms the leader proposes ``expire`` for exactly the nodes past their deadline, each guarded by
  the expiration it had (a refresh in between keeps the node). Assumption: monotonic clocks do not
  run fast by more than the TTL slack. A node restored from a snapshot cannot know when its TTLs
  were set: it takes the wall-clock remainder plus ``restore_grace_ns``.
- With bug switch B17, expiry is etcd v2's instead: the leader proposes SYNC stamped with its wall
  clock, and the store expires every node whose wall-clock expiration has passed, so a clock that
  jumps or runs ahead on the leader expires keys early (etcd-io/etcd#2508, #6700).
- Writes carry ``(client_id, seq)``; the store remembers the latest answer per client in replicated
  state (and in snapshots), so a retried write is applied once and answered the same.
- A request this member cannot serve now (no leader known) gets ``STATUS_RETRY`` with a leader hint;
  the client retries elsewhere. Raft-level timeouts are the client's: it reports unknown (``info``).
"""

from __future__ import annotations

import dataclasses
import functools
import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from kvraft.api import STATUS_RETRY, AdminRequest, ClientReply, ClientRequest
from kvraft.bugs import Bugs
from kvraft.raft.config import RaftConfig, ReadOnlyOption
from kvraft.publisher import Publisher, go_json
from kvraft.raft.entry import ConfChange, ConfChangeType
from kvraft.runtime import Runtime
from kvraft.server import Server
from kvraft.store.ops import Store
from kvraft.store.errors import RAFT_INTERNAL, EtcdError
from kvraft.store.render import Response, render_error, render_event
from kvraft.store.request import ParsedRequest, RequestKind, parse_request
from kvraft.store.snapshot import SnapshotError

__all__ = ["Member", "MemberConfig"]

# json.dumps(command, sort_keys=True, separators=(",", ":")) without building an encoder per request.
_encode_command = json.JSONEncoder(sort_keys=True, separators=(",", ":")).encode


@functools.lru_cache(maxsize=1024)
def _decode(data: bytes) -> Any:
    """The command in a committed entry (None if not JSON), decoded once for every member that applies the
    same bytes (in the simulator, the cluster's members within a few ms): shared, so read it, never change it."""
    try:
        return json.loads(data)
    except (ValueError, UnicodeDecodeError):
        return None

MS = 1_000_000


@dataclass(frozen=True, slots=True, kw_only=True)
class MemberConfig:
    tick_ns: int = 10 * MS
    tickless: bool = False  # wake the raft core only at its next deadline (kvraft/server.py); same protocol events
    sync_interval_ns: int = 500 * MS
    # etcd: 5 s + 2 x election timeout, then 500 / 300 "etcdserver: request timed out" (samples H25, H26).
    request_timeout_ns: int = 5600 * MS
    restore_grace_ns: int = 1000 * MS
    bugs: Bugs = field(default_factory=Bugs)  # kv-layer switches here; raft ones here or in RaftConfig.bugs


@dataclass
class _Waiter:
    src: str
    rid: int
    request: ParsedRequest
    timer: Any = None


_MEMBERS_MAGIC = b"kvraft-members "  # snapshot header when members were removed (then the store's bytes)

TIMED_OUT = EtcdError(RAFT_INTERNAL, "etcdserver: request timed out", 0)


class Member:
    """One kvraft node on a Runtime: a Raft Server, a v2 Store, and the request glue."""

    def __init__(self, runtime: Runtime, *, peers: list[str], raft_config: RaftConfig,
                 config: MemberConfig | None = None, rng: random.Random) -> None:
        self.rt = runtime
        self.config = config or MemberConfig()
        self.bugs = raft_config.bugs | self.config.bugs
        fields = {**{f: getattr(raft_config, f) for f in raft_config.__slots__}, "bugs": self.bugs.raft_part()}
        if self.bugs.lease_reads:
            # Bug B09: quorum reads trust the leader lease, which assumes bounded clocks and no pauses.
            fields.update(read_only=ReadOnlyOption.LEASE, check_quorum=True)
        rc = RaftConfig(**fields)
        self.store = Store()
        # Members removed from the cluster (etcd keeps them in its store: a second DELETE answers 410).
        self._conf: frozenset[str] = frozenset(peers)
        self.removed: set[str] = set()
        self._wall_sync = self.bugs.ttl_by_wall_clock
        self._deadlines: dict[str, tuple[int, int]] = {}  # path -> (monotonic deadline, expire_ns)
        self._applying_now_ns: int | None = None
        if not self._wall_sync:
            self.store.set_ttl_listener(self._on_ttl)
        self.server = Server(runtime, peers=peers, config=rc, state_machine=self, rng=rng, tick_ns=self.config.tick_ns,
                             tickless=self.config.tickless)
        self.server.app_handler = self._on_message
        self.server.on_applied.append(self._on_applied)
        self._waiters: dict[tuple[str, int], list[_Waiter]] = {}
        self._reads: list[tuple[int, Callable[[], None]]] = []  # (read index, serve) waiting for apply
        self._read_seq = 0
        self._boot_id = runtime.monotonic()  # det-ok: the runtime's clock (simulated in sim); differs per incarnation
        self._watches: dict[tuple[str, int], Any] = {}  # (client, request id) -> pending watcher
        # Real mode only (None in sim): (client, request id, head) when a watch waits; etcd flushes its head at once.
        self.on_watch_waiting: Callable[[str, int, Any], None] | None = None
        self._sync_timer: Any = None
        # etcd's member attributes, published at start-up (a real server sets its name and client URLs).
        self.attributes: dict[str, Any] = {"name": runtime.node_id, "clientURLs": []}
        self.publisher = Publisher(self)
        self.server.on_applied.append(lambda applied: self.publisher.on_applied())

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> None:
        self.server.start()
        self._sync_timer = self.rt.after(self.config.sync_interval_ns, self._sync_tick)

    @property
    def is_leader(self) -> bool:
        return self.server.is_leader

    @property
    def term(self) -> int:
        return self.server.term

    @property
    def leader_id(self) -> str | None:
        return self.server.leader_id

    # ------------------------------------------------------------------ StateMachine (called by Server)
    def apply(self, index: int, term: int, data: bytes) -> None:
        cmd = _decode(bytes(data))  # hashable whatever buffer the entry holds (bytes itself: no copy)
        now_ns = cmd.get("now_ns") if isinstance(cmd, dict) else None
        self._applying_now_ns = now_ns if isinstance(now_ns, int) else None
        applied_cmd = cmd if isinstance(cmd, dict) else {"op": "invalid"}
        if self.bugs.no_client_dedup:
            # Bug B10: no client dedup: the store never sees (client_id, seq), so a retry applies twice.
            applied_cmd = {k: v for k, v in applied_cmd.items() if k not in ("client_id", "seq")}
        result = self.store.apply(applied_cmd, index)
        self._applying_now_ns = None
        if not isinstance(cmd, dict):
            return
        if cmd.get("op") == "publish" and cmd.get("member") == self.rt.node_id:
            self.publisher.applied(cmd)
        cid, seq = cmd.get("client_id"), cmd.get("seq")
        if cid is None or seq is None:
            return
        waiters = self._waiters.pop((str(cid), int(seq)), None) if isinstance(seq, int) else None
        for w in waiters or ():
            if w.timer is not None:
                w.timer.cancel()
            self._reply(w.src, w.rid, w.request.respond(result, raft_index=index, raft_term=term))

    def snapshot(self) -> bytes:
        if not self.removed:
            return self.store.snapshot()
        head = json.dumps({"removed": sorted(self.removed)}, separators=(",", ":")).encode()
        return _MEMBERS_MAGIC + head + b"\n" + self.store.snapshot()

    def restore(self, data: bytes, index: int, term: int) -> None:
        self.removed = set()
        if data.startswith(_MEMBERS_MAGIC):
            head, _, data = data[len(_MEMBERS_MAGIC):].partition(b"\n")
            try:
                self.removed = {str(n) for n in json.loads(head)["removed"]}
            except (ValueError, KeyError, TypeError):
                raise SnapshotError("bad membership header in snapshot") from None
        self.store.restore(data)
        if not self._wall_sync:
            mono, wall = self.rt.monotonic(), self.rt.now()
            self._deadlines = {
                path: (mono + max(0, exp - wall) + self.config.restore_grace_ns, exp)
                for path, exp in self.store.ttl_nodes()
            }

    def on_conf_change(self, voters: tuple[str, ...], learners: tuple[str, ...]) -> None:
        """Server hook: a configuration was applied; who left it is removed (a re-added node is not)."""
        now = frozenset(voters) | frozenset(learners)
        self.removed |= self._conf - now
        self.removed -= now
        self._conf = now

    def apply_conf_change(self, index: int, term: int, change: ConfChange) -> None:
        """Server hook: a committed membership change, recorded in etcd's /0 namespace (takes etcd indexes)."""
        if change.type is ConfChangeType.REMOVE_NODE:
            self.store.apply({"op": "member-remove", "member": change.node_id}, index)
        else:
            self.store.apply({"op": "member-add", "member": change.node_id,
                              "value": self.raft_attributes(change.node_id,
                                                            learner=change.type is ConfChangeType.ADD_LEARNER)},
                             index)

    def raft_attributes(self, node: str, *, learner: bool = False) -> str:
        """etcd's stored raftAttributes of ``node`` (a real server knows its peer URLs)."""
        doc: dict[str, Any] = {"peerURLs": []}
        if learner:
            doc["isLearner"] = True
        return go_json(doc)

    def _on_ttl(self, path: str, expire_ns: int | None) -> None:
        """The store's TTL listener: keep this member's monotonic deadline for ``path``."""
        if expire_ns is None:
            self._deadlines.pop(path, None)
            return
        set_at = self._applying_now_ns if self._applying_now_ns is not None else expire_ns
        self._deadlines[path] = (self.rt.monotonic() + max(0, expire_ns - set_at), expire_ns)

    # ------------------------------------------------------------------ requests
    def _on_message(self, src: str, msg: object) -> None:
        if isinstance(msg, ClientRequest):
            self._on_request(src, msg)
        elif isinstance(msg, AdminRequest):
            self._on_admin(src, msg)

    def _reply(self, src: str, rid: int, resp: Response) -> None:
        self.rt.send(src, ClientReply(frm=self.rt.node_id, to=src, id=rid, status=resp.status,
                                      headers=tuple(resp.headers.items()), body=resp.body,
                                      leader_hint=self.server.leader_id))

    def _retry(self, src: str, rid: int) -> None:
        self.rt.send(src, ClientReply(frm=self.rt.node_id, to=src, id=rid, status=STATUS_RETRY,
                                      leader_hint=self.server.leader_id))

    def _on_request(self, src: str, m: ClientRequest) -> None:
        parsed = parse_request(m.method, m.path, dict(m.params))
        if isinstance(parsed, Response):
            self._reply(src, m.id, parsed)
            return
        if parsed.kind is RequestKind.LOCAL_READ or (
            parsed.kind is RequestKind.QUORUM_READ and self.bugs.stale_local_reads and self.server.is_leader
        ):
            # Bug B07: the leader serves "linearizable" reads from its local state, with no ReadIndex.
            self._reply(src, m.id, self._local_get(parsed))
            return
        if parsed.kind is RequestKind.QUORUM_READ:
            self._read_seq += 1
            # Unique across restarts too (etcd's id generator mixes in a boot value): a read still
            # pending from an earlier life must never match this one.
            ctx = f"{self.rt.node_id}/{self._boot_id}/{self._read_seq}".encode()
            state = {"done": False}

            def serve() -> None:
                if not state["done"]:
                    state["done"] = True
                    if state.get("timer") is not None:  # a lease read may be served inside read_index
                        state["timer"].cancel()
                    self._reply(src, m.id, self._local_get(parsed))

            def expire() -> None:
                if not state["done"]:
                    state["done"] = True
                    self._reply(src, m.id, render_error(TIMED_OUT))

            # Server.read_index calls back only once this member has applied the read index.
            if not self.server.read_index(ctx, lambda idx: serve()):
                self._retry(src, m.id)
                return
            if not state["done"]:
                state["timer"] = self.rt.after(self.config.request_timeout_ns, expire)
            return
        if parsed.kind is RequestKind.WATCH:
            self._watch(src, m.id, parsed)
            return
        # A write: stamp this member's clock and the client's identity, then propose.
        command = dict(parsed.command)
        command["now_ns"] = self.rt.now()
        if self.bugs.lock_by_own_clock and command.get("op") == "create" and not command.get("unique") \
                and self._expired_here(str(command.get("path", ""))):
            # Bug B16: the lock is granted because the holder's lease *looks* over on this member's own
            # clock; the lease is not re-checked through the log (no prevExist), and no fencing.
            command["op"] = "set"
        command["client_id"] = m.client_id
        command["seq"] = m.seq
        data = _encode_command(command).encode()
        key = (m.client_id, m.seq)
        if not self.server.propose(data):
            self._retry(src, m.id)
            return
        w = _Waiter(src, m.id, parsed)
        self._waiters.setdefault(key, []).append(w)
        w.timer = self.rt.after(self.config.request_timeout_ns, lambda: self._time_out(key, w))

    def _time_out(self, key: tuple[str, int], w: _Waiter) -> None:
        """No apply within the request timeout: answer 300 (the write may still apply later)."""
        waiters = self._waiters.get(key, [])
        if w in waiters:
            waiters.remove(w)
            if not waiters:
                del self._waiters[key]
            self._reply(w.src, w.rid, render_error(TIMED_OUT))

    def _expired_here(self, path: str) -> bool:
        """B16 only: does the node at ``path`` exist with a TTL that this member's wall clock says is over?"""
        res = self.store.get(path, now_ns=self.rt.now())
        node = res.event.node if res.event is not None else None
        exp = getattr(node, "expire_ns", None) if node is not None else None
        return exp is not None and exp <= self.rt.now()

    def _local_get(self, p: ParsedRequest) -> Response:
        result = p.read(self.store, now_ns=self.rt.now())
        return p.respond(result, raft_index=self.server.applied_index, raft_term=self.server.term)

    def _watch(self, src: str, rid: int, p: ParsedRequest) -> None:
        old = self._watches.get((src, rid))
        if old is not None and old.active:
            # The client re-sends a long poll it heard nothing about: the watcher registered here still
            # answers it (registering one per re-send leaked watchers until a matching event).
            return
        holder: dict[str, Any] = {}

        def fired(event: Any) -> None:
            head = holder.get("head")
            if head is None:
                return
            if not p.stream or event is None:
                self._watches.pop((src, rid), None)
            body = b"" if event is None else render_event(event)
            self.rt.send(src, ClientReply(frm=self.rt.node_id, to=src, id=rid, status=head.status,
                                          headers=tuple(head.headers.items()), body=body,
                                          leader_hint=self.server.leader_id))

        if self.bugs.watch_replays_early and p.wait_index > self.store.index + 1:
            # Bug B19: a lagging member resumes the watch from its own index, not the client's waitIndex,
            # so events the client already saw are replayed as it catches up.
            p = dataclasses.replace(p, wait_index=0)
        result = p.watch(self.store, fired)
        resp = p.respond(result, raft_index=self.server.applied_index, raft_term=self.server.term)
        if resp.watcher is None:
            self._reply(src, rid, resp)
        else:
            holder["head"] = resp
            self._watches[(src, rid)] = resp.watcher
            if self.on_watch_waiting is not None:
                self.on_watch_waiting(src, rid, resp)

    def _when_applied(self, index: int, serve: Callable[[], None]) -> None:
        if self.server.applied_index >= index:
            serve()
        else:
            self._reads.append((index, serve))

    def _on_applied(self, applied: int) -> None:
        if not self._reads:
            return
        ready = [s for i, s in self._reads if i <= applied]
        self._reads = [(i, s) for i, s in self._reads if i > applied]
        for serve in ready:
            serve()

    # ------------------------------------------------------------------ SYNC (TTL expiry)
    def _sync_tick(self) -> None:
        if self.server.is_leader:
            cmd: dict[str, Any] | None = None
            if self._wall_sync:  # Bug B17 (and etcd v2): expire by the leader's wall clock
                if self.store.next_expiration_ns() is not None:
                    cmd = {"op": "sync", "now_ns": self.rt.now()}
            elif self._deadlines:
                mono = self.rt.monotonic()
                due = sorted([p, exp] for p, (deadline, exp) in self._deadlines.items() if deadline <= mono)
                if due:
                    cmd = {"op": "expire", "paths": due, "now_ns": self.rt.now()}
            if cmd is not None:
                self.server.propose(json.dumps(cmd, sort_keys=True, separators=(",", ":")).encode())
        self.publisher.on_applied()  # a publish that got lost, or a quiet cluster after a restart
        self._sync_timer = self.rt.after(self.config.sync_interval_ns, self._sync_tick)

    # ------------------------------------------------------------------ membership API (spec §11)
    def _on_admin(self, src: str, m: AdminRequest) -> None:
        def answer(status: int, doc: Any) -> None:
            body = (json.dumps(doc, separators=(",", ":")) + "\n").encode()
            self.rt.send(src, ClientReply(frm=self.rt.node_id, to=src, id=m.id, status=status,
                                          headers=(("Content-Type", "application/json"),), body=body,
                                          leader_hint=self.server.leader_id))

        if m.op == "list":
            answer(200, {"members": [{"id": n, "name": n} for n in self.server.voters]})
        elif m.op == "leader":
            lead = self.server.leader_id
            if lead is None:
                self._retry(src, m.id)
            else:
                answer(200, {"id": lead, "name": lead})
        elif m.op == "transfer":  # hand leadership to m.node (Raft §3.10; etcd's move-leader)
            if m.node not in self.server.voters:
                answer(404, {"message": f"No such member: {m.node}"})
            elif not self.server.is_leader or not self.server.transfer_leadership(m.node):
                self._retry(src, m.id)
            else:
                answer(202, {"id": m.node, "name": m.node})
        elif m.op in ("add", "remove"):
            if not self.server.is_leader:
                self._retry(src, m.id)
                return
            typ = ConfChangeType.ADD_NODE if m.op == "add" else ConfChangeType.REMOVE_NODE
            if m.op == "add" and m.node in self.server.voters:
                answer(409, {"message": "membership: ID exists"})
            elif m.op == "remove" and m.node not in self.server.voters:
                if m.node in self.removed:
                    answer(410, {"message": f"Member permanently removed: {m.node}"})
                else:
                    answer(404, {"message": f"No such member: {m.node}"})
            elif self.server.propose_conf_change(ConfChange(type=typ, node_id=m.node)):
                # As etcd: answer once the change is committed and applied here (an appended change can
                # still be lost to a new leader); without quorum, 500 after the request timeout (spec §11).
                at = self.server.node.log.last_index if self.server.node is not None else 0
                state: dict[str, Any] = {}

                def applied() -> None:
                    if state.setdefault("done", True) is True and "timer" in state:
                        state["timer"].cancel()
                    if (m.node in self.server.voters) == (m.op == "add"):
                        answer(201 if m.op == "add" else 204, {"id": m.node, "name": m.node})
                    else:
                        answer(500, {"message": "etcdserver: request timed out"})

                def expire() -> None:
                    if "done" not in state:
                        state["done"] = False
                        answer(500, {"message": "etcdserver: request timed out"})

                self._when_applied(at, lambda: "done" not in state and applied())
                if "done" not in state:
                    state["timer"] = self.rt.after(self.config.request_timeout_ns, expire)
            else:
                self._retry(src, m.id)
        else:
            answer(400, {"message": f"unknown admin op {m.op!r}"})
