"""Plots of one run (matplotlib, Agg, no pyplot): latency, quantiles, rate and protocol-state lanes.

Rules:
- Deterministic bytes: SVG with ``svg.hashsalt`` fixed and ``metadata={"Date": None}``; PNG without the
  Software key; no global pyplot state (each figure is a ``matplotlib.figure.Figure``).
- Every time axis is virtual seconds from 0 to the run's end, with the same margins, so the figures line
  up one above the other; fault intervals are shaded on every one and named in the legend.
- Large runs are downsampled (a plot caption says so), never silently truncated.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import matplotlib
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from reports.data import FaultSpan, ReportData

__all__ = ["Plot", "TYPE_COLORS", "ROLE_COLORS", "FAULT_COLORS", "run_plots", "save", "shade_faults"]

TYPE_COLORS = {"ok": "#2e9e44", "info": "#e69b00", "fail": "#d43d3d"}
ROLE_COLORS = {"follower": "#c9d3de", "pre-candidate": "#ffe08a", "candidate": "#f4a23a", "leader": "#2e9e44",
               "down": "#3a3a3a", "paused": "#9b6cc9"}
FAULT_COLORS = {"partition": "#3b7dd8", "crash": "#d43d3d", "pause": "#9b6cc9", "other": "#888888"}
MARKERS = {"read": "o", "write": "s", "cas": "^", "append": "D", "delete": "X"}
_MORE_MARKERS = ["v", "P", "*", "<", ">", "h", "p", "d"]
RC = {"svg.hashsalt": "raftsim-report", "svg.fonttype": "path", "font.size": 9, "axes.titlesize": 10,
      "legend.fontsize": 8, "axes.titleweight": "bold"}
MAX_POINTS = 20000
MAX_STEPS = 2000
LEFT, RIGHT = 0.06, 0.79  # shared margins so time axes line up between figures


class Plot:
    """A rendered figure: its name, caption, and the SVG text (also written to plots/<name>.svg|png)."""

    def __init__(self, name: str, title: str, svg: str, caption: str = "") -> None:
        self.name, self.title, self.svg, self.caption = name, title, svg, caption


def save(fig: Figure, out_dir: Path, name: str) -> str:
    """Write ``name``.svg and ``name``.png under ``out_dir``; return the SVG text."""
    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None})
    svg = buf.getvalue()
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / f"{name}.svg").write_text(svg, encoding="utf-8")
    fig.savefig(out_dir / f"{name}.png", format="png", dpi=100, metadata={"Software": None})
    return svg


def _s(ns: int | float) -> float:
    return ns / 1e9


def marker_for(f: str, order: list[str]) -> str:
    if f in MARKERS:
        return MARKERS[f]
    return _MORE_MARKERS[order.index(f) % len(_MORE_MARKERS)] if f in order else "o"


def shade_faults(ax: Any, faults: Sequence[FaultSpan]) -> None:
    for fs in faults:
        c = FAULT_COLORS.get(fs.kind, "#888888")
        if fs.end_ns > fs.start_ns:
            ax.axvspan(_s(fs.start_ns), _s(fs.end_ns), color=c, alpha=0.13, lw=0, zorder=0)
        else:
            ax.axvline(_s(fs.start_ns), color=c, lw=1, ls="--", alpha=0.7, zorder=0)


def fault_legend(faults: Sequence[FaultSpan]) -> list[Any]:
    """Legend handles naming each fault (grouped by kind when there are many)."""
    if len(faults) <= 8:
        return [Patch(color=FAULT_COLORS.get(f.kind, "#888"), alpha=0.3, label=_fault_label(f)) for f in faults]
    counts: dict[str, int] = {}
    for f in faults:
        counts[f.kind] = counts.get(f.kind, 0) + 1
    return [Patch(color=FAULT_COLORS.get(k, "#888"), alpha=0.3, label=f"{k} ×{n}") for k, n in sorted(counts.items())]


def _fault_label(f: FaultSpan) -> str:
    end = "end" if f.is_open else f"{_s(f.end_ns):.2f}"
    when = f"{_s(f.start_ns):.2f} s" if f.end_ns == f.start_ns else f"{_s(f.start_ns):.2f}–{end} s"
    return f"{_short(f.label)}\n{when}"


def _short(label: str, n: int = 30) -> str:
    return label if len(label) <= n else label[: n - 1] + "…"


def _fig(height: float, rows: int = 1, ratios: list[float] | None = None) -> tuple[Figure, list[Any]]:
    fig = Figure(figsize=(12, height))
    axes = fig.subplots(rows, 1, sharex=True, squeeze=False, gridspec_kw={"height_ratios": ratios} if ratios else None)
    fig.subplots_adjust(left=LEFT, right=RIGHT, top=0.90 if rows == 1 else 0.95, bottom=0.14 if rows == 1 else 0.07,
                        hspace=0.12)
    return fig, [a[0] for a in axes]


def _finish(ax: Any, data: ReportData, extra: list[Any], title: str = "") -> None:
    ax.set_xlim(0, max(_s(data.end_ns), 1e-3))
    handles = extra + fault_legend(data.faults)
    if handles:
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, borderaxespad=0)
    if title:
        ax.set_title(title, loc="left")


def _empty(ax: Any, text: str) -> None:
    ax.text(0.5, 0.5, text, transform=ax.transAxes, ha="center", va="center", color="#777", fontsize=11)


def latency_raw(data: ReportData) -> tuple[Figure, str]:
    fig, (ax,) = _fig(3.6)
    shade_faults(ax, data.faults)
    ops = [o for o in data.ops if o.latency_ns is not None and o.latency_ns >= 0]
    caption = ""
    if len(ops) > MAX_POINTS:  # keep every info/fail op, sample ok ops evenly
        oks = [o for o in ops if o.type == "ok"]
        step = math.ceil(len(oks) / max(1, MAX_POINTS - (len(ops) - len(oks))))
        ops = [o for o in ops if o.type != "ok"] + oks[::step]
        caption = f"Every {step}th ok operation shown (of {len(oks)}); all info and fail operations shown."
    fs = sorted({o.f for o in ops})
    others = [f for f in fs if f not in MARKERS]
    handles: list[Any] = []
    for typ in ("ok", "fail", "info"):
        for f in fs:
            pts = [o for o in ops if o.type == typ and o.f == f]
            if pts:
                ax.scatter([_s(o.invoke_ns or 0) for o in pts], [max(o.latency_ns or 0, 1000) / 1e6 for o in pts],
                           s=9, c=TYPE_COLORS[typ], marker=marker_for(f, others), alpha=0.75, linewidths=0, zorder=2)
    if ops:
        ax.set_yscale("log")
        handles += [Patch(color=TYPE_COLORS[t], label=t) for t in ("ok", "fail", "info")]
        handles += [Line2D([], [], ls="", marker=marker_for(f, others), color="#555", label=f) for f in fs]
    else:
        _empty(ax, "no completed operations in the history")
    ax.set_ylabel("latency (ms)")
    ax.set_xlabel("invoke time (virtual s)")
    ax.grid(True, which="major", axis="y", color="#ddd", lw=0.6)
    _finish(ax, data, handles, "Latency of each operation")
    return fig, caption


def _buckets(data: ReportData) -> tuple[int, int]:
    width = max(data.end_ns // 60, 100_000_000)  # ~60 buckets, at least 100 ms
    return width, data.end_ns // width + 1


def _quantile(xs: list[int], q: float) -> float:
    i = min(len(xs) - 1, max(0, math.ceil(q * len(xs)) - 1))
    return xs[i]


def latency_quantiles(data: ReportData) -> tuple[Figure, str]:
    fig, (ax,) = _fig(3.2)
    shade_faults(ax, data.faults)
    width, n = _buckets(data)
    by: list[list[int]] = [[] for _ in range(n)]
    for o in data.ops:
        if o.type == "ok" and o.latency_ns is not None and o.complete_ns is not None:
            by[min(n - 1, o.complete_ns // width)].append(o.latency_ns)
    handles: list[Any] = []
    xs = [_s((i + 0.5) * width) for i in range(n)]
    any_pts = False
    for q, label, color in ((0.5, "p50", "#1b5e20"), (0.95, "p95", "#5c9ded"), (0.99, "p99", "#e67e22"), (1.0, "max", "#999")):
        ys = [_quantile(sorted(b), q) / 1e6 if b else float("nan") for b in by]
        if any(not math.isnan(y) for y in ys):
            any_pts = True
            ax.plot(xs, ys, marker=".", ms=3, lw=1.2, color=color, zorder=2)
            handles.append(Line2D([], [], color=color, marker=".", label=label))
    if any_pts:
        ax.set_yscale("log")
    else:
        _empty(ax, "no ok operations")
    ax.set_ylabel("ok latency (ms)")
    ax.set_xlabel("completion time (virtual s)")
    ax.grid(True, axis="y", color="#ddd", lw=0.6)
    _finish(ax, data, handles, f"Latency quantiles per {width / 1e6:g} ms")
    return fig, ""


def rate(data: ReportData) -> tuple[Figure, str]:
    fig, (ax,) = _fig(3.0)
    shade_faults(ax, data.faults)
    width, n = _buckets(data)
    handles: list[Any] = []
    xs = [_s((i + 0.5) * width) for i in range(n)]
    for typ in ("ok", "fail", "info"):
        counts = [0] * n
        for o in data.ops:
            if o.type == typ and o.complete_ns is not None:
                counts[min(n - 1, o.complete_ns // width)] += 1
        if any(counts):
            ax.plot(xs, [c / (width / 1e9) for c in counts], lw=1.3, color=TYPE_COLORS[typ], drawstyle="steps-mid")
            handles.append(Line2D([], [], color=TYPE_COLORS[typ], label=typ))
    if not handles:
        _empty(ax, "no completed operations")
    ax.set_ylim(bottom=0)
    ax.set_ylabel("ops / s")
    ax.set_xlabel("completion time (virtual s)")
    ax.grid(True, axis="y", color="#ddd", lw=0.6)
    _finish(ax, data, handles, "Throughput by outcome")
    return fig, ""


def _downsample(series: list[tuple[int, int]], end_ns: int) -> list[tuple[int, int]]:
    """Keep the last value per time bin (a step series stays a faithful step series)."""
    if len(series) <= MAX_STEPS:
        return series
    width = max(1, end_ns // MAX_STEPS + 1)
    out: dict[int, tuple[int, int]] = {}
    for t, v in series:
        out[t // width] = (t, v)
    first = series[0]
    return [first] + [out[k] for k in sorted(out) if out[k] != first]


def protocol_lanes(data: ReportData) -> tuple[Figure, str]:
    nodes = data.nodes
    lanes = max(1, len(nodes))
    fig, (ax_r, ax_t, ax_c) = _fig(2.2 + 0.35 * lanes + 3.2, 3, [0.6 + 0.35 * lanes, 1.5, 1.7])
    for ax in (ax_r, ax_t, ax_c):
        shade_faults(ax, data.faults)
    end_s = max(_s(data.end_ns), 1e-3)
    # role lanes: one row per node (top = first node), then a "leader" row above them
    ypos = {n: lanes - 1 - i for i, n in enumerate(nodes)}
    leader_y = lanes + 0.2
    for role in ("follower", "pre-candidate", "candidate", "leader", "down", "paused"):
        for n in nodes:
            spans = [(_s(r.start_ns), _s(r.end_ns - r.start_ns)) for r in data.roles if r.node == n and r.role == role]
            if spans:
                ax_r.broken_barh(spans, (ypos[n] - 0.38, 0.76), color=ROLE_COLORS[role], lw=0)
    node_color = {n: matplotlib.colormaps["tab10"](i % 10) for i, n in enumerate(nodes)}
    for r in data.roles:
        if r.role == "leader" and r.node in ypos:
            ax_r.broken_barh([(_s(r.start_ns), _s(r.end_ns - r.start_ns))], (leader_y - 0.38, 0.76),
                             color=node_color[r.node], lw=0, alpha=0.85)
            if (r.end_ns - r.start_ns) / max(data.end_ns, 1) > 0.045:
                ax_r.text(_s(r.start_ns) + end_s * 0.004, leader_y, f"{r.node} t{r.term}", va="center", fontsize=7,
                          color="white", fontweight="bold", clip_on=True)
    ax_r.set_yticks([ypos[n] for n in nodes] + [leader_y], nodes + ["leader"])
    ax_r.set_ylim(-0.6, leader_y + 0.6)
    role_handles = [Patch(color=ROLE_COLORS[r], label=r) for r in ROLE_COLORS if any(x.role == r for x in data.roles)]
    if not data.roles:
        _empty(ax_r, "no role changes in the trace")
    _finish(ax_r, data, role_handles, "Protocol state: role per node, leader, term, commit index")
    node_handles = [Line2D([], [], color=node_color[n], label=n) for n in nodes]
    for ax, series, label in ((ax_t, data.terms, "term"), (ax_c, data.commits, "commit index")):
        for n in nodes:
            pts = _downsample(series.get(n, []), data.end_ns)
            if pts:
                xs = [_s(t) for t, _ in pts] + [end_s]
                ys = [v for _, v in pts] + [pts[-1][1]]
                ax.step(xs, ys, where="post", lw=1.2, color=node_color[n], alpha=0.85)
        ax.set_ylabel(label)
        ax.grid(True, axis="y", color="#ddd", lw=0.6)
        ax.set_xlim(0, end_s)
        if not any(series.get(n) for n in nodes):
            _empty(ax, f"no {label} events in the trace")
    ax_t.yaxis.get_major_locator().set_params(integer=True)
    ax_t.legend(handles=node_handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, borderaxespad=0)
    ax_c.set_xlabel("virtual time (s)")
    return fig, ""


PLOTS: list[tuple[str, str, Callable[[ReportData], tuple[Figure, str]], str]] = [
    ("latency-raw", "Latency (every operation)", latency_raw, "history"),
    ("latency-quantiles", "Latency quantiles", latency_quantiles, "history"),
    ("rate", "Throughput", rate, "history"),
    ("protocol-lanes", "Protocol state lanes", protocol_lanes, "trace"),
]


def run_plots(data: ReportData, out_dir: Path) -> list[Plot]:
    """Draw every plot whose input exists; a plot that fails becomes a notice, never an exception."""
    out: list[Plot] = []
    with matplotlib.rc_context(RC):
        for name, title, fn, needs in PLOTS:
            if needs == "history" and not data.has_history or needs == "trace" and not data.has_trace:
                continue
            try:
                fig, caption = fn(data)
                out.append(Plot(name, title, save(fig, out_dir, name), caption))
            except Exception as e:  # a report shows what it can  # noqa: BLE001
                data.notices.append(f"plot {name} failed: {type(e).__name__}: {e}")
    return out
