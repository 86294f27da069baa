"""Unit tests of sim's values and contracts: streams, faults, latencies, disk, runtime protocol."""

from __future__ import annotations

import hashlib
import random

import pytest

import sim
from kvraft.runtime import Disk, Runtime, Timer
from sim import ConfigError, World


def test_stream_seed_is_first_8_bytes_of_sha256() -> None:
    want = int.from_bytes(hashlib.sha256(b"42:network").digest()[:8], "big")
    assert sim.stream_seed(42, "network") == want
    assert sim.RandomStreams(42).fork("network").random() == random.Random(want).random()


def test_forking_a_name_twice_is_a_config_error() -> None:
    rs = sim.RandomStreams(1)
    rs.fork("a")
    with pytest.raises(ConfigError, match="'a' was already forked"):
        rs.fork("a")


def test_streams_are_isolated() -> None:
    a, b = sim.RandomStreams(1), sim.RandomStreams(1)
    x = a.fork("workload")
    x.random()
    assert a.fork("network").random() == b.fork("network").random()


@pytest.mark.parametrize("make", [
    lambda: sim.Partition(groups=(("n1", "n2"), ("n2",))),
    lambda: sim.Partition(groups=()),
    lambda: sim.Partition(groups=((),)),
    lambda: sim.Block(src="n1", dst="n1"),
    lambda: sim.Crash(node=""),
    lambda: sim.ClockDrift(node="n1", ppm=-1_000_000),
    lambda: sim.ClockSkew(node="n1", offset_ns=1.5),
    lambda: sim.LinkFaults(loss=-0.1),
    lambda: sim.LinkFaults(dup=1.5),
    lambda: sim.LinkFaults(latency=5),
    lambda: sim.Grudge(blocked=(("n1", "n1"),)),
    lambda: sim.Constant(-1),
    lambda: sim.Uniform(5, 1),
    lambda: sim.Exponential(0),
    lambda: sim.LongTail(sim.Constant(1), sim.Constant(2), 2.0),
    lambda: sim.DiskFaults(node="n1", fsync_latency=3),
])
def test_bad_values_raise_config_error(make) -> None:
    with pytest.raises(ConfigError):
        make()


def _world(n: int = 3, clients: int = 1) -> World:
    w = World(1)
    for i in range(1, n + 1):
        w.add_host(f"n{i}")
    for i in range(1, clients + 1):
        w.add_host(f"c{i}", kind="client")
    w.start()
    return w


@pytest.mark.parametrize("fault, match", [
    (sim.Crash(node="n9"), "unknown node 'n9'"),
    (sim.Partition(groups=(("n1",), ("n2",))), "miss server nodes n3"),
    (sim.Partition(groups=(("n1", "c1"), ("n2", "n3"))), "'c1' is a client"),
    (sim.Block(src="n1", dst="c1"), "'c1' is a client"),
    (sim.LinkFaults(loss=0.5, src="zz"), "unknown node 'zz'"),
    (sim.DiskFaults(node="n7"), "unknown node 'n7'"),
])
def test_world_apply_rejects_bad_faults_without_tracing_them(fault, match) -> None:
    w = _world()
    before = w.trace_writer.count
    with pytest.raises(ConfigError, match=match):
        w.apply(fault)
    assert w.trace_writer.count == before


def test_world_rejects_bad_setup() -> None:
    w = _world()
    with pytest.raises(ConfigError, match="added twice"):
        w.add_host("n1")
    with pytest.raises(ConfigError, match="kind must be"):
        w.add_host("x", kind="router")
    with pytest.raises(ConfigError, match="before now"):
        w.run(5_000_000)
        w.schedule(1, lambda: None)
    with pytest.raises(ConfigError, match="unknown node"):
        w.hosts["n1"].runtime.send("nope", "x")
    with pytest.raises(ConfigError, match="negative delay"):
        w.hosts["n1"].runtime.after(-1, lambda: None)
    with pytest.raises(ConfigError, match="not a fault"):
        w.apply("crash n1")  # type: ignore[arg-type]


ALL_FAULTS = [
    sim.Partition(groups=(("n1", "n2"), ("n3",))), sim.Grudge(blocked=(("n1", "n2"),), label="x"),
    sim.Block(src="n1", dst="n2"), sim.Heal(), sim.Crash(node="n1", lose_unsynced=False),
    sim.Restart(node="n1"), sim.Pause(node="n1"), sim.Resume(node="n1"),
    sim.ClockSkew(node="n1", offset_ns=-5), sim.ClockDrift(node="n1", ppm=100),
    sim.ClockJump(node="n1", delta_ns=7),
    sim.LinkFaults(loss=0.1, dup=0.2, reorder=0.3,
                   latency=sim.LongTail(sim.Normal(1, 2), sim.Exponential(9), 0.1), src="n1"),
    sim.DiskFaults(node="n1", torn_writes=True, partial_loss=True, fsync_latency=sim.Uniform(1, 2)),
]


