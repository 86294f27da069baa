"""The ``Model[S, I, O]`` protocol: a sequential specification the linearizability checker searches against.

Rules (porcupine's shape, see anishathalye/porcupine ``Model``):
- ``step(state, input, output) -> (ok, new_state)``: is ``output`` a legal result of applying ``input`` in
  ``state``, and what is the state afterwards. A separate ``ok`` flag, because ``None`` is a legal state.
- States, inputs and outputs must be hashable and compared by ``==``: the checker memoises on them.
- ``step`` must be pure and deterministic.
- ``prepare`` turns one paired operation into ``(input, output)``, or ``None`` to leave it out (a ``fail`` that
  did not take effect, a read whose result is unknown). It raises ``ModelError`` for an op the model cannot
  understand (unknown ``f``, a malformed operand); the checker reports it as UNKNOWN with the line number.
- Optional ``read_only(input) -> bool``: True only if ``step`` never changes the state for that input
  (reads); the checker then linearizes it as soon as it is legal, which keeps the search small.
- Optional ``relevant_states(input, output) -> frozenset | None``: ``frozenset()`` for a blind op (the same
  outcome in every state: a write); a non-empty R if ``step`` is illegal in every state outside R (a read of
  v: {v}; a cas: {expected}); None otherwise (an append). The checker uses it to try an ``info`` op only when its effect
  could matter.
- Optional ``decide(items, returns, events) -> bool``: True only if the model proves one part linearizable
  by its own argument, without a search (kv: a key of unique appended tokens, whose reads fix the order);
  False means "not proven": the checker searches (and explains a violation).
- Optional ``canonical(items) -> Callable[[S], S] | None``: for one part, a map from each state to a
  representative that every op of the part treats alike (same legality, and equally treated successors);
  the search stores representatives, so states no op can tell apart are one configuration (kv: the values
  no read can see again).
- ``partition`` splits operations into independent parts (P-compositionality: a history is linearizable
  iff each part is), each labelled (e.g. by key).
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any, Protocol, TypeVar

from checkers.result import CheckerError

__all__ = ["Model", "ModelError", "OpLike"]

S = TypeVar("S", bound=Hashable)
I = TypeVar("I", bound=Hashable)  # noqa: E741
O = TypeVar("O", bound=Hashable)  # noqa: E741


class ModelError(CheckerError):
    """An operation the model cannot interpret (fix the history)."""


class OpLike(Protocol):
    """What ``prepare`` and ``partition`` read: the fields of ``checkers.history.Operation``."""

    process: int
    f: str
    key: str
    type: Any  # OpType of the completion (INFO when none)
    input: Any
    output: Any
    error: str | None


class Model(Protocol[S, I, O]):
    """A sequential specification: see the module rules."""

    name: str

    def init(self) -> S:
        """The state before any operation."""
        ...

    def step(self, state: S, input: I, output: O) -> tuple[bool, S]:
        """Whether ``output`` is legal for ``input`` in ``state``, and the next state."""
        ...

    def prepare(self, op: OpLike) -> tuple[I, O] | None:
        """``(input, output)`` of a paired operation, or None to drop it. Raises ModelError."""
        ...

    def partition(self, ops: Sequence[OpLike]) -> list[tuple[str, list[int]]]:
        """Independent parts as ``(label, indexes into ops)``, in a deterministic order."""
        ...

    def describe_op(self, input: I, output: O) -> str:
        """One line, e.g. ``cas 1->2`` or ``read -> 3``."""
        ...

    def describe_state(self, state: S) -> str:
        """One line, e.g. ``"abc"`` or ``null``."""
        ...
