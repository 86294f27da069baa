"""Deployments as the seed describes them: an etcd.conf env file, three members, etcdctl, membership."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from real.conftest import needs_etcdctl
from real.procs import (Node, etcdctl, free_port, http, initial_cluster, make_nodes, stop, until, wait_healthy,
                        wait_leader)


def _conf_file(node: Node, initial: str, path: Path) -> Path:
    path.write_text(
        f'ETCD_NAME="{node.name}"\n'
        f'ETCD_DATA_DIR="{node.data_dir}"\n'
        f'ETCD_LISTEN_PEER_URLS="{node.peer_url}"\n'
        f'ETCD_LISTEN_CLIENT_URLS="{node.client_url}"\n'
        f'ETCD_INITIAL_ADVERTISE_PEER_URLS="{node.peer_url}"\n'
        f'ETCD_ADVERTISE_CLIENT_URLS="{node.client_url}"\n'
        f'ETCD_INITIAL_CLUSTER="{initial}"\n'
        f'ETCD_INITIAL_CLUSTER_TOKEN="etcd-cluster-1"\n'
        f'ETCD_INITIAL_CLUSTER_STATE="new"\n'
        f'ETCD_HEARTBEAT_INTERVAL="20"\n'
        f'ETCD_ELECTION_TIMEOUT="200"\n'
        f'ETCD_ENABLE_V2="true"\n')
    return path


def _start_from_conf(procs, node: Node, conf: Path) -> None:
    # As the seed: set -a; . ./etcd.conf; kvraft
    node.proc = procs.start(["bash", "-c", f'set -a; . "{conf}"; exec "{sys.executable}" -m kvraft'], node.log)


def test_one_node_from_an_etcd_conf_env_file(procs, tmp_path: Path) -> None:
    (n,) = make_nodes(tmp_path, 1, "solo")
    _start_from_conf(procs, n, _conf_file(n, f"{n.name}={n.peer_url}", tmp_path / "etcd.conf"))
    wait_healthy([n.client_url])
    status, headers, body = http("PUT", n.client_url + "/v2/keys/message", b"value=Hello")
    assert status == 201, body
    assert json.loads(body)["node"]["value"] == "Hello"
    # etcd's first write in a fresh 1-member cluster: index 2N+2 = 4 (its member record, its publish, the version).
    assert headers["X-Etcd-Cluster-Id"] and headers["X-Etcd-Index"] == "4"
    status, _, body = http("GET", n.client_url + "/version")
    assert json.loads(body) == {"etcdserver": "3.4.23", "etcdcluster": "3.4.0"}
    # Member and cluster ids are etcd's: sha1 of the peer URLs and the token.
    from kvraft.etcdconf import cluster_id, member_id
    mid = member_id([n.peer_url], "etcd-cluster-1")
    _, _, body = http("GET", n.client_url + "/v2/members")
    assert json.loads(body)["members"][0]["id"] == f"{mid:x}"
    assert headers["X-Etcd-Cluster-Id"] == f"{cluster_id([mid]):x}"
    # A restart on the same data dir keeps the data.
    stop(n)
    _start_from_conf(procs, n, tmp_path / "etcd.conf")
    wait_healthy([n.client_url])
    status, _, body = http("GET", n.client_url + "/v2/keys/message")
    assert status == 200 and json.loads(body)["node"]["value"] == "Hello"


@needs_etcdctl
def test_three_members_mkdir_on_one_ls_on_the_others_then_replace_a_member(procs, tmp_path: Path) -> None:
    nodes = make_nodes(tmp_path, 3, "infra")
    initial = initial_cluster(nodes)
    for n in nodes:
        _start_from_conf(procs, n, _conf_file(n, initial, tmp_path / f"{n.name}.conf"))
    wait_healthy([n.client_url for n in nodes])
    # Under load a member can miss heartbeats and call an election: each step waits on its condition with a
    # bounded deadline (until), never a fixed sleep, and only idempotent steps are retried.
    r = until(lambda: etcdctl("mkdir", "testdir", endpoints=nodes[0].client_url),
              lambda r: r.returncode == 0 or "Key already exists" in r.stderr)
    assert r.returncode == 0 or "Key already exists" in r.stderr, r.stderr
    for n in nodes[1:]:
        # A default GET is local (serializable) as etcd's: a follower shows the write once it applied it.
        r = until(lambda: etcdctl("ls", endpoints=n.client_url), lambda r: r.stdout == "/testdir\n")
        assert r.stdout == "/testdir\n", r
    all_eps = ",".join(n.client_url for n in nodes)
    r = until(lambda: etcdctl("cluster-health", endpoints=all_eps),
              lambda r: r.returncode == 0 and r.stdout.endswith("cluster is healthy\n"))
    assert r.returncode == 0 and r.stdout.endswith("cluster is healthy\n"), r
    # member remove infra2, then member add infra3 and start it with initial-cluster-state=existing
    members = json.loads(http("GET", nodes[0].client_url + "/v2/members")[2])["members"]
    gone = next(m["id"] for m in members if m["name"] == "infra2")
    wait_leader([n.client_url for n in nodes])
    r = etcdctl("member", "remove", gone, endpoints=nodes[1].client_url)
    assert r.returncode == 0 and r.stdout == f"Removed member {gone} from cluster\n", r
    # As etcd, the removed member stops by itself (exit 0) with etcd's log lines.
    assert nodes[2].proc.wait(timeout=30) == 0
    log = nodes[2].log.read_text()
    assert "the member has been permanently removed from the cluster" in log
    assert "the data-dir used by this member must be removed." in log
    wait_healthy([nodes[0].client_url, nodes[1].client_url])  # the removed member may have led: an election first
    wait_leader([nodes[0].client_url, nodes[1].client_url])
    new = Node("infra3", free_port(), free_port(), tmp_path / "infra3", tmp_path / "infra3.log")
    r = etcdctl("member", "add", new.name, new.peer_url, endpoints=nodes[0].client_url)
    assert r.returncode == 0, r.stderr
    env = dict(line.split("=", 1) for line in r.stdout.splitlines() if line.startswith("ETCD_"))
    assert env["ETCD_INITIAL_CLUSTER_STATE"] == '"existing"'
    assert f"infra3={new.peer_url}" in env["ETCD_INITIAL_CLUSTER"]
    procs.start_node(new, env["ETCD_INITIAL_CLUSTER"].strip('"'), state="existing", token="etcd-cluster-1")
    live = [nodes[0], nodes[1], new]
    wait_healthy([n.client_url for n in live])
    r = until(lambda: etcdctl("ls", endpoints=new.client_url), lambda r: r.stdout == "/testdir\n")
    assert r.stdout == "/testdir\n", r

    def names(r) -> list[str]:
        return sorted(line.split(" name=")[1].split(" ")[0] for line in r.stdout.splitlines() if " name=" in line)

    r = until(lambda: etcdctl("member", "list", endpoints=nodes[1].client_url),
              lambda r: names(r) == ["infra0", "infra1", "infra3"])
    assert names(r) == ["infra0", "infra1", "infra3"], r.stdout
    r = until(lambda: etcdctl("cluster-health", endpoints=",".join(n.client_url for n in live)),
              lambda r: r.returncode == 0 and r.stdout.count(" is healthy: got healthy result") == 3)
    assert r.returncode == 0 and r.stdout.count(" is healthy: got healthy result") == 3, r.stdout


def test_bad_flags_and_urls_exit_2_with_one_line() -> None:
    for argv in (["--no-such-flag"], ["--listen-client-urls", "127.0.0.1:2379"], ["--heartbeat-interval", "x"],
                 ["--initial-cluster-state", "maybe"]):
        r = subprocess.run([sys.executable, "-m", "kvraft", *argv], capture_output=True, text=True, timeout=30)
        assert r.returncode == 2, (argv, r)
        assert r.stdout == "" and len(r.stderr.splitlines()) == 1 and "Traceback" not in r.stderr, (argv, r.stderr)


def test_a_data_dir_of_another_cluster_is_refused_and_untouched(procs, tmp_path: Path) -> None:
    (n,) = make_nodes(tmp_path, 1, "a")
    procs.start_node(n, f"{n.name}={n.peer_url}", token="one")
    wait_healthy([n.client_url])
    stop(n)
    before = {p: p.read_bytes() for p in sorted(n.data_dir.rglob("*")) if p.is_file()}
    r = subprocess.run([sys.executable, "-m", "kvraft", *n.flags(f"{n.name}={n.peer_url}", token="two")],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 2 and "cluster token 'one'" in r.stderr and len(r.stderr.splitlines()) == 1, r
    assert {p: p.read_bytes() for p in sorted(n.data_dir.rglob("*")) if p.is_file()} == before


def test_a_bad_crc_in_the_middle_of_the_wal_refuses_to_start(procs, tmp_path: Path) -> None:
    (n,) = make_nodes(tmp_path, 1, "c")
    procs.start_node(n, f"{n.name}={n.peer_url}")
    wait_healthy([n.client_url])
    for i in range(5):
        assert http("PUT", f"{n.client_url}/v2/keys/k{i}", b"value=corrupt-me-" + str(i).encode())[0] == 201
    stop(n)
    seg = sorted((n.data_dir / "member" / "wal").glob("*.wal"))[-1]
    data = bytearray(seg.read_bytes())
    at = data.index(b"corrupt-me-1".hex().encode())
    data[at] ^= 0x01
    seg.write_bytes(bytes(data))
    r = subprocess.run([sys.executable, "-m", "kvraft", *n.flags(f"{n.name}={n.peer_url}")],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 2 and len(r.stderr.splitlines()) == 1, r
    assert f"{seg}: bad CRC in record at offset" in r.stderr


def test_a_stopped_member_logs_no_traceback(procs, tmp_path: Path) -> None:
    # Shutdown used to log asyncio's "Exception in callback StreamReaderProtocol..." CancelledError traceback for
    # every peer connection still open: a clean stop must be quiet.
    nodes = make_nodes(tmp_path, 2, "quiet")
    for n in nodes:
        procs.start_node(n, initial_cluster(nodes))
    wait_healthy([n.client_url for n in nodes])
    assert http("PUT", nodes[0].client_url + "/v2/keys/k", b"value=1")[0] == 201
    for n in nodes:
        stop(n)
        assert n.proc.returncode == 0
    for n in nodes:
        log = n.log.read_text()
        assert "Traceback" not in log and "CancelledError" not in log, log
