"""Interaction tests: tests/raft/testdata/*.txt run through tests/datadriven.py (etcd-io/raft style).

Commands: add-nodes N [voters=(..)] [learners=(..)] [pre-vote=] [check-quorum=] [election=] [heartbeat=]
[read-only=lease] [bugs=(..)] [max-inflight=] [max-bytes=]; campaign ID; propose ID DATA; conf-change ID
add=|remove=|learner=; tick ID [N]; tick-election ID; tick-heartbeat ID; deliver [ID] [from=] [type=];
drop [from=] [to=] [type=]; isolate ID; heal; process-ready [ID..]; stabilize [ID..]; raft-log ID;
raft-state; crash ID; restart ID; snapshot ID; transfer ID to=; read-index ID CTX; inflight; check.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from datadriven import Command, run_file

from kvraft.raft import ConfChange, ConfChangeType, RaftConfig, ReadOnlyOption
from kvraft.errors import RaftError

from scenarios.bugs import bugs_from_ids

from .env import Env

TESTDATA = Path(__file__).parent / "testdata"


class Handler:
    def __init__(self, *, ticks_in_one_step: bool = False) -> None:
        self.env = Env(seed=0, ticks_in_one_step=ticks_in_one_step)

    def __call__(self, c: Command) -> str:
        try:
            return getattr(self, "cmd_" + c.name.replace("-", "_"))(c)
        except RaftError as e:
            return f"error: {type(e).__name__}: {e}"

    def _ids(self, c: Command) -> list[str]:
        return [a for a in c.args if a.startswith("n")]

    def cmd_add_nodes(self, c: Command) -> str:
        n = int(c.args[0])
        start = len(self.env.nodes) + 1
        ids = [f"n{i}" for i in range(start, start + n)]
        voters = tuple(c.get_list("voters")) or tuple(ids)
        for i in ids:
            cfg = RaftConfig(
                id=i, voters=voters, learners=tuple(c.get_list("learners")),
                pre_vote=c.get_bool("pre-vote", True), check_quorum=c.get_bool("check-quorum", True),
                election_ticks=c.get_int("election", 10), heartbeat_ticks=c.get_int("heartbeat", 1),
                read_only=ReadOnlyOption(c.get("read-only", "safe")), bugs=bugs_from_ids(c.get_list("bugs")),
                max_inflight_msgs=c.get_int("max-inflight", 256), max_size_per_msg=c.get_int("max-bytes", 1 << 20),
            )
            self.env.add_node(cfg)
        return "\n".join(self.env.state()[-n:])

    def cmd_campaign(self, c: Command) -> str:
        self.env.node(c.args[0]).campaign()
        return ""

    def cmd_propose(self, c: Command) -> str:
        self.env.node(c.args[0]).propose(c.args[1].encode())
        return ""

    def cmd_conf_change(self, c: Command) -> str:
        for key, typ in (("add", ConfChangeType.ADD_NODE), ("remove", ConfChangeType.REMOVE_NODE),
                         ("learner", ConfChangeType.ADD_LEARNER)):
            if c.has(key):
                self.env.node(c.args[0]).propose_conf_change(ConfChange(type=typ, node_id=c.get(key)))
        return ""

    def cmd_tick(self, c: Command) -> str:
        self.env.tick(c.args[0], int(c.args[1]) if len(c.args) > 1 else 1)
        return ""

    def cmd_tick_election(self, c: Command) -> str:
        n = self.env.node(c.args[0])
        self.env.tick(c.args[0], 2 * n.config.election_ticks)
        return ""

    def cmd_tick_heartbeat(self, c: Command) -> str:
        n = self.env.node(c.args[0])
        self.env.tick(c.args[0], n.config.heartbeat_ticks)
        return ""

    def _pred(self, c: Command):
        frm, typ = c.get("from"), c.get("type")
        to = c.get("to")
        return lambda m: (frm is None or m.frm == frm) and (typ is None or type(m).__name__ == typ) \
            and (to is None or m.to == to)

    def cmd_deliver(self, c: Command) -> str:
        ids = self._ids(c)
        ms = self.env.deliver(ids[0] if ids else None, self._pred(c))
        return "\n".join(str(m) for m in ms)

    def cmd_drop(self, c: Command) -> str:
        pred = self._pred(c)
        dropped = [m for m in self.env.inflight if pred(m)]
        self.env.inflight = [m for m in self.env.inflight if not pred(m)]
        return "\n".join(f"dropped: {m}" for m in dropped)

    def cmd_dup(self, c: Command) -> str:
        pred = self._pred(c)
        self.env.inflight.extend([m for m in self.env.inflight if pred(m)])
        return ""

    def cmd_inflight(self, c: Command) -> str:
        return "\n".join(str(m) for m in self.env.inflight) or "none"

    def cmd_isolate(self, c: Command) -> str:
        self.env.isolated.add(c.args[0])
        return ""

    def cmd_heal(self, c: Command) -> str:
        self.env.isolated.clear()
        return ""

    def cmd_process_ready(self, c: Command) -> str:
        out = []
        for i in self._ids(c) or self.env.up():
            lines = self.env.process_ready(i)
            if lines:
                out.append(f"> {i} handling Ready")
                out.extend("  " + ln for ln in lines)
        return "\n".join(out)

    def cmd_stabilize(self, c: Command) -> str:
        return "\n".join(self.env.stabilize(self._ids(c) or None))

    def cmd_raft_log(self, c: Command) -> str:
        return "\n".join(self.env.log(c.args[0]))

    def cmd_raft_state(self, c: Command) -> str:
        return "\n".join(self.env.state())

    def cmd_crash(self, c: Command) -> str:
        self.env.crash(c.args[0])
        return ""

    def cmd_restart(self, c: Command) -> str:
        self.env.restart(c.args[0])
        return "\n".join(s for s in self.env.state() if s.startswith(c.args[0] + " "))

    def cmd_snapshot(self, c: Command) -> str:
        return str(self.env.compact(c.args[0]))

    def cmd_transfer(self, c: Command) -> str:
        self.env.node(c.args[0]).transfer_leadership(c.get("to"))
        return ""

    def cmd_read_index(self, c: Command) -> str:
        self.env.node(c.args[0]).read_index(c.args[1].encode())
        return ""

    def cmd_applied(self, c: Command) -> str:
        return " ".join(d.decode() for d in self.env.applied_values(c.args[0])) or "nothing applied"

    def cmd_check(self, c: Command) -> str:
        v = self.env.violations()
        return "\n".join(v) if v else "invariants hold"


FILES = sorted(TESTDATA.glob("*.txt"))


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_interaction(path: Path, rewrite: bool) -> None:
    run_file(path, Handler(), rewrite=rewrite)


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_interaction_ticks_in_one_step(path: Path) -> None:
    """``tick ID N`` as one ``tick(N)`` call (what the tickless driver does) gives the same transcript."""
    run_file(path, Handler(ticks_in_one_step=True), rewrite=False)
