"""Hypothesis strategies for the fuzz suite: schedule values, and mutations of real input files.

Rules:
- Mutations start from real, valid inputs (a run directory made once per session) so most examples get
  past the first checks and reach the deep readers: byte flips, truncation, inserted and deleted bytes,
  deleted keys, wrong types, huge numbers, NaN and infinities, deep nesting, unicode (lone surrogates,
  NUL, right-to-left marks).
- Everything here is a pure strategy: no files, no runs.
"""

from __future__ import annotations

import json
import math
from typing import Any

from hypothesis import strategies as st

import sim
from scenarios import bugzoo_catalog as Z
from scenarios import nemesis as N

__all__ = ["HOSTILE_JSON", "SCHEDULES", "bytes_mutated", "json_mutated", "jsonl_mutated", "schedule_texts",
           "scenario_texts", "set_items", "text_mutated"]

# ---------------------------------------------------------------- schedule values (every constructor)

_NODES = st.sampled_from(["n1", "n2", "n3", "n4", "n5"])
_SECONDS = st.floats(0.0, 1000.0, allow_nan=False) | st.integers(0, 1000)
_SIGNED = st.floats(-1000.0, 1000.0, allow_nan=False) | st.integers(-1000, 1000)
_PROB = st.floats(0.0, 1.0) | st.sampled_from([0, 1])
_NS = st.integers(0, 10**12)
_LATENCY = st.recursive(
    st.builds(sim.Constant, _NS) | _NS.flatmap(lambda lo: st.builds(sim.Uniform, st.just(lo), st.integers(lo, lo + 10**9)))
    | st.builds(sim.Normal, _NS, _NS) | st.builds(sim.Exponential, st.integers(1, 10**12)),
    lambda inner: st.builds(sim.LongTail, inner, inner, _PROB), max_leaves=3)
_PAIR = st.tuples(_NODES, _NODES).filter(lambda p: p[0] != p[1])
_FAULT = st.one_of(
    st.builds(sim.Heal), st.builds(sim.Crash, node=_NODES, lose_unsynced=st.booleans()),
    st.builds(sim.Restart, node=_NODES), st.builds(sim.Pause, node=_NODES), st.builds(sim.Resume, node=_NODES),
    _PAIR.map(lambda p: sim.Block(src=p[0], dst=p[1])),
    st.permutations(["n1", "n2", "n3", "n4", "n5"]).flatmap(
        lambda ns: st.integers(1, 4).map(lambda k: sim.Partition(groups=(tuple(ns[:k]), tuple(ns[k:]))))),
    st.builds(sim.Grudge, blocked=st.lists(_PAIR, max_size=4).map(tuple), label=st.text(max_size=8)),
    st.builds(sim.ClockJump, node=_NODES, delta_ns=st.integers(-10**15, 10**15)),
    st.builds(sim.ClockSkew, node=_NODES, offset_ns=st.integers(-10**15, 10**15)),
    st.builds(sim.ClockDrift, node=_NODES, ppm=st.integers(-999_999, 10**6)),
    st.builds(sim.LinkFaults, loss=_PROB, dup=_PROB, reorder=_PROB, latency=st.none() | _LATENCY,
              reorder_delay=_LATENCY, src=st.none() | _NODES, dst=st.none() | _NODES),
    st.builds(sim.DiskFaults, node=_NODES, torn_writes=st.booleans(), partial_loss=st.booleans(),
              fsync_latency=st.none() | _LATENCY),
)
_LEAF_ACTION = st.one_of(
    st.builds(N.do, _FAULT), st.sampled_from(["majority", "isolate", "one-way", "halves", "bridge", "ring",
                                              "majorities-ring", "minority-third"]).map(N.partition),
    *[st.just(fn()) for fn in (N.isolate_leader, N.leader_minority, N.one_way_leader, N.heal_all, N.do_heal,
                               N.torn_writes, N.member_churn, Z.isolate_follower)],
    *[st.builds(fn, _SECONDS) for fn in (N.kill_leader, N.kill_random, N.pause_leader, N.pause_random,
                                         N.pause_client, N.power_failure)],
    st.builds(N.clock_bump, _SECONDS, leader=st.booleans()),
    st.builds(N.clock_strobe, _SIGNED, st.integers(0, 50), _SECONDS),
    st.builds(N.clock_drift, st.integers(0, 999_999), leader=st.booleans()),
    st.builds(N.loss_burst, _PROB, _PROB, _SECONDS),
    st.builds(Z.jump_leader, _SIGNED), st.builds(Z.drift_leader, st.integers(-999_999, 10**6)),
)
_ACTION = st.recursive(_LEAF_ACTION, lambda inner: st.lists(inner, min_size=1, max_size=3).flatmap(
    lambda acts: st.sampled_from([N.one_of(*acts), N.all_of(*acts)])), max_leaves=6)
