"""The node tree, rule by rule: Go's path.Clean, the store's key of a user path, lookups that name the
blocking file or the first missing component, directories made on the way, removal order
(bench/mutation.py --module kvraft/store/tree.py)."""

from __future__ import annotations

import pytest

from kvraft.store import EtcdError
from kvraft.store.tree import Node, clean_path, error_path, go_clean, join, split


@pytest.mark.parametrize(("p", "want"), [
    ("", "."), (".", "."), ("./", "."), ("a/..", "."), ("/", "/"), ("/..", "/"), ("/../a", "/a"),
    ("a//b/", "a/b"), ("/a/./b", "/a/b"), ("a/b/../c", "a/c"), ("../a", "../a"), ("a/../..", ".."),
    ("../../x/..", "../.."), ("/a/b/../../..", "/"), ("..", ".."), ("x/../../y", "../y"),
])
def test_go_clean(p: str, want: str) -> None:
    assert go_clean(p) == want


@pytest.mark.parametrize(("p", "want"), [
    ("/", "/"), ("", "/"), ("/a", "/a"), ("a", "/a"), ("/a/", "/a"), ("//a", "/a"), ("/a/.", "/a"),
    ("/a/.b", "/a/.b"), ("/a/../b", "/b"), ("/a/b", "/a/b"), ("a/b/", "/a/b"), ("/..", "/"),
])
def test_clean_path(p: str, want: str) -> None:
    assert clean_path(p) == want


def test_join_split_and_error_path() -> None:
    assert join("/", "a") == "/a" and join("/d", "a") == "/d/a"
    assert split("/a") == ("/", "a") and split("/d/e/a") == ("/d/e", "a")
    assert error_path("/") == "" and error_path("/a") == "/a"


def tree() -> Node:
    root = Node.root()
    d = root.ensure_dir("/d/e", 1, 2)
    assert d.children is not None
    d.children["f"] = Node("/d/e/f", "f", "x", None, 3, 4, None)
    return root


@pytest.mark.parametrize(("path", "code", "cause"), [
    ("/x", 100, "/x"), ("/d/x/y", 100, "/d/x"), ("/d/e/f/g", 104, "/d/e/f"), ("/d/e/f/g/h", 104, "/d/e/f"),
])
def test_lookup_errors_name_the_blocking_node(path: str, code: int, cause: str) -> None:
    with pytest.raises(EtcdError) as e:
        tree().lookup(path, 9)
    assert (e.value.code, e.value.cause, e.value.index) == (code, cause, 9)


def test_lookup_finds_nodes_and_the_root() -> None:
    root = tree()
    assert root.lookup("/", 9) is root
    f = root.lookup("/d/e/f", 9)
    assert (f.path, f.value, f.is_dir, f.created, f.modified) == ("/d/e/f", "x", False, 3, 4)
    e = root.lookup("/d/e", 9)
    assert (e.path, e.name, e.is_dir, e.created, e.modified) == ("/d/e", "e", True, 2, 2)


def test_ensure_dir_creates_missing_directories_and_refuses_a_file() -> None:
    root = tree()
    assert root.ensure_dir("/", 9, 10) is root
    assert root.ensure_dir("/d/e", 9, 10) is root.lookup("/d/e", 9)
    new = root.ensure_dir("/d/n/m", 9, 10)
    assert (new.path, new.created, new.modified, new.is_dir) == ("/d/n/m", 10, 10, True)
    assert root.lookup("/d/n", 9).created == 10
    with pytest.raises(EtcdError) as e:
        root.ensure_dir("/d/e/f/g", 9, 10)
    assert (e.value.code, e.value.cause, e.value.index) == (104, "/d/e/f", 9)


@pytest.mark.parametrize(("name", "hidden"), [("_a", True), ("a_", False), ("a", False), ("", False)])
def test_hidden_is_a_leading_underscore_of_the_own_name(name: str, hidden: bool) -> None:
    assert Node("/x/" + name, name, "", None, 1, 1, None).is_hidden is hidden


def test_walk_yields_children_before_their_parent() -> None:
    root = tree()
    root.ensure_dir("/d/z", 1, 5)
    assert [n.path for n in root.walk()] == ["/d/e/f", "/d/e", "/d/z", "/d", "/"]
    leaf = root.lookup("/d/e/f", 9)
    assert [n.path for n in leaf.walk()] == ["/d/e/f"]
