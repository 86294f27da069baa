"""The dependency graph of docs/architecture.md ("Layers") is a test.

Rules:
- ``violations(root, pkg)`` and ``cycles(root)`` use the one scanner, ``_imports``: the real tree and the
  planted trees of the tests below go through it, so breaking the scanner (e.g. ``_imports`` returning
  nothing) turns the planted tests red.
- No import cycle among our modules: a function-level import counts (it is how a cycle hides); an import
  under ``if TYPE_CHECKING:`` does not (it never runs). Registries are loaded by name
  (``scenarios.registry.load``), so registering makes no edge.
- Every exemption carries a one-line reason where it is declared.
"""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx
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


def _imports(path: Path, root: Path, *, typing_only: bool = True) -> list[str]:
    """Every module name ``path`` imports (relative imports resolved; ``from ours import x`` also as ours.x).

    ``typing_only=False`` leaves out the imports under ``if TYPE_CHECKING:`` (they never run).
    """
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    pkg_parts = path.relative_to(root).with_suffix("").parts
    skip: set[int] = set()
    if not typing_only:
        for node in ast.walk(tree):
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                skip.update(id(n) for stmt in node.body for n in ast.walk(stmt))  # det-ok: test-only identity set
    names: list[str] = []
    for node in ast.walk(tree):
        if id(node) in skip:  # det-ok: test-only identity set
            continue
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


CYCLE_PACKAGES = ("sim", "kvraft", "scenarios", "checkers", "reports")


def import_graph(root: Path) -> nx.DiGraph:
    """Module -> module it imports at run time, over ``CYCLE_PACKAGES`` under ``root``.

    ``from pkg import sub`` is an edge to ``pkg.sub`` (the package's ``__init__`` runs first, but a package
    importing its own submodule is no cycle); ``from pkg import name`` is an edge to ``pkg``.
    """
    mods: dict[str, Path] = {}
    for pkg in CYCLE_PACKAGES:
        for path in sorted((root / pkg).rglob("*.py")) if (root / pkg).is_dir() else []:
            parts = path.relative_to(root).with_suffix("").parts
            mods[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path

    def module_of(name: str) -> str | None:
        parts = name.split(".")
        while parts and ".".join(parts) not in mods:
            parts.pop()
        return ".".join(parts) or None

    graph = nx.DiGraph()
    for mod, path in sorted(mods.items()):
        graph.add_node(mod)
        names = _imports(path, root, typing_only=False)
        for name in names:
            if name in mods and any(n.startswith(name + ".") and module_of(n) != name for n in names):
                continue  # ``from pkg import sub``: the edge is to pkg.sub
            target = module_of(name)
            if target is not None and target != mod:
                graph.add_edge(mod, target)
    return graph


def cycles(root: Path) -> list[str]:
    """Each import cycle under ``root``, one line: ``a -> b -> a``."""
    graph = import_graph(root)
    out = []
    for group in sorted(sorted(c) for c in nx.strongly_connected_components(graph) if len(c) > 1):
        loop = [a for a, _ in nx.find_cycle(graph.subgraph(group))]
        start = loop.index(min(loop))  # from its smallest module, so the line is the same each time
        loop = loop[start:] + loop[:start]
        out.append(" -> ".join([*loop, loop[0]]))
    return out


def test_no_import_cycle_among_our_modules() -> None:
    bad = cycles(ROOT)
    assert not bad, "import cycles:\n" + "\n".join(bad)


def test_cycle_check_catches_planted_cycles(tmp_path: Path) -> None:
    root = _plant(tmp_path, {
        "scenarios/__init__.py": "",
        "scenarios/spec.py": "from scenarios.params import P\n",
        "scenarios/params.py": "def ids():\n    from scenarios.bugs import ZOO\n",  # a lazy import still counts
        "scenarios/bugs.py": "from .spec import Scenario\n",
        "sim/__init__.py": "from sim.world import World\n",
        "sim/world.py": "from sim import host\n",  # pkg -> world -> host: no cycle through sim/__init__
        "sim/host.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from sim.world import World\n",
        "checkers/a.py": "import checkers.b\n",
        "checkers/b.py": "from checkers import a\n",
    })
    assert cycles(root) == ["checkers.a -> checkers.b -> checkers.a",
                            "scenarios.bugs -> scenarios.spec -> scenarios.params -> scenarios.bugs"]


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
