"""One run's report: ``report.html``, ``replay.html`` and ``plots/`` drawn from its run directory.

Rules: reads the run directory only; never raises on a missing or broken file (the page says what is
missing); the same directory renders to the same bytes (reports/__init__.py's rules).
"""

from __future__ import annotations

import traceback
from pathlib import Path

from checkers.rundir import PLOTS, RunFiles
from reports.data import load_run

__all__ = ["render"]


def render(run_dir: Path | str) -> Path:
    """Write ``run_dir/report.html``, ``run_dir/replay.html`` and ``run_dir/plots/*.svg|png`` for one run; return
    the report's path.

    Contract: ``run_dir`` is a run directory (checkers.rundir); any of its files may be missing or broken, and
    the report then says so. The directory is created if it does not exist.
    Returns: the path of report.html.
    Raises: OSError only if report.html itself cannot be written.
    """
    from reports.html import esc, page, render_html  # matplotlib loads lazily, only when rendering
    from reports.plots import run_plots

    root = Path(run_dir)
    root.mkdir(parents=True, exist_ok=True)
    out = RunFiles(root).report
    try:
        data = load_run(root)
        plots = run_plots(data, root / PLOTS)
        text = render_html(data, plots)
        if data.has_trace:
            from reports.replay import render_replay

            render_replay(root, data)
    except Exception:  # the last guard: a report that says why it is empty beats a traceback  # noqa: BLE001
        tb = traceback.format_exc(limit=6)
        text = page(title="raftsim report (failed)", h1="raftsim report", sub=esc(root.name),
                    nav=[], notices=["The report could not be drawn: this is a bug in reports/."],
                    body=f"<section><h2>Error</h2><pre>{esc(tb)}</pre></section>")
    out.write_text(text, encoding="utf-8", newline="\n")
    return out
