"""The run directory layout and ``run.json``.

A run directory holds:
  run.json        scenario (name, params, repr), seed, code version, trace SHA-256, replay command
  history.jsonl   the clients' view (checkers/history.py)
  trace.jsonl     everything that happened (sim/trace.py)
  result.json     checker verdicts (checkers/result.py), written by checkers.check_run
  report.html, plots/   written by reports.render

``run.json`` fields (FORMAT_VERSION 1):
  format, scenario (str name), params (dict), scenario_repr (str, round-trips through the catalog),
  seed (int), code_version (str), trace_sha256 (str), replay (str: the exact ``raftsim run ...`` line),
  nodes (list of node ids), clients (int), duration_ns (int), timing (dict: election_timeout_ns,
  heartbeat_ns, tick_ns, latency_mean_ns ... used to derive liveness bounds), stats (dict).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

__all__ = ["FORMAT_VERSION", "RunFiles", "RunDirError", "read_run_json", "write_run_json"]

FORMAT_VERSION = 1

RUN_JSON = "run.json"
HISTORY = "history.jsonl"
TRACE = "trace.jsonl"
RESULT = "result.json"
REPORT = "report.html"


class RunDirError(Exception):
    """A run directory that is missing or malformed; the message says what and where."""


@dataclass(frozen=True, slots=True)
class RunFiles:
    """Paths of one run directory's files (they may not all exist), and what was read from them.

    ``check_run`` hands one RunFiles to every checker, so ``cached`` parses history.jsonl and the filtered
    trace once for all of them. Build a new RunFiles to see a file changed since.
    """

    root: Path
    _memo: dict[str, Any] = field(default_factory=dict, init=False, repr=False, compare=False)

    @property
    def run_json(self) -> Path:
        return self.root / RUN_JSON

    @property
    def history(self) -> Path:
        return self.root / HISTORY

    @property
    def trace(self) -> Path:
        return self.root / TRACE

    @property
    def result(self) -> Path:
        return self.root / RESULT

    @property
    def report(self) -> Path:
        return self.root / REPORT

    def missing(self) -> list[str]:
        """Names of the run's input files that are absent."""
        return [p.name for p in (self.run_json, self.history, self.trace) if not p.is_file()]

    def cached(self, key: str, load: Callable[[], T]) -> T:
        """``load()``, called once per key; what it raised is raised again on every later call.

        Callers must not mutate what it returns: other checkers get the same object.
        """
        if key not in self._memo:
            try:
                self._memo[key] = (True, load())
            except Exception as e:  # noqa: BLE001 - re-raised to each caller, as the first one saw it
                self._memo[key] = (False, e)
        ok, value = self._memo[key]
        if not ok:
            raise value
        return value

    def meta(self) -> dict[str, Any]:
        """run.json as a dict ({} if absent); raises RunDirError if malformed."""
        if not self.run_json.is_file():
            return {}
        return read_run_json(self.run_json)


def write_run_json(path: Path | str, meta: dict[str, Any]) -> None:
    doc = {"format": FORMAT_VERSION, **meta}
    Path(path).write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n", encoding="utf-8")


def read_run_json(path: Path | str) -> dict[str, Any]:
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RunDirError(f"{path}: no such file") from None
    except (ValueError, UnicodeDecodeError) as e:
        raise RunDirError(f"{path}: malformed run.json ({e})") from None
    except RecursionError:  # json.loads of deeply nested arrays; not a ValueError
        raise RunDirError(f"{path}: malformed run.json (nested too deeply)") from None
    if not isinstance(doc, dict):
        raise RunDirError(f"{path}: run.json must hold a JSON object")
    _check_fields(path, doc)
    return doc


# The types of the fields readers rely on; a run directory assembled by hand may leave any of them out.
_FIELDS: dict[str, type] = {
    "format": int, "scenario": str, "scenario_repr": str, "nemesis": str, "seed": int, "code_version": str,
    "trace_sha256": str, "trace_events": int, "replay": str, "nodes": list, "clients": int, "duration_ns": int,
    "params": dict, "timing": dict, "phases": dict, "stats": dict, "cut_short": dict, "liveness": dict,
}
_INT_MAPS = ("timing", "phases", "liveness", "stats", "cut_short")  # objects of int (ns, counts)


def _check_fields(path: Path | str, doc: dict[str, Any]) -> None:
    """Raise RunDirError (one line) if a known field has the wrong JSON type."""
    def bad(key: str, want: str, got: Any) -> RunDirError:
        return RunDirError(f"{path}: malformed run.json ({key!r} must be {want}, got {json.dumps(got)[:60]})")

    for key, typ in _FIELDS.items():
        if key not in doc:
            continue
        value = doc[key]
        if not isinstance(value, typ) or (typ is int and isinstance(value, bool)):
            raise bad(key, {int: "an int", str: "a string", list: "a list", dict: "an object"}[typ], value)
    for key in _INT_MAPS:
        for k, v in doc.get(key, {}).items():
            if not isinstance(v, int) or isinstance(v, bool):
                raise bad(f"{key}.{k}", "an int", v)
    if not all(isinstance(n, str) for n in doc.get("nodes", [])):
        raise bad("nodes", "a list of node ids", doc["nodes"])
