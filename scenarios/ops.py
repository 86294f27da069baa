"""Operations a workload yields, and the simulated executor that answers them.

Rules:
- A workload is a set of generators (one per client slot, plus the final reads). They never touch a
  clock, a simpy environment or a socket: they yield op values — ``Sleep``, ``Request``, ``Call`` — and
  receive each one's answer. The simulator (``SimExecutor``, here) and the live harness
  (``scenarios/live/executor.py``) execute the *same* generators, so one definition serves both worlds.
- Answers: ``Sleep`` -> None; ``Request`` -> a reply with ``status``, ``body`` (bytes) and ``json()``, or
  None when no answer came within ``timeout_ns``; ``Call`` -> what ``start``'s ``on_done`` received, as
  the tuple of its arguments (simulation only: it drives a callback-style recipe object).
- Times are int ns of the executor's clock (virtual in simulation, elapsed wall-clock ns when live).
- The simulated executor schedules exactly the simpy events the workloads used to schedule themselves,
  in the same order, so simulated traces and histories are unchanged by this seam.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Sleep", "Request", "Call", "Op", "SimExecutor"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Sleep:
    """Wait ``delay_ns`` (think time)."""

    delay_ns: int

    def __str__(self) -> str:
        return f"sleep {self.delay_ns}ns"


@dataclass(frozen=True, slots=True, kw_only=True)
class Request:
    """One HTTP request of ``client`` (a handle the executor's cluster gave out) with a deadline."""

    client: Any
    method: str
    path: str  # under /v2/keys
    params: dict[str, str] = field(default_factory=dict)
    timeout_ns: int

    def __str__(self) -> str:
        return f"{self.method} /v2/keys{self.path} {sorted(self.params.items())}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Call:
    """Start a callback-style operation: ``start(on_done)``; the answer is on_done's arguments as a tuple."""

    start: Callable[[Callable[..., None]], None]

    def __str__(self) -> str:
        return "call"


Op = Sleep | Request | Call


class SimExecutor:
    """Runs op generators as simpy processes on ``env``; requests go through ``kvraft.client.Client``."""

    def __init__(self, env: Any) -> None:
        self.env = env

    @property
    def now(self) -> int:
        return self.env.now

    def spawn(self, gen: Generator[Op, Any, Any]) -> None:
        """Start ``gen`` now (as ``env.process`` did)."""
        self.env.process(self._run(gen))

    def _run(self, gen: Generator[Op, Any, Any]) -> Generator[Any, Any, None]:
        answer: Any = None
        while True:
            try:
                op = gen.send(answer)
            except StopIteration:
                return
            match op:
                case Sleep(delay_ns=delay_ns):
                    answer = yield self.env.timeout(delay_ns)
                case Request():
                    ev = self.env.event()
                    op.client.request(op.method, "/v2/keys" + op.path, op.params, timeout_ns=op.timeout_ns,
                                      on_done=lambda reply, ev=ev: ev.succeed(reply))
                    answer = yield ev
                case Call(start=start):
                    ev = self.env.event()
                    start(lambda *args, ev=ev: ev.succeed(args))
                    answer = yield ev
                case _:
                    raise TypeError(f"a workload yielded {op!r}, not an op")
