"""The cluster's member table, replicated beside the v2 store (real deployments).

Rules:
- A member is known by its etcd id (lowercase hex, ``kvraft/etcdconf.py`` derives it); that hex string
  is also its Raft node id. Its attributes (name, peer URLs, client URLs) are replicated state: a
  ``member add`` proposes the peer URLs as a log entry ``{"kvraft-cluster": {...}}`` that this module
  applies and the v2 store never sees (etcd carries them in the conf change; the change itself takes the
  etcd index), a peer-URL update is the store's ``member-update``, and every member publishes its name
  and client URLs in each incarnation (``kvraft/publisher.py``, the store's ``publish``): both take an
  etcd index as etcd's do, and this module keeps the table from them too.
- The table is in the state machine's snapshots (a ``kvraft-cluster`` header line before the
  member's own snapshot bytes), so a restarted or caught-up member knows every peer's address.
- The initial cluster (from ``--initial-cluster``) is the table before the first entry.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from .member import Member, _decode
from .publisher import go_json
from .store.snapshot import SnapshotError

__all__ = ["ClusterMember", "encode_attrs", "encode_update"]

_PREFIX = b'{"kvraft-cluster":'
_SNAP_MAGIC = b"kvraft-cluster "


def encode_attrs(member_id: str, **attrs: Any) -> bytes:
    """A log entry setting ``attrs`` (name, peerURLs, clientURLs) of ``member_id``."""
    return _PREFIX + json.dumps({"id": member_id, **attrs}, sort_keys=True, separators=(",", ":")).encode() + b"}"


def encode_update(member_id: str, peer_urls: list[str]) -> bytes:
    """A log entry updating the peer URLs of ``member_id`` (etcd's UpdateRaftAttributes: one etcd index)."""
    cmd = {"op": "member-update", "member": member_id, "value": go_json({"peerURLs": peer_urls})}
    return json.dumps(cmd, sort_keys=True, separators=(",", ":")).encode()


class ClusterMember(Member):
    """A kv ``Member`` that also keeps the member table (``attrs``: id -> dict)."""

    def __init__(self, *args: Any, initial: dict[str, dict[str, Any]], **kw: Any) -> None:
        self.attrs: dict[str, dict[str, Any]] = {k: dict(v) for k, v in initial.items()}
        self.on_attrs: list[Callable[[], None]] = []
        super().__init__(*args, **kw)

    def apply(self, index: int, term: int, data: bytes) -> None:
        if not data.startswith(_PREFIX):
            super().apply(index, term, data)
            self._from_store_command(_decode(bytes(data)))
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

    def _from_store_command(self, cmd: Any) -> None:
        """Keep the table from the store's publish and member-update commands."""
        if not isinstance(cmd, dict) or cmd.get("op") not in ("publish", "member-update"):
            return
        try:
            doc = json.loads(cmd["value"])
            mid = str(cmd["member"])
        except (ValueError, KeyError, TypeError):
            return
        if not isinstance(doc, dict):
            return
        cur = self.attrs.setdefault(mid, {"name": "", "peerURLs": [], "clientURLs": []})
        keys = ("name", "clientURLs") if cmd["op"] == "publish" else ("peerURLs",)
        for k in keys:
            if k in doc:
                cur[k] = doc[k]
        for hook in list(self.on_attrs):
            hook()

    def raft_attributes(self, node: str, *, learner: bool = False) -> str:
        doc: dict[str, Any] = {"peerURLs": list(self.attrs.get(node, {}).get("peerURLs", []))}
        if learner:
            doc["isLearner"] = True
        return go_json(doc)

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
