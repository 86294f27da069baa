"""samples.md's cluster endpoints (S101-S113), etcdctl transcript (S114-S160, H20-H23), loss of quorum (H25-H31)
and members API (H32), replayed against a live 3-member kvraft cluster.

What the transcript needs from the HTTP samples before it (keys that S133 lists, /created's value, the /h keys)
is seeded with plain writes, then hidden-key filler writes bring the etcd index to etcd's (55 before S114, as
tests/store/test_samples.py aligns S01's baseline), so the indexes inside etcdctl's error lines compare as
they are. Masked, as samples.md lists: member ids and URLs (ours use free ports), leader identity
(isLeader), member order, the order of ls without --sort, stats bodies, ids of members added at run time.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import subprocess
import threading
import time
from http.client import HTTPConnection
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from real.conftest import needs_etcdctl
from real.procs import (free_port, http, initial_cluster, kill9, leader_url, make_nodes, stop, until,
                        wait_healthy)

SAMPLES = Path("/work/shared/etcd-v2/samples.md")
if not SAMPLES.exists():  # pragma: no cover - the shared docs live beside the checkout
    SAMPLES = Path(__file__).resolve().parents[3] / "shared/etcd-v2/samples.md"
TEXT = SAMPLES.read_text(encoding="utf-8")
FILLER = "/v2/keys/_etcd_internal"

# Keys the HTTP samples before S114 left (S133's listing) and H20-H23's /h keys: (path, dir, value).
SEED = [("/created", False, "c"), ("/dirval", True, ""), ("/empty", False, ""), ("/esc", False, "e"),
        ("/hid", True, ""), ("/hid/shown", False, "s"), ("/hw", True, ""), ("/hw/v", False, "y"), ("/nv", False, "n"),
        ("/queue/00000000000000000033", False, "1"), ("/queue/00000000000000000034", False, "2"),
        ("/queue/00000000000000000035", False, "3"), ("/queue/00000000000000000036", True, ""),
        ("/rec", False, "r"), ("/tdir", True, ""), ("/unk", False, "u"), ("/viaf", False, "f")]
H_SEED = [("/h/d", True, ""), ("/h/f", True, ""), ("/h/c", False, "x"), ("/h/t1", False, ""), ("/h/t2", False, "c"),
          ("/h/q", False, "frombody"), ("/h/q2", False, "fromquery"), ("/h/newq", True, ""), ("/h/s", True, "")]
# Requests made "from another shell" while an etcdctl watch waits (sample -> key, value).
TRIGGERS = {"S143": ("/wk", "w1"), "S144": ("/wd/x", "w2"), "S145": ("/ek", "e1"), "H23": ("/h/q", "trigger")}
SKIP = {"H24": "etcdctl backup reads etcd's on-disk format; kvraft's is its own (kvraft backup: test_backup)"}


def _block(sid: str) -> list[str]:
    m = re.search(rf"^#### {sid}\. .*?\n```\n(.*?)```", TEXT, flags=re.M | re.S)
    assert m, sid
    return m.group(1).splitlines()


def _cli_cases(ids: list[str]) -> list[tuple[str, list[str], list[str], list[str], int]]:
    out = []
    for sid in ids:
        lines = _block(sid)
        cmd = next(l for l in lines if l.startswith("$ "))
        args = shlex.split(cmd[2:])[2:]  # drop ETCDCTL_API=2 etcdctl
        stdout = [l for l in lines[1:] if not l.startswith(("[stderr]", "[exit", "$ ", "  file:"))]
        stderr = [l[len("[stderr] "):] for l in lines if l.startswith("[stderr] ")]
        code = int(next(l for l in lines if l.startswith("[exit "))[6:-1])
        if sid == "H20":  # samples.md shows this error line on stdout; etcdctl writes it to stderr
            stderr, stdout = stdout, []
        out.append((sid, args, stdout, stderr, code))
    return out


CLI_IDS = [f"S{n}" for n in range(114, 161)] + ["H20", "H21", "H22", "H23"]


class Live:
    """The transcript on a live cluster: results[sid] = (expected, actual) pairs, compared by the tests."""

    def __init__(self, nodes) -> None:
        self.nodes = nodes
        self.results: dict[str, list[tuple[object, object]]] = {}
        self.etcd_names = {m["name"]: m for m in json.loads(
            [l for l in _block("S103") if l.startswith("{")][0])["members"]}

    @property
    def leader(self) -> str:
        return leader_url(self.nodes[0].client_url)

    def index(self) -> int:
        return int(http("GET", self.leader + "/v2/keys/")[1]["X-Etcd-Index"])

    def fill_to(self, target: int) -> None:
        while self.index() < target:
            assert http("PUT", self.leader + FILLER, b"value=internal")[0] in (200, 201)

    def seed(self, keys) -> None:
        for path, is_dir, value in keys:
            body = b"dir=true" if is_dir else f"value={value}".encode()
            assert http("PUT", self.leader + "/v2/keys" + path, body)[0] in (200, 201), path

    def mask(self, text: str) -> str:
        """etcd's member ids and URLs -> ours (by member name); leader identity masked."""
        ours = {n.name: n for n in self.nodes}
        mine = {m["name"]: m for m in json.loads(http("GET", self.nodes[0].client_url + "/v2/members")[2])["members"]}
        for name, m in self.etcd_names.items():
            text = text.replace(m["id"], mine[name]["id"])
            text = text.replace(m["peerURLs"][0], ours[name].peer_url).replace(m["clientURLs"][0], ours[name].client_url)
        return re.sub(r"isLeader=(true|false)", "isLeader=?", text)

    def etcdctl(self, args: list[str], trigger=None, kill_after: float | None = None):
        env = {**os.environ, "ETCDCTL_API": "2"}
        p = subprocess.Popen(["etcdctl", "--endpoints", self.leader, *args], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, env=env)
        if trigger is not None:
            time.sleep(0.7)
            key, value = trigger
            http("PUT", self.leader + "/v2/keys" + key, f"value={value}".encode())
        try:
            out, err = p.communicate(timeout=kill_after or 30)
        except subprocess.TimeoutExpired:
            p.send_signal(signal.SIGKILL)
            out, err = p.communicate(timeout=10)
        return out.splitlines(), err.splitlines(), p.returncode

    def run(self) -> "Live":
        self.seed(SEED)
        self.fill_to(55)
        added: dict[str, str] = {}
        spare = f"http://127.0.0.1:{free_port()}"
        for sid, args, exp_out, exp_err, code in _cli_cases(CLI_IDS):
            if sid == "H20":
                self.seed(H_SEED)
                self.fill_to(1193)
            args = [a.replace("http://127.0.0.1:22499", spare) for a in args]
            if sid in ("S156", "S157"):
                args = [added.get(a, a) for a in args]
            out, err, rc = self.etcdctl(args, TRIGGERS.get(sid), kill_after=3 if sid == "S145" else None)
            exp = "\n".join(exp_out).replace("http://127.0.0.1:22499", spare)
            if sid == "S154":
                m = re.search(r"with ID ([0-9a-f]+) ", "\n".join(out))
                if m:
                    added["dc3442ba228a6f97"] = m.group(1)
            exp = self.mask(exp)
            for etcd_id, ours in added.items():
                exp = exp.replace(etcd_id, ours)
                exp_err = [l.replace(etcd_id, ours) for l in exp_err]
            exp_lines, got_lines = exp.splitlines(), list(out)
            sort = (args[:1] == ["ls"] and "--sort" not in args) or args[:1] in (["member"], ["cluster-health"])
            if sid == "S154":  # ETCD_INITIAL_CLUSTER's member order is etcd's member order: masked
                def norm(l: str) -> str:
                    head = "ETCD_INITIAL_CLUSTER="
                    return head + ",".join(sorted(l[len(head):].replace('"', "").split(","))) if l.startswith(head) else l
                exp_lines, got_lines = [norm(l) for l in exp_lines], [norm(l) for l in got_lines]
            got_lines = [re.sub(r"isLeader=(true|false)", "isLeader=?", l) for l in got_lines]
            if sort:
                exp_lines, got_lines = sorted(exp_lines), sorted(got_lines)
            while err and err[-1] == "":  # samples.md's blocks drop a trailing empty line
                err.pop()
            self.results[sid] = [((exp_lines, exp_err, code), (got_lines, err, -9 if rc == -signal.SIGKILL else rc))]
        return self


