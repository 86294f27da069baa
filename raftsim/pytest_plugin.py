"""The pytest plugin (entry point ``pytest11``): fault-injection runs as parametrized test cases.

Rules:
- Inert unless used: a test without ``@pytest.mark.raftsim`` and the ``raftsim_run`` fixture is untouched,
  and this module imports nothing of the simulator until a marked test runs.
- ``@pytest.mark.raftsim(scenario=..., seeds=[1, 2] or "1..20", set={...}, plugins=[...], expect={...})``
  makes one test case per seed; ``--raftsim-seeds 1..200`` adds seeds to every marked test.
- ``raftsim_run`` is the seed's run, simulated and checked (a ``raftsim.RunResult``). After the test body,
  the run must be valid (no checker illegal or unknown) or, with ``expect={"checker": "illegal"}``, those
  checkers must say so; otherwise the test fails with the verdicts, the counterexample summary, the run
  directory and the exact replay line.
- Run directories go under pytest's temporary directory; a passing case's is removed unless ``--raftsim-keep``.
"""

from __future__ import annotations

import shutil
from collections.abc import Generator
from typing import Any

import pytest

__all__: list[str] = []  # hooks and fixtures only; pytest finds them by name

MARKER = ("raftsim(scenario, seeds=(1,), set={}, plugins=(), expect={}): run the scenario once per seed as "
          "parametrized cases; the raftsim_run fixture is the checked run")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("raftsim", "raftsim fault-injection runs")
    group.addoption("--raftsim-seeds", default=None, metavar="SEEDS",
                    help="add these seeds to every @pytest.mark.raftsim test: 1..200 or 1,5,9")
    group.addoption("--raftsim-keep", action="store_true", default=False,
                    help="keep every run directory (default: only those of failing seeds)")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", MARKER)


def _seeds(value: Any) -> list[int]:
    from scenarios.sweep import parse_seeds

    if isinstance(value, int):
        return [value]
    if isinstance(value, str):
        return parse_seeds(value)
    return [int(s) for s in value]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    marker = metafunc.definition.get_closest_marker("raftsim")
    if marker is None or "raftsim_seed" not in metafunc.fixturenames:
        return
    from scenarios.errors import ConfigError

    try:
        seeds = _seeds(marker.kwargs.get("seeds", (1,)))
        extra = metafunc.config.getoption("--raftsim-seeds")
        if extra:
            seeds = sorted(set(seeds) | set(_seeds(extra)))
    except (ConfigError, TypeError, ValueError) as e:
        raise pytest.UsageError(f"raftsim seeds: {e}") from None
    metafunc.parametrize("raftsim_seed", seeds, ids=[f"seed{s}" for s in seeds])


@pytest.fixture
def raftsim_seed() -> int:
    """The seed of this case (parametrized by ``@pytest.mark.raftsim``)."""
    return 1


@pytest.fixture
def raftsim_run(request: pytest.FixtureRequest, raftsim_seed: int,
                tmp_path_factory: pytest.TempPathFactory) -> Generator[Any, None, None]:
    """This seed's run of the marker's scenario, simulated and checked: a ``raftsim.RunResult``."""
    marker = request.node.get_closest_marker("raftsim")
    if marker is None or "scenario" not in marker.kwargs:
        pytest.fail("raftsim_run needs @pytest.mark.raftsim(scenario=...)", pytrace=False)
    import raftsim

    raftsim.load_plugins(marker.kwargs.get("plugins", ()))
    scen = marker.kwargs["scenario"]
    name = scen if isinstance(scen, str) else scen.name
    out = tmp_path_factory.mktemp("raftsim", numbered=True) / f"{name}-seed{raftsim_seed}"
    try:
        result = raftsim.run(scen, raftsim_seed, out, set=marker.kwargs.get("set"))
    except raftsim.ConfigError as e:
        pytest.fail(f"raftsim: {e}", pytrace=False)
    request.node.user_properties.append(("raftsim_replay", result.replay))
    request.node.stash[_RESULT] = result
    yield result
    if not request.node.stash.get(_FAILED, False) and not request.config.getoption("--raftsim-keep"):
        shutil.rmtree(out, ignore_errors=True)


_RESULT = pytest.StashKey[Any]()
_FAILED = pytest.StashKey[bool]()


def _judge(result: Any, expect: dict[str, str]) -> str | None:
    """Why the run fails the test, or None."""
    if expect:
        got = {r.checker: r.verdict.value for r in result.results}
        wrong = [f"{k}: expected {v}, got {got.get(k, 'no such checker')}" for k, v in sorted(expect.items())
                 if got.get(k) != v]
        return "; ".join(wrong) or None
    return None if result.ok else "a checker found a violation (or could not decide)"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    result = item.stash.get(_RESULT, None)
    try:
        out = yield
    except BaseException:
        item.stash[_FAILED] = True  # the test failed: keep its run directory
        raise
    marker = item.get_closest_marker("raftsim")
    if result is not None and marker is not None:
        why = _judge(result, dict(marker.kwargs.get("expect") or {}))
        if why is not None:
            item.stash[_FAILED] = True
            pytest.fail(f"raftsim: {why}\n{result.explain()}", pytrace=False)
    return out
