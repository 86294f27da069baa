"""Bug switches (shared/bug-zoo.md): each scripted schedule breaks an invariant with the bug on and
keeps every invariant with it off."""

from __future__ import annotations

import random

import pytest

from kvraft.raft import AppendEntries, RaftConfig, RequestVote, RequestVoteReply, Role
from kvraft.server import Server

from scenarios.bugs import bugs_from_ids

from .env import Env, make_env
from .fakeworld import FakeWorld
from .kvsm import ListStateMachine
from .test_interaction import Handler, TESTDATA

OPTS = dict(pre_vote=False, check_quorum=False)


def violations(env: Env) -> list[str]:
    return env.violations()


def b03(bugs: frozenset[str]) -> list[str]:
    """Figure 8, scripted in testdata/figure8.txt, replayed with the switch set."""
    from datadriven import parse_command_line, parse_file
    h = Handler()
    blocks, _ = parse_file(TESTDATA / "figure8.txt")
    for b in blocks:
        line = b.command_line
        if line.startswith("add-nodes") and bugs:
            line += " bugs=(" + ",".join(sorted(bugs)) + ")"
        h(parse_command_line(line))
    return violations(h.env)


def b04(bugs: frozenset[str]) -> list[str]:
    env = make_env(3, bugs=bugs, **OPTS)
    env.node("n1").campaign()
    env.stabilize()
    for d in (b"x", b"y", b"z"):
        env.node("n1").propose(d)
    env.process_ready("n1")
    env.inflight.clear()
    env.crash("n1")
    env.node("n2").campaign()
    env.stabilize()  # n2 leads term 2; its no-op commits on n2, n3
    env.restart("n1")
    env.crash("n2")
    env.inflight.clear()
    for _ in range(2):  # the first try meets n3's term-2 vote for n2
        env.node("n1").campaign()
        env.stabilize()
    return violations(env)


def b05(bugs: frozenset[str]) -> list[str]:
    env = make_env(3, bugs=bugs, **OPTS)
    env.node("n1").campaign()
    env.stabilize()
    n1 = env.node("n1")
    n1.propose(b"a")
    env.process_ready("n1")
    n1.propose(b"b")
    env.process_ready("n1")
    to_n2 = [m for m in env.inflight if m.to == "n2"]
    env.inflight.clear()
    old = to_n2[0]
    assert isinstance(old, AppendEntries) and len(to_n2) == 2
    for m in to_n2:
        env.node("n2").step(m)
    env.process_ready("n2")
    env.deliver("n1")
    env.process_ready("n1")  # n1 commits and applies a, b (n1 + n2)
    env.inflight.clear()
    env.node("n2").step(old)  # the older, shorter AppendEntries arrives again
    env.process_ready("n2")
    env.inflight.clear()
    env.crash("n1")
    env.node("n2").campaign()
    env.stabilize()
    return violations(env)


def b02(bugs: frozenset[str]) -> list[str]:
    env = make_env(5, bugs=bugs, **OPTS)
    env.node("n1").campaign()
    env.node("n3").campaign()
    env.process_ready("n1")
    env.process_ready("n3")
    env.inflight = [m for m in env.inflight if (m.frm, m.to) in {("n1", "n2"), ("n3", "n4"), ("n3", "n5")}]
    env.deliver("n2")
    env.process_ready("n2")
    env.inflight += [m for m in env.inflight if isinstance(m, RequestVoteReply)]  # duplicated reply
    env.deliver("n1")
    env.process_ready("n1")
    for i in ("n4", "n5"):
        env.deliver(i, lambda m: isinstance(m, RequestVote))
        env.process_ready(i)
    env.deliver("n3", lambda m: isinstance(m, RequestVoteReply))
    env.process_ready("n3")
    return violations(env)


MS = 1_000_000


def b01(bugs: frozenset[str]) -> list[str]:
    """Two candidates in term 1; the voter crashes after voting and restarts inside the window."""
    ids = ["n1", "n2", "n3"]
    world = FakeWorld(list(ids))
    servers = {}

    def boot(i: str, inc: int) -> None:
        servers[i] = Server(world.runtimes[i], peers=ids, config=RaftConfig(bugs=bugs_from_ids(bugs), election_ticks=50, **OPTS),
                            state_machine=ListStateMachine(), rng=random.Random(f"{i}:{inc}"))
        servers[i].start()

    for i in ids:
        boot(i, 0)
    world.blocked = {("n3", "n2"), ("n2", "n3"), ("n1", "n3"), ("n3", "n1")}
    # n2 votes for n1 but never sees n1's log, so n3's empty log is as up-to-date as n2's.
    world.drop_filter = lambda src, dst, m: src == "n1" and dst == "n2" and not isinstance(m, RequestVote)
    servers["n1"]._n.campaign()
    servers["n1"]._pump()
    world.run_for(20 * MS)
    assert servers["n1"].is_leader
    world.crash("n2")
    world.restart("n2")
    boot("n2", 1)
    world.blocked = {("n1", "n2"), ("n2", "n1"), ("n1", "n3"), ("n3", "n1")}
    servers["n3"]._n.campaign()
    servers["n3"]._pump()
    world.run_for(20 * MS)
    leaders: dict[int, set[str]] = {}
    for r in world.trace:
        if r["kind"] == "become-leader":
            leaders.setdefault(r["term"], set()).add(r["node"])
    return [f"Election Safety: term {t} has leaders {sorted(s)}" for t, s in sorted(leaders.items()) if len(s) > 1]


SCHEDULES = {"B01": b01, "B02": b02, "B03": b03, "B04": b04, "B05": b05}


@pytest.mark.parametrize("bug", sorted(SCHEDULES))
def test_bug_switch_breaks_an_invariant_that_holds_without_it(bug: str) -> None:
    schedule = SCHEDULES[bug]
    assert schedule(frozenset()) == [], f"clean build fails the {bug} schedule"
    assert schedule(frozenset({bug})), f"{bug} switched on but no invariant failed"
