"""The leader observer: polls every running member's ``/v2/stats/self`` and traces who leads.

Rules:
- Every ``POLL_S`` each member that is up and not paused is asked (short timeout); a member answering
  ``StateLeader`` is a leader claim. A change of the claimed leader set is one ``observed-leader`` trace
  record with the leaders' names and, from ``X-Raft-Term`` of a ``/v2/keys/`` answer, their terms.
- Observations are what clients could see, not the servers' internal state: they are sampled, so a short
  leadership can be missed. They are a kind of their own (not ``become-leader``), so no checker mistakes
  them for the simulator's exact role changes.
"""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp

__all__ = ["OBSERVED_LEADER", "Observer"]

OBSERVED_LEADER = "observed-leader"
POLL_S = 0.25


class Observer:
    def __init__(self, members: Any, session: aiohttp.ClientSession, emit: Any) -> None:
        self.members = members
        self.session = session
        self.emit = emit
        self.leader: str | None = None
        self._last: tuple[tuple[str, int | None], ...] = ()

    async def _ask(self, node: str) -> tuple[str, int | None] | None:
        url = self.members.client_url(node)
        t = aiohttp.ClientTimeout(total=POLL_S)
        try:
            async with self.session.get(url + "/v2/stats/self", timeout=t) as r:
                doc = await r.json(content_type=None)
            if not isinstance(doc, dict) or doc.get("state") != "StateLeader":
                return None
            async with self.session.get(url + "/v2/keys/", timeout=t) as r:
                term = r.headers.get("X-Raft-Term")
            return node, int(term) if term and term.isdigit() else None
        except (asyncio.TimeoutError, aiohttp.ClientError, OSError, ValueError):
            return None

    async def run(self) -> None:
        while True:
            m = self.members
            nodes = [n for n in m.net.nodes if m.is_up(n) and n not in m.paused]
            found = [x for x in await asyncio.gather(*(self._ask(n) for n in nodes)) if x is not None]
            claims = tuple(sorted(found))
            if claims != self._last:
                self._last = claims
                self.emit(OBSERVED_LEADER, leaders=[n for n, _ in claims], terms=[t for _, t in claims])
            best = max(claims, key=lambda c: (c[1] or 0, c[0]), default=None)
            self.leader = best[0] if best else None
            await asyncio.sleep(POLL_S)
