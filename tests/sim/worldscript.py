"""A data-driven driver for ``sim.World`` (commands of tests/sim/testdata/*.txt).

Each command prints the trace events it caused, one compact line each, so a script reads like
a log of the world. Query commands (``now``, ``disk-read``, ``trace``, ``hosts``) print state.
A ``ConfigError`` prints ``error: <message>``.
"""

from __future__ import annotations

import json
from typing import Any

from datadriven import Command

import sim
from sim import ConfigError, World, format_ns, parse_ns


def _group(tok: str) -> tuple[str, ...]:
    return tuple(p for p in tok.strip("()").split(",") if p)


def _latency(cmd: Command, key: str) -> sim.Latency | None:
    vals = cmd.get_list(key)
    if not vals:
        return None
    if len(vals) == 1:
        return sim.Constant(parse_ns(vals[0]))
    return sim.Uniform(parse_ns(vals[0]), parse_ns(vals[1]))


def format_record(r: dict[str, Any]) -> str:
    """One compact line per trace record."""
    t = format_ns(r["t"])
    kind = r["kind"]
    if kind == "send":
        return f"{t} send {r['node']}->{r['dst']} #{r['id']} {r['type']} {r['msg']}"
    if kind == "deliver":
        return f"{t} deliver {r['src']}->{r['node']} #{r['id']} {r['type']}"
    if kind == "drop":
        return f"{t} drop {r['node']}->{r['dst']} #{r['id']} {r['type']} reason={r['reason']}"
    if kind == "duplicate":
        return f"{t} duplicate {r['node']}->{r['dst']} #{r['id']}"
    if kind == "fault":
        return f"{t} fault {r['fault']}"
    rest = " ".join(f"{k}={json.dumps(v)}" for k, v in sorted(r.items()) if k not in ("t", "kind", "node"))
    return " ".join(x for x in (t, kind, r.get("node", ""), rest) if x)


