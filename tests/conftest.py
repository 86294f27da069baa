from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
TESTS = Path(__file__).resolve().parent
if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--rewrite", action="store_true", default=False,
                     help="rewrite data-driven test files with the actual output")


@pytest.fixture
def rewrite(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--rewrite"))


# -- the source tree stays clean -------------------------------------------------------------------------
# A test that writes into the checkout (a default ``runs/...`` output, a corpus entry over a tracked file)
# fails the session: tests write under their tmp_path only. Caches that tools keep there are not writes.
_CACHES = {".git", ".venv", "__pycache__", ".pytest_cache", ".hypothesis", "build", "dist"}


def source_tree_files(root: Path = ROOT) -> dict[str, tuple[int, int]]:
    """{relative path: (size, mtime_ns)} of every file in the checkout, tool caches aside."""
    out: dict[str, tuple[int, int]] = {}
    for here, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in _CACHES and not d.endswith(".egg-info"))
        for name in files:
            if name.endswith((".pyc", ".pyo")):
                continue
            path = os.path.join(here, name)
            try:
                st = os.stat(path)
            except OSError:
                continue
            out[os.path.relpath(path, root)] = (st.st_size, st.st_mtime_ns)
    return out


def source_tree_changes(before: dict[str, tuple[int, int]], after: dict[str, tuple[int, int]]) -> list[str]:
    """``+ path`` (new), ``~ path`` (changed) and ``- path`` (removed) lines, sorted."""
    return sorted([f"+ {p}" for p in after.keys() - before.keys()]
                  + [f"~ {p}" for p in after.keys() & before.keys() if after[p] != before[p]]
                  + [f"- {p}" for p in before.keys() - after.keys()], key=lambda s: s[2:])


_BEFORE: dict[str, tuple[int, int]] = {}


def pytest_sessionstart(session: pytest.Session) -> None:
    _BEFORE.update(source_tree_files())


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    changes = source_tree_changes(_BEFORE, source_tree_files())
    if not changes:
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    text = "the tests wrote into the source tree (write under tmp_path instead):\n  " + "\n  ".join(changes[:20])
    if reporter is not None:
        reporter.write_line("")
        reporter.write_line(text, red=True)
    else:  # pragma: no cover - no terminal (e.g. -p no:terminal)
        sys.stderr.write(text + "\n")
    session.exitstatus = pytest.ExitCode.TESTS_FAILED
