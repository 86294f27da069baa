"""Bad HTTP input gets etcd's answers (never a 500 or a traceback), and a slow client stalls nobody."""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path

import pytest

from real.procs import HOST, http, make_nodes, wait_healthy


@pytest.fixture(scope="module")
def one(tmp_path_factory):
    from real.procs import Procs

    root = tmp_path_factory.mktemp("one")
    p = Procs(root)
    (n,) = make_nodes(root, 1, "bad")
    try:
        p.start_node(n, f"{n.name}={n.peer_url}")
        wait_healthy([n.client_url])
        yield n
    finally:
        p.stop_all()


@pytest.mark.parametrize("method,path,body,status,code,cause", [
    ("PUT", "/v2/keys/a?value=%zz", None, 400, 210, 'invalid URL escape "%zz"'),
    ("PUT", "/v2/keys/a", b"value=1&prevIndex=x", 400, 203, 'invalid value for "prevIndex"'),
    ("PUT", "/v2/keys/a", b"value=1&ttl=abc", 400, 202, 'invalid value for "ttl"'),
    ("GET", "/v2/keys/a?wait=true&waitIndex=x", None, 400, 203, 'invalid value for "waitIndex"'),
    ("PUT", "/v2/keys/big", b"value=" + b"a" * (11 << 20), 400, 210, "http: POST too large"),
])
def test_malformed_requests_get_etcds_error(one, method, path, body, status, code, cause) -> None:
    s, h, b = http(method, one.client_url + path, body)
    doc = json.loads(b)
    assert (s, doc["errorCode"], doc.get("cause"), doc["index"]) == (status, code, cause, 0), b
    assert h["X-Etcd-Index"] == "0"


def test_an_unknown_method_gets_405_and_a_10mb_body_is_accepted(one) -> None:
    s, h, b = http("PATCH", one.client_url + "/v2/keys/a")
    assert (s, b) == (405, b"Method Not Allowed\n")
    s, _, b = http("PUT", one.client_url + "/v2/keys/big10", b"value=" + b"b" * 10_000_000)
    assert s == 201, b[:200]  # etcd takes it too: Go's form limit is 10 MiB


def test_a_slow_loris_client_stalls_no_one(one) -> None:
    port = int(one.client_url.rsplit(":", 1)[1])
    slow = [socket.create_connection((HOST, port)) for _ in range(20)]
    try:
        for s in slow:
            s.sendall(b"PUT /v2/keys/slow HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nvalue=")
        t0 = time.monotonic()
        for i in range(20):
            assert http("PUT", f"{one.client_url}/v2/keys/fast{i}", b"value=1", timeout=5)[0] == 201
        assert time.monotonic() - t0 < 10
    finally:
        for s in slow:
            s.close()
