"""reports: plots and the self-contained HTML report of one run or one sweep.

Rules:
- Reads run directories only (run.json, history.jsonl, trace.jsonl, result.json); writes report.html,
  replay.html and plots/ inside the directory it was given. Never raises on bad input: what is missing is said on the page.
- Deterministic: the same run directory renders to the same bytes, in any process.
"""

from __future__ import annotations

from reports.data import ReportData, load_run
from reports.report import render
from reports.sweep import render_sweep

__all__ = ["ReportData", "load_run", "render", "render_sweep"]
