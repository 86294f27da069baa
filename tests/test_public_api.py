"""The public facade (raftsim/), the registries a plugin fills, run.json's plugins field, --json/--junit,
and the CLI's self-explaining parts (params, list --verbose, --version, an example under every --help)."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import raftsim
from checkers.result import CheckerError, CheckResult, Verdict
from checkers.rundir import RunDirError, RunMeta
from scenarios.cli import EXAMPLES, build_parser, main

SHORT = {"duration_s": 1.0, "recover_s": 1.0, "nodes": 3, "clients": 2}


def test_every_public_name_resolves_and_is_documented() -> None:
    for name in raftsim.__all__:
        value = getattr(raftsim, name)
        assert name == "__version__" or value.__doc__, name
    assert raftsim.__version__ == "0.1.0"
    with pytest.raises(AttributeError):
        raftsim.no_such_name  # noqa: B018


def test_import_raftsim_loads_nothing_of_the_simulator() -> None:
    code = "import raftsim, sys; print(' '.join(sorted(sys.modules)))"
    loaded = set(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split())
    assert not loaded & {"scenarios.runner", "scenarios.spec", "simpy", "checkers.run", "importlib.metadata"}


def test_run_check_and_replay_through_the_facade(tmp_path: Path) -> None:
    result = raftsim.run("partition-majority", 2, tmp_path / "r", set=SHORT)
    assert result.ok and result.verdict is Verdict.OK and result.exit_code == 0
    assert result.replay.startswith("raftsim run partition-majority --seed 2 --set")
    doc = result.to_json()
    assert doc["paths"]["run_dir"] == str(tmp_path / "r") and doc["counts"]["ok"] >= 2
    assert raftsim.check(tmp_path / "r").verdict is Verdict.OK
    assert raftsim.replay(tmp_path / "r")[0]
    assert "plugins" not in json.loads((tmp_path / "r" / "run.json").read_text())  # built-ins: unchanged run.json


def test_run_json_without_plugins_still_loads_and_a_bad_plugins_field_is_refused(tmp_path: Path) -> None:
    raftsim.run("steady", 1, tmp_path / "r", set=SHORT, check=False)
    doc = json.loads((tmp_path / "r" / "run.json").read_text())
    assert RunMeta.from_json(doc).plugins is None
    assert RunMeta.from_json({**doc, "plugins": ["m"]}).plugins == ["m"]
    with pytest.raises(RunDirError, match="plugins"):
        RunMeta.from_json({**doc, "plugins": "m"})


def test_a_registered_checker_runs_only_on_its_workload(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from checkers import registry
    from scenarios import plugins

    # the run records this module as a plugin and loads it back: later tests' runs must not name it
    monkeypatch.setattr(plugins, "_loaded", list(plugins._loaded))
    monkeypatch.setattr(plugins, "_sources", list(plugins._sources))

    @registry.checker(workloads=("register",))
    class Counts:
        name = "test-counts-register"

        def check(self, run: object) -> CheckResult:
            return CheckResult(checker=self.name, verdict=Verdict.OK, summary="counted")

    @registry.checker(workloads=("queue",))
    class Other:
        name = "test-counts-queue"

        def check(self, run: object) -> CheckResult:
            return CheckResult(checker=self.name, verdict=Verdict.ILLEGAL, summary="never runs here")

    try:
        result = raftsim.run("steady", 1, tmp_path / "r", set=SHORT)
        names = [r.checker for r in result.results]
        assert "test-counts-register" in names and "test-counts-queue" not in names and result.ok
        with pytest.raises(CheckerError, match="twice"):
            registry.checker()(Counts)
    finally:
        registry._REGISTERED.pop("test-counts-register", None)
        registry._REGISTERED.pop("test-counts-queue", None)


def test_a_checker_without_a_name_is_refused() -> None:
    from checkers.registry import checker
    from checkers.result import CheckerError

    with pytest.raises(CheckerError, match="kebab-case"):
        checker()(type("Nameless", (), {"check": lambda self, run: None}))


def test_a_workload_name_taken_is_refused() -> None:
    with pytest.raises(raftsim.ConfigError, match="twice"):
        raftsim.workload("register")(type("W", (raftsim.Workload,), {}))


def test_run_json_flag_prints_one_document(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sets = [x for k, v in SHORT.items() for x in ("--set", f"{k}={v}")]
    assert main(["run", "steady", "--seed", "1", *sets, "--out", str(tmp_path / "r"), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["verdict"] == "ok" and doc["exit_code"] == 0 and doc["replay"].startswith("raftsim run steady")
    assert main(["check", str(tmp_path / "r"), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["paths"]["result_json"].endswith("result.json")


def test_junit_has_one_testcase_per_seed_and_failures_carry_the_replay_line() -> None:
    from reports.junit import junit_xml

    rows = [{"seed": 2, "verdict": "illegal", "failing": ["linearizable"], "summaries": {"linearizable": "bad read"},
             "replay": "raftsim run x --seed 2", "wall_s": 1.5},
            {"seed": 1, "verdict": "ok", "failing": [], "replay": "raftsim run x --seed 1", "wall_s": 1.0},
            {"seed": 3, "verdict": "unknown", "failing": ["harness"], "summaries": {"harness": "boom"},
             "replay": "raftsim run x --seed 3", "wall_s": 0.1}]
    suite = ET.fromstring(junit_xml("x", rows)).find("testsuite")
    assert suite is not None and suite.get("tests") == "3" and suite.get("failures") == "1" and suite.get("errors") == "1"
    cases = suite.findall("testcase")
    assert [c.get("name") for c in cases] == ["seed-1", "seed-2", "seed-3"]
    failure = cases[1].find("failure")
    assert failure is not None and "raftsim run x --seed 2" in (failure.text or "") and "bad read" in failure.get("message", "")
    assert cases[0].find("failure") is None and cases[2].find("error") is not None


def test_params_lists_every_parameter_with_type_default_range_and_meaning(capsys: pytest.CaptureFixture[str]) -> None:
    from scenarios.spec import get_def

    assert main(["params", "isolate-leader"]) == 0
    out = capsys.readouterr().out
    for name, p in get_def("isolate-leader").schema().items():
        line = next(l for l in out.splitlines() if l.startswith(name + " "))
        assert p.type.__name__ in line and p.accepted() in line and p.doc in line, name
    assert "2..15" in out and "isolating a node needs another" in out  # the scenario's narrowed range, and why
    assert main(["params", "no-such-scenario"]) == 2


def test_list_verbose_shows_each_schedule(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["list", "--verbose"]) == 0
    out = capsys.readouterr().out
    assert "schedule: cycle(2.0, partition('majority'), do(F.Heal()), start_s=1.0)" in out


def test_every_subcommand_has_help_an_example_and_the_exit_codes() -> None:
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    for name, s in sub.choices.items():  # type: ignore[union-attr]
        text = s.format_help()
        assert "exit codes: 0 valid, 1 invalid" in text, name
        assert name not in EXAMPLES or EXAMPLES[name] in text, name
        assert "--plugin MODULE" in text, name
        for action in s._actions:
            assert action.help, f"{name} {action.option_strings or action.dest}: no help"
    assert set(EXAMPLES) <= set(sub.choices)  # type: ignore[arg-type]


def test_version_flag(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as e:
        main(["--version"])
    assert e.value.code == 0 and capsys.readouterr().out.strip() == f"raftsim {raftsim.__version__}"
