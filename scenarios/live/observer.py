"""The leader observer: polls every running member's ``/v2/stats/self`` and traces who leads.

Rules:
- Every ``POLL_S`` each member that is up and not paused is asked (short timeout) for its state and, from
  ``X-Raft-Term`` of a ``/v2/keys/`` answer, its term. A member whose (role, term) changed since the last
  answer gets a ``become-<role>`` trace record (``observed: true``), which the liveness and raft-safety
  checkers read as they read the simulator's; a change of the leader set is one ``observed-leader`` record.
- Observations are sampled, not the servers' internal state: a short leadership can be missed. A role
  counts only between two equal term readings; a leader only when a majority of members (itself included,
  followers by the leader id they learned from its appends) name it in that term. etcd 3.4's
  ``/v2/stats/self`` keeps saying ``StateLeader`` on members that lost their leader (seen: four "leaders"
  in term 2 right after the leader was cut off), so the state alone is not evidence.
"""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp

__all__ = ["OBSERVED_LEADER", "Observer"]

OBSERVED_LEADER = "observed-leader"
POLL_S = 0.25
_ROLES = {"StateLeader": "leader", "StateFollower": "follower", "StateCandidate": "candidate",
          "StatePreCandidate": "pre-candidate"}


class Observer:
    def __init__(self, members: Any, session: aiohttp.ClientSession, emit: Any) -> None:
        self.members = members
        self.session = session
        self.emit = emit
        self.leader: str | None = None
        self._last: tuple[tuple[str, int | None], ...] = ()
        self._role: dict[str, tuple[str, int | None]] = {}

    async def _term(self, url: str, t: aiohttp.ClientTimeout) -> int | None:
        async with self.session.get(url + "/v2/keys/", timeout=t) as r:
            text = r.headers.get("X-Raft-Term")
        return int(text) if text and text.isdigit() else None

    async def _read(self, node: str) -> tuple[str, str, int, str, str] | None:
        """(node, role, term, own id, the id it names leader) from /v2/stats/self between two equal terms."""
        url = self.members.client_url(node)
        t = aiohttp.ClientTimeout(total=POLL_S)
        try:
            before = await self._term(url, t)
            async with self.session.get(url + "/v2/stats/self", timeout=t) as r:
                doc = await r.json(content_type=None)
            after = await self._term(url, t)
        except (asyncio.TimeoutError, aiohttp.ClientError, OSError, ValueError):
            return None
        if not isinstance(doc, dict) or before is None or before != after:
            return None
        role = _ROLES.get(str(doc.get("state")))
        info = doc.get("leaderInfo") if isinstance(doc.get("leaderInfo"), dict) else {}
        if role is None:
            return None
        return node, role, after, str(doc.get("id")), str(info.get("leader"))

    async def run(self) -> None:
        while True:
            m = self.members
            nodes = [n for n in m.net.nodes if m.is_up(n) and n not in m.paused]
            reads = [x for x in await asyncio.gather(*(self._read(n) for n in nodes)) if x is not None]
            claims = []
            for node, role, term, own, _ in reads:
                # A leader counts when a majority (itself included) names it: followers learn the leader
                # from its appends; etcd's own "StateLeader" stays on members that lost their leader.
                backers = 1 + sum(1 for n2, r2, t2, _, lead in reads if n2 != node and r2 == "follower"
                                  and lead == own and t2 == term)
                confirmed = role == "leader" and 2 * backers > len(m.net.nodes)
                shown = "leader" if confirmed else ("follower" if role == "leader" else role)
                if self._role.get(node) != (shown, term):
                    self._role[node] = (shown, term)
                    self.emit(f"become-{shown}", node=node, term=term, observed=True)
                if confirmed:
                    claims.append((node, term))
            claims_t = tuple(sorted(claims))
            if claims_t != self._last:
                self._last = claims_t
                self.emit(OBSERVED_LEADER, leaders=[n for n, _ in claims_t], terms=[t for _, t in claims_t])
            best = max(claims_t, key=lambda c: (c[1] or 0, c[0]), default=None)
            self.leader = best[0] if best else None
            await asyncio.sleep(POLL_S)
