"""Hypothesis: random schedules of deliveries, drops, duplicates, reorders, ticks, crashes and
restarts keep Election Safety, Log Matching, Leader Completeness and State Machine Safety; and
quorum math agrees with a naive version."""

from __future__ import annotations

from hypothesis import given, settings, HealthCheck
from hypothesis import strategies as st

from kvraft.errors import ProposalDropped
from kvraft.raft.quorum import committed_index, has_quorum

from .env import make_env

OPS = st.tuples(st.sampled_from(["deliver", "deliver", "deliver", "drop", "dup", "tick", "tick", "crash", "restart",
                                 "propose", "ready", "ready", "snapshot"]),
                st.integers(0, 1000), st.integers(1, 12))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(n=st.integers(3, 5), seed=st.integers(0, 2**16), pre_vote=st.booleans(), ops=st.lists(OPS, min_size=20, max_size=150))
def test_random_schedules_keep_raft_safety(n: int, seed: int, pre_vote: bool, ops) -> None:
    env = make_env(n, seed=seed, pre_vote=pre_vote, check_quorum=pre_vote, election_ticks=5)
    ids = sorted(env.nodes)
    for op, a, k in ops:
        nid = ids[a % n]
        up = env.nodes[nid] is not None
        if op in ("deliver", "drop", "dup") and env.inflight:
            i = a % len(env.inflight)  # any in-flight message: this is also a reorder
            m = env.inflight[i]
            if op == "drop":
                del env.inflight[i]
            elif op == "dup":
                env.inflight.append(m)
            else:
                del env.inflight[i]
                if env.nodes.get(m.to) is not None:
                    env.node(m.to).step(m)
        elif op == "tick" and up:
            env.tick(nid, k)
        elif op == "crash" and up and sum(x is not None for x in env.nodes.values()) > 1:
            env.crash(nid)
        elif op == "restart" and not up:
            env.restart(nid)
        elif op == "propose" and up:
            try:
                env.node(nid).propose(f"v{a}".encode())
            except ProposalDropped:
                pass
        elif op == "ready":
            for i in env.up():  # every live node handles its Ready: elections and commits make progress
                env.process_ready(i)
        elif op == "snapshot" and up and env.node(nid).log.applied > env.node(nid).log.snap_index:
            env.compact(nid)
    # Let the survivors settle, then check.
    for nid in ids:
        if env.nodes[nid] is None:
            env.restart(nid)
    for _ in range(3):
        for nid in ids:
            env.tick(nid, 12)
        env.stabilize()
    assert env.history.violations == []
    assert env.log_matching_violations() == []


@given(st.dictionaries(st.sampled_from(["n1", "n2", "n3", "n4", "n5"]), st.integers(0, 20)),
       st.sets(st.sampled_from(["n1", "n2", "n3", "n4", "n5"]), min_size=1))
def test_committed_index_matches_naive(match, voters) -> None:
    naive = max([i for i in range(0, 21) if sum(match.get(v, 0) >= i for v in voters) > len(voters) // 2])
    assert committed_index(sorted(voters), match) == naive
    assert has_quorum(voters, [v for v in voters if match.get(v, 0) >= naive]) == (naive > 0 or True) or naive == 0
