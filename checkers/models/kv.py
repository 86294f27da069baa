"""The ``kv`` model of shared/formats/history.md: independent registers with read, write, cas, append, delete.

Rules:
- One register per key (``partition`` splits by key); a key never written, or deleted, holds ``null``.
- Values are compared with JSON equality: ``freeze`` makes them hashable (lists -> tuples, objects -> sorted
  item tuples) and keeps booleans apart from numbers (in Python ``True == 1``); an integral float equals its int.
- ``write``/``cas``/``append`` take their operand from the invoke; their ``ok`` value is not checked.
- ``append`` on a value that is neither null nor a string is illegal (there is nothing to concatenate to).
- A ``fail`` never took effect and is dropped, except a ``cas`` failed with ``error: "compare-failed"``: we use
  that observation. It becomes a ``cas-differs`` step, legal iff the value differs from ``expected`` and
  changing nothing, linearized like a read somewhere between invoke and completion.
- An ``info`` read is dropped (it observed nothing we know); other ``info`` ops may take effect or not.
- ``canonical``: within one key, a string value that is a prefix of no observed value (a read's result, a
  cas's expected value) can never be read or compared equal again, and appends keep it so: every op treats
  all such values alike (reads and cas fail, cas-differs holds, write/delete replace it). They become one
  ``Unread`` state, so the search does not carry every order of appends that no read saw.
"""

from __future__ import annotations

import json
from bisect import bisect_left
from collections.abc import Callable, Sequence
from typing import Any

from checkers.history import OpType
from checkers.model import ModelError, OpLike
from checkers.models import appendlog

__all__ = ["KV", "KV_FS", "KvModel", "Unread", "freeze", "thaw"]

KV_FS = ("read", "write", "cas", "append", "delete")
COMPARE_FAILED = "compare-failed"
_KV_FS = frozenset(KV_FS)
_OK, _FAIL = OpType.OK, OpType.FAIL
_READ, _DELETE = ("read", None), ("delete", None)


class _Bool:
    """A JSON boolean, hashable and unequal to 0/1."""

    __slots__ = ("value",)

    def __init__(self, value: bool) -> None:
        self.value = value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Bool) and other.value == self.value

    def __hash__(self) -> int:
        return 7919 + self.value

    def __repr__(self) -> str:
        return "true" if self.value else "false"


_TRUE, _FALSE = _Bool(True), _Bool(False)


class _Obj(tuple):  # type: ignore[type-arg]
    """A frozen JSON object: sorted (key, frozen value) pairs; a distinct type so it never equals a list."""

    __slots__ = ()

    def __eq__(self, other: object) -> bool:
        return type(other) is _Obj and tuple.__eq__(self, other)

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)

    def __hash__(self) -> int:
        return tuple.__hash__(self) ^ 0x5A5A


class Unread:
    """A string no later observation can match (see ``KvModel.canonical``); all are equal. ``value`` is one
    of them, kept for explanations."""

    __slots__ = ("value",)

    def __init__(self, value: str) -> None:
        self.value = value

    def __eq__(self, other: object) -> bool:
        return type(other) is Unread

    def __hash__(self) -> int:
        return 0x0B5E7

    def __repr__(self) -> str:
        return f"Unread({self.value!r})"


def freeze(v: Any) -> Any:
    """A hashable stand-in for a JSON value with JSON equality."""
    t = type(v)
    if t is str or t is int or v is None:
        return v
    if t is bool:
        return _TRUE if v else _FALSE
    if t is float:
        return int(v) if v.is_integer() else v
    if t is list or t is tuple:
        return tuple(freeze(x) for x in v)
    if t is dict:
        return _Obj(sorted((str(k), freeze(x)) for k, x in v.items()))
    raise ModelError(f"not a JSON value: {v!r}")


def thaw(v: Any) -> Any:
    """The JSON value of a frozen one."""
    if isinstance(v, _Bool):
        return v.value
    if isinstance(v, _Obj):
        return {k: thaw(x) for k, x in v}
    if isinstance(v, tuple):
        return [thaw(x) for x in v]
    return v


