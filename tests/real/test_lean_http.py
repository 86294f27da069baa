"""The lean /v2/keys path (kvraft/leanhttp.py) answers byte for byte as aiohttp's route, in order, and hands
aiohttp whatever it does not answer, mid-connection included. /metrics counts the WAL's fsyncs (the bench's
fsyncs per write)."""

from __future__ import annotations

import json
import re
import socket

import pytest

from real.procs import HOST, http, one_member

FORM = b"Content-Type: application/x-www-form-urlencoded\r\n"


@pytest.fixture(scope="module")
def one(tmp_path_factory):
    with one_member(tmp_path_factory.mktemp("lean"), "lean") as n:
        yield n


def _conn(node) -> socket.socket:
    s = socket.create_connection((HOST, node.client_port), timeout=10)
    s.settimeout(10)
    return s


def _read_response(s: socket.socket, buf: bytearray) -> bytes:
    """One whole response with a Content-Length body off ``s`` (what follows stays in ``buf``)."""
    while b"\r\n\r\n" not in buf:
        buf += s.recv(65536)
    head_end = buf.index(b"\r\n\r\n") + 4
    size = int(re.search(rb"\r\nContent-Length: (\d+)\r\n", bytes(buf[:head_end])).group(1))
    while len(buf) < head_end + size:
        buf += s.recv(65536)
    out = bytes(buf[:head_end + size])
    del buf[:head_end + size]
    return out


def _ask(node, request: bytes) -> bytes:
    s = _conn(node)
    try:
        s.sendall(request)
        return _read_response(s, bytearray())
    finally:
        s.close()


def _no_date(raw: bytes) -> bytes:
    return re.sub(rb"\r\nDate: [^\r]*\r\n", b"\r\nDate: -\r\n", raw)


def _request(method: str, target: str, body: bytes = b"", *, aiohttp: bool) -> bytes:
    """``method target`` as a lean request, or with a header that sends it to aiohttp (nothing else differs)."""
    extra = b"Connection: keep-alive\r\n" if aiohttp else b""
    head = f"{method} {target} HTTP/1.1\r\nHost: x\r\n".encode() + extra
    if body:
        head += FORM + f"Content-Length: {len(body)}\r\n".encode()
    return head + b"\r\n" + body


@pytest.mark.parametrize("method,target,body", [
    ("GET", "/v2/keys/lean/k", b""),                                 # 200 with X-Raft-Index/Term
    ("GET", "/v2/keys/lean?recursive=true&sorted=true", b""),         # a directory
    ("GET", "/v2/keys/lean/missing", b""),                            # 404, error 100
    ("PUT", "/v2/keys/lean/k", b"value=x&prevValue=nope"),            # 412, error 101
    ("PUT", "/v2/keys/lean/k?ttl=abc", b"value=x"),                   # 400, error 202
    ("DELETE", "/v2/keys/lean/missing", b""),                         # 404
    ("GET", "/v2/keys/lean/k?quorum=true", b""),                      # through ReadIndex
])
def test_lean_answers_are_aiohttps_byte_for_byte(one, method, target, body) -> None:
    assert http("PUT", one.client_url + "/v2/keys/lean/k", b"value=v")[0] in (200, 201)
    lean = _ask(one, _request(method, target, body, aiohttp=False))
    slow = _ask(one, _request(method, target, body, aiohttp=True))
    assert _no_date(lean) == _no_date(slow)


def test_a_write_answers_as_aiohttps_but_for_its_indexes(one) -> None:
    a = _ask(one, _request("PUT", "/v2/keys/lean/new1", b"value=1", aiohttp=False))
    b = _ask(one, _request("PUT", "/v2/keys/lean/new2", b"value=1", aiohttp=True))
    mask = lambda raw: re.sub(rb"(Index\"?:\s?)\d+", rb"\1N", _no_date(raw)).replace(b"new2", b"new1")  # noqa: E731
    assert a.startswith(b"HTTP/1.1 201 Created\r\n")
    assert mask(a) == mask(b)


def test_pipelined_requests_are_answered_in_order(one) -> None:
    s = _conn(one)
    buf = bytearray()
    try:
        reqs = b"".join(_request("PUT", f"/v2/keys/pipe/{i}", f"value={i}".encode(), aiohttp=False) for i in range(5))
        reqs += _request("GET", "/v2/keys/pipe/3", aiohttp=False)
        s.sendall(reqs)
        docs = [json.loads(_read_response(s, buf).split(b"\r\n\r\n", 1)[1]) for _ in range(6)]
    finally:
        s.close()
    assert [d["node"]["key"] for d in docs] == [f"/pipe/{i}" for i in range(5)] + ["/pipe/3"]
    assert docs[-1]["node"]["value"] == "3"


def test_a_watch_on_a_lean_connection_is_handed_to_aiohttp_and_streams(one) -> None:
    s = _conn(one)
    buf = bytearray()
    try:
        s.sendall(_request("PUT", "/v2/keys/hand/k", b"value=0", aiohttp=False))
        first = json.loads(_read_response(s, buf).split(b"\r\n\r\n", 1)[1])
        s.sendall(_request("GET", f"/v2/keys/hand/k?wait=true&waitIndex={first['node']['modifiedIndex'] + 1}",
                           aiohttp=False))
        while b"\r\n\r\n" not in buf:
            buf += s.recv(65536)
        assert b"Transfer-Encoding: chunked" in bytes(buf)  # the head, at once
        assert http("PUT", one.client_url + "/v2/keys/hand/k", b"value=1")[0] == 200
        while b'"value":"1"' not in buf:
            buf += s.recv(65536)
        s.sendall(_request("GET", "/v2/keys/hand/k", aiohttp=False))  # aiohttp keeps the connection
        while buf.count(b"HTTP/1.1 200 OK") < 2:
            buf += s.recv(65536)
    finally:
        s.close()


def test_a_request_cut_in_pieces_and_a_huge_head_are_handled(one) -> None:
    s = _conn(one)
    buf = bytearray()
    try:
        req = _request("PUT", "/v2/keys/bits/k", b"value=pieces", aiohttp=False)
        for i in range(0, len(req), 7):
            s.sendall(req[i:i + 7])
        assert b'"value":"pieces"' in _read_response(s, buf)
    finally:
        s.close()
    s = _conn(one)
    try:
        s.sendall(b"GET /v2/keys/bits/k HTTP/1.1\r\nHost: x\r\nX-Junk: " + b"a" * (70 << 10))
        got = s.recv(65536)
        assert got.startswith(b"HTTP/1.1 4") or got.startswith(b"HTTP/1.0 4")  # aiohttp refuses it
    finally:
        s.close()


def test_metrics_count_every_wal_fsync_under_etcds_name(one) -> None:
    def count() -> int:
        text = http("GET", one.client_url + "/metrics")[2].decode()
        return int(re.search(r"^etcd_disk_wal_fsync_duration_seconds_count (\d+)$", text, re.M).group(1))

    before = count()
    for i in range(3):  # one at a time: each is its own fsync on a lone member
        assert http("PUT", one.client_url + f"/v2/keys/metrics/{i}", b"value=x")[0] == 201
    assert count() - before >= 3
