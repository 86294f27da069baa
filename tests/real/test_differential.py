"""Differential test against a real etcd 3.4: the same seeded random keys-API requests to both, answers compared.

Three etcd members and three kvraft members, each on their own free loopback ports; requests go to each side's
leader. The first 2N+1 = 7 indexes are the member writes (N member adds, N publishes, the cluster version) in
both, so the indexes line up from the start.
Compared: status, X-Etcd-Index, the body; masked as samples.md lists: ``expiration`` and ``ttl`` values
(their presence is compared), X-Raft-Index/Term, node order in listings without ``sorted=true``.
Skipped with the reason when etcd is not installed (apt-get install etcd-server).
"""

from __future__ import annotations

import json
import random
import shutil
import sys
import urllib.parse
from pathlib import Path

import pytest

from real.procs import HOST, free_port, http, leader_url, until, wait_healthy, wait_leader

pytestmark = pytest.mark.skipif(shutil.which("etcd") is None, reason="etcd not installed (apt-get install etcd-server)")

KEYS = ["/a", "/b", "/d", "/d/x", "/d/y", "/d/e/z", "/q", "/_h", "/d/_h"]
VALUES = ["1", "2", "v", "", "<&>", "é"]
N_REQUESTS = 160


def _requests(rng: random.Random) -> list[tuple[str, str, dict[str, str]]]:
    out = []
    for _ in range(N_REQUESTS):
        key = rng.choice(KEYS)
        r = rng.random()
        v = rng.choice(VALUES)
        if r < 0.25:
            form = {"value": v}
            if rng.random() < 0.3:
                form["ttl"] = rng.choice(["100", "200", "abc", ""])
            out.append(("PUT", key, form))
        elif r < 0.35:
            out.append(("PUT", key, {"value": v, rng.choice(["prevValue", "prevIndex", "prevExist"]):
                                     rng.choice(["1", "2", "v", "true", "false", "7", "x"])}))
        elif r < 0.42:
            out.append(("PUT", key, {"dir": "true", **({"prevExist": "false"} if rng.random() < 0.5 else {})}))
        elif r < 0.5:
            out.append(("DELETE", key, rng.choice([{}, {"dir": "true"}, {"recursive": "true"},
                                                   {"prevValue": v}, {"prevIndex": str(rng.randint(1, 40))}])))
        elif r < 0.56:
            out.append(("POST", "/q", {"value": v}))
        elif r < 0.8:
            out.append(("GET", rng.choice(["/", "/d", key]), rng.choice([{}, {"recursive": "true"}, {"sorted": "true"},
                                                                        {"recursive": "true", "sorted": "true"}])))
        elif r < 0.9:
            # a watch answered from the event history at once (waitIndex not beyond the current index)
            out.append(("WATCH", "/", {"recursive": "true"}))
        else:
            out.append(rng.choice([("PUT", key, {"value": v, "ttl": "-1"}), ("PUT", key, {"prevIndex": "x", "value": v}),
                                   ("GET", key, {"wait": "true", "waitIndex": "abc"}), ("PATCH", key, {}),
                                   ("PUT", "/d", {"value": v}), ("POST", key, {"dir": "true", "value": v})]))
    return out


def _mask(obj, sort_nodes: bool):
    if isinstance(obj, dict):
        out = {}
        for k, v in obj.items():
            if k in ("expiration", "ttl"):
                out[k] = "<masked>"
            elif k == "nodes" and sort_nodes and isinstance(v, list):
                out[k] = sorted((_mask(c, sort_nodes) for c in v), key=lambda n: n.get("key", ""))
            else:
                out[k] = _mask(v, sort_nodes)
        return out
    if isinstance(obj, list):
        return [_mask(x, sort_nodes) for x in obj]
    return obj


