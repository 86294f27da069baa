"""Write throughput of a 3-member kvraft cluster vs a 3-member etcd 3.4, side by side, and restart time.

Both clusters run on this box on 127.0.0.1 with fsync on and etcd's default timing (heartbeat 100 ms,
election 1000 ms), and are driven by the same client (shared/tools/etcd-v2-bench.py: keep-alive
HTTP/1.1 PUTs, one connection per worker) against the leader. Prints writes/s and p50/p99 latency with
1 and 16 clients, and the ratio kvraft/etcd; per write, the CPU the leader and each follower spent
(utime + stime from /proc/PID/stat over the run, all threads) and the leader's WAL fsyncs (etcd's
``etcd_disk_wal_fsync_duration_seconds_count`` from /metrics, which kvraft serves too). Then writes --keys keys into a 1-member kvraft, stops it
and times its restart until /health is true and a key reads back. Every process is stopped by PID.

Usage: python bench/real_writes.py [--writes 4000] [--keys 100000] [--snapshot-count N] [--skip-etcd] [--profile DIR]
  --snapshot-count 1000000: the restarted member replays its whole WAL (no snapshot yet), the worst case.
  --profile DIR: run the kvraft members under cProfile (pstats files in DIR; slower).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH = Path("/work/shared/tools/etcd-v2-bench.py")
if not BENCH.exists():
    BENCH = ROOT.parent / "shared/tools/etcd-v2-bench.py"
HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/health", timeout=1) as r:
            return json.loads(r.read()) == {"health": "true"}
    except (OSError, ValueError):
        return False


def wait(urls: list[str], timeout_s: float = 60) -> float:
    t0 = time.perf_counter()
    while not all(healthy(u) for u in urls):
        if time.perf_counter() - t0 > timeout_s:
            raise SystemExit(f"not healthy after {timeout_s} s: {urls}")
        time.sleep(0.02)
    return time.perf_counter() - t0


class Cluster:
    def __init__(self, kind: str, n: int, root: Path, profile: Path | None = None) -> None:
        self.kind, self.root = kind, root
        root.mkdir(parents=True, exist_ok=True)
        self.nodes = [(f"{kind}{i}", free_port(), free_port()) for i in range(n)]
        self.procs: list[subprocess.Popen] = []
        initial = ",".join(f"{name}=http://{HOST}:{pp}" for name, _, pp in self.nodes)
        for i, (name, cp, pp) in enumerate(self.nodes):
            flags = ["--name", name, "--data-dir", str(root / name),
                     "--listen-client-urls", f"http://{HOST}:{cp}", "--advertise-client-urls", f"http://{HOST}:{cp}",
                     "--listen-peer-urls", f"http://{HOST}:{pp}", "--initial-advertise-peer-urls", f"http://{HOST}:{pp}",
                     "--initial-cluster", initial, "--initial-cluster-token", f"bench-{kind}", "--enable-v2=true"]
            if kind == "etcd":
                argv = ["etcd", *flags]
            elif profile is not None:
                argv = [sys.executable, "-m", "cProfile", "-o", str(profile / f"{name}.pstats"), "-m", "kvraft", *flags]
            else:
                argv = [sys.executable, "-m", "kvraft", *flags]
            log = open(root / f"{name}.log", "wb")
            self.procs.append(subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL))
        wait(self.urls)

    @property
    def urls(self) -> list[str]:
        return [f"http://{HOST}:{cp}" for _, cp, _ in self.nodes]

    def leader(self) -> str:
        with urllib.request.urlopen(self.urls[0] + "/v2/members/leader", timeout=5) as r:
            return json.loads(r.read())["clientURLs"][0]

    def measured(self, lead: str, writes: int, workers: int, prefix: str) -> dict:
        """``drive`` the leader, adding CPU µs per write (leader, mean follower) and leader fsyncs per write."""
        pids = {u: p.pid for u, p in zip(self.urls, self.procs)}
        cpu0 = {u: cpu_s(pid) for u, pid in pids.items()}
        f0 = fsyncs(lead)
        r = drive(lead, writes, workers, prefix)
        f1 = fsyncs(lead)
        n = max(1, r["writes"])
        cpu1 = {u: cpu_s(pid) for u, pid in pids.items()}
        used = {u: (sum(cpu1[u]) - sum(cpu0[u])) / n * 1e6 for u in pids}
        r["leader_cpu_us"] = round(used[lead])
        r["leader_sys_us"] = round((cpu1[lead][1] - cpu0[lead][1]) / n * 1e6)
        followers = [v for u, v in used.items() if u != lead]
        r["follower_cpu_us"] = round(sum(followers) / max(1, len(followers)))
        r["fsyncs_per_write"] = round((f1 - f0) / n, 2) if f0 >= 0 and f1 >= 0 else None
        return r

    def stop(self) -> None:
        for p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGINT if self.kind == "kvraft" else signal.SIGTERM)
        for p in self.procs:
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


TICK_S = 1 / os.sysconf("SC_CLK_TCK")


def cpu_s(pid: int) -> tuple[float, float]:
    """CPU seconds (user, system; every thread) the process ``pid`` has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return int(fields[11]) * TICK_S, int(fields[12]) * TICK_S


