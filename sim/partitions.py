"""Partition shapes: who can hear whom, as a set of blocked directed ``(src, dst)`` pairs.

Rules:
- Every builder takes the server nodes (any order; sorted first, then shuffled only with the
  ``rng`` it is given) and returns a ``Shape``: ``blocked`` pairs, ``groups`` when the shape is a
  plain split, and a one-line ``description``. ``Shape.fault()`` turns it into the value to pass
  to ``World.apply`` (``Partition`` for splits, ``Grudge`` otherwise).
- A node always hears itself. "Sees" below means "can receive from".
- Builders are pure; networkx builds the "hears" graph and its complement is the cut. A plain split (every
  node hears exactly its group) is that complement written out, without networkx: importing it costs a
  0.1-0.2 s of CPU that the common partitions (majority/minority, halves, isolate) need not pay.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .errors import ConfigError
from .faults import Grudge, Partition

if TYPE_CHECKING:
    import networkx as nx  # imported where used: 0.2 s that a run without partitions never pays

__all__ = [
    "Shape", "SHAPES", "bridge", "grudges", "halves", "isolate", "majorities_ring",
    "majority_minority", "minority_third", "one_way", "ring", "shape",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class Shape:
    """A network cut: ``blocked`` directed pairs over ``nodes``; ``groups`` if it is a plain split."""

    name: str
    nodes: tuple[str, ...]
    blocked: frozenset[tuple[str, str]]
    groups: tuple[tuple[str, ...], ...] | None = None

    def hears(self, node: str) -> tuple[str, ...]:
        """The nodes ``node`` can receive from (itself included), sorted."""
        return tuple(n for n in self.nodes if (n, node) not in self.blocked)

    @property
    def description(self) -> str:
        if self.groups is not None:
            return f"{self.name} " + "|".join(",".join(g) for g in self.groups)
        return f"{self.name}: " + "; ".join(f"{n}<-{','.join(self.hears(n))}" for n in self.nodes)

    def fault(self) -> Partition | Grudge:
        """The fault that installs this cut."""
        if self.groups is not None:
            return Partition(groups=self.groups)
        return Grudge(blocked=tuple(sorted(self.blocked)), label=self.name)

    def __str__(self) -> str:
        return self.description


def _nodes(nodes: Iterable[str], at_least: int, name: str) -> list[str]:
    given = list(nodes)
    ns = sorted(set(given))
    if len(ns) != len(given):
        raise ConfigError(f"{name}: duplicate node ids in {sorted(given)!r}")
    if len(ns) < at_least:
        raise ConfigError(f"{name}: needs at least {at_least} nodes, got {len(ns)}")
    return ns


def _order(nodes: Iterable[str], rng: random.Random | None, at_least: int, name: str) -> list[str]:
    ns = _nodes(nodes, at_least, name)
    if rng is not None:
        rng.shuffle(ns)
    return ns


def _from_hears(name: str, nodes: Sequence[str], hears: nx.DiGraph) -> Shape:
    """Blocked = the complement of the "hears" graph (edge a->b: b hears a)."""
    import networkx as nx

    hears.add_nodes_from(nodes)
    cut = nx.complement(hears)
    return Shape(name=name, nodes=tuple(sorted(nodes)), blocked=frozenset(cut.edges()))


def _split(name: str, groups: Sequence[Sequence[str]]) -> Shape:
    """Disjoint ``groups``, each hearing only itself: the complement of the groups' cliques is every pair
    (a, b) of nodes in different groups."""
    side = {n: i for i, grp in enumerate(groups) for n in grp}
    nodes = sorted(side)
    blocked = frozenset((a, b) for a in nodes for b in nodes if side[a] != side[b])
    return Shape(name=name, nodes=tuple(nodes), blocked=blocked, groups=tuple(tuple(sorted(grp)) for grp in groups))


def halves(nodes: Iterable[str], rng: random.Random | None = None) -> Shape:
    """Two halves, ``n//2`` and ``n - n//2`` nodes (for odd n the second is a majority)."""
    ns = _order(nodes, rng, 2, "halves")
    k = len(ns) // 2
    return _split("halves", [ns[:k], ns[k:]])


def majority_minority(nodes: Iterable[str], rng: random.Random | None = None) -> Shape:
    """A strict majority and the largest minority, ``(n-1)//2`` nodes (majority group first)."""
    ns = _order(nodes, rng, 3, "majority-minority")
    m = (len(ns) - 1) // 2
    return _split("majority-minority", [ns[m:], ns[:m]])


