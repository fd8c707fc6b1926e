"""The statement guard (SPEC 1, rules 1 and 2): what reaches a server, decided without one."""

from __future__ import annotations

import pytest

from refsync.errors import GuardError
from refsync.guard import Policy, check

SERVICES = ("public", "services")
CATEGORIES = ("public", "service_categories")
METADATA = ("public", "database_metadata")
BOOKINGS = ("public", "bookings")

READ_ONLY = Policy(
    readable=frozenset({SERVICES, CATEGORIES, METADATA}),
    column_readable={BOOKINGS: frozenset({"serviceId"})},
)
APPLY = Policy(
    readable=READ_ONLY.readable,
    column_readable=READ_ONLY.column_readable,
    writable=frozenset({SERVICES, CATEGORIES}),
    immutable={SERVICES: frozenset({"id"}), CATEGORIES: frozenset({"id"})},
)

ENGINE_STATEMENTS = [
    'SELECT "id", "name", "description" FROM "public"."services"',
    'SELECT "id", "name" FROM "public"."service_categories" ORDER BY "id"',
    'SELECT DISTINCT "serviceId" FROM "public"."bookings" WHERE "serviceId" = ANY(%s)',
    'SELECT "serviceId", count(*) FROM "public"."bookings" b'
    ' WHERE b."serviceId" = ANY(%s::text[]) GROUP BY "serviceId"',
    'SELECT "environment", "fingerprint" FROM "public"."database_metadata" WHERE "id" = %s',
    'SELECT * FROM "public"."services" WHERE "id" = %s',
    'SELECT "id" FROM "public"."services" WHERE "id" = ANY(%s) FOR UPDATE',
    'SELECT "id" FROM "public"."services" AS s WHERE s."id" = ANY(%s) FOR NO KEY UPDATE OF s',
    'INSERT INTO "public"."services" ("id", "name", "updatedAt")'
    ' SELECT v."id", v."name", now()'
    ' FROM jsonb_populate_recordset(NULL::"public"."services", %s::jsonb) AS v RETURNING "id"',
    'INSERT INTO "public"."service_categories" ("id", "name") VALUES (%s, %s)',
    'UPDATE "public"."services" AS t SET "name" = v."name", "updatedAt" = now()'
    ' FROM jsonb_populate_recordset(NULL::"public"."services", %s::jsonb) AS v'
    ' WHERE t."id" = v."id"',
    'UPDATE "public"."services" SET "name" = %s WHERE "id" = %s AND "name" LIKE \'a%%\'',
    "SELECT pg_try_advisory_xact_lock(%s)",
    "SELECT system_identifier FROM pg_control_system()",
    "SELECT current_database(), current_user, version(), current_setting('server_version_num')",
    "SELECT a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_catalog.pg_attribute a"
    " JOIN pg_catalog.pg_class c ON c.oid = a.attrelid"
    " WHERE c.oid = %s::regclass AND a.attnum > 0 AND NOT a.attisdropped",
    "SELECT d.oid FROM pg_catalog.pg_database d WHERE d.datname = current_database()",
    "SELECT has_table_privilege(%s, 'INSERT'), pg_catalog.pg_get_serial_sequence(%s, 'id')",
    "SELECT column_name FROM information_schema.columns WHERE table_schema = %s",
    "SET LOCAL lock_timeout = '5s'",
    "SET statement_timeout = 30000",
    "SET default_transaction_read_only = on",
    "SET TRANSACTION READ ONLY",
    "SET application_name = 'refsync'",
    "SET TIME ZONE 'UTC'",
    "BEGIN READ ONLY",
    "START TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ WRITE",
    "COMMIT",
    "ROLLBACK",
]

