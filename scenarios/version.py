"""The code version: SHA-256 (first 16 hex) of the simulated packages' sources (sim, kvraft, scenarios).

Same code => same version anywhere; run.json records it and replay notes when it changed.
"""

from __future__ import annotations

import functools
import hashlib
import os
from pathlib import Path

__all__ = ["code_version"]


@functools.cache
def code_version() -> str:
    """SHA-256 (first 16 hex) of the simulated code's sources: same code => same version anywhere."""
    h = hashlib.sha256()
    base = Path(__file__).resolve().parent.parent
    for pkg in ("sim", "kvraft", "scenarios"):
        for p in sorted((base / pkg).rglob("*.py")):
            h.update(str(p.relative_to(base)).replace(os.sep, "/").encode())
            h.update(p.read_bytes())
    return h.hexdigest()[:16]
