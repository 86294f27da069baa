"""The v2 node tree: files and directories, path cleaning, and the lookup walks of etcd's store.

Rules:
- Paths are absolute and clean (`clean_path`, Go's `path.Clean`); the root is "/".
- A node is a directory iff `children is not None`; children keep insertion order (that is the
  unsorted listing order, deterministic here where Go's map order is random).
- `lookup` raises 104 with the blocking file's path or 100 with the first missing component
  (spec.md §3.3); `ensure_dir` creates missing directories with the writing operation's index.
- A node is hidden when its own name starts with "_" (spec.md §1).
"""

from __future__ import annotations

from .errors import NOT_DIR, KEY_NOT_FOUND, EtcdError

__all__ = ["Node", "clean_path", "join", "split", "go_clean", "error_path"]


def go_clean(p: str) -> str:
    """Go's `path.Clean`: collapse //, resolve . and .., drop a trailing slash; "" -> "."."""
    if p == "":
        return "."
    rooted = p.startswith("/")
    out: list[str] = []
    for part in p.split("/"):
        if part == "" or part == ".":
            continue
        if part == "..":
            if out and out[-1] != "..":
                out.pop()
            elif not rooted:
                out.append("..")
            continue
        out.append(part)
    s = "/".join(out)
    if rooted:
        return "/" + s
    return s or "."


def clean_path(p: str) -> str:
    """The store's key for a user path: `path.Clean(path.Join("/", p))`."""
    if p.startswith("/") and "//" not in p and "/." not in p and (len(p) == 1 or not p.endswith("/")):
        return p
    return go_clean("/" + p)


def join(parent: str, name: str) -> str:
    return "/" + name if parent == "/" else parent + "/" + name


def split(path: str) -> tuple[str, str]:
    """(parent, name) of a clean non-root path."""
    i = path.rfind("/")
    return (path[:i] or "/"), path[i + 1:]


def error_path(path: str) -> str:
    """A path as etcd puts it in an error cause: the root ("/1" inside etcd) is trimmed to ""."""
    return "" if path == "/" else path


class Node:
    """One file or directory. Mutated only by the store's operations."""

    __slots__ = ("path", "name", "value", "children", "created", "modified", "expire_ns")

    def __init__(self, path: str, name: str, value: str, children: dict[str, "Node"] | None,
                 created: int, modified: int, expire_ns: int | None) -> None:
        self.path = path
        self.name = name
        self.value = value
        self.children = children
        self.created = created
        self.modified = modified
        self.expire_ns = expire_ns

    @classmethod
    def root(cls) -> "Node":
        return cls("/", "", "", {}, 0, 0, None)

    @property
    def is_dir(self) -> bool:
        return self.children is not None

    @property
    def is_hidden(self) -> bool:
        return self.name.startswith("_")

    def lookup(self, path: str, current_index: int) -> "Node":
        """The node at clean `path` below this root; raises 104 / 100 (spec.md §3.3)."""
        if path == "/":
            return self
        node = self
        for name in path[1:].split("/"):
            children = node.children
            if children is None:
                raise EtcdError(NOT_DIR, node.path, current_index)
            child = children.get(name)
            if child is None:
                raise EtcdError(KEY_NOT_FOUND, join(node.path, name), current_index)
            node = child
        return node

    def ensure_dir(self, path: str, current_index: int, new_index: int) -> "Node":
        """The directory at `path`, creating missing ones with `new_index`; a file on the way -> 104."""
        node = self
        if path == "/":
            return node
        for name in path[1:].split("/"):
            children = node.children
            assert children is not None
            child = children.get(name)
            if child is None:
                child = Node(join(node.path, name), name, "", {}, new_index, new_index, None)
                children[name] = child
            elif child.children is None:
                raise EtcdError(NOT_DIR, child.path, current_index)
            node = child
        return node

    def walk(self):
        """This node and its subtree, children before their parent (etcd's Remove order)."""
        if self.children:
            for child in list(self.children.values()):
                yield from child.walk()
        yield self
