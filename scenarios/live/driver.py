"""The live driver: one scenario against a real kvraft or etcd cluster, written as a run directory.

Rules:
- Phases and parameters are the simulator's (``scenarios.runner``): warm-up, the fault phase
  (``duration_s``: workload + the scenario's schedule as real faults), recovery (``recover_s``: everything
  healed), final reads; the same workload definitions (``scenarios.workloads``) and the same schedule
  values (``plan``/``resolve`` with the run's rng streams) as a simulated run.
- Times in history.jsonl and trace.jsonl are elapsed wall-clock ns since the workload's clock started.
- Everything created is removed in ``finally`` (processes by PID, then namespaces, links, rules); a run
  never outlives its phases plus ``GRACE_S``. A crash of the harness itself leaves tagged leftovers for
  ``raftsim live --cleanup``.
- run.json is a normal RunMeta plus ``live``: system, binary version, the schedule as executed (every
  fault with its real start/end and status, unsupported ones with the reason) and the note that live runs
  are not reproducible.
"""

from __future__ import annotations

import asyncio
import shutil
import signal
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import aiohttp

import checkers.rundir as rundir
from checkers.history import HistoryWriter
from scenarios import nemesis as N
from scenarios.errors import ConfigError
from scenarios.live.executor import LiveClient, LiveExecutor
from scenarios.live.faults import LiveFaults, LiveView
from scenarios.live.members import Members, binary_version, wait_healthy
from scenarios.live.network import PEER_PORT, Network, run_tag
from scenarios.live.observer import Observer
from scenarios.live.relay import Relay, link_setting
from scenarios.preflight import planned_faults
from scenarios.spec import Scenario, get_def
from scenarios.workloads import WorkloadContext, make_workload
from sim import faults as F
from sim import trace as T
from sim.rand import RandomStreams

__all__ = ["GRACE_S", "run_live"]

S = 1_000_000_000
MS = 1_000_000
WARMUP_NS = 1 * S
GRACE_S = 30.0  # boot, teardown and check beyond the scenario's own phases
BOOT_TIMEOUT_S = 20.0
NOTE = "live runs are not reproducible: real processes, real time and real scheduling decide the history"


class LiveCluster:
    """What a workload asks of its cluster: client handles, bound one per member (slot i -> member i mod n)."""

    final_host = "final"

    def __init__(self, members: Members, executor: LiveExecutor | None = None) -> None:
        self.members = members
        self.executor = executor

    def client(self, host: str, client_id: str) -> LiveClient:
        nodes = self.members.net.nodes
        i = int(host[1:]) if host[:1] == "c" and host[1:].isdigit() else 0
        return LiveClient(client_id, self.members.client_url(nodes[i % len(nodes)]), self.executor,
                          urls=[self.members.client_url(n) for n in nodes])


