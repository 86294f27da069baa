"""Liveness: a leader soon after each heal, and operations complete soon after the last one.

Rules:
- From the trace's ``fault`` records (sim/faults.py names) we track which faults are in force: cuts
  (partition, grudge, block) until ``heal``; a crashed node until its ``restart``; a paused node until its
  ``resume``; link faults until a link-faults record with zero loss/dup/reorder and no latency for the same
  link. Clock and disk faults do not count (they matter to leases and TTLs, not to electing a leader).
  A *heal* is the moment the set becomes empty (heal_all's burst of records counts once, at its time);
  the start of the run is one too. After a heal, a *stable leader* exists once some live node is
  leader in the highest term any live node holds (``become-*``, ``crash``, ``restart``). Time-to-leader is
  measured for every heal that is not interrupted by another fault first; each must be <= leader_bound.
  A heal with no leader by the end of the trace is a violation only if the trace ran past the bound.
- From the history: after the last heal (if no fault follows it), every op invoked once the leader is
  stable (except long polls: ``watch``) must complete (ok or fail) within op_bound; an info completion or
  a pending op counts as not completing once op_bound has passed.
- Bounds come from run.json ``timing`` (E = election_timeout_ns, L = latency_mean_ns, default 0) unless run.json
  ``liveness`` overrides them: leader_bound = 10 E + 20 L, op_bound = leader_bound + 2 E + 20 L.
  Without timing the bounds are not judged (OK, details say so); distributions are always reported:
  time-to-leader, op latency (all ok ops), op latency after the last heal (p50/p90/p99/max, ns).
"""

from __future__ import annotations

import json
import time
from typing import Any

from checkers.history import HistoryError, Op, read_history
from checkers.result import CheckResult, Verdict
from checkers.vocab import LONG_POLL_FS, pair_calls, distribution, unknown

__all__ = ["FaultState", "LivenessChecker", "bounds_from_timing", "check_liveness", "faulty_periods", "leader_after_heals", "scan_trace"]

NAME = "liveness"
_KINDS = ("fault", "become-leader", "become-follower", "become-candidate", "become-pre-candidate", "crash", "restart")
_NEEDLES = tuple(f'"kind":"{k}"' for k in _KINDS)


def scan_trace(path: Any) -> list[dict[str, Any]]:
    """The trace records liveness and TTL need (fault, become-*, crash, restart) plus the last one.

    Lines are filtered by text before parsing (canonical JSON), so a 1e6-event trace costs one read.
    Raises HistoryError-like ValueError("line N: ...") on a bad line among those parsed.
    """
    out: list[dict[str, Any]] = []
    last_t = 0
    with open(path, encoding="utf-8") as f:
        for ln, line in enumerate(f, 1):
            if not line.strip():
                continue
            if any(n in line for n in _NEEDLES):
                try:
                    rec = json.loads(line)
                except json.JSONDecodeError as e:
                    raise ValueError(f"line {ln}: not JSON ({e.msg})") from None
                if not isinstance(rec, dict) or not isinstance(rec.get("t"), int):
                    raise ValueError(f"line {ln}: a trace record needs int 't'")
                rec["line"] = ln
                out.append(rec)
                last_t = max(last_t, rec["t"])
            else:
                i = line.find('"t":')
                if i >= 0:
                    j = i + 4
                    k = j
                    while k < len(line) and line[k].isdigit():
                        k += 1
                    if k > j:
                        last_t = max(last_t, int(line[j:k]))
    out.append({"kind": "trace-end", "t": last_t})
    return out


def bounds_from_timing(meta: dict[str, Any]) -> dict[str, int] | None:
    """{"leader_bound_ns", "op_bound_ns", "ttl_slack_ns"} from run.json, or None without timing."""
    timing = meta.get("timing") or {}
    over = meta.get("liveness") or {}
    e = timing.get("election_timeout_ns")
    if not isinstance(e, int):
        if {"leader_bound_ns", "op_bound_ns"} <= set(over):
            return {"leader_bound_ns": over["leader_bound_ns"], "op_bound_ns": over["op_bound_ns"],
                    "ttl_slack_ns": over.get("ttl_slack_ns", over["op_bound_ns"])}
        return None
    lat = timing.get("latency_mean_ns") or 0
    leader = over.get("leader_bound_ns", 10 * e + 20 * lat)
    op = over.get("op_bound_ns", leader + 2 * e + 20 * lat)
    slack = over.get("ttl_slack_ns", timing.get("ttl_sync_ns", 500_000_000) + 2 * e + 20 * lat)
    return {"leader_bound_ns": leader, "op_bound_ns": op, "ttl_slack_ns": slack}


