"""SPEC 1.6: a dry-run performs zero mutations, and the database enforces it: every refsync
transaction on both sides is READ ONLY, and a write sent anyway is refused by the server."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest
from pglast import ast, enums
from psycopg import sql

from devtools import seed
from devtools.pgserver import StatementLog
from refsync import guard
from refsync.db import Database
from refsync.errors import RefsyncError
from refsync.session import Timeouts
from tests.fixtures.pg import DbPair
from tests.fixtures.safety import (
    FINGERPRINT,
    REFERENCE,
    both_checksums,
    mutates,
    parse_one,
    plan,
    refsync_statements,
)

#: A policy that would let the INSERT through: only the server stands in its way.
PERMISSIVE = guard.Policy(
    readable=frozenset({*REFERENCE, FINGERPRINT}),
    column_readable={},
    writable=REFERENCE,
)
BEGIN = enums.TransactionStmtKind.TRANS_STMT_BEGIN
INSERT = sql.SQL(
    """INSERT INTO "public"."service_categories" ("id", "name", "updatedAt")
    VALUES ('read-only-probe', 'Read-only probe', now())"""
)


def _is_read_only_begin(stmt: ast.Node) -> bool:
    return isinstance(stmt, ast.TransactionStmt) and any(
        o.defname == "transaction_read_only" and o.arg.val.ival == 1 for o in stmt.options or ()
    )


def test_dry_run_sends_no_write_and_changes_no_table(
    dbpair: DbPair, statement_log: StatementLog, tmp_path: Path
) -> None:
    """A dry-run with changes to make sends only reads, in READ ONLY transactions, on both sides."""
    seed.seed_demo(dbpair.admin("dev"), dbpair.admin("prod"))
    before = both_checksums(dbpair)
    mark = statement_log.mark()

    result = plan(dbpair, tmp_path)

    assert result.returncode == 0, result.stderr
    assert result.outputs["has-changes"] == "true"
    assert both_checksums(dbpair) == before
    sessions: dict[str, list[ast.Node]] = defaultdict(list)
    databases = set()
    for event in refsync_statements(statement_log, mark):
        stmt = parse_one(event.message)
        assert not mutates(stmt), f"{event.database}: {event.message}"
        sessions[event.session].append(stmt)
        databases.add(event.database)
    assert databases == {dbpair.dev_db, dbpair.prod_db}
    for statements in sessions.values():
        # The first statement opens a READ ONLY transaction, and so does every later BEGIN.
        assert _is_read_only_begin(statements[0])
        begins = [s for s in statements if isinstance(s, ast.TransactionStmt) and s.kind == BEGIN]
        assert all(_is_read_only_begin(s) for s in begins)


def test_read_only_connection_is_enforced_by_the_server(
    dbpair: DbPair, statement_log: StatementLog
) -> None:
    """A write the guard would allow is refused by the server on a read_only connection."""
    db = Database.connect(dbpair.prod_url, "prod", PERMISSIVE, read_only=True, timeouts=Timeouts())
    mark = statement_log.mark()
    try:
        with pytest.raises(RefsyncError, match="read-only transaction"):
            db.execute(INSERT)
    finally:
        db.close()
    errors = [e.message for e in statement_log.since(mark, dbpair.prod_db) if e.kind == "error"]
    assert errors == ["cannot execute INSERT in a read-only transaction"]
    rows = dbpair.admin("prod").execute("SELECT count(*) FROM service_categories").fetchone()
    assert rows == (0,)


def test_session_default_is_read_only_even_without_begin_read_only(dbpair: DbPair) -> None:
    """With the driver's BEGIN READ ONLY switched off, the transaction's own read-only
    setting (set_config right after BEGIN, read back) still refuses writes."""
    db = Database.connect(dbpair.prod_url, "prod", PERMISSIVE, read_only=True, timeouts=Timeouts())
    try:
        db._conn.read_only = None  # the second layer alone: transaction_read_only = on
        with pytest.raises(RefsyncError, match="read-only transaction"):
            db.execute(INSERT)
    finally:
        db.close()
