"""The Raft paper's Figure 8 (§5.4.2) re-enacted on the real code: the scenario ``fig8-paper``.

Rules:
- One round of ``zoo-figure-8``'s shape, with one slow client so the logs stay a few entries long:
  (a) the leader and one peer are cut off in a minority and grow a tail of the old term;
  (b) the majority's first leader is isolated as it is elected: its entry of a newer term at the tail's
      first index stays on it alone; the tail's holders rejoin the others;
  (c) a tail holder wins, and catches the others up one entry per message (``max_msg_bytes=1``);
  (d)/(e) it is cut off the moment it first advances its commit index. A correct leader first commits when
      an entry of its own term is on a majority, so the isolated (b) leader cannot win again: (e). With bug
      B03 it commits the old-term tail by counting replicas, is cut off before its own entry spreads, the (b)
      leader wins the votes of the servers that lack it and overwrites the committed tail: (d), which
      raft-safety reports.
- Panels are found on the trace afterwards (reports/figure8.py), never assumed.
"""

from __future__ import annotations


from scenarios import nemesis as N
from scenarios.catalog import Plan
from scenarios.params import Params
from scenarios.spec import scenario

__all__ = ["fig8_paper"]


@scenario("fig8-paper", "Figure 8 in one round, one slow client: an old-term tail; its leader cut off when it first commits.",
          nodes=5, clients=1, keys=1, rate=10.0, workload="set", client_timeout_ms=150, max_msg_bytes=1,
          latency_ms=10.0, latency_dist="constant", pre_vote=False, check_quorum=False, election_ticks=15,
          heartbeat_ticks=3, duration_s=2.0, recover_s=1.0)
def fig8_paper(p: Params) -> Plan:
    # The minority cut first; the triggers' window opens 0.1 s later, once the old leader's last
    # messages (10 ms links) have landed, so the first commit it sees is the (c) leader's.
    return Plan(N.phases((0.1, N.at(0.0, N.leader_minority())),
                         (p.duration_s - 0.1, N.mix(N.on("become-leader", N.isolate_leader(), nth=1),
                                                       N.on("commit", N.isolate_leader(), nth=1)))))
