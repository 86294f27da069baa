"""Messages between clients and kvraft members (the simulated stand-in for HTTP requests).

Rules: one frozen dataclass per message with a one-line ``str()``; ``params`` is a sorted tuple of
(name, value) pairs so messages are hashable and print deterministically.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

__all__ = ["ClientReply", "ClientRequest", "AdminRequest", "STATUS_RETRY"]

# Not an HTTP status etcd sends: a member's "I cannot take this now, try another member" (no leader
# known, shutting down). It is never shown to the history: the client retries it within its deadline.
STATUS_RETRY = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class ClientRequest:
    frm: str
    to: str
    id: int  # per-client request number (retries of one op reuse it)
    client_id: str
    seq: int  # per-client op sequence: (client_id, seq) identifies an op for de-duplication
    method: str
    path: str
    params: tuple[tuple[str, str], ...] = ()

    def __str__(self) -> str:
        q = "&".join(f"{k}={v}" for k, v in self.params)
        return f"{self.frm}->{self.to} {self.method} {self.path}{'?' + q if q else ''} #{self.client_id}/{self.seq}"


@dataclass(frozen=True, slots=True, kw_only=True)
class ClientReply:
    frm: str
    to: str
    id: int
    status: int
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
    leader_hint: str | None = None

    def header(self, name: str) -> str | None:
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    def json(self) -> Any:
        try:
            return json.loads(self.body or b"null")
        except (ValueError, UnicodeDecodeError):
            return None

    def __str__(self) -> str:
        body = self.body[:60].decode("utf-8", "replace").rstrip()
        return f"{self.frm}->{self.to} reply #{self.id} {self.status} {body}"


@dataclass(frozen=True, slots=True, kw_only=True)
class AdminRequest:
    """Membership API (spec §11): list, add, remove, leader."""

    frm: str
    to: str
    id: int
    op: str  # "list" | "add" | "remove" | "leader"
    node: str = ""

    def __str__(self) -> str:
        return f"{self.frm}->{self.to} admin {self.op} {self.node}".rstrip()
