"""Live faults: the nemesis's fault values (``sim.faults``) applied to real processes and namespaces.

Rules:
- ``apply(fault)`` takes exactly the values a schedule resolves to in simulation and returns the record
  of what was done: ``{"fault", "name", "start_ns", "end_ns", "status"}`` where status is ``applied``, or
  ``unsupported`` with a ``reason`` (never silently skipped; run.json lists every one).
- Crash: SIGKILL; with ``lose_unsynced`` (the simulator's default: a power loss) kvraft's WAL is then cut
  back to its last fsynced length (``Members.lose_unsynced``); etcd keeps its page cache (no durable-length
  hook): ``partial``, with the reason;
  Restart: the same binary and flags on the same data dir; Pause/Resume: SIGSTOP/SIGCONT.
- Partition/Grudge replace the cut; Block adds a directed pair; Heal removes every cut (link loss stays,
  as in the simulator); LinkFaults sets the links it names (``src``/``dst`` None: every one): ``loss`` as
  nftables ``numgen random`` drops; latency, duplication and reordering through the peer-link relay
  (``scenarios.live.relay``; tc netem is absent), which runs when the scenario can ask for them. etcd's
  links take latency but not duplication or reordering (no frame boundaries): that part is reported
  (``partial`` when loss or latency was applied, else ``unsupported``), never silently skipped.
- Clock skew and jumps on kvraft: the offset file its runtime reads every 50 ms (``now()`` += offset);
  drift, and every clock fault on etcd (Go ignores LD_PRELOAD time shims): unsupported. Disk faults and
  member changes: unsupported.
"""

from __future__ import annotations

import time
from typing import Any

from scenarios.live.members import Members
from scenarios.live.network import Network
from scenarios.live.relay import link_setting, unsupported
from sim import faults as F

__all__ = ["LiveFaults", "LiveView"]