class KvModel:
    """Independent registers; inputs are ``(f, operand)`` tuples, outputs the frozen read value or None."""

    name = "kv"

    def init(self) -> Any:
        return None

    def step(self, state: Any, input: tuple[str, Any], output: Any) -> tuple[bool, Any]:
        f, arg = input
        if f == "read":
            return state == output, state
        if f == "write":
            return True, arg
        if f == "cas":
            if state == arg[0]:
                return True, arg[1]
            return False, state
        if f == "append":
            if state is None:
                return True, arg
            if type(state) is str:
                return True, state + arg
            if type(state) is Unread:
                return True, state
            return False, state
        if f == "delete":
            return True, None
        if f == "cas-differs":
            return state != arg, state
        raise ModelError(f"unknown kv input {input!r}")

    def read_only(self, input: tuple[str, Any]) -> bool:
        """Whether ``step`` never changes the state for ``input`` (lets the checker linearize it eagerly)."""
        return input[0] == "read" or input[0] == "cas-differs"

    def relevant_states(self, input: tuple[str, Any], output: Any) -> frozenset[Any] | None:
        """States outside which ``step`` is illegal or ignores the state; None: every state matters."""
        f, arg = input
        if f == "read":
            return frozenset((output,))
        if f == "cas":
            return frozenset((arg[0],))
        if f == "write" or f == "delete":
            return frozenset()
        return None  # append builds on any state; cas-differs is legal in all states but one

    def canonical(self, items: Sequence[tuple[tuple[str, Any], Any]]) -> Callable[[Any], Any] | None:
        """For one key: a state -> the ``Unread`` state if it is a string that no read or compare of the key
        could see again (a prefix of no observed string, so appends cannot fix it), else the state itself."""
        seen: set[str] = set()
        for (f, arg), out in items:
            v = out if f == "read" else arg[0] if f == "cas" else arg if f == "cas-differs" else None
            if type(v) is str:
                seen.add(v)
        observed = sorted(seen)
        n = len(observed)
        cache: dict[str, Any] = {}

        def canon(state: Any) -> Any:
            if type(state) is not str:
                return state
            got = cache.get(state)
            if got is None:
                i = bisect_left(observed, state)
                got = cache[state] = state if i < n and observed[i].startswith(state) else Unread(state)
            return got

        return canon

    def prepare(self, op: OpLike) -> tuple[tuple[str, Any], Any] | None:
        f = op.f
        typ = op.type
        if f == "read" and typ is _OK:  # the commonest op first
            out = op.output
            return _READ, out if type(out) is str or out is None else freeze(out)
        if f not in _KV_FS:
            raise ModelError(f"unknown f {f!r} for model kv (expected one of {', '.join(KV_FS)})")
        if typ is _FAIL:
            if f == "cas" and op.error == COMPARE_FAILED:
                return ("cas-differs", self._cas_operand(op.input)[0]), None
            return None
        if f == "read":
            return None  # an info read observed nothing we know
        if f == "write":
            return ("write", freeze(op.input)), None
        if f == "cas":
            return ("cas", self._cas_operand(op.input)), None
        if f == "append":
            if type(op.input) is not str:
                raise ModelError(f"append value must be a string, got {json.dumps(op.input)}")
            return ("append", op.input), None
        return _DELETE, None

    def decide(self, items: Sequence[tuple[tuple[str, Any], Any]], returns: Sequence[bool],
               events: Sequence[tuple[int, int]]) -> bool:
        """True when a key of unique appended tokens is proven linearizable without a search
        (checkers.models.appendlog); False: search it."""
        return appendlog.decide(items, returns, events)

    def unobserved_info(self, ops: Sequence[tuple[tuple[tuple[str, Any], Any], bool]]) -> set[int]:
        """Indexes of info write/append/cas ops of one key whose effect nothing observed.

        Such an op may be taken never to have happened: if it did, no read returned its value or a
        state containing it, and no compare expected it. Conservative: a string value counts as
        observed if it is a substring of any observed string (appends, prefixes), and a key with a
        ``compare-failed`` observation is not pruned (an unobserved write can explain one).
        """
        observed: list[Any] = []
        for (inp, out), _ in ops:
            kind = inp[0]
            if kind == "cas-differs":
                return set()
            if kind == "read":
                observed.append(out)
            elif kind == "cas":
                observed.append(inp[1][0])  # the expected value was observed if the cas took effect
        texts = [o for o in observed if isinstance(o, str)]
        # A key holding only appends (and reads) of ";"-terminated tokens (checkers/vocab.py): a token
        # that took effect starts the value or follows a ";", so match it at those boundaries only.
        tokens_only = all(inp[0] in ("read", "append") for (inp, _), _ in ops) and all(
            isinstance(inp[1], str) and inp[1].endswith(";") for (inp, _), _ in ops if inp[0] == "append")
        seen = set()
        for o in observed:
            try:
                seen.add(o)
            except TypeError:  # unhashable frozen value: compare by equality below
                pass

        tokens: set[str] = set()  # tokens-only key: every token some read holds
        if tokens_only:
            # A read that is a prefix of a longer one holds no token the longer one lacks: tokenize only
            # the maximal reads (one, when the reads agree), not every read (quadratic in the history).
            maximal: list[str] = []
            for t in sorted(set(texts), key=len, reverse=True):
                if not any(m.startswith(t) for m in maximal):
                    maximal.append(t)
                    tokens.update(x + ";" for x in t.split(";")[:-1])

        def is_observed(v: Any) -> bool:
            try:
                if v in seen:
                    return True
            except TypeError:
                if any(v == o for o in observed):
                    return True
            if not isinstance(v, str):
                return False
            if tokens_only:
                if v.count(";") == 1:
                    return v in tokens
                return any(t.startswith(v) or ";" + v in t for t in texts)
            return any(v in t for t in texts)

        drop: set[int] = set()
        for j, ((inp, _), is_info) in enumerate(ops):
            if not is_info:
                continue
            kind = inp[0]
            if kind in ("write", "append") and not is_observed(inp[1]):
                drop.add(j)
            elif kind == "cas" and not is_observed(inp[1][1]):
                drop.add(j)
        return drop

    @staticmethod
    def _cas_operand(v: Any) -> tuple[Any, Any]:
        if type(v) is not list and type(v) is not tuple or len(v) != 2:
            raise ModelError(f"cas value must be [expected, new], got {json.dumps(v)}")
        return freeze(v[0]), freeze(v[1])

    def partition(self, ops: Sequence[OpLike]) -> list[tuple[str, list[int]]]:
        parts: dict[str, list[int]] = {}
        for i, op in enumerate(ops):
            parts.setdefault(op.key, []).append(i)
        return sorted(parts.items())

    def describe_op(self, input: tuple[str, Any], output: Any) -> str:
        f, arg = input
        if f == "read":
            return f"read -> {self.describe_state(output)}"
        if f == "cas":
            return f"cas {self.describe_state(arg[0])} -> {self.describe_state(arg[1])}"
        if f == "cas-differs":
            return f"cas failed: value != {self.describe_state(arg)}"
        if f == "delete":
            return "delete"
        return f"{f} {self.describe_state(arg)}"

    def describe_state(self, state: Any) -> str:
        if type(state) is Unread:
            return f"{json.dumps(state.value)} or another value no read sees"
        return json.dumps(thaw(state), sort_keys=True)


KV = KvModel()
