"""The parser of value reprs: text such as ``mix(at(1.0, kill_leader(0.5)), on('become-leader', ...))`` back
into values, without ever running code from the text.

Rules:
- Never ``eval``: the text is parsed (``ast.parse(mode="eval")``) and only these nodes are walked: a call of a
  name (or ``Owner.Name``) that is in the caller's table of constructors, with positional and keyword
  arguments; constants (str, int, float, bool, None), a minus sign on a number; tuples and lists (built as
  tuples); bare names that are in the caller's table of constants. Everything else -- attribute access
  other than a table entry, subscripts, lambdas, comprehensions, f-strings, operators, ``*args``/``**kw``,
  names starting with ``_`` -- is refused.
- Values are built only by calling the table's constructors, bottom-up; a constructor that refuses its
  arguments (TypeError, ValueError, our ConfigErrors) makes the whole text refused.
- Bounded: at most ``MAX_CHARS`` characters and ``MAX_DEPTH`` levels of nesting; the Python parser's own
  failures on hostile text (deep nesting: RecursionError, MemoryError) are caught.
- Every refusal is a ``scenarios.errors.ConfigError`` with a one-line message that quotes the start of the text.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Mapping
from typing import Any

from scenarios.errors import ConfigError

__all__ = ["MAX_CHARS", "MAX_DEPTH", "parse_repr"]

MAX_CHARS = 64 * 1024
MAX_DEPTH = 40  # the catalog's deepest schedule nests 6 levels; hunt's 5

_CONSTANT_TYPES = (str, int, float, bool, type(None))


class _Refused(Exception):
    """Internal: why the walk stopped (turned into one ConfigError line by ``parse_repr``)."""


def _quote(text: str) -> str:
    head = text[:60]
    return repr(head) + ("..." if len(text) > 60 else "")


def parse_repr(text: str, constructors: Mapping[str, Callable[..., Any]], *, constants: Mapping[str, Any] = {},
                what: str = "value") -> Any:
    """Build the value ``text`` spells, calling only ``constructors`` (keyed by ``"name"`` or ``"Owner.name"``).

    Args:
        text: a repr such as ``at(1.0, do(F.Heal()))``.
        constructors: the only callables the text may name.
        constants: bare names the text may use as values (e.g. ``NONE``).
        what: the noun for error messages ("schedule", "scenario").
    Raises:
        ConfigError: one line, for anything that is not a well-formed call of allowed constructors.
    """
    if not isinstance(text, str):
        raise ConfigError(f"{what}: expected text, got {type(text).__name__}")
    if len(text) > MAX_CHARS:
        raise ConfigError(f"{what} {_quote(text)}: {len(text):,} characters, more than the limit of {MAX_CHARS:,}")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as e:
        raise ConfigError(f"{what} {_quote(text)}: not a valid expression ({e.msg})") from None
    except UnicodeError:
        raise ConfigError(f"{what} {_quote(text)}: not valid text (unencodable characters)") from None
    except (RecursionError, MemoryError, ValueError, OverflowError):
        raise ConfigError(f"{what} {_quote(text)}: too deeply nested or too large to parse") from None
    try:
        return _Walk(constructors, constants).value(tree.body, 0)
    except _Refused as e:
        raise ConfigError(f"{what} {_quote(text)}: {e}") from None
    except RecursionError:
        raise ConfigError(f"{what} {_quote(text)}: too deeply nested") from None


class _Walk:
    def __init__(self, constructors: Mapping[str, Callable[..., Any]], constants: Mapping[str, Any]) -> None:
        self.constructors = constructors
        self.constants = constants

    def value(self, node: ast.AST, depth: int) -> Any:
        if depth > MAX_DEPTH:
            raise _Refused(f"nested more than {MAX_DEPTH} levels deep")
        match node:
            case ast.Constant(value=v) if isinstance(v, _CONSTANT_TYPES):
                return v
            case ast.Constant(value=v):
                raise _Refused(f"{type(v).__name__} constants are not allowed")
            case ast.UnaryOp(op=ast.USub(), operand=ast.Constant(value=v)) if (
                    isinstance(v, (int, float)) and not isinstance(v, bool)):
                return -v
            case ast.Tuple(elts=elts) | ast.List(elts=elts):
                return tuple(self.value(e, depth + 1) for e in elts)
            case ast.Name(id=name):
                _check_name(name)
                if name not in self.constants:
                    raise _Refused(f"unknown name {name!r}")
                return self.constants[name]
            case ast.Call():
                return self.call(node, depth)
            case ast.Attribute():
                raise _Refused(f"attribute access {_dotted(node)!r} is not allowed")
            case _:
                raise _Refused(f"{_describe(node)} is not allowed")

    def call(self, node: ast.Call, depth: int) -> Any:
        name = _callee(node.func)
        fn = self.constructors.get(name)
        if fn is None:
            raise _Refused(f"{name!r} is not a known constructor")
        args = []
        for a in node.args:
            if isinstance(a, ast.Starred):
                raise _Refused(f"*args in a call of {name} are not allowed")
            args.append(self.value(a, depth + 1))
        kwargs: dict[str, Any] = {}
        for kw in node.keywords:
            if kw.arg is None:
                raise _Refused(f"**kwargs in a call of {name} are not allowed")
            _check_name(kw.arg)
            if kw.arg in kwargs:
                raise _Refused(f"{name}: keyword {kw.arg!r} given twice")
            kwargs[kw.arg] = self.value(kw.value, depth + 1)
        try:
            return fn(*args, **kwargs)
        except (TypeError, ValueError, ArithmeticError) as e:  # our ConfigErrors are ValueErrors or caught below
            raise _Refused(f"{name}: {_one_line(e)}") from None
        except ConfigError as e:
            raise _Refused(_one_line(e)) from None


def _check_name(name: str) -> None:
    if name.startswith("_"):
        raise _Refused(f"name {name!r} is not allowed (no names starting with '_')")


def _callee(func: ast.AST) -> str:
    """``name`` or ``Owner.name``; nothing else can be called."""
    if isinstance(func, ast.Name):
        _check_name(func.id)
        return func.id
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
        _check_name(func.value.id)
        _check_name(func.attr)
        return f"{func.value.id}.{func.attr}"
    raise _Refused(f"only a named constructor can be called, not {_describe(func)}")


def _dotted(node: ast.Attribute) -> str:
    base = node.value.id if isinstance(node.value, ast.Name) else "..."
    return f"{base}.{node.attr}"


def _describe(node: ast.AST) -> str:
    return {
        "Subscript": "a subscript", "Lambda": "a lambda", "JoinedStr": "an f-string", "NamedExpr": "the walrus (:=)",
        "ListComp": "a comprehension", "SetComp": "a comprehension", "DictComp": "a comprehension",
        "GeneratorExp": "a comprehension", "BinOp": "an operator", "BoolOp": "an operator", "Compare": "a comparison",
        "IfExp": "a conditional", "Dict": "a dict literal", "Set": "a set literal", "Starred": "a starred value",
        "Attribute": "attribute access", "UnaryOp": "an operator other than '-' on a number",
        "Await": "await", "Yield": "yield", "YieldFrom": "yield",
    }.get(type(node).__name__, f"a {type(node).__name__} expression")


def _one_line(e: BaseException) -> str:
    text = " ".join(str(e).split())
    return text[:200] or type(e).__name__
