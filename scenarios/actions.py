# Over 400 lines: a catalogue of small nemesis action classes (about 20 lines each), read one entry at a time.
"""What the nemesis does: actions, resolved when they fire against a read-only view of the cluster.

(Over 400 lines: one small class and constructor per action, the nemesis's whole vocabulary in one place.)

Rules:
- An action says **what** (``resolve(view, rng) -> [(delay_ns, fault)]``), resolved at the moment it fires
  against a ``ClusterView``, so "isolate the leader" targets whoever leads then; ``scenarios.nemesis``
  says **when** (schedules) and re-exports everything here.
- Actions are frozen values whose ``repr`` is the text that rebuilds them (read back by
  ``scenarios.nemesis.from_repr``'s safe parser); constructors check their arguments (``scenarios.arguments``),
  so text that could not run is refused when it is read.
- Every lowercase public name here that builds an action is a constructor a schedule's text may call
  (``CONSTRUCTORS``, the nemesis parser's table); ``HUNT_MENU`` is what ``raftsim hunt`` may draw. A new
  action is one class and constructor here (and ``__all__``), nothing elsewhere.
- Randomness comes only from the ``rng`` handed in (the run's "nemesis" stream).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from scenarios import arguments as A
from scenarios.errors import ConfigError
from sim import faults as F
from sim import partitions as shapes

__all__ = [
    "Action", "ClusterView", "MemberChange", "Resolved", "NS_PER_S", "seconds_to_ns", "one_of", "all_of", "do",
    "partition", "isolate_leader", "leader_minority", "one_way_leader", "kill_leader", "kill_random",
    "pause_leader", "pause_random", "pause_client", "power_failure", "clock_bump", "clock_strobe",
    "clock_drift", "heal_all", "do_heal", "loss_burst", "torn_writes", "member_churn", "transfer_leader", "CONSTRUCTORS", "HUNT_MENU",
]

NS_PER_S = 1_000_000_000


def seconds_to_ns(seconds: float) -> int:
    return int(round(seconds * NS_PER_S))


@dataclass(frozen=True, slots=True, kw_only=True)
class MemberChange:
    """Not a sim fault: the runner asks the cluster (through the admin client) to add or remove ``node``, or
    to hand leadership to it (``transfer``: the leader sends it TimeoutNow once it is caught up, Raft §3.10)."""

    op: str  # "add" | "remove" | "transfer"
    node: str
    via: int = 0  # which admin client sends it (two clients put two changes in flight at once)

    def __str__(self) -> str:
        return f"member-{self.op} {self.node}" + (f" via admin{self.via}" if self.via else "")


class ClusterView(Protocol):
    """What a nemesis may know: node ids, who is up/paused, who claims leadership (read-only)."""

    @property
    def nodes(self) -> list[str]: ...
    @property
    def members(self) -> list[str]: ...
    @property
    def spare(self) -> list[str]: ...
    @property
    def up(self) -> list[str]: ...
    @property
    def down(self) -> list[str]: ...
    @property
    def paused(self) -> list[str]: ...
    @property
    def leader(self) -> str | None: ...
    @property
    def clients(self) -> list[str]: ...
    @property
    def drifting(self) -> list[str]: ...
    @property
    def link_baseline(self) -> object: ...
    @property
    def links_faulted(self) -> bool: ...


Resolved = list[tuple[int, object]]  # (delay_ns from firing, fault or MemberChange)


class Action(Protocol):
    def resolve(self, view: ClusterView, rng: random.Random) -> Resolved: ...


@dataclass(frozen=True)
class _Do:
    fault: object

    def resolve(self, view: ClusterView, rng: random.Random) -> Resolved:
        return [(0, self.fault)]

    def __repr__(self) -> str:
        return f"do(F.{self.fault!r})"


@dataclass(frozen=True)
class _OneOf:
    actions: tuple[Action, ...]

    def resolve(self, view: ClusterView, rng: random.Random) -> Resolved:
        return self.actions[rng.randrange(len(self.actions))].resolve(view, rng)

    def __repr__(self) -> str:
        return f"one_of({', '.join(repr(a) for a in self.actions)})"


@dataclass(frozen=True)
class _AllOf:
    actions: tuple[Action, ...]

    def resolve(self, view: ClusterView, rng: random.Random) -> Resolved:
        return [f for a in self.actions for f in a.resolve(view, rng)]

    def __repr__(self) -> str:
        return f"all_of({', '.join(repr(a) for a in self.actions)})"


def do(fault: object) -> Action:
    if not isinstance(fault, F.Fault):
        raise ConfigError(f"do: expected a sim fault (F.Crash(node='n1'), F.Heal(), ...), got {fault!r}")
    return _Do(fault)


def one_of(*actions: Action) -> Action:
    A.check_action("one_of", actions)
    return _OneOf(tuple(actions))


def all_of(*actions: Action) -> Action:
    """Every action at once, each resolved against the same view (e.g. crash the leader and heal)."""
    A.check_action("all_of", actions, at_least=0)
    return _AllOf(tuple(actions))


def _groups_fault(groups: Sequence[Sequence[str]]) -> object:
    return F.Partition(groups=tuple(tuple(sorted(g)) for g in groups if g))


@dataclass(frozen=True)
class _Partition:
    """A partition of the current members, by shape name (see sim/partitions.py)."""

    shape: str

    def resolve(self, view: ClusterView, rng: random.Random) -> Resolved:
        nodes = sorted(view.nodes)  # every server host: a partition's groups must cover them all
        if len(nodes) < 2:
            return []
        if self.shape == "isolate":
            return [(0, shapes.isolate(nodes, nodes[rng.randrange(len(nodes))]).fault())]
        if self.shape == "one-way":
            src = nodes[rng.randrange(len(nodes))]
            return [(0, shapes.one_way([src], [n for n in nodes if n != src], nodes).fault())]
        name = "majority-minority" if self.shape == "majority" else self.shape
        return [(0, shapes.shape(name, nodes, rng).fault())]

    def __repr__(self) -> str:
        return f"partition({self.shape!r})"


def partition(shape: str = "majority") -> Action:
    """``shape``: halves | majority | isolate | bridge | majorities-ring | minority-third | ring | one-way."""
    if shape not in _SHAPES:
        raise ConfigError(f"partition: shape {shape!r} is not one of {', '.join(_SHAPES)}")
    return _Partition(shape)


_SHAPES = tuple(sorted({"majority", "isolate", "one-way", *shapes.SHAPES}))


def _pick(view: ClusterView, rng: random.Random, *, leader: bool) -> str | None:
    """The leader (or a random up node if none) when ``leader``, else a random up node."""
    if leader:
        return _leader_or_random(view, rng)
    up = sorted(view.up)
    return up[rng.randrange(len(up))] if up else None


def _leader_or_random(view: ClusterView, rng: random.Random) -> str | None:
    if view.leader is not None:
        return view.leader
    up = sorted(view.up)
    return up[rng.randrange(len(up))] if up else None


@dataclass(frozen=True)
class _IsolateLeader:
    def resolve(self, view: ClusterView, rng: random.Random) -> Resolved:
        leader = _leader_or_random(view, rng)
        if leader is None:
            return []
        rest = [n for n in sorted(view.nodes) if n != leader]
        return [(0, _groups_fault([[leader], rest]))]

    def __repr__(self) -> str:
        return "isolate_leader()"


def isolate_leader() -> Action:
    return _IsolateLeader()


@dataclass(frozen=True)
class _LeaderMinority:
    """The leader and as many others as still leaves it in a minority, against the majority."""

    def resolve(self, view: ClusterView, rng: random.Random) -> Resolved:
        leader = _leader_or_random(view, rng)
        nodes = sorted(view.nodes)
        if leader is None or len(nodes) < 2:
            return []
        others = [n for n in nodes if n != leader]
        rng.shuffle(others)
        minority_size = (len(nodes) - 1) // 2
        minority = sorted([leader, *others[: max(0, minority_size - 1)]])
        majority = sorted(n for n in nodes if n not in minority)
        return [(0, _groups_fault([minority, majority]))]

    def __repr__(self) -> str:
        return "leader_minority()"


def leader_minority() -> Action:
    return _LeaderMinority()


@dataclass(frozen=True)
class _OneWayLeader:
    """The leader still sends, but hears nothing back (asymmetric cut: CheckQuorum must step it down)."""

    def resolve(self, view: ClusterView, rng: random.Random) -> Resolved:
        leader = _leader_or_random(view, rng)
        if leader is None:
            return []
        return [(0, F.Block(src=n, dst=leader)) for n in sorted(view.members) if n != leader]

    def __repr__(self) -> str:
        return "one_way_leader()"


def one_way_leader() -> Action:
    return _OneWayLeader()


@dataclass(frozen=True)
class _Kill:
    target: str  # "leader" | "random"
    down_s: float
    lose_unsynced: bool = True

    def resolve(self, view: ClusterView, rng: random.Random) -> Resolved:
        node = _pick(view, rng, leader=self.target == "leader")
        if node is None:
            return []
        return [(0, F.Crash(node=node, lose_unsynced=self.lose_unsynced)),
                (seconds_to_ns(self.down_s), F.Restart(node=node))]

    def __repr__(self) -> str:
        fn = "kill_leader" if self.target == "leader" else "kill_random"
        return f"{fn}({self.down_s!r})"


def kill_leader(down_s: float = 1.0) -> Action:
    A.check_seconds("kill_leader", "down_s", down_s)
    return _Kill("leader", down_s)


def kill_random(down_s: float = 1.0) -> Action:
    A.check_seconds("kill_random", "down_s", down_s)
    return _Kill("random", down_s)


@dataclass(frozen=True)
class _Pause:
    target: str
    pause_s: float

    def resolve(self, view: ClusterView, rng: random.Random) -> Resolved:
        node = _pick(view, rng, leader=self.target == "leader")
        if node is None:
            return []
        return [(0, F.Pause(node=node)), (seconds_to_ns(self.pause_s), F.Resume(node=node))]

    def __repr__(self) -> str:
        fn = "pause_leader" if self.target == "leader" else "pause_random"
        return f"{fn}({self.pause_s!r})"


def pause_leader(pause_s: float = 2.0) -> Action:
    A.check_seconds("pause_leader", "pause_s", pause_s)
    return _Pause("leader", pause_s)


def pause_random(pause_s: float = 2.0) -> Action:
    A.check_seconds("pause_random", "pause_s", pause_s)
    return _Pause("random", pause_s)


@dataclass(frozen=True)
class _PauseClient:
    """Freeze one client machine (GC pause, SIGSTOP) for ``pause_s``: a lock holder outlives its lease."""

    pause_s: float

    def resolve(self, view: ClusterView, rng: random.Random) -> Resolved:
        clients = sorted(view.clients)
        if not clients:
            return []
        node = clients[rng.randrange(len(clients))]
        return [(0, F.Pause(node=node)), (seconds_to_ns(self.pause_s), F.Resume(node=node))]

    def __repr__(self) -> str:
        return f"pause_client({self.pause_s!r})"


def pause_client(pause_s: float = 2.0) -> Action:
    A.check_seconds("pause_client", "pause_s", pause_s)
    return _PauseClient(pause_s)


@dataclass(frozen=True)
class _PowerFailure:
    """Every node crashes at once (unsynced writes lost), then all restart after ``down_s``."""

    down_s: float

    def resolve(self, view: ClusterView, rng: random.Random) -> Resolved:
        nodes = sorted(view.up)
        out: Resolved = [(0, F.Crash(node=n, lose_unsynced=True)) for n in nodes]
        out += [(seconds_to_ns(self.down_s), F.Restart(node=n)) for n in nodes]
        return out

    def __repr__(self) -> str:
        return f"power_failure({self.down_s!r})"


def power_failure(down_s: float = 1.0) -> Action:
    A.check_seconds("power_failure", "down_s", down_s)
    return _PowerFailure(down_s)


@dataclass(frozen=True)
class _ClockBump:
    """Jump one node's clock by up to ``max_s`` seconds, either way (leader if ``leader``)."""

    max_s: float
    leader: bool = False

    def resolve(self, view: ClusterView, rng: random.Random) -> Resolved:
        node = _pick(view, rng, leader=self.leader)
        if node is None:
            return []
        delta = rng.uniform(-self.max_s, self.max_s)
        return [(0, F.ClockJump(node=node, delta_ns=seconds_to_ns(delta)))]

    def __repr__(self) -> str:
        return f"clock_bump({self.max_s!r}, leader={self.leader!r})"


