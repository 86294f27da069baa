"""pytest arguments that load the raftsim plugin in a child pytest, also from a checkout whose install
predates the plugin's ``pytest11`` entry point (then ``-p`` names it; naming it twice would be an error)."""

from __future__ import annotations

from importlib.metadata import entry_points

PLUGIN_ARGS: list[str] = [] if any(e.name == "raftsim" for e in entry_points(group="pytest11")) \
    else ["-p", "raftsim.pytest_plugin"]
