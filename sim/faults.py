# Over 400 lines: a catalogue of small fault classes (field checks, one-line str, check, apply_to), one entry each.
"""Faults as values: what the nemesis may do to the world, applied only by ``World.apply``.

Rules:
- Every fault is ``@dataclass(frozen=True, slots=True, kw_only=True)`` with a one-line ``str``
  (used in traces and reports) and a ``repr`` that round-trips: a schedule's text carries it as
  ``do(F.Crash(node='n1', ...))`` and ``scenarios.nemesis.from_repr`` reads it back with a parser
  that only calls the fault and latency classes (never ``eval``).
- Constructors check what they can alone (probabilities in [0, 1], non-negative delays, groups
  that do not overlap); ``World.apply`` checks the rest against the world (unknown nodes, groups
  that miss a server node, cuts that touch a client) and raises ``ConfigError``.
- Network cuts only ever touch *server* nodes: clients live on the control node (as in Jepsen).
- ``Partition`` and ``Grudge`` replace the current cut; ``Block`` adds one directed pair to it;
  ``Heal`` removes every cut (link faults stay until a new ``LinkFaults`` replaces them).
- A fault carries what the world needs to apply it: ``check(world)`` (ConfigError if the world cannot take
  it) and ``apply_to(world)``. ``@fault`` makes a class a fault (frozen, slotted, keyword-only) and
  registers it in ``FAULTS`` under its kebab-case name, which the schedule parser and ``World.apply`` read:
  a new fault type is one class (plus, if it opens or closes something, its ``sim.trace.FAULT_EFFECTS`` row).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any, TypeVar

from .errors import ConfigError
from .latency import Latency, Uniform, _LATENCIES
from .units import MS, format_ns

if TYPE_CHECKING:
    from .world import World

__all__ = [
    "FAULTS", "Block", "ClockDrift", "ClockJump", "ClockSkew", "Crash", "DiskFaults", "Fault", "Grudge",
    "Heal", "LinkFaults", "Partition", "Pause", "Restart", "Resume", "fault", "fault_fields", "fault_name",
]

_FROZEN = dict(frozen=True, slots=True, kw_only=True)


class Fault:
    """Base of every fault value: ``check`` the world can take it, then ``apply_to`` it (``World.apply`` does both)."""

    __slots__ = ()

    def check(self, world: "World") -> None:
        """Raise ConfigError if ``world`` cannot take this fault (default: its ``node`` must exist)."""
        world.host(self.node)  # type: ignore[attr-defined]

    def apply_to(self, world: "World") -> None:
        """Change ``world`` (its network or a host); called after ``check`` and after the fault is traced."""
        raise NotImplementedError(type(self).__name__)


# kebab-case name -> fault class, in registration order (the built-in ones below, then any other ``@fault``)
FAULTS: dict[str, type[Fault]] = {}
FaultT = TypeVar("FaultT", bound=type)


def fault(cls: FaultT) -> FaultT:
    """Class decorator: make ``cls`` (a ``Fault`` subclass) a frozen keyword-only dataclass and register it."""
    made = dataclass(**_FROZEN)(cls)  # type: ignore[call-overload]
    name = _kebab(made.__name__)
    if name in FAULTS and FAULTS[name].__qualname__ != made.__qualname__:
        raise ConfigError(f"fault {name!r} registered twice")
    FAULTS[name] = made
    return made  # type: ignore[no-any-return]


def _kebab(class_name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "-", class_name).lower()


def _node(owner: str, value: object, name: str = "node") -> None:
    if not isinstance(value, str) or not value:
        raise ConfigError(f"{owner}: {name} must be a non-empty node id, got {value!r}")


def _prob(owner: str, name: str, value: object) -> None:
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not 0.0 <= value <= 1.0:
        raise ConfigError(f"{owner}: {name} must be a probability in [0, 1], got {value!r}")


def _int(owner: str, name: str, value: object) -> None:
    if not isinstance(value, int) or isinstance(value, bool):
        raise ConfigError(f"{owner}: {name} must be an int, got {value!r}")


def _latency(owner: str, name: str, value: object, *, optional: bool) -> None:
    if value is None and optional:
        return
    if not isinstance(value, _LATENCIES):
        raise ConfigError(f"{owner}: {name} must be a latency value (Constant, Uniform, ...), got {value!r}")


def _signed(ns: int) -> str:
    return ("+" if ns >= 0 else "") + format_ns(ns)


@fault
class Partition(Fault):
    """Split the server nodes into ``groups``; nodes in different groups cannot talk (both ways)."""

    groups: tuple[tuple[str, ...], ...]

    def __post_init__(self) -> None:
        if not isinstance(self.groups, (tuple, list)) or not self.groups:
            raise ConfigError(f"Partition: groups must be a non-empty tuple of node tuples, got {self.groups!r}")
        groups = tuple(tuple(g) for g in self.groups)
        seen: set[str] = set()
        for g in groups:
            if not g:
                raise ConfigError("Partition: empty group")
            for n in g:
                _node("Partition", n)
                if n in seen:
                    raise ConfigError(f"Partition: node {n!r} is in more than one group")
                seen.add(n)
        object.__setattr__(self, "groups", groups)

    def __str__(self) -> str:
        return "partition " + "|".join(",".join(g) for g in self.groups)

    def check(self, world: "World") -> None:
        for g in self.groups:
            for n in g:
                world.require_server(str(self), n)
        missing = sorted(set(world.server_nodes) - {n for g in self.groups for n in g})
        if missing:
            raise ConfigError(f"{self}: groups miss server nodes {', '.join(missing)}")

    def apply_to(self, world: "World") -> None:
        groups = self.groups
        world.network.set_cut((a, b) for i, g in enumerate(groups) for j, h in enumerate(groups)
                              if i != j for a in g for b in h)


@fault
class Grudge(Fault):
    """Replace the cut with exactly these directed ``(src, dst)`` pairs (any shape; see sim.partitions)."""

    blocked: tuple[tuple[str, str], ...]
    label: str = ""

    def __post_init__(self) -> None:
        pairs = []
        for p in self.blocked:
            if not isinstance(p, (tuple, list)) or len(p) != 2:
                raise ConfigError(f"Grudge: each blocked entry must be a (src, dst) pair, got {p!r}")
            _node("Grudge", p[0], "src")
            _node("Grudge", p[1], "dst")
            if p[0] == p[1]:
                raise ConfigError(f"Grudge: a node cannot be cut from itself ({p[0]!r})")
            pairs.append((p[0], p[1]))
        object.__setattr__(self, "blocked", tuple(sorted(set(pairs))))

    def __str__(self) -> str:
        body = " ".join(f"{s}->{d}" for s, d in self.blocked) or "(none)"
        label = f"{self.label}: " if self.label and self.label != "grudge" else ""
        return f"grudge {label}{body}"

    def check(self, world: "World") -> None:
        for a, b in self.blocked:
            world.require_server(str(self), a)
            world.require_server(str(self), b)

    def apply_to(self, world: "World") -> None:
        world.network.set_cut(self.blocked)


@fault
class Block(Fault):
    """Directed cut: messages from ``src`` to ``dst`` are dropped (``dst`` to ``src`` still flow)."""

    src: str
    dst: str

    def __post_init__(self) -> None:
        _node("Block", self.src, "src")
        _node("Block", self.dst, "dst")
        if self.src == self.dst:
            raise ConfigError(f"Block: src and dst are the same node {self.src!r}")

    def __str__(self) -> str:
        return f"block {self.src}->{self.dst}"

    def check(self, world: "World") -> None:
        world.require_server(str(self), self.src)
        world.require_server(str(self), self.dst)

    def apply_to(self, world: "World") -> None:
        world.network.block(self.src, self.dst)


@fault
class Heal(Fault):
    """Remove every cut (partitions, grudges and blocks)."""

    def __str__(self) -> str:
        return "heal"

    def check(self, world: "World") -> None:
        pass

    def apply_to(self, world: "World") -> None:
        world.network.heal()


@fault
class Crash(Fault):
    """Kill ``node``: volatile state, timers and in-flight deliveries to it are gone.

    ``lose_unsynced=True`` models power loss (unsynced disk writes lost); ``False`` a process kill
    (the page cache survives, so unsynced writes become durable).
    """

    node: str
    lose_unsynced: bool = True

    def __post_init__(self) -> None:
        _node("Crash", self.node)

    def __str__(self) -> str:
        return f"crash {self.node}" + ("" if self.lose_unsynced else " keep-unsynced")

    def apply_to(self, world: "World") -> None:
        world.hosts[self.node].crash(self.lose_unsynced)


@fault
class Restart(Fault):
    """Boot a crashed ``node`` again (new incarnation, fresh server built from its disk)."""

    node: str

    def __post_init__(self) -> None:
        _node("Restart", self.node)

    def __str__(self) -> str:
        return f"restart {self.node}"

    def apply_to(self, world: "World") -> None:
        world.hosts[self.node].restart()


@fault
class Pause(Fault):
    """Freeze ``node`` (SIGSTOP): its timers and deliveries are held until ``Resume``."""

    node: str

    def __post_init__(self) -> None:
        _node("Pause", self.node)

    def __str__(self) -> str:
        return f"pause {self.node}"

    def apply_to(self, world: "World") -> None:
        world.hosts[self.node].pause()


@fault
class Resume(Fault):
    """Unfreeze ``node``: held timers and deliveries run, in the order they came due."""

    node: str

    def __post_init__(self) -> None:
        _node("Resume", self.node)

    def __str__(self) -> str:
        return f"resume {self.node}"

    def apply_to(self, world: "World") -> None:
        world.hosts[self.node].resume()


@fault
class ClockSkew(Fault):
    """Set ``node``'s clock offset from true time to ``offset_ns`` (replaces skew and past jumps)."""

    node: str
    offset_ns: int

    def __post_init__(self) -> None:
        _node("ClockSkew", self.node)
        _int("ClockSkew", "offset_ns", self.offset_ns)

    def __str__(self) -> str:
        return f"clock-skew {self.node} {_signed(self.offset_ns)}"

    def apply_to(self, world: "World") -> None:
        world.hosts[self.node].set_skew(self.offset_ns)


