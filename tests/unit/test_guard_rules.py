"""The statement guard's rules, each with its exact refusal reason and an accepted neighbour:
statement kinds, placeholders, transaction control, SET forms, relations, writes, row locks,
type casts and business-table reads.

Allowed statements write `ONLY` before every non-catalog table they read, update or lock,
as the engine does; refused ones break exactly one rule.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from refsync.errors import GuardError
from refsync.guard import Policy, check
from tests.fixtures.guard_policies import (
    APPLY,
    BOOKINGS,
    CATEGORIES,
    METADATA,
    READ_ONLY,
    SERVICES,
    refusal,
)

# --- the error ------------------------------------------------------------------------------


def test_error_quotes_the_statement_then_the_reason() -> None:
    """The message is the statement, whitespace collapsed, then the reason; the fix says it
    is a refsync bug."""
    with pytest.raises(GuardError) as refused:
        check("TRUNCATE\n   public.services", APPLY)
    error = refused.value
    assert error.reason == "TruncateStmt statements are not allowed"
    assert error.message == (
        "statement guard refused 'TRUNCATE public.services': "
        "TruncateStmt statements are not allowed"
    )
    assert error.fix == (
        "this is a refsync bug; nothing was sent to the database, please report it"
    )
    assert error.exit_code == 1


def test_error_shortens_a_long_statement() -> None:
    """A statement longer than 120 characters is quoted as its first 117 and `...`."""
    statement = "DELETE FROM public.services WHERE " + " OR ".join(["id = 'x'"] * 20)
    with pytest.raises(GuardError) as refused:
        check(statement, APPLY)
    assert refused.value.message == (
        f"statement guard refused {statement[:117] + '...'!r}: "
        "DeleteStmt statements are not allowed"
    )
    exact = "DELETE FROM public.services WHERE " + "x" * 86
    assert len(exact) == 120
    with pytest.raises(GuardError) as refused:
        check(exact, APPLY)
    assert refused.value.message.startswith(f"statement guard refused {exact!r}: ")
    longer = exact + "y"
    with pytest.raises(GuardError) as refused:
        check(longer, APPLY)
    assert refused.value.message.startswith(f"statement guard refused {exact[:117] + '...'!r}: ")


# --- statements -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("statement", "reason"),
    [
        ("SELECT 1; SELECT 2", "exactly one statement is allowed, got 2"),
        ("", "exactly one statement is allowed, got 0"),
        (";", "exactly one statement is allowed, got 0"),
        ("SELEC 1", 'it does not parse (syntax error at or near "SELEC", at index 0)'),
        ("DELETE FROM public.services WHERE false", "DeleteStmt statements are not allowed"),
        ("TRUNCATE public.services", "TruncateStmt statements are not allowed"),
        ("MERGE INTO public.services t USING public.x s ON true WHEN MATCHED THEN DELETE",
         "MergeStmt statements are not allowed"),
        ("SET CONSTRAINTS ALL DEFERRED", "ConstraintsSetStmt statements are not allowed"),
    ],
)  # fmt: skip
def test_statement_kind(statement: str, reason: str) -> None:
    """One SELECT, INSERT, UPDATE, SET or transaction command per call, nothing else."""
    assert refusal(statement) == reason


@pytest.mark.parametrize(
    ("statement", "found"),
    [
        ("SELECT %(name)s", "%("),
        ("SELECT %d", "%d"),
        ("SELECT 1 %", "%"),
        ("SELECT 1 %\n", "%\n"),
        ("SELECT %s, %b", "%b"),
    ],
)
def test_only_positional_placeholders(statement: str, found: str) -> None:
    """psycopg's %s and %% are the only % sequences a statement may hold."""
    assert refusal(statement) == f"only %s placeholders are allowed, found {found!r}"


def test_placeholders_become_numbered_parameters() -> None:
    """Each %s is a parameter and %% a literal %, so the statement parses as the server's."""
    check("SELECT %s %% %s, %s::text LIKE 'a%%'", READ_ONLY)
    check('SELECT "id" FROM ONLY "public"."services" WHERE "id" IN (%s, %s, %s)', READ_ONLY)


# --- transaction control --------------------------------------------------------------------


@pytest.mark.parametrize(
    "statement",
    ["BEGIN", "START TRANSACTION", "COMMIT", "ROLLBACK", "END", "ABORT", "COMMIT AND CHAIN"],
)
def test_transaction_commands_are_accepted(statement: str) -> None:
    """Begin, commit and roll back, on either policy."""
    check(statement, READ_ONLY)
    check(statement, APPLY)