def run_live(scenario: Scenario, seed: int, *, system: str, etcd_bin: str, out: Path) -> Path:
    """Run ``scenario`` live into ``out``; returns ``out``. Raises ConfigError for what cannot run."""
    p = scenario.p
    # Every registered workload runs live (one definition, both worlds); Scenario.create checked the name.
    if system != "kvraft" and p.bugs:
        raise ConfigError(f"--set bugs: bug switches are kvraft's own; {system} has none")
    rundir.check_replaceable(out)
    plan = get_def(scenario.name).build(p)
    nodes = [f"n{i}" for i in range(1, p.nodes + 1)]
    tag = run_tag()
    work = out.parent / f".{out.name}.{tag}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    net = Network(tag, nodes)
    relay = _relay(scenario, system, net, seed)
    trace = T.TraceWriter()
    trace.header(seed=seed)
    members = Members(system, etcd_bin, net, work, p)
    state: dict[str, Any] = {"t": lambda: 0}
    members.on_event = lambda kind, node, **kw: trace.emit({"t": state["t"](), "kind": kind, "node": node, **kw})
    history = HistoryWriter()
    version = binary_version(system, etcd_bin)
    old_term = signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        net.create()
        if relay is not None:  # before any member dials a peer: established connections keep their path
            relay.start()
            net.redirect(relay.ports)
        for n in nodes:
            members.start(n)
        if not wait_healthy([members.client_url(n) for n in nodes], BOOT_TIMEOUT_S):
            raise ConfigError(f"{system} cluster not healthy after {BOOT_TIMEOUT_S:.0f} s (logs: {work / 'logs'})")
        faults_done, end_ns, requests = asyncio.run(_phases(scenario, seed, plan, members, net, trace, history, state,
                                                                   relay))
    except KeyboardInterrupt:
        members.stop_all()
        shutil.rmtree(work, ignore_errors=True)  # an interrupted run leaves nothing (a failed boot keeps its logs)
        raise
    finally:
        members.stop_all()
        if relay is not None:
            relay.stop()
        net.teardown()
        signal.signal(signal.SIGTERM, old_term)
    unsupported = sorted({f["name"] for f in faults_done if f["status"] != "applied"})
    meta = rundir.RunMeta(
        scenario=scenario.name, params=dict(scenario.params), scenario_repr=repr(scenario),
        nemesis=repr(plan.nemesis), seed=seed, code_version=_code_version(), trace_sha256=trace.sha256,
        trace_events=trace.count,
        replay=f"raftsim live {scenario.name} --system {system} --seed {seed}"
               + (f" {scenario.cli_args()}" if scenario.cli_args() else "") + "  # not reproducible",
        nodes=nodes, clients=p.clients, duration_ns=end_ns,
        phases={"fault_start_ns": WARMUP_NS, "fault_end_ns": WARMUP_NS + int(p.duration_s * S),
                "recover_end_ns": WARMUP_NS + int((p.duration_s + p.recover_s) * S)},
        timing={"tick_ns": p.tick_ms * MS, "heartbeat_ns": p.heartbeat_ticks * p.tick_ms * MS,
                "election_timeout_ns": p.election_ticks * p.tick_ms * MS,
                "latency_mean_ns": int(p.latency_ms * MS), "client_timeout_ns": p.client_timeout_ms * MS,
                "ttl_ns": p.ttl_s * S},
        stats={"history_events": len(history.lines), "requests": requests, "faults": len(faults_done),
               "client_retries": state.get("retries", 0)},
        live={"system": system, "binary": etcd_bin if system == "etcd" else "kvraft", "version": version,
              "note": NOTE, "schedule": faults_done, "unsupported": unsupported,
              "relay": dict(relay.counts) if relay is not None else "off: no link delay, duplication or reordering asked"},
    )
    rundir.write_run_dir(out, meta, trace.write_to, history.write_to)
    for sub in ("logs", "data"):
        if (work / sub).exists():
            (work / sub).rename(out / sub)
    shutil.rmtree(work, ignore_errors=True)
    return out


def _relay(scenario: Scenario, system: str, net: Network, seed: int) -> Relay | None:
    """The peer-link relay, when the scenario's baseline or schedule asks for delay, duplication or reordering."""
    p = scenario.p
    wanted = p.dup > 0 or p.reorder > 0 or any(
        isinstance(f, F.LinkFaults) and link_setting(f) is not None for f in planned_faults(scenario))
    if not wanted:
        return None
    return Relay(net.gateway, net.nodes, net.addr, PEER_PORT, framed=system == "kvraft",
                 rng=RandomStreams(seed).fork("live/relay"))


def _raise_interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def _code_version() -> str:
    from scenarios.runner import code_version

    return code_version()


