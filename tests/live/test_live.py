"""raftsim live against real processes: short bounded runs on kvraft and etcd, faults, cleanup, bad input.

Skips with the reason when not root or ``ip``/``nft`` (or etcd) are missing. Each run is a few seconds
of workload; every process and namespace it made is gone afterwards (checked).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from checkers.run import check_run
from scenarios.live import cleanup, missing_privileges, run_live
from scenarios.live.network import PREFIX, Network, run_tag, sh
from scenarios.spec import Scenario

pytestmark = pytest.mark.skipif(missing_privileges("kvraft", "etcd") is not None,
                                reason=str(missing_privileges("kvraft", "etcd")))
needs_etcd = pytest.mark.skipif(shutil.which("etcd") is None, reason="etcd not installed (apt-get install etcd-server)")

SHORT = ["duration_s=3", "recover_s=2", "clients=3", "rate=20"]


def _leftovers(tag: str) -> list[str]:
    spaces = sh("ip", "netns", "list", check=False)
    links = sh("ip", "-o", "link", "show", check=False)
    tables = sh("nft", "list", "tables", check=False)
    return [x for x in (spaces + links + tables).split() if x.startswith(tag) or x.rstrip(":").startswith(tag)]


def _run(tmp_path, name: str, system: str, sets: list[str]) -> tuple[dict, dict]:
    out = tmp_path / "run"
    run_live(Scenario.parse_sets(name, SHORT + sets), 1, system=system, etcd_bin="etcd", out=out)
    assert _leftovers(run_tag()) == []
    verdict, results = check_run(out)
    return json.loads((out / "run.json").read_text()), {r.checker: r.verdict.value for r in results}


def test_kvraft_kill_leader_loop(tmp_path):
    meta, verdicts = _run(tmp_path, "kill-leader-loop", "kvraft", [])
    assert verdicts["linearizable"] == "ok" and verdicts["durability"] == "ok", verdicts
    names = [f["name"] for f in meta["live"]["schedule"]]
    assert "crash" in names and "restart" in names
    assert all(f["status"] == "applied" for f in meta["live"]["schedule"])
    assert meta["live"]["note"].startswith("live runs are not reproducible")
    assert sorted(p.name for p in (tmp_path / "run" / "logs").iterdir()) == [f"n{i}.log" for i in range(1, 6)]
    kinds = {json.loads(line)["kind"] for line in (tmp_path / "run" / "trace.jsonl").read_text().splitlines()}
    assert {"process-start", "process-exit", "crash", "restart", "fault", "become-leader"} <= kinds


@needs_etcd
def test_etcd_partition_majority(tmp_path):
    meta, verdicts = _run(tmp_path, "partition-majority", "etcd", [])
    assert verdicts["linearizable"] == "ok", verdicts
    assert any(f["name"] == "partition" and f["status"] == "applied" for f in meta["live"]["schedule"])
    assert meta["live"]["version"].startswith("etcd Version: 3.4")


def test_partition_rules_cut_exactly_the_pairs(tmp_path):
    """nftables drop rules per address pair: cutting n1->n2 drops exactly that pair, others pass."""
    net = Network(run_tag(), ["n1", "n2", "n3"])
    procs = []
    try:
        net.create()
        for n in ("n2", "n1"):
            procs.append(subprocess.Popen(["ip", "netns", "exec", net.ns(n), sys.executable, "-m", "http.server",
                                           "--bind", net.addr(n), "8000"], stdout=subprocess.DEVNULL,
                                          stderr=subprocess.DEVNULL, cwd=tmp_path))

        def reach(src: str, dst: str) -> bool:
            code = (f"import socket,time\nfor _ in range(20):\n try: socket.create_connection(('{net.addr(dst)}',8000),0.3); print('y'); break\n"
                    f" except OSError: time.sleep(0.1)\nelse: print('n')")
            return sh("ip", "netns", "exec", net.ns(src), sys.executable, "-c", code).strip() == "y"

        assert reach("n1", "n2") and reach("n3", "n2")
        net.set_cut([("n1", "n2")], [])
        assert not reach("n1", "n2")
        assert reach("n3", "n2") and reach("n3", "n1")  # (n2 -> n1 TCP needs n1 -> n2 answers: cut too)
        net.set_cut([], [])
        assert reach("n1", "n2")
    finally:
        for p in procs:
            p.kill()
            p.wait()
        net.teardown()
    assert _leftovers(net.tag) == []


def test_relayed_links_are_cut_exactly_as_direct_ones(tmp_path):
    """With the relay in the path (DNAT to its listeners), cutting n1->n2 still drops exactly that pair."""
    import random

    from scenarios.live.network import PEER_PORT
    from scenarios.live.relay import Relay

    net = Network(run_tag(), ["n1", "n2", "n3"])
    relay = Relay(net.gateway, net.nodes, net.addr, PEER_PORT, framed=False, rng=random.Random(1))
    procs = []
    try:
        net.create()
        relay.start()
        net.redirect(relay.ports)
        for n in ("n2", "n1"):
            procs.append(subprocess.Popen(["ip", "netns", "exec", net.ns(n), sys.executable, "-m", "http.server",
                                           "--bind", net.addr(n), str(PEER_PORT)], stdout=subprocess.DEVNULL,
                                          stderr=subprocess.DEVNULL, cwd=tmp_path))

        def reach(src: str, dst: str) -> bool:  # an HTTP answer: the bytes went both ways through the relay
            code = (f"import urllib.request,time\nfor _ in range(5):\n try: urllib.request.urlopen('http://{net.addr(dst)}:{PEER_PORT}/',"
                    f" timeout=0.5); print('y'); break\n except OSError: time.sleep(0.1)\nelse: print('n')")
            return sh("ip", "netns", "exec", net.ns(src), sys.executable, "-c", code).strip() == "y"

        assert reach("n1", "n2") and reach("n3", "n2") and reach("n2", "n1")
        assert relay.counts["connections"] >= 3  # they did go through the relay
        net.set_cut([("n1", "n2")], [])
        assert not reach("n1", "n2") and not reach("n2", "n1")  # one-way cut: TCP needs both ways
        assert reach("n3", "n2") and reach("n3", "n1")
        net.set_cut([], [])
        assert reach("n1", "n2")
    finally:
        for p in procs:
            p.kill()
            p.wait()
        relay.stop()
        net.teardown()
    assert _leftovers(net.tag) == []


def test_kvraft_relay_duplicates_and_reorders_frames_under_a_partition(tmp_path):
    meta, verdicts = _run(tmp_path, "partition-majority", "kvraft", ["dup=0.2", "reorder=0.2"])
    assert verdicts["linearizable"] == "ok" and verdicts["durability"] == "ok", verdicts
    relay = meta["live"]["relay"]
    assert relay["duplicated"] > 0 and relay["reordered"] > 0, relay
    sched = meta["live"]["schedule"]
    assert all(f["status"] == "applied" for f in sched), sched
    assert any(f["name"] == "partition" for f in sched) and any(f["name"] == "link-faults" for f in sched)


def test_cleanup_removes_a_dead_runs_leftovers_only():
    dead = f"{PREFIX}fffff"  # pid 0xfffff & mask: no raftsim process
    mine = Network(run_tag(), ["n1"])
    other = Network(dead, ["n1"])
    try:
        mine.create()
        other.create()
        removed = cleanup()
        assert any(dead in line for line in removed)
        assert _leftovers(dead) == []
        assert _leftovers(mine.tag) != []  # a running harness's things stay
    finally:
        other.teardown()
        mine.teardown()


def test_kvraft_lock_workload_and_client_pauses_reported_unsupported(tmp_path):
    """A recipe workload (callback-style ops) runs live; pausing client machines is reported, not skipped."""
    meta, verdicts = _run(tmp_path, "lock-pause-holder", "kvraft", [])
    assert verdicts["lock"] == "ok", verdicts
    client_pauses = [f for f in meta["live"]["schedule"] if f["name"] == "pause" and f["fault"].split()[-1][0] == "c"]
    assert client_pauses and all(f["status"] == "unsupported" for f in client_pauses)


def test_cli_refuses_bugs_on_etcd_and_missing_binary(tmp_path):
    env = {**os.environ}
    r = subprocess.run([sys.executable, "-m", "scenarios", "live", "steady", "--system", "etcd", "--set", "bugs=B07",
                        "--seed", "1", "--out", str(tmp_path / "x")], capture_output=True, text=True, env=env, timeout=60)
    assert r.returncode == 2 and "bug switches are kvraft's" in r.stderr and "Traceback" not in r.stderr
    r = subprocess.run([sys.executable, "-m", "scenarios", "live", "steady", "--system", "etcd", "--etcd-bin",
                        str(tmp_path / "nope"), "--seed", "1"], capture_output=True, text=True, env=env, timeout=60)
    assert r.returncode == 2 and "no etcd binary" in r.stderr


def test_kvraft_clock_strobe_applies_jumps_and_reports_drift_unsupported(tmp_path):
    meta, verdicts = _run(tmp_path, "clock-strobe", "kvraft", [])
    sched = meta["live"]["schedule"]
    assert any(f["name"] == "clock-jump" and f["status"] == "applied" for f in sched)
    assert "clock-drift" in meta["live"]["unsupported"]
    drift = [f for f in sched if f["name"] == "clock-drift"]
    assert drift and all(f["status"] == "unsupported" and f["reason"] for f in drift)
    assert verdicts["linearizable"] == "ok", verdicts


@pytest.mark.slow  # two etcd runs, ~30 s; etcd's partition (default suite) and kvraft's clock test cover the paths
@needs_etcd
def test_etcd_link_loss_applied_and_clock_faults_reported_unsupported(tmp_path):
    meta, _ = _run(tmp_path, "lossy-network", "etcd", [])
    bursts = [f for f in meta["live"]["schedule"] if f["name"] == "link-faults"]
    assert any(f["status"] == "partial" and "dup" in f["reason"] for f in bursts), bursts  # loss on, dup not
    assert "link-faults" in meta["live"]["unsupported"]
    meta, _ = _run(tmp_path, "clock-strobe", "etcd", [])
    assert "clock-jump" in meta["live"]["unsupported"]


POWER = ["rate=80", "fsync_ms=50"]  # a write rate and a disk slow enough that acknowledged writes sit unsynced


def test_kvraft_power_loss_cuts_the_wal_back_and_the_clean_server_keeps_acknowledged_writes(tmp_path):
    out = tmp_path / "run"
    run_live(Scenario.parse_sets("zoo-power-loss-many-keys", POWER + ["duration_s=2", "recover_s=2"]), 1,
             system="kvraft", etcd_bin="etcd", out=out)
    _, results = check_run(out)
    verdicts = {r.checker: r.verdict.value for r in results}
    assert verdicts["durability"] == "ok" and verdicts["linearizable"] == "ok", verdicts
    crashes = [f for f in json.loads((out / "run.json").read_text())["live"]["schedule"] if f["name"] == "crash"]
    assert len(crashes) >= 3 and all(f["status"] == "applied" and "unsynced WAL bytes lost" in f["effect"]
                                     for f in crashes), crashes
    assert {f["fault"].split()[1] for f in crashes} == {"n1", "n2", "n3"}  # the whole cluster at once


@needs_etcd
def test_etcd_power_loss_is_a_kill_reported_partial(tmp_path):
    meta, _ = _run(tmp_path, "zoo-power-loss", "etcd", ["duration_s=1.5"])
    crashes = [f for f in meta["live"]["schedule"] if f["name"] == "crash"]
    assert crashes and all(f["status"] == "partial" and "page cache" in f["reason"] for f in crashes), crashes


@pytest.mark.slow
def test_kvraft_bug_b12_caught_live_by_durability(tmp_path):
    """B12 (acknowledge before fsync) under whole-cluster power losses: acknowledged writes vanish."""
    out = tmp_path / "run"
    for seed in (1, 2, 3, 4, 5):  # a seed misses when every lost write was overwritten before the end
        run_live(Scenario.parse_sets("zoo-power-loss-many-keys", POWER + ["bugs=B12"]), seed, system="kvraft",
                 etcd_bin="etcd", out=out)
        _, results = check_run(out)
        if {r.checker: r.verdict.value for r in results}["durability"] == "illegal":
            return
    pytest.fail("B12 not caught by durability in 5 seeds")


def test_kvraft_clients_retry_writes_with_their_own_ids_and_the_clean_server_applies_each_once(tmp_path):
    meta, verdicts = _run(tmp_path, "zoo-lossy-retries", "kvraft", ["clients=6"])
    assert verdicts["exactly-once"] == "ok", verdicts
    assert meta["stats"]["client_retries"] > 0  # timed-out attempts were retried (with the same id)


@pytest.mark.slow
def test_kvraft_bug_b10_caught_live_by_exactly_once(tmp_path):
    """B10 (no request de-duplication): a write retried after its attempt timed out is applied twice."""
    out = tmp_path / "run"
    for seed in (1, 2, 3):
        run_live(Scenario.parse_sets("zoo-lossy-retries", ["bugs=B10"]), seed, system="kvraft", etcd_bin="etcd", out=out)
        _, results = check_run(out)
        if {r.checker: r.verdict.value for r in results}["exactly-once"] == "illegal":
            return
    pytest.fail("B10 not caught in 3 seeds")


@pytest.mark.slow
def test_kvraft_bug_b07_caught_live(tmp_path):
    """B07 (quorum reads served from the leader's local state) on the real server: linearizable catches it."""
    out = tmp_path / "run"
    for seed in (1, 2, 3):
        run_live(Scenario.parse_sets("zoo-isolated-leader-reads", ["bugs=B07"]), seed, system="kvraft",
                 etcd_bin="etcd", out=out)
        _, results = check_run(out)
        if {r.checker: r.verdict.value for r in results}["linearizable"] == "illegal":
            return
    pytest.fail("B07 not caught in 3 seeds")
