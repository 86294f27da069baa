"""The source tree stays clean: what the test session's guard (tests/conftest.py) compares.

A test that writes into the checkout (a default ``runs/...`` output, a corpus entry over a tracked file)
fails the session: tests write under their tmp_path only. Caches that tools keep there are not writes.
"""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
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
