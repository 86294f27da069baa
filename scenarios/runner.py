"""The runner: scenario + seed -> a run directory (run.json, history.jsonl, trace.jsonl).

Rules:
- A run is a pure function of (scenario, seed, code version): the trace's SHA-256 names it.
- Phases: boot and elect (fault-free warm-up), the fault phase (``duration_s``, nemesis + workload),
  the recovery phase (``recover_s``: heal everything, workload continues; liveness is judged here),
  then final quorum reads of every key the workload used (durability is judged on them).
- A run that livelocks stops at its event limit (``event_limit``): run.json ``cut_short``, never ok.
- Files are written to a temporary directory next to the target and renamed into place, so a crash
  never leaves a half-written run. Only an earlier run directory (or an empty one) is replaced: a file, or
  a directory holding anything else, is a ConfigError before the run starts (never lost data).
"""

from __future__ import annotations

import functools
import hashlib
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any


from checkers.history import HistoryWriter
import checkers.rundir as rundir
from checkers.rundir import RunFiles
from kvraft.client import Client
from kvraft.member import Member, MemberConfig
from kvraft.raft.config import RaftConfig
from scenarios import nemesis as N
from scenarios.errors import ConfigError
from scenarios.spec import Scenario, get_def
from scenarios.workloads import WorkloadContext, make_workload
from sim import faults as F
from sim import trace as T
from sim.latency import Constant, Exponential, LongTail, Normal, Uniform
from sim.world import World

__all__ = ["RunDir", "DeterminismReport", "build", "check_determinism", "code_version", "replay", "run"]

MS = 1_000_000
S = 1_000_000_000
WARMUP_NS = 1 * S


@dataclass(frozen=True)
class RunDir:
    root: Path
    trace_sha256: str
    replay: str
    meta: dict[str, Any]

    @property
    def files(self) -> RunFiles:
        return RunFiles(self.root)


@functools.cache
def code_version() -> str:
    """SHA-256 (first 16 hex) of the simulated code's sources: same code => same version anywhere."""
    h = hashlib.sha256()
    base = Path(__file__).resolve().parent.parent
    for pkg in ("sim", "kvraft", "scenarios"):
        for p in sorted((base / pkg).rglob("*.py")):
            h.update(str(p.relative_to(base)).replace(os.sep, "/").encode())
            h.update(p.read_bytes())
    return h.hexdigest()[:16]


