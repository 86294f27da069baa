"""The result format (``result.json``): each checker's verdict on one run.

Rules:
- ``result.json`` = ``{"format": FORMAT_VERSION, "valid": "ok"|"illegal"|"unknown"|"not-exercised",
  "checkers": {name: {...}}}`` where each checker entry is ``CheckResult.to_json()``. The overall verdict is
  the worst of all: illegal > unknown > ok > not-exercised (a checker that found nothing to judge is no
  failure, and never counts as ok: a run is ok when some checker judged and none objected).
- Exit codes follow Jepsen: ok 0, illegal 1, unknown (or error) 2; a run where *no* checker had anything to
  judge is not-exercised, exit 2: nothing vouches for it.
- ``elapsed_s`` is wall time spent checking; result.json is not part of the run's identity.
- Checkers never raise on a bad history: they return ILLEGAL or UNKNOWN with a message.
"""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

__all__ = [
    "FORMAT_VERSION",
    "CheckResult",
    "Checker",
    "CheckerError",
    "Verdict",
    "combine",
    "exit_code",
    "read_result",
    "write_result",
]

FORMAT_VERSION = 1


class CheckerError(Exception):
    """Base error of the checkers package (bad input the caller must fix)."""


class Verdict(enum.Enum):
    """A checker's answer: ok, illegal (a violation), unknown (could not decide), not-exercised (nothing to judge)."""

    OK = "ok"
    ILLEGAL = "illegal"
    UNKNOWN = "unknown"
    NOT_EXERCISED = "not-exercised"  # nothing to judge (no ops of the checker's kind): neither ok nor a failure

    @property
    def exit_code(self) -> int:
        return {Verdict.OK: 0, Verdict.ILLEGAL: 1, Verdict.UNKNOWN: 2, Verdict.NOT_EXERCISED: 2}[self]

    @property
    def is_failure(self) -> bool:
        """Illegal or unknown: what a sweep lists as failing (not-exercised is not)."""
        return self in (Verdict.ILLEGAL, Verdict.UNKNOWN)

    @property
    def label(self) -> str:
        """For people: ``not exercised`` (the value, ``not-exercised``, is for files)."""
        return self.value.replace("-", " ")


def combine(verdicts: list[Verdict]) -> Verdict:
    """The worst verdict: ILLEGAL beats UNKNOWN beats OK beats NOT_EXERCISED (NOT_EXERCISED for an empty list)."""
    for v in (Verdict.ILLEGAL, Verdict.UNKNOWN, Verdict.OK):
        if v in verdicts:
            return v
    return Verdict.NOT_EXERCISED


def exit_code(verdict: Verdict) -> int:
    return verdict.exit_code


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckResult:
    """One checker's verdict with a one-line summary and JSON-able details (counterexample...)."""

    checker: str
    verdict: Verdict
    summary: str = ""
    details: dict[str, Any] = field(default_factory=dict)
    elapsed_s: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "checker": self.checker,
            "verdict": self.verdict.value,
            "summary": self.summary,
            "details": self.details,
            "elapsed_s": round(self.elapsed_s, 6),
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> "CheckResult":
        return cls(
            checker=str(d.get("checker", "?")),
            verdict=Verdict(d.get("verdict", "unknown")),
            summary=str(d.get("summary", "")),
            details=dict(d.get("details") or {}),
            elapsed_s=float(d.get("elapsed_s", 0.0)),
        )

    def __str__(self) -> str:
        return f"{self.checker}: {self.verdict.label}" + (f" ({self.summary})" if self.summary else "")


class Checker(Protocol):
    """A checker judges one run from its files (``checkers.rundir.RunFiles``)."""

    name: str

    def check(self, run: Any) -> CheckResult: ...


def write_result(path: Path | str, results: list[CheckResult]) -> Verdict:
    """Write result.json for ``results``; returns the overall verdict."""
    overall = combine([r.verdict for r in results])
    doc = {
        "format": FORMAT_VERSION,
        "valid": overall.value,
        "checkers": {r.checker: r.to_json() for r in results},
    }
    Path(path).write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return overall


def read_result(path: Path | str) -> tuple[Verdict, list[CheckResult]]:
    """Read result.json. Raises CheckerError with a clear message if it is missing or malformed."""
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
        results = [CheckResult.from_json(v) for _, v in sorted(doc["checkers"].items())]
        return Verdict(doc["valid"]), results
    except FileNotFoundError:
        raise CheckerError(f"{path}: no such file") from None
    except (ValueError, KeyError, TypeError, AttributeError) as e:
        raise CheckerError(f"{path}: malformed result.json ({e})") from None
    except RecursionError:  # json.loads of deeply nested arrays
        raise CheckerError(f"{path}: malformed result.json (nested too deeply)") from None
