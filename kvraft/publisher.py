"""Publisher: a member's own writes to etcd's /0 namespace, as etcd's server makes them.

Rules (etcd 3.4's etcdserver: bootstrap conf changes, ``publish``, ``monitorVersions``; the store side is
``kvraft/store/membership.py``):
- The initial members: etcd starts a new cluster with one committed conf-change entry per member, each
  recorded in the store when applied. Here the initial configuration is not in the log, so the first leader
  proposes them as one entry (``member-bootstrap``) as soon as it applies an entry of its own term; applied
  once (a second copy, from a leader that had not applied the first, takes no index).
- The cluster version: the leader sets it once it applies an entry of its term (etcd: on applying its
  no-op), if the store has none.
- Publish: every member, in every incarnation, proposes its attributes (name, client URLs) once it knows a
  leader, and again every request timeout until it has applied its own (this incarnation's) entry.
- Membership changes themselves are recorded when their conf-change entry is applied
  (``Member.apply_conf_change``), never when it is appended.
Callbacks only, on the member's Runtime: the same in the simulator and in a real server.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from .etcdconf import CLUSTER_VERSION
from .store import membership

if TYPE_CHECKING:
    from .member import Member

__all__ = ["Publisher", "go_json"]


def go_json(doc: Any) -> str:
    """A value as Go's encoding/json writes it (etcd's stored member attributes)."""
    return json.dumps(doc, separators=(",", ":"))


def _encode(cmd: dict[str, Any]) -> bytes:
    return json.dumps(cmd, sort_keys=True, separators=(",", ":")).encode()


class Publisher:
    """Proposes a member's bootstrap, cluster-version and publish entries; see the module rules."""

    def __init__(self, member: "Member") -> None:
        self.m = member
        self.published = False  # this incarnation's attributes are applied (etcd's ReadyNotify)
        self.boot = f"{member.rt.node_id}/{member._boot_id}"
        self._publish_at: int | None = None  # monotonic ns of the last publish proposal
        self._leader_term = 0  # the term in which this member, as leader, last proposed bootstrap/version

    def on_applied(self) -> None:
        """After each batch applied (and every sync interval): propose what is due."""
        m = self.m
        server = m.server
        if server.is_leader and server.term != self._leader_term:
            store = m.store
            if not membership.is_bootstrapped(store) or membership.cluster_version(store) is None:
                self._leader_term = server.term
                if not membership.is_bootstrapped(store):
                    members = sorted(set(server.voters) | set(server.learners))
                    server.propose(_encode({"op": "member-bootstrap",
                                            "members": [[x, m.raft_attributes(x)] for x in members]}))
                if membership.cluster_version(store) is None:
                    server.propose(_encode({"op": "cluster-version", "value": CLUSTER_VERSION}))
        if self.published or server.leader_id is None:
            return
        now = m.rt.monotonic()
        if self._publish_at is not None and now - self._publish_at < m.config.request_timeout_ns:
            return
        cmd = {"op": "publish", "member": m.rt.node_id, "value": go_json(m.attributes), "boot": self.boot}
        if server.propose(_encode(cmd)):
            self._publish_at = now

    def applied(self, cmd: dict[str, Any]) -> None:
        """A publish entry was applied: is it this incarnation's?"""
        if cmd.get("boot") == self.boot:
            self.published = True
