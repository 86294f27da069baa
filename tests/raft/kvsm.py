"""A tiny state machine for Server tests: an append-only list of applied (index, data)."""

from __future__ import annotations

import json


class ListStateMachine:
    def __init__(self) -> None:
        self.applied: list[tuple[int, bytes]] = []
        self.confs: list[tuple[tuple[str, ...], tuple[str, ...]]] = []

    def apply(self, index: int, term: int, data: bytes) -> None:
        assert not self.applied or index > self.applied[-1][0], (index, self.applied[-1])
        self.applied.append((index, data))

    def snapshot(self) -> bytes:
        return json.dumps([[i, d.hex()] for i, d in self.applied]).encode()

    def restore(self, data: bytes, index: int, term: int) -> None:
        self.applied = [(i, bytes.fromhex(d)) for i, d in json.loads(data)]

    def on_conf_change(self, voters: tuple[str, ...], learners: tuple[str, ...]) -> None:
        self.confs.append((voters, learners))

    def values(self) -> list[bytes]:
        return [d for _, d in self.applied]
