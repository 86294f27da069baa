"""The dependency graph of docs/architecture.md ("Layers") is a test.

Rules:
- ``violations(root, pkg)`` is the one scanner: the real tree and the planted trees of the tests below go
  through it, so breaking the scanner (e.g. ``_imports`` returning nothing) turns the planted tests red.
- Every exemption carries a one-line reason where it is declared.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
OURS = {"sim", "kvraft", "scenarios", "checkers", "reports", "raftsim"}

# Format modules import only the stdlib (tested below) and own an on-disk format, so any package may
# use them to write or read that format: trace.jsonl, history.jsonl, result.json, a run directory.
FORMAT_MODULES = {"sim.trace", "checkers.history", "checkers.result", "checkers.rundir"}
# package -> allowed first-party imports (besides the format modules)
RULES: dict[str, set[str]] = {
    "sim": {"sim"},
    "kvraft": {"kvraft"},
    "checkers": {"checkers"},
    # checkers.integrity (run files vs run.json) reads only format modules: a report recomputes it.
    "reports": {"reports", "checkers.integrity"},
    "scenarios": {"scenarios", "sim", "kvraft"},
    # raftsim/ is the public facade users import: the top of the graph, it may use every package.
    "raftsim": {"raftsim", "scenarios", "sim", "kvraft", "checkers", "reports"},
}
# The top of the graph may use checkers and reports as a whole; each file with its one-line reason.
TOP_OF_GRAPH = {
    "scenarios/cli.py": "the CLI: translates arguments into one library call (check, report, ...)",
    "scenarios/__main__.py": "`python -m scenarios`: the CLI's entry point",
    "scenarios/sweep.py": "a sweep is run + check_run + render_sweep over many seeds: the CLI's `sweep` command",
    "scenarios/plugins.py": "records the user's registered checkers' modules (checkers.registry) in run.json",
}
# raftsim.api: the CLI's --json prints the same RunResult document the public API returns.
CLI_EXTRA = {"checkers", "reports", "raftsim.api"}
THIRD_PARTY_BANNED = {
    "kvraft": {"simpy", "networkx", "matplotlib", "dask", "distributed", "rich"},
    "checkers": {"simpy", "networkx", "matplotlib", "dask", "distributed"},
    "sim": {"matplotlib", "dask", "distributed"},
}


def _imports(path: Path, root: Path) -> list[str]:
    """Every module name ``path`` imports (relative imports resolved; ``from ours import x`` also as ours.x)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    pkg_parts = path.relative_to(root).with_suffix("").parts
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                pkg = list(pkg_parts[:-1])  # a/b/c.py and a/b/__init__.py both live in package a.b
                base = pkg[: len(pkg) - (node.level - 1)]
                mod = ".".join(base + ([node.module] if node.module else []))
                names.append(mod)
                names.extend(f"{mod}.{a.name}" for a in node.names)
            elif node.module:
                names.append(node.module)
                names.extend(f"{node.module}.{a.name}" for a in node.names if node.module.split(".")[0] in OURS)
    return names


def _allowed(name: str, allowed: set[str]) -> bool:
    return any(name == a or name.startswith(a + ".") for a in allowed)


def violations(root: Path, pkg: str) -> list[str]:
    """The layering violations of package ``pkg`` under ``root``, one line each."""
    bad: list[str] = []
    for path in sorted((root / pkg).rglob("*.py")):
        rel = path.relative_to(root).as_posix()
        allowed = RULES[pkg] | (CLI_EXTRA if rel in TOP_OF_GRAPH else set())
        for name in _imports(path, root):
            top = name.split(".")[0]
            if top in OURS:
                if not _allowed(name, allowed | FORMAT_MODULES):
                    bad.append(f"{rel} imports {name}")
            elif top in THIRD_PARTY_BANNED.get(pkg, set()):
                bad.append(f"{rel} imports {top}")
    return bad


@pytest.mark.parametrize("pkg", sorted(RULES))
def test_package_imports_only_what_the_architecture_allows(pkg: str) -> None:
    bad = violations(ROOT, pkg)
    assert not bad, "layering violations:\n" + "\n".join(bad)


def test_format_modules_import_only_the_stdlib() -> None:
    for mod in sorted(FORMAT_MODULES):
        path = ROOT / (mod.replace(".", "/") + ".py")
        for name in _imports(path, ROOT):
            assert name.split(".")[0] not in OURS | {"simpy", "networkx", "matplotlib"}, f"{mod} imports {name}"


def _plant(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def test_scanner_reports_planted_violations(tmp_path: Path) -> None:
    root = _plant(tmp_path, {
        "kvraft/__init__.py": "",
        "kvraft/raft/__init__.py": "",
        "kvraft/raft/bad.py": "import simpy\nfrom sim.world import World\nfrom ...scenarios import runner\n",
        "checkers/bad.py": "def f():\n    from kvraft.raft import core\n",
        "reports/bad.py": "from scenarios import runner\n",
        "scenarios/hunt.py": "from checkers import check_run\n",
    })
    assert violations(root, "kvraft") == [
        "kvraft/raft/bad.py imports simpy",
        "kvraft/raft/bad.py imports sim.world",
        "kvraft/raft/bad.py imports sim.world.World",
        "kvraft/raft/bad.py imports scenarios",
        "kvraft/raft/bad.py imports scenarios.runner",
    ]
    assert violations(root, "checkers") == ["checkers/bad.py imports kvraft.raft", "checkers/bad.py imports kvraft.raft.core"]
    assert violations(root, "reports") == ["reports/bad.py imports scenarios", "reports/bad.py imports scenarios.runner"]
    assert violations(root, "scenarios") == ["scenarios/hunt.py imports checkers", "scenarios/hunt.py imports checkers.check_run"]


def test_only_the_facade_and_the_cli_may_import_raftsim(tmp_path: Path) -> None:
    root = _plant(tmp_path, {
        "scenarios/runner.py": "import raftsim\n",
        "checkers/x.py": "from raftsim.api import run\n",
        "raftsim/api.py": "from scenarios.runner import run\nfrom checkers import check_run\nfrom reports import render\n",
        "scenarios/cli.py": "from raftsim.api import check\n",
    })
    assert violations(root, "scenarios") == ["scenarios/runner.py imports raftsim"]
    assert violations(root, "checkers") == ["checkers/x.py imports raftsim.api", "checkers/x.py imports raftsim.api.run"]
    assert violations(root, "raftsim") == []


def test_scanner_allows_format_modules_and_the_top_of_the_graph(tmp_path: Path) -> None:
    root = _plant(tmp_path, {
        "checkers/ok.py": "from sim.trace import TraceWriter\nfrom . import history\n",
        "scenarios/cli.py": "from checkers import check_run\nfrom reports import render\n",
        "scenarios/runner.py": "from checkers.rundir import RunFiles\nfrom kvraft.member import Member\n",
    })
    assert violations(root, "checkers") == [] and violations(root, "scenarios") == []
