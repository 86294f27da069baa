# Over 400 lines: the fault state, time-to-leader after heals and op-completion bounds judge one shared timeline.
"""Liveness: a leader soon after each heal, and operations complete soon after the last one.

Rules:
- From the trace's ``fault`` records we track which faults are in force, as sim.trace.FAULT_EFFECTS says: cuts
  (partition, grudge, block) until ``heal``; a crashed node until its ``restart``; a paused node until its
  ``resume``; link faults until a link-faults record with zero loss/dup/reorder and no latency for the same
  link. Clock and disk faults (instants) do not count (they matter to leases and TTLs, not to electing a leader).
  A *heal* is the moment the set becomes empty (heal_all's burst of records counts once, at its time);
  the start of the run is one too. After a heal, a *stable leader* exists once some live node is
  leader in the highest term any live node holds (``become-*``, ``crash``, ``restart``); a node the newest
  ``conf`` record leaves out (removed from the cluster) does not count. Time-to-leader is
  measured for every heal that is not interrupted by another fault first; each must be <= leader_bound.
  A heal with no leader by the end of the trace is a violation only if the trace ran past the bound.
- From the history: after the last heal (if no fault follows it), every op invoked once the leader is
  stable (except long polls: ``watch``, a ``wait=true`` store-api request) must complete (ok or fail) within op_bound; an info completion or
  a pending op counts as not completing once op_bound has passed. An op that waits for another client by
  design (``acquire``/``campaign``: up to the client timeout C while someone else holds it) gets wait_bound.
- Bounds come from run.json ``timing`` (E = election_timeout_ns, L = latency_mean_ns, default 0, C =
  client_timeout_ns, default 0) unless run.json ``liveness`` overrides them: leader_bound = 10 E + 20 L,
  op_bound = leader_bound + 2 E + 20 L, wait_bound = op_bound + C.
  Without timing the bounds are not judged (OK, details say so); distributions are always reported:
  time-to-leader, op latency (all ok ops), op latency after the last heal (p50/p90/p99/max, ns).
"""

from __future__ import annotations

import time
from typing import Any

from checkers.history import Op, fmt_ms
from checkers.registry import checker
from checkers.result import CheckResult, Verdict
from checkers.vocab import WAITING_FS, distribution, is_long_poll, load_history, pair_calls, unknown
from sim.trace import (CONF, CRASH, FAULT, HARD_STATE, MEMBER_CHANGE, RESTART, ROLE_KINDS, RUN, TRANSFER_TIMEOUT_NS,
                       fault_effect, iter_records)

__all__ = ["FaultState", "LivenessChecker", "bounds_from_timing", "check_liveness", "churn_from_meta", "faulty_periods",
           "leader_after_heals", "leader_churn", "run_trace_records", "scan_trace"]

NAME = "liveness"
_KINDS = (FAULT, *ROLE_KINDS, CRASH, RESTART, HARD_STATE, CONF, RUN, MEMBER_CHANGE)


def scan_trace(path: Any) -> list[dict[str, Any]]:
    """The trace records liveness and TTL need (fault, become-*, crash, restart, ...) then a ``trace-end``.

    Each record carries its ``line``. Raises ValueError("line N: ...") on a bad line among those parsed.
    """
    out: list[dict[str, Any]] = []
    with open(path, encoding="utf-8") as f:
        for ln, rec in iter_records(f, _KINDS, end=True):
            if ln:
                rec["line"] = ln
            out.append(rec)
    return out


def run_trace_records(run: Any) -> list[dict[str, Any]]:
    """``scan_trace`` of a run directory's trace, read once per ``RunFiles`` (liveness and ttl share it)."""
    return run.cached("scan_trace", lambda: scan_trace(run.trace))


