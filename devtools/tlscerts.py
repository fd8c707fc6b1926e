"""A throwaway certificate authority and a server certificate for the TLS-only test server.

Made with the `openssl` command (Debian's `openssl` package, on every machine this project
runs on; `.ci/run` installs it if it is missing): an EC P-256 CA, and a server certificate
it signs for ``localhost`` and ``127.0.0.1``, valid for two days. Nothing here is ever used
outside the test harness.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from devtools.pgserver import PgServerError, TlsFiles

#: Names the server certificate is valid for: libpq's verify-full checks the URL's host.
SERVER_NAMES = "DNS:localhost,IP:127.0.0.1"


def _openssl(args: list[str], cwd: Path) -> None:
    exe = shutil.which("openssl")
    if exe is None:
        raise PgServerError(
            "the TLS tests need the `openssl` command to make a throwaway CA: "
            "apt-get install openssl (`.ci/run` and `python3 tasks.py test` do this as root)"
        )
    result = subprocess.run(
        [exe, *args], cwd=cwd, capture_output=True, text=True, check=False, timeout=60
    )
    if result.returncode != 0:
        raise PgServerError(f"openssl {' '.join(args)} failed:\n{result.stderr}")


def make_certs(directory: Path) -> TlsFiles:
    """Write ``ca.pem``, ``server.pem`` and ``server.key`` into ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    _openssl(
        [
            "req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
            "-subj", "/CN=refsync test CA",
            "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign",
        ],
        directory,
    )  # fmt: skip
    _openssl(
        ["req", *ec, "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost"],
        directory,
    )
    (directory / "server.ext").write_text(
        f"subjectAltName = {SERVER_NAMES}\n"
        "basicConstraints = CA:FALSE\n"
        "keyUsage = critical, digitalSignature\n"
        "extendedKeyUsage = serverAuth\n"
    )
    _openssl(
        [
            "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
            "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "server.ext",
        ],
        directory,
    )  # fmt: skip
    return TlsFiles(
        ca_cert=directory / "ca.pem",
        server_cert=directory / "server.pem",
        server_key=directory / "server.key",
    )
