"""replay.html in a real browser (selenium + Debian's chromium and chromedriver): the drawn state is the trace's.

The slider is moved to chosen instants (every kind of state change of a run with crashes, restarts and
partitions, and the nanosecond before each); at each, the role, term, commit index and status drawn in every
server's circle must equal ``reports.timeline``'s state at that instant. A screenshot is saved (set
RAFTSIM_SCREENSHOT_DIR to keep it). Skipped, with the reason, when chromium, chromedriver or selenium is absent.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from checkers import check_run
from reports.data import load_run
from reports.replay import render_replay, server_nodes
from reports.timeline import build_timeline
from scenarios.runner import run
from scenarios.spec import Scenario

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")
try:
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service
except ImportError:  # pragma: no cover
    webdriver = None

pytestmark = pytest.mark.skipif(CHROMIUM is None or DRIVER is None or webdriver is None,
                                reason="needs selenium, chromium and chromedriver (Debian: chromium, chromium-driver)")


@pytest.fixture(scope="module")
def browser():  # type: ignore[no-untyped-def]
    opts = Options()
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1300,1000",
              "--disable-background-networking", "--no-first-run"):
        opts.add_argument(a)
    opts.binary_location = CHROMIUM
    driver = webdriver.Chrome(service=Service(DRIVER), options=opts)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="module")
def replay_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # Crashes, restarts and partitions in 2 s of faults: every status and role appears.
    scen = Scenario.create("kill-leader-loop", {"duration_s": 2.5, "recover_s": 1.0, "clients": 3})
    rd = run(scen, 2, tmp_path_factory.mktemp("replay") / "run")
    check_run(rd.root)
    render_replay(rd.root)
    return rd.root


def _instants(root: Path) -> tuple[list[int], object]:
    """Each role/status/term change and the nanosecond before it, plus every 25th commit change."""
    data = load_run(root)
    tl = build_timeline(data.trace, server_nodes(data))
    picked: set[int] = set()
    for node in tl.nodes:
        prev = None
        for k, (t, st) in enumerate(tl.changes[node]):
            if prev is None or (prev.role, prev.status, prev.term) != (st.role, st.status, st.term) or k % 25 == 0:
                picked |= {t - 1, t}
            prev = st
    ordered = sorted(p for p in picked if p >= 0)
    step = max(1, len(ordered) // 80)
    return ordered[::step], tl


def _drawn(driver, nodes: list[str]) -> dict[str, tuple[str, int, int, str]]:  # type: ignore[no-untyped-def]
    got = driver.execute_script(
        "var out={};arguments[0].forEach(function(n){var g=document.getElementById('srv-'+n);"
        "out[n]=[g.querySelector('.v-role').textContent,g.querySelector('.v-term').textContent,"
        "g.querySelector('.v-commit').textContent,g.querySelector('.v-status').textContent];});return out;", nodes)
    return {n: (r, int(t.split()[-1]), int(c.split()[-1]), s or "up") for n, (r, t, c, s) in got.items()}


def _move_slider(driver, t: int) -> None:  # type: ignore[no-untyped-def]
    driver.execute_script("var s=document.getElementById('slider');s.value=String(arguments[0]);"
                          "s.dispatchEvent(new Event('input'));", t)


def _mismatches(driver, page: Path, instants: list[int], tl) -> list[str]:  # type: ignore[no-untyped-def]
    driver.get(page.resolve().as_uri())
    assert driver.execute_script("return document.body.getAttribute('data-replay-ready')") == "1"
    assert driver.execute_script("return document.getElementById('js-errors').textContent") == ""
    bad = []
    for t in instants:
        _move_slider(driver, t)
        assert driver.execute_script("return window.replay.time()") == t
        drawn = _drawn(driver, tl.nodes)
        for n in tl.nodes:
            s = tl.state_at(n, t)
            want = (s.role, s.term, s.commit, s.status)
            if drawn[n] != want:
                bad.append(f"t={t} {n}: drawn {drawn[n]}, trace {want}")
    return bad


def test_drawn_roles_terms_commits_equal_the_trace_at_chosen_instants(browser, replay_run: Path, tmp_path: Path) -> None:
    instants, tl = _instants(replay_run)
    assert len(instants) > 20
    statuses = {tl.state_at(n, t).status for t in instants for n in tl.nodes}
    assert {"up", "down", "restarting"} <= statuses, statuses
    assert _mismatches(browser, replay_run / "replay.html", instants, tl) == []
    shots = Path(os.environ.get("RAFTSIM_SCREENSHOT_DIR") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    down = next(t for t in instants if any(tl.state_at(n, t).status == "down" for n in tl.nodes))
    _move_slider(browser, down)
    assert browser.save_screenshot(str(shots / "replay.png"))


def test_the_comparison_sees_a_page_that_draws_a_wrong_term(browser, replay_run: Path) -> None:
    # A check that cannot fail is a defect: the page's payload says every term is one higher.
    instants, tl = _instants(replay_run)
    page = replay_run / "replay.html"
    text = page.read_text(encoding="utf-8")
    broken = replay_run / "broken.html"
    broken.write_text(text.replace("var c=s.c;", "var c=s.c;c={role:c.role,status:c.status,vote:c.vote,leader:c.leader,"
                                   "commit:c.commit,applied:c.applied,last_index:c.last_index,snap_index:c.snap_index,"
                                   "term:c.term.map(function(x){return x+1;})};"), encoding="utf-8")
    bad = _mismatches(browser, broken, instants[:6], tl)
    assert bad and all("drawn" in m for m in bad)


def test_url_fragment_opens_an_instant(browser, replay_run: Path) -> None:
    instants, tl = _instants(replay_run)
    t = instants[len(instants) // 2]
    browser.get(f"{(replay_run / 'replay.html').resolve().as_uri()}#t={t}")
    assert browser.execute_script("return window.replay.time()") == t
    n = tl.nodes[0]
    assert _drawn(browser, [n])[n][1] == tl.state_at(n, t).term