@pytest.mark.parametrize(
    ("statement", "kind"),
    [
        ("SAVEPOINT a", "TRANS_STMT_SAVEPOINT"),
        ("RELEASE SAVEPOINT a", "TRANS_STMT_RELEASE"),
        ("ROLLBACK TO SAVEPOINT a", "TRANS_STMT_ROLLBACK_TO"),
        ("PREPARE TRANSACTION 'x'", "TRANS_STMT_PREPARE"),
        ("COMMIT PREPARED 'x'", "TRANS_STMT_COMMIT_PREPARED"),
        ("ROLLBACK PREPARED 'x'", "TRANS_STMT_ROLLBACK_PREPARED"),
    ],
)
def test_other_transaction_commands_are_refused(statement: str, kind: str) -> None:
    """Savepoints and two-phase commit are refused by name."""
    assert refusal(statement) == f"transaction command {kind} is not allowed"


#: What psycopg sends to open a transaction (`Connection._get_tx_start_command`): refsync's
#: read-only connections (dev, dry-run) and its apply connection.
PSYCOPG_READ_ONLY_BEGIN = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"
PSYCOPG_APPLY_BEGIN = "BEGIN ISOLATION LEVEL READ COMMITTED READ WRITE"


@pytest.mark.parametrize(
    "statement",
    [
        PSYCOPG_READ_ONLY_BEGIN,
        "BEGIN ISOLATION LEVEL SERIALIZABLE READ ONLY DEFERRABLE",
        "BEGIN READ ONLY",
        "START TRANSACTION READ ONLY, ISOLATION LEVEL READ COMMITTED",
        "BEGIN ISOLATION LEVEL REPEATABLE READ",
        "START TRANSACTION NOT DEFERRABLE",
    ],
)
def test_a_read_only_connection_begins_read_only_or_as_the_session_says(statement: str) -> None:
    """With nothing writable, a transaction may begin READ ONLY, or with options that leave
    it as the session says (an isolation level, DEFERRABLE), on either policy."""
    check(statement, READ_ONLY)
    check(statement, APPLY)


@pytest.mark.parametrize(
    ("statement", "verb"),
    [
        ("BEGIN READ WRITE", "BEGIN"),
        ("BEGIN TRANSACTION READ WRITE", "BEGIN"),
        ("START TRANSACTION READ WRITE", "START TRANSACTION"),
        (PSYCOPG_APPLY_BEGIN, "BEGIN"),
        ("BEGIN READ ONLY, READ WRITE", "BEGIN"),
        (
            "START TRANSACTION ISOLATION LEVEL SERIALIZABLE, READ WRITE, DEFERRABLE",
            "START TRANSACTION",
        ),
    ],
)
def test_a_read_only_connection_never_begins_read_write(statement: str, verb: str) -> None:
    """With nothing writable (dev, dry-run), BEGIN and START TRANSACTION may not open a
    READ WRITE transaction, whatever else they say; the apply's policy may."""
    assert refusal(statement, READ_ONLY) == (
        f"{verb} may only open a READ ONLY transaction (this connection is read-only)"
    )
    check(statement, APPLY)


def test_set_transaction_read_write_is_refused_on_either_policy() -> None:
    """SET TRANSACTION may never make a transaction writable, not even on the apply's
    connection (which begins READ WRITE, as above)."""
    for policy in (READ_ONLY, APPLY):
        assert refusal("SET TRANSACTION READ WRITE", policy) == (
            "SET TRANSACTION may only make a transaction READ ONLY"
        )


# --- SET forms ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("statement", "reason"),
    [
        ("SET lock_timeout TO DEFAULT", "VAR_SET_DEFAULT of lock_timeout is not allowed"),
        ("SET TIME ZONE LOCAL", "VAR_SET_DEFAULT of timezone is not allowed"),
        ("SET lock_timeout FROM CURRENT", "VAR_SET_CURRENT of lock_timeout is not allowed"),
        ("RESET lock_timeout", "VAR_RESET of lock_timeout is not allowed"),
        ("RESET ALL", "VAR_RESET_ALL of settings is not allowed"),
        (
            "SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY",
            "VAR_SET_MULTI of session characteristics is not allowed",
        ),
        (
            "SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL SERIALIZABLE",
            "VAR_SET_MULTI of session characteristics is not allowed",
        ),
        ("SET TRANSACTION SNAPSHOT 'x'", "VAR_SET_MULTI of transaction snapshot is not allowed"),
    ],
)
def test_only_set_to_a_value(statement: str, reason: str) -> None:
    """SET x = value and SET TRANSACTION are the only SET forms; RESET and session
    characteristics (which outlive the transaction) are refused."""
    assert refusal(statement) == reason + " (only SET x = value)"


@pytest.mark.parametrize(
    ("statement", "name"),
    [
        ("SET lock_timeout = '5s', '6s'", "lock_timeout"),
        ("SET application_name = 'a', 'b'", "application_name"),
        ("SET transaction_read_only = on, off", "transaction_read_only"),
        ("SET TIME ZONE INTERVAL '+00:00' HOUR TO MINUTE", "timezone"),
    ],
)
def test_set_takes_one_literal(statement: str, name: str) -> None:
    """A SET of an allowed setting takes exactly one literal value."""
    assert refusal(statement) == f"SET {name} must be given one literal value"