_DELAY = st.tuples(_SECONDS, _SECONDS).map(lambda t: (min(t), max(t)))
_LEAF_SCHEDULE = st.one_of(
    st.just(N.NONE), st.builds(N.at, _SECONDS, _ACTION),
    st.builds(N.every, st.floats(0.001, 100.0) | st.integers(1, 100), _ACTION, start_s=_SECONDS,
              jitter=st.floats(0.0, 1.0)),
    st.builds(lambda p, acts, s: N.cycle(p, *acts, start_s=s), st.floats(0.001, 100.0),
              st.lists(_ACTION, min_size=1, max_size=3), _SECONDS),
    st.builds(N.on, st.sampled_from(["become-leader", "crash", "vote"]), _ACTION, delay_ms=_DELAY, p=_PROB,
              nth=st.integers(0, 9)),
)
SCHEDULES = st.recursive(_LEAF_SCHEDULE, lambda inner: st.one_of(
    st.lists(inner, max_size=3).map(lambda ss: N.mix(*ss)),
    st.lists(st.tuples(_SECONDS, inner), max_size=3).map(lambda ps: N.phases(*ps))), max_leaves=8)



# ---------------------------------------------------------------- hostile values

_DEEP = 50_000
HOSTILE_JSON: list[Any] = [
    None, True, False, 0, -1, 1, 2**63, -(2**63) - 1, 10**30, 10**300, 1e308, -1e308, 5e-324, math.nan, math.inf,
    -math.inf, 0.5, -0.0, "", "x", "n1", "\u202e\x00\udcff\U0010ffff", "a" * 100_000, [], {}, [1, 2, 3],
    {"a": 1}, {"kind": None, "t": "x"}, json.loads("[" * 40 + "]" * 40),
]
_HOSTILE_TEXT = ["nan", "NaN", "inf", "-inf", "1e309", "-0", "0x10", "1_000", "9" * 5000, "", " ", "=", "==",
                 "true", "True", "None", "null", "\x00", "\udcff", "\u202e", "é", "🙂", "[" * 1000, "'", '"', "\\",
                 "-1", "1e-400", "2.5", "1,2", "B03", "B99", "B03,B03", "register", "quorum", "a" * 10_000]


def _json_text(value: Any) -> str:
    return json.dumps(value, allow_nan=True)


# ---------------------------------------------------------------- byte and text mutations