def _latency(p: dict[str, Any]) -> Any:
    mean = int(p["latency_ms"] * MS)
    kind = p["latency_dist"]
    if kind == "constant":
        return Constant(mean)
    if kind == "uniform":
        return Uniform(mean // 2, mean + mean // 2)
    if kind == "normal":
        return Normal(mean, max(1, mean // 4))
    if kind == "long-tail":
        return LongTail(Exponential(mean), Exponential(mean * 20), 0.02)
    return Exponential(mean)


class _View:
    """The read-only ClusterView the nemesis sees."""

    def __init__(self, cluster: "Cluster") -> None:
        self._c = cluster

    @property
    def nodes(self) -> list[str]:
        return list(self._c.all_nodes)

    @property
    def members(self) -> list[str]:
        return sorted(self._c.members)

    @property
    def spare(self) -> list[str]:
        return sorted(n for n in self._c.all_nodes if n not in self._c.members)

    @property
    def up(self) -> list[str]:
        return [n for n in self._c.all_nodes if self._c.world.hosts[n].up and not self._c.world.hosts[n].paused]

    @property
    def down(self) -> list[str]:
        return [n for n in self._c.all_nodes if not self._c.world.hosts[n].up]

    @property
    def paused(self) -> list[str]:
        return [n for n in self._c.all_nodes if self._c.world.hosts[n].up and self._c.world.hosts[n].paused]

    @property
    def leader(self) -> str | None:
        return self._c.leader()

    @property
    def clients(self) -> list[str]:
        # The workload's client machines (not the admin/final-read one).
        return [c for c in self._c.client_hosts if self._c.world.hosts[c].up and not self._c.world.hosts[c].paused]

    @property
    def drifting(self) -> list[str]:
        return [n for n in self._c.all_nodes if self._c.world.hosts[n].drift_ppm != 0]

    @property
    def link_baseline(self) -> object:
        return self._c.link_baseline

    @property
    def links_faulted(self) -> bool:
        return self._c.link_setting != self._c.link_baseline


class Cluster:
    """The world, the kvraft members on it and the client hosts (live objects; the runner's only)."""

    def __init__(self, scenario: Scenario, seed: int) -> None:
        p = dict(scenario.params)
        self.scenario, self.seed, self.params = scenario, seed, p
        self.plan = get_def(scenario.name).build(scenario.params)
        self.world = World(seed, latency=_latency(p), trace_messages=bool(p["trace_messages"]))
        n, spare = p["nodes"], self.plan.spare_nodes
        self.all_nodes = [f"n{i}" for i in range(1, n + spare + 1)]
        self.members = set(self.all_nodes[:n])
        bugs = frozenset(b for b in p["bugs"].split(",") if b)
        self.raft_config = RaftConfig(
            election_ticks=p["election_ticks"], heartbeat_ticks=p["heartbeat_ticks"], pre_vote=p["pre_vote"],
            check_quorum=p["check_quorum"], snapshot_entries=p["snapshot_entries"], bugs=bugs,
            max_size_per_msg=p["max_msg_bytes"], election_ticks_max=p.get("election_ticks_max") or None,
        )
        election_ns = p["election_ticks"] * p["tick_ms"] * MS
        self.member_config = MemberConfig(tick_ns=p["tick_ms"] * MS, bugs=bugs,
                                          request_timeout_ns=5 * S + 2 * election_ns)  # as etcd
        self.servers: dict[str, Member] = {}
        self.joined: set[str] = set()
        self.admin: Client | None = None
        self.admins: list[Client] = []
        for node in self.all_nodes:
            self.world.add_host(node, kind="server", on_boot=self._boot)
        # The scenario's own link settings (not a fault): the nemesis returns to them after loss bursts.
        self.link_baseline = F.LinkFaults(loss=p["loss"], dup=p["dup"], reorder=p["reorder"])
        self.link_setting = F.LinkFaults()
        if self.link_baseline != self.link_setting:
            self.apply(self.link_baseline)
        if p["fsync_ms"] > 0:  # otherwise the simulator's default disk (not a fault worth listing)
            for node in self.all_nodes:
                self.world.apply(F.DiskFaults(node=node, fsync_latency=Exponential(int(p["fsync_ms"] * MS))))
        # One machine per workload client, plus one for the admin (membership) client and one for the
        # final reads: a Client owns its machine's receiver, so they must not share one.
        self.client_hosts = [f"c{i}" for i in range(max(1, p["clients"]))]
        self.admin_host, self.final_host = "admin", "final"
        self.admin_hosts = [self.admin_host, "admin1"]  # a second admin client: two changes in flight
        for c in [*self.client_hosts, *self.admin_hosts, self.final_host]:
            self.world.add_host(c, kind="client")

    def _boot(self, runtime: Any) -> None:
        node = runtime.node_id
        self.servers.pop(node, None)
        if node not in self.members and node not in self.joined:
            # A spare machine: up, but no kvraft member runs on it until the cluster adds it.
            runtime.set_receiver(lambda src, msg: None)
            return
        self._start_member(runtime)

    def _start_member(self, runtime: Any) -> None:
        node = runtime.node_id
        inc = self.world.hosts[node].incarnation
        # As etcd's --initial-cluster: the members known now, itself included. A node with state on
        # disk takes its configuration from there instead.
        peers = sorted(self.members | {node})
        m = Member(runtime, peers=peers, raft_config=self.raft_config, config=self.member_config,
                   rng=self.world.streams.fork(f"raft/{node}#{inc}"))
        self.servers[node] = m
        m.start()

    def join(self, node: str) -> None:
        """Start a member on the spare ``node`` (after the cluster agreed to add it)."""
        self.joined.add(node)
        host = self.world.hosts[node]
        if host.up and node not in self.servers and host.runtime is not None:
            self._start_member(host.runtime)

    def apply(self, fault: object) -> None:
        """Inject a fault (through World.apply, the only way), remembering the link setting in force."""
        if isinstance(fault, F.LinkFaults) and fault.src is None and fault.dst is None:
            self.link_setting = fault
        self.world.apply(fault)

    def leader(self) -> str | None:
        best: tuple[int, str] | None = None
        for node in self.all_nodes:
            h = self.world.hosts[node]
            m = self.servers.get(node)
            if m is None or not h.up or h.paused or not m.is_leader:
                continue
            if best is None or m.term > best[0]:
                best = (m.term, node)
        return best[1] if best else None

    def client(self, host: str, client_id: str) -> Client:
        rt = self.world.hosts[host].runtime
        return Client(rt, servers=sorted(self.members), client_id=client_id,
                      rng=self.world.streams.fork(f"client/{client_id}"))


def _nemesis_process(cluster: Cluster, schedule: N.Schedule, start_ns: int, end_ns: int) -> Any:
    world = cluster.world
    rng = world.streams.fork("nemesis")
    view = _View(cluster)
    plan = schedule.plan(rng, start_ns, end_ns)
    env = world.env

    def fire(fault: object) -> None:
        if isinstance(fault, N.MemberChange):
            _member_change(cluster, fault)
        else:
            cluster.apply(fault)

    def act(action: N.Action, draw: Any) -> None:
        """Resolve ``action`` against the cluster now; inject its faults now or after their delays."""
        for delay, fault in action.resolve(view, draw):
            if delay <= 0:
                fire(fault)
            else:
                world.schedule(env.now + delay, lambda f=fault: fire(f))

    for i, (lo, hi, trig) in enumerate(N.triggers(schedule, start_ns, end_ns)):
        world.watch(trig.event, _reaction(world, trig, (lo, hi), world.streams.fork(f"nemesis/on{i}"), act))
    for at_ns, action in plan:
        if at_ns > env.now:
            yield env.timeout(at_ns - env.now)
        act(action, rng)


def _reaction(world: World, trig: Any, window: tuple[int, int], rng: Any, act: Any) -> Any:
    """The watcher of one ``on(...)`` trigger: draws from its own stream, fires inside ``window`` only."""
    lo, hi = window
    seen = 0

    def react(node: str | None) -> None:
        nonlocal seen
        if not lo <= world.now_ns < hi:
            return
        seen += 1
        if trig.nth and seen != trig.nth:
            return
        delay = trig.draw_delay_ns(rng)
        if delay is None:
            return

        def go() -> None:
            if world.now_ns < hi:
                act(trig.action, rng)

        world.call_later(delay, go)

    return react


def _member_change(cluster: Cluster, change: N.MemberChange) -> None:
    world = cluster.world
    world.trace(T.MEMBER_CHANGE, node=change.node, op=change.op)
    admin = cluster.admins[min(change.via, len(cluster.admins) - 1)]
    if change.op == "remove":
        def removed(ok: bool) -> None:
            if ok:
                cluster.members.discard(change.node)

        admin.remove_member(change.node, removed)
    else:
        def added(ok: bool) -> None:
            if ok:  # etcd: `member add` first, then start the new member with the cluster's list
                cluster.members.add(change.node)
                cluster.join(change.node)

        admin.add_member(change.node, added)


def build(scenario: Scenario, seed: int) -> tuple[Cluster, HistoryWriter, int]:
    """Wire a cluster, workload and nemesis for ``scenario`` at ``seed``; returns (cluster, history, end_ns)."""
    cluster = Cluster(scenario, seed)
    p = cluster.params
    world = cluster.world
    world.trace(T.RUN, scenario=scenario.name, nodes=cluster.all_nodes)
    world.start()
    history = HistoryWriter()
    fault_start = WARMUP_NS
    fault_end = fault_start + int(p["duration_s"] * S)
    recover_end = fault_end + int(p["recover_s"] * S)
    cluster.admins = [cluster.client(h, h) for h in cluster.admin_hosts]
    cluster.admin = cluster.admins[0]
    ctx = WorkloadContext(world=world, cluster=cluster, history=history, params=p, start_ns=WARMUP_NS // 2,
                          stop_ns=recover_end, rng=world.streams.fork("workload"))
    workload = make_workload(ctx)
    workload.start()
    world.env.process(_nemesis_process(cluster, cluster.plan.nemesis, fault_start, fault_end))

    def recover() -> None:
        world.trace(T.PHASE, name="recover")
        for _, fault in N.heal_all().resolve(_View(cluster), world.streams.fork("nemesis/final")):
            cluster.apply(fault)

    world.schedule(fault_end, recover)
    # Final reads start once every workload op has completed (the client gives up by its timeout).
    quiet = recover_end + p["client_timeout_ms"] * MS + 100 * MS
    world.schedule(quiet, lambda: workload.final_reads(deadline_ns=quiet + 5 * S))
    return cluster, history, quiet + 6 * S


# Livelock guard: a run stops after EVENT_LIMIT_FACTOR times a rough estimate of its simulation events
# (event_limit). Over the catalog and the zoo (seed 1) a run takes 0.6-4.6 times the estimate, so the
# limit is 5x or more above any of them (heavier settings measured: at most 0.27 of the limit); a bug's
# endless reject/retry loop (B04 on a hunted schedule: 100x the usual event rate, 3.2M messages, 92 s and
# 6 GB) instead ends in an ``event-limit`` trace record, run.json ``cut_short`` and an UNKNOWN
# ``integrity`` result. A run under the limit is byte-identical to one without it. A legitimate run cut
# short is never silent: it is UNKNOWN, with the reason.
EVENT_LIMIT_FACTOR = 25


def event_limit(p: dict[str, Any], end_ns: int) -> int:
    """The most simulation events a run of params ``p`` lasting ``end_ns`` may take (see EVENT_LIMIT_FACTOR):
    per virtual second, a tick per node, a heartbeat from each node to each peer and each client op."""
    ticks_per_s = 1000 / p["tick_ms"]
    per_s = (p["nodes"] * ticks_per_s + p["nodes"] ** 2 * ticks_per_s / p["heartbeat_ticks"]
             + p["clients"] * p["rate"])
    return int(EVENT_LIMIT_FACTOR * per_s * end_ns / S) + 100_000


def _simulate(scenario: Scenario, seed: int) -> tuple[Cluster, HistoryWriter]:
    cluster, history, end_ns = build(scenario, seed)
    cluster.world.max_events = event_limit(cluster.params, end_ns)
    cluster.world.run(until_ns=end_ns)
    # Ops still open at the end never completed: the history format counts them as info.
    return cluster, history


def check_replaceable(out: Path) -> None:
    """Raise ConfigError unless ``out`` is absent, an empty directory or an earlier run directory."""
    try:
        rundir.check_replaceable(out)
    except rundir.RunDirError as e:
        raise ConfigError(str(e)) from None


def run_meta(scenario: Scenario, seed: int, cluster: Cluster, history: HistoryWriter) -> rundir.RunMeta:
    """The run.json of a finished simulation."""
    tw = cluster.world.trace_writer
    from scenarios.plugins import modules

    sets = scenario.cli_args()
    plugins = list(modules())
    sets += "".join(f" --plugin {m}" for m in plugins)
    p = cluster.params
    cut = cluster.world.cut_short
    return rundir.RunMeta(
        scenario=scenario.name,
        params=dict(scenario.params),
        scenario_repr=repr(scenario),
        nemesis=repr(cluster.plan.nemesis),
        seed=seed,
        code_version=code_version(),
        trace_sha256=tw.sha256,
        trace_events=tw.count,
        replay=f"raftsim run {scenario.name} --seed {seed}" + (f" {sets.strip()}" if sets else ""),
        nodes=cluster.all_nodes,
        clients=p["clients"],
        duration_ns=cluster.world.now_ns,
        phases={"fault_start_ns": WARMUP_NS, "fault_end_ns": WARMUP_NS + int(p["duration_s"] * S),
                "recover_end_ns": WARMUP_NS + int((p["duration_s"] + p["recover_s"]) * S)},
        timing={
            "tick_ns": p["tick_ms"] * MS,
            "heartbeat_ns": p["heartbeat_ticks"] * p["tick_ms"] * MS,
            "election_timeout_ns": p["election_ticks"] * p["tick_ms"] * MS,
            "latency_mean_ns": int(p["latency_ms"] * MS),
            "client_timeout_ns": p["client_timeout_ms"] * MS,
            "ttl_ns": p["ttl_s"] * S,
        },
        stats={"history_events": len(history.lines)},
        cut_short=None if cut is None else {**cut, "limit": cluster.world.max_events},
        plugins=plugins or None,
    )


def run(scenario: Scenario, seed: int, out_dir: Path | None = None) -> RunDir:
    """Run ``scenario`` with ``seed`` into ``out_dir`` (default ``runs/<name>-seed<seed>``), replacing an
    earlier run there (see ``checkers.rundir.check_replaceable``)."""
    out = Path(out_dir) if out_dir is not None else Path("runs") / f"{scenario.name}-seed{seed}"
    check_replaceable(out)
    cluster, history = _simulate(scenario, seed)
    meta = run_meta(scenario, seed, cluster, history)
    rundir.write_run_dir(out, meta, cluster.world.trace_writer.write_to, history.write_to)
    return RunDir(out, meta.trace_sha256, meta.replay, meta.to_json())


def trace_lines(scenario: Scenario, seed: int) -> tuple[str, list[str]]:
    """Simulate without writing files; returns (sha256, canonical trace lines)."""
    cluster, _ = _simulate(scenario, seed)
    return cluster.world.trace_writer.sha256, cluster.world.trace_writer.lines


@dataclass(frozen=True)
class DeterminismReport:
    same: bool
    text: str


def trace_component(line: str) -> str:
    """Which component wrote a trace line: nemesis, network, raft node nX, kv member nX, client cX, ..."""
    import json

    try:
        rec = json.loads(line)
    except (ValueError, RecursionError):
        return "unknown (not JSON)"
    kind, node = str(rec.get("kind", "?")), rec.get("node")
    if kind in T.NEMESIS_KINDS:
        return f"nemesis ({kind}{' ' + str(node) if node else ''})"
    if kind in T.NETWORK_KINDS:
        return f"network ({kind} to {node}{', ' + str(rec['type']) if 'type' in rec else ''})"
    if kind == T.SEND:
        typ = str(rec.get("type", ""))
        if str(node).startswith("c"):
            return f"client {node} (send {typ})"
        if typ.startswith(("Client", "Admin")):
            return f"kv member {node} (send {typ})"
        return f"raft node {node} (send {typ})"
    if kind in T.RAFT_KINDS:
        return f"raft node {node} ({kind})"
    return f"{kind}{' on ' + str(node) if node else ''}"


def _first_difference(a: list[str], b: list[str]) -> str:
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            comp = trace_component(x)
            other = trace_component(y)
            where = comp if comp == other else f"{comp} / run 2: {other}"
            return (f"first difference at trace line {i + 1}:\n  run 1: {x.rstrip()}\n  run 2: {y.rstrip()}\n"
                    f"  component: {where}")
    if len(a) != len(b):
        return f"one trace is a prefix of the other ({len(a)} vs {len(b)} lines)"
    return "traces are identical"


def check_determinism(scenario: Scenario, seed: int, *, subprocess_check: bool = True) -> DeterminismReport:
    """Run twice in-process (and once in a subprocess with another PYTHONHASHSEED); compare traces."""
    h1, l1 = trace_lines(scenario, seed)
    h2, l2 = trace_lines(scenario, seed)
    lines = [f"run 1 (in-process):  {h1}", f"run 2 (in-process):  {h2}"]
    same = h1 == h2
    if not same:
        lines.append(_first_difference(l1, l2))
    if subprocess_check:
        h3, l3 = _subprocess_trace(scenario, seed)
        lines.append(f"run 3 (PYTHONHASHSEED=12345, subprocess): {h3}")
        if h3 != h1:
            same = False
            lines.append(_first_difference(l1, l3))
    lines.append("deterministic: yes" if same else "deterministic: NO")
    return DeterminismReport(same, "\n".join(lines))


def _subprocess_trace(scenario: Scenario, seed: int) -> tuple[str, list[str]]:
    code = (
        "import sys, json\n"
        "from scenarios.spec import Scenario\n"
        "from scenarios.runner import trace_lines\n"
        "h, lines = trace_lines(Scenario.from_repr(sys.argv[1]), int(sys.argv[2]))\n"
        "sys.stdout.write(h + '\\n' + ''.join(lines))\n"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    root = str(Path(__file__).resolve().parent.parent)
    env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "")
    out = subprocess.run([sys.executable, "-c", code, repr(scenario), str(seed)], capture_output=True, text=True,
                         env=env, check=False)
    if out.returncode != 0:
        raise ConfigError(f"determinism subprocess failed: {out.stderr.strip().splitlines()[-1:]}")
    first, _, rest = out.stdout.partition("\n")
    return first.strip(), rest.splitlines(keepends=True)


def replay(run_dir: Path) -> tuple[bool, str]:
    """Re-run a run directory's scenario and seed; confirm the trace SHA-256 matches run.json."""
    from scenarios.plugins import load

    meta = rundir.read_run_meta(Path(run_dir) / rundir.RUN_JSON)
    load(meta.plugins or ())  # the user's scenario, workload and checkers, as recorded
    scen, seed, want = Scenario.from_repr(meta.scenario_repr), meta.seed, meta.trace_sha256
    got, _ = trace_lines(scen, seed)
    ok = got == want
    text = f"recorded: {want}\nreplayed: {got}\n" + ("trace hash confirmed" if ok else "TRACE HASH DIFFERS")
    if meta.code_version != code_version():
        text += f"\n(note: code version changed: run {meta.code_version}, now {code_version()})"
    return ok, text