def clock_bump(max_s: float = 2.0, *, leader: bool = False) -> Action:
    A.check_seconds("clock_bump", "max_s", max_s)
    _check_bool("clock_bump", "leader", leader)
    return _ClockBump(max_s, leader)


def _check_bool(owner: str, name: str, value: object) -> None:
    if not isinstance(value, bool):
        raise ConfigError(f"{owner}: {name} must be True or False, got {value!r}")


@dataclass(frozen=True)
class _ClockStrobe:
    """Flip one node's clock back and forth by ``delta_s``, ``flips`` times, every ``period_ms``."""

    delta_s: float
    flips: int
    period_ms: float

    def resolve(self, view: ClusterView, rng: random.Random) -> Resolved:
        up = sorted(view.up)
        if not up:
            return []
        node = up[rng.randrange(len(up))]
        out: Resolved = []
        for i in range(self.flips):
            sign = 1 if i % 2 == 0 else -1
            jump = F.ClockJump(node=node, delta_ns=sign * seconds_to_ns(self.delta_s))
            out.append((int(i * self.period_ms * 1_000_000), jump))
        return out

    def __repr__(self) -> str:
        return f"clock_strobe({self.delta_s!r}, {self.flips!r}, {self.period_ms!r})"


def clock_strobe(delta_s: float = 1.0, flips: int = 10, period_ms: float = 50.0) -> Action:
    A.check_seconds("clock_strobe", "delta_s", delta_s, signed=True)
    A.check_int("clock_strobe", "flips", flips, 0, 10_000)
    A.check_number("clock_strobe", "period_ms", period_ms, 0.0, A.MAX_SECONDS)
    return _ClockStrobe(delta_s, flips, period_ms)


