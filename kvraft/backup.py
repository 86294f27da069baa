"""``--force-new-cluster`` and ``kvraft backup``: a data dir made into a one-member cluster.

Rules (etcd's meaning):
- force-new-cluster keeps every committed entry, drops the uncommitted tail, and appends committed
  configuration changes that leave this member the only voter; the member's id and cluster id stay.
- ``backup --data-dir D --backup-dir B`` copies D's committed state into B (D is only read) with
  ``meta.json`` marked so that the copy must be started with ``--force-new-cluster``, which then
  makes it a one-member cluster of the member started on it (new name, URLs, ids, token).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from .etcdconf import cluster_id
from .raft.entry import ConfChange, ConfChangeType, Entry, EntryType
from .raft.ready import HardState
from .server import _ent_rec, _hs_rec, _snap_rec, decode_records
from .wal import Wal, WalError, has_data, read_meta, write_meta

__all__ = ["backup", "force_new_cluster"]


def _conf(voters: list[str], entries: list[Entry]) -> list[str]:
    cur = list(voters)
    for e in entries:
        if e.type is EntryType.CONF_CHANGE:
            cc = ConfChange.decode(e.data)
            if cc.type is ConfChangeType.REMOVE_NODE and cc.node_id in cur:
                cur.remove(cc.node_id)
            elif cc.type is ConfChangeType.ADD_NODE and cc.node_id not in cur:
                cur.append(cc.node_id)
    return cur


def force_new_cluster(data_dir: Path, meta: dict[str, Any]) -> dict[str, Any]:
    """Rewrite ``data_dir``'s log so that ``meta['member_id']`` is the only voter; returns the new meta."""
    if not has_data(data_dir):
        return meta  # nothing to force: a fresh one-member cluster from the flags
    old = read_meta(data_dir)
    me = meta["member_id"]
    wal = Wal(data_dir, fsync=True)
    wal.open()
    storage, _ = decode_records(wal.read())
    wal.close()
    snap = storage.snapshot()
    hs = storage.hard_state()
    kept = [e for e in storage.entries() if e.index <= hs.commit]
    voters = _conf(list(snap.voters) if snap else list(old.get("voters", [])), kept)
    last = kept[-1] if kept else None
    index = last.index if last else (snap.index if snap else 0)
    term = max(hs.term, last.term if last else (snap.term if snap else 0), 1)
    changes = [] if me in voters else [ConfChange(type=ConfChangeType.ADD_NODE, node_id=me)]
    changes += [ConfChange(type=ConfChangeType.REMOVE_NODE, node_id=v) for v in sorted(voters) if v != me]
    extra = [Entry(index=index + i + 1, term=term, type=EntryType.CONF_CHANGE, data=c.encode())
             for i, c in enumerate(changes)]
    records: list[Any] = []
    if snap is not None:
        records.append(_snap_rec(snap))
    new_hs = HardState(term=term, vote=me, commit=index + len(extra))
    records.append(_hs_rec(new_hs))
    if kept or extra:
        records.append(_ent_rec(kept + extra))
    new_meta = {**old, **{k: meta[k] for k in ("name", "member_id", "token")},
                "voters": [me], "force_new": False}
    if old.get("force_new") or old.get("member_id") != me:
        new_meta["cluster_id"] = f"{cluster_id([int(me, 16)]):x}"
        new_meta["initial"] = {me: meta["initial"].get(me, {"name": meta["name"], "peerURLs": [], "clientURLs": []})}
    _rewrite(data_dir, records)
    write_meta(data_dir, new_meta)
    return new_meta


def _rewrite(data_dir: Path, records: list[Any]) -> None:
    wal = Wal(data_dir, fsync=True)
    wal.open()
    wal.replace_now(records)
    wal.close()


def backup(data_dir: Path, backup_dir: Path) -> None:
    """Copy ``data_dir`` into ``backup_dir`` (which must not hold a member) for a --force-new-cluster start."""
    if not has_data(data_dir):
        raise WalError(f"{data_dir}: no member data directory here")
    if has_data(backup_dir):
        raise WalError(f"{backup_dir}: already holds a member data directory")
    meta = read_meta(data_dir)
    backup_dir.mkdir(parents=True, exist_ok=True)
    shutil.copytree(data_dir / "member", backup_dir / "member")
    write_meta(backup_dir, {**meta, "force_new": True, "name": meta["name"]})
