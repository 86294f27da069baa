"""Mutation score of kvraft/: mutate one thing at a time, run the module's fast unit tests, then swarm seeds.

    python bench/mutation.py --module kvraft/raft/log.py                 # one module, its unit tests only
    python bench/mutation.py --all --seeds 20 --out /tmp/raftsim-mutation  # every listed module, resumable
    python bench/mutation.py --all --report                                # the table and survivors, no runs

A small AST mutator of our own (mutmut and cosmic-ray rewrite the tree in place or need their own runner and
database; ours runs each mutant in a temp copy of the tree, so the work tree is never touched). Operators:
comparison flips (< <=, > >=, == !=, in / not in, is / is not), off-by-one on int constants, dropped
statements (an expression, assignment or return becomes ``pass`` / ``return None``), min <-> max, removed
conditions (an ``if``/``while``/``elif`` test becomes True and False; an ``and``/``or`` loses an operand),
``and`` <-> ``or``.

Stage 1, every mutant: the module's unit tests (``TESTS``; pytest -x, in a child forked from a parent that has
already imported pytest, so a mutant costs its tests, not an interpreter start). Stage 2, stage-1 survivors
only: ``raftsim run swarm --seed s`` for each of seeds 1..``--seeds`` clean on the unmutated tree (first
failure kills). One mutant at a time, ``--timeout`` seconds each; a timed-out mutant counts as detected.
Verdicts go to ``--out``/results.jsonl (never the checkout), keyed by the mutant's text, so a rerun skips
what it already judged (a survivor is judged again when its tests changed). Mutants listed in
bench/mutation_equivalent.txt are left out of the score. Prints killed / survived / timed out /
equivalent per module and each survivor's diff and key; writes survivors.md beside the results.
This is a bench (minutes per module), never part of the test suite.
"""

from __future__ import annotations

import argparse
import ast
import copy
import difflib
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COPY = ("kvraft", "sim", "scenarios", "checkers", "reports", "raftsim", "tests", "pyproject.toml")
EQUIVALENT = ROOT / "bench" / "mutation_equivalent.txt"
_RAFT = ["tests/raft/test_quorum_rules.py", "tests/raft/test_core.py", "tests/raft/test_interaction.py",
         "tests/raft/test_election_range.py", "tests/raft/test_bugs.py", "tests/raft/test_server.py"]
_STORE = ["tests/store/test_store.py", "tests/store/test_samples.py", "tests/store/test_model.py"]
_MEMBER = ["tests/kvraft/test_member_cluster.py"]  # a module's own rule table runs first (tests_for)
# module -> the fast tests that exercise it, in the order run (first match; a prefix ending in / matches a
# package); a module's own rule tables, tests/<package>/test_<module>_rules.py, run first when they exist
TESTS: dict[str, list[str]] = {
    "kvraft/raft/describe.py": ["tests/raft/test_ready_rules.py", *_RAFT],
    "kvraft/raft/ready.py": ["tests/raft/test_ready_split.py", *_RAFT],
    "kvraft/raft/core.py": ["tests/raft/test_core_rules_2.py", "tests/raft/test_core_rules_3.py",  # its tables
                            "tests/raft/test_core_rules_4.py", *_RAFT],
    "kvraft/raft/": _RAFT,
    "kvraft/store/": _STORE,
    "kvraft/member.py": _MEMBER,  # the store's own tests never reach the member
    "kvraft/client.py": _MEMBER,
    "kvraft/server.py": ["tests/raft/test_server.py", "tests/kvraft/test_member_rules.py", *_MEMBER, *_RAFT],
}
# --all: the modules of the score, run smallest first (by mutant count; the Raft core comes last)
ALL = ("kvraft/raft/config.py", "kvraft/raft/core.py", "kvraft/raft/describe.py", "kvraft/raft/entry.py",
       "kvraft/raft/log.py", "kvraft/raft/membership.py", "kvraft/raft/messages.py", "kvraft/raft/progress.py",
       "kvraft/raft/quorum.py", "kvraft/raft/readindex.py", "kvraft/raft/ready.py", "kvraft/raft/storage.py",
       "kvraft/store/command.py", "kvraft/store/errors.py", "kvraft/store/events.py", "kvraft/store/expiry.py",
       "kvraft/store/ops.py", "kvraft/store/render.py", "kvraft/store/request.py", "kvraft/store/result.py",
       "kvraft/store/snapshot.py", "kvraft/store/tree.py", "kvraft/client.py", "kvraft/member.py", "kvraft/server.py")
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
        elif isinstance(node, ast.Return) and not (node.value is None or (  # ``return None`` stays itself
                isinstance(node.value, ast.Constant) and node.value.value is None)):
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


