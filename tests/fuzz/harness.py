"""The fuzz harness: run the CLI in-process on one input and judge the outcome.

Rules:
- Allowed outcomes: a verdict (exit 0, 1 or 2 with the verdict on stdout), or exactly one line on stderr
  and exit 2. Anything else -- an exception out of ``main``, a second stderr line, a hidden crash (a
  verdict or report that quotes a Python exception: a checker's or a plot's last guard caught our bug) --
  fails the example.
- No hang: every input runs under a SIGALRM guard (``DEADLINE_S``); the guard raises ``Hang``, a
  BaseException, so no ``except Exception`` on the way can swallow it. Not a timed assertion: only an
  input that never ends trips it.
- Nothing written outside what the command may write: each input runs in a fresh sandbox directory
  (also the cwd and ``tempfile.tempdir``) whose files are listed before and after.
- How many examples: ``RAFTSIM_FUZZ_EXAMPLES`` (the long fuzz, ``-m slow``) spread over the targets by weight.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import shutil
import signal
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from hypothesis import HealthCheck, settings

from scenarios.cli import main

DEADLINE_S = 60.0
LONG_TOTAL = int(os.environ.get("RAFTSIM_FUZZ_EXAMPLES", "100000"))

# A Python exception's name quoted by a verdict or a report: a last guard caught a bug of ours.
_LEAKED = re.compile(r"\b(TypeError|AttributeError|KeyError|IndexError|ZeroDivisionError|RecursionError|"
                     r"OverflowError|UnboundLocalError|NameError|AssertionError|UnicodeEncodeError|MemoryError|"
                     r"StopIteration|NotImplementedError|Traceback)\b")


class Hang(BaseException):
    """An input ran past DEADLINE_S."""


@contextlib.contextmanager
def guard(seconds: float = DEADLINE_S) -> Iterator[None]:
    def on_alarm(signum: int, frame: object) -> None:
        raise Hang(f"no outcome after {seconds:.0f} s")

    old = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


@dataclass(frozen=True)
class Outcome:
    code: int
    out: str
    err: str


def call(argv: list[str], *, deadline_s: float = DEADLINE_S) -> Outcome:
    """``main(argv)`` with stdout/stderr captured; an exception out of main fails the example."""
    out, err = io.StringIO(), io.StringIO()
    try:
        with guard(deadline_s), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(argv)
            except SystemExit as e:  # argparse's errors: our parser exits 2 after one line
                code = e.code if isinstance(e.code, int) else 2
    except Hang as e:
        raise AssertionError(f"hang: raftsim {_argv_text(argv)}: {e}") from None
    if err.getvalue() == "raftsim: interrupted\n":  # main turns Ctrl-C into exit 2: stop the fuzz instead
        raise KeyboardInterrupt
    return Outcome(code, out.getvalue(), err.getvalue())


def _argv_text(argv: list[str]) -> str:
    text = " ".join(argv)
    return text[:300] + ("..." if len(text) > 300 else "")


def assert_allowed(o: Outcome, argv: list[str]) -> None:
    """A verdict, or one line on stderr with exit 2; never a leaked exception."""
    where = f"raftsim {_argv_text(argv)}"
    assert o.code in (0, 1, 2), f"{where}: exit {o.code}"
    for stream in (o.out, o.err):  # a real terminal's stdout/stderr would raise UnicodeEncodeError
        try:
            stream.encode("utf-8")
        except UnicodeEncodeError as e:
            raise AssertionError(f"{where}: output cannot be written as UTF-8 ({e}): {stream[:300]!r}") from None
    if o.err:
        lines = o.err.splitlines()
        assert o.code == 2, f"{where}: stderr {o.err[:300]!r} but exit {o.code}"
        assert len(lines) == 1 and lines[0].startswith("raftsim: "), f"{where}: stderr is not one line: {o.err[:600]!r}"
    else:
        assert o.out.strip(), f"{where}: no verdict and no error"
    leaked = _LEAKED.search(o.out + o.err)
    assert leaked is None, f"{where}: a Python exception leaked into the output: {(o.out + o.err)[:800]!r}"


def assert_report_clean(report: Path) -> None:
    """A report must not be the last guard's "this is a bug" page, nor list a plot that crashed."""
    if report.is_file():
        text = report.read_text(encoding="utf-8", errors="replace")
        assert "this is a bug in reports/" not in text, f"{report}: the report's last guard caught a crash"
        m = re.search(r"plot \w+ failed: (\w+)", text)
        assert m is None or not _LEAKED.search(m.group(1)), f"{report}: a plot crashed: {m.group(0) if m else ''}"


def listing(root: Path) -> dict[str, tuple[int, int]]:
    """Every file and directory under ``root``: relative path -> (size, mtime_ns); (-1, 0) for a directory
    (a directory's own mtime moves whenever a file inside it is written)."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames:
            out[str((Path(dirpath) / name).relative_to(root))] = (-1, 0)
        for name in filenames:
            p = Path(dirpath) / name
            st = p.lstat()
            out[str(p.relative_to(root))] = (st.st_size, st.st_mtime_ns)
    return out


def changed(before: dict[str, tuple[int, int]], after: dict[str, tuple[int, int]]) -> set[str]:
    return {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}


@contextlib.contextmanager
def sandbox(parent: Path) -> Iterator[Path]:
    """A fresh directory that is also the cwd and the temporary directory while the input runs."""
    root = Path(tempfile.mkdtemp(prefix="fz-", dir=parent))
    (root / "tmp").mkdir()
    cwd, tmp = os.getcwd(), tempfile.tempdir
    os.chdir(root)
    tempfile.tempdir = str(root / "tmp")
    try:
        yield root
    finally:
        os.chdir(cwd)
        tempfile.tempdir = tmp
        shutil.rmtree(root, ignore_errors=True)


def assert_writes_only(before: dict[str, tuple[int, int]], after: dict[str, tuple[int, int]],
                       allowed: tuple[str, ...], argv: list[str]) -> None:
    """Only paths under one of ``allowed`` (relative to the sandbox) changed; no temporary files left."""
    bad = sorted(p for p in changed(before, after)
                 if not any(p == a or p.startswith(a + os.sep) for a in allowed))
    assert not bad, f"raftsim {_argv_text(argv)} wrote outside its output: {bad[:5]}"


def fuzz_settings(short: int, weight: float, *, long: bool) -> settings:
    """``short`` examples in the default suite; ``weight`` of RAFTSIM_FUZZ_EXAMPLES in the long fuzz."""
    n = max(1, int(LONG_TOTAL * weight)) if long else short
    return settings(max_examples=n, deadline=None, database=None, derandomize=not long,
                    suppress_health_check=list(HealthCheck), print_blob=True)
