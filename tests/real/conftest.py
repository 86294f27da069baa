"""Fixtures for tests with real processes: a per-test process table and a shared 3-member cluster."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from real.procs import Procs, initial_cluster, make_nodes, wait_healthy

needs_etcdctl = pytest.mark.skipif(shutil.which("etcdctl") is None,
                                   reason="etcdctl not installed (apt-get install etcd-client)")


@pytest.fixture
def procs(tmp_path: Path):
    p = Procs(tmp_path)
    yield p
    p.stop_all()


@pytest.fixture(scope="module")
def cluster3(tmp_path_factory):
    """Three kvraft members, started once per module; yields the nodes."""
    root = tmp_path_factory.mktemp("cluster3")
    p = Procs(root)
    nodes = make_nodes(root, 3)
    try:
        for n in nodes:
            p.start_node(n, initial_cluster(nodes))
        wait_healthy([n.client_url for n in nodes])
        yield nodes
    finally:
        p.stop_all()
