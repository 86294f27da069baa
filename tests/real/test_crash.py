"""kill -9 under write load: the live history passes the linearizable and durability checkers.

Clients write, CAS and quorum-read a few keys on random members while members are killed with SIGKILL
and restarted on their data dirs (a follower, then the leader; then all three at once). The history
(shared/formats/history.md, wall-clock ns) ends with final quorum reads, and is checked as a file.
"""

from __future__ import annotations

import json
import random
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from checkers.durability import check_durability
from checkers.history import read_history
from checkers.linearizable import check_history
from checkers.result import Verdict
from real.procs import initial_cluster, kill9, leader_url, make_nodes, wait_healthy

KEYS = ["/k/a", "/k/b", "/k/c"]


class History:
    def __init__(self, path: Path) -> None:
        self.f = open(path, "w")
        self.lock = threading.Lock()

    def add(self, **rec) -> None:
        with self.lock:  # stamped under the lock: times never go backwards in the file
            rec["time"] = time.time_ns()
            self.f.write(json.dumps(rec, sort_keys=True) + "\n")

    def close(self) -> None:
        self.f.close()


def _call(url: str, method: str, key: str, form: dict | None = None, timeout: float = 3.0):
    """(outcome, status, doc): outcome 'sent' if the server answered, 'refused' if nothing was sent, 'unknown'."""
    q = "?quorum=true" if method == "GET" else ""
    data = urllib.parse.urlencode(form).encode() if form else None
    req = urllib.request.Request(f"{url}/v2/keys{key}{q}", data=data, method=method)
    if data:
        req.add_header("Content-Type", "application/x-www-form-urlencoded")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return "sent", r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        try:
            return "sent", e.code, json.loads(e.read())
        except ValueError:
            return "sent", e.code, None
    except urllib.error.URLError as e:
        if isinstance(e.reason, ConnectionRefusedError):
            return "refused", 0, None
        return "unknown", 0, None
    except (OSError, ValueError):
        return "unknown", 0, None


def _client(cid: int, urls: list[str], hist: History, stop: threading.Event, pids: list[int]) -> None:
    rng = random.Random(cid)
    process = cid
    n = 0
    while not stop.is_set():
        key = rng.choice(KEYS)
        url = rng.choice(urls)
        r = rng.random()
        n += 1
        if r < 0.45:
            val = f"{cid}-{n}"
            hist.add(process=process, type="invoke", f="write", key=key, value=val)
            how, status, doc = _call(url, "PUT", key, {"value": val})
            if how == "sent" and status in (200, 201):
                hist.add(process=process, type="ok", f="write", key=key, value=val)
            elif how == "refused" or (how == "sent" and 400 <= status < 500):
                hist.add(process=process, type="fail", f="write", key=key, value=val, error=f"http-{status}")
            else:
                hist.add(process=process, type="info", f="write", key=key, value=val, error=f"{how}-{status}")
                process += 100
        elif r < 0.6:
            exp, new = f"{cid}-{n - 1}", f"{cid}-{n}"
            hist.add(process=process, type="invoke", f="cas", key=key, value=[exp, new])
            how, status, doc = _call(url, "PUT", key, {"value": new, "prevValue": exp})
            code = doc.get("errorCode") if isinstance(doc, dict) else None
            if how == "sent" and status == 200:
                hist.add(process=process, type="ok", f="cas", key=key, value=[exp, new])
            elif how == "sent" and code in (100, 101):
                hist.add(process=process, type="fail", f="cas", key=key, value=[exp, new],
                         error="compare-failed" if code == 101 else "not-found")
            elif how == "refused":
                hist.add(process=process, type="fail", f="cas", key=key, value=[exp, new], error="refused")
            else:
                hist.add(process=process, type="info", f="cas", key=key, value=[exp, new], error=f"{how}-{status}")
                process += 100
        else:
            hist.add(process=process, type="invoke", f="read", key=key, value=None)
            how, status, doc = _call(url, "GET", key)
            if how == "sent" and status == 200:
                hist.add(process=process, type="ok", f="read", key=key, value=doc["node"]["value"])
            elif how == "sent" and isinstance(doc, dict) and doc.get("errorCode") == 100:
                hist.add(process=process, type="ok", f="read", key=key, value=None)
            else:
                hist.add(process=process, type="fail", f="read", key=key, value=None, error=f"{how}-{status}")


def _final_reads(urls: list[str], hist: History) -> None:
    for i, key in enumerate(KEYS):
        p = 10_000 + i
        hist.add(process=p, type="invoke", f="read", key=key, value=None, final=True)
        for _ in range(50):
            how, status, doc = _call(urls[0], "GET", key)
            if how == "sent" and status in (200, 404):
                val = doc["node"]["value"] if status == 200 else None
                hist.add(process=p, type="ok", f="read", key=key, value=val, final=True)
                break
            time.sleep(0.2)


def test_kill9_of_a_follower_the_leader_and_all_members_keeps_history_linearizable_and_durable(procs, tmp_path: Path) -> None:
    nodes = make_nodes(tmp_path, 3)
    initial = initial_cluster(nodes)
    for n in nodes:
        procs.start_node(n, initial)
    urls = [n.client_url for n in nodes]
    wait_healthy(urls)
    hist = History(tmp_path / "history.jsonl")
    stop = threading.Event()
    clients = [threading.Thread(target=_client, args=(c, urls, hist, stop, [])) for c in range(4)]
    for t in clients:
        t.start()
    try:
        by_url = {n.client_url: n for n in nodes}
        time.sleep(1.0)
        lead = by_url[leader_url(urls[0])]
        follower = next(n for n in nodes if n is not lead)
        kill9(follower)
        time.sleep(0.7)
        procs.start_node(follower, initial)
        wait_healthy(urls)
        time.sleep(0.5)
        lead = by_url[leader_url(urls[0])]
        kill9(lead)
        time.sleep(0.7)
        procs.start_node(lead, initial)
        wait_healthy(urls)
        time.sleep(0.5)
        for n in nodes:
            kill9(n)
        time.sleep(0.3)
        for n in nodes:
            procs.start_node(n, initial)
        wait_healthy(urls)
        time.sleep(0.8)
    finally:
        stop.set()
        for t in clients:
            t.join(timeout=10)
    _final_reads(urls, hist)
    hist.close()
    ops = read_history(tmp_path / "history.jsonl")
    acked = sum(1 for o in ops if o.type.value == "ok" and o.f in ("write", "cas"))
    assert acked >= 50, f"only {acked} acknowledged writes: the load did not run"
    lin = check_history(ops)
    assert lin.verdict is Verdict.OK, lin.summary
    dur = check_durability(ops)
    assert dur.verdict is Verdict.OK, dur.summary