@pytest.fixture(scope="module")
def live(cluster3):
    return Live(cluster3).run()


@needs_etcdctl
@pytest.mark.parametrize("sid", CLI_IDS)
def test_etcdctl_sample(sid: str, live: Live) -> None:
    if sid in SKIP:
        pytest.skip(SKIP[sid])
    for expected, actual in live.results[sid]:
        assert actual == expected, f"{sid}: expected {expected}, got {actual}"


def _exchanges(sid: str):
    lines = _block(sid)
    req = next(l for l in lines if l.startswith("> "))[2:]
    status = next((int(l[2:5]) for l in lines if re.match(r"< \d{3} ", l)), None)
    ctype = next((l.split(": ", 1)[1] for l in lines if l.startswith("< Content-Type: ")), None)
    body = "\n".join(l for l in lines if l and l[0] in "{h4")
    return req, status, ctype, body


@pytest.mark.parametrize("sid", [f"S{n}" for n in range(101, 114)])
def test_cluster_endpoint_sample(sid: str, cluster3) -> None:
    nodes = cluster3
    lead = leader_url(nodes[0].client_url)
    follower = next(n.client_url for n in nodes if n.client_url != lead)
    req, status, ctype, body = _exchanges(sid)
    parts = req.split("   ")
    method, path = parts[0].split(" ", 1)
    data = parts[1][len("body: "):].encode() if len(parts) > 1 else None
    headers = {"Content-Type": parts[2].split(": ")[-1]} if len(parts) > 2 else {}
    url = follower if sid == "S108" else lead
    if sid == "S110":  # an existing peer URL: one of ours
        data = json.dumps({"peerURLs": [nodes[0].peer_url]}).encode()
    got_status, got_headers, got_body = http(method, url + path.strip(), data, headers)
    assert got_status == status, (sid, got_status, got_body)
    assert got_headers.get("Content-Type") == ctype, (sid, got_headers)
    got = got_body.decode()
    if sid in ("S106", "S107"):  # stats bodies: masked; the same fields
        assert set(json.loads(got)) >= set(json.loads(body)) - {"sendPkgRate", "sendBandwidthRate"}, got
    elif sid == "S103":
        members = json.loads(got)["members"]
        assert sorted(m["name"] for m in members) == ["m0", "m1", "m2"]
        assert [int(m["id"], 16) for m in members] == sorted(int(m["id"], 16) for m in members)
        assert all(m["clientURLs"] and m["peerURLs"] for m in members)
    elif sid == "S104":
        assert json.loads(got)["clientURLs"] == [lead]
    elif sid == "S105":
        assert got == ", ".join(sorted(n.client_url for n in nodes))
    else:
        assert got.rstrip("\n") == body, (sid, got)


