"""The cluster's member table, replicated beside the v2 store (real deployments).

Rules:
- A member is known by its etcd id (lowercase hex, ``kvraft/etcdconf.py`` derives it); that hex string
  is also its Raft node id. Its attributes (name, peer URLs, client URLs) are replicated state: a
  ``member add`` proposes the peer URLs, and every member publishes its name and client URLs once
  it has a leader (etcd's publish), each as a log entry ``{"kvraft-cluster": {...}}`` that this
  module applies and the v2 store never sees.
- The table is in the state machine's snapshots (a ``kvraft-cluster`` header line before the
  member's own snapshot bytes), so a restarted or caught-up member knows every peer's address.
- The initial cluster (from ``--initial-cluster``) is the table before the first entry.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from .member import Member
from .store.snapshot import SnapshotError

__all__ = ["ClusterMember", "encode_attrs"]

_PREFIX = b'{"kvraft-cluster":'
_SNAP_MAGIC = b"kvraft-cluster "


def encode_attrs(member_id: str, **attrs: Any) -> bytes:
    """A log entry setting ``attrs`` (name, peerURLs, clientURLs) of ``member_id``."""
    return _PREFIX + json.dumps({"id": member_id, **attrs}, sort_keys=True, separators=(",", ":")).encode() + b"}"


class ClusterMember(Member):
    """A kv ``Member`` that also keeps the member table (``attrs``: id -> dict)."""

    def __init__(self, *args: Any, initial: dict[str, dict[str, Any]], **kw: Any) -> None:
        self.attrs: dict[str, dict[str, Any]] = {k: dict(v) for k, v in initial.items()}
        self.on_attrs: list[Callable[[], None]] = []
        super().__init__(*args, **kw)

    def apply(self, index: int, term: int, data: bytes) -> None:
        if not data.startswith(_PREFIX):
            super().apply(index, term, data)
            return
        try:
            doc = json.loads(data)["kvraft-cluster"]
            mid = str(doc.pop("id"))
        except (ValueError, KeyError, TypeError):
            return
        cur = self.attrs.setdefault(mid, {"name": "", "peerURLs": [], "clientURLs": []})
        for k in ("name", "peerURLs", "clientURLs"):
            if k in doc:
                cur[k] = doc[k]
        for hook in list(self.on_attrs):
            hook()

    def snapshot(self) -> bytes:
        head = json.dumps(self.attrs, sort_keys=True, separators=(",", ":")).encode()
        return _SNAP_MAGIC + head + b"\n" + super().snapshot()

    def restore(self, data: bytes, index: int, term: int) -> None:
        if data.startswith(_SNAP_MAGIC):
            head, _, data = data[len(_SNAP_MAGIC):].partition(b"\n")
            try:
                attrs = json.loads(head)
            except ValueError:
                raise SnapshotError("bad member table in snapshot") from None
            if isinstance(attrs, dict):
                self.attrs = attrs
        super().restore(data, index, term)
        for hook in list(self.on_attrs):
            hook()

    def members(self) -> list[dict[str, Any]]:
        """The members in the current configuration, as ``/v2/members`` shows them (by numeric id, as etcd)."""
        conf = set(self.server.voters) | set(self.server.learners)
        out = []
        for mid in sorted(conf, key=lambda x: int(x, 16) if all(c in "0123456789abcdef" for c in x) else -1):
            a = self.attrs.get(mid, {})
            out.append({"id": mid, "name": a.get("name", ""), "peerURLs": list(a.get("peerURLs", [])),
                        "clientURLs": list(a.get("clientURLs", []))})
        return out
