"""Connections and the one guarded executor.

`Database` is the only holder of a psycopg connection in the package. Every statement
goes through `Database.execute`, which renders the composed SQL, has the statement guard
(`refsync.guard`) check it against this side's policy, and only then sends it. The server
enforces what it can on top: dev and dry-run prod transactions are read-only
(`BEGIN ... READ ONLY`), and every transaction carries lock and statement timeouts.

Nothing depends on session state, so a pooler (PgBouncer in transaction mode, Supavisor,
RDS Proxy) may hand each transaction a different server connection: no startup `options`
(poolers reject or silently drop them), no server-side prepared statements, no session
advisory lock or `LISTEN`. Each transaction sets what the guarantees rely on itself, with
`set_config(..., true)` right after `BEGIN`, and reads it back before its first data
statement (`TransactionSettings`); a setting not in effect stops the run.
"""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Callable, Generator, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import islice
from typing import Any, Literal, cast

import psycopg
from psycopg import IsolationLevel, sql
from psycopg.types.string import TextLoader

from refsync import guard
from refsync.errors import OperationalError, SafetyError, UsageError
from refsync.model import Row
from refsync.secrets import describe_url, scrub

Side = Literal["dev", "prod"]
#: Rows per chunk of a streamed read: large enough that the per-chunk cost vanishes, small
#: enough that psycopg builds rows while the server is still sending (libpq's chunked mode).
STREAM_CHUNK = 5000
#: The first libpq with chunked rows (PQsetChunkedRowsMode), which `cursor.stream` needs.
_CHUNKED_LIBPQ = 170000


#: The largest value PostgreSQL takes for lock_timeout, statement_timeout and
#: idle_in_transaction_session_timeout (milliseconds in a C int); the progress interval
#: has the same bound, so all three read alike.
MAX_MS = 2_147_483_647


def _ms_from_env(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "")
    if not raw:
        return default
    # ASCII digits only: str.isdigit() also takes "²", which int() then refuses.
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 10 or not 0 < int(raw) <= MAX_MS:
        raise UsageError(
            f"environment `{name}` must be a positive number of milliseconds, at most "
            f"{MAX_MS} (the largest PostgreSQL takes)",
            fix=f"set {name} to a whole number of milliseconds, e.g. 5000, or leave it unset",
        )
    return int(raw)


@dataclass(frozen=True)
class Timeouts:
    """The session's clocks: how long to wait for a connection, a lock, a statement; and
    how often a long read logs its progress."""

    connect_s: int = 10
    lock_ms: int = 5_000
    statement_ms: int = 120_000
    progress_ms: int = 2_000

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Timeouts:
        """The REFSYNC_* settings of `env` (the environment `main` was given), validated:
        UsageError (exit 2) before any connection for a value the server would refuse."""
        return cls(
            lock_ms=_ms_from_env(env, "REFSYNC_LOCK_TIMEOUT_MS", cls.lock_ms),
            statement_ms=_ms_from_env(env, "REFSYNC_STATEMENT_TIMEOUT_MS", cls.statement_ms),
            progress_ms=_ms_from_env(env, "REFSYNC_PROGRESS_MS", cls.progress_ms),
        )


