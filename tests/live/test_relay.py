"""The peer-link relay on loopback (no root needed): latency, frame duplication and reordering, etcd refusals."""

from __future__ import annotations

import random
import socket
import struct
import threading
import time

from scenarios.live.relay import Relay, link_setting, unsupported
from sim import faults as F
from sim.latency import Constant, Uniform

MS = 1_000_000


class Sink:
    """A TCP server on loopback that records (arrival s, bytes) of everything it reads."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.got: list[tuple[float, bytes]] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        conn, _ = self.sock.accept()
        with conn:
            while data := conn.recv(65536):
                self.got.append((time.monotonic(), data))

    def data(self) -> bytes:
        return b"".join(d for _, d in self.got)


def frame(i: int) -> bytes:
    body = f'["m{i}"]'.encode()
    return struct.pack(">I", len(body)) + body


def frames(blob: bytes) -> list[bytes]:
    out = []
    while blob:
        (n,) = struct.unpack(">I", blob[:4])
        out.append(blob[4:4 + n])
        blob = blob[4 + n:]
    return out


def relayed(lf: F.LinkFaults | None, *, framed: bool, n: int = 30, gap_s: float = 0.0) -> tuple[Sink, float]:
    """Send a hello and ``n`` frames a->b through a relay whose link a->b has ``lf``; returns the sink, send time."""
    sink = Sink()
    relay = Relay("127.0.0.1", ["a", "b"], lambda node: "127.0.0.1", sink.port, framed=framed, rng=random.Random(7))
    relay.start()
    try:
        relay.set_link("a", "b", link_setting(lf))
        time.sleep(0.05)
        with socket.create_connection(("127.0.0.1", relay.ports[("a", "b")])) as c:
            t0 = time.monotonic()
            if gap_s:  # one write per frame: separate reads, each its own delay
                for i in range(n + 1):
                    c.sendall(frame(i))
                    time.sleep(gap_s)
            else:
                c.sendall(frame(0) + b"".join(frame(i) for i in range(1, n + 1)))
            deadline = time.monotonic() + 5
            want = n + 1 if lf is None or not lf.dup else 2 * n + 1
            while len(frames(sink.data())) < want and time.monotonic() < deadline:
                time.sleep(0.02)
            time.sleep(0.1)
    finally:
        relay.stop()
    return sink, t0


def test_relay_passes_frames_through_in_order_when_the_link_is_clean():
    sink, _ = relayed(None, framed=True)
    assert frames(sink.data()) == [f'["m{i}"]'.encode() for i in range(31)]


def test_relay_delays_by_the_links_latency():
    sink, t0 = relayed(F.LinkFaults(latency=Constant(ns=150 * MS)), framed=True)
    assert frames(sink.data()) == [f'["m{i}"]'.encode() for i in range(31)]
    assert sink.got[0][0] - t0 >= 0.14  # nothing arrives before the link's latency


def test_relay_duplicates_every_frame_but_the_hello():
    sink, _ = relayed(F.LinkFaults(dup=1.0), framed=True)
    got = frames(sink.data())
    assert got[0] == b'["m0"]' and got.count(b'["m0"]') == 1
    assert sorted(got[1:]) == sorted([f'["m{i}"]'.encode() for i in range(1, 31)] * 2)


def test_relay_reorders_whole_frames():
    sink, _ = relayed(F.LinkFaults(reorder=0.5, latency=Constant(ns=1 * MS)), framed=True)
    got = frames(sink.data())
    assert got[0] == b'["m0"]' and sorted(got) == sorted(f'["m{i}"]'.encode() for i in range(31))
    assert got != [f'["m{i}"]'.encode() for i in range(31)]  # some frame overtook another


def test_unframed_stream_keeps_its_byte_order_and_etcd_refuses_dup_and_reorder():
    sink, _ = relayed(F.LinkFaults(latency=Uniform(lo_ns=1 * MS, hi_ns=60 * MS)), framed=False, gap_s=0.004)
    assert frames(sink.data()) == [f'["m{i}"]'.encode() for i in range(31)]
    assert unsupported("kvraft", F.LinkFaults(dup=0.5, reorder=0.5)) is None
    why = unsupported("etcd", F.LinkFaults(dup=0.5, reorder=0.5))
    assert why is not None and "dup, reorder" in why and "rafthttp" in why
    assert unsupported("etcd", F.LinkFaults(latency=Constant(ns=MS))) is None
    assert link_setting(F.LinkFaults(loss=0.3)) is None  # loss is nftables', not the relay's
