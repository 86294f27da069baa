"""The Raft paper's Figure 16 (§9.3) as an experiment: how long a five-server cluster is without a leader.

Rules:
- One trial is one seed of scenario ``fig16-election``: 1 ms ticks, no PreVote/CheckQuorum (the paper's Raft),
  heartbeats every half of the minimum election timeout, no clients; at 1 s + U(0, heartbeat) the leader
  crashes (a uniformly random point of its heartbeat interval) and stays down.
- Measured on the trace: from the crash to the instant the last of the three other live servers receives an
  AppendEntries/Heartbeat from the new leader (a later leader restarts the count). A trial with no leader heard
  by everyone within ``CAP_NS`` is censored (``election_ns`` null, drawn as beyond the axis).
- Trials run through ``scenarios.sweep`` (processes or dask, resumable: one sweep directory per timeout
  range under ``out``); the worker simulates in memory and writes no run directory.
- Deterministic: a trial is a pure function of (range, seed, code version).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scenarios import nemesis as N
from scenarios.catalog import Plan
from scenarios.errors import ConfigError
from scenarios.params import Param, Params
from scenarios.spec import Scenario, scenario

__all__ = ["BOTTOM", "CAP_NS", "PAPER", "TOP", "Line", "figure16", "measure", "trial"]

MS = 1_000_000
CAP_NS = 20_000 * MS
TOP = [(150, 150), (150, 151), (150, 155), (150, 175), (150, 200), (150, 300)]
BOTTOM = [(12, 24), (25, 50), (50, 100), (100, 200), (150, 300)]
# What §9.3 reports in words for these lines (the paper prints no table).
PAPER = {
    (150, 155): "median 287 ms (\"5 ms of randomness\")",
    (150, 200): "worst case 513 ms over 1,000 trials",
    (12, 24): "average 35 ms, max 152 ms",
}


@scenario("fig16-election", "Figure 16: crash the leader at a random point of its heartbeat interval; time the election.",
          params=(Param(name="election_ticks_max", type=int, default=300, lo=2, hi=10_000,
                        doc="the randomized election timeout is drawn from [election_ticks, this] (inclusive)"),),
          nodes=5, clients=0, tick_ms=1, election_ticks=150, heartbeat_ticks=75,
          pre_vote=False, check_quorum=False, duration_s=0.5, recover_s=0.5, latency_ms=1.0)
def fig16_election(p: Params) -> Plan:
    if p.election_ticks_max < p.election_ticks:
        raise ConfigError(f"election_ticks_max={p.election_ticks_max}: must be >= election_ticks={p.election_ticks}")
    hb_s = p.heartbeat_ticks * p.tick_ms / 1000
    # One firing (the period outlasts the run) at start + U(0, heartbeat): uniform within the leader's interval.
    return Plan(N.every(100.0, N.kill_leader(100.0), jitter=hb_s / 100.0))


def line_scenario(lo_ms: int, hi_ms: int) -> Scenario:
    """``fig16-election`` for timeouts in [lo_ms, hi_ms], heartbeats every lo_ms / 2 (at least one tick)."""
    return Scenario.create("fig16-election", {"election_ticks": lo_ms, "election_ticks_max": hi_ms,
                                              "heartbeat_ticks": max(1, lo_ms // 2)})


@dataclass
class _Measure:
    """Folds trace lines: crash, then leaders, then their first AppendEntries/Heartbeat at each other server."""

    nodes: list[str]
    crash_t: int | None = None
    crashed: str | None = None
    leader: str | None = None
    leader_t: int | None = None
    heard: dict[str, int] | None = None
    done_t: int | None = None

    def feed(self, line: str) -> None:
        if self.done_t is not None:
            return
        if '"kind":"crash"' in line and self.crash_t is None:
            r = json.loads(line)
            self.crash_t, self.crashed = r["t"], r["node"]
        elif self.crash_t is None:
            return
        elif '"kind":"become-leader"' in line:
            r = json.loads(line)
            self.leader, self.leader_t, self.heard = r["node"], r["t"], {}
        elif self.leader is not None and '"kind":"deliver"' in line and (
                '"type":"AppendEntries"' in line or '"type":"Heartbeat"' in line) and f'"src":"{self.leader}"' in line:
            r = json.loads(line)
            assert self.heard is not None
            self.heard.setdefault(r["node"], r["t"])
            others = [n for n in self.nodes if n not in (self.crashed, self.leader)]
            if all(n in self.heard for n in others):
                self.done_t = max(self.heard[n] for n in others)


def measure(scen: Scenario, seed: int) -> dict[str, int | None]:
    """Simulate one trial (in memory) until the new leader is heard by all, or ``CAP_NS`` after the crash."""
    from scenarios.runner import WARMUP_NS, build

    cluster, _, _ = build(scen, seed)
    world = cluster.world
    lines = world.trace_writer.lines
    m = _Measure(nodes=[n for n in cluster.all_nodes if n in cluster.members])
    pos, t = 0, 0
    end = WARMUP_NS + int(scen.p.duration_s * 1e9)  # the crash comes before this
    while m.done_t is None:
        t += 10 * MS
        world.run(t)
        for line in lines[pos:]:
            m.feed(line)
        pos = len(lines)
        if (m.crash_t is None and t > end) or (m.crash_t is not None and t > m.crash_t + CAP_NS):
            break
    return {"crash_ns": m.crash_t, "leader_ns": None if m.leader_t is None or m.crash_t is None else m.leader_t - m.crash_t,
            "election_ns": None if m.done_t is None or m.crash_t is None else m.done_t - m.crash_t}


def trial(scenario_repr: str, seed: int, out_dir: str, keep: str = "all", trace_failing: bool = False) -> dict[str, Any]:
    """A sweep worker (``scenarios.sweep.sweep(worker=...)``): one measured trial as a row. Never raises."""
    from scenarios.runner import code_version

    scen = Scenario.from_repr(scenario_repr)
    row: dict[str, Any] = {"seed": seed, "failing": [], "summaries": {}, "kept": False, "code_version": code_version(),
                           "trace_sha256": None, "replay": f"raftsim run fig16-election --seed {seed} {scen.cli_args()}"}
    try:
        got = measure(scen, seed)
    except Exception as e:  # noqa: BLE001 - a harness crash on one seed is a row, not the end of the figure
        row.update(verdict="unknown", failing=["harness"], summaries={"harness": f"{type(e).__name__}: {e}"})
        return row
    row.update(got)
    row["verdict"] = "ok" if got["crash_ns"] is not None else "unknown"
    if got["crash_ns"] is None:
        row.update(failing=["figure16"], summaries={"figure16": "the leader was never crashed (no leader at 1 s?)"})
    return row


@dataclass(frozen=True)
class Line:
    lo_ms: int
    hi_ms: int
    times_ms: tuple[float, ...]  # measured trials, sorted
    censored: int  # trials with no leader within CAP_NS

    @property
    def label(self) -> str:
        return f"{self.lo_ms}-{self.hi_ms}ms"

    def stats(self) -> dict[str, float | int | None]:
        ts, n = self.times_ms, len(self.times_ms) + self.censored
        if not ts:
            return {"trials": n, "median": None, "mean": None, "p99": None, "max": None, "censored": self.censored}
        full = list(ts) + [float("inf")] * self.censored
        med = full[(n - 1) // 2] if n % 2 else (full[n // 2 - 1] + full[n // 2]) / 2
        return {"trials": n, "median": med, "mean": sum(ts) / len(ts) if not self.censored else None,
                "p99": full[min(n - 1, int(0.99 * n))], "max": None if self.censored else ts[-1],
                "censored": self.censored}


def figure16(out: Path, *, trials: int = 1000, jobs: int = 2, executor: str = "local", scheduler: str | None = None,
             progress: bool = True) -> tuple[list[Line], list[Line]]:
    """Run (or resume) every line's trials under ``out/<lo>-<hi>/``; return the (top, bottom) panels' lines."""
    from scenarios.sweep import sweep

    done: dict[tuple[int, int], Line] = {}
    for lo, hi in TOP + [r for r in BOTTOM if r not in TOP]:
        summary = sweep(line_scenario(lo, hi), range(1, trials + 1), out_dir=out / f"{lo}-{hi}", jobs=jobs,
                        executor=executor, scheduler=scheduler, progress=progress, keep="failing",
                        trace_messages="all", worker=trial)
        rows = [r for r in summary.rows if r.get("verdict") == "ok"]
        ts = sorted(r["election_ns"] / MS for r in rows if r.get("election_ns") is not None)
        done[(lo, hi)] = Line(lo, hi, tuple(ts), sum(1 for r in rows if r.get("election_ns") is None))
    return [done[r] for r in TOP], [done[r] for r in BOTTOM]


def _fmt(v: float | int | None) -> str:
    if v is None:
        return "—"
    if v == float("inf"):
        return f"> {CAP_NS // MS} ms"
    return f"{v:.0f} ms" if isinstance(v, float) else str(v)


EXPLAIN = """\
Why our numbers differ from the paper's:
- Broadcast time: our links have a 1 ms mean one-way latency (exponential), so a vote round trip takes ~2 ms;
  LogCabin ran on a real network and disks (votes and terms are fsynced: here 0.5-2 ms per write). Smaller
  broadcast times make ties rarer and elections shorter, most visibly for the 12-24 ms line.
