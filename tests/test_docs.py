"""Every example in docs/ runs: shell blocks under bash, Python blocks under python (a block that marks a
pytest test runs under pytest), ``py`` blocks are excerpts found verbatim in examples/bank/bank.py (which
tests/test_user_plugins.py runs), and each CI snippet's commands parse with the options they name.

Examples run in a scratch directory holding a copy of examples/, never in the checkout.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from pytest_plugin_args import PLUGIN_ARGS
import yaml

ROOT = Path(__file__).resolve().parent.parent
DOCS = ["write-your-own-scenario.md", "add-a-workload.md", "run-it-in-ci.md"]
_BLOCK = re.compile(r"^```(\w+)\n(.*?)^```", re.S | re.M)


def blocks(doc: str, lang: str) -> list[str]:
    """The fenced blocks of ``lang`` in docs/``doc``, in order."""
    return [body for kind, body in _BLOCK.findall((ROOT / "docs" / doc).read_text(encoding="utf-8")) if kind == lang]


@pytest.fixture
def scratch(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    return tmp_path


def _env(scratch: Path) -> dict[str, str]:
    bindir = str(Path(sys.executable).parent)  # the raftsim script next to this interpreter
    return {**os.environ, "PATH": bindir + os.pathsep + os.environ.get("PATH", ""),
            "PYTHONPATH": os.pathsep.join([str(scratch / "examples" / "bank"), str(ROOT)])}


@pytest.mark.parametrize("doc", DOCS)
def test_the_docs_examples_run(doc: str, scratch: Path) -> None:
    env = _env(scratch)
    for body in blocks(doc, "sh"):
        got = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", body], cwd=scratch, env=env, capture_output=True,
                             text=True, timeout=300)
        assert got.returncode == 0, f"{doc}:\n{body}\n{got.stdout}\n{got.stderr}"
    for i, body in enumerate(blocks(doc, "python")):
        if "@pytest.mark.raftsim" in body:
            (scratch / f"test_doc_{i}.py").write_text(body, encoding="utf-8")
            argv = ["-m", "pytest", *PLUGIN_ARGS, "-p", "no:cacheprovider", "-q", "--rootdir", str(scratch),
                    "--basetemp", str(scratch / f"pt{i}"), f"test_doc_{i}.py"]
        else:
            argv = ["-c", body]
        got = subprocess.run([sys.executable, *argv], cwd=scratch, env=env, capture_output=True, text=True,
                             timeout=300)
        assert got.returncode == 0, f"{doc}:\n{body}\n{got.stdout}\n{got.stderr}"


def test_the_docs_excerpts_are_the_examples_code() -> None:
    source = (ROOT / "examples" / "bank" / "bank.py").read_text(encoding="utf-8")
    excerpts = [b for doc in DOCS for b in blocks(doc, "py")]
    assert excerpts
    for body in excerpts:
        assert body in source, body


def _commands(doc: dict) -> list[str]:
    """Every ``run:`` / ``script:`` line of a GitHub Actions or GitLab CI document."""
    out: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                if k == "run" and isinstance(v, str):
                    out.append(v)
                elif k == "script" and isinstance(v, list):
                    out.extend(str(x) for x in v)
                else:
                    walk(v)
        elif isinstance(node, list):
            for x in node:
                walk(x)

    walk(doc)
    return out


def test_the_ci_snippets_use_options_that_exist() -> None:
    from scenarios.cli import build_parser

    snippets = blocks("run-it-in-ci.md", "yaml")
    assert len(snippets) == 2
    pytest_help = subprocess.run([sys.executable, "-m", "pytest", *PLUGIN_ARGS, "--help"], capture_output=True, text=True).stdout
    for text in snippets:
        cmds = _commands(yaml.safe_load(text))
        assert any("raftsim sweep" in c and "--junit" in c for c in cmds) and any("--raftsim-seeds" in c for c in cmds)
        for cmd in cmds:
            argv = [a for a in shlex.split(cmd) if "=" not in a or a.startswith("-")]
            if argv[0] == "raftsim":
                build_parser().parse_args(argv[1:])  # SystemExit(2) on an option that does not exist
            elif argv[0] == "pytest":
                for opt in (a.split("=")[0] for a in argv if a.startswith("--")):
                    assert opt in pytest_help, opt