def test_members_api_sample_h32(cluster3) -> None:
    lead = leader_url(cluster3[0].client_url)
    j = {"Content-Type": "application/json"}
    spare = f"http://127.0.0.1:{free_port()}"
    s, _, b = http("POST", lead + "/v2/members", json.dumps({"peerURLs": [spare]}).encode(), j)
    added = json.loads(b)
    assert s == 201 and added["name"] == "" and added["peerURLs"] == [spare] and added["clientURLs"] == [], b
    mid = added["id"]
    s, _, b = http("GET", lead + "/v2/members")
    assert s == 200 and added in json.loads(b)["members"]
    assert http("DELETE", f"{lead}/v2/members/{mid}")[0] == 204
    s, _, b = http("DELETE", f"{lead}/v2/members/{mid}")
    assert (s, json.loads(b)) == (410, {"message": f"Member permanently removed: {mid}"})
    s, _, b = http("PUT", f"{lead}/v2/members/{mid}", json.dumps({"peerURLs": [spare]}).encode(), j)
    assert (s, json.loads(b)) == (500, {"message": "Internal Server Error"})
    s, _, b = http("POST", lead + "/v2/members", b'{"peerURLs":["not a url"]}', j)
    assert (s, json.loads(b)) == (400, {"message": "URL scheme must be http, https, unix, or unixs: not a url"})
    s, _, b = http("POST", lead + "/v2/members", b"{bad json", j)
    assert (s, json.loads(b)) == (400, {"message": "invalid character 'b' looking for beginning of object key string"})
    assert http("DELETE", lead + "/v2/members")[0] == 405


