"""Canonical one-line text of messages, Ready batches and node state (traces, logs, interaction tests)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .ready import Ready

if TYPE_CHECKING:
    from .core import RaftNode

__all__ = ["describe_log", "describe_message", "describe_ready", "describe_state"]


def describe_message(m: object) -> str:
    return str(m)


def describe_ready(rd: Ready) -> list[str]:
    """Ready as lines: one per field that is set, one per message."""
    out: list[str] = []
    if rd.soft_state is not None:
        out.append(f"soft: {rd.soft_state}")
    if rd.hard_state is not None:
        out.append(f"hard: {rd.hard_state}")
    if rd.snapshot is not None:
        out.append(f"snapshot: {rd.snapshot}")
    if rd.entries:
        out.append("entries: " + " ".join(e.describe() for e in rd.entries))
    if rd.committed:
        out.append("committed: " + " ".join(e.describe() for e in rd.committed))
    if rd.conf is not None:
        out.append(f"conf: voters=({','.join(rd.conf[0])}) learners=({','.join(rd.conf[1])}) at={rd.conf_index}")
    for rs in rd.read_states:
        out.append(f"read-state: index={rs.index} ctx={rs.ctx.decode('utf-8', 'replace')}")
    for d in rd.dropped:
        out.append(str(d))
    for m in rd.messages:
        out.append(f"send: {m}")
    return out


def describe_state(n: "RaftNode") -> str:
    lead = n.leader or "-"
    s = (f"{n.id} {n.role.value} term={n.term} vote={n.vote or '-'} leader={lead} "
         f"commit={n.log.commit} applied={n.log.applied} last={n.log.last_term}/{n.log.last_index}")
    if n.log.snap_index:
        s += f" snap={n.log.snap_term}/{n.log.snap_index}"
    return s


def describe_log(n: "RaftNode") -> list[str]:
    if not n.log.entries and not n.log.snap_index:
        return ["log is empty"]
    out = []
    if n.log.snap_index:
        out.append(f"snapshot {n.log.snap_term}/{n.log.snap_index}")
    out.extend(e.describe() for e in n.log.entries)
    return out
