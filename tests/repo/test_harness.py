"""The test harness itself: a real server, least-privilege roles, statement log, checksums."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from devtools.pgserver import PgServer, StatementLog
from tests.fixtures.db import table_checksums
from tests.fixtures.pg import DbPair


def test_server_is_real_postgres(pg_server: PgServer) -> None:
    """The session server is a real PostgreSQL that answers SELECT version()."""
    with pg_server.admin() as conn:
        row = conn.execute("SELECT version()").fetchone()
    assert row is not None
    assert row[0].startswith("PostgreSQL ")


def test_databases_carry_schema_and_fingerprints(dbpair: DbPair) -> None:
    """Each test database has the marketplace schema and its own fingerprint row."""
    for side, fingerprint in (("dev", dbpair.dev_fingerprint), ("prod", dbpair.prod_fingerprint)):
        row = (
            dbpair.admin(side)
            .execute(
                """SELECT environment, fingerprint FROM database_metadata WHERE id = 'singleton'"""
            )
            .fetchone()
        )
        assert row == (side, fingerprint)
        assert dbpair.admin(side).execute("SELECT count(*) FROM services").fetchone() == (0,)


def test_prod_role_cannot_delete_services(dbpair: DbPair) -> None:
    """The prod role is refused DELETE on services."""
    with (
        psycopg.connect(dbpair.prod_url) as conn,
        pytest.raises(psycopg.errors.InsufficientPrivilege),
    ):
        conn.execute("DELETE FROM services")


def test_prod_role_reads_only_the_referencing_column(dbpair: DbPair) -> None:
    """The prod role may read bookings."serviceId" but not bookings.status."""
    with psycopg.connect(dbpair.prod_url, autocommit=True) as conn:
        assert conn.execute('SELECT "serviceId" FROM bookings').fetchall() == []
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("SELECT status FROM bookings")


def test_dev_role_cannot_write_or_reach_prod(dbpair: DbPair) -> None:
    """The dev role may read dev services but neither write them nor connect to prod."""
    with psycopg.connect(dbpair.dev_url, autocommit=True) as conn:
        assert conn.execute("SELECT count(*) FROM services").fetchone() == (0,)
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("UPDATE services SET price = 0")
    prod_as_dev = dbpair.server.url(dbpair.prod_db, dbpair.dev_role, dbpair.role_password)
    with pytest.raises(psycopg.OperationalError, match="permission denied"):
        psycopg.connect(prod_as_dev).close()


def test_wrong_password_is_refused(dbpair: DbPair) -> None:
    """A least-privilege role with a wrong password cannot connect."""
    url = dbpair.server.url(dbpair.prod_db, dbpair.prod_role, "not-the-password")
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(url).close()


def test_statement_log_records_statements_with_database(
    dbpair: DbPair, statement_log: StatementLog
) -> None:
    """A statement run by the prod role appears in the log with its database and user."""
    mark = statement_log.mark()
    with psycopg.connect(dbpair.prod_url, autocommit=True) as conn:
        conn.execute("SELECT name\nFROM services WHERE price > %s", [10])
    events = statement_log.since(mark, dbname=dbpair.prod_db)
    statements = [e for e in events if e.kind == "statement"]
    assert [(e.message, e.user) for e in statements] == [
        ("SELECT name\nFROM services WHERE price > $1", dbpair.prod_role)
    ]
    assert any(e.kind == "connection" for e in events)
    assert statement_log.since(mark, dbname=dbpair.dev_db) == []


def test_statement_log_records_errors(dbpair: DbPair, statement_log: StatementLog) -> None:
    """A refused statement is logged as an error event."""
    mark = statement_log.mark()
    with psycopg.connect(dbpair.prod_url) as conn, pytest.raises(psycopg.Error):
        conn.execute("DELETE FROM services")
    kinds = [e.kind for e in statement_log.since(mark, dbname=dbpair.prod_db)]
    assert "error" in kinds


def test_checksums_change_when_a_row_changes(dbpair: DbPair) -> None:
    """table_checksums covers every table and changes when one value changes."""
    conn = dbpair.admin("prod")
    before = table_checksums(conn)
    assert "public.bookings" in before
    assert "public.database_metadata" in before
    conn.execute("""UPDATE database_metadata SET environment = 'prod2'""")
    after = table_checksums(conn)
    assert {k for k in before if before[k] != after[k]} == {"public.database_metadata"}


def test_seed_demo_fills_both_sides(dbpair: DbPair) -> None:
    """The demo seed gives dev more services than prod, different ids, and prod bookings."""
    from devtools.seed import seed_demo

    dev, prod = dbpair.admin("dev"), dbpair.admin("prod")
    seed_demo(dev, prod)
    dev_names = {r[0]: r[1] for r in dev.execute("SELECT name, id FROM services").fetchall()}
    prod_names = {r[0]: r[1] for r in prod.execute("SELECT name, id FROM services").fetchall()}
    shared = dev_names.keys() & prod_names.keys()
    assert len(dev_names) == 40
    assert len(shared) == 32
    assert all(dev_names[n] != prod_names[n] for n in shared)
    booked = prod.execute(
        """SELECT count(*) FROM bookings b JOIN services s ON s.id = b."serviceId"
           WHERE s.name = 'Deep House Cleaning'"""
    ).fetchone()
    assert booked == (1,)


def test_seed_scale_matches_requested_fractions(dbpair: DbPair) -> None:
    """The scale seed creates the requested services and roughly the requested fractions."""
    from devtools.seed import seed_scale

    counts = seed_scale(dbpair.admin("dev"), dbpair.admin("prod"), 2000, seed=1)
    assert counts["dev_services"] == 2000
    assert 50 <= counts["new"] <= 150
    assert 50 <= counts["changed"] <= 150
    assert 20 <= counts["protected"] <= 60
    assert 0 < counts["protected_changed"] < counts["protected"]


def test_benchmark_on_a_shared_server_keeps_the_session_roles(
    dbpair: DbPair, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The benchmark pointed at this session's server (as an external server is shared) makes
    and drops roles and databases of its own: this session's roles still log in."""
    from devtools.bench import Bench

    monkeypatch.setenv("REFSYNC_TEST_DATABASE_URL", dbpair.server.url("postgres"))
    bench = Bench(tmp_path, repeat=1)
    try:
        assert {bench.dev_role, bench.prod_role}.isdisjoint({dbpair.dev_role, dbpair.prod_role})
        _, template, _ = bench.prepare(100)
        bench.fresh_prod(template)
    finally:
        bench.stop()
    for url in (dbpair.dev_url, dbpair.prod_url):
        with psycopg.connect(url) as conn:
            assert conn.execute("SELECT current_user").fetchone() is not None
    with dbpair.server.admin() as admin:
        left = admin.execute(
            "SELECT count(*) FROM pg_roles WHERE rolname IN (%s, %s)",
            [bench.dev_role, bench.prod_role],
        ).fetchone()
        databases = admin.execute(
            "SELECT count(*) FROM pg_database WHERE datname LIKE 'bench\\_%%'"
        ).fetchone()
    assert left == (0,)
    assert databases == (0,)
