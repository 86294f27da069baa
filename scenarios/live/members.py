"""Member processes of a live cluster: kvraft or etcd, one per network namespace, tracked by PID.

Rules:
- Every process is started by ``start`` (``ip netns exec <ns> <binary> <etcd flags>``; the netns
  exec replaces itself, so the PID is the server's) and recorded; ``stop_all`` kills every one still
  alive (SIGCONT first for paused ones) and waits for it. Nothing is started elsewhere.
- A member's data dir is ``<work>/data/<node>`` and its log ``<work>/logs/<node>.log`` (appended across
  restarts), both under the run's work directory.
- kill -9 + restart reuses the data dir and the same flags: etcd (and kvraft) ignore the initial-cluster
  flags once the data dir holds a member.
- kvraft only: the scenario's ``bugs`` (zoo ids) go to the server's hidden ``--unsafe-bugs`` as the named
  switches of ``kvraft.bugs`` (scenarios/bugs.py maps them), and its clock offset is read from a file
  this harness writes. The server keeps its WAL's durable length in ``durable_file`` (after each fsync);
  ``lose_unsynced`` (after a kill) cuts the WAL back to it and deletes newer segments: a power loss, where
  kill -9 alone keeps the page cache.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scenarios.bugs import bugs_from_ids
from scenarios.live.network import PEER_PORT, Network
from scenarios.params import Params

__all__ = ["Members", "SYSTEMS", "binary_version", "wait_healthy"]

SYSTEMS = ("kvraft", "etcd")
CLIENT_PORT = 2379


def _command(system: str, etcd_bin: str) -> list[str]:
    return [etcd_bin] if system == "etcd" else [sys.executable, "-m", "kvraft"]


def binary_version(system: str, etcd_bin: str) -> str:
    """The first line of ``<binary> --version`` (one line on failure)."""
    try:
        r = subprocess.run([*_command(system, etcd_bin), "--version"], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired) as e:
        return f"unknown ({e})"
    out = (r.stdout or r.stderr).strip().splitlines()
    return out[0] if out else "unknown"


@dataclass
class Members:
    system: str
    etcd_bin: str
    net: Network
    work: Path
    params: Params
    procs: dict[str, subprocess.Popen] = field(default_factory=dict)
    paused: set[str] = field(default_factory=set)
    dying: set[str] = field(default_factory=set)  # sent SIGKILL by ``kill_now``, not yet reaped by ``kill``
    on_event: Any = None  # callback(kind, node, **fields) for the trace

    def client_url(self, node: str) -> str:
        return f"http://{self.net.addr(node)}:{CLIENT_PORT}"

    def flags(self, node: str) -> list[str]:
        p = self.params
        a = self.net.addr
        peers = ",".join(f"{n}=http://{a(n)}:{PEER_PORT}" for n in self.net.nodes)
        hb_ms = max(1, int(p.heartbeat_ticks * p.tick_ms))
        el_ms = max(5 * hb_ms, int(p.election_ticks * p.tick_ms))
        return ["--name", node, "--data-dir", str(self.work / "data" / node),
                "--listen-peer-urls", f"http://{a(node)}:{PEER_PORT}",
                "--initial-advertise-peer-urls", f"http://{a(node)}:{PEER_PORT}",
                "--listen-client-urls", self.client_url(node), "--advertise-client-urls", self.client_url(node),
                "--initial-cluster", peers, "--initial-cluster-token", self.net.tag,
                "--initial-cluster-state", "new", "--heartbeat-interval", str(hb_ms),
                "--election-timeout", str(el_ms), "--enable-v2", *self.kvraft_flags(node), *self.etcd_flags()]

    def etcd_flags(self) -> list[str]:
        """etcd 3.4 runs without PreVote unless told; the scenario's ``pre_vote`` (default on, as kvraft's) says."""
        return [f"--pre-vote={str(bool(self.params.pre_vote)).lower()}"] if self.system == "etcd" else []

    def clock_file(self, node: str) -> Path:
        """kvraft's clock offset (int ns), which only this harness writes (``--unsafe-clock-offset-file``)."""
        return self.work / "clock" / node

    def durable_file(self, node: str) -> Path:
        """kvraft's WAL durable point (``--unsafe-durable-file``), which only the server writes."""
        return self.work / "durable" / node

    def lose_unsynced(self, node: str) -> str:
        """After a kill: truncate ``node``'s WAL to its last durable length, delete newer segments; what was cut."""
        import json

        if self.is_up(node):
            raise RuntimeError(f"{node} is running: a power loss needs it killed first")
        try:
            mark = json.loads(self.durable_file(node).read_text())
            seg, length = str(mark["segment"]), int(mark["length"])
        except (OSError, ValueError, KeyError, TypeError) as e:
            raise RuntimeError(f"{node}: no durable WAL mark to cut back to ({e})") from None
        wal = self.work / "data" / node / "member" / "wal"
        cut = 0
        for path in sorted(wal.glob("*.wal")):
            if path.name > seg:
                cut += path.stat().st_size
                path.unlink()
            elif path.name == seg and path.stat().st_size > length:
                cut += path.stat().st_size - length
                os.truncate(path, length)
        return f"{cut} unsynced WAL bytes lost"

    def kvraft_flags(self, node: str) -> list[str]:
        if self.system != "kvraft":
            return []
        bugs = ",".join(bugs_from_ids(self.params.bugs).on())
        return ["--unsafe-clock-offset-file", str(self.clock_file(node)), "--unsafe-client-ids",
                "--unsafe-durable-file", str(self.durable_file(node)), *(["--unsafe-bugs", bugs] if bugs else []),
                *([f"--unsafe-fsync-delay-ms={round(self.params.fsync_ms)}"] if self.params.get("fsync_ms") else []),
                *([] if self.params.check_quorum else ["--unsafe-check-quorum=false"])]

    def start(self, node: str) -> None:
        (self.work / "logs").mkdir(parents=True, exist_ok=True)
        (self.work / "data").mkdir(parents=True, exist_ok=True)
        log = open(self.work / "logs" / f"{node}.log", "ab")
        try:
            proc = subprocess.Popen(["ip", "netns", "exec", self.net.ns(node), *_command(self.system, self.etcd_bin),
                                     *self.flags(node)], stdout=log, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, start_new_session=True)
        finally:
            log.close()
        self.procs[node] = proc
        self.paused.discard(node)
        self._event("process-start", node, pid=proc.pid)

    def is_up(self, node: str) -> bool:
        p = self.procs.get(node)
        return p is not None and p.poll() is None

    def kill(self, node: str) -> None:
        p = self.procs.get(node)
        if p is None or (p.poll() is not None and node not in self.dying):
            return
        self.dying.discard(node)
        if node in self.paused:
            os.kill(p.pid, signal.SIGCONT)  # a stopped process dies on SIGKILL too; CONT keeps ``paused`` honest
            self.paused.discard(node)
        if p.poll() is None:
            p.kill()
        p.wait(timeout=10)
        self._event("process-exit", node, pid=p.pid, code=p.returncode)

    def kill_now(self, nodes: list[str]) -> None:
        """SIGKILL every one of ``nodes`` that is up, without waiting (``kill`` then reaps and traces each)."""
        for node in nodes:
            p = self.procs.get(node)
            if p is not None and p.poll() is None:
                os.kill(p.pid, signal.SIGKILL)
                self.dying.add(node)

    def pause(self, node: str) -> None:
        if self.is_up(node) and node not in self.paused:
            os.kill(self.procs[node].pid, signal.SIGSTOP)
            self.paused.add(node)

    def resume(self, node: str) -> None:
        if self.is_up(node) and node in self.paused:
            os.kill(self.procs[node].pid, signal.SIGCONT)
            self.paused.discard(node)

    def reap(self) -> None:
        """Trace members that exited by themselves (a crash of the server under test is data)."""
        for node, p in sorted(self.procs.items()):
            if p.returncode is None and p.poll() is not None:
                self._event("process-exit", node, pid=p.pid, code=p.returncode)

    def stop_all(self) -> None:
        for node in sorted(self.procs):
            p = self.procs[node]
            if p.poll() is None:
                try:
                    os.kill(p.pid, signal.SIGCONT)
                    p.terminate()
                    p.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait(timeout=5)
                except ProcessLookupError:
                    pass
                self._event("process-exit", node, pid=p.pid, code=p.returncode)
        self.paused.clear()

    def _event(self, kind: str, node: str, **fields: Any) -> None:
        if self.on_event is not None:
            self.on_event(kind, node, **fields)


def wait_healthy(urls: list[str], timeout_s: float) -> bool:
    """True once every url answers /health with 200 (blocking, bounded)."""
    import urllib.request

    deadline = time.monotonic() + timeout_s
    pending = list(urls)
    while pending and time.monotonic() < deadline:
        url = pending[0]
        try:
            with urllib.request.urlopen(url + "/health", timeout=1) as r:
                if r.status == 200:
                    pending.pop(0)
                    continue
        except OSError:
            pass
        time.sleep(0.2)
    return not pending
