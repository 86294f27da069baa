"""The sweep report: one page over many seeds of a scenario (``sweep.json`` rows and ``seed-<n>/`` run directories).

Rules:
- Reads the run directories that were kept (through ``reports.data.load_run``) and the rows of ``sweep.json``:
  a sweep keeps only its failing seeds' directories by default, so a seed with a row and no directory is a
  row from sweep.json alone (verdict, failing checkers, replay line). Never raises on bad input (an
  unreadable run is a row that says so). Recovery and latency distributions cover the kept runs only.
- Shows: each seed's verdicts with a link to its run, failures grouped by checker, and distributions of
  time-to-recovery per closing fault (heal/restart/resume -> next become-leader) and of ok-op latency.
- Deterministic: seeds in numeric order, plots with fixed SVG salt, no paths beyond the sweep directory.
"""

from __future__ import annotations

import json
import math
import re
import traceback
from pathlib import Path
from typing import Any

from checkers.rundir import REPORT

__all__ = ["render_sweep", "sweep_runs"]

_SEED_DIR = re.compile(r"^seed-(-?\d+)$")
_BAD = ("illegal", "unknown")  # row verdicts that are failures (ok and not-exercised are not)


def sweep_runs(sweep_dir: Path) -> list[tuple[int, Path]]:
    """The ``seed-<n>`` subdirectories of a sweep, in seed order."""
    out = []
    if sweep_dir.is_dir():
        for p in sweep_dir.iterdir():
            m = _SEED_DIR.match(p.name)
            if m and p.is_dir():
                out.append((int(m.group(1)), p))
    return sorted(out)


def render_sweep(sweep_dir: Path | str, *, render_runs: bool = False) -> Path:
    """Write ``sweep_dir/report.html`` (and ``sweep_dir/plots/sweep-*``); return the report's path.

    Contract: ``sweep_dir`` holds ``sweep.json`` and/or run directories named ``seed-<n>`` (any subset of seeds).
    With ``render_runs`` each run's own report is rendered first so the links lead somewhere.
    Raises: OSError only if report.html itself cannot be written.
    """
    from reports.html import esc, page

    root = Path(sweep_dir)
    root.mkdir(parents=True, exist_ok=True)
    out = root / "report.html"
    try:
        text = _render(root, render_runs)
    except Exception:  # noqa: BLE001 - the last guard; the page says it is our bug
        text = page(title="raftsim sweep (failed)", h1="raftsim sweep", sub=esc(root.name), nav=[],
                    notices=["The sweep report could not be drawn: this is a bug in reports/."],
                    body=f"<section><h2>Error</h2><pre>{esc(traceback.format_exc(limit=6))}</pre></section>")
    out.write_text(text, encoding="utf-8", newline="\n")
    return out