class WorldScript:
    """Holds one World between commands of a script."""

    def __init__(self) -> None:
        self.world: World | None = None
        self.mark = 0

    # -- plumbing ------------------------------------------------------------------------------
    def new_events(self) -> list[str]:
        w = self.world
        assert w is not None
        lines = w.trace_writer.lines[self.mark:]
        self.mark = len(w.trace_writer.lines)
        return [format_record(json.loads(line)) for line in lines]

    def rt(self, node: str) -> sim.SimRuntime:
        assert self.world is not None
        rt = self.world.host(node).runtime
        if rt is None:
            raise ConfigError(f"{node} is down")
        return rt

    def handle(self, cmd: Command) -> str:
        try:
            if cmd.name == "world":
                return self.cmd_world(cmd)
            if self.world is None:
                raise cmd.fail("no world yet (start with `world nodes=3 seed=1`)")
            fn = getattr(self, "cmd_" + cmd.name.replace("-", "_"), None)
            if fn is None:
                raise cmd.fail("unknown command")
            extra = fn(cmd)
            out = self.new_events()
        except ConfigError as e:
            if self.world is not None:
                self.new_events()
            return f"error: {e}"
        if extra:
            out.append(extra)
        return "\n".join(out)

    def _boot(self, rt: sim.SimRuntime) -> None:
        rt.set_receiver(lambda src, msg: None)

    # -- commands ------------------------------------------------------------------------------
    def cmd_world(self, cmd: Command) -> str:
        nodes = cmd.get_int("nodes", 3)
        clients = cmd.get_int("clients", 0)
        latency = _latency(cmd, "latency") or sim.Constant(1_000_000)
        w = World(cmd.get_int("seed", 1), latency=latency)
        for i in range(1, nodes + 1):
            w.add_host(f"n{i}", on_boot=self._boot)
        for i in range(1, clients + 1):
            w.add_host(f"c{i}", kind="client", on_boot=self._boot)
        w.start()
        self.world, self.mark = w, 0
        self.new_events()
        return f"servers={','.join(w.server_nodes)} clients={','.join(w.client_nodes) or '-'} latency={latency}"

    def cmd_partition(self, cmd: Command) -> str | None:
        assert self.world is not None
        name = cmd.get("shape")
        if name is None:
            self.world.apply(sim.Partition(groups=tuple(_group(a) for a in cmd.args)))
            return None
        shape = sim.shape(name, self.world.server_nodes)
        self.world.apply(shape.fault())
        return shape.description

    def cmd_isolate(self, cmd: Command) -> str:
        assert self.world is not None
        shape = sim.isolate(self.world.server_nodes, cmd.args[0])
        self.world.apply(shape.fault())
        return shape.description

    def cmd_one_way(self, cmd: Command) -> str:
        assert self.world is not None
        shape = sim.one_way(_group(cmd.args[0]), _group(cmd.args[1]), self.world.server_nodes)
        self.world.apply(shape.fault())
        return shape.description

    def cmd_grudge(self, cmd: Command) -> str:
        assert self.world is not None
        shape = sim.grudges({k: v for k, v in cmd.kwargs.items()}, self.world.server_nodes)
        self.world.apply(shape.fault())
        return shape.description

    def cmd_block(self, cmd: Command) -> None:
        assert self.world is not None
        self.world.apply(sim.Block(src=cmd.args[0], dst=cmd.args[1]))

    def cmd_heal(self, cmd: Command) -> None:
        assert self.world is not None
        self.world.apply(sim.Heal())

    def cmd_link(self, cmd: Command) -> None:
        assert self.world is not None
        self.world.apply(sim.LinkFaults(
            loss=float(cmd.get("loss", "0")), dup=float(cmd.get("dup", "0")),
            reorder=float(cmd.get("reorder", "0")), latency=_latency(cmd, "latency"),
            reorder_delay=_latency(cmd, "reorder-delay") or sim.Uniform(1_000_000, 50_000_000),
            src=cmd.get("src"), dst=cmd.get("dst")))

    def cmd_blocked(self, cmd: Command) -> str:
        assert self.world is not None
        return " ".join(f"{a}->{b}" for a, b in self.world.network.blocked_pairs()) or "(none)"

    def cmd_send(self, cmd: Command) -> None:
        self.rt(cmd.args[0]).send(cmd.args[1], " ".join(cmd.args[2:]) or "msg")

    def cmd_run_for(self, cmd: Command) -> None:
        assert self.world is not None
        self.world.run_for(parse_ns(cmd.args[0]))

    def cmd_crash(self, cmd: Command) -> None:
        assert self.world is not None
        self.world.apply(sim.Crash(node=cmd.args[0], lose_unsynced="keep-unsynced" not in cmd.args))

    def cmd_restart(self, cmd: Command) -> None:
        assert self.world is not None
        self.world.apply(sim.Restart(node=cmd.args[0]))

    def cmd_pause(self, cmd: Command) -> None:
        assert self.world is not None
        self.world.apply(sim.Pause(node=cmd.args[0]))

    def cmd_resume(self, cmd: Command) -> None:
        assert self.world is not None
        self.world.apply(sim.Resume(node=cmd.args[0]))

    def cmd_skew(self, cmd: Command) -> None:
        assert self.world is not None
        self.world.apply(sim.ClockSkew(node=cmd.args[0], offset_ns=parse_ns(cmd.args[1])))

    def cmd_drift(self, cmd: Command) -> None:
        assert self.world is not None
        self.world.apply(sim.ClockDrift(node=cmd.args[0], ppm=int(cmd.args[1])))

    def cmd_jump(self, cmd: Command) -> None:
        assert self.world is not None
        self.world.apply(sim.ClockJump(node=cmd.args[0], delta_ns=parse_ns(cmd.args[1])))

    def cmd_now(self, cmd: Command) -> str:
        assert self.world is not None
        h = self.world.host(cmd.args[0])
        return f"true={format_ns(self.world.now_ns)} {h.node_id}={format_ns(h.local_now())}"

    def cmd_timer(self, cmd: Command) -> None:
        rt = self.rt(cmd.args[0])
        name = cmd.get("name", cmd.args[1])
        rt.after(parse_ns(cmd.args[1]), lambda: rt.trace("timer", name=name, local=format_ns(rt.now())))

    def cmd_disk_write(self, cmd: Command) -> None:
        for rec in cmd.args[1:]:
            self.rt(cmd.args[0]).disk.write(rec)

    def cmd_disk_fsync(self, cmd: Command) -> None:
        rt = self.rt(cmd.args[0])
        rt.disk.fsync(lambda: rt.trace("fsynced"))

    def cmd_disk_replace(self, cmd: Command) -> None:
        rt = self.rt(cmd.args[0])
        rt.disk.replace(cmd.args[1:], lambda: rt.trace("replaced"))

    def cmd_disk_read(self, cmd: Command) -> str:
        assert self.world is not None
        disk = self.world.host(cmd.args[0]).disk
        torn = f" torn={disk.torn_tail}" if disk.torn_tail is not None else ""
        return f"durable=[{' '.join(map(str, disk.read()))}] unsynced={disk.unsynced}{torn}"

    def cmd_disk_faults(self, cmd: Command) -> None:
        assert self.world is not None
        self.world.apply(sim.DiskFaults(
            node=cmd.args[0], torn_writes=cmd.get_bool("torn"), partial_loss=cmd.get_bool("partial"),
            fsync_latency=_latency(cmd, "fsync")))

    def cmd_hosts(self, cmd: Command) -> str:
        assert self.world is not None
        return "\n".join(repr(self.world.hosts[n]) for n in sorted(self.world.hosts))

    def cmd_trace(self, cmd: Command) -> str:
        assert self.world is not None
        kinds = set(cmd.get_list("kind"))
        recs = [json.loads(line) for line in self.world.trace_writer.lines]
        return "\n".join(format_record(r) for r in recs if not kinds or r["kind"] in kinds) or "(none)"