def mutants(module: str, source: str | None = None) -> list[Mutant]:
    tree = ast.parse(source if source is not None else (ROOT / module).read_text(encoding="utf-8"))
    return [Mutant(module, i, op, getattr(n, "lineno", 0)) for i, n, op in _sites(tree)]


def mutated_source(m: Mutant, source: str | None = None) -> tuple[str, str]:
    """(the module as unparsed, the mutant as unparsed): both through ast.unparse, so the diff is the mutation.
    ``source``: the module's text read once when the run started (the checkout may change meanwhile)."""
    tree = ast.parse(source if source is not None else (ROOT / m.module).read_text(encoding="utf-8"))
    base = ast.unparse(tree)
    mut = copy.deepcopy(tree)
    node = next(n for i, n in enumerate(ast.walk(mut)) if i == m.site)
    _apply(node, m.op)
    return base, ast.unparse(ast.fix_missing_locations(mut))


def key(diff: str) -> str:
    """A mutant's name that survives edits elsewhere in the module: a digest of its diff without line numbers."""
    body = "".join(ln for ln in diff.splitlines(True)[2:] if not ln.startswith("@@"))
    return hashlib.sha256(body.encode()).hexdigest()[:10]


def diff_of(m: Mutant, source: str | None = None) -> str:
    base, mut = mutated_source(m, source)
    return "".join(difflib.unified_diff(base.splitlines(True), mut.splitlines(True), m.module, m.module, n=1))


def tests_for(module: str) -> list[str]:
    own = f"tests/{Path(module).parent.name}/test_{Path(module).stem}_rules.py"
    tests = next((t for prefix, t in TESTS.items()
                  if module == prefix or (prefix.endswith("/") and module.startswith(prefix))), _RAFT)
    return [t for t in dict.fromkeys([own, *tests]) if (ROOT / t).exists()]


def equivalents() -> dict[tuple[str, str], str]:
    """(module, key) -> reason, from bench/mutation_equivalent.txt (``module key reason``; # comments)."""
    out: dict[tuple[str, str], str] = {}
    if EQUIVALENT.is_file():
        for ln in EQUIVALENT.read_text(encoding="utf-8").splitlines():
            parts = ln.split(None, 2)
            if len(parts) == 3 and not ln.startswith("#"):
                out[(parts[0], parts[1])] = parts[2]
    return out