def bounds_from_timing(meta: dict[str, Any]) -> dict[str, int] | None:
    """{"leader_bound_ns", "op_bound_ns", "wait_bound_ns", "ttl_slack_ns"} from run.json, or None without timing."""
    timing = meta.get("timing") or {}
    over = meta.get("liveness") or {}
    e = timing.get("election_timeout_ns")
    if not isinstance(e, int):
        if {"leader_bound_ns", "op_bound_ns"} <= set(over):
            return {"leader_bound_ns": over["leader_bound_ns"], "op_bound_ns": over["op_bound_ns"],
                    "wait_bound_ns": over.get("wait_bound_ns", over["op_bound_ns"]),
                    "ttl_slack_ns": over.get("ttl_slack_ns", over["op_bound_ns"])}
        return None
    lat = timing.get("latency_mean_ns") or 0
    leader = over.get("leader_bound_ns", 10 * e + 20 * lat)
    op = over.get("op_bound_ns", leader + 2 * e + 20 * lat)
    slack = over.get("ttl_slack_ns", timing.get("ttl_sync_ns", 500_000_000) + 2 * e + 20 * lat)
    client = timing.get("client_timeout_ns")
    wait = over.get("wait_bound_ns", op + (client if isinstance(client, int) else 0))
    return {"leader_bound_ns": leader, "op_bound_ns": op, "wait_bound_ns": wait, "ttl_slack_ns": slack}


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
        eff = fault_effect(str(rec.get("name")))
        node = str(rec.get("node"))
        if eff.span == "partition":
            self.cut = not eff.closes
        elif eff.span in ("crash", "pause"):
            nodes = self.down if eff.span == "crash" else self.paused
            if eff.closes:
                nodes.discard(node)
            else:
                nodes.add(node)
        elif eff.span == "link":
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
    conf: tuple[int, set[str] | None] = (-1, None)  # the newest configuration any node recorded: (index, members)

    def stable() -> str | None:
        # A node removed from the cluster may still run (and campaign, unheard): it is no member to wait for.
        live = [n for n in alive if n in term and (conf[1] is None or n in conf[1])]
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
            _crash_or_restart(k, str(r.get("node")), alive, role)
        elif k == CONF:
            i, voters = r.get("index"), r.get("voters")
            if isinstance(i, int) and i > conf[0] and isinstance(voters, list):
                conf = (i, {str(v) for v in [*voters, *(r.get("learners") or [])]})
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


def churn_from_meta(meta: dict[str, Any]) -> dict[str, Any] | None:
    """The leader-churn judgement's settings from run.json: {"judge", "why", "election_timeout_ns", "voters"}.

    Judged only when the configuration promises it (PreVote and CheckQuorum on) and the base network
    has no loss, duplication or reordering; None without timing.
    """
    e = (meta.get("timing") or {}).get("election_timeout_ns")
    if not isinstance(e, int) or e <= 0:
        return None
    params = meta.get("params") or {}
    why = []
    if params.get("pre_vote", True) is False or params.get("check_quorum", True) is False:
        why.append("PreVote/CheckQuorum configured off")
    if any(params.get(k) for k in ("loss", "dup", "reorder")):
        why.append("lossy/duplicating/reordering base network")
    nodes = [str(n) for n in meta.get("nodes") or []]
    n = params.get("nodes")
    voters = nodes[:n] if isinstance(n, int) and 0 < n <= len(nodes) else nodes
    return {"judge": not why, "why": "; ".join(why) or "judged", "election_timeout_ns": e, "voters": voters}