@pytest.mark.parametrize("fault", ALL_FAULTS, ids=sim.fault_name)
def test_faults_round_trip_and_print_one_line(fault) -> None:
    # As a schedule's text carries it (run.json, --set schedule=), read back by the safe parser, never eval.
    from scenarios import nemesis as N

    assert N.from_repr(f"at(0.0, do(F.{fault!r}))") == N.at(0.0, N.do(fault))
    assert "\n" not in str(fault) and str(fault).startswith(sim.fault_name(fault).split("-")[0])
    hash(fault)


def test_the_fault_table_has_one_row_per_fault_type() -> None:
    # Liveness and reports read what a fault opens and closes from sim.trace.FAULT_EFFECTS only.
    assert sorted(sim.trace.FAULT_EFFECTS) == sorted(sim.fault_name(f) for f in ALL_FAULTS)
    assert sorted({type(f) for f in ALL_FAULTS}, key=repr) == sorted(sim.faults.FAULTS.values(), key=repr)


def test_hand_rendered_network_lines_equal_canonical_json() -> None:
    T = sim.trace
    args = {"dst": 'n"2', "id": 7, "node": "n1", "t": 5, "type": "AppendEntries"}
    assert T.send_line(5, "n1", 'n"2', 7, "AppendEntries", "x\u00e9") == T.canonical({**args, "kind": "send", "msg": "x\u00e9"}) + "\n"
    assert T.drop_line(5, "n1", 'n"2', 7, "AppendEntries", "loss") == T.canonical({**args, "kind": "drop", "reason": "loss"}) + "\n"
    assert T.deliver_line(5, 'n"2', "n1", 7, "X") == T.canonical({"id": 7, "kind": "deliver", "node": 'n"2', "src": "n1", "t": 5, "type": "X"}) + "\n"


def test_every_applied_fault_is_traced_as_it_is() -> None:
    w = _world(clients=0)
    for f in ALL_FAULTS:
        w.apply(f)
    recs = [sim.trace.json.loads(line) for line in w.trace_writer.lines if '"kind":"fault"' in line]
    assert [r["fault"] for r in recs] == [str(f) for f in ALL_FAULTS]


def test_fast_trace_lines_equal_canonical_json() -> None:
    w = _world(2, 0)
    got: list = []
    w.hosts["n2"].receiver = lambda s, m: got.append(m)
    w.hosts["n1"].runtime.send("n2", 'quo"te \u00e9\n')
    w.run(10_000_000)
    for line in w.trace_writer.lines:
        assert line == sim.canonical(sim.trace.json.loads(line)) + "\n"
    assert got == ['quo"te \u00e9\n']


def test_sim_runtime_implements_the_runtime_protocol() -> None:
    w = _world(1, 0)
    rt = w.hosts["n1"].runtime
    assert isinstance(rt, Runtime) and isinstance(rt.disk, Disk)
    assert isinstance(rt.after(1, lambda: None), Timer)


def test_fsync_then_is_never_inline_and_fsyncs_complete_in_order() -> None:
    w = _world(1, 0)
    w.apply(sim.DiskFaults(node="n1", fsync_latency=sim.Uniform(0, 5_000_000)))
    rt = w.hosts["n1"].runtime
    done: list[int] = []
    for i in range(20):
        rt.disk.write(i)
        rt.disk.fsync(lambda i=i: done.append(i))
        assert len(done) == 0 or done[-1] < i
    assert done == []
    w.run(100_000_000)
    assert done == list(range(20)) and rt.disk.read() == list(range(20))


def test_cancelled_timer_does_not_fire_and_stale_runtime_is_inert() -> None:
    w = _world(1, 0)
    rt = w.hosts["n1"].runtime
    fired: list[str] = []
    t = rt.after(10, lambda: fired.append("cancelled"))
    t.cancel()
    t.cancel()
    rt.after(10, lambda: fired.append("ok"))
    w.run(100)
    w.apply(sim.Crash(node="n1"))
    w.apply(sim.Restart(node="n1"))
    rt.after(10, lambda: fired.append("stale"))
    rt.send("n1", "from the dead")
    w.run(10_000_000)
    assert fired == ["ok"] and w.network.sent == 0