@dataclass(frozen=True)
class TransactionSettings:
    """What every transaction sets right after `BEGIN` and reads back before its first data
    statement. Set inside the transaction so that no pooler can drop it (startup options)
    or leak it to another client (a session `SET`)."""

    lock_ms: int
    statement_ms: int
    read_only: bool

    def wanted(self) -> dict[str, str]:
        """Setting -> the value set_config gives it, in `refsync.guard_nodes.LOCAL_SETTINGS`."""
        values = {
            "lock_timeout": str(self.lock_ms),
            "statement_timeout": str(self.statement_ms),
            # A refsync killed mid-transaction must not hold prod's row locks for long.
            "idle_in_transaction_session_timeout": str(self.statement_ms),
            # Row-level security would silently filter what refsync reads: bookings hidden
            # from the protection check, prod rows hidden from the diff (duplicates). With
            # row_security off, such a read is an error instead of a partial answer.
            "row_security": "off",
            # Values read as text must not depend on a server's or role's settings: intervals
            # in one style, floats with every digit (the default since PostgreSQL 12).
            "intervalstyle": "postgres",
            "extra_float_digits": "1",
            # Every relation refsync names is schema-qualified; with pg_catalog alone on the
            # path, no schema of the database's can shadow an operator, function or type
            # (an `=` that hides bookings from the protection check).
            "search_path": "pg_catalog",
        }
        if self.read_only:
            # BEGIN READ ONLY is the first layer; this one holds even if a driver or proxy
            # lost it. It can only ever turn read-only on.
            values["transaction_read_only"] = "on"
        return values

    def expected(self) -> dict[str, str]:
        """Setting -> what `current_setting` must show inside the transaction."""
        return {
            **self.wanted(),
            "transaction_read_only": "on" if self.read_only else "off",
            # Read, never set (only a superuser may): under `replica` neither ordinary user
            # triggers nor the foreign keys' own triggers fire, so what the plan lists and
            # what the database checks would not be what happens.
            "session_replication_role": "origin",
            # Dev and dry-run read one snapshot; apply's protection check, run after its row
            # locks, must see every booking committed before them (READ COMMITTED).
            "transaction_isolation": "repeatable read" if self.read_only else "read committed",
        }

    def set_statement(self) -> sql.Composed:
        return sql.SQL("SELECT {}").format(
            sql.SQL(", ").join(
                sql.SQL("pg_catalog.set_config({}, {}, true)").format(
                    sql.Literal(name), sql.Literal(value)
                )
                for name, value in self.wanted().items()
            )
        )

    def read_back_statement(self) -> sql.Composed:
        return sql.SQL("SELECT {}, pg_catalog.inet_server_port()").format(
            sql.SQL(", ").join(
                sql.SQL("pg_catalog.current_setting({})").format(sql.Literal(name))
                for name in self.expected()
            )
        )

    def mismatches(self, shown: Sequence[Any]) -> list[str]:
        """`name is 'x', expected 'y'` for every setting `shown` (read back) gets wrong."""
        wrong = []
        for (name, want), got in zip(self.expected().items(), shown, strict=True):
            if _setting_value(name, got) != _setting_value(name, want):
                wrong.append(f"{name} is {got!r}, expected {want!r}")
        return wrong


_DURATION = re.compile(r"(\d+)\s*(ms|s|min|h|d)?")
_MS_PER_UNIT = {"ms": 1, "s": 1000, "min": 60_000, "h": 3_600_000, "d": 86_400_000}


def _setting_value(name: str, text: object) -> object:
    """A setting's value as comparable: timeouts in milliseconds ('5s' == '5000')."""
    text = str(text).strip().lower()
    if name.endswith("_timeout") and (found := _DURATION.fullmatch(text)):
        return int(found.group(1)) * _MS_PER_UNIT[found.group(2) or "ms"]
    return text


def pooler_hint(host: str, port: str, server_port: object) -> str:
    """Who probably changed a setting between refsync and the server, from where refsync
    connected and the port the server says it listens on."""
    known = (
        ("pooler.supabase.com", "Supavisor (Supabase's pooler)"),
        ("-pooler.", "Neon's PgBouncer (a -pooler host)"),
        (".proxy-", "RDS Proxy"),
    )
    for needle, name in known:
        if needle in host:
            return f"{name} at {host}:{port}"
    by_port = {"6432": "PgBouncer", "6543": "Supavisor or PgBouncer"}
    if port in by_port:
        return f"probably {by_port[port]} (port {port})"
    if server_port is not None and str(server_port) != port:
        return (
            f"a pooler or proxy at {host}:{port} (PgBouncer, Supavisor, RDS Proxy...): the "
            f"server itself listens on port {server_port}"
        )
    return (
        f"whatever answers at {host}:{port}: no pooler is visible (same port as the "
        "server's), so a proxy that keeps the port, or the server's configuration"
    )


@dataclass(frozen=True)
class Identity:
    """Who a connection reached: shown in the summary, hashed into the digest (prod)."""

    side: Side
    host: str
    port: str
    database: str
    user: str
    system_identifier: str
    database_oid: int
    server_version: int

    def display(self) -> str:
        return f"{self.database} on {self.host}:{self.port} as {self.user}"


