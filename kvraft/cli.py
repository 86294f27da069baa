"""The ``kvraft`` command: an etcd 3.4 compatible server (``kvraft [etcd flags]``) and ``kvraft backup``.

Rules: the CLI only translates (settings -> Daemon, flags -> backup); bad input is one line on stderr
and exit 2; SIGTERM/SIGINT stop the member cleanly (exit 0).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import platform
import signal
import sys
from pathlib import Path

from .etcdconf import ETCD_VERSION, ConfError, parse_args

__all__ = ["main"]


def _backup(argv: list[str]) -> int:
    from .backup import backup
    from .wal import WalError

    ap = argparse.ArgumentParser(prog="kvraft backup", description="copy a data dir for a --force-new-cluster start")
    ap.add_argument("--data-dir", required=True)
    ap.add_argument("--backup-dir", required=True)
    args = ap.parse_args(argv)
    try:
        backup(Path(args.data_dir), Path(args.backup_dir))
    except (WalError, OSError) as e:
        print(f"kvraft backup: {e}", file=sys.stderr)
        return 2
    return 0


async def _serve(cfg) -> int:
    from .daemon import BootError, Daemon

    d = Daemon(cfg)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        await d.start()
    except (BootError, OSError) as e:
        print(f"kvraft: {e}", file=sys.stderr)
        await d.stop()
        return 2
    done = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(d.exit_requested.wait())]
    await asyncio.wait(done, return_when=asyncio.FIRST_COMPLETED)  # a signal, or this member was removed
    for f in done:
        f.cancel()
    try:
        await asyncio.wait_for(d.stop(), 5)  # bounded: a stuck client connection must not keep the member up
    except asyncio.TimeoutError:
        pass
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["backup"]:
        return _backup(argv[1:])
    try:
        cfg = parse_args(argv)
    except ConfError as e:
        print(f"kvraft: {e}", file=sys.stderr)
        return 2
    if cfg == "version":
        print(f"etcd Version: {ETCD_VERSION}\nGit SHA: kvraft\nGo Version: python{platform.python_version()}\n"
              f"Go OS/Arch: {sys.platform}/{platform.machine()}")
        return 0
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    return asyncio.run(_serve(cfg))


if __name__ == "__main__":
    sys.exit(main())
