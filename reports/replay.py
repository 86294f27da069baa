"""``replay.html``: one self-contained page that animates a run from its trace (no network, no CDN).

Rules:
- Reads the run directory only (through ``reports.data.load_run``) and ``reports.timeline``'s pure fold of the
  trace; the page's script only looks values up in the payload and draws them.
- Compact payload: per-node state columns with delta-coded int ns times (exact, so the page and
  ``Timeline.state_at`` agree at every instant), log writes per node, and messages thinned to at most
  ``MAX_MSGS`` by merging same-link, same-type messages sent within one window (the arrow says "xN").
- An optional ``narration.json`` in the run directory (``[{"t": ns, "text": "..."}]``, written by
  ``raftsim figure 8``) is shown as a caption line under the controls.
- Deterministic: the same run directory renders to the same bytes. Never raises on bad input: what is
  missing is said on the page.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from reports.data import ReportData, load_run
from reports.timeline import NodeState, Timeline, build_timeline

__all__ = ["MAX_MSGS", "payload", "render_replay", "server_nodes"]

MAX_MSGS = 30000
_WINDOWS_NS = (0, 1_000_000, 2_000_000, 5_000_000, 10_000_000, 20_000_000, 50_000_000, 100_000_000,
               200_000_000, 500_000_000, 1_000_000_000)
_FIELDS = ("role", "status", "term", "vote", "leader", "commit", "applied", "last_index", "snap_index")
_INTERNED = ("role", "status", "vote", "leader")


def _deltas(ts: list[int]) -> list[int]:
    out, prev = [], 0
    for t in ts:
        out.append(t - prev)
        prev = t
    return out


def _states(tl: Timeline, names: list[str]) -> dict[str, Any]:
    index = {s: i for i, s in enumerate(names)}
    out: dict[str, Any] = {}
    for node in tl.nodes:
        ch = tl.changes.get(node, [])
        col: dict[str, Any] = {"t": _deltas([t for t, _ in ch])}
        for f in _FIELDS:
            vals = [getattr(st, f) for _, st in ch]
            col[f] = [index[str(v)] if v is not None else -1 for v in vals] if f in _INTERNED else vals
        out[node] = col
    return out


def _logs(tl: Timeline) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for node in tl.nodes:
        flat = sorted((t, i, term) for i, ws in tl.writes.get(node, {}).items() for t, term in ws)
        out[node] = {"t": _deltas([w[0] for w in flat]), "i": [w[1] for w in flat], "term": [w[2] for w in flat]}
    return out


def _messages(tl: Timeline, nodes: list[str]) -> tuple[dict[str, Any], int]:
    """Thin messages to at most MAX_MSGS: one arrow per (link, type, dropped) and window, with a count."""
    msgs = tl.messages
    for w in _WINDOWS_NS:
        if w == 0:
            if len(msgs) <= MAX_MSGS:
                kept = [(m, 1) for m in msgs]
                break
            continue
        buckets: dict[tuple[str, str, str, bool, int], list[Any]] = {}
        order: list[tuple[str, str, str, bool, int]] = []
        for m in msgs:
            k = (m.src, m.dst, m.type, m.dropped, m.send_ns // w)
            b = buckets.get(k)
            if b is None:
                buckets[k] = [m, 1]
                order.append(k)
            else:
                b[1] += 1
        if len(order) <= MAX_MSGS or w == _WINDOWS_NS[-1]:
            kept = [(buckets[k][0], buckets[k][1]) for k in order]
            break
    types = sorted({m.type for m, _ in kept})
    ti = {t: i for i, t in enumerate(types)}
    ni = {n: i for i, n in enumerate(nodes)}
    end = tl.end_ns
    cols: dict[str, Any] = {"types": types, "src": [], "dst": [], "type": [], "term": [], "send": [], "dur": [],
                            "drop": [], "n": []}
    for m, n in kept:
        cols["src"].append(ni[m.src])
        cols["dst"].append(ni[m.dst])
        cols["type"].append(ti[m.type])
        cols["term"].append(-1 if m.term is None else m.term)
        cols["send"].append(m.send_ns // 1000)
        cols["dur"].append(((m.end_ns if m.end_ns is not None else end) - m.send_ns) // 1000)
        cols["drop"].append(1 if m.dropped else 0)
        cols["n"].append(n)
    cols["send"] = _deltas(cols["send"])
    return cols, (0 if kept and len(kept) == len(msgs) else w)


def _ops(data: ReportData) -> dict[str, Any]:
    fs = sorted({o.f for o in data.ops})
    fi = {f: i for i, f in enumerate(fs)}
    types = ["ok", "fail", "info"]
    cols: dict[str, Any] = {"fs": fs, "p": [], "f": [], "type": [], "inv": [], "end": [], "text": []}
    for o in data.ops:
        cols["p"].append(o.process)
        cols["f"].append(fi[o.f])
        cols["type"].append(types.index(o.type) if o.type in types else 2)
        cols["inv"].append(-1 if o.invoke_ns is None else o.invoke_ns // 1000)
        cols["end"].append(-1 if o.complete_ns is None else o.complete_ns // 1000)
        cols["text"].append(o.text if len(o.text) <= 60 else o.text[:59] + "…")
    return cols


def _violations(data: ReportData) -> list[dict[str, Any]]:
    out = []
    for c in data.counterexamples:
        events = [{"t": e["t"], "text": str(e.get("line") or e.get("kind") or "")[:160]}
                  for _, _, evs in c.trace_events for e in evs if isinstance(e.get("t"), int)][:20]
        out.append({"checker": c.checker, "summary": c.summary[:300],
                    "window": list(c.window) if c.window else None, "ops": list(c.offending or c.failing),
                    "events": events})
    out.sort(key=lambda v: (v["window"][0] if v["window"] else 1 << 62, v["checker"]))
    return out


def _narration(root: Path, notices: list[str]) -> list[dict[str, Any]]:
    path = root / "narration.json"
    if not path.is_file():
        return []
    try:
        items = json.loads(path.read_text(encoding="utf-8"))
        return [{"t": int(i["t"]), "text": str(i["text"])[:300]} for i in items
                if isinstance(i, dict) and isinstance(i.get("t"), int) and not isinstance(i.get("t"), bool)]
    except (ValueError, OSError, TypeError, KeyError) as e:
        notices.append(f"narration.json could not be read ({e}).")
        return []


def payload(data: ReportData, tl: Timeline, root: Path) -> dict[str, Any]:
    """Everything the replay page draws, as plain JSON values."""
    notices = list(data.notices)
    names = sorted({str(v) for ch in tl.changes.values() for _, st in ch for v in (st.role, st.status, st.vote,
                                                                                   st.leader) if v is not None}
                   | {NodeState().role, NodeState().status} | set(tl.nodes))
    msgs, window = _messages(tl, tl.nodes)
    params = data.meta.get("params") if isinstance(data.meta.get("params"), dict) else {}
    tick_ms = params.get("tick_ms", 10)
    election_ms = params.get("election_ticks", 10) * tick_ms if isinstance(tick_ms, (int, float)) else None
    return {
        "format": 1, "name": data.name, "nodes": tl.nodes, "names": names, "end": max(tl.end_ns, data.end_ns),
        "scenario": data.meta.get("scenario"), "seed": data.meta.get("seed"),
        "verdict": data.verdict.value if data.verdict else None,
        "election_ns": int(election_ms * 1_000_000) if isinstance(election_ms, (int, float)) else 0,
        "states": _states(tl, names), "logs": _logs(tl),
        "timers": {n: _deltas(tl.timer_resets.get(n, [])) for n in tl.nodes},
        "cuts": [[t, [list(p) for p in pairs]] for t, pairs in tl.cuts],
        "msgs": msgs, "msg_window_ns": window, "msg_total": len(tl.messages),
        "ops": _ops(data), "violations": _violations(data), "narration": _narration(root, notices),
        "notices": notices,
    }


def server_nodes(data: ReportData) -> list[str]:
    """The servers of a run: run.json's ``nodes``, else the trace's ``run`` record's, else every node seen."""
    nodes = data.meta.get("nodes")
    if not (isinstance(nodes, list) and nodes):
        nodes = next((r.get("nodes") for r in data.trace[:5] if r.get("kind") == "run"), None)
    if isinstance(nodes, list) and nodes:
        return [str(n) for n in nodes]
    return list(data.nodes)


def render_replay(run_dir: Path | str, data: ReportData | None = None) -> Path:
    """Write ``run_dir/replay.html``; return its path.

    Contract: ``run_dir`` is a run directory; missing or broken files are said on the page. ``data`` is its
    ``load_run`` if the caller has it already.
    Raises: OSError only if replay.html itself cannot be written.
    """
    from reports.html import esc
    from reports.replay_assets import CSS, JS, PAGE

    root = Path(run_dir)
    data = data if data is not None else load_run(root)
    tl = build_timeline(data.trace, server_nodes(data))
    blob = json.dumps(payload(data, tl, root), sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    blob = blob.replace("</", "<\\/").replace("<!--", "<\\!--")
    title = f"raftsim replay: {data.name}"
    out = root / "replay.html"
    out.write_text(PAGE.substitute(title=esc(title), css=CSS, js=JS, data=blob), encoding="utf-8", newline="\n")
    return out