class FaultState:
    """Which liveness-relevant faults are in force, fed ``fault`` records in order."""

    def __init__(self) -> None:
        self.cut = False
        self.down: set[str] = set()
        self.paused: set[str] = set()
        self.links: set[tuple[Any, Any]] = set()

    @property
    def is_faulty(self) -> bool:
        return bool(self.cut or self.down or self.paused or self.links)

    def step(self, rec: dict[str, Any]) -> None:
        name = rec.get("name")
        node = rec.get("node")
        if name == "heal":
            self.cut = False
        elif name in ("partition", "grudge", "block"):
            self.cut = True
        elif name == "crash":
            self.down.add(str(node))
        elif name == "restart":
            self.down.discard(str(node))
        elif name == "pause":
            self.paused.add(str(node))
        elif name == "resume":
            self.paused.discard(str(node))
        elif name == "link-faults":
            link = (rec.get("src"), rec.get("dst"))
            if any(rec.get(k) for k in ("loss", "dup", "reorder")) or rec.get("latency") is not None:
                self.links.add(link)
            elif link == (None, None):
                self.links.clear()  # the catch-all reset (heal_all) clears every link setting
            else:
                self.links.discard(link)


def faulty_periods(records: list[dict[str, Any]]) -> list[tuple[int, int | None]]:
    """[start, heal) periods with a liveness-relevant fault in force (end None: never healed)."""
    out: list[tuple[int, int | None]] = []
    st = FaultState()
    start = None
    for r in records:
        if r.get("kind") != "fault":
            continue
        st.step(r)
        if st.is_faulty and start is None:
            start = r["t"]
        elif not st.is_faulty and start is not None:
            out.append((start, r["t"]))
            start = None
    if start is not None:
        out.append((start, None))
    return out