def fsyncs(url: str) -> int:
    """The WAL fsyncs the member at ``url`` has done (its /metrics, etcd's metric name); -1 if not shown."""
    try:
        with urllib.request.urlopen(url + "/metrics", timeout=5) as r:
            for line in r.read().decode().splitlines():
                if line.startswith("etcd_disk_wal_fsync_duration_seconds_count "):
                    return int(float(line.split()[1]))
    except (OSError, ValueError):
        pass
    return -1


def drive(endpoint: str, writes: int, workers: int, prefix: str) -> dict:
    out = subprocess.run([sys.executable, str(BENCH), "--endpoint", endpoint, "--writes", str(writes),
                          "--workers", str(workers), "--prefix", prefix], capture_output=True, text=True, timeout=600)
    if out.returncode != 0:
        raise SystemExit(out.stderr)
    return json.loads(out.stdout)


def restart_time(root: Path, keys: int, snapshot_count: int) -> dict:
    name, cp, pp = "r0", free_port(), free_port()
    url = f"http://{HOST}:{cp}"
    flags = ["--name", name, "--data-dir", str(root / name), "--listen-client-urls", url, "--advertise-client-urls", url,
             "--listen-peer-urls", f"http://{HOST}:{pp}", "--initial-advertise-peer-urls", f"http://{HOST}:{pp}",
             "--initial-cluster", f"{name}=http://{HOST}:{pp}", "--snapshot-count", str(snapshot_count)]
    argv = [sys.executable, "-m", "kvraft", *flags]
    p = subprocess.Popen(argv, stdout=open(root / "r0.log", "wb"), stderr=subprocess.STDOUT)
    try:
        wait([url])
        load = drive(url, keys, 16, "many")
        p.send_signal(signal.SIGTERM)
        p.wait(timeout=30)
        wal = sum(f.stat().st_size for f in (root / name / "member").rglob("*") if f.is_file())
        t0 = time.perf_counter()
        p = subprocess.Popen(argv, stdout=open(root / "r0.log", "ab"), stderr=subprocess.STDOUT)
        wait([url], timeout_s=120)
        with urllib.request.urlopen(f"{url}/v2/keys/many/w0-0", timeout=5) as r:
            assert r.status == 200
        return {"keys": load["writes"], "data_dir_mb": round(wal / 1e6, 1), "restart_s": round(time.perf_counter() - t0, 2)}
    finally:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
            p.wait(timeout=30)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--writes", type=int, default=4000)
    ap.add_argument("--keys", type=int, default=100_000)
    ap.add_argument("--skip-etcd", action="store_true")
    ap.add_argument("--snapshot-count", type=int, default=100_000, help="of the restarted member (etcd's default)")
    ap.add_argument("--profile", type=Path)
    a = ap.parse_args()
    if a.profile:
        a.profile.mkdir(parents=True, exist_ok=True)
    kinds = ["kvraft"] + ([] if a.skip_etcd or shutil.which("etcd") is None else ["etcd"])
    root = Path(tempfile.mkdtemp(prefix="real-writes-"))
    load0 = f"{os.getloadavg()[0]:.2f}"
    rows: dict[tuple[str, int], dict] = {}
    try:
        for kind in kinds:
            c = Cluster(kind, 3, root / kind, a.profile if kind == "kvraft" else None)
            try:
                lead = c.leader()
                drive(lead, 200, 4, "warmup")
                for workers in (1, 16):
                    n = a.writes // 4 if workers == 1 else a.writes
                    rows[(kind, workers)] = c.measured(lead, n, workers, f"w{workers}")
            finally:
                c.stop()
        print(f"load average at the start: {load0}, now: {os.getloadavg()[0]:.2f}")
        print(f"{'cluster':8} {'clients':>7} {'writes/s':>9} {'p50 ms':>7} {'p99 ms':>7} "
              f"{'leader µs (sys)':>15} {'follower µs':>11} {'fsyncs/w':>8}   (CPU per write)")
        for (kind, workers), r in rows.items():
            print(f"{kind:8} {workers:>7} {r['writes_per_s']:>9} {r['p50_ms']:>7} {r['p99_ms']:>7} "
                  f"{r['leader_cpu_us']:>8} ({r['leader_sys_us']:>4}) {r['follower_cpu_us']:>11} {r['fsyncs_per_write']!s:>8}")
        for workers, target in ((1, 0.5), (16, 1.0)):
            if ("etcd", workers) in rows:
                ratio = rows[("kvraft", workers)]["writes_per_s"] / rows[("etcd", workers)]["writes_per_s"]
                print(f"ratio kvraft/etcd with {workers:>2} clients: {ratio:.2f} (target >= {target})")
        if a.keys:
            r = restart_time(root, a.keys, a.snapshot_count)
            print(f"restart of a member holding {r['keys']} keys ({r['data_dir_mb']} MB on disk): {r['restart_s']} s (target <= 3 s)")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    os.chdir(ROOT)
    main()