@dataclass(frozen=True)
class _ClockDrift:
    max_ppm: int
    leader: bool = False

    def resolve(self, view: ClusterView, rng: random.Random) -> Resolved:
        node = _pick(view, rng, leader=self.leader)
        if node is None:
            return []
        return [(0, F.ClockDrift(node=node, ppm=rng.randint(-self.max_ppm, self.max_ppm)))]

    def __repr__(self) -> str:
        return f"clock_drift({self.max_ppm!r}, leader={self.leader!r})"


def clock_drift(max_ppm: int = 100_000, *, leader: bool = False) -> Action:
    A.check_int("clock_drift", "max_ppm", max_ppm, 0, 999_999)  # a clock cannot stop: ppm > -1e6
    _check_bool("clock_drift", "leader", leader)
    return _ClockDrift(max_ppm, leader)


@dataclass(frozen=True)
class _LossBurst:
    loss: float
    dup: float
    seconds: float

    def resolve(self, view: ClusterView, rng: random.Random) -> Resolved:
        return [
            (0, F.LinkFaults(loss=self.loss, dup=self.dup, reorder=0.0, latency=None)),
            (seconds_to_ns(self.seconds), view.link_baseline),  # back to the scenario's own link settings
        ]

    def __repr__(self) -> str:
        return f"loss_burst({self.loss!r}, {self.dup!r}, {self.seconds!r})"


