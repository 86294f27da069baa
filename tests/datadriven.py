"""A data-driven test runner in the style of etcd-io/raft's (cockroachdb/datadriven).

File format, one block after another::

    # comments and blank lines between blocks are kept verbatim
    command arg1 arg2 key=val key=(a,b)
    ----
    expected output lines
    (ends at the first blank line; use a ``----`` / ``----`` double separator for output with blank lines)

Each block's command goes to a handler ``fn(cmd: Command) -> str``. With ``pytest --rewrite`` the
file is rewritten with the actual outputs; review the diff like code.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Command", "DataDrivenError", "run_file", "parse_file"]


class DataDrivenError(AssertionError):
    pass


@dataclass
class Command:
    name: str
    args: list[str] = field(default_factory=list)  # positional args
    kwargs: dict[str, list[str]] = field(default_factory=dict)  # key=val or key=(a,b,c)
    pos: str = ""  # "file:line" of the command, for messages
    input: str = ""  # lines between the command line and ----, if any

    def has(self, key: str) -> bool:
        return key in self.kwargs

    def get(self, key: str, default: str | None = None) -> str | None:
        vals = self.kwargs.get(key)
        return vals[0] if vals else default

    def get_int(self, key: str, default: int | None = None) -> int | None:
        v = self.get(key)
        return default if v is None else int(v)

    def get_bool(self, key: str, default: bool = False) -> bool:
        v = self.get(key)
        return default if v is None else v.lower() in ("1", "true", "yes", "on")

    def get_list(self, key: str) -> list[str]:
        return list(self.kwargs.get(key, []))

    def fail(self, msg: str) -> "DataDrivenError":
        return DataDrivenError(f"{self.pos}: {self.name}: {msg}")


_KV = re.compile(r"^([A-Za-z0-9_.\-]+)=(.*)$")


def parse_command_line(line: str, pos: str = "") -> Command:
    # Keep "(a,b)" and "(a b)" groups together before splitting on spaces.
    tokens: list[str] = []
    buf = ""
    depth = 0
    for ch in line.strip():
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch.isspace() and depth == 0:
            if buf:
                tokens.append(buf)
            buf = ""
        else:
            buf += ch
    if buf:
        tokens.append(buf)
    if not tokens:
        raise DataDrivenError(f"{pos}: empty command line")
    cmd = Command(name=tokens[0], pos=pos)
    for tok in tokens[1:]:
        m = _KV.match(tok)
        if m:
            key, val = m.group(1), m.group(2)
            if val.startswith("(") and val.endswith(")"):
                inner = val[1:-1]
                parts = [p for p in re.split(r"[,\s]+", inner) if p]
                cmd.kwargs[key] = parts
            else:
                cmd.kwargs[key] = [val]
        else:
            cmd.args.append(tok)
    return cmd


@dataclass
class Block:
    prefix: list[str]  # comment/blank lines before the command
    command_line: str
    input_lines: list[str]
    expected: str
    lineno: int
    double: bool = False


def parse_file(path: Path) -> tuple[list[Block], list[str]]:
    lines = path.read_text(encoding="utf-8").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    blocks: list[Block] = []
    prefix: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if not line.strip() or line.lstrip().startswith("#"):
            prefix.append(line)
            i += 1
            continue
        start = i
        cmd_line = line
        i += 1
        input_lines: list[str] = []
        while i < len(lines) and lines[i] != "----":
            input_lines.append(lines[i])
            i += 1
        if i >= len(lines):
            raise DataDrivenError(f"{path}:{start + 1}: command without ---- separator")
        i += 1  # skip ----
        double = i < len(lines) and lines[i] == "----"
        out: list[str] = []
        if double:
            i += 1
            while i < len(lines) and not (lines[i] == "----" and i + 1 < len(lines) and lines[i + 1] == "----"):
                out.append(lines[i])
                i += 1
            i += 2
        else:
            while i < len(lines) and lines[i].strip():
                out.append(lines[i])
                i += 1
        blocks.append(Block(prefix, cmd_line, input_lines, "\n".join(out), start + 1, double))
        prefix = []
    return blocks, prefix


def _render(blocks: list[Block], outputs: list[str], trailer: list[str]) -> str:
    out: list[str] = []
    for b, actual in zip(blocks, outputs):
        out.extend(b.prefix)
        out.append(b.command_line)
        out.extend(b.input_lines)
        out.append("----")
        actual = actual.rstrip("\n")
        if "\n\n" in actual or (actual and not actual.strip()):
            out.extend(["----", actual, "----", "----"])
        else:
            out.append(actual)
    out.extend(trailer)
    return "\n".join(out) + "\n"


def run_file(path: Path | str, handler: Callable[[Command], str], *, rewrite: bool = False) -> None:
    """Run every block of ``path`` through ``handler`` and compare (or rewrite) the outputs."""
    path = Path(path)
    blocks, trailer = parse_file(path)
    outputs: list[str] = []
    failures: list[str] = []
    for b in blocks:
        cmd = parse_command_line(b.command_line, f"{path.name}:{b.lineno}")
        cmd.input = "\n".join(b.input_lines)
        actual = handler(cmd)
        actual = "" if actual is None else actual.rstrip("\n")
        if actual == "":
            actual = "ok"
        outputs.append(actual)
        if not rewrite and actual != b.expected.rstrip("\n"):
            failures.append(
                f"{path.name}:{b.lineno}: {b.command_line}\n--- expected\n{b.expected}\n--- actual\n{actual}\n"
            )
            break  # later blocks depend on earlier state; stop at the first difference
    if rewrite:
        path.write_text(_render(blocks, outputs, trailer), encoding="utf-8")
        return
    if failures:
        raise DataDrivenError("\n".join(failures) + "\n(run pytest --rewrite to regenerate, then review the diff)")