async def _phases(scenario: Scenario, seed: int, plan: Any, members: Members, net: Network, trace: T.TraceWriter,
                  history: HistoryWriter, state: dict[str, Any], relay: Relay | None = None,
                  ) -> tuple[list[dict[str, Any]], int, int]:
    p = scenario.p
    streams = RandomStreams(seed)
    fault_end = WARMUP_NS + int(p.duration_s * S)
    recover_end = fault_end + int(p.recover_s * S)
    quiet = recover_end + p.client_timeout_ms * MS + 100 * MS
    hard_end = quiet + 6 * S
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0, force_close=False)) as session:
        ex = LiveExecutor(session, client_ids=members.system == "kvraft")
        state["t"] = lambda: ex.now
        emit = lambda kind, **kw: trace.emit({"t": ex.now, "kind": kind, **kw})  # noqa: E731
        emit(T.RUN, scenario=scenario.name, nodes=list(net.nodes))
        faults = LiveFaults(members, net, lambda: ex.now, relay)
        observer = Observer(members, session, emit)
        baseline = F.LinkFaults(loss=p.loss, dup=p.dup, reorder=p.reorder)
        view = LiveView(members, faults, observer, int(p.clients), baseline)
        if baseline != F.LinkFaults():  # the scenario's own link settings hold from the start, as simulated
            _fire(baseline, faults, emit)
        ctx = WorkloadContext(world=SimpleNamespace(streams=streams), cluster=LiveCluster(members, ex),
                              history=history, params=p, start_ns=WARMUP_NS // 2, stop_ns=recover_end,
                              rng=streams.fork("workload"), executor=ex)
        workload = make_workload(ctx)
        obs_task = asyncio.get_running_loop().create_task(observer.run())
        workload.start()
        try:
            await asyncio.wait_for(_nemesis(plan.nemesis, streams, ex, faults, view, emit, fault_end), hard_end / S)
            await _sleep_until(ex, fault_end)
            emit(T.PHASE, name="recover")
            for _, fault in N.heal_all().resolve(view, streams.fork("nemesis/final")):
                _fire(fault, faults, emit)
            for n in net.nodes:  # recovery: every member up and running again
                if not members.is_up(n):
                    _fire(F.Restart(node=n), faults, emit)
            await _sleep_until(ex, quiet)
            workload.final_reads(deadline_ns=quiet + 5 * S)
            await ex.drain((hard_end - ex.now) / S)
        finally:
            obs_task.cancel()
            await asyncio.gather(obs_task, return_exceptions=True)
            members.reap()
        state["retries"] = ex.retries
        return faults.executed, ex.now, ex.requests


async def _sleep_until(ex: LiveExecutor, at_ns: int) -> None:
    if at_ns > ex.now:
        await asyncio.sleep((at_ns - ex.now) / S)


def _fire(fault: Any, faults: LiveFaults, emit: Any) -> None:
    if isinstance(fault, N.MemberChange):
        faults.executed.append({"fault": repr(fault), "name": "member-change", "start_ns": 0, "end_ns": 0,
                                "status": "unsupported", "reason": "membership changes have no live form yet"})
        return
    rec = faults.apply(fault)
    fields = F.fault_fields(fault) if not isinstance(fault, N.MemberChange) else {}
    emit(T.FAULT, fault=str(fault), name=rec["name"], status=rec["status"], end_t=rec["end_ns"],
         **({"reason": rec["reason"]} if "reason" in rec else {}), **fields)
    node = getattr(fault, "node", None)
    kind = {"crash": T.CRASH, "restart": T.RESTART, "pause": T.PAUSE, "resume": T.RESUME}.get(rec["name"])
    if kind and rec["status"] in ("applied", "partial"):  # an etcd power loss is a kill: still a crash
        emit(kind, node=node)


async def _nemesis(schedule: Any, streams: RandomStreams, ex: LiveExecutor, faults: LiveFaults, view: LiveView,
                   emit: Any, fault_end: int) -> None:
    rng = streams.fork("nemesis")
    plan = schedule.plan(rng, WARMUP_NS, fault_end)
    if N.triggers(schedule, WARMUP_NS, fault_end):
        faults.executed.append({"fault": "on(...)", "name": "trigger", "start_ns": 0, "end_ns": 0,
                                "status": "unsupported", "reason": "event-triggered schedules have no live form yet"})
    loop = asyncio.get_running_loop()
    for at_ns, action in plan:
        await _sleep_until(ex, at_ns)
        resolved = action.resolve(view, rng)
        # A power failure crashes members at one instant: SIGKILL them all before any is waited for and cut
        # back, or the last ones would live on (and finish their fsyncs) while the first are reaped.
        faults.members.kill_now([f.node for d, f in resolved if d <= 0 and isinstance(f, F.Crash)])
        for delay, fault in resolved:
            if delay <= 0:
                _fire(fault, faults, emit)
            else:
                loop.call_later(delay / S, _fire, fault, faults, emit)
