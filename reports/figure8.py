"""Figure 8 found on a run's trace: the panels (a)-(e) of the Raft paper (§5.4.2), their narration and a strip.

Rules:
- Reads a run directory only (trace.jsonl through reports.data and reports.timeline). Nothing is assumed
  about what happened: the contested index, the leaders and the instants come from the trace, and the
  strip draws the logs the servers really had at those instants.
- The contested index is the first index written with two different terms; the old-term entry (the lowest
  such term) is "the tail". Leaders: A (the tail's term), B (the other term at that index), C (the first later
  leader elected holding the tail), D (the next leader after C). The last panel is (d) when D's log does
  not hold the tail (it overwrites it), else (e).
- ``narration.json`` (one line per panel, at the instant its story starts) is written into the run
  directory for the replay page; ``figure8.png``/``figure8.svg`` beside it.
"""

from __future__ import annotations

import json
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reports.data import load_run
from reports.replay import server_nodes
from reports.timeline import Timeline, build_timeline

__all__ = ["Panel", "detect_panels", "draw_strip", "figure8"]

_TERM_COLORS = ["#90caf9", "#ffcc80", "#a5d6a7", "#ce93d8", "#ef9a9a", "#80deea", "#fff59d", "#bcaaa4", "#b0bec5",
                "#f48fb1"]


@dataclass(frozen=True)
class Panel:
    label: str  # "a" .. "e"
    t_ns: int  # the instant drawn
    start_ns: int  # the instant its story starts (narration)
    text: str
    logs: dict[str, list[int | None]]  # node -> terms of entries 1..last
    commit: dict[str, int]
    leader: str | None
    cut_off: tuple[str, ...]


class NoFigure8(ValueError):
    """The trace holds no index written with two different terms: nothing like Figure 8 happened."""


def _leaders(trace: list[dict[str, Any]]) -> list[tuple[int, str, int]]:
    return [(r["t"], str(r["node"]), int(r["term"])) for r in trace
            if r.get("kind") == "become-leader" and isinstance(r.get("term"), int)]


def _isolated(tl: Timeline, t: int) -> tuple[str, ...]:
    cut = set(tl.cut_at(t))
    return tuple(n for n in tl.nodes if all((n, m) in cut for m in tl.nodes if m != n))


def detect_panels(trace: list[dict[str, Any]], tl: Timeline) -> tuple[list[Panel], dict[str, Any]]:
    """The panels found on ``trace``; raises NoFigure8 when there is no contested index."""
    firsts: dict[int, dict[int, int]] = {}  # index -> term -> first write time
    for ws in tl.writes.values():
        for i, lst in ws.items():
            for t, term in lst:
                d = firsts.setdefault(i, {})
                d[term] = min(d.get(term, t), t)
    contested = sorted(i for i, d in firsts.items() if len(d) > 1)
    if not contested:
        raise NoFigure8("no index was ever written with two different terms: no Figure 8 in this run")
    idx = contested[0]
    t_low, t_high = sorted(firsts[idx])[:2]
    leaders = _leaders(trace)
    faults = [r["t"] for r in trace if r.get("kind") == "fault"]
    a = next((x for x in leaders if x[2] == t_low), None)
    b = next((x for x in leaders if x[2] == t_high), None)
    if a is None or b is None:
        raise NoFigure8(f"index {idx} holds terms {t_low} and {t_high}, but their leaders are not in the trace")
    c = next((x for x in leaders if x[2] > t_high and _term_at(tl, x[1], idx, x[0]) == t_low), None)
    if c is None:
        raise NoFigure8(f"no leader after term {t_high} was elected holding the term-{t_low} entry at index {idx}")
    d = next((x for x in leaders if x[0] > c[0] and x[2] > c[2]), None)
    end = tl.end_ns
    a_start = max([f for f in faults if f < b[0]] or [a[0]])
    c_cut = next((f for f in faults if f > c[0]), d[0] if d else end)
    instants = [("a", b[0] - 1, a_start), ("b", c[0] - 1, b[0]), ("c", c_cut, c[0])]
    holders_c = [n for n in tl.nodes if _term_at(tl, n, idx, c_cut) == t_low]
    peers_a = [n for n in tl.nodes if n != a[1] and _term_at(tl, n, idx, c[0] - 1) == t_low]
    c_commit = tl.state_at(c[1], c_cut).commit
    own = _term_at(tl, c[1], c_commit, c_cut) == c[2]
    how = (f"when its own term-{c[2]} entry is on a majority" if own else
           f"counting replicas of the old term-{t_low} entry, which §5.4.2 forbids")
    texts = {
        "a": f"(a) {a[1]} leads term {t_low}; cut off in a minority, it copies index {idx} (term {t_low}) "
             f"to {', '.join(peers_a) or 'no one'} only.",
        "b": f"(b) {b[1]} wins term {t_high} without them and appends a different entry at index {idx} "
             f"(term {t_high}); it is cut off at once.",
        "c": f"(c) {c[1]} wins term {c[2]} and copies the term-{t_low} entry to {', '.join(holders_c)}, a majority; "
             f"it commits up to index {c_commit} {how}, and is cut off right then.",
    }
    last = "e"
    if d is not None:
        # D's log has spread once its own first entry (after its last index at election) is committed on it.
        own_first = tl.state_at(d[1], d[0]).last_index + 1
        settled = next((t for t, st in tl.changes[d[1]] if t > d[0] and st.commit >= own_first), None)
        d_end = settled if settled is not None else next((f for f in faults if f > d[0]), end) - 1
        if _term_at(tl, d[1], idx, d[0]) != t_low:
            last = "d"
            texts["d"] = (f"(d) {d[1]} (last term {t_high}) wins term {d[2]} with the votes of servers that lack "
                          f"{c[1]}'s term-{c[2]} entry and overwrites index {idx} with term {_term_at(tl, d[1], idx, d_end)}.")
        else:
            texts["e"] = (f"(e) {c[1]}'s own term-{c[2]} entry was on a majority when it was cut off, so {d[1]} wins "
                          f"term {d[2]} holding index {idx} (term {t_low}): committed, through Log Matching.")
        instants.append((last, d_end, d[0]))
    else:
        texts["e"] = f"(e) no later leader: the term-{t_low} entry stays at index {idx}."
        instants.append(("e", end, c_cut))
    panels = []
    for label, t, start in instants:
        st = {n: tl.state_at(n, t) for n in tl.nodes}
        lead = [n for n in tl.nodes if st[n].role == "leader" and st[n].status == "up"]
        panels.append(Panel(label=label, t_ns=t, start_ns=start, text=texts[label],
                            logs={n: tl.log_at(n, t) for n in tl.nodes}, commit={n: st[n].commit for n in tl.nodes},
                            leader=max(lead, key=lambda n: st[n].term) if lead else None, cut_off=_isolated(tl, t)))
    info = {"index": idx, "old_term": t_low, "new_term": t_high, "ending": last}
    return panels, info


