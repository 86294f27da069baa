"""etcd v2 error codes: the exact message table and the HTTP status of each code.

Rules: an `EtcdError` is data (it travels in results, snapshots and the dedup table); store
operations raise it internally and `Store.apply` turns it into a `Result`. Messages and statuses
are those of etcd's `v2error/error.go` as observed on 3.4.23 (spec.md §5).
"""

from __future__ import annotations

__all__ = ["EtcdError", "MESSAGES", "http_status",
           "KEY_NOT_FOUND", "TEST_FAILED", "NOT_FILE", "NOT_DIR", "NODE_EXIST", "ROOT_RONLY",
           "DIR_NOT_EMPTY", "PREV_VALUE_REQUIRED", "TTL_NAN", "INDEX_NAN", "INVALID_FIELD",
           "INVALID_FORM", "REFRESH_VALUE", "REFRESH_TTL_REQUIRED", "RAFT_INTERNAL",
           "WATCHER_CLEARED", "EVENT_INDEX_CLEARED"]

KEY_NOT_FOUND = 100
TEST_FAILED = 101
NOT_FILE = 102
NOT_DIR = 104
NODE_EXIST = 105
ROOT_RONLY = 107
DIR_NOT_EMPTY = 108
PREV_VALUE_REQUIRED = 201
TTL_NAN = 202
INDEX_NAN = 203
INVALID_FIELD = 209
INVALID_FORM = 210
REFRESH_VALUE = 211
REFRESH_TTL_REQUIRED = 212
RAFT_INTERNAL = 300
WATCHER_CLEARED = 400
EVENT_INDEX_CLEARED = 401

MESSAGES: dict[int, str] = {
    100: "Key not found",
    101: "Compare failed",
    102: "Not a file",
    103: "Reached the max number of peers in the cluster",
    104: "Not a directory",
    105: "Key already exists",
    106: "The prefix of given key is a keyword in etcd",
    107: "Root is read only",
    108: "Directory not empty",
    109: "Peer address has existed",
    110: "The request requires user authentication",
    200: "Value is Required in POST form",
    201: "PrevValue is Required in POST form",
    202: "The given TTL in POST form is not a number",
    203: "The given index in POST form is not a number",
    204: "Value or TTL is required in POST form",
    205: "Timeout while waiting for response",
    206: "Name is required in POST form",
    207: "Index or value is required",
    208: "Index and value cannot both be specified",
    209: "Invalid field",
    210: "Invalid POST form",
    211: "Value provided on refresh",
    212: "A TTL must be provided on refresh",
    300: "Raft Internal Error",
    301: "During Leader Election",
    400: "watcher is cleared due to etcd recovery",
    401: "The event in requested index is outdated and cleared",
    402: "Standby Internal Error",
    403: "Invalid Active Size",
    404: "Standby Remove Error",
    500: "Client Internal Error",
}

_STATUS = {100: 404, 101: 412, 105: 412, 102: 403, 108: 403, 110: 401, 300: 500, 301: 500}


def http_status(code: int) -> int:
    """HTTP status of an error code (spec.md §4): everything not listed is 400."""
    return _STATUS.get(code, 400)


class EtcdError(Exception):
    """One etcd v2 error: `code`, `cause` ("" = omitted on the wire) and `index`.

    `index` is the store's current etcd index for store errors, 0 for request parse errors and
    for 300 (spec.md §2, X-Etcd-Index).
    """

    __slots__ = ("code", "cause", "index")

    def __init__(self, code: int, cause: str = "", index: int = 0) -> None:
        super().__init__(code, cause, index)
        self.code = code
        self.cause = cause
        self.index = index

    @property
    def message(self) -> str:
        return MESSAGES.get(self.code, "")

    @property
    def status(self) -> int:
        return http_status(self.code)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, EtcdError):
            return NotImplemented
        return (self.code, self.cause, self.index) == (other.code, other.cause, other.index)

    __hash__ = None  # type: ignore[assignment]  # a mutable-free value, compared by fields

    def __repr__(self) -> str:
        return f"EtcdError({self.code}, {self.cause!r}, {self.index})"

    def __str__(self) -> str:
        return f"{self.code}: {self.message} ({self.cause}) [{self.index}]"