def _start(procs, tmp_path: Path, kind: str, n: int = 3) -> list[str]:
    """``n`` members of ``kind``; returns their client URLs."""
    ports = [(free_port(), free_port()) for _ in range(n)]
    initial = ",".join(f"d{i}=http://{HOST}:{pp}" for i, (_, pp) in enumerate(ports))
    urls = []
    for i, (cp, pp) in enumerate(ports):
        c, p = f"http://{HOST}:{cp}", f"http://{HOST}:{pp}"
        flags = ["--name", f"d{i}", "--data-dir", str(tmp_path / f"{kind}{i}"), "--listen-client-urls", c,
                 "--advertise-client-urls", c, "--listen-peer-urls", p, "--initial-advertise-peer-urls", p,
                 "--initial-cluster", initial, "--initial-cluster-token", f"diff-{kind}", "--enable-v2=true",
                 "--heartbeat-interval", "50", "--election-timeout", "1000"]
        argv = ["etcd", *flags] if kind == "etcd" else [sys.executable, "-m", "kvraft", *flags]
        procs.start(argv, tmp_path / f"{kind}{i}.log")
        urls.append(c)
    return urls


def _send(base: str, method: str, key: str, form: dict[str, str], current: int):
    q = dict(form)
    if method == "WATCH":  # every write is below "/": an event at or after waitIndex exists, no waiting
        method = "GET"
        # not below the first user write (8): etcd's member writes live outside the user key space, the fillers not
        q = {**q, "wait": "true", "waitIndex": str(max(8, current - 3))} if current >= 8 else {}
    enc = urllib.parse.urlencode(q)
    path = "/v2/keys" + urllib.parse.quote(key)
    if method in ("PUT", "POST"):
        return http(method, base + path, enc.encode(), timeout=10)
    return http(method, base + path + ("?" + enc if enc else ""), timeout=10)


def test_seeded_requests_answer_as_etcd_does(procs, tmp_path: Path) -> None:
    etcds = _start(procs, tmp_path, "etcd")
    ourss = _start(procs, tmp_path, "kvraft")
    wait_healthy(etcds + ourss, timeout_s=60)
    wait_leader(etcds), wait_leader(ourss)
    etcd, ours = leader_url(etcds[0]), leader_url(ourss[0])
    # Both take 2N+1 = 7 indexes for their member writes (adds, publishes, cluster version) before the first
    # client write; the cluster version is set a moment after the members are healthy: wait for all 7.
    index = lambda url: int(http("GET", url + "/v2/keys/")[1]["X-Etcd-Index"])  # noqa: E731
    until(lambda: index(etcd), lambda i: i >= 7)
    until(lambda: index(ours), lambda i: i >= 7)
    assert index(etcd) == index(ours) == 7
    diffs = []
    for i, (method, key, form) in enumerate(_requests(random.Random(18))):
        current = int(http("GET", etcd + "/v2/keys/")[1]["X-Etcd-Index"])
        a = _send(etcd, method, key, form, current)
        b = _send(ours, method, key, form, current)
        what = f"#{i} {method} {key} {form}"
        if a[0] != b[0] or a[1].get("X-Etcd-Index") != b[1].get("X-Etcd-Index"):
            diffs.append(f"{what}: status/index etcd {a[0]} {a[1].get('X-Etcd-Index')} vs kvraft {b[0]} "
                         f"{b[1].get('X-Etcd-Index')}: {a[2]!r} vs {b[2]!r}")
            continue
        try:
            ja, jb = json.loads(a[2] or b"null"), json.loads(b[2] or b"null")
        except ValueError:
            if a[2] != b[2]:
                diffs.append(f"{what}: body {a[2]!r} vs {b[2]!r}")
            continue
        sort_nodes = form.get("sorted") != "true"
        if _mask(ja, sort_nodes) != _mask(jb, sort_nodes):
            diffs.append(f"{what}: body {a[2]!r} vs {b[2]!r}")
        elif b"expiration" not in a[2] and (not sort_nodes or b'"nodes"' not in a[2]) and a[2] != b[2]:
            diffs.append(f"{what}: bytes {a[2]!r} vs {b[2]!r}")  # nothing masked: Go's escaping, the newline
    assert not diffs, f"{len(diffs)} answers differ from etcd's:\n" + "\n".join(diffs[:10])
