"""etcd 3.4's server settings: the one option table, read from flags, ``ETCD_*`` variables or a YAML file.

Rules (as etcd 3.4):
- Flags take Go's forms: ``--name x``, ``--name=x``, ``-name x``; a boolean alone means true.
- ``ETCD_<FLAG>`` (upper case, ``-`` as ``_``) sets what no flag set. ``--config-file`` (etcd's YAML keys,
  ``client-transport-security`` / ``peer-transport-security`` for the TLS keys) replaces flags and
  environment altogether, as etcd's does.
- Bad input (an unknown flag, a malformed URL or number) raises ``ConfError`` with one line; the CLI
  prints it and exits 2. Flags that only tune etcd's logging or bbolt are accepted and ignored.
- Member and cluster ids are derived as etcd does (membership/member.go NewMember, cluster.go genID):
  sha1 of the sorted peer URLs + cluster token (+ the add time for ``member add``), first 8 bytes
  big-endian; the cluster id is sha1 of the sorted member ids as 8-byte big-endian words.
"""

from __future__ import annotations

import hashlib
import os
import struct
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from kvraft.bugs import Bugs

__all__ = ["ConfError", "EtcdConfig", "Url", "parse_args", "member_id", "cluster_id", "parse_urls",
           "parse_initial_cluster", "ETCD_VERSION", "CLUSTER_VERSION"]

ETCD_VERSION = "3.4.23"
CLUSTER_VERSION = "3.4.0"


class ConfError(ValueError):
    """A setting that cannot be used (one line)."""


@dataclass(frozen=True, slots=True)
class Url:
    scheme: str
    host: str
    port: int

    def __str__(self) -> str:
        h = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{h}:{self.port}"

    @property
    def tls(self) -> bool:
        return self.scheme == "https"


def parse_urls(value: str, what: str) -> tuple[Url, ...]:
    """Comma-separated http(s)://host:port URLs (etcd's types.NewURLs); raises ConfError."""
    out = []
    for raw in [v.strip() for v in value.split(",") if v.strip()]:
        try:
            u = urlsplit(raw)
            port = u.port
        except ValueError:
            raise ConfError(f"--{what}: invalid URL {raw!r}") from None
        if u.scheme not in ("http", "https") or not u.hostname or port is None:
            raise ConfError(f"--{what}: URL must be http(s)://host:port, got {raw!r}")
        if u.path not in ("", "/") or u.query or u.fragment:
            raise ConfError(f"--{what}: URL must not have a path, got {raw!r}")
        out.append(Url(u.scheme, u.hostname, port))
    if not out:
        raise ConfError(f"--{what}: no URL given")
    return tuple(out)


def parse_initial_cluster(value: str) -> dict[str, tuple[Url, ...]]:
    """``name=url,name=url2,other=url3`` -> {name: urls} (a name may repeat: several URLs)."""
    out: dict[str, list[Url]] = {}
    for part in [p.strip() for p in value.split(",") if p.strip()]:
        name, eq, url = part.partition("=")
        if not eq or not name:
            raise ConfError(f"--initial-cluster: expected name=URL, got {part!r}")
        out.setdefault(name, []).extend(parse_urls(url, "initial-cluster"))
    if not out:
        raise ConfError("--initial-cluster: empty")
    return {k: tuple(v) for k, v in out.items()}


def member_id(peer_urls: Sequence[str], token: str, now_unix: int | None = None) -> int:
    b = "".join(sorted(peer_urls)) + token + ("" if now_unix is None else str(now_unix))
    return struct.unpack(">Q", hashlib.sha1(b.encode()).digest()[:8])[0]


def cluster_id(member_ids: Sequence[int]) -> int:
    b = b"".join(struct.pack(">Q", m) for m in sorted(member_ids))
    return struct.unpack(">Q", hashlib.sha1(b).digest()[:8])[0]


