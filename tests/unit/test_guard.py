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
    'SELECT "id", "name", "description" FROM ONLY "public"."services"',
    'SELECT "id", "name" FROM ONLY "public"."service_categories" ORDER BY "id"',
    'SELECT DISTINCT b."serviceId" FROM ONLY "public"."bookings" AS b'
    ' WHERE b."serviceId" = ANY(%s)',
    'SELECT b."serviceId", count(*) FROM ONLY "public"."bookings" b'
    ' WHERE b."serviceId" = ANY(%s::text[]) GROUP BY b."serviceId"',
    'SELECT r."id" FROM ONLY "public"."services" AS r WHERE r."id" = ANY(%s)'
    ' AND r."id" IN (SELECT b."serviceId" FROM ONLY "public"."bookings" AS b)',
    'SELECT r."id" FROM ONLY "public"."services" AS r WHERE r."id" = ANY(%s)'
    ' AND r."id" IN (SELECT pg_catalog.unnest(b."serviceId") FROM ONLY "public"."bookings" AS b)',
    'SELECT "environment", "fingerprint" FROM ONLY "public"."database_metadata" WHERE "id" = %s',
    'SELECT * FROM ONLY "public"."services" WHERE "id" = %s',
    'SELECT "id" FROM ONLY "public"."services" WHERE "id" = ANY(%s) FOR UPDATE',
    'SELECT "id" FROM ONLY "public"."services" AS s WHERE s."id" = ANY(%s) FOR NO KEY UPDATE OF s',
    'INSERT INTO "public"."services" ("id", "name", "updatedAt")'
    ' SELECT v."id", v."name", now()'
    ' FROM jsonb_populate_recordset(NULL::"public"."services", %s::jsonb) AS v RETURNING "id"',
    'INSERT INTO "public"."service_categories" ("id", "name") VALUES (%s, %s)',
    'UPDATE ONLY "public"."services" AS t SET "name" = v."name", "updatedAt" = now()'
    ' FROM jsonb_populate_recordset(NULL::"public"."services", %s::jsonb) AS v'
    ' WHERE t."id" = v."id"',
    'UPDATE ONLY "public"."services" SET "name" = %s WHERE "id" = %s AND "name" LIKE \'a%%\'',
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
    ("SELECT * FROM ONLY public.bookings", "* is never selected"),
    ("TABLE ONLY public.bookings", "* is never selected"),
    ("SELECT b.* FROM ONLY public.bookings b", "* is never selected"),
    ("SELECT b.status FROM ONLY public.bookings b", "column status of business table"),
    ("SELECT b FROM ONLY public.bookings b", "column b in a statement reading business"),
    ("SELECT to_jsonb(bookings) FROM ONLY public.bookings", "needs an alias"),
    ('SELECT b."serviceId", b.status FROM ONLY public.bookings b', "column status of business"),
    ('SELECT b."serviceId" FROM ONLY public.bookings b WHERE b.status = %s', "column status"),
    ('SELECT "serviceId" FROM ONLY public.bookings b', "must be written alias.column"),
    ('SELECT public.bookings."serviceId" FROM ONLY public.bookings b', "alias.column"),
    (
        'SELECT count(*) FROM ONLY public.bookings b WHERE b."serviceId" = %s OR b.ctid = %s',
        "column ctid",
    ),
    ('SELECT b."serviceId" FROM ONLY public.bookings AS b("serviceId")', "column alias lists"),
    (
        'SELECT r."id" FROM ONLY "public"."services" r'
        ' WHERE r."id" IN (SELECT b.status FROM ONLY public.bookings b)',
        "column status of business table",
    ),
    (
        'SELECT b."serviceId" FROM ONLY public.bookings b'
        ' JOIN ONLY public.users u ON u.id = b."serviceId"',
        "relation public.users is not in the policy",
    ),
    (
        'SELECT b."serviceId" FROM ONLY public.bookings b, ONLY public.bookings c',
        "one business table once",
    ),
    (
        'SELECT s."id" FROM ONLY "public"."services" s'
        ' WHERE s."id" IN (SELECT s."serviceId" FROM ONLY public.bookings s)',
        "needs an alias",
    ),
    (
        'SELECT b."serviceId" FROM ONLY public.bookings b, pg_catalog.unnest(%s::text[]) u',
        "reads tables only",
    ),
    (
        'SELECT b."serviceId" FROM ONLY public.bookings b NATURAL JOIN pg_catalog.pg_class c',
        "NATURAL/USING joins",
    ),
    ('SELECT b."serviceId" FROM ONLY public.bookings b FOR UPDATE', "would lock public.bookings"),
    ('SELECT b."serviceId" FROM public.bookings b', "must be named with ONLY"),
    ('SELECT "id" FROM "public"."services"', "must be named with ONLY"),
    ('SELECT "id" FROM "public"."services" * WHERE true', "must be named with ONLY"),
    ("UPDATE public.services SET name = 'x' WHERE id = 'y'", "must be named with ONLY"),
    (
        'SELECT "id" FROM ONLY "public"."services" WHERE "id" IN'
        ' (SELECT "id" FROM "public"."service_categories")',
        "must be named with ONLY",
    ),
    (
        'INSERT INTO public.services ("id") SELECT b."serviceId" FROM ONLY public.bookings b',
        "only be read",
    ),
    (
        'UPDATE ONLY public.services t SET "name" = %s FROM ONLY public.bookings b WHERE true',
        "only be read",
    ),
    ("SELECT id FROM services", "relation services is not schema-qualified"),
    ("SELECT relname FROM pg_class", "relation pg_class is not schema-qualified"),
    ("SELECT 1 FROM otherdb.public.services", "names a database"),
    ("SELECT most_common_vals FROM pg_catalog.pg_stats", "exposes row values"),
    ("SELECT rolpassword FROM pg_catalog.pg_authid", "exposes row values or secrets"),
    ("SELECT query FROM pg_catalog.pg_stat_activity", "exposes row values"),
    ("SELECT id FROM public.users", "relation public.users is not in the policy"),
    ('SELECT "id" FROM "Public"."services"', "relation Public.services is not in the policy"),
    (
        "UPDATE ONLY public.services SET id = 'x' WHERE id = 'y'",
        "may not assign public.services.id",
    ),
    ("UPDATE ONLY public.services SET (id, name) = ('x', 'y') WHERE true", "may not assign"),
    ("UPDATE ONLY public.services SET name = 'x'", "without a WHERE clause"),
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
        'SELECT "id" FROM ONLY "public"."services" WHERE "id" = ANY(%s) FOR UPDATE',
        'SELECT "id" FROM ONLY "public"."services" FOR SHARE',
        'INSERT INTO "public"."services" ("id") VALUES (%s)',
        'UPDATE ONLY "public"."services" SET "name" = %s WHERE "id" = %s',
    ],
)
def test_read_only_policy_refuses_writes_and_locks(statement: str) -> None:
    """With nothing writable (dry-run, dev) writes and row locks are refused."""
    with pytest.raises(GuardError, match="not writable"):
        check(statement, READ_ONLY)


