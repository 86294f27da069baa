"""The local worker pool of a sweep: seeds run in worker processes, and Ctrl-C stops them promptly.

Rules:
- Results are handed to ``on_done`` in the parent, one at a time, as they finish: the caller records each
  durably before the next (a row is never torn by an interrupt: SIGINT only sets a flag, read between
  results, at least every ``POLL_S``).
- Workers ignore SIGINT (a terminal's Ctrl-C reaches the whole process group: the parent decides), and
  turn SIGTERM into SystemExit, so a run stopped mid-way removes its temporary directory as it unwinds.
- On SIGINT the parent cancels the seeds not started, terminates the running ones (SIGKILL for any still
  alive after ``GRACE_S``) and raises ``Interrupted`` with how many finished: within about 2 s.
"""

from __future__ import annotations

import signal
import threading  # det-ok: the sweep parent only (signal handling, is-main-thread); no simulation runs here
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from typing import Any

from scenarios.errors import Interrupted

__all__ = ["GRACE_S", "POLL_S", "run_local"]

POLL_S = 0.1
GRACE_S = 1.0


def _worker_init() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    def stop(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, stop)


def run_local(fn: Callable[..., dict[str, Any]], args: list[tuple[Any, ...]], jobs: int,
              on_done: Callable[[dict[str, Any]], None]) -> None:
    """Call ``fn(*a)`` for each ``a`` in ``jobs`` worker processes; ``on_done(result)`` in the parent.

    Raises Interrupted (after stopping the workers) on SIGINT; ``on_done`` has seen every finished result.
    """
    stop = threading.Event()
    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGINT, lambda signum, frame: stop.set())
    pool = ProcessPoolExecutor(max_workers=jobs, initializer=_worker_init)
    done_count = 0
    try:
        order = {pool.submit(fn, *a): i for i, a in enumerate(args)}
        pending = set(order)
        while pending and not stop.is_set():
            finished, pending = wait(pending, timeout=POLL_S, return_when=FIRST_COMPLETED)
            for fut in sorted(finished, key=order.__getitem__):  # submission order, never set order
                on_done(fut.result())
                done_count += 1
        if stop.is_set():
            _stop(pool)
            raise Interrupted(done_count, len(args))
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)
        pool.shutdown(wait=True, cancel_futures=True)


def _stop(pool: ProcessPoolExecutor) -> None:
    """Cancel what has not started; SIGTERM the workers, SIGKILL those still alive after GRACE_S."""
    procs = list(getattr(pool, "_processes", {}).values())  # the executor has no public handle on them
    pool.shutdown(wait=False, cancel_futures=True)
    for p in procs:
        if p.is_alive():
            p.terminate()
    for p in procs:
        p.join(GRACE_S / max(1, len(procs)))
    for p in procs:
        if p.is_alive():
            p.kill()
            p.join(0.5)