# flag -> (kind, default). kind: str | url | urls | int | bool | state | cluster | ignored
_OPTIONS: dict[str, tuple[str, str]] = {
    "name": ("str", "default"),
    "data-dir": ("str", ""),
    "listen-peer-urls": ("urls", "http://localhost:2380"),
    "listen-client-urls": ("urls", "http://localhost:2379"),
    "advertise-client-urls": ("urls", "http://localhost:2379"),
    "initial-advertise-peer-urls": ("urls", "http://localhost:2380"),
    "initial-cluster": ("str", ""),
    "initial-cluster-token": ("str", "etcd-cluster"),
    "initial-cluster-state": ("state", "new"),
    "heartbeat-interval": ("int", "100"),
    "election-timeout": ("int", "1000"),
    "snapshot-count": ("int", "100000"),
    "force-new-cluster": ("bool", "false"),
    "cert-file": ("str", ""),
    "key-file": ("str", ""),
    "client-cert-auth": ("bool", "false"),
    "trusted-ca-file": ("str", ""),
    "peer-cert-file": ("str", ""),
    "peer-key-file": ("str", ""),
    "peer-client-cert-auth": ("bool", "false"),
    "peer-trusted-ca-file": ("str", ""),
    "enable-v2": ("bool", "true"),
    "max-request-bytes": ("int", "1572864"),
    "unsafe-no-fsync": ("bool", "false"),
    # hidden, for the live test harness only (raftsim live): bug-zoo switches, a clock offset file and the
    # file where the WAL's durable length is kept (the harness's power-loss fault truncates to it)
    "unsafe-bugs": ("str", ""),
    "unsafe-clock-offset-file": ("str", ""),
    "unsafe-durable-file": ("str", ""),
    "unsafe-fsync-delay-ms": ("int", "0"),
    "unsafe-client-ids": ("bool", "false"),
    "unsafe-check-quorum": ("bool", "true"),
    # accepted for compatibility, no effect here
    "logger": ("ignored", ""), "log-level": ("ignored", ""), "log-outputs": ("ignored", ""),
    "debug": ("ignored-bool", ""), "max-snapshots": ("ignored", ""), "max-wals": ("ignored", ""),
    "quota-backend-bytes": ("ignored", ""), "strict-reconfig-check": ("ignored-bool", ""),
    "auto-compaction-retention": ("ignored", ""), "auto-compaction-mode": ("ignored", ""),
    "enable-pprof": ("ignored-bool", ""), "metrics": ("ignored", ""),
}
_TLS_KEYS = {"cert-file", "key-file", "client-cert-auth", "trusted-ca-file"}


@dataclass(frozen=True, slots=True, kw_only=True)
class EtcdConfig:
    name: str
    data_dir: Path
    listen_peer_urls: tuple[Url, ...]
    listen_client_urls: tuple[Url, ...]
    advertise_client_urls: tuple[Url, ...]
    initial_advertise_peer_urls: tuple[Url, ...]
    initial_cluster: dict[str, tuple[Url, ...]]
    initial_cluster_token: str
    initial_cluster_state: str
    heartbeat_ms: int
    election_ms: int
    snapshot_count: int
    force_new_cluster: bool
    max_request_bytes: int
    fsync: bool = True
    tls: dict[str, str | bool] = field(default_factory=dict)  # the eight TLS settings by flag name
    bugs: Bugs = field(default_factory=Bugs)  # --unsafe-bugs stale_local_reads,...: switches of kvraft.bugs, tests only
    clock_offset_file: str = ""  # --unsafe-clock-offset-file: int ns added to now(), re-read every 50 ms
    durable_file: str = ""  # --unsafe-durable-file: the WAL's durable {"segment", "length"} after each fsync
    fsync_delay_ms: int = 0  # --unsafe-fsync-delay-ms: hold each fsync back (the harness's slow disk)
    client_ids: bool = False  # --unsafe-client-ids: writes may carry their own (client id, seq) headers
    check_quorum: bool = True  # --unsafe-check-quorum=false: a leader cut off keeps leading (bug-zoo schedules)


def _bugs(text: str) -> Bugs:
    try:
        return Bugs.from_names(text)
    except ValueError as e:
        raise ConfError(f"--unsafe-bugs: {e}") from None


def _bool(v: str, flag: str) -> bool:
    low = str(v).lower()
    if low in ("1", "t", "true"):
        return True
    if low in ("0", "f", "false"):
        return False
    raise ConfError(f"invalid boolean value {v!r} for --{flag}")


def _split_argv(argv: Sequence[str]) -> dict[str, str]:
    got: dict[str, str] = {}
    i = 0
    while i < len(argv):
        a = argv[i]
        if not a.startswith("-") or a in ("-", "--"):
            raise ConfError(f"unexpected argument {a!r}")
        name, eq, val = a.lstrip("-").partition("=")
        if name in ("version", "config-file"):
            kind = "bool" if name == "version" else "str"
        elif name in _OPTIONS:
            kind = _OPTIONS[name][0]
        else:
            raise ConfError(f"flag provided but not defined: -{name}")
        if not eq:
            if kind in ("bool", "ignored-bool"):
                val = "true"
            elif i + 1 < len(argv):
                i += 1
                val = argv[i]
            else:
                raise ConfError(f"flag needs an argument: -{name}")
        got[name] = val
        i += 1
    return got


