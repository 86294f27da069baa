"""Seeded random streams, one per component, derived from (seed, name) with SHA-256.

Rules:
- A stream's seed is the first 8 bytes (big-endian) of ``sha256(f"{seed}:{name}")``; never
  ``hash()`` and never creation order, so adding a draw in one stream moves no other stream.
- Each name may be forked once: two components never share a stream by accident.
"""

from __future__ import annotations

import hashlib
import random

from .errors import ConfigError

__all__ = ["RandomStreams", "stream_seed"]


def stream_seed(seed: int, name: str) -> int:
    """The integer seed of stream ``name`` under run seed ``seed``."""
    digest = hashlib.sha256(f"{seed}:{name}".encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big")


class RandomStreams:
    """Hands out one independent ``random.Random`` per component name.

    Contract: call ``fork(name)`` once per name (e.g. ``"network"``, ``"disk/n3"``,
    ``"raft/n3#2"``); a second fork of the same name raises ``ConfigError``.
    """

    __slots__ = ("seed", "_forked")

    def __init__(self, seed: int) -> None:
        if not isinstance(seed, int) or isinstance(seed, bool):
            raise ConfigError(f"seed must be an int, got {seed!r}")
        self.seed = seed
        self._forked: set[str] = set()

    def fork(self, name: str) -> random.Random:
        """Return the stream named ``name``. Raises ConfigError if it was forked before."""
        if name in self._forked:
            raise ConfigError(f"random stream {name!r} was already forked (seed {self.seed})")
        self._forked.add(name)
        return random.Random(stream_seed(self.seed, name))

    def forked(self) -> list[str]:
        """Names forked so far, sorted."""
        return sorted(self._forked)

    def __repr__(self) -> str:
        return f"RandomStreams({self.seed!r})"