def minority_third(nodes: Iterable[str], rng: random.Random | None = None) -> Shape:
    """Cut about a third (``max(1, n//3)`` nodes) off from the rest."""
    ns = _order(nodes, rng, 3, "minority-third")
    k = max(1, len(ns) // 3)
    return _split("minority-third", [ns[k:], ns[:k]])


def isolate(nodes: Iterable[str], node: str) -> Shape:
    """Cut ``node`` off from every other node (both ways)."""
    ns = _nodes(nodes, 2, "isolate")
    if node not in ns:
        raise ConfigError(f"isolate: {node!r} is not one of {', '.join(ns)}")
    return _split("isolate", [[n for n in ns if n != node], [node]])


def bridge(nodes: Iterable[str], rng: random.Random | None = None) -> Shape:
    """Two halves that cannot talk, plus one bridge node that talks to (and hears) both."""
    import networkx as nx

    ns = _order(nodes, rng, 3, "bridge")
    k = len(ns) // 2 if len(ns) % 2 else len(ns) // 2 - 1
    left, mid, right = ns[:k], ns[k], ns[k + 1:]
    g = nx.DiGraph()
    for side in (left + [mid], right + [mid]):
        g.add_edges_from((a, b) for a in side for b in side if a != b)
    return _from_hears("bridge", ns, g)


def majorities_ring(nodes: Iterable[str], rng: random.Random | None = None) -> Shape:
    """Every node hears a majority (itself included), and no two nodes hear the same majority.

    Jepsen's shape: nodes on a ring; each window of ``n//2 + 1`` consecutive nodes is the set heard
    by the node at its middle. Needs ``n >= 3`` (with two nodes the only majority is everyone).
    """
    import networkx as nx

    ns = _order(nodes, rng, 3, "majorities-ring")
    n = len(ns)
    m = n // 2 + 1
    g = nx.DiGraph()
    for i in range(n):
        window = [ns[(i + j) % n] for j in range(m)]
        centre = window[m // 2]
        g.add_edges_from((src, centre) for src in window if src != centre)
    return _from_hears("majorities-ring", ns, g)


def ring(nodes: Iterable[str], rng: random.Random | None = None) -> Shape:
    """Each node talks only with its two ring neighbours (both ways)."""
    import networkx as nx

    ns = _order(nodes, rng, 2, "ring")
    g = nx.cycle_graph(ns).to_directed() if len(ns) > 2 else nx.complete_graph(ns).to_directed()
    return _from_hears("ring", ns, nx.DiGraph(g))


def one_way(src_group: Iterable[str], dst_group: Iterable[str], nodes: Iterable[str] | None = None) -> Shape:
    """Messages from ``src_group`` to ``dst_group`` are dropped; the other direction flows."""
    src, dst = sorted(set(src_group)), sorted(set(dst_group))
    if not src or not dst:
        raise ConfigError("one-way: both groups must be non-empty")
    both = sorted(set(src) & set(dst))
    if both:
        raise ConfigError(f"one-way: {', '.join(both)} in both groups")
    universe = sorted(set(nodes) if nodes is not None else set(src) | set(dst))
    blocked = frozenset((s, d) for s in src for d in dst)
    return Shape(name="one-way", nodes=tuple(universe), blocked=blocked)


def grudges(grudge: Mapping[str, Iterable[str]], nodes: Iterable[str] | None = None) -> Shape:
    """Arbitrary shape: ``grudge[node]`` lists the nodes ``node`` cannot hear."""
    blocked = set()
    for dst in sorted(grudge):
        for src in sorted(set(grudge[dst])):
            if src == dst:
                raise ConfigError(f"grudge: {dst!r} cannot be deaf to itself")
            blocked.add((src, dst))
    universe = set(nodes) if nodes is not None else set(grudge) | {s for s, _ in blocked}
    return Shape(name="grudge", nodes=tuple(sorted(universe)), blocked=frozenset(blocked))


SHAPES = {
    "halves": halves,
    "majority-minority": majority_minority,
    "minority-third": minority_third,
    "bridge": bridge,
    "majorities-ring": majorities_ring,
    "ring": ring,
}


def shape(name: str, nodes: Iterable[str], rng: random.Random | None = None) -> Shape:
    """Build the named shape (kebab-case, one of ``SHAPES``) over ``nodes``."""
    fn = SHAPES.get(name)
    if fn is None:
        raise ConfigError(f"unknown partition shape {name!r} (known: {', '.join(sorted(SHAPES))})")
    return fn(nodes, rng)
