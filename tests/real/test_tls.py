"""Client TLS with a throwaway CA: etcdctl and curl with a client certificate succeed, without one they fail."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from real.procs import HOST, etcdctl, free_port, wait_healthy

trustme = pytest.importorskip("trustme", reason="trustme not installed (pip install -e '.[test]')")


@pytest.mark.skipif(shutil.which("etcdctl") is None or shutil.which("curl") is None,
                    reason="etcdctl and curl needed (apt-get install etcd-client curl)")
def test_client_cert_auth_lets_certified_clients_in_and_refuses_the_handshake_to_others(procs, tmp_path: Path) -> None:
    import ssl

    ca = trustme.CA()
    server = ca.issue_cert(HOST)
    client = ca.issue_cert("client")
    ca_pem, srv_pem, srv_key, cli_pem, cli_key = (tmp_path / n for n in ("ca.pem", "srv.pem", "srv.key", "cli.pem", "cli.key"))
    ca.cert_pem.write_to_path(str(ca_pem))
    server.cert_chain_pems[0].write_to_path(str(srv_pem))
    server.private_key_pem.write_to_path(str(srv_key))
    client.cert_chain_pems[0].write_to_path(str(cli_pem))
    client.private_key_pem.write_to_path(str(cli_key))
    cport, pport = free_port(), free_port()
    url = f"https://{HOST}:{cport}"
    argv = [sys.executable, "-m", "kvraft", "--name", "t0", "--data-dir", str(tmp_path / "t0"),
            "--listen-client-urls", url, "--advertise-client-urls", url,
            "--listen-peer-urls", f"http://{HOST}:{pport}", "--initial-advertise-peer-urls", f"http://{HOST}:{pport}",
            "--initial-cluster", f"t0=http://{HOST}:{pport}", "--heartbeat-interval", "20", "--election-timeout", "200",
            "--cert-file", str(srv_pem), "--key-file", str(srv_key), "--client-cert-auth",
            "--trusted-ca-file", str(ca_pem)]
    procs.start(argv, tmp_path / "t0.log")
    ctx = ssl.create_default_context(cafile=str(ca_pem))
    ctx.load_cert_chain(str(cli_pem), str(cli_key))
    wait_healthy([url], context=ctx)

    tls = ["--cert-file", str(cli_pem), "--key-file", str(cli_key), "--ca-file", str(ca_pem)]
    r = etcdctl(*tls, "set", "/secure", "yes", endpoints=url)
    assert r.returncode == 0 and r.stdout == "yes\n", r
    r = etcdctl(*tls, "get", "/secure", endpoints=url)
    assert r.returncode == 0 and r.stdout == "yes\n", r
    r = subprocess.run(["curl", "-sS", "--cacert", str(ca_pem), "--cert", str(cli_pem), "--key", str(cli_key),
                        f"{url}/v2/keys/secure"], capture_output=True, text=True, timeout=20)
    assert r.returncode == 0 and '"value":"yes"' in r.stdout, r

    r = etcdctl("--ca-file", str(ca_pem), "get", "/secure", endpoints=url)
    assert r.returncode != 0 and "yes" not in r.stdout, r
    r = subprocess.run(["curl", "-sS", "--cacert", str(ca_pem), f"{url}/v2/keys/secure"],
                       capture_output=True, text=True, timeout=20)
    assert r.returncode != 0 and "yes" not in r.stdout, r
