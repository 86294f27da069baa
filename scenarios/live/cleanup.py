"""Privileges and leftovers of live runs.

Rules:
- ``missing_privileges`` names, in one line, what a live run lacks (root, ``ip``, ``nft``, the binary).
- ``cleanup`` removes what earlier live runs left (after a crash or kill -9 of the harness): processes
  inside their namespaces, the namespaces, links and nftables tables named with ``network.PREFIX``
  and a tag whose harness pid is no longer a running process. A running harness's things are left alone,
  and nothing without the prefix is touched.
"""

from __future__ import annotations

import os
import re
import shutil
import signal

from scenarios.live.network import PREFIX, sh

__all__ = ["cleanup", "missing_privileges"]

_TAG = re.compile(rf"^({PREFIX}[0-9a-f]{{5}})")


def missing_privileges(system: str, etcd_bin: str) -> str | None:
    if os.geteuid() != 0:
        return "raftsim live needs root (network namespaces, veth links and nftables rules)"
    for tool, pkg in (("ip", "iproute2"), ("nft", "nftables")):
        if shutil.which(tool) is None:
            return f"raftsim live needs `{tool}` (apt-get install {pkg})"
    if system == "etcd" and shutil.which(etcd_bin) is None:
        return f"no etcd binary at {etcd_bin!r} (apt-get install etcd-server, or --etcd-bin PATH)"
    return None


def _alive(tag: str) -> bool:
    """Is the harness that made ``tag`` still running (a raftsim process with that pid)?"""
    low = int(tag[len(PREFIX):], 16)
    for pid in os.listdir("/proc"):
        if pid.isdigit() and int(pid) & 0xFFFFF == low:
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    cmd = f.read()
            except OSError:
                continue
            if b"raftsim" in cmd or b"pytest" in cmd or b"scenarios" in cmd:
                return True
    return False


def cleanup() -> list[str]:
    """Remove leftovers of dead live runs; returns what was removed, one line each."""
    done: list[str] = []
    spaces = [line.split()[0] for line in sh("ip", "netns", "list", check=False).splitlines() if line.strip()]
    links = [m.group(1) for m in re.finditer(r"^\d+: ([^:@\s]+)", sh("ip", "-o", "link", "show", check=False), re.M)]
    tables = re.findall(r"^table bridge (\S+)$", sh("nft", "list", "tables", check=False), re.M)
    tags = sorted({m.group(1) for name in [*spaces, *links, *tables] if (m := _TAG.match(name))})
    for tag in tags:
        if _alive(tag):
            continue
        for ns in sorted(s for s in spaces if s.startswith(tag + "-")):
            for pid in sh("ip", "netns", "pids", ns, check=False).split():
                try:
                    os.kill(int(pid), signal.SIGKILL)
                    done.append(f"killed pid {pid} in {ns}")
                except (ProcessLookupError, ValueError):
                    pass
            sh("ip", "netns", "del", ns, check=False)
            done.append(f"removed namespace {ns}")
        for link in sorted(l for l in links if l.startswith(tag)):
            sh("ip", "link", "del", link, check=False)
            done.append(f"removed link {link}")
        if tag in tables:
            sh("nft", "delete", "table", "bridge", tag, check=False)
            done.append(f"removed nftables table bridge {tag}")
    return done