def _render(root: Path, render_runs: bool) -> str:
    import matplotlib

    from reports.report import render
    from reports.data import load_run, recovery_times
    from reports.html import esc, page, plot_block, verdict_badge
    from reports.plots import RC, Plot

    notices: list[str] = []
    summary: dict[str, Any] = {}
    failures: dict[str, list[tuple[int, str, str]]] = {}
    sj = root / "sweep.json"
    if sj.is_file():
        try:
            doc = json.loads(sj.read_text(encoding="utf-8"))
            summary = doc if isinstance(doc, dict) else {}
            if not isinstance(doc, dict):
                notices.append("sweep.json does not hold a JSON object; ignored.")
        except (ValueError, OSError, RecursionError) as e:
            why = "nested too deeply" if isinstance(e, RecursionError) else e
            notices.append(f"sweep.json could not be read ({why}); ignored.")
    runs = sweep_runs(root)
    by_seed: dict[int, dict[str, Any]] = {}
    for r in summary.get("rows") or []:
        if isinstance(r, dict) and isinstance(r.get("seed"), int):
            by_seed[r["seed"]] = r
    dirs = dict(runs)
    if not runs and not by_seed:
        notices.append("No seed-<n> run directories and no sweep.json rows in this sweep.")
    kept_note = ""
    if by_seed:
        n_all = len(set(dirs) | set(by_seed))
        if len(runs) < n_all:
            kept_note = (f"{len(runs)} of {n_all} seeds kept a run directory (a sweep keeps only failing seeds "
                         "unless run with --keep all); recovery and latency cover those only.")
            missing_bad = any(by_seed[s].get("verdict") in _BAD for s in set(by_seed) - set(dirs))
            if summary.get("keep") != "failing" or missing_bad:
                notices.append(kept_note)  # a directory is missing that the sweep meant to keep
    rows, checkers = [], []
    for seed in sorted(set(by_seed) - set(dirs)):
        r = by_seed[seed]
        for name in r.get("failing") or []:
            if name not in checkers:
                checkers.append(name)
            if r.get("verdict") in _BAD:
                failures.setdefault(name, []).append((seed, str(r.get("verdict")), str((r.get("summaries") or {}).get(name, ""))))
    rows_only = {seed: by_seed[seed] for seed in sorted(set(by_seed) - set(dirs))}
    recovery: dict[str, list[int | None]] = {}
    latencies: list[int] = []
    for seed, path in runs:
        if render_runs:
            render(path)
        data = load_run(path)
        by = {r.checker: r for r in data.results}
        for name in by:
            if name not in checkers:
                checkers.append(name)
        for name, r in sorted(by.items()):
            if r.verdict.is_failure:
                failures.setdefault(name, []).append((seed, r.verdict.value, r.summary))
        for k, v in recovery_times(data).items():
            recovery.setdefault(k, []).extend(v)
        latencies += [o.latency_ns for o in data.ops if o.type == "ok" and o.latency_ns is not None]
        rows.append((seed, path.name, data, by))
    checkers.sort()
    for name in failures:
        failures[name].sort()
    target = REPORT
    trs = []
    ok_only = [seed for seed, r in rows_only.items() if r.get("verdict") == "ok" and not r.get("failing")]
    if ok_only:  # one line for the passing seeds whose directories were not kept, not one row each
        trs.append((ok_only[0], f'<tr><td colspan="{len(checkers) + 5}">seeds {esc(_ranges(ok_only))}: '
                                f"{verdict_badge('ok')} ({len(ok_only)} seeds, no run directory kept)</td></tr>"))
    for seed, r in rows_only.items():
        if seed in ok_only:
            continue
        bad = set(r.get("failing") or [])
        v = str(r.get("verdict"))
        cells = "".join(f"<td>{verdict_badge(v if c in bad else 'ok') if v == 'ok' or c in bad else '—'}</td>"
                        for c in checkers)
        replay = r.get("replay")
        trs.append((seed, f'<tr><td>{esc(seed)}</td><td>{verdict_badge(v)}</td>{cells}<td>—</td><td>—</td>'
                          f"<td>{'<code>' + esc(replay) + '</code>' if replay and v != 'ok' else ''}</td></tr>"))
    for seed, name, data, by in rows:
        link = f"{name}/{target}" if (root / name / target).is_file() else f"{name}/"
        cells = "".join(f"<td>{verdict_badge(by[c].verdict.value) if c in by else '—'}</td>" for c in checkers)
        overall = data.verdict.value if data.verdict else None
        replay = data.meta.get("replay")
        problems = f"<div class='note'>{esc('; '.join(data.notices))}</div>" if data.notices else ""
        trs.append((seed, f'<tr><td><a href="{esc(link)}">{esc(seed)}</a></td><td>{verdict_badge(overall)}</td>{cells}'
                          f"<td>{len(data.ops)}</td><td>{len(data.faults)}</td>"
                          f"<td>{'<code>' + esc(replay) + '</code>' if replay else ''}{problems}</td></tr>"))
    head = "".join(f"<th>{esc(c)}</th>" for c in checkers)
    table = (f'<table class="grid"><tr><th>seed</th><th>verdict</th>{head}<th>ops</th><th>faults</th>'
             f'<th>replay</th></tr>{"".join(t for _, t in sorted(trs, key=lambda x: x[0]))}</table>')
    n_bad = (sum(1 for _, _, d, _ in rows if d.verdict is not None and d.verdict.is_failure)
             + sum(1 for r in rows_only.values() if r.get("verdict") in _BAD))
    n_seeds = len(rows) + len(rows_only)
    groups = []
    for name in sorted(failures):
        items = "".join((f'<li><a href="seed-{s}/">seed {s}</a>' if s in dirs else f"<li>seed {s}")
                        + f" {verdict_badge(v)} {esc(summ)}</li>" for s, v, summ in failures[name])
        groups.append(f"<h3>{esc(name)}: {len(failures[name])} of {n_seeds} seeds</h3><ul>{items}</ul>")
    fail_html = "".join(groups) or "<p>No checker failed on any seed.</p>"
    rec_rows = []
    for k in sorted(recovery):
        vals = sorted(v for v in recovery[k] if v is not None)
        none = sum(1 for v in recovery[k] if v is None)
        stats = (f"<td>{_q(vals, .5)}</td><td>{_q(vals, .9)}</td><td>{vals[-1] / 1e6:,.1f} ms</td>" if vals
                 else "<td>—</td><td>—</td><td>—</td>")
        rec_rows.append(f"<tr><td>{esc(k)}</td><td>{len(recovery[k])}</td><td>{len(vals)}</td>{stats}<td>{none}</td></tr>")
    rec_table = ('<table class="grid"><tr><th>fault</th><th>count</th><th>followed by an election</th><th>median</th>'
                 f'<th>p90</th><th>max</th><th>no new leader before the next fault</th></tr>{"".join(rec_rows)}</table>'
                 if rec_rows else "<p>No heal, restart or resume faults in these runs.</p>")
    plots: list[Plot] = []
    with matplotlib.rc_context(RC):
        for name, title, fn, arg in (("sweep-recovery", "Time to recovery", _recovery_fig, recovery),
                                     ("sweep-latency", "Latency distribution", _latency_fig, latencies)):
            try:
                from reports.plots import save

                plots.append(Plot(name, title, save(fn(arg), root / "plots", name)))
            except Exception as e:  # noqa: BLE001
                notices.append(f"plot {name} failed: {type(e).__name__}: {e}")
    meta_rows = "".join(f"<tr><th>{esc(k)}</th><td>{esc(json.dumps(v, sort_keys=True))}</td></tr>"
                        for k, v in sorted(summary.items()) if not isinstance(v, (list, dict)) or len(json.dumps(v)) < 200)
    scen = summary.get("scenario") or (rows[0][2].meta.get("scenario") if rows else None) or "sweep"
    body = f"""<section id="summary"><h2>Summary</h2>
<p>{n_seeds} seeds; {n_bad} not ok.{' ' + esc(kept_note) if kept_note and kept_note not in notices else ''}</p>{'<table class="kv">' + meta_rows + '</table>' if meta_rows else ''}
{table}</section>
<section id="failures"><h2>Failures by checker</h2>{fail_html}</section>
<section id="recovery"><h2>Time to recovery</h2><div class="caption">From each heal / restart / resume fault to the next
become-leader (only when a node became leader before the next fault).</div>{rec_table}
{''.join(plot_block(p) for p in plots if p.name == 'sweep-recovery')}</section>
<section id="latency"><h2>Latency</h2>{''.join(plot_block(p) for p in plots if p.name == 'sweep-latency')}</section>"""
    nav = [("summary", "Summary"), ("failures", "Failures"), ("recovery", "Recovery"), ("latency", "Latency")]
    verdict = "illegal" if n_bad else ("ok" if n_seeds else None)
    return page(title=f"raftsim sweep: {scen}", h1=f"raftsim sweep: {esc(scen)} {verdict_badge(verdict)}",
                sub=f"sweep directory <code>{esc(root.name)}</code>", nav=nav, notices=notices, body=body,
                js="document.body.setAttribute('data-report-ready','1');")