FORBIDDEN: list[tuple[str, str]] = [
    ("SELECT 1; DROP TABLE services", "exactly one statement"),
    ("SELECT 1; SELECT 2", "exactly one statement"),
    ("SELEC 1", "does not parse"),
    ("", "exactly one statement"),
    ("WITH d AS (DELETE FROM public.services RETURNING *) SELECT * FROM d", "WITH clauses"),
    ('WITH s AS (SELECT "id" FROM "public"."services") SELECT "id" FROM s', "WITH clauses"),
    ("DELETE FROM public.services WHERE false", "DeleteStmt"),
    ("TRUNCATE public.services", "TruncateStmt"),
    ("DROP TABLE public.services", "DropStmt"),
    ("ALTER TABLE public.services ADD COLUMN x int", "AlterTableStmt"),
    ("CREATE TEMP TABLE t (x int)", "CreateStmt"),
    ("CREATE TABLE public.x AS SELECT 1", "CreateTableAsStmt"),
    ("GRANT ALL ON public.services TO PUBLIC", "GrantStmt"),
    ("REVOKE ALL ON public.services FROM PUBLIC", "GrantStmt"),
    ("COPY public.services FROM STDIN", "CopyStmt"),
    ("COPY (SELECT 1) TO STDOUT", "CopyStmt"),
    ("DO $$ BEGIN DELETE FROM public.services; END $$", "DoStmt"),
    ("CALL p()", "CallStmt"),
    ("PREPARE q AS SELECT 1", "PrepareStmt"),
    ("EXECUTE q", "ExecuteStmt"),
    ("LOCK TABLE public.services", "LockStmt"),
    ("VACUUM public.services", "VacuumStmt"),
    ("LISTEN refsync", "ListenStmt"),
    ("NOTIFY refsync", "NotifyStmt"),
    ("DISCARD ALL", "DiscardStmt"),
    ("COMMENT ON TABLE public.services IS 'x'", "CommentStmt"),
    ("SECURITY LABEL ON TABLE public.services IS 'x'", "SecLabelStmt"),
    ("REFRESH MATERIALIZED VIEW public.v", "RefreshMatViewStmt"),
    ("IMPORT FOREIGN SCHEMA s FROM SERVER x INTO public", "ImportForeignSchemaStmt"),
    ("SAVEPOINT a", "TRANS_STMT_SAVEPOINT"),
    ("PREPARE TRANSACTION 'x'", "TRANS_STMT_PREPARE"),
    ("SET search_path = evil", "SET search_path is not allowed"),
    ("SET ROLE postgres", "SET role is not allowed"),
    ("SET SESSION AUTHORIZATION postgres", "SET session_authorization is not allowed"),
    ("SET transaction_read_only = off", "may only be turned on"),
    ("SET TRANSACTION READ WRITE", "may only make a transaction READ ONLY"),
    ("SET lock_timeout TO DEFAULT", "VAR_SET_DEFAULT"),
    ("RESET ALL", "VAR_RESET_ALL"),
    ("RESET lock_timeout", "VAR_RESET of lock_timeout"),
    (
        'INSERT INTO "public"."services" ("id") VALUES (%s) RETURNING WITH (OLD AS o) o."id"',
        "ReturningOption",
    ),
    ("SELECT * FROM public.bookings", "* is never selected"),
    ("TABLE public.bookings", "* is never selected"),
    ("SELECT b.* FROM public.bookings b", "* is never selected"),
    ("SELECT b.status FROM public.bookings b", "column status of business table"),
    ("SELECT b FROM public.bookings b", "whole-row reference b"),
    ("SELECT to_jsonb(bookings) FROM public.bookings", "whole-row reference bookings"),
    ('SELECT "serviceId", status FROM public.bookings', "column status of business table"),
    ('SELECT "serviceId" FROM public.bookings WHERE status = %s', "column status"),
    ('SELECT count(*) FROM public.bookings WHERE "serviceId" = %s OR ctid = %s', "column ctid"),
    ('SELECT b."serviceId" FROM public.bookings AS b("serviceId")', "column alias lists"),
    (
        'SELECT "id" FROM "public"."services"'
        ' WHERE "id" IN (SELECT b.status FROM public.bookings b)',
        "must be the only table read",
    ),
    (
        'SELECT "serviceId" FROM public.bookings NATURAL JOIN pg_catalog.pg_class',
        "NATURAL/USING joins",
    ),
    ('SELECT "serviceId" FROM public.bookings FOR UPDATE', "would lock public.bookings"),
    ('INSERT INTO public.services ("id") SELECT "serviceId" FROM public.bookings', "only be read"),
    ('UPDATE public.services t SET "name" = %s FROM public.bookings b WHERE true', "only be read"),
    ("SELECT id FROM services", "relation services is not schema-qualified"),
    ("SELECT relname FROM pg_class", "relation pg_class is not schema-qualified"),
    ("SELECT 1 FROM otherdb.public.services", "names a database"),
    ("SELECT most_common_vals FROM pg_catalog.pg_stats", "exposes row values"),
    ("SELECT rolpassword FROM pg_catalog.pg_authid", "exposes row values or secrets"),
    ("SELECT query FROM pg_catalog.pg_stat_activity", "exposes row values"),
    ("SELECT id FROM public.users", "relation public.users is not in the policy"),
    ('SELECT "id" FROM "Public"."services"', "relation Public.services is not in the policy"),
    ("UPDATE public.services SET id = 'x' WHERE id = 'y'", "may not assign public.services.id"),
    ("UPDATE public.services SET (id, name) = ('x', 'y') WHERE true", "may not assign"),
    ("UPDATE public.services SET name = 'x'", "without a WHERE clause"),
    ("INSERT INTO public.bookings (\"serviceId\") VALUES ('x')", "target public.bookings"),
    ("INSERT INTO public.database_metadata (id) VALUES ('x')", "is not writable"),
    ("UPDATE pg_catalog.pg_class SET relname = 'x' WHERE true", "is not writable"),
    (
        "INSERT INTO public.services (id) VALUES ('x') ON CONFLICT (id) DO UPDATE SET name = 'y'",
        "ON CONFLICT",
    ),
    ("INSERT INTO public.services (id) VALUES ('x') ON CONFLICT DO NOTHING", "ON CONFLICT"),
    ("SELECT * INTO public.x FROM public.services", "SELECT ... INTO"),
    ("SELECT pg_sleep(1)", "function pg_sleep() is not on the allowlist"),
    ("SELECT pg_catalog.pg_read_file('x')", "function pg_catalog.pg_read_file()"),
    ("SELECT public.evil()", "function public.evil()"),
    ("SELECT public.now()", "function public.now()"),
    ("SELECT setval('x', 1)", "function setval()"),
    ("SELECT nextval('s')", "function nextval()"),
    ("SELECT set_config('role', 'postgres', false)", "function set_config()"),
    ("SELECT pg_advisory_lock(1)", "function pg_advisory_lock()"),
    ("SELECT 1 FROM dblink('x', 'y') AS t(a int)", "function dblink()"),
    ("SELECT current_setting('data_directory')", "current_setting() may only read"),
    ("SELECT current_setting(%s)", "current_setting() may only read"),
    ("SELECT x FROM lo_import('/etc/passwd') x", "function lo_import()"),
    ("SELECT 1 WHERE 1 OPERATOR(public.===) 1", "operator public.==="),
    ("SELECT %s::public.evil", "type public.evil"),
    ("SELECT NULL::public.bookings", "type public.bookings"),
    ("SELECT xmlelement(name a)", "XmlExpr"),
    ("SELECT %(name)s", "only %s placeholders"),
]


