"""checkers: judge a run from its files (history.jsonl, trace.jsonl, run.json) and write result.json.

Public API: ``check_run(run_dir) -> (Verdict, [CheckResult])`` and ``summary_lines`` for the CLI; the result
types; each checker class (``name``, ``check(RunFiles) -> CheckResult``). Imports only the stdlib, checkers
and sim.trace.
"""

import importlib
from typing import TYPE_CHECKING, Any

# name -> the module defining it, imported on first use (PEP 562): a process that reads one history
# does not pay for every checker
_HOME = {
    **dict.fromkeys(["DurabilityChecker", "check_durability"], "durability"),
    **dict.fromkeys(["LivenessChecker", "check_liveness"], "liveness"),
    **dict.fromkeys(["LockChecker", "check_lock"], "lock"),
    **dict.fromkeys(["ExactlyOnceChecker", "check_exactly_once"], "once"),
    **dict.fromkeys(["QueueChecker", "check_queue"], "queue"),
    **dict.fromkeys(["RaftSafetyChecker", "check_trace"], "raft_safety"),
    **dict.fromkeys(["CheckResult", "Checker", "CheckerError", "Verdict", "combine", "exit_code", "read_result",
                     "write_result"], "result"),
    **dict.fromkeys(["check_run", "default_checkers", "summary_lines"], "run"),
    **dict.fromkeys(["RunDirError", "RunFiles"], "rundir"),
    **dict.fromkeys(["TTLChecker", "check_ttl"], "ttl"),
    **dict.fromkeys(["WatchChecker", "check_watch"], "watch"),
}

if TYPE_CHECKING:
    from checkers.durability import DurabilityChecker, check_durability
    from checkers.liveness import LivenessChecker, check_liveness
    from checkers.lock import LockChecker, check_lock
    from checkers.once import ExactlyOnceChecker, check_exactly_once
    from checkers.queue import QueueChecker, check_queue
    from checkers.raft_safety import RaftSafetyChecker, check_trace
    from checkers.result import (Checker, CheckerError, CheckResult, Verdict, combine, exit_code, read_result,
                                 write_result)
    from checkers.rundir import RunDirError, RunFiles
    from checkers.run import check_run, default_checkers, summary_lines
    from checkers.ttl import TTLChecker, check_ttl
    from checkers.watch import WatchChecker, check_watch


def __getattr__(name: str) -> Any:
    mod = _HOME.get(name)
    if mod is None:
        raise AttributeError(f"module 'checkers' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"checkers.{mod}"), name)
    globals()[name] = value
    return value


__all__ = [
    "CheckResult",
    "Checker",
    "CheckerError",
    "DurabilityChecker",
    "ExactlyOnceChecker",
    "LivenessChecker",
    "LockChecker",
    "QueueChecker",
    "RaftSafetyChecker",
    "RunDirError",
    "RunFiles",
    "TTLChecker",
    "Verdict",
    "WatchChecker",
    "check_durability",
    "check_exactly_once",
    "check_liveness",
    "check_lock",
    "check_queue",
    "check_run",
    "check_trace",
    "check_ttl",
    "check_watch",
    "combine",
    "default_checkers",
    "exit_code",
    "read_result",
    "summary_lines",
    "write_result",
]
