"""Every catalog scenario's trace and history, pinned: seed 1 of each (zoo-* included), and of each bug-zoo
schedule with its bug switch on, must give the SHA-256 recorded in tests/pins/catalog.json. This is the proof
that a restructuring is behaviour-neutral.

Rules:
- The params are the catalog's own, except ``duration_s`` and ``recover_s``, capped at CAPS to keep the
  whole test near 30 s; the overrides actually applied are written next to each pin.
- The hashes are of the files a real run writes (``trace.jsonl``, ``history.jsonl``), not of run.json
  (which names the code version).
- A change that alters event order on purpose re-pins in one command, and says so in its commit:
      RAFTSIM_REPIN=1 python -m pytest tests/test_pinned_traces.py
  then review ``git diff tests/pins/catalog.json`` (every changed scenario is listed there).
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any

from scenarios.bugs import ZOO, scenario_for
from scenarios.runner import run
from scenarios.spec import Scenario, list_defs

PINS = Path(__file__).resolve().parent / "pins" / "catalog.json"
SEED = 1
CAPS = {"duration_s": 3.0, "recover_s": 2.0}


def _overrides(scen: Scenario) -> dict[str, Any]:
    return {k: cap for k, cap in CAPS.items() if scen.params[k] > cap}


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _pin(name: str, tmp: Path) -> dict[str, Any]:
    """Pin catalog scenario ``name``, or bug ``name`` ("B07": its zoo schedule with the switch on)."""
    make = (lambda **o: scenario_for(name, **o)) if name in ZOO else (lambda **o: Scenario.create(name, o))
    over = _overrides(make())
    rd = run(make(**over), SEED, tmp / name)
    pin = {"overrides": over, "trace_sha256": _sha256(rd.files.trace), "history_sha256": _sha256(rd.files.history)}
    assert pin["trace_sha256"] == rd.trace_sha256, f"{name}: trace.jsonl differs from the hash the run reported"
    return pin


def test_every_catalog_scenario_matches_its_pinned_trace_and_history(tmp_path: Path) -> None:
    names = [*(d.name for d in list_defs()), *ZOO]
    # the runs are independent: one process per core (forked, so plugins and imports carry over)
    with ProcessPoolExecutor(max_workers=min(2, os.cpu_count() or 1),
                             mp_context=multiprocessing.get_context("fork")) as pool:
        got = dict(zip(names, pool.map(partial(_pin, tmp=tmp_path), names), strict=True))
    if os.environ.get("RAFTSIM_REPIN") == "1":
        doc = {"seed": SEED, "caps": CAPS, "regenerate": "RAFTSIM_REPIN=1 python -m pytest tests/test_pinned_traces.py",
               "scenarios": got}
        PINS.write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    want = json.loads(PINS.read_text(encoding="utf-8"))
    assert want["seed"] == SEED and want["caps"] == CAPS, "pins made with other settings: re-pin"
    pinned = want["scenarios"]
    problems = [f"{n}: not pinned (new scenario? re-pin)" for n in sorted(set(got) - set(pinned))]
    problems += [f"{n}: pinned but no longer in the catalog" for n in sorted(set(pinned) - set(got))]
    for name in sorted(set(got) & set(pinned)):
        for field in ("overrides", "trace_sha256", "history_sha256"):
            if got[name][field] != pinned[name][field]:
                problems.append(f"{name}: {field} {got[name][field]} != pinned {pinned[name][field]}")
    assert not problems, "behaviour changed (see this module's docstring to re-pin on purpose):\n" + "\n".join(problems)
