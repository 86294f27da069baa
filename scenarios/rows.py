"""``rows.jsonl``: a sweep's durable record, one JSON line per finished seed.

Rules:
- Each line is ``{"v": ROWS_FORMAT_VERSION, "scenario_repr", "code_version", "row": {...}}``, appended,
  flushed and fsync'ed by the parent process as each seed finishes, so a killed sweep loses no finished row.
- A torn last line (the process died mid-write) is cut off when the file is next opened; that seed runs again.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

__all__ = ["ROWS_FORMAT_VERSION", "ROWS_JSONL", "Rows"]

ROWS_JSONL = "rows.jsonl"
ROWS_FORMAT_VERSION = 1


class Rows:
    """``rows.jsonl``: read (dropping a torn last line), then append one flushed line per finished seed."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.records: list[dict[str, Any]] = []
        if path.is_file():
            data = path.read_bytes()
            cut = data.rfind(b"\n") + 1
            if cut < len(data):  # a torn last line: the sweep was killed mid-write; that seed runs again
                with path.open("r+b") as f:
                    f.truncate(cut)
            for line in data[:cut].splitlines():
                try:
                    rec = json.loads(line)
                except ValueError:
                    continue
                if isinstance(rec, dict) and isinstance(rec.get("row"), dict) and isinstance(rec["row"].get("seed"), int):
                    self.records.append(rec)
        self._f = path.open("a", encoding="utf-8")
        self.appended = 0

    def append(self, key: str, row: dict[str, Any]) -> None:
        rec = {"v": ROWS_FORMAT_VERSION, "scenario_repr": key, "code_version": row.get("code_version"), "row": row}
        self._f.write(json.dumps(rec, sort_keys=True) + "\n")
        self._f.flush()
        os.fsync(self._f.fileno())
        self.appended += 1

    def close(self) -> None:
        self._f.close()