def test_setting_names_are_case_insensitive() -> None:
    """SET LOCK_TIMEOUT is SET lock_timeout (and SET Search_Path still search_path)."""
    check("SET LOCK_TIMEOUT = '5s'", READ_ONLY)
    assert refusal("SET Search_Path = evil") == "SET search_path is not allowed"


# --- set_config: a transaction's own settings -----------------------------------------------

#: What each transaction sends right after BEGIN (refsync.session.TransactionSettings).
SETTINGS_SELECT = (
    "SELECT pg_catalog.set_config('lock_timeout', '5000', true),"
    " pg_catalog.set_config('search_path', 'pg_catalog', true),"
    " set_config('row_security', 'off', true) AS r"
)
TAKES = "function set_config() takes exactly (name, value, true)"
LOCAL = "function set_config() must be local to the transaction (is_local = true)"
ALONE = "set_config() may only be called in a SELECT of set_config() calls alone"
NON_LITERAL = "function set_config() may not set lock_timeout to a non-literal"
ONLY_SET = (
    "function set_config() may only set: lock_timeout, statement_timeout,"
    " idle_in_transaction_session_timeout, transaction_read_only, row_security,"
    " intervalstyle, extra_float_digits, search_path (by literal name)"
)


def test_a_select_of_set_config_calls_is_accepted() -> None:
    """Several local settings in one SELECT of nothing else, on either policy."""
    check(SETTINGS_SELECT, READ_ONLY)
    check(SETTINGS_SELECT, APPLY)


@pytest.mark.parametrize(
    ("arguments", "reason"),
    [
        ("'lock_timeout', '5000'", TAKES),
        ("'lock_timeout', '5000', true, true", TAKES),
        ("'lock_timeout', '5000', VARIADIC ARRAY[true]", TAKES),
        ("'lock_timeout', '5000', false", LOCAL),
        ("'lock_timeout', '5000', 'true'", LOCAL),
        ("'lock_timeout', '5000', 1", LOCAL),
        ("'lock_timeout', '5000', NULL", LOCAL),
        ("'lock_timeout', '5000', %s", LOCAL),
        ("'lock_timeout', %s, true", NON_LITERAL),
        ("'lock_timeout', NULL, true", NON_LITERAL),
        ("'lock_timeout', '5000'::text, true", NON_LITERAL),
        ("%s, '5000', true", ONLY_SET),
        ("NULL, '5000', true", ONLY_SET),
        ("'lock_' || 'timeout', '5000', true", ONLY_SET),
    ],
)  # fmt: skip
def test_set_config_arguments(arguments: str, reason: str) -> None:
    """A literal name and value, then the literal true: nothing a parameter or an expression
    could turn into another setting, a weaker value, or a session-wide one."""
    assert refusal(f"SELECT set_config({arguments})") == reason


@pytest.mark.parametrize(
    "statement",
    [
        "SELECT set_config('lock_timeout', '5000', true) FROM ONLY public.services",
        "SELECT set_config('lock_timeout', '5000', true) WHERE true",
        "SELECT set_config('lock_timeout', '5000', true) GROUP BY 1",
        "SELECT set_config('lock_timeout', '5000', true) HAVING true",
        "SELECT 1, set_config('lock_timeout', '5000', true)",
        "SELECT set_config('lock_timeout', '5000', true), now()",
        "SELECT lower(set_config('lock_timeout', '5000', true))",
        "SELECT (SELECT set_config('lock_timeout', '5000', true))",
        "SELECT set_config('lock_timeout', '5000', true)"
        " UNION SELECT set_config('lock_timeout', '5000', true)",
        'SELECT "id" FROM ONLY "public"."services"'
        " WHERE set_config('lock_timeout', '5000', true) = '5000'",
        'UPDATE ONLY "public"."services"'
        " SET \"name\" = set_config('lock_timeout', '5000', true) WHERE true",
        'INSERT INTO "public"."services" ("id")'
        " VALUES (set_config('lock_timeout', '5000', true))",
    ],
)
def test_set_config_stands_alone(statement: str) -> None:
    """set_config only as the whole of a SELECT of set_config calls: a filter, a table, a
    union or any other call beside it could run it for some rows, or not at all."""
    assert refusal(statement) == ALONE