def leader_after_heals(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """For t=0 and each heal: {"heal_t", "leader_t" (None if none), "leader", "interrupted" (bool)}."""
    role: dict[str, str] = {}
    term: dict[str, int] = {}
    alive: set[str] = set()
    faults = FaultState()
    pending: list[dict[str, Any]] = [{"heal_t": 0, "leader_t": None, "leader": None, "interrupted": False}]
    done: list[dict[str, Any]] = []

    def stable() -> str | None:
        live = [n for n in alive if n in term]
        if not live:
            return None
        top = max(term[n] for n in live)
        for n in sorted(live):
            if role.get(n) == "leader" and term[n] == top:
                return n
        return None

    for r in records:
        k, t = r.get("kind"), r.get("t", 0)
        if k == "fault":
            was = faults.is_faulty
            faults.step(r)
            if faults.is_faulty and not was:
                for p in pending:
                    p["interrupted"] = True
                done.extend(pending)
                pending = []
                continue
            if was and not faults.is_faulty:
                pending.append({"heal_t": t, "leader_t": None, "leader": None, "interrupted": False})
        elif k in ("crash", "restart"):
            n = str(r.get("node"))
            if k == "crash":
                alive.discard(n)
                role[n] = "down"
            else:
                alive.add(n)
                role[n] = "follower"
        elif isinstance(k, str) and k.startswith("become-"):
            n = str(r.get("node"))
            alive.add(n)
            role[n] = k.removeprefix("become-")
            if isinstance(r.get("term"), int):
                term[n] = r["term"]
        else:
            continue
        if pending:
            leader = stable()
            if leader is not None:
                for p in pending:
                    p["leader_t"], p["leader"] = t, leader
                done.extend(pending)
                pending = []
    done.extend(pending)
    return done


def check_liveness(records: list[dict[str, Any]], ops: list[Op] | None, bounds: dict[str, int] | None) -> CheckResult:
    """Judge time-to-leader after heals and op completion after the last heal (pure; see module rules)."""
    end_t = max((r.get("t", 0) for r in records), default=0)
    heals = leader_after_heals(records)
    ttl = [h["leader_t"] - h["heal_t"] for h in heals if h["leader_t"] is not None]
    problems: list[dict[str, Any]] = []
    lb = bounds["leader_bound_ns"] if bounds else None
    ob = bounds["op_bound_ns"] if bounds else None
    if lb is not None:
        for h in heals:
            if h["interrupted"] and h["leader_t"] is None:
                continue
            took = (h["leader_t"] if h["leader_t"] is not None else end_t) - h["heal_t"]
            if took > lb and (h["leader_t"] is not None or end_t - h["heal_t"] > lb):
                problems.append({"kind": "no-leader", "heal_t": h["heal_t"], "leader_t": h["leader_t"],
                                 "message": f"no stable leader within {lb} ns of the heal at {h['heal_t']}"
                                            + (f" (took {took})" if h["leader_t"] is not None else " (none by the end)")})
    calls = pair_calls(ops or [])
    ok_lat = [c.end - c.start for c in calls if c.is_ok and c.end is not None and c.f not in LONG_POLL_FS]
    periods = faulty_periods(records)
    last = heals[-1] if heals else None
    post: list[int] = []
    judged_ops = 0
    faults_at_end = bool(periods) and periods[-1][1] is None
    if last is not None and not faults_at_end and ops:
        hist_end = max((o.time or 0 for o in ops), default=0)
        ready = last["leader_t"] if last["leader_t"] is not None else last["heal_t"] + (lb or 0)
        for c in calls:
            if c.f in LONG_POLL_FS or c.start < ready:
                continue
            judged_ops += 1
            if c.end is not None:
                post.append(c.end - c.start)
                if ob is not None and c.end - c.start > ob:
                    problems.append({"kind": "slow-op", "message": f"op took {c.end - c.start} ns > {ob} after the last heal",
                                     "op": c.to_json()})
            elif ob is not None:
                waited = ((c.comp.time if c.comp is not None and c.comp.time is not None else hist_end) - c.start)
                if waited >= ob:
                    problems.append({"kind": "stuck-op", "message": f"op did not complete within {ob} ns after the last heal",
                                     "op": c.to_json()})
    details: dict[str, Any] = {
        "bounds": bounds if bounds else "not judged: no run.json timing",
        "heals": heals[:50],
        "time_to_leader_ns": distribution(ttl),
        "op_latency_ns": distribution(ok_lat),
        "op_latency_after_heal_ns": distribution(post),
        "ops_judged_after_heal": judged_ops,
        "faults_in_force_at_end": faults_at_end,
    }
    if problems:
        details["problems"] = problems[:20]
        details["violations"] = len(problems)
        return CheckResult(checker=NAME, verdict=Verdict.ILLEGAL, summary=problems[0]["message"], details=details)
    d = details["time_to_leader_ns"]
    summary = f"leader after {len(ttl)} heal(s), max {d.get('max', '-')} ns; {judged_ops} op(s) after the last heal"
    if not bounds:
        summary += " (bounds not judged: no timing)"
    return CheckResult(checker=NAME, verdict=Verdict.OK, summary=summary, details=details)


class LivenessChecker:
    """Leader and op completion within bounds after heals (trace.jsonl, history.jsonl, run.json timing)."""

    name = NAME

    def check(self, run: Any) -> CheckResult:
        t0 = time.perf_counter()
        try:
            records = scan_trace(run.trace)
        except (OSError, ValueError) as e:
            return unknown(NAME, f"{run.trace.name}: {e}")
        try:
            ops = read_history(run.history) if run.history.is_file() else None
        except HistoryError as e:
            return unknown(NAME, f"{run.history.name} {e}")
        except (OSError, UnicodeDecodeError) as e:
            return unknown(NAME, f"{run.history}: {e}")
        try:
            res = check_liveness(records, ops, bounds_from_timing(run.meta()))
        except Exception as e:  # RunDirError (bad run.json) or an input shape we did not foresee
            return unknown(NAME, f"{type(e).__name__}: {e}")
        return CheckResult(checker=NAME, verdict=res.verdict, summary=res.summary, details=res.details,
                           elapsed_s=time.perf_counter() - t0)
