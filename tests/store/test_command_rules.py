"""Store commands, rule by rule: every field typed before anything is touched, defaults for absent and null
fields, TTL expirations computed from the command alone (bench/mutation.py --module kvraft/store/command.py)."""

from __future__ import annotations

import pytest

from kvraft.store.command import OPS, Command
from kvraft.store.expiry import EPOCH_UNIX_NS, NS_PER_S


def test_defaults_for_absent_and_null_fields() -> None:
    for c in ({"op": "get"}, {"op": "get", **dict.fromkeys(("path", "value", "dir", "refresh", "unique", "recursive",
                                                                "sorted", "prev_value", "prev_index", "now_ns",
                                                                "ttl"))}):
        cmd = Command(c)
        assert (cmd.op, cmd.path, cmd.value, cmd.prev_value) == ("get", "/", "", "")
        assert (cmd.dir, cmd.refresh, cmd.unique, cmd.recursive, cmd.sorted) == (False,) * 5
        assert (cmd.prev_index, cmd.now_ns, cmd.ttl, cmd.paths) == (0, 0, None, [])
        assert cmd.expiration() is None


def test_fields_are_kept() -> None:
    cmd = Command({"op": "compareAndSwap", "path": "/k", "value": "v", "dir": True, "refresh": True, "unique": True,
                   "recursive": True, "sorted": True, "prev_value": "p", "prev_index": 7, "now_ns": 5, "ttl": 3,
                   "paths": [["/a", 1], ["/b", 2]]})
    assert (cmd.path, cmd.value, cmd.prev_value, cmd.prev_index, cmd.now_ns, cmd.ttl) == ("/k", "v", "p", 7, 5, 3)
    assert (cmd.dir, cmd.refresh, cmd.unique, cmd.recursive, cmd.sorted) == (True,) * 5
    assert cmd.paths == [("/a", 1), ("/b", 2)]
    assert cmd.expiration() == 5 + 3 * NS_PER_S


@pytest.mark.parametrize("op", OPS)
def test_every_op_is_known(op: str) -> None:
    assert Command({"op": op}).op == op


@pytest.mark.parametrize("c", [
    {}, {"op": "SET"}, {"op": None},
    {"op": "set", "path": 1}, {"op": "set", "value": 1}, {"op": "set", "dir": "true"}, {"op": "set", "dir": 1},
    {"op": "set", "refresh": 1}, {"op": "set", "unique": "x"}, {"op": "get", "recursive": 0},
    {"op": "get", "sorted": "no"}, {"op": "set", "prev_value": 3}, {"op": "set", "prev_index": "3"},
    {"op": "set", "prev_index": True}, {"op": "set", "now_ns": 1.5},
    {"op": "set", "ttl": -1}, {"op": "set", "ttl": "5"}, {"op": "set", "ttl": True}, {"op": "set", "ttl": 1.0},
    {"op": "expire", "paths": {}}, {"op": "expire", "paths": [["/a"]]}, {"op": "expire", "paths": [["/a", 1, 2]]},
    {"op": "expire", "paths": [[1, 1]]}, {"op": "expire", "paths": [["/a", "1"]]}, {"op": "expire", "paths": ["/a"]},
    {"op": "expire", "paths": [["/a", 1], ["/b", True]]},
    {"op": "expire", "paths": [{"0": "/a", "1": 1}]}, {"op": "expire", "paths": [("/a", 1)]},  # pairs are lists
])
def test_a_field_of_the_wrong_type_is_refused(c: dict) -> None:
    with pytest.raises(ValueError):
        Command(c)


@pytest.mark.parametrize(("now_ns", "ttl", "want"), [
    (0, 0, 0), (0, 1, NS_PER_S), (7, 2, 7 + 2 * NS_PER_S),
    (-EPOCH_UNIX_NS, 0, None),  # Unix time 0 is etcd's "no expiration"
    (-EPOCH_UNIX_NS, 1, -EPOCH_UNIX_NS + NS_PER_S),
    (-EPOCH_UNIX_NS - 1, 0, -EPOCH_UNIX_NS - 1),
])
def test_expiration(now_ns: int, ttl: int, want: int | None) -> None:
    assert Command({"op": "set", "now_ns": now_ns, "ttl": ttl}).expiration() == want


def test_the_membership_fields_are_kept_and_default_to_empty() -> None:
    cmd = Command({"op": "get"})
    assert (cmd.member, cmd.members) == ("", [])
    assert Command({"op": "get", "member": None}).member == ""  # a null member is absent; null members: no list
    cmd = Command({"op": "get", "member": "m1", "members": [["a", "{}"], ["b", ""]]})
    assert (cmd.member, cmd.members) == ("m1", [("a", "{}"), ("b", "")])
    assert all(type(m) is tuple for m in cmd.members)


@pytest.mark.parametrize("c", [
    {"member": 1}, {"member": True}, {"members": None}, {"members": {}}, {"members": "ab"}, {"members": ["ab"]},
    {"members": [["a"]]},
    {"members": [["a", "x", "y"]]}, {"members": [[1, "x"]]}, {"members": [["", "x"]]}, {"members": [["a", 1]]},
    {"members": [[None, "x"]]}, {"members": [["a", None]]}, {"members": [("a", "x")]},
    {"members": [{"0": "a", "1": "x"}]}, {"members": [["a", "x"], ["b", 2]]}, {"members": [["a", "x"], [2, "x"]]},
])
def test_a_membership_field_of_the_wrong_type_is_refused(c: dict) -> None:
    with pytest.raises(ValueError):
        Command({"op": "get", **c})
