"""etcd v2 error codes, rule by rule: the exact message and HTTP status of every code (spec.md §5, etcd's
v2error/error.go as observed on 3.4.23), the named constants, and EtcdError as a value
(bench/mutation.py --module kvraft/store/errors.py)."""

from __future__ import annotations

import pytest

from kvraft.store import errors as E
from kvraft.store.errors import MESSAGES, EtcdError, http_status

# code, exact message, HTTP status (spec.md §5; 500 is client-side only: 400 if ever rendered)
TABLE = [
    (100, "Key not found", 404), (101, "Compare failed", 412), (102, "Not a file", 403),
    (103, "Reached the max number of peers in the cluster", 400), (104, "Not a directory", 400),
    (105, "Key already exists", 412), (106, "The prefix of given key is a keyword in etcd", 400),
    (107, "Root is read only", 400), (108, "Directory not empty", 403), (109, "Peer address has existed", 400),
    (110, "The request requires user authentication", 401), (200, "Value is Required in POST form", 400),
    (201, "PrevValue is Required in POST form", 400), (202, "The given TTL in POST form is not a number", 400),
    (203, "The given index in POST form is not a number", 400), (204, "Value or TTL is required in POST form", 400),
    (205, "Timeout while waiting for response", 400), (206, "Name is required in POST form", 400),
    (207, "Index or value is required", 400), (208, "Index and value cannot both be specified", 400),
    (209, "Invalid field", 400), (210, "Invalid POST form", 400), (211, "Value provided on refresh", 400),
    (212, "A TTL must be provided on refresh", 400), (300, "Raft Internal Error", 500),
    (301, "During Leader Election", 500), (400, "watcher is cleared due to etcd recovery", 400),
    (401, "The event in requested index is outdated and cleared", 400), (402, "Standby Internal Error", 400),
    (403, "Invalid Active Size", 400), (404, "Standby Remove Error", 400), (500, "Client Internal Error", 400),
]


def test_the_message_table_is_etcds_exactly() -> None:
    assert MESSAGES == {code: msg for code, msg, _ in TABLE}


@pytest.mark.parametrize(("code", "message", "status"), TABLE)
def test_each_code(code: int, message: str, status: int) -> None:
    e = EtcdError(code, "c", 7)
    assert (e.message, e.status, http_status(code)) == (message, status, status)


def test_named_constants() -> None:
    assert (E.KEY_NOT_FOUND, E.TEST_FAILED, E.NOT_FILE, E.NOT_DIR, E.NODE_EXIST, E.ROOT_RONLY, E.DIR_NOT_EMPTY) == \
        (100, 101, 102, 104, 105, 107, 108)
    assert (E.PREV_VALUE_REQUIRED, E.TTL_NAN, E.INDEX_NAN, E.INVALID_FIELD, E.INVALID_FORM, E.REFRESH_VALUE,
            E.REFRESH_TTL_REQUIRED) == (201, 202, 203, 209, 210, 211, 212)
    assert (E.RAFT_INTERNAL, E.WATCHER_CLEARED, E.EVENT_INDEX_CLEARED) == (300, 400, 401)


def test_an_error_is_a_value() -> None:
    e = EtcdError(101, "[a != b]", 4)
    assert (e.code, e.cause, e.index) == (101, "[a != b]", 4)
    assert e == EtcdError(101, "[a != b]", 4)
    assert e != EtcdError(101, "[a != b]", 5) and e != EtcdError(101, "", 4) and e != EtcdError(100, "[a != b]", 4)
    assert (e == "101") is False and e.__eq__("101") is NotImplemented
    assert repr(e) == "EtcdError(101, '[a != b]', 4)"
    assert str(e) == "101: Compare failed ([a != b]) [4]"
    unknown = EtcdError(999)
    assert (unknown.message, unknown.status, unknown.cause, unknown.index) == ("", 400, "", 0)
    with pytest.raises(TypeError):
        hash(e)