@fault
class ClockDrift(Fault):
    """Make ``node``'s clock run ``ppm`` parts per million fast (negative: slow) from now on."""

    node: str
    ppm: int

    def __post_init__(self) -> None:
        _node("ClockDrift", self.node)
        _int("ClockDrift", "ppm", self.ppm)
        if self.ppm <= -1_000_000:
            raise ConfigError(f"ClockDrift: ppm must be > -1000000 (a clock cannot stop), got {self.ppm}")

    def __str__(self) -> str:
        return f"clock-drift {self.node} {'+' if self.ppm >= 0 else ''}{self.ppm}ppm"

    def apply_to(self, world: "World") -> None:
        world.hosts[self.node].set_drift(self.ppm)


@fault
class ClockJump(Fault):
    """Step ``node``'s clock by ``delta_ns`` (may be negative); pending timers are not moved."""

    node: str
    delta_ns: int

    def __post_init__(self) -> None:
        _node("ClockJump", self.node)
        _int("ClockJump", "delta_ns", self.delta_ns)

    def __str__(self) -> str:
        return f"clock-jump {self.node} {_signed(self.delta_ns)}"

    def apply_to(self, world: "World") -> None:
        world.hosts[self.node].jump(self.delta_ns)


@fault
class LinkFaults(Fault):
    """Set loss, duplication, reordering and latency for links.

    ``src``/``dst`` of ``None`` mean "any"; the most specific setting wins:
    ``(src, dst)`` > ``(src, *)`` > ``(*, dst)`` > ``(*, *)``. ``latency=None`` keeps the network's
    base latency. A reordered message gets an extra ``reorder_delay``.
    """

    loss: float = 0.0
    dup: float = 0.0
    reorder: float = 0.0
    latency: Latency | None = None
    reorder_delay: Latency = Uniform(1 * MS, 50 * MS)
    src: str | None = None
    dst: str | None = None

    def __post_init__(self) -> None:
        for name in ("loss", "dup", "reorder"):
            _prob("LinkFaults", name, getattr(self, name))
        _latency("LinkFaults", "latency", self.latency, optional=True)
        _latency("LinkFaults", "reorder_delay", self.reorder_delay, optional=False)
        if self.src is not None:
            _node("LinkFaults", self.src, "src")
        if self.dst is not None:
            _node("LinkFaults", self.dst, "dst")

    def __str__(self) -> str:
        link = f"{self.src or '*'}->{self.dst or '*'}"
        lat = f" latency={self.latency}" if self.latency is not None else ""
        rd = f" reorder_delay={self.reorder_delay}" if self.reorder else ""
        return f"link-faults {link} loss={self.loss:g} dup={self.dup:g} reorder={self.reorder:g}{rd}{lat}"

    def check(self, world: "World") -> None:
        for n in (self.src, self.dst):
            if n is not None:
                world.host(n)

    def apply_to(self, world: "World") -> None:
        world.network.set_link_faults(self)