def bytes_mutated(base: bytes, max_ops: int = 4) -> st.SearchStrategy[bytes]:
    """``base`` with 1..max_ops byte-level edits."""
    n = len(base)
    pos = st.integers(0, max(0, n))
    op = st.one_of(
        st.tuples(st.just("flip"), pos, st.integers(0, 255)),
        st.tuples(st.just("truncate"), pos, st.just(0)),
        st.tuples(st.just("insert"), pos, st.binary(min_size=1, max_size=16)),
        st.tuples(st.just("insert"), pos, st.sampled_from([b"\x00", b"\xff\xfe", b"\xed\xb3\xbf", b"\n", b"\n\n",
                                                           b"[" * 100_000, b"{", b"}", b",", b'"', b"NaN"])),
        st.tuples(st.just("delete"), pos, st.integers(1, 64)),
        st.tuples(st.just("repeat"), pos, st.integers(1, 512)),
    )

    def apply(ops: list[tuple[str, int, Any]]) -> bytes:
        data = bytearray(base)
        for kind, at, arg in ops:
            at = min(at, len(data))
            if kind == "flip" and at < len(data):
                data[at] = arg
            elif kind == "truncate":
                del data[at:]
            elif kind == "insert":
                data[at:at] = arg
            elif kind == "delete":
                del data[at:at + arg]
            elif kind == "repeat":
                data[at:at] = data[at:at + arg]
        return bytes(data)

    return st.lists(op, min_size=1, max_size=max_ops).map(apply)


def text_mutated(base: str, max_ops: int = 4) -> st.SearchStrategy[str]:
    """``base`` with character-level edits, and tokens that matter to a parser spliced in."""
    tokens = st.sampled_from(["(", ")", ",", "=", "-", ".", "[", "]", "*", "**", ":", "'", '"', "\\", " ", "F.",
                              "__class__", "_x", "lambda: ", "0", "1e999", "nan", "None", "True", "f'{1}'",
                              "NONE", "mix(", "at(", "do(", "x := ", "\x00", "\udcff", "🙂", "1" * 400])
    pos = st.integers(0, len(base))
    op = st.one_of(st.tuples(st.just("insert"), pos, tokens | st.text(min_size=1, max_size=8)),
                   st.tuples(st.just("delete"), pos, st.integers(1, 20)),
                   st.tuples(st.just("truncate"), pos, st.just(0)),
                   st.tuples(st.just("repeat"), pos, st.integers(1, 200)))

    def apply(ops: list[tuple[str, int, Any]]) -> str:
        s = base
        for kind, at, arg in ops:
            at = min(at, len(s))
            if kind == "insert":
                s = s[:at] + arg + s[at:]
            elif kind == "delete":
                s = s[:at] + s[at + arg:]
            elif kind == "truncate":
                s = s[:at]
            else:
                s = s[:at] + s[at:at + arg] * 3 + s[at + arg:]
        return s

    return st.lists(op, min_size=1, max_size=max_ops).map(apply)


# ---------------------------------------------------------------- JSON mutations

def _paths(doc: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(doc, dict):
        for k in doc:
            out += _paths(doc[k], (*prefix, k))
    elif isinstance(doc, list):
        for i, v in enumerate(doc[:20]):
            out += _paths(v, (*prefix, i))
    return out


def _set(doc: Any, path: tuple[Any, ...], value: Any, *, delete: bool = False) -> Any:
    if not path:
        return value
    doc = json.loads(json.dumps(doc))  # a copy
    cur = doc
    for k in path[:-1]:
        cur = cur[k]
    if delete:
        del cur[path[-1]]
    else:
        cur[path[-1]] = value
    return doc


_RANDOM_JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
                            lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                                         max_size=4),
                            max_leaves=10)


def json_mutated(doc: Any) -> st.SearchStrategy[str]:
    """JSON text of ``doc`` with a key deleted or a value replaced (hostile, wrong-typed or random), or
    deeply nested, or another value's type swapped in."""
    paths = _paths(doc)
    pick = st.sampled_from(paths)
    replace = st.tuples(pick, st.sampled_from(HOSTILE_JSON) | _RANDOM_JSON).map(lambda t: _json_text(_set(doc, *t)))
    delete = st.sampled_from([p for p in paths if p] or [()]).map(
        lambda p: _json_text(_set(doc, p, None, delete=bool(p))))
    deep = pick.map(lambda p: _json_text(_set(doc, p, "\x00DEEP\x00")).replace(
        '"\\u0000DEEP\\u0000"', "[" * _DEEP + "]" * _DEEP))
    return st.one_of(replace, delete, deep)


