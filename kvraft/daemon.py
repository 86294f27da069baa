"""A kvraft member as a process: identity, data dir, peers, Raft and the v2 store on one event loop.

Rules:
- Start-up order: settings -> data dir (meta.json, WAL) -> peer listener -> member (reads the WAL)
  -> client listeners. A data dir of another cluster (another token, name or cluster id) is refused
  with one line before anything is written (``BootError``).
- A fresh member with ``--initial-cluster-state new`` derives every id from ``--initial-cluster``
  and the token; with ``existing`` it asks the peers it is given for the cluster's member table and
  finds itself by its peer URLs (as etcd's member add + start does).
- Once it knows a leader, the member publishes its name and client URLs through the log (etcd's
  publish, in every incarnation; ``kvraft/publisher.py``) until its own entry is applied.
- A member removed from the cluster stops as etcd's does (one error line "the member has been permanently
  removed from the cluster", then "the data-dir used by this member must be removed."; exit 0): when it
  applies its own removal, or when a peer refuses its connection as a removed member's (``kvraft/peer.py``).
- Stop: close listeners, the transport and the WAL; the process exits.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import ssl
from pathlib import Path
from typing import Any

from .aio import AioRuntime
from .cluster import ClusterMember
from .etcdconf import EtcdConfig, Url, cluster_id, member_id, parse_urls
from .member import MemberConfig
from .peer import PeerTransport, fetch_members
from .raft.config import RaftConfig
from .wal import Wal, WalError, has_data, read_meta, write_meta

__all__ = ["BootError", "Daemon"]

log = logging.getLogger("kvraft")
MS = 1_000_000
MAX_SNAPSHOT_ENTRIES = 10_000


class BootError(Exception):
    """The member cannot start with these settings and this data dir (one line)."""


def _ssl_server(cert: Any, key: Any, ca: Any, verify: bool) -> ssl.SSLContext:
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(str(cert), str(key))
    if verify:
        ctx.verify_mode = ssl.CERT_REQUIRED
        ctx.load_verify_locations(str(ca))
    return ctx


def _durable_writer(path: Path) -> Any:
    """``Wal.on_durable`` for the live harness: ``path`` holds ``{"segment", "length"}`` (fixed width, rewritten
    in place after every fsync; the harness reads it after kill -9 to play a power loss)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)

    def write(segment: str, length: int) -> None:
        os.pwrite(fd, f'{{"segment": "{segment}", "length": {length}}}'.ljust(96).encode(), 0)
    return write