@needs_etcdctl
def test_loss_of_quorum_samples_h25_to_h31(procs, tmp_path: Path) -> None:
    nodes = make_nodes(tmp_path, 3)
    initial = initial_cluster(nodes)
    for n in nodes:
        procs.start_node(n, initial)
    wait_healthy([n.client_url for n in nodes])
    lead_url = leader_url(nodes[0].client_url)
    assert http("PUT", lead_url + "/v2/keys/h/q", b"value=trigger")[0] == 201
    survivor = next(n for n in nodes if n.client_url == lead_url)
    others = [n for n in nodes if n is not survivor]
    before = int(http("GET", lead_url + "/v2/keys/")[1]["X-Etcd-Index"])
    # Stopped at once (SIGKILL), so that the writes below reach the survivor while it still leads: it steps
    # down (CheckQuorum) one election timeout later, as etcd's does.
    for n in others:
        kill9(n)
    timed_out = b'{"errorCode":300,"message":"Raft Internal Error","cause":"etcdserver: request timed out","index":0}\n'
    got: dict[str, tuple] = {}

    def call(name, *a):
        t0 = time.monotonic()
        got[name] = (*http(*a, timeout=15), time.monotonic() - t0)

    threads = [threading.Thread(target=call, args=("H25", "PUT", lead_url + "/v2/keys/nq", b"value=x")),
               threading.Thread(target=call, args=("H26", "GET", lead_url + "/v2/keys/h/q?quorum=true"))]
    for t in threads:
        t.start()
    # H27: a local read still answers; H28: /health is false at once (no leader once CheckQuorum steps down).
    time.sleep(0.6)
    s, h, b = http("GET", lead_url + "/v2/keys/h/q")
    assert s == 200 and json.loads(b)["node"]["value"] == "trigger"
    t0 = time.monotonic()
    s, h, b = http("GET", lead_url + "/health")
    assert (s, h["Content-Type"], b) == (503, "text/plain; charset=utf-8", b'{"health":"false"}')
    assert time.monotonic() - t0 < 1.5
    # H29: cluster-health finds it unavailable (exit 5)
    r = subprocess.run(["etcdctl", "--endpoints", ",".join(n.client_url for n in nodes), "cluster-health"],
                       capture_output=True, text=True, timeout=30, env={**os.environ, "ETCDCTL_API": "2"})
    assert r.returncode == 5 and r.stdout.endswith("cluster is unavailable\n"), r
    assert f"is unhealthy: got unhealthy result from {lead_url}" in r.stdout
    # H30: etcdctl set gives up first (header timeout), exit 4
    r = subprocess.run(["etcdctl", "--endpoints", lead_url, "set", "/nq", "x"], capture_output=True, text=True,
                       timeout=30, env={**os.environ, "ETCDCTL_API": "2"})
    assert r.returncode == 4 and "exceeded header timeout" in r.stderr + r.stdout, r
    for t in threads:
        t.join(timeout=20)
    for sid in ("H25", "H26"):
        s, h, b, took = got[sid]
        assert (s, h["Content-Type"], h["X-Etcd-Index"], b) == (500, "application/json", "0", timed_out), (sid, s, b)
        assert took >= 5.0, (sid, took)  # after the request timeout (5 s + 2 election timeouts)
    # H31: after quorum returns, the timed-out writes were applied anyway. The members come back one at a
    # time (as in the sample): the survivor's longer log wins the election, so its entries are committed.
    for n in others:
        procs.start_node(n, initial)
        wait_healthy([survivor.client_url, n.client_url])
    s, _, b = http("GET", lead_url + "/v2/keys/nq?quorum=true")
    assert s == 200 and json.loads(b)["node"]["value"] == "x"
    assert int(http("GET", lead_url + "/v2/keys/")[1]["X-Etcd-Index"]) > before


