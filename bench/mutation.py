"""Mutation score of kvraft/: mutate one thing at a time, run a fast unit subset and swarm seeds, count kills.

    python bench/mutation.py kvraft/raft/quorum.py --seeds 3
    python bench/mutation.py kvraft/raft/quorum.py kvraft/raft/progress.py --tests tests/raft --seeds 2 --timeout 300

A small AST mutator of our own (mutmut and cosmic-ray rewrite the tree in place or need their own runner and
database; ours runs each mutant in a temp copy of the tree, so the work tree is never touched). Operators:
comparison flips (< <=, > >=, == !=, in / not in, is / is not), off-by-one on int constants, dropped
statements (an expression, assignment or return becomes ``pass`` / ``return None``), min <-> max, removed
conditions (an ``if``/``while``/``elif`` test becomes True and False; an ``and``/``or`` loses an operand),
``and`` <-> ``or``.

Each mutant runs: the unit tests (``--tests``, pytest -x), then ``raftsim run swarm --seed s`` for each seed
that is clean on the unmutated tree (first failure kills), all under ``--timeout`` seconds per mutant. Prints
killed / survived / timed out per module and each survivor's diff; ``--out`` writes the survivors as markdown.
This is a bench (minutes per module), never part of the test suite.
"""

from __future__ import annotations

import argparse
import ast
import copy
import difflib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COPY = ("kvraft", "sim", "scenarios", "checkers", "reports", "tests", "pyproject.toml", "conftest.py")
_FLIP = {ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt, ast.Eq: ast.NotEq, ast.NotEq: ast.Eq,
         ast.In: ast.NotIn, ast.NotIn: ast.In, ast.Is: ast.IsNot, ast.IsNot: ast.Is}


@dataclass(frozen=True)
class Mutant:
    module: str  # path relative to the root
    site: int  # the n-th mutable node of the module, in ast.walk order
    op: str
    line: int


def _sites(tree: ast.AST) -> Iterator[tuple[int, ast.AST, str]]:
    """(index, node, operator) of every mutation the module offers; the index is the node's ast.walk position."""
    in_fn = {id(n) for f in ast.walk(tree) if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))
             for n in ast.walk(f) if n is not f}  # membership only: module and class bodies are not dropped
    for i, node in enumerate(ast.walk(tree)):
        if isinstance(node, ast.Compare):
            for j, op in enumerate(node.ops):
                if type(op) in _FLIP:
                    yield i, node, f"flip-compare:{j}"
        elif isinstance(node, ast.Constant) and type(node.value) is int and not isinstance(node.value, bool):
            yield i, node, "plus-one"
            yield i, node, "minus-one"
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("min", "max"):
            yield i, node, "swap-min-max"
        elif isinstance(node, (ast.If, ast.While)):
            yield i, node, "condition-true"
            yield i, node, "condition-false"
        elif isinstance(node, ast.BoolOp):
            yield i, node, "and-or"
            yield i, node, "drop-first-operand"
        elif id(node) not in in_fn:
            continue
        elif isinstance(node, (ast.Expr, ast.Assign, ast.AugAssign, ast.AnnAssign)) and not (
                isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)):  # docstrings aside
            yield i, node, "drop-statement"
        elif isinstance(node, ast.Return) and node.value is not None:
            yield i, node, "return-none"


def _apply(node: ast.AST, op: str) -> None:
    if op.startswith("flip-compare:"):
        j = int(op.split(":")[1])
        node.ops[j] = _FLIP[type(node.ops[j])]()
    elif op == "plus-one":
        node.value += 1
    elif op == "minus-one":
        node.value -= 1
    elif op == "swap-min-max":
        node.func.id = "max" if node.func.id == "min" else "min"
    elif op == "condition-true":
        node.test = ast.Constant(True)
    elif op == "condition-false":
        node.test = ast.Constant(False)
    elif op == "and-or":
        node.op = ast.Or() if isinstance(node.op, ast.And) else ast.And()
    elif op == "drop-first-operand":
        node.values = node.values[1:] if len(node.values) > 2 else node.values[1:] * 2
    elif op == "drop-statement":
        node.__class__ = ast.Pass
        for f in list(node._fields):
            if hasattr(node, f):
                delattr(node, f)
    elif op == "return-none":
        node.value = ast.Constant(None)


def mutants(module: str) -> list[Mutant]:
    tree = ast.parse((ROOT / module).read_text(encoding="utf-8"))
    return [Mutant(module, i, op, getattr(n, "lineno", 0)) for i, n, op in _sites(tree)]


def mutated_source(m: Mutant) -> tuple[str, str]:
    """(the module as unparsed, the mutant as unparsed): both through ast.unparse, so the diff is the mutation."""
    tree = ast.parse((ROOT / m.module).read_text(encoding="utf-8"))
    base = ast.unparse(tree)
    mut = copy.deepcopy(tree)
    node = next(n for i, n in enumerate(ast.walk(mut)) if i == m.site)
    _apply(node, m.op)
    return base, ast.unparse(ast.fix_missing_locations(mut))