- Log lengths: our trials have no clients, so every live server's log is as up to date as any other and any
  of them can win. In the paper's cluster writes were flowing, logs could differ at the crash, and a server
  with a shorter log cannot win: some elections needed a second round.
- Ticks: timers advance in 1 ms ticks, so timeouts are whole milliseconds and "150-151 ms" draws from only
  two values; the paper's timers were continuous.
- What is timed: from the crash to the moment the last of the other three live servers receives the new
  leader's first AppendEntries/Heartbeat; the leader crashed uniformly within its heartbeat interval
  (half the minimum timeout), so no trial can be shorter than about half the minimum timeout."""


def table(top: list[Line], bottom: list[Line]) -> str:
    """Our medians/means/maxima per line, with what the paper reports beside them (markdown)."""
    out = ["| panel | timeouts | trials | median | mean | 99th pct | max | no leader in 20 s | paper (§9.3) |",
           "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for panel, lines in (("top", top), ("bottom", bottom)):
        for ln in lines:
            s = ln.stats()
            out.append(f"| {panel} | {ln.lo_ms}-{ln.hi_ms} ms | {s['trials']} | {_fmt(s['median'])} | {_fmt(s['mean'])} | "
                       f"{_fmt(s['p99'])} | {_fmt(s['max'])} | {s['censored']} | {PAPER.get((ln.lo_ms, ln.hi_ms), '')} |")
    return "\n".join(out)


def plot(top: list[Line], bottom: list[Line], out: Path) -> list[Path]:
    """The two CDF panels, like the paper's: % of trials with a leader by then; writes figure16.png/.svg."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 1, figsize=(7.0, 6.4))
    for ax, lines, log in ((axes[0], top, True), (axes[1], bottom, False)):
        for ln in lines:
            n = len(ln.times_ms) + ln.censored
            if not ln.times_ms or not n:
                continue
            xs = [ln.times_ms[0]] + [t for t in ln.times_ms for _ in (0, 1)]
            ys = [0.0] + [100.0 * k / n for i in range(len(ln.times_ms)) for k in (i, i + 1)]
            ax.plot(xs, ys, label=ln.label, lw=1.6)
        ax.set_ylabel("cumulative percent")
        ax.set_ylim(0, 100)
        ax.grid(alpha=0.3)
        ax.legend(loc="lower right", fontsize=8, frameon=False)
        if log:
            ax.set_xscale("log")
            ax.set_xlim(50, 3_000)
        else:
            ax.set_xlim(0, 600)
    axes[1].set_xlabel("time without leader (ms)")
    axes[0].set_title("Figure 16: time to detect and replace a crashed leader (5 servers)", fontsize=10)
    fig.tight_layout()
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / "figure16.png", out / "figure16.svg"]
    fig.savefig(paths[0], dpi=90, metadata={"Software": None})
    fig.savefig(paths[1], metadata={"Date": None, "Creator": None})
    plt.close(fig)
    return paths