# --- relations ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("statement", "reason"),
    [
        ('SELECT "id" FROM ONLY "services"', "relation services is not schema-qualified"),
        ("SELECT relname FROM pg_class", "relation pg_class is not schema-qualified"),
        (
            'SELECT "id" FROM ONLY "otherdb"."public"."services"',
            "relation otherdb.public.services names a database",
        ),
        (
            'SELECT "id" FROM ONLY "Public"."services"',
            "relation Public.services is not in the policy",
        ),
        (
            'SELECT "id" FROM ONLY "public"."Services"',
            "relation public.Services is not in the policy",
        ),
        (
            'SELECT "id" FROM ONLY "public"."services"'
            ' WHERE "id" IN (SELECT "id" FROM ONLY "public"."users")',
            "relation public.users is not in the policy",
        ),
    ],
)  # fmt: skip
def test_relation_rules(statement: str, reason: str) -> None:
    """Every relation is schema-qualified, in this database, and in the policy by exact name."""
    assert refusal(statement, READ_ONLY) == reason


def test_a_relation_may_be_known_by_any_role_in_the_policy() -> None:
    """Readable, writable and column-readable relations all count as known."""
    only_writable = Policy(readable=frozenset(), column_readable={}, writable=frozenset({SERVICES}))
    check('SELECT "id" FROM ONLY "public"."services"', only_writable)
    only_columns = Policy(readable=frozenset(), column_readable={BOOKINGS: frozenset({"x"})})
    check('SELECT b."x" FROM ONLY "public"."bookings" AS b', only_columns)


# --- ONLY: never an inheritance child or partition --------------------------------------


@pytest.mark.parametrize(
    ("statement", "shown"),
    [
        ('SELECT "id" FROM "public"."services"', "public.services"),
        ('SELECT "id" FROM "public"."services" *', "public.services"),
        (
            'SELECT "id" FROM ONLY "public"."services" WHERE "id" IN'
            ' (SELECT "id" FROM "public"."service_categories")',
            "public.service_categories",
        ),
        (
            'SELECT s."id" FROM ONLY "public"."services" AS s'
            ' JOIN "public"."database_metadata" AS m ON true',
            "public.database_metadata",
        ),
        ('SELECT "id" FROM "public"."services" FOR UPDATE', "public.services"),
        ('UPDATE "public"."services" SET "name" = %s WHERE "id" = %s', "public.services"),
        (
            'UPDATE ONLY "public"."services" AS t SET "name" = c."name"'
            ' FROM "public"."service_categories" AS c WHERE t."id" = c."id"',
            "public.service_categories",
        ),
        (
            'INSERT INTO "public"."services" ("id") SELECT c."id"'
            ' FROM "public"."service_categories" AS c',
            "public.service_categories",
        ),
        ('SELECT b."serviceId" FROM "public"."bookings" AS b', "public.bookings"),
    ],
)
def test_every_table_is_named_with_only(statement: str, shown: str) -> None:
    """A table a SELECT, UPDATE or row lock names without ONLY would reach its inheritance
    children and partitions too: refused, wherever it stands in the statement."""
    assert refusal(statement) == (
        f"relation {shown} must be named with ONLY (no inheritance children)"
    )


def test_catalog_relations_and_insert_targets_need_no_only() -> None:
    """Catalog relations are read as they are; an INSERT writes its target table alone (and
    cannot be written with ONLY)."""
    check("SELECT c.oid FROM pg_catalog.pg_class AS c", READ_ONLY)
    check("SELECT 1 FROM information_schema.columns", READ_ONLY)
    check('INSERT INTO "public"."services" ("id") VALUES (%s)', APPLY)
    check(
        'INSERT INTO "public"."services" ("id") SELECT c."id"'
        ' FROM ONLY "public"."service_categories" AS c',
        APPLY,
    )


#: Apply, with bookings partitioned: its foreign key covers every partition.
PARTITIONED = Policy(
    readable=APPLY.readable,
    column_readable=APPLY.column_readable,
    writable=APPLY.writable,
    immutable=APPLY.immutable,
    with_children=frozenset({BOOKINGS}),
)


def test_partitioned_business_table_is_read_whole() -> None:
    """A business table with partitions is read without ONLY, on either policy; any other
    table still needs ONLY."""
    statement = (
        'SELECT r."id" FROM ONLY "public"."services" AS r WHERE r."id" = ANY(%s)'
        ' AND r."id" IN (SELECT b."serviceId" FROM "public"."bookings" AS b)'
    )
    check(statement, PARTITIONED)
    check(statement, replace(PARTITIONED, writable=frozenset()))
    check(statement.replace('FROM "public"', 'FROM ONLY "public"'), PARTITIONED)
    assert refusal(statement.replace("FROM ONLY", "FROM"), PARTITIONED) == (
        "relation public.services must be named with ONLY (no inheritance children)"
    )