def _ranges(seeds: list[int]) -> str:
    """Sorted seeds as ranges: [1, 2, 3, 5, 7, 8] -> "1–3, 5, 7–8"."""
    out: list[str] = []
    start = prev = seeds[0]
    for s in [*seeds[1:], None]:
        if s is not None and s == prev + 1:
            prev = s
            continue
        out.append(f"{start}–{prev}" if prev > start else f"{start}")
        if s is not None:
            start = prev = s
    return ", ".join(out)


def _q(vals: list[int], q: float) -> str:
    i = min(len(vals) - 1, max(0, math.ceil(q * len(vals)) - 1))
    return f"{vals[i] / 1e6:,.1f} ms"


def _recovery_fig(recovery: dict[str, list[int | None]]) -> Any:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(9, 3.2))
    ax = fig.subplots()
    fig.subplots_adjust(left=0.17, right=0.97, top=0.88, bottom=0.17)
    kinds = sorted(recovery)
    data = [[v / 1e6 for v in recovery[k] if v is not None] for k in kinds]
    if any(data):
        for i, d in enumerate(data, 1):
            ax.scatter(d, [i] * len(d), s=14, alpha=0.6, color="#2357a6", zorder=3)
            if d:
                med = sorted(d)[(len(d) - 1) // 2]
                ax.plot([med, med], [i - 0.3, i + 0.3], color="#d43d3d", lw=2, zorder=4)
        ax.set_yticks(range(1, len(kinds) + 1), [f"{k} (n={len(d)})" for k, d in zip(kinds, data)])
        ax.set_ylim(0.4, len(kinds) + 0.6)
        ax.set_xlabel("ms from the fault to the next become-leader (red: median)")
    else:
        ax.text(0.5, 0.5, "no fault was followed by an election", transform=ax.transAxes, ha="center", color="#777")
        ax.set_yticks([])
    ax.set_title("Time to recovery per fault type", loc="left")
    ax.grid(True, axis="x", color="#ddd", lw=0.6)
    return fig


def _latency_fig(latencies: list[int]) -> Any:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(9, 3.2))
    ax = fig.subplots()
    fig.subplots_adjust(left=0.17, right=0.97, top=0.88, bottom=0.17)
    ms = [max(v, 1000) / 1e6 for v in latencies]
    if ms:
        lo, hi = math.log10(min(ms)), math.log10(max(ms)) + 1e-9
        bins = [10 ** (lo + (hi - lo) * i / 40) for i in range(41)] if hi > lo else 20
        ax.hist(ms, bins=bins, color="#2e9e44", alpha=0.85)
        ax.set_xscale("log")
        ax.set_xlabel("latency of ok operations, all seeds (ms)")
        ax.set_ylabel("operations")
    else:
        ax.text(0.5, 0.5, "no ok operations", transform=ax.transAxes, ha="center", color="#777")
    ax.set_title(f"Latency distribution ({len(ms)} ok operations)", loc="left")
    return fig
