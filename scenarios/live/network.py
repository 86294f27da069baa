"""The live network: one network namespace per member, veth pairs to a bridge, nftables drop rules.

Rules:
- Everything created is named with the run's tag (``PREFIX`` + the harness pid in hex): namespaces
  ``<tag>-nX``, links ``<tag>b`` (bridge) and ``<tag>hX`` (root side of member X's veth), the nftables
  table ``bridge <tag>``. ``scenarios.live.cleanup`` finds leftovers by that prefix.
- Addresses are private and exist only on links this module creates: 10.<a>.<b>.X/24, member i at .i,
  the bridge (the root namespace, where clients run) at .254. Nothing is routed beyond the bridge.
- Cuts live in one chain of the bridge's ``forward`` hook: they touch member-to-member traffic only,
  never client traffic (clients sit on the control node, as in Jepsen and the simulator).
- ``set_cut`` replaces the whole rule set (drop pairs + loss pairs), so it always equals the fault state.
- With the relay (``redirect``): each member's namespace gets a table ``ip <tag>`` whose DNAT sends its
  connections to peer B's port to the relay's a->b listener on the bridge address; the cuts then also
  match the relay's legs (bridge ``input``: a -> listener a->b; bridge ``output``: listener b->a -> b), so
  a cut a->b drops a's bytes for b on either connection, relayed or not.
"""

from __future__ import annotations

import os
import subprocess

__all__ = ["PEER_PORT", "PREFIX", "Network", "run_tag", "sh"]

PREFIX = "rsl"
PEER_PORT = 2380


def run_tag(pid: int | None = None) -> str:
    return f"{PREFIX}{(pid if pid is not None else os.getpid()) & 0xFFFFF:05x}"


def sh(*args: str, check: bool = True, input: str | None = None) -> str:
    """Run one command (no shell); raises RuntimeError with its stderr on failure when ``check``."""
    r = subprocess.run(list(args), capture_output=True, text=True, input=input, timeout=20)
    if check and r.returncode != 0:
        raise RuntimeError(f"{' '.join(args)}: {r.stderr.strip() or r.returncode}")
    return r.stdout


class Network:
    """Namespaces + veths + bridge for ``nodes``; ``addr(node)`` is the member's address."""

    def __init__(self, tag: str, nodes: list[str]) -> None:
        self.tag = tag
        self.nodes = list(nodes)
        h = int(tag[len(PREFIX):], 16)
        self.subnet = f"10.{200 + (h >> 8) % 50}.{h & 0xFF}"
        self.up = False
        self.relay_ports: dict[tuple[str, str], int] = {}  # (a, b) -> the relay's a->b listener port

    @property
    def gateway(self) -> str:
        """The bridge's address: the root namespace (clients, the relay)."""
        return f"{self.subnet}.254"

    def ns(self, node: str) -> str:
        return f"{self.tag}-{node}"

    def addr(self, node: str) -> str:
        return f"{self.subnet}.{self.nodes.index(node) + 1}"

    @property
    def bridge(self) -> str:
        return f"{self.tag}b"

    def create(self) -> None:
        self.up = True  # from the first command on, teardown has something to remove
        sh("ip", "link", "add", self.bridge, "type", "bridge")
        sh("ip", "addr", "add", f"{self.subnet}.254/24", "dev", self.bridge)
        sh("ip", "link", "set", self.bridge, "up")
        for i, node in enumerate(self.nodes, 1):
            ns, host, peer = self.ns(node), f"{self.tag}h{i}", f"{self.tag}p{i}"
            sh("ip", "netns", "add", ns)
            sh("ip", "link", "add", host, "type", "veth", "peer", "name", peer)
            sh("ip", "link", "set", peer, "netns", ns)
            sh("ip", "link", "set", host, "master", self.bridge)
            sh("ip", "link", "set", host, "up")
            sh("ip", "-n", ns, "link", "set", "lo", "up")
            sh("ip", "-n", ns, "link", "set", peer, "name", "eth0")
            sh("ip", "-n", ns, "addr", "add", f"{self.addr(node)}/24", "dev", "eth0")
            sh("ip", "-n", ns, "link", "set", "eth0", "up")
        sh("nft", "-f", "-", input=(f"table bridge {self.tag} {{\n" + "".join(
            f" chain {c} {{\n  type filter hook {h} priority 0; policy accept;\n }}\n"
            for c, h in (("cut", "forward"), ("cutin", "input"), ("cutout", "output"))) + "}\n"))

    def redirect(self, ports: dict[tuple[str, str], int]) -> None:
        """Send every member's peer connections through the relay (before any member starts)."""
        self.relay_ports = dict(ports)
        for a in self.nodes:
            rules = "".join(f"  ip daddr {self.addr(b)} tcp dport {PEER_PORT} dnat to {self.gateway}:{ports[(a, b)]}\n"
                            for b in self.nodes if b != a)
            sh("ip", "netns", "exec", self.ns(a), "nft", "-f", "-",
               input=f"table ip {self.tag} {{\n chain out {{\n  type nat hook output priority -100; policy accept;\n"
                     f"{rules} }}\n}}\n")

    def set_cut(self, blocked: list[tuple[str, str]], loss: list[tuple[str, str, float]]) -> None:
        """Drop every packet src -> dst of ``blocked``; drop a share ``p`` of src -> dst of ``loss``."""
        lines = [f"flush chain bridge {self.tag} {c}" for c in ("cut", "cutin", "cutout")]
        for src, dst, pct in [(s, d, 100) for s, d in sorted(set(blocked))] + \
                [(s, d, max(0, min(100, round(p * 100)))) for s, d, p in sorted(loss)]:
            if not pct:
                continue
            act = "drop" if pct >= 100 else f"numgen random mod 100 < {pct} drop"
            lines.append(f"add rule bridge {self.tag} cut ip saddr {self.addr(src)} ip daddr {self.addr(dst)} {act}")
            if self.relay_ports:  # the relayed legs of src -> dst (see the module rules)
                lines.append(f"add rule bridge {self.tag} cutin ip saddr {self.addr(src)} ip daddr {self.gateway} "
                             f"tcp dport {self.relay_ports[(src, dst)]} {act}")
                lines.append(f"add rule bridge {self.tag} cutout ip saddr {self.gateway} ip daddr {self.addr(dst)} "
                             f"tcp sport {self.relay_ports[(dst, src)]} {act}")
        sh("nft", "-f", "-", input="\n".join(lines) + "\n")

    def teardown(self) -> None:
        if not self.up:
            return
        sh("nft", "delete", "table", "bridge", self.tag, check=False)
        for i, node in enumerate(self.nodes, 1):
            sh("ip", "link", "del", f"{self.tag}h{i}", check=False)
            sh("ip", "netns", "del", self.ns(node), check=False)
        sh("ip", "link", "del", self.bridge, check=False)
        self.up = False
