"""The live executor runs the simulator's own workload definitions over HTTP (no root needed: loopback).

A tiny in-memory etcd v2 keys API on 127.0.0.1 answers; the register workload's generators, unchanged,
drive it through ``LiveExecutor``; the history is complete and linearizable.
"""

from __future__ import annotations

import asyncio
import json
from types import SimpleNamespace

from aiohttp import web

from checkers.history import HistoryWriter
from scenarios.live.driver import LiveCluster
from scenarios.live.executor import LiveExecutor
from scenarios.ops import Request, SimExecutor, Sleep
from scenarios.spec import Scenario
from scenarios.workloads import WorkloadContext, make_workload
from sim.rand import RandomStreams

import aiohttp
import pytest


async def _serve() -> tuple[web.AppRunner, str]:
    store: dict[str, str] = {}
    index = [0]

    async def keys(req: web.Request) -> web.Response:
        key = "/" + req.match_info["key"]
        if req.method == "PUT":
            form = await req.post()
            index[0] += 1
            store[key] = str(form["value"])
            return web.json_response({"action": "set", "node": {"key": key, "value": store[key],
                                                                "modifiedIndex": index[0]}})
        if key not in store:
            return web.json_response({"errorCode": 100, "message": "Key not found"}, status=404)
        return web.json_response({"action": "get", "node": {"key": key, "value": store[key]}})

    app = web.Application()
    app.router.add_route("*", "/v2/keys/{key:.*}", keys)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, f"http://127.0.0.1:{port}"


def test_register_workload_runs_unchanged_on_the_live_executor():
    params = Scenario.parse_sets("steady", ["clients=3", "rate=50"]).p
    history = HistoryWriter()

    async def main() -> None:
        runner, url = await _serve()
        members = SimpleNamespace(net=SimpleNamespace(nodes=["n1"]), client_url=lambda node: url)
        try:
            async with aiohttp.ClientSession() as session:
                ex = LiveExecutor(session)
                streams = RandomStreams(1)
                ctx = WorkloadContext(world=SimpleNamespace(streams=streams), cluster=LiveCluster(members),
                                      history=history, params=params, start_ns=0, stop_ns=1_000_000_000,
                                      rng=streams.fork("workload"), executor=ex)
                w = make_workload(ctx)
                w.start()
                assert await ex.drain(5.0) == 0
                w.final_reads(deadline_ns=ex.now + 2_000_000_000)
                assert await ex.drain(5.0) == 0
        finally:
            await runner.cleanup()

    asyncio.run(main())
    recs = [json.loads(line) for line in history.lines]
    invokes = [r for r in recs if r["type"] == "invoke"]
    oks = [r for r in recs if r["type"] == "ok"]
    assert len(invokes) >= 50 and len(oks) == len(invokes)  # ~3 clients x 50/s x 1 s, every op answered
    assert {r["f"] for r in invokes} == {"read", "write"}
    assert any(r.get("final") for r in recs)


def test_sim_executor_refuses_what_is_not_an_op():
    import simpy

    env = simpy.Environment()

    def bad():
        yield Sleep(delay_ns=5)
        yield "not an op"

    SimExecutor(env).spawn(bad())
    with pytest.raises(TypeError, match="not an op"):
        env.run()
    assert env.now == 5
    assert str(Request(client=None, method="GET", path="/k", timeout_ns=1)) == "GET /v2/keys/k []"


def test_replay_refuses_a_live_run_with_one_line(tmp_path):
    import subprocess
    import sys

    from scenarios.runner import run

    root = tmp_path / "run"
    run(Scenario.parse_sets("steady", ["duration_s=0.5", "recover_s=0.5"]), 1, root)
    meta = json.loads((root / "run.json").read_text())
    meta["live"] = {"system": "etcd"}
    meta["replay"] = "raftsim live steady --system etcd --seed 1  # not reproducible"
    (root / "run.json").write_text(json.dumps(meta))
    r = subprocess.run([sys.executable, "-m", "scenarios", "replay", str(root)], capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 2 and "live runs are not reproducible" in r.stderr
    assert "`raftsim live steady --system etcd --seed 1`" in r.stderr


def test_live_answers_are_the_simulators_reply_type_and_read_the_same():
    """One definition of header()/json(): the live executor answers with kvraft.api.ClientReply, and an empty
    or non-JSON body gives the outcome it gave before (not a dict: no error code)."""
    from kvraft.api import ClientReply
    from kvraft.client import outcome
    from kvraft.recipes.common import body
    from scenarios.live.executor import LiveClient

    async def main() -> list:
        async def answer(req: web.Request) -> web.Response:
            status, text = {"/v2/keys/empty": (500, b""), "/v2/keys/text": (404, b"404 page not found")}.get(
                req.path, (200, b'{"node": {"key": "/a"}}'))
            return web.Response(status=status, body=text, headers={"X-Etcd-Index": "7"})

        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", answer)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"  # type: ignore[union-attr]
        try:
            async with aiohttp.ClientSession() as session:
                ex = LiveExecutor(session)
                c = LiveClient("c1", url, ex)
                return [await ex.request(Request(client=c, method="GET", path=p, params={}, timeout_ns=2_000_000_000))
                        for p in ("/empty", "/text", "/a")]
        finally:
            await runner.cleanup()

    empty, text, ok = asyncio.run(main())
    assert all(isinstance(r, ClientReply) for r in (empty, text, ok))
    assert outcome(empty) == (None, "http-500") and outcome(text) == (False, "http-404") and outcome(ok) == (True, None)
    assert body(empty) == {} and body(text) == {} and body(ok) == {"node": {"key": "/a"}}
    assert ok.header("x-etcd-index") == "7"