def _term_at(tl: Timeline, node: str, idx: int, t: int) -> int | None:
    log = tl.log_at(node, t)
    return log[idx - 1] if 0 < idx <= len(log) else None


def draw_strip(panels: list[Panel], nodes: list[str], out: Path, title: str) -> list[Path]:
    """Panels side by side, drawn like the paper: a row of term-numbered boxes per server."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    width = max([len(p.logs[n]) for p in panels for n in nodes] + [1])
    fig, axes = plt.subplots(1, len(panels), figsize=(2.2 + 0.36 * width * len(panels), 4.0), squeeze=False)
    for ax, p in zip(axes[0], panels):
        ax.set_xlim(-1.6, width + 0.2)
        ax.set_ylim(-3.2, len(nodes) + 0.6)
        ax.text(-1.5, -0.3, textwrap.fill(p.text, width=int(4.2 * width) + 6), fontsize=6.5, va="top", color="#37474f")
        ax.axis("off")
        for i in range(width):
            ax.text(i + 0.5, len(nodes) + 0.15, str(i + 1), ha="center", fontsize=7, color="#78909c")
        for r, n in enumerate(nodes):
            y = len(nodes) - 1 - r
            tag = "★" if n == p.leader else ("✕" if n in p.cut_off else "")
            ax.text(-0.2, y + 0.45, f"{n}{tag}", ha="right", va="center", fontsize=8,
                    color="#b00020" if n in p.cut_off else "#1d2329", fontweight="bold" if n == p.leader else "normal")
            for i, term in enumerate(p.logs[n]):
                committed = i + 1 <= p.commit[n]
                ax.add_patch(Rectangle((i + 0.05, y + 0.05), 0.9, 0.8, linewidth=1.6 if committed else 0.8,
                                       edgecolor="#263238" if committed else "#90a4ae",
                                       facecolor="#eceff1" if term is None else _TERM_COLORS[term % 10],
                                       linestyle="-" if committed else "--"))
                ax.text(i + 0.5, y + 0.42, "s" if term is None else str(term), ha="center", va="center", fontsize=8)
        ax.set_title(f"({p.label})  t={p.t_ns / 1e9:.3f} s", fontsize=9)
    fig.suptitle(title, fontsize=9)
    fig.text(0.01, 0.01, "boxes: log entries numbered by term (solid border: committed on that server); "
             "★ leader, ✕ cut off", fontsize=7, color="#56616d")
    fig.tight_layout(rect=(0, 0.04, 1, 0.95))
    paths = [out / "figure8.png", out / "figure8.svg"]
    fig.savefig(paths[0], dpi=90, metadata={"Software": None})
    fig.savefig(paths[1], metadata={"Date": None, "Creator": None})
    plt.close(fig)
    return paths


def figure8(run_dir: Path | str) -> tuple[list[Panel], dict[str, Any], list[Path]]:
    """Find the panels in ``run_dir``'s trace, write narration.json and the strip there.

    Raises: NoFigure8 when the trace holds no Figure 8.
    """
    root = Path(run_dir)
    data = load_run(root)
    tl = build_timeline(data.trace, server_nodes(data))
    panels, info = detect_panels(data.trace, tl)
    (root / "narration.json").write_text(json.dumps([{"t": p.start_ns, "text": p.text} for p in panels], indent=1)
                                         + "\n", encoding="utf-8")
    bug = (data.meta.get("params") or {}).get("bugs") if isinstance(data.meta.get("params"), dict) else ""
    title = (f"Figure 8 on the real code: {data.meta.get('scenario')} seed {data.meta.get('seed')}"
             f"{' with bug ' + bug if bug else ''}: index {info['index']}, terms {info['old_term']} vs {info['new_term']}, "
             f"ends in ({info['ending']})")
    return panels, info, draw_strip(panels, tl.nodes, root, title)
