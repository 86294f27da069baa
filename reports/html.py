# Over 400 lines: one page template filled section by section.
"""The self-contained ``report.html`` of one run (string.Template; CSS, SVG, JS and data inline).

Rules:
- Every string from a run's files is HTML-escaped; the JSON payload escapes ``</`` so it cannot close its
  ``<script>``. No absolute paths, clocks or object ids reach the page: same ReportData, same bytes.
- A section whose input is missing says so in place; ``ReportData.notices`` are listed at the top.
- Caps keep the page small for long runs (node logs, embedded ops and messages); each cap says so.
"""

from __future__ import annotations

import base64
import html
import json
from string import Template
from typing import Any

from reports.assets import CSS, JS
from reports.data import ClientOp, Counterexample, ReportData, hashable, natural_key
from reports.plots import Plot

__all__ = ["page", "render_html", "esc", "verdict_badge"]

LOG_LINES = 1200  # per node
EMBED_MSGS = 12000
EMBED_OPS = 20000

PAGE = Template("""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>$title</title>
<style>$css</style>
</head>
<body>
<header><h1>$h1</h1><div class="sub">$sub</div></header>
<nav>$nav</nav>
<main>
$notices
$body
</main>
<div id="tip"></div>
$data
<script>$js</script>
</body></html>
""")


def esc(v: Any) -> str:
    return html.escape(str(v), quote=True)


def verdict_badge(v: str | None) -> str:
    v = v or "none"
    cls = v if v in ("ok", "illegal", "unknown") else "none"
    text = {"none": "not checked", "not-exercised": "not exercised"}.get(v, v)
    return f'<span class="badge v-{cls}">{esc(text)}</span>'


def _ms(ns: int | None) -> str:
    return "—" if ns is None else f"{ns / 1e6:,.3f} ms"


def _json_script(obj: Any, id_: str) -> str:
    text = json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    text = text.replace("</", "<\\/").replace("<!--", "<\\!--")
    return f'<script type="application/json" id="{id_}">{text}</script>'


def page(*, title: str, h1: str, sub: str, nav: list[tuple[str, str]], notices: list[str], body: str,
         data: Any = None, js: str = "") -> str:
    """Fill the page template (shared by the run and the sweep report)."""
    nav_html = "".join(f'<a href="#{esc(a)}">{esc(t)}</a>' for a, t in nav)
    notes = ""
    if notices:
        items = "".join(f"<li>{esc(n)}</li>" for n in notices)
        notes = f'<div class="notices" id="notices"><h2>Missing or unreadable input</h2><ul>{items}</ul></div>'
    return PAGE.substitute(
        title=esc(title), h1=h1, sub=sub, nav=nav_html, notices=notes, body=body, css=CSS,
        data=_json_script(data if data is not None else {}, "report-data"), js=js,
    )


def plot_block(p: Plot) -> str:
    b64 = base64.b64encode(p.svg.encode("utf-8")).decode("ascii")
    cap = f'<div class="caption">{esc(p.caption)}</div>' if p.caption else ""
    return (f'<div class="plot" id="plot-{esc(p.name)}"><img alt="{esc(p.title)}" src="data:image/svg+xml;base64,{b64}">'
            f'{cap}<div class="links">plots/{esc(p.name)}: <a href="plots/{esc(p.name)}.svg">SVG</a> · '
            f'<a href="plots/{esc(p.name)}.png">PNG</a></div></div>')