def test_partitioned_table_is_never_locked_or_written_whole() -> None:
    """Read whole, never locked; and a writable table needs ONLY even when it has partitions
    (a write reaches one table)."""
    assert refusal('SELECT b."serviceId" FROM "public"."bookings" AS b FOR SHARE', PARTITIONED) == (
        "FOR UPDATE/SHARE would lock public.bookings, which is not writable"
    )
    both = replace(PARTITIONED, with_children=frozenset({SERVICES}))
    check('SELECT "id" FROM ONLY "public"."services"', both)
    assert refusal('SELECT "id" FROM "public"."services"', both) == (
        "relation public.services must be named with ONLY (no inheritance children)"
    )
    assert refusal('UPDATE "public"."services" SET "name" = %s WHERE true', both) == (
        "relation public.services must be named with ONLY (no inheritance children)"
    )


# --- writes ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("statement", "reason"),
    [
        (
            'INSERT INTO "public"."bookings" ("serviceId") VALUES (\'x\')',
            "INSERT target public.bookings is not writable",
        ),
        (
            'INSERT INTO "public"."database_metadata" ("id") VALUES (\'x\')',
            "INSERT target public.database_metadata is not writable",
        ),
        (
            'UPDATE ONLY "public"."database_metadata" SET "fingerprint" = \'x\' WHERE true',
            "UPDATE target public.database_metadata is not writable",
        ),
        (
            "UPDATE pg_catalog.pg_class SET relname = 'x' WHERE true",
            "UPDATE target pg_catalog.pg_class is not writable",
        ),
        (
            'UPDATE ONLY "public"."services" SET "name" = \'x\'',
            "UPDATE of public.services without a WHERE clause",
        ),
        (
            'UPDATE ONLY "public"."services" SET "id" = \'x\' WHERE "id" = \'y\'',
            "UPDATE may not assign public.services.id",
        ),
        (
            'UPDATE ONLY "public"."service_categories" SET ("name", "id") = (\'x\', \'y\')'
            " WHERE true",
            "UPDATE may not assign public.service_categories.id",
        ),
        (
            'UPDATE ONLY "public"."services" SET "name" = %s WHERE "id" IN'
            ' (SELECT "serviceId" FROM ONLY "public"."bookings")',
            "business table public.bookings may only be read by a SELECT",
        ),
        (
            'INSERT INTO "public"."services" ("id")'
            ' SELECT "serviceId" FROM ONLY "public"."bookings"',
            "business table public.bookings may only be read by a SELECT",
        ),
    ],
)
def test_write_rules(statement: str, reason: str) -> None:
    """Writes go to writable relations only, UPDATE has a WHERE and never assigns an
    immutable column, and no write reads a business table."""
    assert refusal(statement) == reason


@pytest.mark.parametrize(
    ("statement", "verb", "target"),
    [
        ('INSERT INTO "public"."services" ("id") VALUES (%s)', "INSERT", "public.services"),
        ('UPDATE ONLY "public"."services" SET "name" = %s WHERE true', "UPDATE", "public.services"),
    ],
)
def test_read_only_connection_says_so(statement: str, verb: str, target: str) -> None:
    """With nothing writable, the reason says the connection is read-only."""
    assert refusal(statement, READ_ONLY) == (
        f"{verb} target {target} is not writable (this connection is read-only)"
    )


def test_accepted_writes() -> None:
    """Inserts and updates of writable tables, assigning mutable columns."""
    check('INSERT INTO "public"."service_categories" ("id", "name") VALUES (%s, %s)', APPLY)
    check('UPDATE ONLY "public"."services" SET "name" = %s, "price" = %s WHERE "id" = %s', APPLY)
    check(
        'UPDATE ONLY "public"."services" AS t SET "name" = v."name"'
        ' FROM jsonb_populate_recordset(NULL::"public"."services", %s::jsonb) AS v'
        ' WHERE t."id" = v."id"',
        APPLY,
    )
    # A table with no immutable columns listed may have any column assigned.
    no_immutable = Policy(
        readable=frozenset(), column_readable={}, writable=frozenset({CATEGORIES})
    )
    check('UPDATE ONLY "public"."service_categories" SET "id" = %s WHERE true', no_immutable)


# --- row locks ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("statement", "locked"),
    [
        ('SELECT "id" FROM ONLY "public"."services" FOR UPDATE', "public.services"),
        ('SELECT "id" FROM ONLY "public"."services" FOR SHARE', "public.services"),
        ('SELECT "id" FROM ONLY "public"."services" FOR KEY SHARE', "public.services"),
    ],
)
def test_read_only_connection_locks_nothing(statement: str, locked: str) -> None:
    """FOR UPDATE/SHARE needs a writable relation; a read-only policy has none."""
    assert refusal(statement, READ_ONLY) == (
        f"FOR UPDATE/SHARE would lock {locked}, which is not writable"
    )