def loss_burst(loss: float = 0.3, dup: float = 0.1, seconds: float = 2.0) -> Action:
    A.check_probability("loss_burst", "loss", loss)
    A.check_probability("loss_burst", "dup", dup)
    A.check_seconds("loss_burst", "seconds", seconds)
    return _LossBurst(loss, dup, seconds)


@dataclass(frozen=True)
class _TornWrites:
    def resolve(self, view: ClusterView, rng: random.Random) -> Resolved:
        return [(0, F.DiskFaults(node=n, torn_writes=True)) for n in sorted(view.nodes)]

    def __repr__(self) -> str:
        return "torn_writes()"


def torn_writes() -> Action:
    return _TornWrites()


@dataclass(frozen=True)
class _MemberChurn:
    """Remove a random non-leader member if the cluster is at full size, else add a spare back."""

    def resolve(self, view: ClusterView, rng: random.Random) -> Resolved:
        members = sorted(view.members)
        spare = sorted(view.spare)
        if spare:
            return [(0, MemberChange(op="add", node=spare[rng.randrange(len(spare))]))]
        candidates = [n for n in members if n != view.leader]
        if len(members) <= 3 or not candidates:
            return []
        return [(0, MemberChange(op="remove", node=candidates[rng.randrange(len(candidates))]))]

    def __repr__(self) -> str:
        return "member_churn()"


