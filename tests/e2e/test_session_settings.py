"""SPEC 1.6: every setting a guarantee relies on is set inside each transaction and read back
before its first data statement, so nothing between refsync and the server can silently
disable it; the user's own connection options are kept but cannot weaken a guarantee."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
from pglast import ast, enums
from psycopg import sql

from devtools import seed
from devtools.pgserver import StatementLog
from refsync import guard
from refsync.db import Database
from refsync.db_errors import pooler_hint
from refsync.session import Timeouts, TransactionSettings
from tests.fixtures import faults
from tests.fixtures.pg import DbPair
from tests.fixtures.safety import (
    FINGERPRINT,
    REFERENCE,
    both_checksums,
    parse_one,
    plan,
    refsync_statements,
    walk,
)

REFERRERS = ("bookings", "provider_services", "catalogue_items", "booking_drafts")
GUARANTEES = {"lock_timeout", "statement_timeout", "row_security"}
POLICY = guard.Policy(readable=frozenset({*REFERENCE, FINGERPRINT}), column_readable={})


def _functions(stmt: ast.Node) -> list[str]:
    names = []
    for node in walk(stmt):
        if isinstance(node, ast.FuncCall):
            last = (node.funcname or ())[-1]
            names.append((last.sval or "") if isinstance(last, ast.String) else "")
    return names


def _first_arguments(stmt: ast.Node) -> set[str]:
    return {
        node.args[0].val.sval or ""
        for node in walk(stmt)
        if isinstance(node, ast.FuncCall)
        and node.args
        and isinstance(node.args[0], ast.A_Const)
        and isinstance(node.args[0].val, ast.String)
    }


def _with_options(url: str, options: str) -> str:
    return f"{url}?options={quote(options)}"


def test_every_transaction_sets_and_reads_back_before_its_first_data_statement(
    dbpair: DbPair, statement_log: StatementLog, tmp_path: Path
) -> None:
    """In every refsync transaction of a dry-run and an apply (both sides), BEGIN is followed
    by one set_config statement, then one current_setting read-back, then the data."""
    seed.seed_demo(dbpair.admin("dev"), dbpair.admin("prod"))
    mark = statement_log.mark()
    planned = plan(dbpair, tmp_path / "plan")
    assert planned.returncode == 0, planned.stderr
    applied = faults.apply(dbpair, tmp_path / "apply", planned.outputs["plan-digest"])
    assert applied.returncode == 0, applied.stderr + applied.stdout

    sessions: dict[str, list[ast.Node]] = defaultdict(list)
    for event in refsync_statements(statement_log, mark):
        sessions[event.session].append(parse_one(event.message))
    assert len(sessions) == 4  # dev and prod, for the plan and for the apply
    transactions = 0
    for statements in sessions.values():
        verified = False
        for i, stmt in enumerate(statements):
            if isinstance(stmt, ast.TransactionStmt):
                if stmt.kind == enums.TransactionStmtKind.TRANS_STMT_BEGIN:
                    transactions += 1
                    setting, read_back = statements[i + 1], statements[i + 2]
                    assert set(_functions(setting)) == {"set_config"}
                    assert _first_arguments(setting) >= GUARANTEES
                    assert set(_functions(read_back)) == {"current_setting", "inet_server_port"}
                    assert GUARANTEES | {"transaction_read_only"} <= _first_arguments(read_back)
                verified = False
            elif "current_setting" in _functions(stmt):
                verified = True
            elif "set_config" not in _functions(stmt):
                assert verified, f"a data statement before the read-back: {stmt}"
    assert transactions == len(sessions)  # one transaction per session, whatever the rows


def test_users_connection_options_are_kept(dbpair: DbPair) -> None:
    """The URL's own `options` (a search_path, even lock_timeout=0 and row_security=on) reach
    the session; inside refsync's transactions its own values override them, locally (the
    search_path too: refsync names every relation with its schema and wants no operator or
    function of the database's shadowing pg_catalog's)."""
    options = "-c search_path=public,pg_catalog -c lock_timeout=0 -c row_security=on"
    url = _with_options(dbpair.prod_url, options)
    db = Database.connect(url, "prod", POLICY, read_only=True, timeouts=Timeouts())
    probe = "SELECT current_setting('search_path'), current_setting('lock_timeout'), " + (
        "current_setting('row_security')"
    )
    try:
        db.execute(sql.SQL("SELECT current_setting('server_version_num')"))
        inside = db._conn.execute(probe).fetchone()
        db.rollback()
        db._conn.execute("SELECT 1")  # a transaction refsync did not begin: no settings
        outside = db._conn.execute(probe).fetchone()
    finally:
        db.close()
    assert inside == ("pg_catalog", "5s", "off")
    assert outside == ("public,pg_catalog", "0", "on")


def test_users_weaker_options_do_not_weaken_the_guarantees(dbpair: DbPair, tmp_path: Path) -> None:
    """With `-c row_security=on -c lock_timeout=0` in the URL, a read through RLS that would
    silently see no bookings still refuses (exit 1), and a held row lock still times out."""
    options = "-c row_security=on -c lock_timeout=0 -c statement_timeout=0"
    urls = {
        "dev": _with_options(dbpair.dev_url, options),
        "prod": _with_options(dbpair.prod_url, options),
    }
    seed.seed_demo(dbpair.admin("dev"), dbpair.admin("prod"))
    planned = plan(dbpair, tmp_path / "plan", dev=urls["dev"], prod=urls["prod"])
    assert planned.returncode == 0, planned.stderr
    assert planned.plan is not None

    admin = dbpair.admin("prod")
    for table in REFERRERS:
        admin.execute(
            sql.SQL("ALTER TABLE {} ENABLE ROW LEVEL SECURITY").format(sql.Identifier(table))
        )
    with psycopg.connect(urls["prod"]) as conn:
        # What such a session sees without refsync's own setting: a filter, not an error.
        assert conn.execute('SELECT count("serviceId") FROM bookings').fetchone() == (0,)
    assert admin.execute("SELECT count(*) FROM bookings").fetchone() != (0,)
    refused = plan(dbpair, tmp_path / "rls", dev=urls["dev"], prod=urls["prod"])
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert "row-level security" in refused.stderr
    for table in REFERRERS:
        admin.execute(
            sql.SQL("ALTER TABLE {} DISABLE ROW LEVEL SECURITY").format(sql.Identifier(table))
        )

    services = next(t for t in planned.plan["tables"] if t["table"] == "services")
    before = both_checksums(dbpair)
    with psycopg.connect(dbpair.prod_admin_url) as holder:
        holder.execute(
            "SELECT 1 FROM services WHERE id = %s FOR UPDATE", [services["updates"][0]["id"]]
        )
        timed_out = faults.apply(
            dbpair,
            tmp_path / "apply",
            planned.outputs["plan-digest"],
            prod_url=urls["prod"],
            REFSYNC_LOCK_TIMEOUT_MS="200",
        )
        holder.rollback()
    assert timed_out.returncode == 3, timed_out.stderr + timed_out.stdout
    assert "lock_timeout" in timed_out.stderr
    assert both_checksums(dbpair) == before


def test_settings_swallowed_on_the_way_stop_the_run(
    dbpair: DbPair, statement_log: StatementLog, tmp_path: Path
) -> None:
    """A proxy that turns refsync's set_config calls into no-ops (as a pooler dropping
    settings would) makes the run exit 3 naming each setting not in effect and the proxy,
    before any data statement reaches the server."""
    seed.seed_demo(dbpair.admin("dev"), dbpair.admin("prod"))
    before = both_checksums(dbpair)

    def swallow(text: bytes) -> bytes:
        return text.replace(b"pg_catalog.set_config(", b"pg_catalog.concat_ws(")

    mark = statement_log.mark()
    with faults.RewritingProxy(dbpair.server.port, swallow) as proxy:
        result = plan(
            dbpair,
            tmp_path / "plan",
            dev=proxy.url(dbpair.dev_url),
            prod=proxy.url(dbpair.prod_url),
        )
        assert proxy.rewritten >= 1
    assert result.returncode == 3, result.stdout + result.stderr
    assert "dev: a setting refsync relies on is not in effect" in result.stderr
    assert "row_security is 'on', expected 'off'" in result.stderr
    assert "lock_timeout is '0', expected '5000'" in result.stderr
    assert f"the server itself listens on port {dbpair.server.port}" in result.stderr
    assert "Traceback" not in result.stderr
    assert both_checksums(dbpair) == before
    for event in refsync_statements(statement_log, mark):
        stmt = parse_one(event.message)
        functions = set(_functions(stmt))
        assert isinstance(stmt, ast.TransactionStmt) or functions & {
            "concat_ws",
            "current_setting",
        }, f"a statement beyond the read-back reached the server: {event.message}"


def test_read_back_compares_what_the_server_shows() -> None:
    """Values read back as the server prints them ('5s', '2min') match what was set in
    milliseconds; a timeout of 0 or row security on does not."""
    settings = TransactionSettings(lock_ms=5000, statement_ms=120_000, read_only=True)
    shown = [
        "5s",
        "2min",
        "2min",
        "off",
        "postgres",
        "1",
        "pg_catalog",
        "on",
        "origin",
        "repeatable read",
    ]
    assert settings.mismatches(shown) == []
    shown[0], shown[3] = "0", "on"
    assert settings.mismatches(shown) == [
        "lock_timeout is '0', expected '5000'",
        "row_security is 'on', expected 'off'",
    ]


@pytest.mark.parametrize(
    ("host", "port", "named"),
    [
        ("aws-0-eu-central-1.pooler.supabase.com", "6543", "Supavisor"),
        ("ep-cool-1234-pooler.eu-central-1.aws.neon.tech", "5432", "Neon's PgBouncer"),
        ("app.proxy-abc123.eu-west-1.rds.amazonaws.com", "5432", "RDS Proxy"),
        ("db.example.com", "6432", "PgBouncer (port 6432)"),
        ("db.example.com", "5433", "the server itself listens on port 5432"),
        ("db.example.com", "5432", "no pooler is visible"),
    ],
)
def test_the_refusal_names_the_likely_pooler(host: str, port: str, named: str) -> None:
    """The refusal names the pooler the host or port gives away, or the port mismatch."""
    assert named in pooler_hint(host, port, 5432)


def test_replica_replication_role_refuses(dbpair: DbPair, tmp_path: Path) -> None:
    """A role configured with `session_replication_role = replica` (no user trigger the plan
    lists would fire, and neither would the foreign keys' own triggers) is refused with
    exit 3 naming the setting, before any data is read; nothing is written."""
    seed.seed_demo(dbpair.admin("dev"), dbpair.admin("prod"))
    admin = dbpair.admin("prod")
    admin.execute(
        sql.SQL("ALTER ROLE {} IN DATABASE {} SET session_replication_role = replica").format(
            sql.Identifier(dbpair.prod_role), sql.Identifier(dbpair.prod_db)
        )
    )
    before = both_checksums(dbpair)
    try:
        result = plan(dbpair, tmp_path)
    finally:
        admin.execute(
            sql.SQL("ALTER ROLE {} IN DATABASE {} RESET session_replication_role").format(
                sql.Identifier(dbpair.prod_role), sql.Identifier(dbpair.prod_db)
            )
        )
    assert result.returncode == 3, result.stdout + result.stderr
    assert "session_replication_role is 'replica', expected 'origin'" in result.stderr
    assert both_checksums(dbpair) == before


def test_a_search_path_cannot_shadow_pg_catalog(dbpair: DbPair, tmp_path: Path) -> None:
    """A role-level search_path putting a schema with its own `=` on text before pg_catalog
    (one that hides bookings from a protection query) changes nothing: inside refsync's
    transactions the path is pg_catalog alone, so a booked service is still skipped."""
    seed.seed_demo(dbpair.admin("dev"), dbpair.admin("prod"))
    baseline = plan(dbpair, tmp_path / "baseline")
    assert baseline.returncode == 0, baseline.stdout + baseline.stderr
    admin = dbpair.admin("prod")
    admin.execute(
        "CREATE SCHEMA evil;"
        "CREATE FUNCTION evil.eq(a text, b text) RETURNS boolean LANGUAGE sql IMMUTABLE "
        "AS 'SELECT false';"
        "CREATE OPERATOR evil.= (LEFTARG = text, RIGHTARG = text, FUNCTION = evil.eq);"
    )
    admin.execute(
        sql.SQL("GRANT USAGE ON SCHEMA evil TO {}").format(sql.Identifier(dbpair.prod_role))
    )
    admin.execute(
        sql.SQL("ALTER ROLE {} IN DATABASE {} SET search_path = evil, pg_catalog, public").format(
            sql.Identifier(dbpair.prod_role), sql.Identifier(dbpair.prod_db)
        )
    )
    try:
        shadowed = plan(dbpair, tmp_path / "shadowed")
    finally:
        admin.execute(
            sql.SQL("ALTER ROLE {} IN DATABASE {} RESET search_path").format(
                sql.Identifier(dbpair.prod_role), sql.Identifier(dbpair.prod_db)
            )
        )
    assert shadowed.returncode == 0, shadowed.stdout + shadowed.stderr
    assert shadowed.outputs["plan-digest"] == baseline.outputs["plan-digest"]
    assert shadowed.outputs["skips"] == baseline.outputs["skips"] != "0"
