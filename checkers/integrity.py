"""Integrity of a run directory: do trace.jsonl and history.jsonl still match what run.json recorded?

Rules:
- The trace's SHA-256 and the history's line count are compared with run.json's ``trace_sha256`` and
  ``stats.history_events``; a run the simulator stopped at its event limit (``cut_short``) is incomplete
  too. Any mismatch is an UNKNOWN ``integrity`` result: verdicts drawn from such files judge an incomplete
  or altered run, so they must never pass as OK.
- ``checkers.run.check_run`` adds it before judging; ``reports`` recompute it before drawing the verdicts
  of result.json (the files may have changed since result.json was written). Stdlib and format modules
  only, so both may import it.
"""

from __future__ import annotations

import hashlib
import time

from checkers.history import fmt_ms
from checkers.result import CheckResult, Verdict
from checkers.rundir import RunFiles

__all__ = ["integrity"]


def integrity(run: RunFiles) -> CheckResult | None:
    """UNKNOWN if trace.jsonl or history.jsonl differ from what run.json recorded; None if they match
    (or run.json recorded nothing to compare, e.g. a directory assembled by hand)."""
    t0 = time.perf_counter()
    problems = []
    try:
        meta = run.meta()
    except Exception as e:  # noqa: BLE001 - a malformed run.json is reported by the checkers that read it
        return CheckResult(checker="integrity", verdict=Verdict.UNKNOWN, summary=str(e),
                           elapsed_s=time.perf_counter() - t0)
    want_sha = meta.get("trace_sha256")
    if isinstance(want_sha, str):
        h = hashlib.sha256()
        try:
            with open(run.trace, "rb") as f:
                for block in iter(lambda: f.read(1 << 20), b""):
                    h.update(block)
        except OSError as e:
            problems.append(f"trace.jsonl cannot be read ({e.strerror or e})")
        else:
            if h.hexdigest() != want_sha:
                problems.append(f"trace.jsonl's SHA-256 is not run.json's {want_sha[:12]}... (cut short or edited)")
    stats = meta.get("stats")
    want_events = stats.get("history_events") if isinstance(stats, dict) else None
    if isinstance(want_events, int):
        try:
            with open(run.history, "rb") as f:
                got = sum(1 for _ in f)
        except OSError as e:
            problems.append(f"history.jsonl cannot be read ({e.strerror or e})")
        else:
            if got != want_events:
                problems.append(f"history.jsonl has {got} lines, run.json says {want_events}")
    cut = meta.get("cut_short")
    if isinstance(cut, dict):
        problems.append(f"the run stopped at its event limit ({cut.get('events')} simulation events, at "
                        f"{fmt_ms(cut.get('t'))}): a livelock or message storm; the final reads never ran")
    if not problems:
        return None
    return CheckResult(checker="integrity", verdict=Verdict.UNKNOWN,
                       summary="; ".join(problems) + ": the other verdicts judge an incomplete or altered run",
                       details={"problems": problems}, elapsed_s=time.perf_counter() - t0)
