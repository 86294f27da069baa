"""Preflight: what a scenario can exercise with its parameters, decided before it runs.

Rules:
- A scenario that plans faults (its schedule is not ``NONE``) must be able to inject at least one with
  these parameters: its timed events fall inside the fault phase (or it reacts to the run with ``on``),
  and at least one of them resolves to a fault against a healthy cluster of this size (heals, restarts
  and resumes alone are no fault). A scenario with clients must issue ops (``clients >= 1``).
- Otherwise ``require_exercise`` raises ConfigError naming what cannot happen, unless the caller allows
  an empty run (``raftsim run --allow-empty``); the verdict line then says what was exercised.
- The probe resolves actions against a stand-in view (every node up, ``n1`` leading) with its own rng,
  never the run's streams: preflight cannot change a run. Resolving a shape too big for the cluster
  raises the simulator's ConfigError, which is reported as the reason.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from scenarios import nemesis as N
from scenarios.errors import ConfigError
from scenarios.params import Params
from scenarios.spec import Scenario, get_def
from sim import faults as F
from sim.errors import SimError

__all__ = ["Preflight", "planned_faults", "preflight", "require_exercise"]

_S = 1_000_000_000
_REPAIRS = (F.Heal, F.Restart, F.Resume)


@dataclass(frozen=True, slots=True, kw_only=True)
class Preflight:
    """What a scenario's schedule can do with its parameters: planned events, faults among them, why none."""

    plans_faults: bool  # the schedule is not NONE
    timed_events: int  # timed events inside the fault phase
    reactive: int  # ``on(...)`` triggers live in the fault phase
    faulting_events: int  # timed events that resolve to a fault on a healthy cluster
    reason: str = ""  # why no fault can happen ("" when one can)

    @property
    def can_fault(self) -> bool:
        return not self.plans_faults or not self.reason


class _HealthyView:
    """A stand-in ClusterView: every node up, the first member leading, no clock or link faults."""

    def __init__(self, p: Params, spare: int) -> None:
        self.members = [f"n{i}" for i in range(1, p.nodes + 1)]
        self.spare = [f"n{i}" for i in range(p.nodes + 1, p.nodes + spare + 1)]
        self.nodes = self.members + self.spare
        self.up = list(self.nodes)
        self.down: list[str] = []
        self.paused: list[str] = []
        self.leader = self.members[0]
        self.clients = [f"c{i}" for i in range(max(1, p.clients))]
        self.drifting: list[str] = []
        self.link_baseline = F.LinkFaults(loss=p.loss, dup=p.dup, reorder=p.reorder)
        self.links_faulted = False


def _is_fault(item: object, view: _HealthyView) -> bool:
    if isinstance(item, N.MemberChange):
        return True
    if isinstance(item, _REPAIRS):
        return False
    if isinstance(item, F.Partition) and len(item.groups) < 2:
        return False  # one group: everyone still hears everyone
    return not (isinstance(item, F.LinkFaults) and item == view.link_baseline)


def preflight(scen: Scenario) -> Preflight:
    """Probe ``scen``'s schedule against its parameters (see the module rules). Pure; never runs it."""
    p = scen.p
    plan = get_def(scen.name).build(p)
    sched = plan.nemesis
    if not callable(getattr(sched, "plan", None)):  # e.g. --set schedule=5 for scripted
        raise ConfigError(f"{scen.name}: the schedule {str(sched)[:60]!r} is not a fault schedule")
    if repr(sched) == repr(N.NONE):
        return Preflight(plans_faults=False, timed_events=0, reactive=0, faulting_events=0)
    timed, reactive, resolved, errors = _probe(p, plan)
    view = _HealthyView(p, plan.spare_nodes)
    faulting = sum(any(_is_fault(f, view) for f in items) for items in resolved)
    reason = ""
    if not timed and not reactive:
        reason = f"no fault is scheduled within duration_s={p.duration_s:g}"
    elif not faulting:
        reason = (f"with nodes={p.nodes} no scheduled event can inject a fault"
                  + (f" ({errors[0]})" if errors else ""))
    return Preflight(plans_faults=True, timed_events=len(timed), reactive=len(reactive), faulting_events=faulting,
                     reason=reason)


def _probe(p: Params, plan: Any) -> tuple[list[Any], list[Any], list[list[object]], list[str]]:
    """(timed events, triggers, the items each resolved to, resolution errors) against the healthy view."""
    sched = plan.nemesis
    start, end = _S, _S + int(p.duration_s * _S)  # the runner's fault phase (after 1 s of warm-up)
    rng = random.Random(0)  # det-ok: the probe's own seeded stream, never a run's
    timed = sched.plan(rng, start, end)
    reactive = N.triggers(sched, start, end)
    view = _HealthyView(p, plan.spare_nodes)
    resolved, errors = [], []
    for action in [a for _, a in timed] + [trig.action for _, _, trig in reactive]:
        try:
            resolved.append([f for _, f in action.resolve(view, rng)])
        except (SimError, ConfigError, ValueError) as e:
            errors.append(str(e))
    return timed, reactive, resolved, errors


def planned_faults(scen: Scenario) -> list[object]:
    """Every fault value the probe resolves ``scen``'s schedule to (what a live run may have to inject)."""
    plan = get_def(scen.name).build(scen.p)
    if not callable(getattr(plan.nemesis, "plan", None)) or repr(plan.nemesis) == repr(N.NONE):
        return []
    return [f for items in _probe(scen.p, plan)[2] for f in items]


def require_exercise(scen: Scenario, *, allow_empty: bool = False) -> Preflight:
    """``preflight(scen)``; ConfigError when it can inject no fault or issue no op, unless ``allow_empty``."""
    pf = preflight(scen)
    problems = [] if pf.can_fault else [pf.reason]
    if scen.p.clients < 1:
        problems.append("clients=0: no client issues an op")
    if problems and not allow_empty:
        raise ConfigError(f"{scen.name}: {'; '.join(problems)}: nothing to test "
                          "(change the parameters, or pass --allow-empty to run it anyway)")
    return pf
