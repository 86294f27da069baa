"""Store commands: the JSON-able dicts proposed through raft, validated into typed fields.

Rules: a command is validated completely before the store touches anything; a field of the
wrong type is a ValueError (the store answers error 300 and changes nothing). The expiration of
a TTL is computed here from the command alone (now_ns + ttl), so every replica gets the same.
"""

from __future__ import annotations

from .expiry import EPOCH_UNIX_NS, expiration_from_ttl
from .membership import OPS as MEMBERSHIP_OPS

__all__ = ["OPS", "Command"]

OPS = ("set", "create", "update", "compareAndSwap", "delete", "compareAndDelete", "get", "sync", "expire",
       *MEMBERSHIP_OPS)


class Command:
    """Typed, validated fields of a command (validation happens before any mutation)."""

    __slots__ = ("op", "path", "value", "dir", "ttl", "refresh", "unique", "prev_value",
                 "prev_index", "recursive", "sorted", "now_ns", "paths", "member", "members")

    def __init__(self, c: dict) -> None:
        op = c.get("op")
        if op not in OPS:
            raise ValueError(f"unknown op {op!r}")
        self.op = op
        self.path = _typed(c, "path", str, "/")
        self.value = _typed(c, "value", str, "")
        self.dir = _typed(c, "dir", bool, False)
        self.refresh = _typed(c, "refresh", bool, False)
        self.unique = _typed(c, "unique", bool, False)
        self.recursive = _typed(c, "recursive", bool, False)
        self.sorted = _typed(c, "sorted", bool, False)
        self.prev_value = _typed(c, "prev_value", str, "")
        self.prev_index = _typed(c, "prev_index", int, 0)
        self.now_ns = _typed(c, "now_ns", int, 0)
        paths = c.get("paths", [])
        if not isinstance(paths, list) or not all(
            isinstance(x, list) and len(x) == 2 and type(x[0]) is str and type(x[1]) is int for x in paths
        ):
            raise ValueError("paths must be a list of [path, expire_ns] pairs")
        self.paths = [(x[0], x[1]) for x in paths]
        self.member = _typed(c, "member", str, "")
        members = c.get("members", [])
        if not isinstance(members, list) or not all(
            isinstance(x, list) and len(x) == 2 and type(x[0]) is str and x[0] and type(x[1]) is str for x in members
        ):
            raise ValueError("members must be a list of [id, raftAttributes] pairs")
        self.members = [(x[0], x[1]) for x in members]
        ttl = c.get("ttl")
        if ttl is not None and (type(ttl) is not int or ttl < 0):
            raise ValueError("ttl must be a non-negative int or null")
        self.ttl = ttl

    def expiration(self) -> int | None:
        if self.ttl is None:
            return None
        exp = expiration_from_ttl(self.now_ns, self.ttl)
        return None if exp + EPOCH_UNIX_NS == 0 else exp  # etcd: Expiration 0 = unset


def _typed(c: dict, name: str, typ: type, default):
    v = c.get(name, default)
    if v is None:
        return default
    if type(v) is not typ:
        raise ValueError(f"{name} must be {typ.__name__}")
    return v
