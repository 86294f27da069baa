"""Watch guarantees (etcd's robustness-test set, for v2 long-poll watches), checked per watch op.

Rules (vocabulary: checkers/vocab.py; each ``watch`` op returns the first matching event at or after its
``waitIndex``; writes carry their etcd index as ``"index"`` on the ok line):
  filter      the event matches the watch (key == P; recursive: under P/; or a delete/expire of a directory
              that contains P)
  resumable   the event's modifiedIndex >= waitIndex
  reliable    no acknowledged matching write has an index in [waitIndex, modifiedIndex): it would have been
              the first matching event, so it was skipped
  ordered     per watcher (``"watcher"``, else process), successive events' modifiedIndex never decrease
  unique      ... and never repeat
  content     an event at an index an acknowledged write got has that write's key (and value for
              write/cas/register); a refresh (heartbeat, lock refresh) is never delivered
  atomic, bookmarkable: one event per index and no bookmarks in v2, so they hold trivially (reported).
- Values compare as etcd stores them (strings): the history's 7 equals the event's "7".
- Events at indexes no acknowledged write got (info writes, TTL expiry, internal) are accepted unchecked.
- ``fail`` watches (``401`` history cleared, ``closed``) and info watches constrain nothing.
"""

from __future__ import annotations

import bisect
from typing import Any

from checkers.history import Op
from checkers.registry import checker
from checkers.result import CheckResult, Verdict
from checkers.vocab import (
    ADD, APPEND, ENQUEUE, ERR_HISTORY_CLEARED, EXTRA_INDEX, EXTRA_WATCHER, HEARTBEAT, LOCK_REFRESH, REGISTER,
    WATCH, Call, pair_calls, skipped, timed,
)

__all__ = ["GUARANTEES", "WatchChecker", "check_watch", "matches", "same_value"]

NAME = "watch"
GUARANTEES = ("filter", "resumable", "reliable", "ordered", "unique", "content")
_VALUED = {"write": lambda v: v, "cas": lambda v: v[1] if isinstance(v, list) and len(v) == 2 else None,
           REGISTER: lambda v: v.get("value") if isinstance(v, dict) else None}
_KEYED = {"write", "cas", "delete", REGISTER, "deregister", APPEND, "acquire", "campaign", "release", "resign"}


def same_value(a: Any, b: Any) -> bool:
    """etcd values are strings: a history may record the int 7 for the stored "7"."""
    return a == b or (a is not None and b is not None and str(a) == str(b))


def matches(watch_key: str, recursive: bool, event_key: str, action: str | None = None) -> bool:
    """Does an event on ``event_key`` match a watch on ``watch_key`` (spec §7)?"""
    if event_key == watch_key:
        return True
    p = watch_key.rstrip("/")
    if recursive and event_key.startswith(p + "/"):
        return True
    return action in ("delete", "compareAndDelete", "expire") and watch_key.startswith(event_key.rstrip("/") + "/")


def _writes(calls: list[Call]) -> tuple[dict[int, tuple[str, bool, Any, Call]], dict[int, Call]]:
    """index -> (key, value_known, value, call) for acknowledged writes; index -> call for refreshes."""
    writes: dict[int, tuple[str, bool, Any, Call]] = {}
    refreshes: dict[int, Call] = {}
    for c in calls:
        idx = c.get(EXTRA_INDEX)
        if not c.is_ok or not isinstance(idx, int) or isinstance(idx, bool):
            continue
        if c.f in (HEARTBEAT, LOCK_REFRESH):
            refreshes[idx] = c
        elif c.f in (ADD, ENQUEUE):
            writes[idx] = (f"{c.key.rstrip('/')}/{idx:020d}", False, None, c)
        elif c.f in _KEYED:
            if c.f in _VALUED:
                writes[idx] = (c.key, True, _VALUED[c.f](c.inv.value), c)
            else:
                writes[idx] = (c.key, c.f == "delete", None, c)
    return writes, refreshes