@pytest.mark.parametrize("statement", ENGINE_STATEMENTS)
def test_engine_statements_pass(statement: str) -> None:
    """Every statement shape the engine sends passes the apply policy."""
    check(statement, APPLY)


@pytest.mark.parametrize(("statement", "reason"), FORBIDDEN)
def test_forbidden_statement_is_refused_with_its_reason(statement: str, reason: str) -> None:
    """A forbidden statement raises GuardError naming why it was refused (in the reason, not
    in the message, which quotes the statement and so could match by accident)."""
    with pytest.raises(GuardError) as refused:
        check(statement, APPLY)
    assert reason in refused.value.reason
    assert refused.value.message.endswith(": " + refused.value.reason)


@pytest.mark.parametrize(
    "statement",
    [
        'SELECT "id" FROM "public"."services" WHERE "id" = ANY(%s) FOR UPDATE',
        'SELECT "id" FROM "public"."services" FOR SHARE',
        'INSERT INTO "public"."services" ("id") VALUES (%s)',
        'UPDATE "public"."services" SET "name" = %s WHERE "id" = %s',
    ],
)
def test_read_only_policy_refuses_writes_and_locks(statement: str) -> None:
    """With nothing writable (dry-run, dev) writes and row locks are refused."""
    with pytest.raises(GuardError, match="not writable"):
        check(statement, READ_ONLY)


def test_read_only_policy_still_reads() -> None:
    """The read-only policy allows the snapshot reads."""
    check('SELECT "id", "name" FROM "public"."services"', READ_ONLY)


def test_catalog_is_never_locked() -> None:
    """A FOR UPDATE on a catalog relation is refused even though the catalog is readable."""
    with pytest.raises(GuardError, match=r"would lock pg_catalog\.pg_class"):
        check("SELECT oid FROM pg_catalog.pg_class FOR UPDATE", APPLY)


def test_percent_escapes_become_literal_percent() -> None:
    """`%%` reaches the parser as `%`, so a LIKE pattern or modulo is understood."""
    check("SELECT 7 %% 2", APPLY)


def test_error_names_the_statement_and_a_fix() -> None:
    """The message quotes the refused statement and the error carries a fix."""
    with pytest.raises(GuardError) as refused:
        check("TRUNCATE public.services", APPLY)
    assert "'TRUNCATE public.services'" in refused.value.message
    assert refused.value.fix