@pytest.mark.parametrize(
    ("statement", "locked"),
    [
        ("SELECT oid FROM pg_catalog.pg_class FOR UPDATE", "pg_catalog.pg_class"),
        (
            'SELECT s."id" FROM ONLY "public"."services" s'
            ' JOIN ONLY "public"."database_metadata" m ON true FOR UPDATE OF s',
            "public.database_metadata",
        ),
        (
            'SELECT "id" FROM ONLY "public"."services" WHERE "id" IN'
            ' (SELECT "id" FROM ONLY "public"."database_metadata" FOR SHARE)',
            "public.database_metadata",
        ),
    ],
)
def test_every_relation_of_a_locking_statement_is_writable(statement: str, locked: str) -> None:
    """Whatever the OF list says, every relation a locking statement mentions is writable."""
    assert refusal(statement) == f"FOR UPDATE/SHARE would lock {locked}, which is not writable"


def test_lock_of_an_alias_is_accepted() -> None:
    """`FOR UPDATE OF s` names an alias, not a relation: it is not checked as one."""
    check(
        'SELECT s."id" FROM ONLY "public"."services" AS s WHERE s."id" = ANY(%s)'
        " FOR NO KEY UPDATE OF s",
        APPLY,
    )


# --- types ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "cast",
    ["%s::text", "%s::int", "%s::pg_catalog.text", "%s::text[]", 'NULL::"public"."services"'],
)
def test_built_in_and_readable_row_types(cast: str) -> None:
    """Unqualified and pg_catalog types, and the row type of a readable table, may be cast to."""
    check(f"SELECT {cast}", READ_ONLY)


def test_row_type_of_a_writable_table() -> None:
    """The row type of a writable table may be cast to, even when it is not readable."""
    policy = Policy(readable=frozenset(), column_readable={}, writable=frozenset({SERVICES}))
    check('SELECT NULL::"public"."services"', policy)


@pytest.mark.parametrize(
    ("cast", "shown"),
    [
        ("%s::public.evil", "public.evil"),
        ('NULL::"public"."bookings"', "public.bookings"),
        ("%s::information_schema.sql_identifier", "information_schema.sql_identifier"),
        ("%s::db.pg_catalog.text", "db.pg_catalog.text"),
        ("%s::public.services.id", "public.services.id"),
    ],
)
def test_other_types_are_refused(cast: str, shown: str) -> None:
    """Any other type could reach a user-defined cast function by its name."""
    assert refusal(f"SELECT {cast}", READ_ONLY) == (
        f"type {shown} is neither built in nor a readable table's row type"
    )


# --- the primary keys' own types and operators ------------------------------------------

#: Apply, with a citext primary key: its type and equality operator live in `public`.
KEYED = replace(
    APPLY,
    key_types=frozenset({("public", "citext")}),
    key_operators=frozenset({("public", "=")}),
)
#: The protection read as the engine writes it for a key of its own type and operator.
PROTECTION = (
    'SELECT r."id" FROM ONLY "public"."services" AS r WHERE r."id" = ANY(%s)'
    ' AND r."id" OPERATOR("public".=) ANY'
    ' (SELECT b."serviceId"::"public"."citext" FROM ONLY "public"."bookings" AS b)'
)


def test_key_type_and_operator_are_allowed_by_the_policy() -> None:
    """The key's own type may be cast to and its own equality operator used, as a quantified
    subquery's operator or a plain one; without them in the policy, both are refused."""
    check(PROTECTION, KEYED)
    check('SELECT %s::"public"."citext" OPERATOR(public.=) %s::public.citext', KEYED)
    assert refusal(PROTECTION, replace(KEYED, key_types=frozenset())) == (
        "type public.citext is neither built in nor a readable table's row type"
    )
    assert refusal(PROTECTION, replace(KEYED, key_operators=frozenset())) == (
        "operator public.= is not on the allowlist"
    )


@pytest.mark.parametrize(
    ("expression", "reason"),
    [
        ("%s OPERATOR(public.<>) %s", "operator public.<> is not on the allowlist"),
        ("%s OPERATOR(other.=) %s", "operator other.= is not on the allowlist"),
        ("%s OPERATOR(public.~) %s", "operator public.~ is not on the allowlist"),
        (
            "%s::other.citext",
            "type other.citext is neither built in nor a readable table's row type",
        ),
        ("%s::public.text", "type public.text is neither built in nor a readable table's row type"),
        (
            "%s::db.public.citext",
            "type db.public.citext is neither built in nor a readable table's row type",
        ),
    ],
)
def test_only_the_keys_own_type_and_operator(expression: str, reason: str) -> None:
    """Another operator or schema than the key's, or another type, stays refused."""
    assert refusal(f"SELECT {expression}", KEYED) == reason


