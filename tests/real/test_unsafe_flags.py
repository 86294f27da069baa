"""The server's hidden harness flags: a clock offset file moves now(), and bad bug ids are refused with one
line. Real processes on 127.0.0.1, stopped by PID."""

from __future__ import annotations

import json
import subprocess
import sys
import time

from real.procs import http, make_nodes, wait_healthy


def _expiration_s(node, key: str) -> float:
    from datetime import datetime

    status, _, body = http("PUT", node.client_url + "/v2/keys/" + key, b"value=1&ttl=100")
    assert status == 201
    text = json.loads(body)["node"]["expiration"]
    return datetime.fromisoformat(text.replace("Z", "+00:00")[:26] + "+00:00" if "." in text else
                                  text.replace("Z", "+00:00")).timestamp()


def test_clock_offset_file_moves_the_members_clock(procs, tmp_path):
    """A write is stamped with the member's clock (the node's ``expiration``): +200 s in the file, +200 s there.
    (Expiry itself runs on monotonic deadlines, so no key expires early: B17 switches that off.)"""
    node = make_nodes(tmp_path, 1)[0]
    offset = tmp_path / "offset"
    offset.write_text("0\n")
    node.extra = ["--unsafe-clock-offset-file", str(offset)]
    procs.start_node(node, f"{node.name}={node.peer_url}")
    wait_healthy([node.client_url])
    before = _expiration_s(node, "a")
    offset.write_text(f"{200 * 10**9}\n")  # the harness's clock jump: +200 s
    time.sleep(0.5)  # the member re-reads the file every 50 ms
    after = _expiration_s(node, "b")
    assert 199 < after - before < 203


def test_unsafe_bugs_refuses_an_unknown_switch(tmp_path):
    r = subprocess.run([sys.executable, "-m", "kvraft", "--name", "a", "--data-dir", str(tmp_path / "d"),
                        "--unsafe-bugs", "stale_local_reads,nope"], capture_output=True, text=True, timeout=30)
    assert r.returncode == 2 and "--unsafe-bugs" in r.stderr and len(r.stderr.strip().splitlines()) == 1


def _post_twice(procs, tmp_path, extra: list[str], headers: dict[str, str]) -> tuple[int, list[str]]:
    """POST the same value twice to an in-order dir with ``headers``; (second status, the dir's values)."""
    node = make_nodes(tmp_path, 1)[0]
    node.extra = ["--unsafe-client-ids", *extra]
    procs.start_node(node, f"{node.name}={node.peer_url}")
    wait_healthy([node.client_url])
    url = node.client_url + "/v2/keys/q"
    for _ in range(2):
        status, _, _ = http("POST", url, b"value=x", headers=headers)
    _, _, body = http("GET", url + "?recursive=true&sorted=true")
    return status, [n["value"] for n in json.loads(body).get("node", {}).get("nodes", [])]  # no dir: 404, none


def test_a_retried_write_with_its_own_client_id_applies_once(procs, tmp_path):
    pair = {"X-Raftsim-Client-Id": "live/c1", "X-Raftsim-Seq": "1"}
    assert _post_twice(procs, tmp_path, [], pair) == (201, ["x"])  # the retry gets the first answer


def test_with_bug_b10_a_retried_write_applies_twice(procs, tmp_path):
    pair = {"X-Raftsim-Client-Id": "live/c1", "X-Raftsim-Seq": "1"}
    assert _post_twice(procs, tmp_path, ["--unsafe-bugs", "no_client_dedup"], pair) == (201, ["x", "x"])


def test_a_malformed_client_id_is_a_400(procs, tmp_path):
    status, values = _post_twice(procs, tmp_path, [], {"X-Raftsim-Client-Id": "c1", "X-Raftsim-Seq": "zero"})
    assert status == 400 and values == []
