"""docs/tutorial.md never rots: every command of its ``shell`` blocks runs, in order, in a fresh directory.

A ``# expect exit N`` comment sets the exit code of the next command (default 0). ``pip install`` is the one
line not run (the suite runs in an installed environment). The hunt and the replay of its result take
minutes: they run with ``-m slow``; the default suite runs the other blocks.
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TUTORIAL = ROOT / "docs" / "tutorial.md"
RAFTSIM = str(Path(sys.executable).with_name("raftsim"))


def commands(text: str) -> list[tuple[str, int, bool]]:
    """(command, expected exit code, slow?) for each command line of the ``shell`` blocks, in order."""
    out: list[tuple[str, int, bool]] = []
    for block in re.findall(r"^```shell\n(.*?)^```", text, flags=re.S | re.M):
        slow = "raftsim hunt" in block or "tutorial-hunt" in block
        expect = 0
        for line in block.splitlines():
            line = line.strip()
            m = re.fullmatch(r"#\s*expect exit (\d+)", line)
            if m:
                expect = int(m.group(1))
            elif line and not line.startswith("#"):
                out.append((line, expect, slow))
                expect = 0
    return out


def run_tutorial(tmp_path: Path, *, include_slow: bool) -> list[str]:
    ran = []
    for cmd, expect, slow in commands(TUTORIAL.read_text(encoding="utf-8")):
        if cmd.startswith("pip install") or (slow and not include_slow):
            continue
        argv = shlex.split(cmd)
        assert argv[0] == "raftsim", f"the tutorial runs only raftsim commands here: {cmd}"
        proc = subprocess.run([RAFTSIM, *argv[1:]], cwd=tmp_path, capture_output=True, text=True, timeout=900)
        assert proc.returncode == expect, f"{cmd}\nexit {proc.returncode}, expected {expect}\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}"
        ran.append(cmd)
    return ran


def test_the_tutorial_parses_into_commands() -> None:
    cmds = commands(TUTORIAL.read_text(encoding="utf-8"))
    assert [c for c, _, _ in cmds][0] == "pip install -e ."
    assert any(c.startswith("raftsim hunt") and e == 1 and s for c, e, s in cmds)
    assert commands("```shell\n# expect exit 1\nraftsim nope\nraftsim list\n```\n") == [
        ("raftsim nope", 1, False), ("raftsim list", 0, False)]


def test_tutorial_commands_run(tmp_path: Path) -> None:
    ran = run_tutorial(tmp_path, include_slow=False)
    assert len(ran) >= 5
    for d in ("tutorial-steady", "tutorial-partition", "tutorial-figure8"):
        assert (tmp_path / "runs" / d / "replay.html").is_file(), d
    assert (tmp_path / "runs" / "tutorial-partition" / "report.html").is_file()
    assert (tmp_path / "runs" / "tutorial-figure16" / "figure16.png").is_file()


@pytest.mark.slow
def test_tutorial_commands_run_including_the_hunt(tmp_path: Path) -> None:
    run_tutorial(tmp_path, include_slow=True)
    run_dir = tmp_path / "runs" / "tutorial-hunt" / "run"
    assert (run_dir / "replay.html").is_file()
    # What the tutorial says the hunt finds, and where the replay's "first violation" lands.
    text = TUTORIAL.read_text(encoding="utf-8")
    schedule = json.loads((run_dir / "run.json").read_text())["params"]["schedule"]
    assert f"`{schedule}`" in text
    window = json.loads((run_dir / "result.json").read_text())["checkers"]["linearizable"]["details"]["window"]
    first = min(op["invoke_time"] for op in window)
    assert f"{first / 1e9:.3f} s" in text
