"""The report in a real browser: headless Chromium loads it and its script runs without errors.

The page script writes any uncaught error into ``#js-errors`` and marks a clean start with
``data-report-ready="1"`` on <body>; ``--dump-dom`` shows both. Skipped when ``chromium`` is not on PATH.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

import reports

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")


def dump_dom(html: Path) -> str:
    with tempfile.TemporaryDirectory() as profile:
        proc = subprocess.run(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={profile}", "--window-size=1400,3000", "--virtual-time-budget=3000",
             "--dump-dom", html.resolve().as_uri()],
            capture_output=True, text=True, timeout=30,
        )
    assert "<body" in proc.stdout, proc.stderr[-2000:]
    return proc.stdout


def test_failing_report_runs_its_script_without_errors_and_draws(failing_run: Path) -> None:
    dom = dump_dom(reports.render(failing_run))
    assert 'id="js-errors"' not in dom, dom.split('id="js-errors"', 1)[1][:500]
    assert 'data-report-ready="1"' in dom
    assert dom.count("data-op=") > 5, "the client timeline drew operation bars"
    assert dom.count('marker-end="url(#ah') > 5, "the Lamport diagram drew message arrows"


def test_a_script_error_is_visible_in_the_page(passing_run: Path) -> None:
    # A check that cannot fail is a defect: break the page on purpose and see the marker.
    out = reports.render(passing_run)
    broken = passing_run / "broken.html"
    broken.write_text(out.read_text(encoding="utf-8").replace("</body>", "<script>null.boom;</script></body>"))
    dom = dump_dom(broken)
    assert 'id="js-errors"' in dom and "Report script error" in dom
