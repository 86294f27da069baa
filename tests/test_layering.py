"""The dependency graph of ARCHITECTURE.md ("Who owns what") is a test."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
OURS = {"sim", "kvraft", "scenarios", "checkers", "reports"}

# package -> (allowed first-party imports, forbidden third-party top-level modules)
# Format modules (sim.trace, checkers.history, checkers.result, checkers.rundir) import only the stdlib,
# so any package may use them.
FORMAT_MODULES = {"sim.trace", "checkers.history", "checkers.result", "checkers.rundir"}
RULES: dict[str, set[str]] = {
    "sim": {"sim"},
    "kvraft": {"kvraft"},
    "checkers": {"checkers", "sim.trace"},
    # checkers.integrity (run files vs run.json) reads only format modules: reports recompute it.
    "reports": {"reports", "checkers.history", "checkers.result", "checkers.rundir", "checkers.integrity", "sim.trace"},
    "scenarios": {"scenarios", "sim", "kvraft", "checkers.history", "checkers.rundir", "checkers.result"},
}
# Only the CLI (top of the graph) may use checkers and reports as a whole.
CLI_EXTRA = {"checkers", "reports"}
THIRD_PARTY_BANNED = {
    "kvraft": {"simpy", "networkx", "matplotlib", "dask", "distributed", "rich"},
    "checkers": {"simpy", "networkx", "matplotlib", "dask", "distributed"},
    "sim": {"matplotlib", "dask", "distributed"},
}


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    pkg_parts = path.relative_to(ROOT).with_suffix("").parts
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
                names.extend(f"{node.module}.{a.name}" for a in node.names if node.module in OURS)
    return names


def _allowed(name: str, allowed: set[str]) -> bool:
    return any(name == a or name.startswith(a + ".") for a in allowed)


def _files(pkg: str) -> list[Path]:
    return sorted((ROOT / pkg).rglob("*.py"))


@pytest.mark.parametrize("pkg", sorted(RULES))
def test_package_imports_only_what_the_architecture_allows(pkg: str) -> None:
    bad: list[str] = []
    for path in _files(pkg):
        rel = path.relative_to(ROOT)
        allowed = set(RULES[pkg])
        if str(rel) in ("scenarios/cli.py", "scenarios/__main__.py", "scenarios/sweep.py"):
            allowed |= CLI_EXTRA
        for name in _imports(path):
            top = name.split(".")[0]
            if top in OURS:
                if name in FORMAT_MODULES or any(name.startswith(m + ".") for m in FORMAT_MODULES):
                    continue
                if not _allowed(name, allowed):
                    bad.append(f"{rel} imports {name}")
            elif top in THIRD_PARTY_BANNED.get(pkg, set()):
                # kvraft/aio.py is the real-socket runtime: it may use the network libraries
                bad.append(f"{rel} imports {top}")
    assert not bad, "layering violations:\n" + "\n".join(bad)


def test_format_modules_import_only_the_stdlib() -> None:
    for mod in sorted(FORMAT_MODULES):
        path = ROOT / (mod.replace(".", "/") + ".py")
        for name in _imports(path):
            assert name.split(".")[0] not in OURS | {"simpy", "networkx", "matplotlib"}, f"{mod} imports {name}"


def test_layering_check_catches_a_violation(tmp_path: Path) -> None:
    # A test that cannot fail is a defect: show the import reader sees a kvraft -> sim import.
    fake = tmp_path / "bad.py"
    fake.write_text("import simpy\nfrom sim.world import World\n")
    names = []
    for node in ast.walk(ast.parse(fake.read_text())):
        if isinstance(node, ast.Import):
            names.extend(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
    assert "simpy" in names and not _allowed("sim.world", RULES["kvraft"])