def test_backup_starts_as_a_new_one_member_cluster(procs, tmp_path: Path) -> None:
    nodes = make_nodes(tmp_path, 3)
    initial = initial_cluster(nodes)
    for n in nodes:
        procs.start_node(n, initial)
    wait_healthy([n.client_url for n in nodes])
    lead = leader_url(nodes[0].client_url)
    for i in range(20):
        assert http("PUT", f"{lead}/v2/keys/b/k{i}", f"value=v{i}".encode())[0] == 201
    for _ in range(50):  # the member backed up has applied the last write (its local read shows it)
        if http("GET", f"{nodes[0].client_url}/v2/keys/b/k19")[0] == 200:
            break
        time.sleep(0.1)
    stop(nodes[0])
    import sys
    r = subprocess.run([sys.executable, "-m", "kvraft", "backup", "--data-dir", str(nodes[0].data_dir),
                        "--backup-dir", str(tmp_path / "bk")], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    r = subprocess.run([sys.executable, "-m", "kvraft", "backup", "--data-dir", str(tmp_path / "nonexist"),
                        "--backup-dir", str(tmp_path / "b2")], capture_output=True, text=True, timeout=30)
    assert r.returncode == 2 and len(r.stderr.splitlines()) == 1, r
    (copy,) = make_nodes(tmp_path, 1, "copy")
    copy.data_dir = tmp_path / "bk"
    copy.extra = ["--force-new-cluster"]
    procs.start_node(copy, f"{copy.name}={copy.peer_url}")
    wait_healthy([copy.client_url])
    members = json.loads(http("GET", copy.client_url + "/v2/members")[2])["members"]
    assert [m["name"] for m in members] == ["copy0"], members
    values = []
    for i in range(20):
        s, _, b = http("GET", f"{copy.client_url}/v2/keys/b/k{i}")
        values.append(json.loads(b)["node"]["value"] if s == 200 else None)
    assert values == [f"v{i}" for i in range(20)]
    assert http("PUT", copy.client_url + "/v2/keys/after", b"value=1")[0] == 201


def test_a_long_poll_watch_sends_its_head_before_the_event(cluster3) -> None:
    # etcd flushes a watch's status and headers at once ("in case of long polling"); the event follows, chunked.
    u = urlsplit(cluster3[0].client_url)
    conn = HTTPConnection(u.hostname, u.port, timeout=15)
    try:
        conn.request("GET", "/v2/keys/head-first?wait=true")
        resp = conn.getresponse()  # returns once the head is in: the write below comes only after it
        assert resp.status == 200 and resp.getheader("X-Etcd-Index") and resp.getheader("X-Raft-Term")
        assert resp.getheader("Transfer-Encoding") == "chunked"
        status, _, _ = http("PUT", cluster3[0].client_url + "/v2/keys/head-first", b"value=1")
        assert status == 201
        doc = json.loads(resp.read())
        assert doc["action"] == "set" and doc["node"]["value"] == "1", doc
    finally:
        conn.close()


def test_stats_count_what_this_member_did(cluster3) -> None:
    # /v2/stats/* (S106, S107): etcd's counters, counted where etcd counts them.
    lead = leader_url(cluster3[0].client_url)
    follower = next(n.client_url for n in cluster3 if n.client_url != lead)
    before = json.loads(http("GET", lead + "/v2/stats/store")[2])
    for i in range(3):
        assert http("PUT", f"{lead}/v2/keys/stats/k{i}", b"value=v")[0] in (200, 201)
    assert http("PUT", f"{lead}/v2/keys/stats/k0?prevValue=nope", b"value=w")[0] == 412
    assert http("GET", f"{lead}/v2/keys/stats/k1")[0] == 200
    assert http("GET", f"{lead}/v2/keys/stats/none")[0] == 404
    after = json.loads(http("GET", lead + "/v2/stats/store")[2])
    assert after["setsSuccess"] - before["setsSuccess"] == 3
    assert after["compareAndSwapFail"] - before["compareAndSwapFail"] == 1
    assert after["getsSuccess"] - before["getsSuccess"] == 1 and after["getsFail"] - before["getsFail"] == 1
    s = json.loads(http("GET", lead + "/v2/stats/self")[2])
    assert s["state"] == "StateLeader" and s["sendAppendRequestCnt"] > 0
    # etcd's rates over its last 200 AppendEntries (kvraft/stats.py), in etcd's field order, within 1 s of them.
    assert list(s)[-3:] == ["sendAppendRequestCnt", "sendPkgRate", "sendBandwidthRate"], s
    assert s["sendPkgRate"] > 0 and s["sendBandwidthRate"] > s["sendPkgRate"], s
    s = json.loads(http("GET", follower + "/v2/stats/self")[2])
    assert s["state"] == "StateFollower" and s["recvAppendRequestCnt"] > 0
    assert s["recvPkgRate"] > 0 and s["recvBandwidthRate"] > s["recvPkgRate"] and "sendPkgRate" not in s, s
    # Over a second with no AppendEntries (heartbeats are other messages): the rates are gone, as etcd's.
    s = until(lambda: json.loads(http("GET", lead + "/v2/stats/self")[2]),
              lambda s: "sendPkgRate" not in s and "sendBandwidthRate" not in s, 5)
    assert "sendPkgRate" not in s and "sendBandwidthRate" not in s, s
    fol = json.loads(http("GET", lead + "/v2/stats/leader")[2])["followers"]
    assert len(fol) == 2 and all(f["counts"]["success"] > 0 for f in fol.values()), fol
    assert all(0 <= f["latency"]["minimum"] <= f["latency"]["average"] <= f["latency"]["maximum"] for f in fol.values())
