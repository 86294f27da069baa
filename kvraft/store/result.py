"""`Result`: what an apply, a get or a watch produced, and its JSON form (for the dedup table)."""

from __future__ import annotations

from dataclasses import dataclass

from .errors import EtcdError
from .events import Event, Watcher

__all__ = ["Result"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Result:
    """The outcome of an apply, a get or a watch.

    Exactly one of `event` / `error` is set, except for SYNC (`expired` holds its events) and a
    waiting watch (`watcher` set, `event` None). `etcd_index` is the X-Etcd-Index to answer with.
    """

    etcd_index: int
    event: Event | None = None
    error: EtcdError | None = None
    expired: tuple[Event, ...] = ()
    watcher: Watcher | None = None
    is_watch: bool = False
    duplicate: bool = False

    def __str__(self) -> str:
        if self.error is not None:
            return f"error {self.error}"
        if self.event is not None:
            return f"{self.event} X-Etcd-Index={self.etcd_index}"
        if self.watcher is not None:
            return f"watching {self.watcher.path} from {self.watcher.since_index}"
        return f"{len(self.expired)} expired, index {self.etcd_index}"

    def to_json(self) -> dict:
        d: dict = {"etcd_index": self.etcd_index}
        if self.event is not None:
            d["event"] = self.event.to_json()
        if self.error is not None:
            d["error"] = [self.error.code, self.error.cause, self.error.index]
        if self.expired:
            d["expired"] = [e.to_json() for e in self.expired]
        return d

    @classmethod
    def from_json(cls, d: dict) -> "Result":
        err = d.get("error")
        ev = d.get("event")
        return cls(etcd_index=d["etcd_index"],
                   event=None if ev is None else Event.from_json(ev),
                   error=None if err is None else EtcdError(err[0], err[1], err[2]),
                   expired=tuple(Event.from_json(e) for e in d.get("expired", ())))