@pytest.mark.parametrize(
    ("operator", "reason"),
    [
        ("OPERATOR(public.=) ANY", "operator public.= is not on the allowlist"),
        ("OPERATOR(pg_catalog.~) ANY", "operator pg_catalog.~ is not on the allowlist"),
        ("~ ANY", "operator ~ is not on the allowlist"),
        ("!~ ALL", "operator !~ is not on the allowlist"),
        ("~ SOME", "operator ~ is not on the allowlist"),
    ],
)
def test_quantified_subquery_operator_is_checked(operator: str, reason: str) -> None:
    """`x op ANY/ALL (SELECT ...)` carries its operator on the subquery: checked as any other."""
    statement = (
        f'SELECT r."id" FROM ONLY "public"."services" AS r WHERE r."name" {operator}'
        ' (SELECT c."name" FROM ONLY "public"."service_categories" AS c)'
    )
    assert refusal(statement) == reason


@pytest.mark.parametrize("operator", ["= ANY", "<> ALL", "OPERATOR(pg_catalog.=) ANY", "IN"])
def test_quantified_subquery_with_a_built_in_operator(operator: str) -> None:
    """Built-in operators (and IN, which names none) are accepted before a subquery."""
    check(
        f'SELECT r."id" FROM ONLY "public"."services" AS r WHERE r."name" {operator}'
        ' (SELECT c."name" FROM ONLY "public"."service_categories" AS c)',
        APPLY,
    )


# --- business tables ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "statement",
    [
        'SELECT DISTINCT b."serviceId" FROM ONLY "public"."bookings" AS b'
        ' WHERE b."serviceId" = ANY(%s)',
        'SELECT b."serviceId", count(*) FROM ONLY "public"."bookings" AS b'
        ' WHERE b."serviceId" = ANY(%s::text[]) GROUP BY b."serviceId"',
        'SELECT b."serviceId" FROM ONLY "public"."bookings" b JOIN pg_catalog.pg_class c ON true',
        # beside reference tables, whose columns are not limited (the engine's protection read)
        'SELECT r."id", r."name" FROM ONLY "public"."services" AS r WHERE r."id" = ANY(%s)'
        ' AND r."id" IN (SELECT b."serviceId" FROM ONLY "public"."bookings" AS b)',
        'SELECT b."serviceId" FROM ONLY "public"."bookings" AS b'
        ' JOIN ONLY "public"."services" AS s ON s."id" = b."serviceId"'
        ' JOIN ONLY "public"."database_metadata" AS m ON m."id" = s."id"',
    ],
)
def test_business_read_of_allowed_columns(statement: str) -> None:
    """A business table's allowed columns may be read by alias, with catalog and reference
    tables beside it, each under an alias of its own."""
    check(statement, READ_ONLY)


ONLY_SERVICE_ID = "(allowed: serviceId)"