class Daemon:
    """One member process. ``await start()``, then serve until ``await stop()``."""

    def __init__(self, cfg: EtcdConfig) -> None:
        self.cfg = cfg
        self.loop = asyncio.get_event_loop()
        self.member: ClusterMember | None = None
        self.runtime: AioRuntime | None = None
        self.wal: Wal | None = None
        self.transport: PeerTransport | None = None
        self.http: Any = None
        self.id = ""
        self.cluster_id = ""
        self.started_ns = 0
        self.exit_requested = asyncio.Event()  # set when this member must stop on its own (it was removed)
        tls = cfg.tls
        self.client_ssl = None
        if any(u.tls for u in cfg.listen_client_urls):
            if not (tls["cert-file"] and tls["key-file"]):
                raise BootError("an https listen-client-url needs --cert-file and --key-file")
            self.client_ssl = _ssl_server(tls["cert-file"], tls["key-file"], tls["trusted-ca-file"],
                                          bool(tls["client-cert-auth"]))
        self.peer_server_ssl = None
        self.peer_client_ssl = None
        if tls["peer-cert-file"] and tls["peer-key-file"]:
            self.peer_server_ssl = _ssl_server(tls["peer-cert-file"], tls["peer-key-file"],
                                               tls["peer-trusted-ca-file"], bool(tls["peer-client-cert-auth"]))
            c = ssl.create_default_context(cafile=str(tls["peer-trusted-ca-file"]) or None)
            c.load_cert_chain(str(tls["peer-cert-file"]), str(tls["peer-key-file"]))
            c.check_hostname = False
            self.peer_client_ssl = c

    # ------------------------------------------------------------------ identity
    async def _identity(self) -> dict[str, Any]:
        cfg = self.cfg
        d = cfg.data_dir
        mine = sorted(str(u) for u in cfg.initial_advertise_peer_urls)
        if has_data(d):
            try:
                meta = read_meta(d)
            except WalError as e:
                raise BootError(str(e)) from None
            if meta.get("force_new") and not cfg.force_new_cluster:
                raise BootError(f"{d}: a backup; start it with --force-new-cluster")
            if meta.get("name") != cfg.name and not cfg.force_new_cluster:
                raise BootError(f"{d}: data dir belongs to member {meta.get('name')!r}, not {cfg.name!r}")
            if cfg.initial_cluster_state == "new" and meta.get("token") != cfg.initial_cluster_token \
                    and not cfg.force_new_cluster:
                raise BootError(f"{d}: data dir belongs to cluster token {meta.get('token')!r}, "
                                f"not {cfg.initial_cluster_token!r}")
            return meta
        token = cfg.initial_cluster_token
        if cfg.initial_cluster_state == "new":
            initial = {}
            for name, urls in cfg.initial_cluster.items():
                peer = sorted(str(u) for u in urls)
                initial[f"{member_id(peer, token):x}"] = {"name": name, "peerURLs": peer, "clientURLs": []}
            me = f"{member_id(mine, token):x}"
            cid = f"{cluster_id([int(m, 16) for m in initial]):x}"
            return {"name": cfg.name, "member_id": me, "cluster_id": cid, "token": token, "initial": initial,
                    "voters": sorted(initial)}
        for name, urls in sorted(cfg.initial_cluster.items()):
            for u in urls:
                if str(u) in mine:
                    continue
                try:
                    got = await fetch_members(u.host, u.port, self.peer_client_ssl if u.tls else None)
                except (OSError, asyncio.TimeoutError, ValueError, asyncio.IncompleteReadError):
                    continue
                if not isinstance(got, dict) or not isinstance(got.get("members"), list):
                    continue
                initial = {m["id"]: {"name": m["name"], "peerURLs": m["peerURLs"], "clientURLs": m["clientURLs"]}
                           for m in got["members"]}
                me = [mid for mid, a in initial.items() if sorted(a["peerURLs"]) == mine]
                if not me:
                    raise BootError(f"this member's peer URLs {mine} are not in the cluster's member list "
                                    f"(run 'etcdctl member add' first)")
                return {"name": cfg.name, "member_id": me[0], "cluster_id": got["cluster"], "token": token,
                        "initial": initial, "voters": sorted(initial)}
        raise BootError("--initial-cluster-state existing: no peer of --initial-cluster answered")

    # ------------------------------------------------------------------ start / stop
    async def start(self) -> None:
        from .httpapi import HttpApi

        cfg = self.cfg
        meta = await self._identity()
        if cfg.force_new_cluster and has_data(cfg.data_dir):
            from .backup import force_new_cluster
            mine = sorted(str(u) for u in cfg.initial_advertise_peer_urls)
            me = f"{member_id(mine, cfg.initial_cluster_token):x}"
            fresh = {"name": cfg.name, "member_id": me, "token": cfg.initial_cluster_token,
                     "initial": {me: {"name": cfg.name, "peerURLs": mine, "clientURLs": []}}}
            try:
                meta = force_new_cluster(cfg.data_dir, fresh)
            except WalError as e:
                raise BootError(str(e)) from None
        if not has_data(cfg.data_dir):
            cfg.data_dir.mkdir(parents=True, exist_ok=True)
            write_meta(cfg.data_dir, meta)
        self.id = meta["member_id"]
        self.cluster_id = meta["cluster_id"]
        self.wal = Wal(cfg.data_dir, self.loop, fsync=cfg.fsync)
        if cfg.durable_file:
            self.wal.on_durable = _durable_writer(Path(cfg.durable_file))
        self.wal.fsync_delay_s = cfg.fsync_delay_ms / 1000
        try:
            self.wal.open()
        except (WalError, OSError) as e:
            raise BootError(str(e)) from None
        self.transport = PeerTransport(self.id, self.cluster_id, self._from_peer, members_fn=self._members_doc,
                                       client_ssl=self.peer_client_ssl, is_removed=self._is_removed,
                                       on_removed=self._removed)
        self.runtime = AioRuntime(self.id, self.wal, self.transport, self.loop)
        hb_ms, el_ms = cfg.heartbeat_ms, cfg.election_ms
        # A restart replays the log after the newest snapshot through the store, ~10x slower per entry here
        # than in etcd: snapshot at least every MAX_SNAPSHOT_ENTRIES (restart of 100k keys stays under 3 s).
        raft = RaftConfig(election_ticks=max(2, el_ms // hb_ms), heartbeat_ticks=1,
                          snapshot_entries=min(cfg.snapshot_count, MAX_SNAPSHOT_ENTRIES), max_inflight_msgs=512, bugs=cfg.bugs.raft_part(),
                          check_quorum=cfg.check_quorum)
        mcfg = MemberConfig(tick_ns=hb_ms * MS, request_timeout_ns=(5000 + 2 * el_ms) * MS, bugs=cfg.bugs)
        if cfg.bugs:
            log.warning("UNSAFE: bug switches on (%s): this member is broken on purpose", ",".join(cfg.bugs.on()))
        self.member = ClusterMember(self.runtime, peers=list(meta["voters"]), raft_config=raft, config=mcfg,
                                    rng=random.Random(os.urandom(16)),  # det-ok: a real server's election jitter
                                    initial=meta["initial"])
        self.member.attributes = {"name": cfg.name, "clientURLs": [str(u) for u in cfg.advertise_client_urls]}
        self.member.on_attrs.append(self._update_addresses)
        # A follower fsyncs on the loop's thread (it has nothing to overlap with its own append, and the hop to
        # the sync thread and back costs it ~20% of its CPU per write); a leader keeps serving clients meanwhile.
        self.wal.sync_here = lambda: not self.member.is_leader
        self.member.server.on_applied.append(self._check_removed)
        self._update_addresses()
        for u in cfg.listen_peer_urls:
            await self.transport.listen(u.host, u.port, self.peer_server_ssl if u.tls else None)
        self.member.start()
        # etcd's --initial-election-tick-advance: fast-forward all but one election tick at boot, so a
        # restarted member campaigns after about one tick plus its randomized slack, not a full timeout.
        # A member that is the only voter campaigns at once (nobody to disrupt).
        node = self.member.server.node
        if node is not None:
            alone = tuple(node.voters) == (self.id,)
            for _ in range(2 * raft.election_ticks if alone else raft.election_ticks - 1):
                node.tick()
        self.started_ns = self.runtime.now()
        self.http = HttpApi(self)
        for u in cfg.listen_client_urls:
            await self.http.listen(u, self.client_ssl if u.tls else None)
        self._removal_watch = asyncio.ensure_future(self._watch_removal())
        if cfg.clock_offset_file:
            self._clock = asyncio.ensure_future(self._follow_clock_offset(Path(cfg.clock_offset_file)))
        log.info("kvraft member %s (%s) of cluster %s serving clients on %s", self.id, cfg.name, self.cluster_id,
                 ",".join(map(str, cfg.listen_client_urls)))

    async def _follow_clock_offset(self, path: Path) -> None:
        """The live harness's clock faults: ``now()`` += the int ns in ``path`` (absent or bad: unchanged)."""
        while True:
            try:
                self.runtime.clock_offset_ns = int(path.read_text().strip() or "0")
            except (OSError, ValueError):
                pass
            await asyncio.sleep(0.05)

    async def stop(self) -> None:
        if getattr(self, "_clock", None) is not None:
            self._clock.cancel()
        if getattr(self, "_removal_watch", None) is not None:
            self._removal_watch.cancel()
        if self.http is not None:
            await self.http.close()
        if self.member is not None:
            self.member.server.stop()
        if self.transport is not None:
            await self.transport.close()
        if self.wal is not None:
            self.wal.close()

    # ------------------------------------------------------------------ removal
    def _is_removed(self, mid: str) -> bool:
        m = self.member
        return m is not None and mid in m.removed and mid not in m.server.voters + m.server.learners

    def _check_removed(self, applied: int) -> None:
        node = self.member.server.node if self.member is not None else None
        if node is not None and self.id not in node.voters + node.learners and node.conf_index <= applied:
            # etcd's stopWithDelay: a second for the answer to the removal to leave first.
            self.loop.call_later(1.0, self._removed)

    async def _watch_removal(self) -> None:
        """Once this member's log leaves it out of the configuration, or it knows no leader, ask the peers whether
        its removal committed:
        the leader stops replicating to a member once its removal is in the leader's log, so the member may never
        learn the commit itself (etcd learns it from the peers' refusal, as ``kvraft/peer.py`` also does)."""
        while not self.exit_requested.is_set():
            await asyncio.sleep(0.5)
            m, t = self.member, self.transport
            # Left out of its own configuration, or cut off from any leader (the leader may stop replicating to
            # it before the removal even reaches its log).
            if m is None or t is None or (self.id in m.server.voters + m.server.learners and m.leader_id is not None):
                continue
            for host, port, tls in sorted(t.addresses.values()):
                try:
                    doc = await fetch_members(host, port, self.peer_client_ssl if tls else None, timeout=1.0)
                except (OSError, asyncio.TimeoutError, ValueError, asyncio.IncompleteReadError):
                    continue
                if isinstance(doc, dict) and self.id in (doc.get("removed") or []):
                    self._removed()
                    return

    def _removed(self) -> None:
        if self.exit_requested.is_set():
            return
        log.error("the member has been permanently removed from the cluster")
        log.info("the data-dir used by this member must be removed.")
        self.exit_requested.set()

    # ------------------------------------------------------------------ peers
    def _from_peer(self, src: str, msg: Any) -> None:
        assert self.runtime is not None
        self.runtime.deliver(src, msg)

    def _members_doc(self) -> dict[str, Any]:
        assert self.member is not None
        node = self.member.server.node
        # Only removals this member knows are committed (a configuration is in force before it commits).
        done = node is not None and node.conf_index <= node.commit_index
        return {"cluster": self.cluster_id, "members": self.member.members(),
                "removed": sorted(self.member.removed) if done else []}

    def _update_addresses(self) -> None:
        assert self.member is not None and self.transport is not None
        for mid, a in self.member.attrs.items():
            if mid == self.id or not a.get("peerURLs"):
                continue
            try:
                u: Url = parse_urls(a["peerURLs"][0], "peer-urls")[0]
            except ValueError:
                continue
            self.transport.addresses[mid] = (u.host, u.port, u.tls)

    # ------------------------------------------------------------------ for the HTTP API
    def leader_client_url(self) -> str | None:
        m = self.member
        lead = m.leader_id if m is not None else None
        urls = m.attrs.get(lead, {}).get("clientURLs") if m is not None and lead else None
        return urls[0] if urls else None

