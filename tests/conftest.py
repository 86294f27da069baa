from __future__ import annotations

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


# -- the source tree stays clean (tests/tree_guard.py) ---------------------------------------------------
from tree_guard import source_tree_changes, source_tree_files  # noqa: E402

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
