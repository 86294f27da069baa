"""Bad HTTP input gets etcd's answers (never a 500 or a traceback), and a slow client stalls nobody."""

from __future__ import annotations

import json
import socket
import time

import pytest

from real.procs import HOST, http, one_member


@pytest.fixture(scope="module")
def one(tmp_path_factory):
    with one_member(tmp_path_factory.mktemp("one"), "bad") as n:
        yield n


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


def test_a_stream_watch_sends_each_event_as_a_chunk(one) -> None:
    from http.client import HTTPConnection

    conn = HTTPConnection(HOST, int(one.client_url.rsplit(":", 1)[1]), timeout=10)
    conn.request("GET", "/v2/keys/st?wait=true&stream=true&recursive=true")
    for i in range(2):
        assert http("PUT", f"{one.client_url}/v2/keys/st/k{i}", f"value=s{i}".encode())[0] == 201
    resp = conn.getresponse()
    assert resp.status == 200 and resp.getheader("Transfer-Encoding") == "chunked"
    events = []
    while len(events) < 2:
        line = resp.fp.readline()  # chunk size
        size = int(line.strip() or b"0", 16)
        if size:
            events.append(json.loads(resp.fp.read(size)))
            resp.fp.readline()
    assert [(e["action"], e["node"]["key"], e["node"]["value"]) for e in events] == \
        [("set", "/st/k0", "s0"), ("set", "/st/k1", "s1")]
    conn.close()


def test_peer_traffic_of_another_cluster_is_refused(one) -> None:
    import struct  # kvraft/peer.py's frame: a 4-byte big-endian length, then JSON

    port = int(one.peer_url.rsplit(":", 1)[1])
    members = json.loads(http("GET", one.client_url + "/v2/members")[2])["members"]
    me = members[0]["id"]
    for hello in ({"cluster": "deadbeef", "from": "x", "to": me}, {"cluster": "deadbeef"}, [1, 2], "junk"):
        s = socket.create_connection((HOST, port), timeout=5)
        payload = json.dumps(hello).encode()
        s.sendall(struct.pack(">I", len(payload)) + payload + struct.pack(">I", 2) + b"[]")
        assert s.recv(100) == b""  # closed without a word
        s.close()
    s = socket.create_connection((HOST, port), timeout=5)
    s.sendall(struct.pack(">I", 0xFFFFFFF0))  # an absurd frame length
    assert s.recv(100) == b""
    s.close()
    assert http("PUT", one.client_url + "/v2/keys/still", b"value=ok")[0] == 201
