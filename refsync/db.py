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
statement (`refsync.session.TransactionSettings`); a setting not in effect stops the run.
What a failure means (connect, settings, statement) is `refsync.db_errors`'s to say.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Generator, Iterator, Sequence
from contextlib import contextmanager
from itertools import islice
from typing import Any, Literal, cast

import psycopg
from psycopg import IsolationLevel, sql
from psycopg.types.string import TextLoader

from refsync import guard
from refsync.db_errors import connect_error, settings_error, statement_errors
from refsync.errors import OperationalError
from refsync.model import Row
from refsync.session import Timeouts, TransactionSettings

Side = Literal["dev", "prod"]
#: Rows per chunk of a streamed read: large enough that the per-chunk cost vanishes, small
#: enough that psycopg builds rows while the server is still sending (libpq's chunked mode).
STREAM_CHUNK = 5000
#: The first libpq with chunked rows (PQsetChunkedRowsMode), which `cursor.stream` needs.
_CHUNKED_LIBPQ = 170000


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
        conn = _open(url, side, timeouts.connect_s, secrets)
        _configure(conn, read_only=read_only)
        settings = TransactionSettings(timeouts.lock_ms, timeouts.statement_ms, read_only)
        return cls(conn, side, policy, timeouts.progress_ms / 1000, settings=settings)

    @property
    def encoding(self) -> str:
        """Python's name of the connection's client encoding: how psycopg encodes text."""
        return self._conn.info.encoding

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
        consume: Callable[[list[Row]], None] | None = None,
        chunk: int = STREAM_CHUNK,
    ) -> list[Row]:
        """Guard-check and run one statement; return its rows (empty when it returns none).

        `relation` names the table the statement reads or writes, for error messages.
        `stream` receives a large result in chunks (one statement, as before): psycopg turns
        each chunk into rows while the server is still sending the next, and `progress` hears
        (rows so far, seconds) every `progress_seconds` of a long read. `consume` (with
        `stream`) is handed each chunk (of `chunk` rows; the last may be empty) in turn and
        none is kept: the result is then empty."""
        text = query.as_string(self._conn)
        guard.check(text, self.policy)
        if self._conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE:
            self._begin()
        self.round_trips += 1
        with self._errors(relation):
            if stream:
                return self._stream(query, params, progress, consume, chunk)
            cur = self._conn.execute(query, params)
            return cur.fetchall() if cur.description is not None else []

    def _begin(self) -> None:
        """Open a transaction with its settings and prove they hold: psycopg sends `BEGIN`
        (READ ONLY, isolation level) with the first statement, which sets everything; the
        second reads it all back. Two statements per transaction, whatever the rows."""
        self._one_row(self.settings.set_statement())
        shown = self._one_row(self.settings.read_back_statement())
        if wrong := self.settings.mismatches(shown[:-1]):
            raise settings_error(self.side, wrong, self.endpoint, shown[-1])

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
        consume: Callable[[list[Row]], None] | None = None,
        chunk: int = STREAM_CHUNK,
    ) -> list[Row]:
        if psycopg.pq.version() < _CHUNKED_LIBPQ:
            # libpq before 17 has no chunked mode; one result in one piece, as before.
            cur = self._conn.execute(query, params)
            if consume is None:
                return cur.fetchall()
            while part := cur.fetchmany(chunk):
                consume(part)
            return []
        # The generator holds the connection's lock while it is suspended: closing it on
        # any exit (a progress line interrupted by SIGTERM included) lets psycopg drain or
        # cancel the result and release the lock, so the rollback that follows cannot hang.
        stream = self._conn.cursor().stream(query, params, size=chunk)
        with contextlib.closing(cast(Generator[Row, None, None], stream)) as rows_in:
            rows: list[Row] = []
            seen = 0
            started = last = time.monotonic()
            while True:
                # A chunk at a time, appended in C; the clock is read once per chunk.
                before = len(rows)
                rows.extend(islice(rows_in, chunk))
                got = len(rows) - before
                seen += got
                if consume is not None:
                    consume(rows)
                    rows = []
                if got < chunk:
                    return rows
                now = time.monotonic()
                if progress is not None and now - last >= self.progress_seconds:
                    progress(seen, now - started)
                    last = now

    def _errors(self, relation: str | None) -> contextlib.AbstractContextManager[None]:
        """What a failed statement means, as refsync's errors; a cancel on interruption."""
        return statement_errors(self.side, relation, self.cancel)

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


def _open(url: str, side: Side, connect_s: int, secrets: Sequence[str]) -> psycopg.Connection[Row]:
    """Connect, or OperationalError saying where and why not (never the URL)."""
    try:
        # No `options`: the URL's own (a search_path, Neon's endpoint=) are kept, and a
        # pooler neither refuses the connection nor drops them silently; the settings
        # refsync relies on are set inside each transaction instead. No server-side
        # prepared statements either: a pooler may run the next transaction on another
        # server connection, where the statement was never prepared.
        return psycopg.connect(
            url,
            connect_timeout=connect_s,
            application_name=f"refsync-{side}",
            autocommit=False,
            prepare_threshold=None,
        )
    except psycopg.Error as exc:
        raise connect_error(side, url, secrets, exc) from None


def _configure(conn: psycopg.Connection[Row], *, read_only: bool) -> None:
    """Read-only or not, how values are loaded, and the isolation level of every transaction."""
    conn.read_only = read_only
    # psycopg turns an interval into a timedelta, which counts a month as 30 days: '1 mon'
    # would be written back as '30 days'. As text it round-trips exactly.
    conn.adapters.register_loader("interval", TextLoader)
    # Dev and dry-run read in one consistent snapshot; apply uses READ COMMITTED so the
    # protection check, run after the row locks, sees every booking committed before them.
    conn.isolation_level = (
        IsolationLevel.REPEATABLE_READ if read_only else IsolationLevel.READ_COMMITTED
    )