def check_watch(ops: list[Op]) -> CheckResult:
    """Check every watch op against the acknowledged writes (pure; see module rules)."""
    calls = pair_calls(ops)
    watches = [c for c in calls if c.f == WATCH]
    if not watches:
        return skipped(NAME, "watch")
    writes, refreshes = _writes(calls)
    windex = sorted(writes)
    spec_idx: dict[tuple[str, bool], list[int]] = {}
    counts = {g: 0 for g in GUARANTEES}
    first: dict[str, dict[str, Any]] = {}

    def bad(g: str, msg: str, *cs: Call) -> None:
        counts[g] += 1
        if g not in first:
            first[g] = {"message": msg, "ops": [c.to_json() for c in cs]}

    last_by_watcher: dict[Any, Call] = {}
    events = cleared = 0
    for w in watches:
        if w.type.value == "fail" and w.comp is not None and w.comp.error == ERR_HISTORY_CLEARED:
            cleared += 1
        if not w.is_ok:
            continue
        arg = w.inv.value if isinstance(w.inv.value, dict) else {}
        since = arg.get("waitIndex") or 0
        rec = bool(arg.get("recursive"))
        ev = w.value
        if not isinstance(ev, dict) or not isinstance(ev.get("modifiedIndex"), int) or not isinstance(ev.get("key"), str):
            bad("content", f"watch result is not an event: {ev!r}", w)
            continue
        events += 1
        m, ekey, action = ev["modifiedIndex"], ev["key"], ev.get("action")
        if not matches(w.key, rec, ekey, action):
            bad("filter", f"watch on {w.key} (recursive={rec}) got an event on {ekey}", w)
        if since and m < since:
            bad("resumable", f"watch from waitIndex {since} got an event at {m}", w)
        spec = (w.key, rec)
        if spec not in spec_idx:
            spec_idx[spec] = [i for i in windex if matches(w.key, rec, writes[i][0], "delete" if writes[i][3].f == "delete" else None)]
        idxs = spec_idx[spec]
        j = bisect.bisect_left(idxs, since)
        if j < len(idxs) and idxs[j] < m:
            bad("reliable", f"watch from waitIndex {since} got index {m} but skipped acknowledged write at {idxs[j]}",
                w, writes[idxs[j]][3])
        if m in refreshes:
            bad("content", f"a refresh (index {m}) was delivered to a watcher", w, refreshes[m])
        elif m in writes:
            key, known, value, wc = writes[m]
            if key != ekey or (known and action not in ("delete", "expire", "compareAndDelete") and not same_value(ev.get("value"), value)):
                bad("content", f"event at {m} is {ekey}={ev.get('value')!r} but the write at {m} was {key}={value!r}", w, wc)
        wid = w.get(EXTRA_WATCHER, ("process", w.inv.process))
        prev = last_by_watcher.get(wid)
        if prev is not None:
            pm = prev.value["modifiedIndex"]
            if m < pm:
                bad("ordered", f"watcher {wid} got index {m} after {pm}", prev, w)
            elif m == pm:
                bad("unique", f"watcher {wid} got index {m} twice", prev, w)
        last_by_watcher[wid] = w
    details: dict[str, Any] = {"watch_ops": len(watches), "events": events, "history_cleared": cleared,
                               "acknowledged_writes_with_index": len(writes),
                               "guarantees": {g: ("violated" if counts[g] else "holds") for g in GUARANTEES}
                               | {"atomic": "n/a (v2: one event per index)", "bookmarkable": "n/a (v2)"}}
    if first:
        details["violations"] = {g: n for g, n in counts.items() if n}
        details["counterexamples"] = first
        g = next(g for g in GUARANTEES if g in first)
        return CheckResult(checker=NAME, verdict=Verdict.ILLEGAL, summary=f"{g}: {first[g]['message']}", details=details)
    return CheckResult(checker=NAME, verdict=Verdict.OK, summary=f"{events} event(s) in {len(watches)} watch op(s) keep the guarantees",
                       details=details)


@checker()
class WatchChecker:
    """Watch guarantees on history.jsonl."""

    name = NAME

    def check(self, run: Any) -> CheckResult:
        return timed(NAME, check_watch, run)