def test_boot_hook_runs_at_start_and_each_restart_with_a_new_runtime() -> None:
    w = World(3)
    seen: list[tuple[str, int]] = []
    w.add_host("n1", on_boot=lambda rt: seen.append((rt.node_id, rt.incarnation)))
    w.start()
    w.apply(sim.Crash(node="n1"))
    w.apply(sim.Restart(node="n1"))
    assert seen == [("n1", 1), ("n1", 2)]


def test_latency_samples_are_non_negative_ints() -> None:
    rng = random.Random(0)
    for lat in (sim.Constant(5), sim.Uniform(1, 9), sim.Normal(10, 100), sim.Exponential(50),
                sim.LongTail(sim.Constant(1), sim.Uniform(100, 200), 0.5)):
        xs = [lat.sample(rng) for _ in range(500)]
        assert all(isinstance(x, int) and x >= 0 for x in xs)
    xs = [sim.Uniform(1, 3).sample(rng) for _ in range(300)]
    assert set(xs) == {1, 2, 3}


def test_parse_and_format_durations() -> None:
    assert sim.parse_ns("200ms") == 200_000_000 and sim.parse_ns("-2s") == -2 * sim.S
    assert sim.format_ns(1_500_000) == "1.5ms" and sim.format_ns(0) == "0s"
    with pytest.raises(ConfigError):
        sim.parse_ns("soon")


def test_trace_hash_matches_the_written_file(tmp_path) -> None:
    w = World(5)
    for n in ("n1", "n2"):
        w.add_host(n)
    w.start()
    for i in range(3000):  # more than one hashing batch
        w.hosts["n1"].runtime.send("n2", i)
    w.run(10_000_000)
    w.write_trace(tmp_path / "trace.jsonl")
    assert sim.trace_sha256(tmp_path / "trace.jsonl") == w.trace_sha256
    assert len(sim.read_trace(tmp_path / "trace.jsonl")) == w.trace_writer.count


def test_watchers_run_after_the_writer_at_the_same_instant_for_world_and_node_events() -> None:
    w = _world(1, 0)
    rt = w.hosts["n1"].runtime
    seen: list[tuple[str | None, int, bool]] = []
    inside = False

    def writer() -> None:
        nonlocal inside
        inside = True
        rt.trace("become-leader", term=1)
        w.trace("become-leader")
        rt.trace("other")
        inside = False

    w.watch("become-leader", lambda node: seen.append((node, w.now_ns, inside)))
    w.schedule(50, writer)
    w.run(1000)
    assert seen == [("n1", 50, False), (None, 50, False)]  # never re-entrant, "other" ignored


def _ping_pong(max_events: int | None) -> World:
    """Two hosts bouncing one message forever (a livelock): every delivery sends it back."""
    w = World(3, max_events=max_events)
    for n in ("n1", "n2"):
        w.add_host(n)
    w.start()
    for n, peer in (("n1", "n2"), ("n2", "n1")):
        rt = w.hosts[n].runtime
        rt.set_receiver(lambda src, msg, rt=rt, peer=peer: rt.send(peer, msg + 1))
    w.hosts["n1"].runtime.send("n2", 0)
    return w


def test_event_limit_ends_a_livelock_at_a_deterministic_instant() -> None:
    w = _ping_pong(500)
    w.run(10**12)
    assert w.events == 500 and w.cut_short == {"t": w.now_ns, "events": 500} and w.now_ns < 10**12
    assert w.trace_writer.lines[-1] == f'{{"events":500,"kind":"event-limit","t":{w.now_ns}}}\n'
    w.run(2 * 10**12)  # later runs do nothing
    assert w.events == 500 and w.now_ns == w.cut_short["t"]
    again = _ping_pong(500)
    again.run(10**12)
    assert again.trace_sha256 == w.trace_sha256


def test_a_run_under_the_event_limit_is_byte_identical_to_one_without_it() -> None:
    limited, free = _ping_pong(10**6), _ping_pong(None)
    for w in (limited, free):
        w.run(50_000_000)
    assert limited.cut_short is None and limited.events == free.events > 10
    assert limited.trace_sha256 == free.trace_sha256


@pytest.mark.parametrize("bad", [0, -1, 1.5, "10"])
def test_event_limit_must_be_a_positive_int(bad) -> None:
    with pytest.raises(ConfigError, match="max_events"):
        World(1, max_events=bad)
