"""The live harness: the simulator's scenarios, workloads, schedules and checkers against real processes.

Wall clocks, sockets, subprocesses and signals are allowed in this package only (it is the live world);
the definitions it executes (workloads, schedules, checkers) are the simulator's own.
"""

from scenarios.live.cleanup import cleanup, missing_privileges
from scenarios.live.driver import GRACE_S, run_live

__all__ = ["GRACE_S", "cleanup", "missing_privileges", "run_live"]
