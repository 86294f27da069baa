"""Every tests/sim/testdata/*.txt script, run through the World driver (``pytest --rewrite`` regenerates)."""

from __future__ import annotations

from pathlib import Path

import pytest

from datadriven import run_file

from worldscript import WorldScript

DATA = Path(__file__).parent / "testdata"


@pytest.mark.parametrize("path", sorted(DATA.glob("*.txt")), ids=lambda p: p.stem)
def test_world_script(path: Path, rewrite: bool) -> None:
    run_file(path, WorldScript().handle, rewrite=rewrite)
