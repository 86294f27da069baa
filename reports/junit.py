"""JUnit XML of a sweep (``raftsim sweep --junit FILE``): one testcase per seed, for CI systems to render.

Rules:
- Input is the sweep's rows (scenarios/sweep.py ``SweepSummary.rows``: seed, verdict, failing, summaries,
  replay, wall_s); output is one ``<testsuite>`` in a ``<testsuites>`` root.
- An illegal seed is a ``<failure>``, an unknown one an ``<error>``; both carry the checkers' summaries as
  the message and the exact replay line as the text, so the CI page says how to reproduce it.
- Written atomically (a temporary file renamed into place).
"""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from pathlib import Path
from typing import Any

__all__ = ["junit_xml", "write_junit"]


def junit_xml(scenario: str, rows: Iterable[dict[str, Any]]) -> str:
    """The JUnit XML document for a sweep of ``scenario``."""
    rows = sorted(rows, key=lambda r: r["seed"])
    bad = {v: sum(1 for r in rows if r["verdict"] == v) for v in ("illegal", "unknown")}
    total = sum(float(r.get("wall_s") or 0.0) for r in rows)
    root = ET.Element("testsuites")
    suite = ET.SubElement(root, "testsuite", name=f"raftsim.{scenario}", tests=str(len(rows)),
                          failures=str(bad["illegal"]), errors=str(bad["unknown"]), skipped="0", time=f"{total:.3f}")
    for r in rows:
        case = ET.SubElement(suite, "testcase", classname=f"raftsim.{scenario}", name=f"seed-{r['seed']}",
                             time=f"{float(r.get('wall_s') or 0.0):.3f}")
        if r["verdict"] in bad:
            why = "; ".join(f"{k}: {v}" for k, v in sorted((r.get("summaries") or {}).items()))
            tag = "failure" if r["verdict"] == "illegal" else "error"
            el = ET.SubElement(case, tag, type=r["verdict"],
                               message=f"{r['verdict']}: {', '.join(r.get('failing') or [])}: {why}"[:1000])
            el.text = f"replay: {r['replay']}\n{why}\n"
        ET.SubElement(case, "system-out").text = f"replay: {r['replay']}\n"
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def write_junit(path: Path | str, scenario: str, rows: Iterable[dict[str, Any]]) -> Path:
    """Write ``junit_xml`` to ``path`` atomically; returns the path."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(junit_xml(scenario, rows), encoding="utf-8")
    os.replace(tmp, path)
    return path