def test_read_only_policy_still_reads() -> None:
    """The read-only policy allows the snapshot reads."""
    check('SELECT "id", "name" FROM ONLY "public"."services"', READ_ONLY)


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


PARTITIONED = Policy(
    readable=READ_ONLY.readable,
    column_readable=READ_ONLY.column_readable,
    writable=APPLY.writable,
    immutable=APPLY.immutable,
    with_children=frozenset({BOOKINGS}),
)


def test_partitioned_business_table_is_read_whole_but_never_locked() -> None:
    """A business table with partitions may be read without ONLY (its foreign key covers
    every partition); reference tables still need ONLY, and the business table is never
    locked."""
    check(
        'SELECT r."id" FROM ONLY "public"."services" AS r WHERE r."id" = ANY(%s)'
        ' AND r."id" IN (SELECT b."serviceId" FROM "public"."bookings" AS b)',
        PARTITIONED,
    )
    with pytest.raises(GuardError, match="must be named with ONLY"):
        check('SELECT "id" FROM "public"."services"', PARTITIONED)
    with pytest.raises(GuardError, match=r"would lock public\.bookings"):
        check('SELECT b."serviceId" FROM "public"."bookings" b FOR SHARE', PARTITIONED)


# Each transaction's own settings (refsync.session.TransactionSettings): set with set_config(...,
# true) right after BEGIN, then read back with current_setting before any data statement.
TRANSACTION_SETTINGS = [
    "SELECT pg_catalog.set_config('lock_timeout', '5000', true),"
    " pg_catalog.set_config('statement_timeout', '120000', true),"
    " pg_catalog.set_config('idle_in_transaction_session_timeout', '120000', true),"
    " pg_catalog.set_config('row_security', 'off', true),"
    " pg_catalog.set_config('intervalstyle', 'postgres', true),"
    " pg_catalog.set_config('extra_float_digits', '1', true),"
    " pg_catalog.set_config('search_path', 'pg_catalog', true),"
    " pg_catalog.set_config('transaction_read_only', 'on', true)",
    "SELECT set_config('lock_timeout', '200', true)",
    "SELECT pg_catalog.current_setting('lock_timeout'),"
    " pg_catalog.current_setting('statement_timeout'),"
    " pg_catalog.current_setting('idle_in_transaction_session_timeout'),"
    " pg_catalog.current_setting('row_security'), pg_catalog.current_setting('intervalstyle'),"
    " pg_catalog.current_setting('extra_float_digits'),"
    " pg_catalog.current_setting('transaction_read_only'),"
    " pg_catalog.current_setting('transaction_isolation'), pg_catalog.inet_server_port()",
]

