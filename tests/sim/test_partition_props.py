"""Property tests of the partition shapes (hypothesis)."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

import sim
from sim import partitions as P

node_lists = st.integers(min_value=3, max_value=11).map(lambda n: [f"n{i}" for i in range(1, n + 1)])
seeds = st.one_of(st.none(), st.integers(min_value=0, max_value=2**32))


def _rng(seed):
    return None if seed is None else random.Random(seed)


def _covers(shape: sim.Shape, nodes: list[str]) -> None:
    assert shape.groups is not None
    flat = [n for g in shape.groups for n in g]
    assert sorted(flat) == sorted(nodes) and len(flat) == len(set(flat))
    for a, b in shape.blocked:
        assert a != b


@settings(max_examples=60, deadline=None)
@given(node_lists, seeds)
def test_majority_minority_majority_is_strict_and_groups_cover(nodes, seed) -> None:
    s = P.majority_minority(nodes, _rng(seed))
    _covers(s, nodes)
    major, minor = s.groups
    assert len(major) > len(nodes) / 2 and len(minor) < len(nodes) / 2 and minor
    for g in s.groups:  # a group hears exactly itself
        for n in g:
            assert set(s.hears(n)) == set(g)


@settings(max_examples=60, deadline=None)
@given(node_lists, seeds)
def test_halves_and_minority_third_cover_all_nodes(nodes, seed) -> None:
    for s in (P.halves(nodes, _rng(seed)), P.minority_third(nodes, _rng(seed))):
        _covers(s, nodes)
    small = P.minority_third(nodes, _rng(seed)).groups[1]
    assert 1 <= len(small) < len(nodes) / 2


@settings(max_examples=60, deadline=None)
@given(node_lists, seeds)
def test_majorities_ring_every_node_sees_a_distinct_majority(nodes, seed) -> None:
    s = P.majorities_ring(nodes, _rng(seed))
    seen = [frozenset(s.hears(n)) for n in nodes]
    assert all(len(h) > len(nodes) / 2 for h in seen)
    assert all(n in s.hears(n) for n in nodes)
    assert len(set(seen)) == len(nodes)


@settings(max_examples=60, deadline=None)
@given(node_lists, seeds)
def test_bridge_node_sees_everyone_and_halves_do_not_see_each_other(nodes, seed) -> None:
    s = P.bridge(nodes, _rng(seed))
    full = [n for n in nodes if len(s.hears(n)) == len(nodes)]
    assert len(full) == 1
    b = full[0]
    others = [n for n in nodes if n != b]
    assert all(b in s.hears(n) for n in others)
    assert all(len(s.hears(n)) < len(nodes) for n in others)


@settings(max_examples=60, deadline=None)
@given(node_lists, st.data())
def test_one_way_blocks_only_one_direction(nodes, data) -> None:
    k = data.draw(st.integers(min_value=1, max_value=len(nodes) - 1))
    order = data.draw(st.permutations(nodes))
    src, dst = order[:k], order[k:]
    s = P.one_way(src, dst, nodes)
    assert s.blocked == {(a, b) for a in src for b in dst}
    assert not any((b, a) in s.blocked for a, b in s.blocked)


@settings(max_examples=60, deadline=None)
@given(node_lists, seeds)
def test_ring_each_node_hears_its_two_neighbours(nodes, seed) -> None:
    s = P.ring(nodes, _rng(seed))
    for n in nodes:
        assert len(s.hears(n)) == min(3, len(nodes))
    # symmetric
    assert all((b, a) in s.blocked for a, b in s.blocked)


@settings(max_examples=40, deadline=None)
@given(node_lists, st.data())
def test_grudges_block_exactly_what_was_asked(nodes, data) -> None:
    g = {n: data.draw(st.lists(st.sampled_from([m for m in nodes if m != n]), unique=True)) for n in nodes}
    s = P.grudges(g, nodes)
    assert s.blocked == {(src, dst) for dst, srcs in g.items() for src in srcs}


@settings(max_examples=30, deadline=None)
@given(node_lists, seeds, st.sampled_from(sorted(P.SHAPES)))
def test_applied_shape_matches_network_cut(nodes, seed, name) -> None:
    w = sim.World(1)
    for n in nodes:
        w.add_host(n)
    w.start()
    s = P.shape(name, nodes, _rng(seed))
    w.apply(s.fault())
    assert set(w.network.blocked_pairs()) == set(s.blocked)


@settings(max_examples=60, deadline=None)
@given(node_lists, seeds, st.sampled_from(["halves", "majority-minority", "minority-third", "isolate"]))
def test_plain_splits_cut_the_complement_of_their_groups_cliques(nodes, seed, name) -> None:
    """The splits are built without networkx; the cut must be networkx's complement of the "hears" graph."""
    import networkx as nx

    if name == "isolate":
        s = P.isolate(nodes, nodes[(seed or 0) % len(nodes)])
    else:
        s = P.shape(name, nodes, _rng(seed))
    hears = nx.DiGraph()
    hears.add_nodes_from(nodes)
    for g in s.groups:
        hears.add_edges_from((a, b) for a in g for b in g if a != b)
    assert s.blocked == frozenset(nx.complement(hears).edges())
    assert s.nodes == tuple(sorted(nodes))