@pytest.mark.parametrize(
    ("statement", "reason"),
    [
        (
            'SELECT * FROM ONLY "public"."bookings" AS b',
            "* is never selected in a statement reading business table public.bookings",
        ),
        (
            'SELECT b.* FROM ONLY "public"."bookings" AS b',
            "* is never selected in a statement reading business table public.bookings",
        ),
        (
            'SELECT (ROW(b."serviceId")).* FROM ONLY "public"."bookings" AS b',
            "* is never selected in a statement reading business table public.bookings",
        ),
        (
            'SELECT * FROM ONLY "public"."bookings"',
            "* is never selected in a statement reading business table public.bookings",
        ),
        # a whole row is a one-part column reference
        (
            'SELECT b FROM ONLY "public"."bookings" AS b',
            "column b in a statement reading business table public.bookings"
            " must be written alias.column",
        ),
        (
            'SELECT to_jsonb(b) FROM ONLY "public"."bookings" AS b',
            "column b in a statement reading business table public.bookings"
            " must be written alias.column",
        ),
        (
            'SELECT bookings FROM ONLY "public"."bookings" AS b',
            "column bookings in a statement reading business table public.bookings"
            " must be written alias.column",
        ),
        (
            'SELECT "serviceId" FROM ONLY "public"."bookings" AS b',
            "column serviceId in a statement reading business table public.bookings"
            " must be written alias.column",
        ),
        # the table's name is not an alias, and a three-part name is not alias.column
        (
            'SELECT bookings."serviceId" FROM ONLY "public"."bookings" AS b',
            "column bookings.serviceId in a statement reading business table public.bookings"
            " must be written alias.column",
        ),
        (
            'SELECT public.bookings."serviceId" FROM ONLY "public"."bookings" AS b',
            "column public.bookings.serviceId in a statement reading business table"
            " public.bookings must be written alias.column",
        ),
        (
            'SELECT x."serviceId" FROM ONLY "public"."bookings" AS b',
            "column x.serviceId in a statement reading business table public.bookings"
            " must be written alias.column",
        ),
        (
            'SELECT b."status" FROM ONLY "public"."bookings" AS b',
            f"column status of business table public.bookings is not readable {ONLY_SERVICE_ID}",
        ),
        (
            'SELECT b."serviceId" FROM ONLY "public"."bookings" AS b WHERE b.ctid = %s',
            f"column ctid of business table public.bookings is not readable {ONLY_SERVICE_ID}",
        ),
        (
            'SELECT r."id" FROM ONLY "public"."services" AS r'
            ' WHERE r."id" IN (SELECT b."status" FROM ONLY "public"."bookings" AS b)',
            f"column status of business table public.bookings is not readable {ONLY_SERVICE_ID}",
        ),
        # every relation needs an alias, each its own
        (
            'SELECT "serviceId" FROM ONLY "public"."bookings"',
            "every relation in a statement reading business table public.bookings needs an alias",
        ),
        (
            'SELECT b."serviceId" FROM ONLY "public"."bookings" AS b'
            " JOIN pg_catalog.pg_class ON true",
            "every relation in a statement reading business table public.bookings needs an alias",
        ),
        (
            'SELECT r."id" FROM ONLY "public"."services"'
            ' WHERE "id" IN (SELECT b."serviceId" FROM ONLY "public"."bookings" AS b)',
            "every relation in a statement reading business table public.bookings needs an alias",
        ),
        (
            'SELECT s."id" FROM ONLY "public"."services" AS s'
            ' WHERE s."id" IN (SELECT s."serviceId" FROM ONLY "public"."bookings" AS s)',
            "every relation in a statement reading business table public.bookings needs an alias",
        ),
        (
            'SELECT b."serviceId" FROM ONLY "public"."bookings" AS b("serviceId")',
            "column alias lists could rename columns of business table public.bookings",
        ),
        (
            'SELECT b."serviceId" FROM ONLY "public"."bookings" AS b'
            " NATURAL JOIN pg_catalog.pg_class AS c",
            "NATURAL/USING joins compare hidden columns of business table public.bookings",
        ),
        (
            'SELECT b."serviceId" FROM ONLY "public"."bookings" AS b'
            ' JOIN ONLY "public"."services" AS s USING ("id")',
            "NATURAL/USING joins compare hidden columns of business table public.bookings",
        ),
        (
            'SELECT b."serviceId" FROM ONLY "public"."bookings" AS b,'
            " pg_catalog.unnest(%s::text[]) AS u",
            "a statement reading business table public.bookings reads tables only",
        ),
        (
            'SELECT b."serviceId" FROM ONLY "public"."bookings" AS b, (SELECT 1 AS a) AS x',
            "a statement reading business table public.bookings reads tables only",
        ),
        # one business table, once
        (
            'SELECT b."serviceId" FROM ONLY "public"."bookings" AS b'
            ' JOIN ONLY "public"."provider_services" AS p ON p."serviceId" = b."serviceId"',
            "a statement may read one business table once, found 2",
        ),
        (
            'SELECT b."serviceId" FROM ONLY "public"."bookings" AS b,'
            ' ONLY "public"."bookings" AS c',
            "a statement may read one business table once, found 2",
        ),
    ],
)
def test_business_read_rules(statement: str, reason: str) -> None:
    """Only the allowed columns of one business table, by alias and name, in a plain SELECT."""
    assert refusal(statement, READ_ONLY) == reason


def test_business_read_beside_a_table_that_is_not_readable() -> None:
    """A business table is read beside reference (readable) tables only: a table the policy
    only lets this connection write is no reference table here."""
    policy = Policy(
        readable=frozenset({METADATA}),
        column_readable={BOOKINGS: frozenset({"serviceId"})},
        writable=frozenset({SERVICES}),
    )
    statement = (
        'SELECT s."id" FROM ONLY "public"."services" AS s'
        ' WHERE s."id" IN (SELECT b."serviceId" FROM ONLY "public"."bookings" AS b)'
    )
    beside = (
        "business table public.bookings may be read only beside reference tables,"
        " found also public.services"
    )
    assert refusal(statement, policy) == beside
    check(statement.replace('"services"', '"database_metadata"'), policy)
    # wherever it stands: after the business table, after a catalog relation
    after = (
        'SELECT b."serviceId" FROM ONLY "public"."bookings" AS b'
        ' JOIN ONLY "public"."services" AS s ON s."id" = b."serviceId"'
    )
    assert refusal(after, policy) == beside
    after_catalog = (
        'SELECT b."serviceId" FROM pg_catalog.pg_class AS c, ONLY "public"."services" AS s,'
        ' ONLY "public"."bookings" AS b'
    )
    assert refusal(after_catalog, policy) == beside


def test_allowed_columns_are_listed_sorted() -> None:
    """The reason lists every allowed column, sorted, so the fix is in the message."""
    policy = Policy(
        readable=frozenset({METADATA}),
        column_readable={BOOKINGS: frozenset({"serviceId", "providerId", "bookedAt"})},
    )
    assert refusal('SELECT b."status" FROM ONLY "public"."bookings" AS b', policy) == (
        "column status of business table public.bookings is not readable"
        " (allowed: bookedAt, providerId, serviceId)"
    )