@fault
class DiskFaults(Fault):
    """Set ``node``'s disk behaviour at crash and its fsync latency.

    ``torn_writes``: at a crash that loses writes, the first lost write is left torn (its tail
    half on disk; ``read`` drops it, as a CRC-checking WAL reader would). ``partial_loss``: a random
    prefix of the unsynced writes survives the crash (the page cache flushed some of them).
    ``fsync_latency=None`` keeps the disk's current latency.
    """

    node: str
    torn_writes: bool = False
    partial_loss: bool = False
    fsync_latency: Latency | None = None

    def __post_init__(self) -> None:
        _node("DiskFaults", self.node)
        _latency("DiskFaults", "fsync_latency", self.fsync_latency, optional=True)

    def __str__(self) -> str:
        lat = f" fsync_latency={self.fsync_latency}" if self.fsync_latency is not None else ""
        return (f"disk-faults {self.node} torn_writes={str(self.torn_writes).lower()}"
                f" partial_loss={str(self.partial_loss).lower()}{lat}")

    def apply_to(self, world: "World") -> None:
        world.hosts[self.node].disk.configure(torn_writes=self.torn_writes, partial_loss=self.partial_loss,
                                              fsync_latency=self.fsync_latency)


def fault_name(fault: Fault) -> str:
    """Kebab-case name of a fault's class: ``ClockSkew`` -> ``"clock-skew"``."""
    return _kebab(type(fault).__name__)


def _json(value: Any) -> Any:
    if isinstance(value, (tuple, list)):
        return [_json(v) for v in value]
    if isinstance(value, _LATENCIES):
        return str(value)
    return value


def fault_fields(fault: Fault) -> dict[str, Any]:
    """The fault's fields as JSON values (tuples -> lists, latencies -> their str)."""
    return {f.name: _json(getattr(fault, f.name)) for f in fields(fault)}