def _from_yaml(path: str) -> dict[str, str]:
    import yaml

    try:
        doc = yaml.safe_load(Path(path).read_text())
    except (OSError, yaml.YAMLError) as e:
        raise ConfError(f"--config-file {path}: {str(e).splitlines()[0]}") from None
    if not isinstance(doc, dict):
        raise ConfError(f"--config-file {path}: not a YAML mapping")
    out: dict[str, str] = {}
    for k, v in doc.items():
        if k in ("client-transport-security", "peer-transport-security") and isinstance(v, dict):
            pre = "" if k.startswith("client") else "peer-"
            for tk, tv in v.items():
                if tk in _TLS_KEYS and tv not in (None, ""):
                    out[pre + tk] = str(tv).lower() if isinstance(tv, bool) else str(tv)
            continue
        if k not in _OPTIONS:
            continue  # etcd ignores YAML keys it does not know
        if v is None:
            continue
        out[k] = str(v).lower() if isinstance(v, bool) else str(v)
    return out


def parse_args(argv: Sequence[str], env: Mapping[str, str] | None = None) -> EtcdConfig | str:
    """The settings of ``kvraft [flags]``; returns "version" for ``--version``. Raises ConfError."""
    env = os.environ if env is None else env
    flags = _split_argv(argv)
    if "version" in flags and _bool(flags["version"], "version"):
        return "version"
    if "config-file" in flags or env.get("ETCD_CONFIG_FILE"):
        got = _from_yaml(flags.get("config-file") or env["ETCD_CONFIG_FILE"])
    else:
        got = {}
        for name in _OPTIONS:
            ev = env.get("ETCD_" + name.upper().replace("-", "_"))
            if ev is not None and ev != "":
                got[name] = ev
        got.update(flags)
    val = {name: got.get(name, default) for name, (_, default) in _OPTIONS.items()}
    for name, (kind, _) in _OPTIONS.items():
        if kind == "bool" and name in got:
            _bool(got[name], name)
    ints = {}
    for name in ("heartbeat-interval", "election-timeout", "snapshot-count", "max-request-bytes", "unsafe-fsync-delay-ms"):
        try:
            ints[name] = int(val[name])
        except ValueError:
            raise ConfError(f"invalid value {val[name]!r} for --{name}: not an integer") from None
        if ints[name] < 0 or (ints[name] == 0 and name not in ("snapshot-count", "unsafe-fsync-delay-ms")):
            raise ConfError(f"--{name} must be > 0")
    if ints["election-timeout"] < 5 * ints["heartbeat-interval"]:
        raise ConfError("--election-timeout should be at least as 5 times as --heartbeat-interval")
    if val["initial-cluster-state"] not in ("new", "existing"):
        raise ConfError(f"--initial-cluster-state: invalid value {val['initial-cluster-state']!r} (new or existing)")
    name = val["name"]
    adv_peer = parse_urls(val["initial-advertise-peer-urls"], "initial-advertise-peer-urls")
    initial = val["initial-cluster"] or ",".join(f"{name}={u}" for u in adv_peer)
    cluster = parse_initial_cluster(initial)
    if name not in cluster:
        raise ConfError(f"couldn't find local name {name!r} in the initial cluster configuration")
    if sorted(map(str, cluster[name])) != sorted(map(str, adv_peer)):
        raise ConfError(f"--initial-cluster has {name}={','.join(map(str, cluster[name]))} but missing from "
                        f"--initial-advertise-peer-urls={','.join(map(str, adv_peer))}")
    tls = {k: (_bool(val[k], k) if _OPTIONS[k][0] == "bool" else val[k])
           for k in ("cert-file", "key-file", "client-cert-auth", "trusted-ca-file",
                     "peer-cert-file", "peer-key-file", "peer-client-cert-auth", "peer-trusted-ca-file")}
    return EtcdConfig(
        name=name,
        data_dir=Path(val["data-dir"] or f"{name}.etcd"),
        listen_peer_urls=parse_urls(val["listen-peer-urls"], "listen-peer-urls"),
        listen_client_urls=parse_urls(val["listen-client-urls"], "listen-client-urls"),
        advertise_client_urls=parse_urls(val["advertise-client-urls"], "advertise-client-urls"),
        initial_advertise_peer_urls=adv_peer,
        initial_cluster=cluster,
        initial_cluster_token=val["initial-cluster-token"],
        initial_cluster_state=val["initial-cluster-state"],
        heartbeat_ms=ints["heartbeat-interval"],
        election_ms=ints["election-timeout"],
        snapshot_count=ints["snapshot-count"],
        force_new_cluster=_bool(val["force-new-cluster"], "force-new-cluster"),
        max_request_bytes=ints["max-request-bytes"],
        fsync=not _bool(val["unsafe-no-fsync"], "unsafe-no-fsync"),
        tls=tls,
        bugs=_bugs(val["unsafe-bugs"]),
        clock_offset_file=val["unsafe-clock-offset-file"],
        durable_file=val["unsafe-durable-file"],
        fsync_delay_ms=ints["unsafe-fsync-delay-ms"],
        client_ids=_bool(val["unsafe-client-ids"], "unsafe-client-ids"),
        check_quorum=_bool(val["unsafe-check-quorum"], "unsafe-check-quorum"),
    )
