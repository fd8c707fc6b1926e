"""A real PgBouncer in front of a test server, started on 127.0.0.1 like the server itself.

Debian's ``pgbouncer`` package provides the binary (``python3 tasks.py test`` and ``.ci/run``
install it when it is missing; ``REFSYNC_TEST_PGBOUNCER`` may name another one). Each
instance gets its own directory, config and free port, and serves every database of the
server (``* =``) to the users it is given, authenticating them with SCRAM and logging in to
the server with their passwords, as a production PgBouncer with an ``auth_file`` does.

The config is PgBouncer's defaults except the pool mode: in particular no
``ignore_startup_parameters``, so a client that sends the ``options`` startup parameter is
refused (``unsupported startup parameter: options``), as it is in production.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from devtools.pgserver import PgServer, PgServerError, hand_over, unprivileged_user

POOL_MODES = ("session", "transaction", "statement")
#: Where Debian's package puts the binary (sbin is not on every user's PATH).
DEBIAN_BINARY = Path("/usr/sbin/pgbouncer")
#: Safety net for startup: far above what it takes, so it never decides a test.
START_TIMEOUT = 30.0


def binary() -> Path:
    """The pgbouncer executable, or an error that says how to install it."""
    chosen = os.environ.get("REFSYNC_TEST_PGBOUNCER")
    if chosen:
        return Path(chosen)
    found = shutil.which("pgbouncer")
    if found:
        return Path(found)
    if DEBIAN_BINARY.is_file():
        return DEBIAN_BINARY
    raise PgServerError(
        "the pooler tests need PgBouncer: apt-get install pgbouncer (`python3 tasks.py test` "
        "and `.ci/run` install it when run as root), or set REFSYNC_TEST_PGBOUNCER to its path"
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _quote(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


class PgBouncer:
    """One running PgBouncer; :meth:`url` turns a server URL into the same URL through it."""

    def __init__(self, server: PgServer, users: Mapping[str, str], pool_mode: str) -> None:
        if pool_mode not in POOL_MODES:
            raise ValueError(f"pool_mode must be one of {POOL_MODES}, not {pool_mode!r}")
        self.server = server
        self.pool_mode = pool_mode
        self.host = "127.0.0.1"
        self.port = _free_port()
        exe = binary()
        self._dir = Path(tempfile.mkdtemp(prefix=f"refsync-pgbouncer-{pool_mode}-"))
        run_as = unprivileged_user()  # PgBouncer refuses to run as root
        hand_over(self._dir, run_as)
        (self._dir / "userlist.txt").write_text(
            "".join(f"{_quote(user)} {_quote(password)}\n" for user, password in users.items())
        )
        config = self._dir / "pgbouncer.ini"
        config.write_text(
            "[databases]\n"
            f"* = host={server.host} port={server.port}\n"
            "[pgbouncer]\n"
            f"listen_addr = {self.host}\n"
            f"listen_port = {self.port}\n"
            "unix_socket_dir =\n"
            f"pool_mode = {pool_mode}\n"
            "auth_type = scram-sha-256\n"
            f"auth_file = {self._dir / 'userlist.txt'}\n"
            f"pidfile = {self._dir / 'pgbouncer.pid'}\n"
            "max_client_conn = 200\n"
            "default_pool_size = 20\n"
        )
        for path in self._dir.iterdir():
            if run_as:
                os.chown(path, run_as["user"], run_as["group"])
        # It logs to stderr in the foreground: into a file, so a full pipe never blocks it.
        with (self._dir / "pgbouncer.log").open("wb") as log:
            self._proc = subprocess.Popen(
                [str(exe), str(config)], stdout=log, stderr=subprocess.STDOUT, **run_as
            )
        self._wait_until_listening()

    def _wait_until_listening(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise PgServerError(f"pgbouncer exited at start:\n{self.log()}")
            with contextlib.suppress(OSError), socket.create_connection((self.host, self.port)):
                return
            time.sleep(0.02)
        self.stop()
        raise PgServerError(f"pgbouncer did not listen on {self.host}:{self.port}\n{self.log()}")

    def url(self, url: str) -> str:
        """``url`` (a URL of :attr:`server`) with PgBouncer's host and port instead."""
        parts = urlsplit(url)
        userinfo = parts.netloc.rpartition("@")[0]
        netloc = f"{userinfo}@{self.host}:{self.port}" if userinfo else f"{self.host}:{self.port}"
        return urlunsplit(parts._replace(netloc=netloc))

    def log(self) -> str:
        """PgBouncer's own log, for failure messages."""
        path = self._dir / "pgbouncer.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        if self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        shutil.rmtree(self._dir, ignore_errors=True)

    def __enter__(self) -> PgBouncer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