class Database:
    """One side's connection, reachable only through the guard."""

    def __init__(
        self,
        conn: psycopg.Connection[Row],
        side: Side,
        policy: guard.Policy,
        progress_seconds: float = Timeouts.progress_ms / 1000,
        *,
        settings: TransactionSettings,
    ) -> None:
        self._conn = conn
        self.side = side
        self.policy = policy
        self.progress_seconds = progress_seconds
        self.settings = settings
        #: Statements sent, for the log's round-trip count.
        self.round_trips = 0

    @classmethod
    def connect(
        cls,
        url: str,
        side: Side,
        policy: guard.Policy,
        *,
        read_only: bool,
        timeouts: Timeouts,
        secrets: Sequence[str] = (),
    ) -> Database:
        try:
            # No `options`: the URL's own (a search_path, Neon's endpoint=) are kept, and a
            # pooler neither refuses the connection nor drops them silently; the settings
            # refsync relies on are set inside each transaction instead. No server-side
            # prepared statements either: a pooler may run the next transaction on another
            # server connection, where the statement was never prepared.
            conn: psycopg.Connection[Row] = psycopg.connect(
                url,
                connect_timeout=timeouts.connect_s,
                application_name=f"refsync-{side}",
                autocommit=False,
                prepare_threshold=None,
            )
        except psycopg.Error as exc:
            raise OperationalError(
                f"cannot connect to the {side} database ({describe_url(url)}): "
                f"{scrub(str(exc).strip(), [url, *secrets])}",
                fix=_tls_fix(str(exc))
                or f"check the `{side}-database-url` secret, that the server is reachable "
                "from the runner, and that the role may log in",
            ) from None
        conn.read_only = read_only
        # psycopg turns an interval into a timedelta, which counts a month as 30 days: '1 mon'
        # would be written back as '30 days'. As text it round-trips exactly.
        conn.adapters.register_loader("interval", TextLoader)
        # Dev and dry-run read in one consistent snapshot; apply uses READ COMMITTED so the
        # protection check, run after the row locks, sees every booking committed before them.
        conn.isolation_level = (
            IsolationLevel.REPEATABLE_READ if read_only else IsolationLevel.READ_COMMITTED
        )
        settings = TransactionSettings(timeouts.lock_ms, timeouts.statement_ms, read_only)
        return cls(conn, side, policy, timeouts.progress_ms / 1000, settings=settings)

    @property
    def endpoint(self) -> tuple[str, str]:
        """Host (or socket directory) and port the connection reached."""
        info = self._conn.info
        return (info.host, str(info.port))

    def execute(
        self,
        query: sql.Composed | sql.SQL,
        params: Sequence[Any] = (),
        *,
        relation: str | None = None,
        stream: bool = False,
        progress: Callable[[int, float], None] | None = None,
    ) -> list[Row]:
        """Guard-check and run one statement; return its rows (empty when it returns none).

        `relation` names the table the statement reads or writes, for error messages.
        `stream` receives a large result in chunks (one statement, as before): psycopg turns
        each chunk into rows while the server is still sending the next, and `progress` hears
        (rows so far, seconds) every `progress_seconds` of a long read."""
        text = query.as_string(self._conn)
        guard.check(text, self.policy)
        if self._conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE:
            self._begin()
        self.round_trips += 1
        with self._errors(relation):
            if stream:
                return self._stream(query, params, progress)
            cur = self._conn.execute(query, params)
            return cur.fetchall() if cur.description is not None else []

    def _begin(self) -> None:
        """Open a transaction with its settings and prove they hold: psycopg sends `BEGIN`
        (READ ONLY, isolation level) with the first statement, which sets everything; the
        second reads it all back. Two statements per transaction, whatever the rows."""
        self._one_row(self.settings.set_statement())
        shown = self._one_row(self.settings.read_back_statement())
        if wrong := self.settings.mismatches(shown[:-1]):
            if any(w.startswith("session_replication_role ") for w in wrong):
                raise OperationalError(
                    f"{self.side}: {'; '.join(wrong)} inside refsync's transaction: under "
                    "`replica` neither user triggers nor the foreign keys' own triggers fire, "
                    "so the plan would not say what the database does; refsync stops before "
                    "reading any data",
                    fix="remove the setting from the role or database (ALTER ROLE <role> "
                    "RESET session_replication_role, or ALTER DATABASE ... RESET ...)",
                )
            host, port = self.endpoint
            raise OperationalError(
                f"{self.side}: a setting refsync relies on is not in effect inside its "
                f"transaction: {'; '.join(wrong)}. Something between refsync and the server "
                f"dropped or changed it, most likely {pooler_hint(host, port, shown[-1])}; "
                "refsync stops before reading any data",
                fix="connect directly, or through a pooler in transaction or session mode "
                "that keeps each transaction on one server connection (PgBouncer "
                "pool_mode = transaction or session, not statement)",
            )

    def _one_row(self, query: sql.Composed) -> Row:
        """Guard-check and run a statement of the transaction's own; its one row."""
        guard.check(query.as_string(self._conn), self.policy)
        self.round_trips += 1
        with self._errors(None):
            [row] = self._conn.execute(query).fetchall()
        return row

    def _stream(
        self,
        query: sql.Composed | sql.SQL,
        params: Sequence[Any],
        progress: Callable[[int, float], None] | None,
    ) -> list[Row]:
        if psycopg.pq.version() < _CHUNKED_LIBPQ:
            # libpq before 17 has no chunked mode; one result in one piece, as before.
            cur = self._conn.execute(query, params)
            return cur.fetchall()
        # The generator holds the connection's lock while it is suspended: closing it on
        # any exit (a progress line interrupted by SIGTERM included) lets psycopg drain or
        # cancel the result and release the lock, so the rollback that follows cannot hang.
        stream = self._conn.cursor().stream(query, params, size=STREAM_CHUNK)
        with contextlib.closing(cast(Generator[Row, None, None], stream)) as rows_in:
            rows: list[Row] = []
            started = last = time.monotonic()
            while True:
                # A chunk at a time, appended in C; the clock is read once per chunk.
                before = len(rows)
                rows.extend(islice(rows_in, STREAM_CHUNK))
                if len(rows) - before < STREAM_CHUNK:
                    return rows
                now = time.monotonic()
                if progress is not None and now - last >= self.progress_seconds:
                    progress(len(rows), now - started)
                    last = now

    @contextmanager
    def _errors(self, relation: str | None) -> Iterator[None]:
        """What a failed statement means, as refsync's errors; a cancel on interruption."""
        try:
            yield
        except psycopg.errors.LockNotAvailable as exc:
            # The server's context names the relation of a row lock ("while locking tuple
            # (0,1) in relation ..."); the caller's name covers table locks too.
            where = f" on `{relation}`" if relation else ""
            context = f"; {exc.diag.context.strip()}" if exc.diag.context else ""
            raise OperationalError(
                f"{self.side}: a lock{where} could not be taken within lock_timeout "
                f"({exc.diag.message_primary}{context}); another session holds rows refsync "
                "needs",
                fix="retry when the other transaction has finished; nothing was written",
            ) from None
        except psycopg.errors.QueryCanceled as exc:
            raise OperationalError(
                f"{self.side}: statement cancelled ({exc.diag.message_primary})",
                fix="raise REFSYNC_STATEMENT_TIMEOUT_MS if the catalog is very large",
            ) from None
        except psycopg.errors.InsufficientPrivilege as exc:
            message = exc.diag.message_primary or ""
            if "row-level security" in message:
                raise SafetyError(
                    f"{self.side}: {message}; refsync refuses to decide on rows it cannot all "
                    "see (a hidden booking would not protect its service)",
                    fix="exempt the refsync role from row-level security: ALTER ROLE <role> "
                    "BYPASSRLS (its table grants still limit what it can touch)",
                ) from None
            raise SafetyError(
                f"{self.side}: the database role lacks a privilege refsync needs: {message}",
                fix="grant what a dry-run lists under Missing privileges (docs/setup.md)",
            ) from None
        except psycopg.Error as exc:
            message = (exc.diag.message_primary or str(exc)).strip()
            fix = "the transaction was rolled back; fix the cause and re-run"
            if "statement pooling mode" in message:
                fix = (
                    "refsync needs each transaction on one server connection: use the "
                    "pooler's transaction or session mode (PgBouncer pool_mode = transaction), "
                    "or connect directly"
                )
            raise OperationalError(
                f"{self.side} database error: {type(exc).__name__}: {message}", fix=fix
            ) from None
        except BaseException:
            # Interrupted mid-statement (SIGTERM, Ctrl-C): without a cancel the server keeps
            # running the statement, holding its locks, until its lock wait or timeout ends.
            self.cancel()
            raise

    def cancel(self) -> None:
        """Cancel the statement running on this connection, if any (safe from any thread)."""
        if self._conn.info.transaction_status == psycopg.pq.TransactionStatus.ACTIVE:
            with contextlib.suppress(psycopg.Error):
                self._conn.cancel_safe(timeout=5.0)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One transaction; rolled back on any exception, including KeyboardInterrupt."""
        try:
            yield
        except BaseException:
            self.rollback()
            raise
        else:
            try:
                self._conn.commit()
            except psycopg.Error as exc:
                raise OperationalError(
                    f"{self.side}: commit failed: {exc.diag.message_primary or exc}",
                    fix="nothing was written; re-run",
                ) from None

    def rollback(self) -> None:
        if not self._conn.closed:
            # If the connection is already gone, the server rolled the transaction back.
            with contextlib.suppress(psycopg.Error):
                self._conn.rollback()

    def close(self) -> None:
        self._conn.close()


#: What libpq says when sslmode=verify-ca/verify-full cannot verify the server's certificate.
_UNVERIFIED = ("root certificate file", "certificate verify failed", "sslrootcert")


def _tls_fix(message: str) -> str | None:
    """How to give refsync the CA it needs, when that is why the connection failed."""
    if not any(marker in message for marker in _UNVERIFIED):
        return None
    return (
        "refsync could not verify the server's TLS certificate. Commit the certificate of the "
        "CA that signed it (PEM, your provider publishes it) to the repository and add "
        "sslrootcert=<its path in the workspace, e.g. certs/prod-ca.pem> to the URL: the "
        "action's container runs in the workspace that actions/checkout fills (mounted at "
        "the same path), so a relative path works. sslmode=require encrypts without "
        "verifying the server"
    )