def leader_churn(records: list[dict[str, Any]], election_timeout_ns: int, voters: list[str] | None = None,
                 grace_ns: int | None = None) -> dict[str, Any]:
    """Leader churn, judged during faults too: deposals of a leader that held a healthy majority.

    A leader L (term T) *holds a healthy majority* while it is up, not paused, its clock untouched, and a
    majority of its voters (L included) are up, not paused, clock untouched, at term <= T, with both
    directions of their link to L free of cuts and link faults. With PreVote + CheckQuorum such a leader
    is never deposed: the followers it reaches refuse (pre-)votes while they hear from it, so no node can
    win a term above T, whatever the rest of the cluster (isolated, one-way cut, rejoining) does.
    A *disruption* is L's term rising while L leads and has held a healthy majority for >= grace_ns
    (default 2 election timeouts), unless a leadership transfer was asked for (``member-change`` op
    ``transfer``) at most TRANSFER_TIMEOUT_NS + the grace before (the admin retries on other members for its whole
    timeout, and a leader aborts a transfer after an election timeout): that one deposal was wanted, and it uses
    the request up (one transfer deposes one leader). Returns {"disruptions": [...], "leader_changes", "leader_changes_per_s",
    "term_growth_per_election_timeout": distribution over E-windows of the max term's growth,
    "max_term", "healthy_leader_ns"}.
    """
    e = election_timeout_ns
    grace = 2 * e if grace_ns is None else grace_ns
    term: dict[str, int] = {}
    role: dict[str, str] = {}
    up: set[str] = set()
    paused: set[str] = set()
    clock_bad: set[str] = set()
    cut: set[tuple[str, str]] = set()
    bad_links: set[tuple[Any, Any]] = set()
    conf: dict[str, list[str]] = {}
    base = list(voters or [])
    healthy_since: dict[tuple[str, int], int] = {}
    disruptions: list[dict[str, Any]] = []
    leader_changes = 0
    last_leader: tuple[str, int] | None = None
    max_term = 0
    window_max: dict[int, int] = {}
    healthy_total = 0
    end_t = 0
    transfer_t: int | None = None

    def link_ok(a: str, b: str) -> bool:
        for x, y in ((a, b), (b, a)):
            if (x, y) in cut or (x, y) in bad_links or (x, None) in bad_links or (None, y) in bad_links \
                    or (None, None) in bad_links:
                return False
        return True

    def ok_node(n: str) -> bool:
        return n in up and n not in paused and n not in clock_bad

    def holds(leader: str) -> bool:
        t = term.get(leader, 0)
        if not ok_node(leader) or role.get(leader) != "leader":
            return False
        vs = conf.get(leader) or base or sorted(term)
        if leader not in vs:
            return False
        good = [n for n in vs if n == leader or (ok_node(n) and term.get(n, 0) <= t and link_ok(leader, n))]
        return 2 * len(good) > len(vs)

    for r in records:
        k, t = r.get("kind"), r.get("t", 0)
        end_t = max(end_t, t)
        node = str(r.get("node")) if r.get("node") is not None else None
        if k == "run":
            for n in r.get("nodes") or []:
                up.add(str(n))
            if not base:
                base = [str(n) for n in r.get("nodes") or []]
            continue
        if k == "fault":
            name = r.get("name")
            if name == "heal":
                cut.clear()
            elif name == "partition":
                groups = [[str(n) for n in g] for g in r.get("groups") or []]
                cut = {(a, b) for i, g in enumerate(groups) for j, h in enumerate(groups) if i != j for a in g for b in h}
            elif name == "grudge":
                cut = {(str(a), str(b)) for a, b in r.get("blocked") or []}
            elif name == "block":
                cut.add((str(r.get("src")), str(r.get("dst"))))
            elif name == "crash" and node:
                up.discard(node)
            elif name == "restart" and node:
                up.add(node)
            elif name == "pause" and node:
                paused.add(node)
            elif name == "resume" and node:
                paused.discard(node)
            elif name in ("clock-skew", "clock-jump") and node:
                clock_bad.add(node)  # timers may fire early or late: the node's timing is not trusted again
            elif name == "clock-drift" and node:
                if r.get("ppm"):
                    clock_bad.add(node)
            elif name == "link-faults":
                link = (r.get("src"), r.get("dst"))
                if any(r.get(x) for x in ("loss", "dup", "reorder")) or r.get("latency") is not None:
                    bad_links.add(link)
                elif link == (None, None):
                    bad_links.clear()
                else:
                    bad_links.discard(link)
        elif k in ("crash", "restart") and node:
            _crash_or_restart(k, node, up, role)
        elif k == "conf" and node:
            conf[node] = [str(v) for v in r.get("voters") or []]
        elif k == MEMBER_CHANGE:
            if r.get("op") == "transfer":
                transfer_t = t
            continue
        elif k == "hard-state" and node:
            if isinstance(r.get("term"), int):
                term[node] = r["term"]
        elif isinstance(k, str) and k.startswith("become-") and node:
            up.add(node)
            role[node] = k.removeprefix("become-")
            if isinstance(r.get("term"), int):
                term[node] = r["term"]
        else:
            continue
        # deposals: a leader that held a healthy majority lost it to a higher term, links and nodes intact
        now = {(n, term.get(n, 0)) for n, ro in role.items() if ro == "leader" and holds(n)}
        for key in sorted(set(healthy_since) - now):
            since = healthy_since.pop(key)
            healthy_total += t - since
            n, old = key
            vs = conf.get(n) or base or sorted(term)
            higher = max((term.get(v, 0) for v in vs if v == n or link_ok(n, v)), default=0)
            intact = ok_node(n) and 2 * sum(1 for v in vs if v == n or (ok_node(v) and link_ok(n, v))) > len(vs)
            if t - since < grace or not intact or higher <= old:
                continue
            if transfer_t is not None and t - transfer_t <= TRANSFER_TIMEOUT_NS + grace:
                transfer_t = None  # the transfer asked for: wanted, once
            else:
                disruptions.append({"t": t, "leader": n, "term": old, "new_term": higher,
                                    "healthy_for_ns": t - since, "line": r.get("line"),
                                    "message": f"leader {n} (term {old}) deposed: term {higher} reached its majority "
                                               f"at {fmt_ms(t)} although it had held a healthy majority for {fmt_ms(t - since, 3)}"})
        for key in now:
            healthy_since.setdefault(key, t)
        cur = [(term.get(n, 0), n) for n, ro in role.items() if ro == "leader" and ok_node(n)]
        if cur:
            top = max(cur)
            if last_leader is not None and top[::-1] != last_leader and top[0] > last_leader[1]:
                leader_changes += 1
            if last_leader is None or top[0] >= last_leader[1]:
                last_leader = (top[1], top[0])
        mt = max(term.values(), default=0)
        max_term = max(max_term, mt)
        window_max[t // e] = max(window_max.get(t // e, 0), mt)
    for key, since in healthy_since.items():
        healthy_total += end_t - since
    growth: list[int] = []
    prev = 0
    for w in range(0, end_t // e + 1):
        m = max(prev, window_max.get(w, prev))
        growth.append(m - prev)
        prev = m
    secs = end_t / 1e9 if end_t else 0
    return {"disruptions": disruptions, "leader_changes": leader_changes,
            "leader_changes_per_s": round(leader_changes / secs, 3) if secs else 0.0,
            "term_growth_per_election_timeout": distribution(growth), "max_term": max_term,
            "healthy_leader_ns": healthy_total, "grace_ns": grace}


def check_liveness(records: list[dict[str, Any]], ops: list[Op] | None, bounds: dict[str, int] | None,
                   churn: dict[str, Any] | None = None) -> CheckResult:
    """Judge time-to-leader after heals and op completion after the last heal (pure; see module rules).

    With ``churn`` (``churn_from_meta``) leader churn is measured during faults too and, if
    ``churn["judge"]``, every deposal of a leader holding a healthy majority is a violation.
    """
    end_t = max((r.get("t", 0) for r in records), default=0)
    heals = leader_after_heals(records)
    churn_report = None
    if churn is not None:
        churn_report = leader_churn(records, churn["election_timeout_ns"], churn.get("voters"))
        churn_report["judged"] = churn["why"] if churn.get("judge") else f"not judged: {churn['why']}"
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
                                 "message": f"no stable leader within {fmt_ms(lb, 3)} of the heal at {fmt_ms(h['heal_t'])}"
                                            + (f" (took {fmt_ms(took, 3)})" if h["leader_t"] is not None else " (none by the end)")})
    calls = pair_calls(ops or [])
    ok_lat = [c.end - c.start for c in calls if c.is_ok and c.end is not None and not is_long_poll(c.f, c.inv.value)]
    periods = faulty_periods(records)
    last = heals[-1] if heals else None
    post: list[int] = []
    judged_ops = 0
    faults_at_end = bool(periods) and periods[-1][1] is None
    if last is not None and not faults_at_end and ops:
        hist_end = max((o.time or 0 for o in ops), default=0)
        ready = last["leader_t"] if last["leader_t"] is not None else last["heal_t"] + (lb or 0)
        for c in calls:
            if c.start < ready or is_long_poll(c.f, c.inv.value):
                continue
            judged_ops += 1
            bound = ob
            if ob is not None and c.f in WAITING_FS:
                bound = bounds.get("wait_bound_ns", ob)  # type: ignore[union-attr]
            if c.end is not None:
                post.append(c.end - c.start)
                if bound is not None and c.end - c.start > bound:
                    problems.append({"kind": "slow-op", "message": f"{c.f} took {fmt_ms(c.end - c.start, 3)} > {fmt_ms(bound, 3)} after the last heal",
                                     "op": c.to_json()})
            elif bound is not None:
                waited = ((c.comp.time if c.comp is not None and c.comp.time is not None else hist_end) - c.start)
                if waited >= bound:
                    problems.append({"kind": "stuck-op", "message": f"{c.f} did not complete within {fmt_ms(bound, 3)} after the last heal",
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
    if churn_report is not None:
        details["leader_churn"] = {k: v for k, v in churn_report.items() if k != "disruptions"}
        details["leader_churn"]["disruptions"] = churn_report["disruptions"][:20]
        if churn.get("judge"):
            for d in churn_report["disruptions"]:
                problems.append({"kind": "disruption", **d})
    if problems:
        details["problems"] = problems[:20]
        details["violations"] = len(problems)
        return CheckResult(checker=NAME, verdict=Verdict.ILLEGAL, summary=problems[0]["message"], details=details)
    d = details["time_to_leader_ns"]
    summary = f"leader after {len(ttl)} heal(s), max {fmt_ms(d['max'], 3) if 'max' in d else '-'}; {judged_ops} op(s) after the last heal"
    if not bounds:
        summary += " (bounds not judged: no timing)"
    if churn_report is not None:
        summary += f"; {churn_report['leader_changes']} leader change(s), " + (
            "no healthy leader deposed" if churn.get("judge") else f"churn not judged ({churn['why']})")
    return CheckResult(checker=NAME, verdict=Verdict.OK, summary=summary, details=details)


@checker()
class LivenessChecker:
    """Leader and op completion within bounds after heals (trace.jsonl, history.jsonl, run.json timing)."""

    name = NAME

    def check(self, run: Any) -> CheckResult:
        t0 = time.perf_counter()
        try:
            records = run_trace_records(run)
        except (OSError, ValueError) as e:
            return unknown(NAME, f"{run.trace.name}: {e}")
        ops = load_history(run, NAME) if run.history.is_file() else None
        if isinstance(ops, CheckResult):
            return ops
        try:
            meta = run.meta()
            res = check_liveness(records, ops, bounds_from_timing(meta), churn_from_meta(meta))
        except Exception as e:  # RunDirError (bad run.json) or an input shape we did not foresee
            return unknown(NAME, f"{type(e).__name__}: {e}")
        return CheckResult(checker=NAME, verdict=res.verdict, summary=res.summary, details=res.details,
                           elapsed_s=time.perf_counter() - t0)


def _crash_or_restart(kind: str, node: str, up: set[str], role: dict[str, str]) -> None:
    """A ``crash`` takes ``node`` down; a ``restart`` brings it back as a follower."""
    if kind == "crash":
        up.discard(node)
        role[node] = "down"
    else:
        up.add(node)
        role[node] = "follower"
