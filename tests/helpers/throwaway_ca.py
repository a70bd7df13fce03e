"""A throw-away certificate authority and one server certificate, minted with the ``openssl`` CLI.

The real ``claude`` CLI talks to its OAuth token host over HTTPS only. To answer its refresh
locally, helpers/oauth_proxy.py terminates TLS for that host with a certificate from this CA,
and the CLI is told to trust the CA through ``NODE_EXTRA_CA_CERTS`` (for that one run only).
Keys are RSA 2048, valid for two days, written into a temporary directory. The extensions come
from config files (no ``-addext``, and no ``-subj /CN=...``, which Git Bash's openssl on Windows
would rewrite as a path), so OpenSSL 1.1, 3.x and LibreSSL all accept the commands.

A missing ``openssl`` fails the test instead of skipping it: ``.ci/run`` installs it.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

_KEY = ["-newkey", "rsa:2048", "-nodes"]  # RSA: every openssl (and macOS LibreSSL) makes it


@dataclass(frozen=True)
class Certificates:
    ca_cert: Path  # give to the CLI: NODE_EXTRA_CA_CERTS
    server_cert: Path
    server_key: Path
    host: str


def openssl() -> str:
    found = shutil.which("openssl")
    if not found:
        pytest.fail("The openssl command is not installed (the refresh test mints a throw-away CA with it): "
                    "apt-get install openssl (.ci/run does this).", pytrace=False)
    return found


def _run(*args: str, cwd: Path) -> None:
    done = subprocess.run([openssl(), *args], cwd=str(cwd), capture_output=True, text=True, timeout=30,
                          stdin=subprocess.DEVNULL)
    if done.returncode != 0:
        pytest.fail(f"openssl {args[0]} failed: {done.stderr.strip()[:500]}", pytrace=False)


def mint(directory: Path, host: str) -> Certificates:
    """A new CA and a certificate for ``host`` signed by it, in ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "ca.cnf").write_text(
        "[req]\ndistinguished_name = dn\nprompt = no\n[dn]\nCN = claude-session-tokens throw-away test CA\n"
        "[ca]\nbasicConstraints = critical,CA:TRUE\nkeyUsage = critical,keyCertSign,cRLSign\n"
        "subjectKeyIdentifier = hash\n")
    (directory / "server.cnf").write_text(f"[req]\ndistinguished_name = dn\nprompt = no\n[dn]\nCN = {host}\n")
    (directory / "server.ext").write_text(
        f"subjectAltName = DNS:{host}\nbasicConstraints = critical,CA:FALSE\n"
        "keyUsage = critical,digitalSignature,keyEncipherment\nextendedKeyUsage = serverAuth\n"
        "authorityKeyIdentifier = keyid\n")
    _run("req", "-x509", *_KEY, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
         "-config", "ca.cnf", "-extensions", "ca", cwd=directory)
    _run("req", "-new", *_KEY, "-keyout", "server.key", "-out", "server.csr", "-config", "server.cnf",
         cwd=directory)
    _run("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-set_serial", "2",
         "-days", "2", "-extfile", "server.ext", "-out", "server.pem", cwd=directory)
    return Certificates(directory / "ca.pem", directory / "server.pem", directory / "server.key", host)