SETTINGS_NEAR_MISSES: list[tuple[str, str]] = [
    ("SELECT set_config('lock_timeout', '5000', false)", "must be local to the transaction"),
    ("SELECT set_config('lock_timeout', '5000', 'true')", "must be local to the transaction"),
    ("SELECT set_config('lock_timeout', '5000', %s)", "must be local to the transaction"),
    ("SELECT set_config('lock_timeout', '5000')", "takes exactly (name, value, true)"),
    ("SELECT set_config('row_security', 'on', true)", "may not set row_security to on"),
    ("SELECT set_config('transaction_read_only', 'off', true)", "transaction_read_only to off"),
    ("SELECT set_config('lock_timeout', '0', true)", "may not set lock_timeout to 0"),
    ("SELECT set_config('statement_timeout', '-1', true)", "statement_timeout to -1"),
    ("SELECT set_config('lock_timeout', %s, true)", "lock_timeout to a non-literal"),
    ("SELECT set_config('intervalstyle', 'iso_8601', true)", "intervalstyle to iso_8601"),
    ("SELECT set_config('extra_float_digits', '0', true)", "extra_float_digits to 0"),
    ("SELECT set_config('search_path', 'evil', true)", "may not set search_path to evil"),
    (
        "SELECT set_config('search_path', 'evil, pg_catalog', true)",
        "may not set search_path to evil, pg_catalog",
    ),
    ("SELECT set_config('session_replication_role', 'origin', true)", "may only set"),
    ("SELECT set_config('role', 'postgres', true)", "function set_config() may only set"),
    ("SELECT set_config('Row_Security', 'off', true)", "function set_config() may only set"),
    ("SELECT set_config(%s, 'off', true)", "function set_config() may only set"),
    ("SELECT public.set_config('row_security', 'off', true)", "function public.set_config()"),
    (
        "SELECT set_config('row_security', 'off', true) FROM ONLY public.services",
        "SELECT of set_config() calls alone",
    ),
    ("SELECT 1, set_config('row_security', 'off', true)", "SELECT of set_config() calls alone"),
    (
        "SELECT lower(set_config('row_security', 'off', true))",
        "SELECT of set_config() calls alone",
    ),
    (
        'SELECT "id" FROM ONLY "public"."services" WHERE'
        " set_config('row_security', 'off', true) = 'off'",
        "SELECT of set_config() calls alone",
    ),
    (
        "UPDATE ONLY public.services SET name = set_config('row_security', 'off', true) WHERE true",
        "SELECT of set_config() calls alone",
    ),
    ("SET LOCAL transaction_read_only = off", "may only be turned on"),
    ("SET LOCAL row_security = on", "SET row_security is not allowed"),
    ("SET LOCAL row_security = off", "SET row_security is not allowed"),
    ("SELECT current_setting('role')", "current_setting() may only read"),
]


@pytest.mark.parametrize("statement", TRANSACTION_SETTINGS)
def test_transaction_settings_pass_every_policy(statement: str) -> None:
    """A transaction's own settings and their read-back pass the read-only and apply policies."""
    check(statement, READ_ONLY)
    check(statement, APPLY)


@pytest.mark.parametrize(("statement", "reason"), SETTINGS_NEAR_MISSES)
def test_settings_near_misses_are_refused(statement: str, reason: str) -> None:
    """A set_config that is not local, weakens a guarantee, names another setting, takes a
    parameter, or sits in any other statement is refused, as is a SET LOCAL that weakens."""
    with pytest.raises(GuardError) as refused:
        check(statement, APPLY)
    assert reason in refused.value.message
