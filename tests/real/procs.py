"""Real kvraft (and etcd) processes on 127.0.0.1 for tests: free ports, bounded waits, stop by PID.

Rules: every process is started through ``Procs.start`` and recorded by PID; ``Procs.stop_all`` (a
fixture finalizer) kills whatever is still running, even after a failure. Data dirs and logs live
under the test's tmp dir. Timing is fast (heartbeat 20 ms, election 200 ms) to keep tests short.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

HOST = "127.0.0.1"
FAST = ["--heartbeat-interval", "20", "--election-timeout", "200"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def http(method: str, url: str, body: bytes | None = None, headers: dict[str, str] | None = None,
         timeout: float = 10.0, context=None) -> tuple[int, dict[str, str], bytes]:
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    if body is not None and "Content-Type" not in (headers or {}):
        req.add_header("Content-Type", "application/x-www-form-urlencoded")
    try:
        with urllib.request.urlopen(req, timeout=timeout, context=context) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


@dataclass
class Node:
    name: str
    client_port: int
    peer_port: int
    data_dir: Path
    log: Path
    proc: subprocess.Popen | None = None
    extra: list[str] = field(default_factory=list)

    @property
    def client_url(self) -> str:
        return f"http://{HOST}:{self.client_port}"

    @property
    def peer_url(self) -> str:
        return f"http://{HOST}:{self.peer_port}"

    def flags(self, initial: str, state: str = "new", token: str = "kvraft-test") -> list[str]:
        return ["--name", self.name, "--data-dir", str(self.data_dir),
                "--listen-client-urls", self.client_url, "--advertise-client-urls", self.client_url,
                "--listen-peer-urls", self.peer_url, "--initial-advertise-peer-urls", self.peer_url,
                "--initial-cluster", initial, "--initial-cluster-token", token,
                "--initial-cluster-state", state, *FAST, *self.extra]


class Procs:
    """Every process a test starts; ``stop_all`` ends them by PID."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.procs: list[subprocess.Popen] = []

    def start(self, argv: list[str], log: Path, env: dict[str, str] | None = None, **kw) -> subprocess.Popen:
        out = open(log, "ab")
        p = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                             env={**os.environ, **(env or {})}, **kw)
        out.close()
        self.procs.append(p)
        return p

    def start_node(self, node: Node, initial: str, state: str = "new", token: str = "kvraft-test") -> None:
        node.proc = self.start([sys.executable, "-m", "kvraft", *node.flags(initial, state, token)], node.log)

    def stop_all(self) -> None:
        for p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 5
        for p in self.procs:
            try:
                p.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(timeout=5)


def kill9(node: Node) -> None:
    assert node.proc is not None
    node.proc.send_signal(signal.SIGKILL)
    node.proc.wait(timeout=5)


def stop(node: Node) -> None:
    assert node.proc is not None
    node.proc.send_signal(signal.SIGTERM)
    node.proc.wait(timeout=10)


def wait_healthy(urls: list[str], timeout_s: float = 20.0, context=None) -> None:
    deadline = time.monotonic() + timeout_s
    pending = list(urls)
    while pending and time.monotonic() < deadline:
        try:
            status, _, body = http("GET", pending[0] + "/health", timeout=2, context=context)
            if status == 200 and json.loads(body) == {"health": "true"}:
                pending.pop(0)
                continue
        except (OSError, ValueError):
            pass
        time.sleep(0.1)
    assert not pending, f"not healthy within {timeout_s} s: {pending}"


def until(attempt, done, timeout_s: float = 20.0):
    """Call ``attempt()`` until ``done(result)`` or the deadline; returns the last result (the caller asserts on
    it). A condition with a bounded deadline, for steps a leader election under load can fail for a moment."""
    deadline = time.monotonic() + timeout_s
    while True:
        got = attempt()
        if done(got) or time.monotonic() > deadline:
            return got
        time.sleep(0.1)


def wait_leader(urls: list[str], timeout_s: float = 20.0) -> str:
    """Wait until every member of ``urls`` names the same leader; returns its id."""
    def ask() -> set[str]:
        ids = set()
        for u in urls:
            try:
                status, _, body = http("GET", u + "/v2/members/leader", timeout=2)
                ids.add(json.loads(body)["id"] if status == 200 else "")
            except (OSError, ValueError, KeyError):
                ids.add("")
        return ids
    got = until(ask, lambda ids: len(ids) == 1 and "" not in ids, timeout_s)
    assert len(got) == 1 and "" not in got, f"no agreed leader within {timeout_s} s: {got}"
    return got.pop()


def leader_url(url: str) -> str:
    status, _, body = http("GET", url + "/v2/members/leader")
    assert status == 200, body
    return json.loads(body)["clientURLs"][0]


def make_nodes(root: Path, n: int, prefix: str = "m") -> list[Node]:
    return [Node(f"{prefix}{i}", free_port(), free_port(), root / f"{prefix}{i}", root / f"{prefix}{i}.log")
            for i in range(n)]


@contextlib.contextmanager
def one_member(root: Path, prefix: str):
    """A healthy one-member kvraft cluster under ``root``, stopped on exit."""
    p = Procs(root)
    (n,) = make_nodes(root, 1, prefix)
    try:
        p.start_node(n, f"{n.name}={n.peer_url}")
        wait_healthy([n.client_url])
        yield n
    finally:
        p.stop_all()


def initial_cluster(nodes: list[Node]) -> str:
    return ",".join(f"{x.name}={x.peer_url}" for x in nodes)


def etcdctl(*args: str, endpoints: str, timeout: float = 20, **kw) -> subprocess.CompletedProcess:
    env = {**os.environ, "ETCDCTL_API": "2"}
    return subprocess.run(["etcdctl", "--endpoints", endpoints, *args], capture_output=True, text=True,
                          timeout=timeout, env=env, **kw)