def focus_window(data: ReportData) -> tuple[int, int]:
    """The default window of the Lamport diagram: around the first failure, else the first fault, else the start."""
    end = max(data.end_ns, 1)
    for c in data.counterexamples:
        if c.window:
            a, b = c.window
            pad = max((b - a) // 2, 10_000_000)
            return max(0, a - pad), min(end, b + pad)
    if data.faults:
        s = data.faults[0].start_ns
        return max(0, s - 100_000_000), min(end, s + 300_000_000)
    return 0, min(end, 500_000_000)


def _nearest(n: int, times: list[int], centre: int, keep: set[int]) -> list[int]:
    """Indexes of the ``n`` items nearest ``centre`` (ties by index), plus ``keep``, in index order."""
    order = sorted(range(len(times)), key=lambda i: (abs(times[i] - centre), i))[:n]
    return sorted(set(order) | keep)


def payload(data: ReportData, focus: tuple[int, int]) -> dict[str, Any]:
    """The JSON the page script draws from (compact arrays; see assets.JS for the field order)."""
    centre = (focus[0] + focus[1]) // 2
    flags: dict[int, int] = {}
    for c in data.counterexamples:
        for i in c.offending:
            flags[i] = flags.get(i, 0) | 1
        for i in c.failing:
            flags[i] = flags.get(i, 0) | 2
    ops = data.ops
    idx = list(range(len(ops)))
    if len(ops) > EMBED_OPS:
        idx = _nearest(EMBED_OPS, [o.invoke_ns or 0 for o in ops], centre, set(flags))
    op_rows = [[ops[i].process, ops[i].type, ops[i].invoke_ns or 0, ops[i].complete_ns, ops[i].text, flags.get(i, 0), ops[i].index]
               for i in idx]
    nodes = data.nodes
    node_i = {n: i for i, n in enumerate(nodes)}
    types = sorted({m.type for m in data.messages})
    type_i = {t: i for i, t in enumerate(types)}
    msgs = data.messages
    midx = list(range(len(msgs)))
    if len(msgs) > EMBED_MSGS:
        midx = _nearest(EMBED_MSGS, [m.send_ns for m in msgs], centre, set())
    msg_rows = []
    for i in midx:
        m = msgs[i]
        if m.src not in node_i or m.dst not in node_i:
            continue
        deliveries = m.deliver_ns or (None,)
        for d in deliveries:  # a duplicated message is one arrow per delivery
            msg_rows.append([node_i[m.src], node_i[m.dst], type_i[m.type], m.send_ns, d,
                             m.drop_ns if d is None else None, f"#{m.id} {m.text}", m.drop_reason])
    return {
        "end": data.end_ns, "nodes": nodes, "types": types, "focus": list(focus),
        "procs": sorted({o.process for o in ops}),
        "ops": op_rows,
        "faults": [[f.kind, f.label, f.start_ns, f.end_ns, f.is_open] for f in data.faults],
        "leaders": _leader_rows(data),
        "gaps": [[node_i[r.node], r.role, r.start_ns, r.end_ns] for r in data.roles
                 if r.role in ("down", "paused") and r.node in node_i],
        "marks": [[t, node_i[n], k, ""] for t, n, k in data.marks if n in node_i],
        "msgs": msg_rows, "msgs_total": len(msgs), "msgs_capped": len(midx) < len(msgs),
        "cex": [{"checker": c.checker, "window": list(c.window) if c.window else None} for c in data.counterexamples],
    }


def _leader_rows(data: ReportData) -> list[list[Any]]:
    """Leader spans with a row each, so that two nodes that both think they lead are both visible."""
    rows_end: list[int] = []
    out = []
    for r in sorted((r for r in data.roles if r.role == "leader"), key=lambda r: (r.start_ns, r.term, natural_key(r.node))):
        row = next((i for i, e in enumerate(rows_end) if e <= r.start_ns), len(rows_end))
        if row == len(rows_end):
            rows_end.append(r.end_ns)
        rows_end[row] = r.end_ns
        out.append([r.node, r.term, r.start_ns, r.end_ns, row])
    return out


def _summary(data: ReportData) -> str:
    m = data.meta
    rows: list[tuple[str, str]] = []

    def add(k: str, v: Any, raw: bool = False) -> None:
        if v is not None and v != "" and v != {}:
            rows.append((k, v if raw else esc(v)))

    add("scenario", m.get("scenario"))
    add("scenario repr", f"<code>{esc(m.get('scenario_repr'))}</code>" if m.get("scenario_repr") else None, raw=True)
    params = m.get("params")
    if isinstance(params, dict) and params:
        add("parameters", " ".join(f"<code>{esc(k)}={esc(json.dumps(v, sort_keys=True))}</code>"
                                   for k, v in sorted(params.items())), raw=True)
    add("seed", m.get("seed"))
    add("nodes", ", ".join(data.nodes) if data.nodes else None)
    add("clients", m.get("clients"))
    add("duration", f"{data.end_ns / 1e9:.3f} s of virtual time" if data.end_ns else None)
    add("code version", m.get("code_version"))
    if m.get("replay"):
        add("replay", f'<code class="cmd">{esc(m.get("replay"))}</code>', raw=True)
    if data.has_trace:
        add("animation", '<a id="replay-link" href="replay.html">Replay</a>: the run step by step (replay.html)', raw=True)
    sha = data.trace_sha256
    want = m.get("trace_sha256")
    if sha:
        note = " (matches run.json)" if want == sha else (" (run.json says " + esc(want) + ")" if want else "")
        add("trace SHA-256", f"<code>{esc(sha)}</code>{note}", raw=True)
    elif want:
        add("trace SHA-256", f"<code>{esc(want)}</code> (from run.json; trace.jsonl not read)", raw=True)
    counts: dict[str, int] = {}
    for o in data.ops:
        counts[o.type] = counts.get(o.type, 0) + 1
    if data.has_history:
        add("operations", f"{len(data.ops)}: " + ", ".join(f"{counts.get(t, 0)} {t}" for t in ("ok", "fail", "info")))
    if data.has_trace:
        delivered = sum(len(x.deliver_ns) for x in data.messages)
        dropped = sum(1 for x in data.messages if x.drop_ns is not None)
        add("trace", f"{len(data.trace)} events; {len(data.messages)} messages sent, {delivered} delivered, "
                     f"{dropped} dropped; {len(data.faults)} faults")
    table = "".join(f"<tr><th>{esc(k)}</th><td>{v}</td></tr>" for k, v in rows)
    verdicts = ""
    if data.results:
        vr = []
        for r in data.results:
            det = ""
            if r.details:
                text = json.dumps(r.details, indent=1, sort_keys=True, default=str)
                text = text if len(text) <= 20000 else text[:20000] + "\n… (truncated; see result.json)"
                det = f"<details><summary>details</summary><pre>{esc(text)}</pre></details>"
            vr.append(f"<tr><td><b>{esc(r.checker)}</b></td><td>{verdict_badge(r.verdict.value)}</td>"
                      f"<td>{esc(r.summary)}{det}</td><td>{r.elapsed_s:.3f} s</td></tr>")
        verdicts = ('<h3>Checkers</h3><table class="grid"><tr><th>checker</th><th>verdict</th><th>summary</th>'
                    f'<th>time</th></tr>{"".join(vr)}</table>')
    else:
        verdicts = "<h3>Checkers</h3><p>No verdicts: result.json is missing or unreadable.</p>"
    return f'<section id="summary"><h2>Summary</h2><table class="kv">{table}</table>{verdicts}</section>'


def _cex(data: ReportData) -> str:
    if not data.counterexamples:
        return ""
    parts = []
    for n, c in enumerate(data.counterexamples):
        parts.append(_one_cex(data, n, c))
    return f'<section id="counterexample"><h2>Counterexample</h2>{"".join(parts)}</section>'


def _op_li(o: ClientOp) -> str:
    return f"<li><code>{esc(o.text)}</code>{' on ' + esc(o.node) if o.node else ''}</li>"


def _one_cex(data: ReportData, n: int, c: Counterexample) -> str:
    rows = [f"<tr><th>checker</th><td>{esc(c.checker)}</td></tr>"]
    if c.key is not None:
        rows.append(f"<tr><th>key</th><td><code>{esc(c.key)}</code></td></tr>")
    if c.summary:
        rows.append(f"<tr><th>summary</th><td>{esc(c.summary)}</td></tr>")
    if c.window:
        btn = f' <button data-window="{esc(json.dumps(list(c.window)))}">show in timeline and Lamport diagram</button>'
        rows.append(f"<tr><th>illegal window</th><td>{_ms(c.window[0])} – {_ms(c.window[1])}{btn}</td></tr>")
    failing = "".join(_op_li(data.ops[i]) for i in c.failing)
    if failing:
        rows.append(f"<tr><th>failing op</th><td><ul>{failing}</ul></td></tr>")
    others = "".join(_op_li(data.ops[i]) for i in c.offending if i not in c.failing)
    if others:
        rows.append(f"<tr><th>other ops involved</th><td><ul>{others}</ul></td></tr>")
    for prop, message, events in c.trace_events:
        rows.append(f"<tr><th>{esc(prop)}</th><td>{esc(message)}{_trace_events(events)}</td></tr>")
    pls = ""
    for k, pl in enumerate(c.partial):
        items = "".join(f"<li><code>{esc(x)}</code></li>" for x in pl)
        n_ops = sum(1 for x in pl if not x.startswith("=> state"))
        pls += f"<h3>Longest partial linearization {k + 1} ({n_ops} ops)</h3><ol>{items}</ol>"
    return f'<div class="cex" id="cex-{n}"><table class="kv">{"".join(rows)}</table>{pls}</div>'


def _trace_events(events: tuple[dict[str, Any], ...]) -> str:
    """Counterexample events of the trace: time, node, event and its fields, line in trace.jsonl."""
    if not events:
        return ""
    rows = []
    for e in events:
        t = e.get("t")
        fields = ", ".join(f"{k}={json.dumps(v)}" for k, v in sorted(e.items()) if k not in ("t", "node", "kind", "line"))
        rows.append(f"<tr><td>{_ms(t) if isinstance(t, int) else '—'}</td><td>{esc(str(e.get('node', '')))}</td>"
                    f"<td><code>{esc(str(e.get('kind', '')))}</code> {esc(fields)}</td><td>{esc(str(e.get('line', '')))}</td></tr>")
    return ('<table class="grid"><tr><th>time</th><th>node</th><th>event</th><th>trace.jsonl line</th></tr>'
            f'{"".join(rows)}</table>')


def _faults(data: ReportData) -> str:
    if not data.has_trace:
        return '<section id="faults"><h2>Faults</h2><p>No trace: faults unknown.</p></section>'
    if not data.faults:
        return '<section id="faults"><h2>Faults</h2><p>No faults were injected.</p></section>'
    rows = "".join(f"<tr><td>{esc(f.kind)}</td><td><code>{esc(f.label)}</code></td><td>{_ms(f.start_ns)}</td>"
                   f"<td>{'end of run' if f.is_open else _ms(f.end_ns)}</td>"
                   f"<td>{'' if f.end_ns == f.start_ns else _ms(f.end_ns - f.start_ns)}</td></tr>" for f in data.faults)
    return ('<section id="faults"><h2>Faults</h2><table class="grid"><tr><th>kind</th><th>fault</th><th>from</th>'
            f'<th>to</th><th>lasting</th></tr>{rows}</table></section>')


def _plots(plots: list[Plot], names: tuple[str, ...], sid: str, title: str, missing: str) -> str:
    blocks = "".join(plot_block(p) for p in plots if p.name in names)
    return f'<section id="{sid}"><h2>{esc(title)}</h2>{blocks or f"<p>{esc(missing)}</p>"}</section>'


def _legend(items: list[tuple[str, str]]) -> str:
    return '<div class="legend">' + "".join(f'<span><i style="background:{c}"></i>{esc(t)}</span>' for t, c in items) + "</div>"


def _timeline(data: ReportData) -> str:
    if not data.has_history:
        return '<section id="timeline-section"><h2>Client timeline</h2><p>No history: no timeline.</p></section>'
    fail_btn = '<button id="tl-fail">illegal window</button>' if data.counterexamples else ""
    legend = _legend([("ok", "#2e9e44"), ("fail", "#d43d3d"), ("info (runs to the end)", "#f2cd80"),
                      ("partition", "#cfdcf4"), ("crash", "#f5d0d0"), ("pause", "#e4d8f1"),
                      ("illegal window", "#f7d6d6")] if data.counterexamples else
                     [("ok", "#2e9e44"), ("fail", "#d43d3d"), ("info (runs to the end)", "#f2cd80"),
                      ("partition", "#cfdcf4"), ("crash", "#f5d0d0"), ("pause", "#e4d8f1")])
    return f"""<section id="timeline-section"><h2>Client timeline</h2>
<div class="caption">One lane per client process; a bar runs from invoke to completion. Top strip: the leader per term.
Hover a bar for the operation{'; ops outlined in black are in the counterexample (thick: the failing op), click one to jump to it' if data.counterexamples else ''}.</div>
{legend}
<div class="controls">window from <input type="number" id="tl-from" step="any"> to <input type="number" id="tl-to" step="any"> ms
<button id="tl-apply">apply</button><button id="tl-all">whole run</button>{fail_btn}<span class="note" id="tl-note"></span></div>
<div class="svgbox" id="timeline"></div></section>"""


def _lamport(data: ReportData) -> str:
    if not data.has_trace:
        return '<section id="lamport-section"><h2>Messages (Lamport diagram)</h2><p>No trace: no messages.</p></section>'
    return """<section id="lamport-section"><h2>Messages (Lamport diagram)</h2>
<div class="caption">One line per node; an arrow per message from send to delivery (dashed red stub ending in ×: dropped, pointing towards its destination). Hover an arrow for the
message. ★ became leader, ◆ became candidate, ✕ crash, ↻ restart, ‖ pause, ▶ resume; dark/purple bars: node down/paused.
The default window is around the first failure (or the first fault).</div>
<div class="controls"><b>nodes</b> <span id="lp-nodes"></span></div>
<div class="controls"><b>types</b> <span id="lp-types"></span></div>
<div class="controls">window from <input type="number" id="lp-from" step="any"> to <input type="number" id="lp-to" step="any"> ms
<button id="lp-apply">apply</button><button id="lp-focus">focus</button><button id="lp-all">whole run</button>
<span class="note" id="lp-note"></span></div>
<div class="svgbox" id="lamport"></div></section>"""


def event_line(rec: dict[str, Any], texts: dict[tuple[str, Any], str]) -> str:
    """One log line for a trace record; messages are shown in their one-line form."""
    kind, node = rec.get("kind"), rec.get("node")
    rest = {k: v for k, v in rec.items() if k not in ("t", "kind", "node")}
    if kind == "send":
        detail = f"#{rec.get('id')} {rec.get('msg') or ''}"
    elif kind in ("deliver", "drop", "duplicate"):
        src = rec.get("src") if kind == "deliver" else node
        text = texts.get((str(src), hashable(rec.get("id"))), f"{src}->{rec.get('dst', node)} {rec.get('type')}")
        why = f" ({rec.get('reason')})" if kind == "drop" else ""
        detail = f"#{rec.get('id')} {text}{why}"
    elif kind == "fault":
        detail = str(rec.get("fault", ""))
    else:
        detail = " ".join(f"{k}={json.dumps(v, sort_keys=True)}" for k, v in sorted(rest.items()))
    t = rec.get("t", 0)
    return f"{t / 1e6:13.3f} ms  {str(kind):<16} {detail}"


def _logs(data: ReportData, focus: tuple[int, int]) -> str:
    if not data.has_trace:
        return '<section id="logs"><h2>Node logs</h2><p>No trace: no logs.</p></section>'
    texts = {(m.src, hashable(m.id)): m.text for m in data.messages}
    per: dict[str, list[dict[str, Any]]] = {}
    for rec in data.trace:
        node = rec.get("node")
        key = str(node) if node is not None and rec.get("kind") != "fault" else "(cluster)"
        per.setdefault(key, []).append(rec)
    out = []
    centred = bool(data.counterexamples)
    for key in sorted(per, key=lambda k: (k == "(cluster)", natural_key(k))):
        recs = per[key]
        lo = 0
        if len(recs) > LOG_LINES and centred:
            first = next((i for i, r in enumerate(recs) if r["t"] >= focus[0]), len(recs))
            lo = max(0, min(first - LOG_LINES // 4, len(recs) - LOG_LINES))
        shown = recs[lo:lo + LOG_LINES]
        note = ""
        if len(shown) < len(recs):
            where = "around the failure window" if centred else "from the start"
            note = (f"<div class='note'>showing events {lo + 1}–{lo + len(shown)} of {len(recs)} ({where}); "
                    "the full trace is trace.jsonl</div>")
        body = esc("\n".join(event_line(r, texts) for r in shown))
        out.append(f'<details class="log"><summary>{esc(key)} — {len(recs)} events</summary>{note}<pre>{body}</pre></details>')
    return ('<section id="logs"><h2>Node logs</h2><div class="caption">The trace per node (cluster-wide faults under '
            f'"(cluster)"), times in virtual ms. Click to expand.</div>{"".join(out)}</section>')


def render_html(data: ReportData, plots: list[Plot]) -> str:
    """The whole report page for one run."""
    focus = focus_window(data)
    m = data.meta
    verdict = data.verdict.value if data.verdict else None
    scen = m.get("scenario") or "run"
    seed = m.get("seed")
    title = f"raftsim: {scen}" + (f" seed {seed}" if seed is not None else "")
    h1 = f"{esc(title)} {verdict_badge(verdict)}"
    sub = f"run directory <code>{esc(data.name)}</code>"
    nav = [("summary", "Summary")]
    if data.counterexamples:
        nav.append(("counterexample", "Counterexample"))
    nav += [("faults", "Faults"), ("latency", "Latency"), ("protocol", "Protocol state"),
            ("timeline-section", "Client timeline"), ("lamport-section", "Messages"), ("logs", "Node logs")]
    body = "\n".join([
        _summary(data), _cex(data), _faults(data),
        _plots(plots, ("latency-raw", "latency-quantiles", "rate"), "latency", "Latency and throughput",
               "No history: no latency or throughput plots."),
        _plots(plots, ("protocol-lanes",), "protocol", "Protocol state", "No trace: no protocol lanes."),
        _timeline(data), _lamport(data), _logs(data, focus),
    ])
    return page(title=title, h1=h1, sub=sub, nav=nav, notices=data.notices, body=body,
                data=payload(data, focus), js=JS)