def jsonl_mutated(lines: list[str], max_ops: int = 3) -> st.SearchStrategy[bytes]:
    """A JSON-lines file with lines deleted, duplicated, swapped, replaced by junk or JSON-mutated, or the
    whole file mutated byte by byte."""
    n = len(lines)
    idx = st.integers(0, n - 1)
    op = st.one_of(
        st.tuples(st.just("delete"), idx, st.none()),
        st.tuples(st.just("dup"), idx, st.none()),
        st.tuples(st.just("swap"), idx, idx),
        st.tuples(st.just("junk"), idx, st.sampled_from(["", "{", "[]", "null", "1", '"x"', "{}", "\x00",
                                                         "[" * 100_000, '{"t": NaN}', "\udcff"])),
        idx.flatmap(lambda i: st.tuples(st.just("json"), st.just(i), json_mutated(json.loads(lines[i])))),
    )

    def apply(ops: list[tuple[str, int, Any]]) -> bytes:
        out = list(lines)
        for kind, i, arg in ops:
            if not out:
                break
            i = min(i, len(out) - 1)
            if kind == "delete":
                del out[i]
            elif kind == "dup":
                out.insert(i, out[i])
            elif kind == "swap":
                j = min(arg, len(out) - 1)
                out[i], out[j] = out[j], out[i]
            else:
                out[i] = arg
        return "".join(line + "\n" for line in out).encode("utf-8", "surrogatepass")

    whole = bytes_mutated("".join(line + "\n" for line in lines).encode("utf-8"))
    return st.one_of(st.lists(op, min_size=1, max_size=max_ops).map(apply), whole)


# ---------------------------------------------------------------- texts for the parsers

_SOUP_TOKENS = ["(", ")", ",", "=", "-", "[", "]", "*", ":", ".", "F", "NONE", "None", "True", "1", "0.5", "-2", "1e999",
                "'n1'", "'become-leader'", "''", "__class__", "_", "lambda", "x", "Scenario", "dict", "steady",
                *sorted(n for n in ("at", "every", "cycle", "mix", "phases", "on", "one_of", "all_of", "do",
                                    "partition", "isolate_leader", "kill_leader", "heal_all", "do_heal",
                                    "clock_strobe", "loss_burst", "jump_leader")),
                "F.Crash", "F.Partition", "F.LinkFaults", "Uniform", "node", "groups", "start_s", "delay_ms",
                "nth", "p", "open", "exec", "__import__"]


def _soup() -> st.SearchStrategy[str]:
    return st.lists(st.sampled_from(_SOUP_TOKENS), max_size=40).map(" ".join)


def schedule_texts() -> st.SearchStrategy[str]:
    """Reprs of real schedules, mutated; token soup; and arbitrary text."""
    return st.one_of(SCHEDULES.map(repr), SCHEDULES.map(repr).flatmap(text_mutated), _soup(),
                     st.text(max_size=200))


def scenario_texts(base_repr: str) -> st.SearchStrategy[str]:
    return st.one_of(st.just(base_repr), text_mutated(base_repr), _soup().map(lambda s: f"Scenario({s})"),
                     st.text(max_size=200))


def set_items(known: list[str]) -> st.SearchStrategy[list[str]]:
    """``--set`` arguments: known and unknown keys, hostile and random values, missing '='."""
    key = st.sampled_from(known) | st.text(max_size=10)
    value = st.sampled_from(_HOSTILE_TEXT) | st.text(max_size=20) | st.integers().map(str) | st.floats().map(repr)
    item = st.one_of(st.tuples(key, value).map(lambda kv: f"{kv[0]}={kv[1]}"), st.text(max_size=20),
                     SCHEDULES.map(lambda s: f"schedule={s!r}"))
    return st.lists(item, max_size=4)
