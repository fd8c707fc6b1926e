"""The statement guard on a real connection: a forbidden statement handed to
`Database.execute` raises GuardError and never reaches the server (tests/unit/test_guard.py
covers the full table of shapes without a server)."""

from __future__ import annotations

import pytest
from psycopg import sql

from devtools.pgserver import StatementLog
from refsync import guard
from refsync.db import Database
from refsync.errors import GuardError
from refsync.session import Timeouts
from tests.fixtures.pg import DbPair
from tests.fixtures.safety import FINGERPRINT, REFERENCE

BOOKINGS = ("public", "bookings")
APPLY = guard.Policy(
    readable=frozenset({*REFERENCE, FINGERPRINT}),
    column_readable={BOOKINGS: frozenset({"serviceId"})},
    writable=REFERENCE,
    immutable={r: frozenset({"id"}) for r in REFERENCE},
)
CONTROL = "SELECT 'guard-control-statement'"

FORBIDDEN = {
    "delete": ("DELETE FROM public.services WHERE true", "DeleteStmt"),
    "stacked": ("SELECT 1; DROP TABLE public.services", "exactly one statement"),
    "cte-delete": (
        "WITH d AS (DELETE FROM public.bookings RETURNING 1) SELECT count(*) FROM d",
        "WITH clauses",
    ),
    "business-star": ("SELECT * FROM ONLY public.bookings", "* is never selected"),
    "business-column": (
        'SELECT b."serviceId", b.notes FROM ONLY public.bookings b',
        "column notes",
    ),
    "primary-key-update": (
        "UPDATE ONLY public.services SET id = 'x' WHERE id = 'y'",
        "may not assign public.services.id",
    ),
    "truncate": ("TRUNCATE public.bookings", "TruncateStmt"),
    "inheritance-child-read": ("SELECT id FROM public.services", "must be named with ONLY"),
}


@pytest.mark.parametrize(("statement", "reason"), FORBIDDEN.values(), ids=FORBIDDEN.keys())
def test_refused_statement_never_reaches_the_server(
    dbpair: DbPair, statement_log: StatementLog, statement: str, reason: str
) -> None:
    """Database.execute refuses the shape with its reason; the server logs only the control."""
    db = Database.connect(dbpair.prod_url, "prod", APPLY, read_only=False, timeouts=Timeouts())
    mark = statement_log.mark()
    try:
        with pytest.raises(GuardError) as refused:
            # A constant of this test: the point is to hand the guard a forbidden statement.
            db.execute(sql.SQL(statement))
        assert reason in refused.value.message
        assert "nothing was sent to the database" in str(refused.value)
        db.execute(sql.SQL(CONTROL))  # proves the session and the log are live
        # The transaction's own settings, then their read-back
        # (refsync.session.TransactionSettings).
        own = [
            q.as_string() for q in (db.settings.set_statement(), db.settings.read_back_statement())
        ]
    finally:
        db.rollback()
        db.close()
    events = statement_log.since(mark, dbpair.prod_db)
    statements = [e.message for e in events if e.kind == "statement"]
    begin = "BEGIN ISOLATION LEVEL READ COMMITTED READ WRITE"
    assert statements == [begin, *own, CONTROL, "ROLLBACK"]
    assert [e for e in events if e.kind == "error"] == []
