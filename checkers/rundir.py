"""The run directory: its file names, ``run.json`` (``RunMeta``) and the atomic write of a whole run.

Rules:
- This module alone names the files and writes run.json; scenarios/ writes a run through ``write_run_dir``,
  checkers/ and reports/ read through ``RunFiles``.
- ``write_run_dir`` writes into a temporary directory next to the target and renames it into place, so a
  crash never leaves a half-written run; it replaces only an earlier run directory (or an empty one).
- ``RunMeta.from_json`` is strict (a missing, unknown or mistyped field is a one-line RunDirError);
  ``RunFiles.meta()`` is the tolerant dict view for checkers of partial, hand-made directories.

A run directory holds:
  run.json        scenario (name, params, repr), seed, code version, trace SHA-256, replay command
  history.jsonl   the clients' view (checkers/history.py)
  trace.jsonl     everything that happened (sim/trace.py)
  result.json     checker verdicts (checkers/result.py), written by checkers.check_run
  report.html, plots/   written by reports.render
  logs/, data/    a live run's member logs and data dirs (``raftsim live``)

``run.json`` fields (FORMAT_VERSION 1):
  format, scenario (str name), params (dict), scenario_repr (str, round-trips through the catalog),
  seed (int), code_version (str), trace_sha256 (str), replay (str: the exact ``raftsim run ...`` line),
  nodes (list of node ids), clients (int), duration_ns (int), timing (dict: election_timeout_ns,
  heartbeat_ns, tick_ns, latency_mean_ns ... used to derive liveness bounds), stats (dict); optional:
  cut_short, liveness, plugins (list of the user's plugin modules to import before resolving the scenario),
  drawn (the parameters a swarm seed drew).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

__all__ = ["FORMAT_VERSION", "RUN_DIR_ENTRIES", "RunDirError", "RunFiles", "RunMeta", "check_replaceable",
           "read_run_json", "read_run_meta", "write_run_dir", "write_run_json"]

FORMAT_VERSION = 1

RUN_JSON = "run.json"
HISTORY = "history.jsonl"
TRACE = "trace.jsonl"
RESULT = "result.json"
REPORT = "report.html"
PLOTS = "plots"
REPLAY = "replay.html"
NARRATION = "narration.json"  # the Figure 8 panels' narration, shown by the replay
LOGS = "logs"  # a live run's member logs (one <node>.log each)
DATA = "data"  # a live run's member data dirs
# What a run directory may hold: a directory of only these may be replaced by a new run.
RUN_DIR_ENTRIES = frozenset({RUN_JSON, HISTORY, TRACE, RESULT, REPORT, PLOTS, REPLAY, NARRATION,
                             "figure8.png", "figure8.svg", LOGS, DATA})


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

    def run_meta(self) -> "RunMeta":
        """run.json as a RunMeta; raises RunDirError (absent, malformed, a field missing or unknown)."""
        return read_run_meta(self.run_json)


@dataclass(frozen=True, slots=True, kw_only=True)
class RunMeta:
    """run.json, typed (see the module docstring for what each field means)."""

    scenario: str
    params: dict[str, Any]
    scenario_repr: str
    nemesis: str
    seed: int
    code_version: str
    trace_sha256: str
    trace_events: int
    replay: str
    nodes: list[str]
    clients: int
    duration_ns: int
    phases: dict[str, int]
    timing: dict[str, int]
    stats: dict[str, int]
    cut_short: dict[str, Any] | None = None  # the livelock guard stopped the run: {events, t, limit, ...}
    liveness: dict[str, int] | None = None  # bounds overriding those derived from timing
    live: dict[str, Any] | None = None  # a live run: system, version, the schedule as executed, unsupported faults
    plugins: list[str] | None = None  # the user's plugin modules the run needs (scenarios/plugins.py)
    drawn: dict[str, Any] | None = None  # the parameters the seed drew (the swarm scenario), also in params

    def to_json(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"format": FORMAT_VERSION}
        for f in fields(self):
            value = getattr(self, f.name)
            if value is not None:
                doc[f.name] = value
        return doc

    @classmethod
    def from_json(cls, doc: Mapping[str, Any], where: str = "run.json") -> "RunMeta":
        """Raises RunDirError naming ``where`` and the first bad field."""
        if doc.get("format") != FORMAT_VERSION:
            raise RunDirError(f"{where}: run.json format {doc.get('format')!r}, this reader knows {FORMAT_VERSION}")
        known = {f.name: f for f in fields(cls)}
        unknown = sorted(set(doc) - set(known) - {"format"})
        if unknown:
            raise RunDirError(f"{where}: unknown run.json field {unknown[0]!r}")
        _check_fields(where, dict(doc))
        kw: dict[str, Any] = {}
        for name, f in known.items():
            if name not in doc:
                if f.default is not None:  # no default: required
                    raise RunDirError(f"{where}: run.json lacks field {name!r}")
                continue
            kw[name] = doc[name]
        return cls(**kw)


def read_run_meta(path: Path | str) -> RunMeta:
    """Read run.json strictly; raises RunDirError."""
    return RunMeta.from_json(read_run_json(path), str(path))


def check_replaceable(out: Path) -> None:
    """Raise RunDirError unless ``out`` is absent, an empty directory or an earlier run directory."""
    if not out.exists():
        return
    if not out.is_dir():
        raise RunDirError(f"{out}: exists and is not a directory; refusing to replace it with a run")
    other = sorted(p.name for p in out.iterdir() if p.name not in RUN_DIR_ENTRIES)
    if other:
        raise RunDirError(f"{out}: not a run directory (holds {other[0]!r}); refusing to replace it with a run")


def write_run_dir(out: Path, meta: RunMeta, write_trace: Callable[[Path], None],
                  write_history: Callable[[Path], None]) -> None:
    """Write a whole run directory at ``out`` atomically, replacing an earlier run there.

    Contract: call ``check_replaceable(out)`` before the (long) run, so a bad target fails early; the
    writers are the formats' own (``TraceWriter.write_to``, ``HistoryWriter.write_to``).
    """
    check_replaceable(out)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
        os.chmod(tmp, 0o777 & ~_umask())  # as a plain mkdir makes it (a sweep's), not mkdtemp's 0700
    except OSError as e:  # name the user's --out, not our temporary directory beside it
        raise RunDirError(f"{out}: cannot write a run directory here ({e.strerror or e})") from None
    try:
        write_trace(tmp / TRACE)
        write_history(tmp / HISTORY)
        write_run_json(tmp / RUN_JSON, meta.to_json())
        if out.exists():
            old = out.with_name(f".{out.name}.old")
            shutil.rmtree(old, ignore_errors=True)
            out.rename(old)
            tmp.rename(out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            tmp.rename(out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _umask() -> int:
    mask = os.umask(0)  # read it the only way there is: set and restore (no threads here)
    os.umask(mask)
    return mask


def write_run_json(path: Path | str, meta: dict[str, Any]) -> None:
    """Write a run.json dict (``format`` added); the runner writes ``RunMeta.to_json()``, tests partial dicts."""
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
    "live": dict, "plugins": list, "drawn": dict,
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
