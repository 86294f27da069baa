"""The ``mix`` workload: several built-in workloads in one run, each on its own keys and its own clients.

Rules:
- ``mix`` (param) names the parts (built-in workloads; empty: all of them). Each part keeps its own key
  prefix (``/r``, ``/cas``, ``/a``, ``/s``, ``/w``, ``/lock``, ``/election``, ``/q``, ``/svc``), so each checker sees
  only its own ops, as in a run of that workload alone.
- The client slots are dealt round-robin: slot s belongs to part ``s % len(parts)``; parts beyond the
  number of clients get none and are left out. Process ids stay unique: every part counts ``clients`` as
  the whole run's, so an info's successor process (``process + clients``) never meets another part's.
- Final reads (and the queue's drain) run one part after the other on one client on the final-read
  machine (a Client owns its machine's receiver), from one stream ``workload/final``.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from scenarios import registry
from scenarios.params import mix_part_names
from scenarios.registry import workload
from scenarios.workloads import Workload, WorkloadContext

__all__ = ["MixWorkload", "mix_parts"]


def mix_parts(spec: str) -> list[str]:
    """The parts ``mix`` names, in the built-in order (empty: every built-in workload)."""
    names = mix_part_names()
    chosen = {w for w in spec.split(",") if w}
    return [w for w in names if w in chosen] if chosen else names


@workload("mix")
class MixWorkload(Workload):
    """Runs its parts side by side; see the module rules."""

    def __init__(self, ctx: WorkloadContext) -> None:

        super().__init__(ctx)
        names = mix_parts(self.p.mix)[: max(1, self.clients)]
        self.parts: list[Workload] = []
        for i, name in enumerate(names):
            part = registry.workload_class(name)(ctx)
            part.slots = [s for s in range(self.clients) if s % len(names) == i]
            if hasattr(part, "watchers"):
                part.watchers = max(1, len(part.slots) // 3)
            self.parts.append(part)

    @property
    def used_keys(self) -> set[str]:  # type: ignore[override]
        return set().union(*(p.used_keys for p in self.parts))

    @used_keys.setter
    def used_keys(self, value: set[str]) -> None:
        pass  # the parts keep their own

    def start(self) -> None:
        for part in self.parts:
            part.start()

    def final_steps(self, deadline_ns: int, client: Any = None, rng: Any = None) -> Generator[Any, Any, None]:
        client = self.ctx.cluster.client(self.ctx.cluster.final_host, "final")
        rng = self.ctx.world.streams.fork("workload/final")
        proc = self._final_proc
        for part in self.parts:
            part._final_proc = proc
            yield from part.final_steps(deadline_ns, client, rng)
            proc = part._final_proc
