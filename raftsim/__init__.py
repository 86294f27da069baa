"""raftsim: the public Python API of the simulator and test harness (the small facade users import).

Rules:
- Everything public is in ``__all__``; every other module of the project is private by convention.
- Names resolve on first use (PEP 562), so ``import raftsim`` stays cheap: a process pays for the
  simulator only when it runs one.
- This package is the top of the import graph: it may import every other package; none imports it.

Quick start::

    import raftsim

    result = raftsim.run(raftsim.Scenario.create("partition-majority", {"duration_s": 2.0}), seed=1,
                         out="runs/pm-1")
    print(result.verdict, result.replay)

A user's own scenario, workload and checker (registered by decorators, see docs/)::

    @raftsim.scenario("bank-partition", "Transfers under majority partitions.", workload="bank")
    def bank_partition(p):
        return raftsim.Plan(raftsim.nemesis.cycle(2.0, raftsim.nemesis.partition("majority"),
                                                  raftsim.nemesis.do_heal(), start_s=1.0))
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__all__ = [
    "CheckResult", "Checker", "ConfigError", "KvOutcome", "Limit", "Param", "Plan", "RunDir", "RunFiles",
    "RunMeta", "RunResult", "Scenario", "SweepSummary", "Verdict", "Workload", "WorkloadContext",
    "__version__", "check", "checker", "load_plugins", "nemesis", "replay", "run", "scenario", "sweep",
    "workload",
]

# name -> "module:attribute" (or "module" for a module), imported on first use
_HOME = {
    "CheckResult": "checkers.result:CheckResult",
    "Checker": "checkers.result:Checker",
    "ConfigError": "scenarios.errors:ConfigError",
    "KvOutcome": "scenarios.workloads:KvOutcome",
    "Limit": "scenarios.params:Limit",
    "Param": "scenarios.params:Param",
    "Plan": "scenarios.catalog:Plan",
    "RunDir": "scenarios.runner:RunDir",
    "RunFiles": "checkers.rundir:RunFiles",
    "RunMeta": "checkers.rundir:RunMeta",
    "RunResult": "raftsim.api:RunResult",
    "Scenario": "scenarios.spec:Scenario",
    "SweepSummary": "scenarios.sweep:SweepSummary",
    "Verdict": "checkers.result:Verdict",
    "Workload": "scenarios.workloads:Workload",
    "WorkloadContext": "scenarios.workloads:WorkloadContext",
    "check": "raftsim.api:check",
    "checker": "checkers.registry:checker",
    "load_plugins": "scenarios.plugins:load",
    "nemesis": "scenarios.nemesis",
    "replay": "raftsim.api:replay",
    "run": "raftsim.api:run",
    "scenario": "scenarios.spec:scenario",
    "sweep": "raftsim.api:sweep",
    "workload": "scenarios.registry:workload",
}

if TYPE_CHECKING:
    from checkers.registry import checker
    from checkers.result import Checker, CheckResult, Verdict
    from checkers.rundir import RunFiles, RunMeta
    from raftsim.api import RunResult, check, replay, run, sweep
    from scenarios import nemesis
    from scenarios.catalog import Plan
    from scenarios.errors import ConfigError
    from scenarios.params import Limit, Param
    from scenarios.plugins import load as load_plugins
    from scenarios.registry import workload
    from scenarios.runner import RunDir
    from scenarios.spec import Scenario, scenario
    from scenarios.sweep import SweepSummary
    from scenarios.workloads import KvOutcome, Workload, WorkloadContext

    __version__: str


def __getattr__(name: str) -> Any:
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            value: Any = version("raftsim")
        except PackageNotFoundError:  # a source tree that was never installed
            value = "0+unknown"
    elif name in _HOME:
        mod, _, attr = _HOME[name].partition(":")
        value = importlib.import_module(mod)
        if attr:
            value = getattr(value, attr)
    else:
        raise AttributeError(f"module 'raftsim' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