def member_churn() -> Action:
    return _MemberChurn()


@dataclass(frozen=True)
class _TransferLeader:
    """Ask the leader to hand leadership to a random other member (none known: nothing)."""

    def resolve(self, view: ClusterView, rng: random.Random) -> Resolved:
        others = [n for n in sorted(view.members) if n != view.leader and n not in view.down]
        if view.leader is None or not others:
            return []
        return [(0, MemberChange(op="transfer", node=others[rng.randrange(len(others))]))]

    def __repr__(self) -> str:
        return "transfer_leader()"


def transfer_leader() -> Action:
    return _TransferLeader()


@dataclass(frozen=True)
class _HealAll:
    """Heal the network, resume paused nodes, restart crashed ones, stop clock drift, restore link settings."""

    def resolve(self, view: ClusterView, rng: random.Random) -> Resolved:
        # Only what is faulted is reset, so the trace (and the report) lists no no-op faults.
        out: Resolved = [(0, F.Heal())]
        if view.links_faulted:
            out.append((0, view.link_baseline))
        out += [(0, F.Resume(node=n)) for n in sorted(view.paused)]
        out += [(0, F.Restart(node=n)) for n in sorted(view.down)]
        out += [(0, F.ClockDrift(node=n, ppm=0)) for n in sorted(view.drifting)]
        return out

    def __repr__(self) -> str:
        return "heal_all()"


def heal_all() -> Action:
    return _HealAll()


def do_heal() -> Action:
    """Heal the network only (partitions and blocked links)."""
    return _Do(F.Heal())


# The constructors a schedule's text may call (scenarios/nemesis.py's parser table, with its schedules).
CONSTRUCTORS: dict[str, Callable[..., Action]] = {
    name: globals()[name] for name in __all__ if name[:1].islower() and name != "seconds_to_ns"}

# Actions a hunt's drawn event may take (``d``: a drawn duration scale), simplest first (Hypothesis shrinks
# sampled_from towards the front); scenarios/hunt.py draws from it.
HUNT_MENU: list[Callable[[float], Action]] = [
    lambda d: do_heal(),
    lambda d: isolate_leader(),
    lambda d: kill_leader(d),
    lambda d: partition("majority"),
    lambda d: leader_minority(),
    lambda d: kill_random(d),
    lambda d: pause_leader(d),
    lambda d: partition("isolate"),
    lambda d: power_failure(d),
    lambda d: clock_bump(2.0 * d + 1.0, leader=True),
    lambda d: member_churn(),
]