class LiveFaults:
    def __init__(self, members: Members, net: Network, clock: Any, relay: Any = None) -> None:
        self.members = members
        self.net = net
        self.clock = clock  # () -> elapsed ns
        self.relay = relay  # scenarios.live.relay.Relay, or None when the scenario asks for no delay/dup/reorder
        self.blocked: set[tuple[str, str]] = set()
        self.loss: dict[tuple[str, str], float] = {}
        self.shaped: set[tuple[str, str]] = set()  # links the relay delays, duplicates or reorders now
        self.notes: list[tuple[str, str]] = []  # what the fault being applied did (power loss: bytes cut)
        self.executed: list[dict[str, Any]] = []
        self.clock_ns: dict[str, int] = {}

    @property
    def links_faulted(self) -> bool:
        return bool(self.loss) or bool(self.shaped)

    def apply(self, fault: Any) -> dict[str, Any]:
        start = self.clock()
        name = F.fault_name(fault) if isinstance(fault, F.Fault) else type(fault).__name__
        status, reason = "applied", None
        try:
            reason = self._apply(fault)
        except (RuntimeError, OSError) as e:
            status, reason = "failed", str(e)
        if reason is not None and status == "applied":
            # a LinkFaults of which loss or latency was applied but dup/reorder was not: partly done
            partly = isinstance(fault, F.Crash) or (isinstance(fault, F.LinkFaults) and self._did_part(fault))
            status = "partial" if partly else "unsupported"
        rec: dict[str, Any] = {"fault": str(fault), "name": name, "start_ns": start, "end_ns": self.clock(),
                               "status": status}
        if reason:
            rec["reason"] = reason
        if self.notes:
            rec["effect"] = "; ".join(note for _, note in self.notes)
            self.notes.clear()
        self.executed.append(rec)
        return rec

    def _apply(self, fault: Any) -> str | None:
        m, nodes = self.members, self.net.nodes
        match fault:
            case F.Crash(node=node, lose_unsynced=lose):
                if not m.is_up(node) and node not in m.dying:
                    return None
                m.kill(node)
                if lose and m.system != "kvraft":
                    return (f"power loss on {m.system}: killed (-9) but its unsynced writes survive in the page "
                            "cache (no durable-length hook to cut its WAL back to)")
                if lose:
                    self.notes.append((node, m.lose_unsynced(node)))
            case F.Restart(node=node):
                if not m.is_up(node):
                    m.start(node)
            case F.Pause(node=node):
                if node not in nodes:
                    return f"{node} is not a member (pausing clients has no live form)"
                m.pause(node)
            case F.Resume(node=node):
                if node not in nodes:
                    return f"{node} is not a member (pausing clients has no live form)"
                m.resume(node)
            case F.Partition(groups=groups):
                side = {n: i for i, g in enumerate(groups) for n in g}
                self.blocked = {(a, b) for a in nodes for b in nodes
                                if a != b and a in side and b in side and side[a] != side[b]}
                self._sync()
            case F.Grudge(blocked=pairs):
                self.blocked = {(a, b) for a, b in pairs}
                self._sync()
            case F.Block(src=src, dst=dst):
                self.blocked.add((src, dst))
                self._sync()
            case F.Heal():
                self.blocked = set()
                self._sync()
            case F.LinkFaults():
                return self._links(fault)
            case F.ClockSkew(node=node, offset_ns=off):
                return self._clock(node, off)
            case F.ClockJump(node=node, delta_ns=delta):
                return self._clock(node, self.clock_ns.get(node, 0) + delta)
            case _:
                return f"{type(fault).__name__} has no live mechanism yet"
        return None

    def _clock(self, node: str, offset_ns: int) -> str | None:
        if self.members.system != "kvraft":
            return f"clock faults on {self.members.system}: no live mechanism (Go ignores time shims)"
        path = self.members.clock_file(node)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(f"{offset_ns}\n")
        tmp.replace(path)
        self.clock_ns[node] = offset_ns
        return None

    def _did_part(self, lf: Any) -> bool:
        return lf.loss > 0 or (self.relay is not None and lf.latency is not None)

    def _links(self, lf: Any) -> str | None:
        nodes = self.net.nodes
        pairs = [(a, b) for a in ([lf.src] if lf.src else nodes) for b in ([lf.dst] if lf.dst else nodes) if a != b]
        for pair in pairs:
            self.loss.pop(pair, None)
            if lf.loss > 0:
                self.loss[pair] = float(lf.loss)
        self._sync()
        setting = link_setting(lf)
        if self.relay is None:
            missing = [w for w, v in (("latency", lf.latency), ("dup", lf.dup), ("reorder", lf.reorder)) if v]
            return (f"{', '.join(missing)} on links: the relay was not started (the scenario's probe found no "
                    "link delay, duplication or reordering)") if missing else None
        for a, b in pairs:
            self.relay.set_link(a, b, setting)
            (self.shaped.add if setting is not None else self.shaped.discard)((a, b))
        return unsupported(self.members.system, lf)

    def _sync(self) -> None:
        self.net.set_cut(sorted(self.blocked), [(a, b, p) for (a, b), p in sorted(self.loss.items())])


class LiveView:
    """The read-only ClusterView the nemesis sees, from the live cluster."""

    def __init__(self, members: Members, faults: LiveFaults, observer: Any, clients: int = 0,
                 baseline: Any = None) -> None:
        self._m, self._f, self._o = members, faults, observer
        self._baseline = baseline if baseline is not None else F.LinkFaults()
        self._clients = [f"c{i}" for i in range(clients)]  # so a client fault resolves, and is reported

    @property
    def nodes(self) -> list[str]:
        return list(self._m.net.nodes)

    @property
    def members(self) -> list[str]:
        return sorted(self._m.net.nodes)

    @property
    def spare(self) -> list[str]:
        return []

    @property
    def up(self) -> list[str]:
        return [n for n in self.nodes if self._m.is_up(n) and n not in self._m.paused]

    @property
    def down(self) -> list[str]:
        return [n for n in self.nodes if not self._m.is_up(n)]

    @property
    def paused(self) -> list[str]:
        return [n for n in self.nodes if self._m.is_up(n) and n in self._m.paused]

    @property
    def leader(self) -> str | None:
        lead = self._o.leader
        return lead if lead in self.up else None

    @property
    def clients(self) -> list[str]:
        return list(self._clients)

    @property
    def drifting(self) -> list[str]:
        return []

    @property
    def link_baseline(self) -> object:
        return self._baseline

    @property
    def links_faulted(self) -> bool:
        return self._f.links_faulted