def _run(cmd: list[str], cwd: Path, deadline: float) -> str:
    """'ok', 'fail' or 'timeout' for ``cmd`` run with the copy first on the path."""
    env = {**os.environ, "PYTHONPATH": str(cwd), "PYTHONHASHSEED": "0"}
    left = deadline - time.monotonic()
    if left <= 0:
        return "timeout"
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        return "ok" if proc.wait(timeout=left) == 0 else "fail"
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, 9)
        proc.wait()
        return "timeout"


def judge(work: Path, tests: list[str], seeds: list[int], timeout: float) -> str:
    """'survived', 'killed' or 'timeout' for the tree in ``work``."""
    deadline = time.monotonic() + timeout
    if tests:
        got = _run([sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *tests], work, deadline)
        if got != "ok":
            return "killed" if got == "fail" else "timeout"
    for s in seeds:
        got = _run([sys.executable, "-m", "scenarios", "run", "swarm", "--seed", str(s), "--out",
                    str(work / "_runs" / f"s{s}")], work, deadline)
        if got != "ok":
            return "killed" if got == "fail" else "timeout"
    return "survived"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("modules", nargs="+", help="modules to mutate, e.g. kvraft/raft/quorum.py")
    ap.add_argument("--tests", nargs="*", default=["tests/raft/test_core.py", "tests/raft/test_properties.py"],
                    help="pytest paths run against each mutant (default: the Raft core unit tests)")
    ap.add_argument("--seeds", type=int, default=3, help="swarm seeds 1..N run against each mutant")
    ap.add_argument("--timeout", type=float, default=240.0, help="seconds per mutant")
    ap.add_argument("--limit", type=int, default=0, help="at most this many mutants per module (0: all)")
    ap.add_argument("--out", help="write the survivors (markdown) here")
    a = ap.parse_args(argv)
    for mod in a.modules:
        if not (ROOT / mod).is_file() or not mod.startswith("kvraft/") or not mod.endswith(".py"):
            print(f"mutation: {mod}: not a kvraft/ module of this tree", file=sys.stderr)
            return 2
    with tempfile.TemporaryDirectory(prefix="raftsim-mutation-") as tmp:
        work = Path(tmp) / "tree"
        work.mkdir()
        for name in COPY:
            src = ROOT / name
            if src.is_dir():
                shutil.copytree(src, work / name, ignore=shutil.ignore_patterns("__pycache__", ".hypothesis"))
            elif src.is_file():
                shutil.copy2(src, work / name)
        seeds = []
        for s in range(1, a.seeds + 1):  # only seeds clean on the unmutated tree can kill a mutant
            if judge(work, [], [s], a.timeout) == "survived":
                seeds.append(s)
        base_tests = judge(work, a.tests, [], a.timeout)
        print(f"baseline: unit subset {base_tests}; swarm seeds clean: {seeds or 'none'}")
        if base_tests != "survived":
            print("mutation: the unit subset fails on the unmutated tree", file=sys.stderr)
            return 2
        survivors: list[tuple[Mutant, str]] = []
        for mod in a.modules:
            ms = mutants(mod)[: a.limit or None]
            counts = {"killed": 0, "survived": 0, "timeout": 0}
            original = (ROOT / mod).read_text(encoding="utf-8")
            t0 = time.monotonic()
            for m in ms:
                base, mut = mutated_source(m)
                (work / mod).write_text(mut, encoding="utf-8")
                got = judge(work, a.tests, seeds, a.timeout)
                counts[got] += 1
                print(f"  {mod}:{m.line} {m.op:<20} {got}", flush=True)
                if got == "survived":
                    diff = "".join(difflib.unified_diff(base.splitlines(True), mut.splitlines(True), mod, mod, n=1))
                    survivors.append((m, diff))
            (work / mod).write_text(original, encoding="utf-8")
            n = len(ms)
            score = counts["killed"] / n if n else 1.0
            print(f"{mod}: {n} mutants: killed {counts['killed']}, survived {counts['survived']}, timed out "
                  f"{counts['timeout']}; score {score:.0%} ({time.monotonic() - t0:.0f} s)")
        for m, diff in survivors:
            print(f"\nsurvivor {m.module}:{m.line} {m.op}\n{diff}")
        if a.out:
            lines = ["# Surviving mutants", "", f"`python bench/mutation.py {' '.join(a.modules)} --seeds {a.seeds}`", ""]
            for m, diff in survivors:
                lines += [f"## {m.module}:{m.line} {m.op}", "", "verdict: to-kill / equivalent (see below)", "",
                          "```diff", diff.rstrip(), "```", ""]
            Path(a.out).write_text("\n".join(lines), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
