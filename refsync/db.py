"""Connections and the one guarded executor.

`Database` is the only holder of a psycopg connection in the package. Every statement
goes through `Database.execute`, which renders the composed SQL, has the statement guard
(`refsync.guard`) check it against this side's policy, and only then sends it. The server
enforces what it can on top: dev and dry-run prod sessions are read-only
(`default_transaction_read_only` at connect, `BEGIN READ ONLY`), and every session carries
lock and statement timeouts.
"""

from __future__ import annotations

import contextlib
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
from refsync.secrets import describe_url, scrub

Side = Literal["dev", "prod"]
Row = tuple[Any, ...]
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
    ) -> None:
        self._conn = conn
        self.side = side
        self.policy = policy
        self.progress_seconds = progress_seconds
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
        options = (
            f"-c lock_timeout={timeouts.lock_ms} -c statement_timeout={timeouts.statement_ms} "
            f"-c idle_in_transaction_session_timeout={timeouts.statement_ms} "
            f"-c default_transaction_read_only={'on' if read_only else 'off'} "
            # Row-level security would silently filter what refsync reads: bookings hidden from
            # the protection check, prod rows hidden from the diff (duplicates). With
            # row_security off, such a read is an error instead of a partial answer.
            "-c row_security=off "
            # Values read as text must not depend on a server's or role's settings: intervals
            # in one style, floats with every digit (the default since PostgreSQL 12).
            "-c intervalstyle=postgres -c extra_float_digits=1"
        )
        try:
            conn: psycopg.Connection[Row] = psycopg.connect(
                url,
                connect_timeout=timeouts.connect_s,
                options=options,
                application_name=f"refsync-{side}",
                autocommit=False,
            )
        except psycopg.Error as exc:
            raise OperationalError(
                f"cannot connect to the {side} database ({describe_url(url)}): "
                f"{scrub(str(exc).strip(), [url, *secrets])}",
                fix=f"check the `{side}-database-url` secret, that the server is reachable "
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
        return cls(conn, side, policy, timeouts.progress_ms / 1000)

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
        self.round_trips += 1
        with self._errors(relation):
            if stream:
                return self._stream(query, params, progress)
            cur = self._conn.execute(query, params)
            return cur.fetchall() if cur.description is not None else []

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
                fix="grant the privileges listed in the README's least-privilege section",
            ) from None
        except psycopg.Error as exc:
            raise OperationalError(
                f"{self.side} database error: {type(exc).__name__}: "
                f"{(exc.diag.message_primary or str(exc)).strip()}",
                fix="the transaction was rolled back; fix the cause and re-run",
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

    def rowcount_execute(self, query: sql.Composed | sql.SQL, params: Sequence[Any] = ()) -> int:
        """Run a write and return its row count (writes use RETURNING for counts instead)."""
        return len(self.execute(query, params))

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