def _wait(pid: int, deadline: float) -> str:
    """'ok', 'fail' or 'timeout' for the child ``pid`` (its own process group, killed on timeout)."""
    try:
        while True:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                return "ok" if os.waitstatus_to_exitcode(status) == 0 else "fail"
            if time.monotonic() >= deadline:
                break
            time.sleep(0.02)
    except BaseException:  # interrupted: the child goes too, and this mutant is not recorded
        os.killpg(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        raise
    os.killpg(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    return "timeout"


def _pytest_forked(tests: list[str], work: Path, deadline: float) -> str:
    """pytest -x in a forked child: the parent imported pytest once; the child imports our code from ``work``."""
    pid = os.fork()
    if pid == 0:  # the child: never returns
        code = 3
        try:
            os.setsid()
            os.chdir(work)
            sys.path.insert(0, str(work))
            null = os.open(os.devnull, os.O_RDWR)
            for fd in (0, 1, 2):
                os.dup2(null, fd)
            import pytest
            code = int(pytest.main(["-x", "-q", "-p", "no:cacheprovider", *tests]))
        finally:
            os._exit(code)
    return _wait(pid, deadline)


def _run(cmd: list[str], cwd: Path, deadline: float) -> str:
    """'ok', 'fail' or 'timeout' for ``cmd`` run with the copy first on the path."""
    if deadline - time.monotonic() <= 0:
        return "timeout"
    env = {**os.environ, "PYTHONPATH": str(cwd), "PYTHONHASHSEED": "0"}
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    return _wait(proc.pid, deadline)


def judge(work: Path, tests: list[str], seeds: list[int], timeout: float) -> tuple[str, str]:
    """(verdict, stage) for the tree in ``work``: 'survived', 'killed' or 'timeout'; stage 'unit' or 'swarm'."""
    deadline = time.monotonic() + timeout
    own = [t for t in tests if t.endswith("_rules.py")][:1]  # alone first: most mutants die there, cheaply
    for batch in ([own, [t for t in tests if t not in own]] if own else [tests]):
        got = _pytest_forked(batch, work, deadline) if batch else "ok"
        if got != "ok":
            return ("killed" if got == "fail" else "timeout"), "unit"
    for s in seeds:
        got = _run([sys.executable, "-m", "scenarios", "run", "swarm", "--seed", str(s), "--out",
                    str(work / "_runs" / f"s{s}")], work, deadline)
        shutil.rmtree(work / "_runs", ignore_errors=True)
        if got != "ok":
            return ("killed" if got == "fail" else "timeout"), "swarm"
    return "survived", ("swarm" if seeds else "unit")


def _digest(paths: list[str]) -> str:
    h = hashlib.sha256()
    for t in paths:
        for f in sorted((ROOT / t).rglob("*.py")) if (ROOT / t).is_dir() else [ROOT / t]:
            h.update(f.read_bytes())
    return h.hexdigest()[:12]


def _load(results: Path) -> dict[tuple[str, str], dict]:
    got: dict[tuple[str, str], dict] = {}
    if results.is_file():
        for ln in results.read_text(encoding="utf-8").splitlines():
            try:
                r = json.loads(ln)
                got[(r["module"], r["key"])] = r
            except (ValueError, KeyError, TypeError):
                continue  # a line cut short by an interrupted run: judged again
    return got


def _copy_tree(work: Path) -> None:
    for name in COPY:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, work / name, ignore=shutil.ignore_patterns("__pycache__", ".hypothesis", "*.egg-info"))
        elif src.is_file():
            shutil.copy2(src, work / name)


def run_module(mod: str, work: Path, a: argparse.Namespace, done: dict, results: Path,
               seeds: list[int] | None) -> list[int] | None:
    """Judge every mutant of ``mod`` not judged yet; returns the clean swarm seeds (computed on first need)."""
    shutil.rmtree(work / "tests")  # tests written since the run started count too
    shutil.copytree(ROOT / "tests", work / "tests", ignore=shutil.ignore_patterns("__pycache__", ".hypothesis"))
    tests = a.tests or tests_for(mod)
    digest = _digest(tests)
    if _pytest_forked(tests, work, time.monotonic() + a.timeout) != "ok":
        print(f"mutation: {mod}: its tests fail on the unmutated tree: {' '.join(tests)}", file=sys.stderr)
        return seeds
    eq = equivalents()
    original = (ROOT / mod).read_text(encoding="utf-8")
    todo = []
    for m in mutants(mod, original)[: a.limit or None]:
        d = diff_of(m, original)
        k = key(d)
        r = done.get((mod, k))
        if (mod, k) in eq or (r and (r["verdict"] != "survived" or (r["tests"] == digest and r["seeds"] >= a.seeds))):
            continue
        todo.append((m, d, k))
    print(f"{mod}: {len(todo)} mutants to judge ({' '.join(tests)})", flush=True)
    try:
        for m, d, k in todo:
            mutated = mutated_source(m, original)[1]  # never the checkout's current text: it may be mid-edit
            (work / mod).write_text(mutated, encoding="utf-8")
            got, stage = judge(work, tests, [], a.timeout)
            if got == "survived" and a.seeds:
                if seeds is None:  # only seeds clean on the unmutated tree can kill a mutant
                    (work / mod).write_text(original, encoding="utf-8")
                    seeds = [s for s in range(1, a.seeds + 1) if judge(work, [], [s], a.timeout)[0] == "survived"]
                    print(f"  swarm seeds clean on the unmutated tree: {seeds or 'none'}", flush=True)
                    (work / mod).write_text(mutated, encoding="utf-8")
                got, stage = judge(work, [], seeds, a.timeout)
            rec = {"module": mod, "key": k, "line": m.line, "op": m.op, "verdict": got, "stage": stage,
                   "tests": digest, "seeds": a.seeds, "diff": d}
            done[(mod, k)] = rec
            with results.open("a", encoding="utf-8") as f:
                f.write(json.dumps(rec) + "\n")
            print(f"  {mod}:{m.line} {m.op:<20} {k} {got} ({stage})", flush=True)
    finally:
        (work / mod).write_text(original, encoding="utf-8")
    return seeds


def report(modules: list[str], done: dict, out: Path) -> None:
    """The per-module table (score = detected / non-equivalent; detected = killed + timed out) and the
    survivors' diffs, printed and written to ``out``/survivors.md."""
    eq = equivalents()
    rows = ["| module | mutants | killed | timed out | survived | equivalent | score |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    fields = ("n", "killed", "timeout", "survived", "equivalent", "unjudged")
    total = dict.fromkeys(fields, 0)
    survivors = []
    for mod in modules:
        c = dict.fromkeys(fields, 0)
        for m in mutants(mod):
            k = key(diff_of(m))
            r = done.get((mod, k))
            c["n"] += 1
            verdict = "equivalent" if (mod, k) in eq else r["verdict"] if r else "unjudged"
            c[verdict] += 1
            if verdict == "survived":
                survivors.append(r)
        total = {f: total[f] + c[f] for f in fields}
        rows.append(_row(mod, c))
    rows.append(_row("total", total))
    print("\n".join(rows))
    md = ["# Surviving mutants", "", *rows, ""]
    for r in survivors:
        print(f"\nsurvivor {r['module']}:{r['line']} {r['op']} key {r['key']}\n{r['diff']}")
        md += [f"## {r['module']}:{r['line']} {r['op']} `{r['key']}`", "", "```diff", r["diff"].rstrip(), "```", ""]
    (out / "survivors.md").write_text("\n".join(md), encoding="utf-8")


def _row(name: str, c: dict[str, int]) -> str:
    live = c["killed"] + c["timeout"] + c["survived"]
    score = f"{(c['killed'] + c['timeout']) / live:.0%}" if live else "-"
    n = f"{c['n']} ({c['unjudged']} not run)" if c["unjudged"] else str(c["n"])
    return f"| {name} | {n} | {c['killed']} | {c['timeout']} | {c['survived']} | {c['equivalent']} | {score} |"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("modules", nargs="*", help="modules to mutate, e.g. kvraft/raft/quorum.py")
    ap.add_argument("--module", action="append", default=[], help="a module to mutate (repeatable)")
    ap.add_argument("--all", action="store_true", help="every module of the score, small ones first")
    ap.add_argument("--tests", nargs="+", help="pytest paths run against each mutant, instead of the module's (TESTS)")
    ap.add_argument("--seeds", type=int, default=0, help="stage 2: swarm seeds 1..N against stage-1 survivors")
    ap.add_argument("--timeout", type=float, default=120.0, help="seconds per mutant")
    ap.add_argument("--limit", type=int, default=0, help="at most this many mutants per module (0: all)")
    ap.add_argument("--out", default=os.path.join(tempfile.gettempdir(), "raftsim-mutation"),
                    help="directory for results.jsonl (resumable) and survivors.md; never inside the checkout")
    ap.add_argument("--report", action="store_true", help="print the table and survivors from --out; run nothing")
    a = ap.parse_args(argv)
    every = sorted(ALL, key=lambda m: len(mutants(m))) if a.all else []
    modules = list(dict.fromkeys([*a.modules, *a.module, *every]))
    if not modules:
        print("mutation: name a module (--module kvraft/raft/log.py) or --all", file=sys.stderr)
        return 2
    for mod in modules:
        if not (ROOT / mod).is_file() or not mod.startswith("kvraft/") or not mod.endswith(".py"):
            print(f"mutation: {mod}: not a kvraft/ module of this tree", file=sys.stderr)
            return 2
    out = Path(a.out).resolve()
    if out == ROOT or ROOT in out.parents:
        print(f"mutation: --out {a.out}: inside the checkout; name a directory outside it", file=sys.stderr)
        return 2
    out.mkdir(parents=True, exist_ok=True)
    results = out / "results.jsonl"
    done = _load(results)
    if not a.report:
        import pytest  # noqa: F401  # imported once here: each forked mutant run reuses it
        with tempfile.TemporaryDirectory(prefix="raftsim-mutation-") as tmp:
            (work := Path(tmp) / "tree").mkdir()
            _copy_tree(work)
            seeds = None
            for mod in modules:
                t0 = time.monotonic()
                seeds = run_module(mod, work, a, done, results, seeds)
                print(f"{mod}: done in {time.monotonic() - t0:.0f} s", flush=True)
    report(modules, done, out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
