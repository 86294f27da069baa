"""The fuzz suite's one real run directory, made once per session and only ever copied."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from scenarios.cli import main

BASE_ARGS = ["steady", "--seed", "1", "--set", "duration_s=2", "--set", "recover_s=1", "--set", "clients=3",
             "--set", "nodes=3", "--no-check"]


@dataclass(frozen=True)
class BaseRun:
    root: Path
    files: dict[str, bytes]  # run.json, history.jsonl, trace.jsonl

    def text(self, name: str) -> str:
        return self.files[name].decode("utf-8")

    def write(self, into: Path, **replace: bytes) -> Path:
        """A copy of the run directory at ``into``, with some files replaced (``history_jsonl=b"..."``)."""
        into.mkdir(parents=True)
        for name, data in self.files.items():
            data = replace.get(name.replace(".", "_"), data)
            (into / name).write_bytes(data)
        return into


@pytest.fixture(scope="session")
def base_run(tmp_path_factory: pytest.TempPathFactory) -> BaseRun:
    root = tmp_path_factory.mktemp("fuzz-base") / "run"
    assert main(["run", *BASE_ARGS, "--out", str(root)]) == 0
    files = {name: (root / name).read_bytes() for name in ("run.json", "history.jsonl", "trace.jsonl")}
    return BaseRun(root, files)
