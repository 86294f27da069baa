"""The store, through its HTTP-shaped edge, against a small independent reference model.

The model is a flat dict path -> ModelNode (no tree, no events), written from spec.md §3.3
without looking at kvraft/store: it predicts status, error code/cause/index, and the answer's
value, dir flag and indexes for every operation, and the listing of every directory.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from kvraft.store import Store, handle_local

NAMES = ["a", "b", "_h"]
paths = st.lists(st.sampled_from(NAMES), min_size=1, max_size=3).map(lambda xs: "/" + "/".join(xs))
any_path = st.one_of(st.just("/"), paths)
values = st.sampled_from(["", "x", "y"])


@dataclass
class ModelNode:
    is_dir: bool
    value: str
    created: int
    modified: int


class Model:
    def __init__(self) -> None:
        self.nodes: dict[str, ModelNode] = {}
        self.index = 0

    @staticmethod
    def prefixes(path: str) -> list[str]:
        parts = path.strip("/").split("/")
        return ["/" + "/".join(parts[: i + 1]) for i in range(len(parts))]

    def lookup(self, path: str):
        """(error, node): 100 names the first missing component, 104 the file in the way."""
        if path == "/":
            return None, None
        for p in self.prefixes(path):
            n = self.nodes.get(p)
            if n is None:
                return (100, p), None
            if not n.is_dir and p != path:
                return (104, p), None
        return None, self.nodes[path]

    def err(self, code: int, cause: str):
        return ("error", code, cause, self.index)

    def _make_parents(self, path: str, idx: int):
        for p in self.prefixes(path)[:-1]:
            n = self.nodes.get(p)
            if n is None:
                self.nodes[p] = ModelNode(True, "", idx, idx)
            elif not n.is_dir:
                return self.err(104, p)
        return None

    def children(self, path: str) -> list[str]:
        base = "" if path == "/" else path
        return sorted(p for p in self.nodes if p.startswith(base + "/") and "/" not in p[len(base) + 1:])

    def remove(self, path: str) -> None:
        for p in [p for p in self.nodes if p == path or p.startswith(path + "/")]:
            del self.nodes[p]

    # each op returns ("ok", action, key, value|None, dir, modified, created) or ("error", code, cause, index)
    def set(self, path: str, value: str, is_dir: bool):
        e, old = self.lookup(path)
        if e and e[0] != 100:
            return self.err(*e)
        if path == "/":
            return self.err(107, "/")
        if old is not None and old.is_dir:
            return self.err(102, path)
        idx = self.index + 1
        bad = self._make_parents(path, idx)
        if bad:
            return bad
        self.index = idx
        self.nodes[path] = ModelNode(is_dir, "" if is_dir else value, idx, idx)
        return ("ok", "set", path, None if is_dir else value, is_dir, idx, idx)

    def create(self, path: str, value: str, is_dir: bool):
        if path == "/":
            return self.err(107, "/")
        for p in self.prefixes(path)[:-1]:
            n = self.nodes.get(p)
            if n is not None and not n.is_dir:
                return self.err(104, p)
        if path in self.nodes:
            return self.err(105, path)
        idx = self.index + 1
        self._make_parents(path, idx)
        self.index = idx
        self.nodes[path] = ModelNode(is_dir, "" if is_dir else value, idx, idx)
        return ("ok", "create", path, None if is_dir else value, is_dir, idx, idx)

    def update(self, path: str, value: str):
        if path == "/":
            return self.err(107, "/")
        e, n = self.lookup(path)
        if e:
            return self.err(*e)
        if n.is_dir and value:
            return self.err(102, path)
        idx = self.index = self.index + 1
        if not n.is_dir:
            n.value, n.modified = value, idx
        return ("ok", "update", path, None if n.is_dir else value, n.is_dir, idx, n.created)

    def _compare(self, n: ModelNode, pv: str, pi: int):
        fails = []
        if pv and n.value != pv:
            fails.append(f"[{pv} != {n.value}]")
        if pi and n.modified != pi:
            fails.append(f"[{pi} != {n.modified}]")
        return self.err(101, " ".join(fails)) if fails else None

    def cas(self, path: str, pv: str, pi: int, value: str):
        if path == "/":
            return self.err(107, "/")
        e, n = self.lookup(path)
        if e:
            return self.err(*e)
        if n.is_dir:
            return self.err(102, path)
        bad = self._compare(n, pv, pi)
        if bad:
            return bad
        idx = self.index = self.index + 1
        n.value, n.modified = value, idx
        return ("ok", "compareAndSwap", path, value, False, idx, n.created)

    def delete(self, path: str, is_dir: bool, recursive: bool):
        if path == "/":
            return self.err(107, "/")
        e, n = self.lookup(path)
        if e:
            return self.err(*e)
        if n.is_dir and not (is_dir or recursive):
            return self.err(102, path)
        if n.is_dir and self.children(path) and not recursive:
            return self.err(108, path)
        idx = self.index = self.index + 1
        self.remove(path)
        return ("ok", "delete", path, None, n.is_dir, idx, n.created)

    def cad(self, path: str, pv: str, pi: int):
        e, n = self.lookup(path)
        if e:
            return self.err(*e)
        if path == "/" or n.is_dir:
            return self.err(102, "" if path == "/" else path)
        bad = self._compare(n, pv, pi)
        if bad:
            return bad
        idx = self.index = self.index + 1
        self.remove(path)
        return ("ok", "compareAndDelete", path, None, False, idx, n.created)


def observed(resp) -> tuple:
    d = json.loads(resp.body)
    if "errorCode" in d:
        assert resp.headers["X-Etcd-Index"] == str(d["index"])
        return ("error", d["errorCode"], d.get("cause", ""), d["index"])
    n = d["node"]
    assert resp.status == (201 if d["action"] == "create" or (d["action"] == "set" and "prevNode" not in d) else 200)
    assert resp.headers["X-Etcd-Index"] == str(n["modifiedIndex"])
    return ("ok", d["action"], n["key"], n.get("value"), n.get("dir", False), n["modifiedIndex"], n["createdIndex"])


@settings(max_examples=40, stateful_step_count=40, deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
class StoreVsModel(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.store = Store()
        self.model = Model()

    def http(self, method: str, path: str, query: str = "", body: str = ""):
        url = "/v2/keys" + ("" if path == "/" else path)
        return handle_local(self.store, method, url, query, body, now_ns=0, raft_index=1, raft_term=1)

    def check(self, resp, expected) -> None:
        assert observed(resp) == expected

    @rule(path=any_path, value=values, is_dir=st.booleans())
    def set(self, path, value, is_dir):
        self.check(self.http("PUT", path, f"dir={is_dir}", f"value={value}"), self.model.set(path, value, is_dir))

    @rule(path=any_path, value=values, is_dir=st.booleans())
    def create(self, path, value, is_dir):
        self.check(self.http("PUT", path, f"prevExist=false&dir={is_dir}", f"value={value}"),
                   self.model.create(path, value, is_dir))

    @rule(path=any_path, value=values)
    def update(self, path, value):
        self.check(self.http("PUT", path, "prevExist=true", f"value={value}"), self.model.update(path, value))

    @rule(path=any_path, pv=st.sampled_from(["x", "y"]), pi=st.integers(0, 12), value=values)
    def cas(self, path, pv, pi, value):
        self.check(self.http("PUT", path, f"prevValue={pv}&prevIndex={pi}", f"value={value}"),
                   self.model.cas(path, pv, pi, value))

    @rule(path=any_path, is_dir=st.booleans(), recursive=st.booleans())
    def delete(self, path, is_dir, recursive):
        self.check(self.http("DELETE", path, f"dir={is_dir}&recursive={recursive}"),
                   self.model.delete(path, is_dir, recursive))

    @rule(path=any_path, pv=st.sampled_from(["", "x"]), pi=st.integers(0, 12))
    def cad(self, path, pv, pi):
        if not pv and not pi:
            pi = 1
        q = (f"prevValue={pv}&" if pv else "") + f"prevIndex={pi}"
        self.check(self.http("DELETE", path, q), self.model.cad(path, pv, pi))

    @rule(path=any_path)
    def get(self, path):
        resp = self.http("GET", path, "sorted=true")
        e, n = self.model.lookup(path)
        d = json.loads(resp.body)
        if e:
            assert (d["errorCode"], d["cause"], d["index"]) == (*e, self.model.index)
            return
        assert resp.headers["X-Etcd-Index"] == str(self.model.index)
        node = d["node"]
        if path != "/" and not n.is_dir:
            assert (node["value"], node["modifiedIndex"], node["createdIndex"]) == (n.value, n.modified, n.created)
            return
        visible = [c for c in self.model.children(path) if not c.rsplit("/", 1)[1].startswith("_")]
        assert [c["key"] for c in node.get("nodes", [])] == visible

    @invariant()
    def same_index(self):
        assert self.store.index == self.model.index


TestStoreVsModel = StoreVsModel.TestCase
