"""Every entry of every allow and deny list of the statement guard, exercised both ways: each
allowed entry is accepted in a minimal statement, and a statement one step outside the list
is refused with exactly its reason.

The cases are written out here rather than read from the lists, so that an entry dropped
from a list fails its case; `test_*_covers_every_entry` fail when a list gains an entry that
has no case yet. Allowed statements write `ONLY` before every non-catalog table they read,
update or lock, as the engine does.
"""

from __future__ import annotations

import pytest
from pglast import ast, parse_sql

from refsync import guard, guard_nodes, guard_relations, guard_tree
from refsync.guard import check
from tests.fixtures.guard_policies import APPLY, READ_ONLY, refusal

# --- functions ------------------------------------------------------------------------------

#: A minimal statement calling each allowed function, unqualified.
FUNCTION_CALLS = {
    "now": "SELECT now()",
    "jsonb_populate_recordset": 'SELECT v."id" FROM jsonb_populate_recordset('
    'NULL::"public"."services", %s::jsonb) AS v',
    "jsonb_populate_record": 'SELECT v."id" FROM jsonb_populate_record('
    'NULL::"public"."services", %s::jsonb) AS v',
    "jsonb_array_elements": "SELECT jsonb_array_elements(%s::jsonb)",
    "jsonb_to_recordset": "SELECT r.a FROM jsonb_to_recordset(%s::jsonb) AS r(a int)",
    "unnest": "SELECT unnest(%s::text[])",
    "count": "SELECT count(*) FROM pg_catalog.pg_class",
    # COALESCE(...) parses to CoalesceExpr; only a quoted name is a call of this entry.
    "coalesce": 'SELECT "coalesce"(%s, %s)',
    "array_agg": "SELECT array_agg(c.oid) FROM pg_catalog.pg_class c",
    "json_agg": "SELECT json_agg(c.oid) FROM pg_catalog.pg_class c",
    "jsonb_agg": "SELECT jsonb_agg(c.oid) FROM pg_catalog.pg_class c",
    "format_type": "SELECT format_type(%s, %s)",
    "pg_get_expr": "SELECT pg_get_expr(d.adbin, d.adrelid) FROM pg_catalog.pg_attrdef d",
    "pg_get_serial_sequence": "SELECT pg_get_serial_sequence(%s, %s)",
    "pg_try_advisory_xact_lock": "SELECT pg_try_advisory_xact_lock(%s)",
    "current_database": "SELECT current_database()",
    "current_user": 'SELECT "current_user"()',
    "current_setting": "SELECT current_setting('server_version_num')",
    "pg_control_system": "SELECT system_identifier FROM pg_control_system()",
    "has_table_privilege": "SELECT has_table_privilege(%s, %s)",
    "has_column_privilege": "SELECT has_column_privilege(%s, %s, %s)",
    "has_schema_privilege": "SELECT has_schema_privilege(%s, %s)",
    "has_sequence_privilege": "SELECT has_sequence_privilege(%s, %s)",
    "has_database_privilege": "SELECT has_database_privilege(%s, %s)",
    "pg_has_role": "SELECT pg_has_role(%s, %s)",
    "lower": "SELECT lower(%s)",
    "upper": "SELECT upper(%s)",
    "array_length": "SELECT array_length(%s::int[], 1)",
    "cardinality": "SELECT cardinality(%s::int[])",
    "row_number": "SELECT row_number() OVER (ORDER BY c.oid) FROM pg_catalog.pg_class c",
    "string_agg": "SELECT string_agg(c.relname, ',') FROM pg_catalog.pg_class c",
    "md5": "SELECT md5(%s)",
    "octet_length": "SELECT octet_length(%s::text)",
    "hashtextextended": 'SELECT hashtextextended(%s::text COLLATE "C", 0)',
    "concat": "SELECT concat(%s::numeric)",
    "pg_relation_size": "SELECT pg_relation_size(c.oid) FROM pg_catalog.pg_class c",
    "to_jsonb": "SELECT to_jsonb(%s::text)",
    "jsonb_build_object": "SELECT jsonb_build_object('k', %s::text)",
    "jsonb_object_agg": "SELECT jsonb_object_agg(c.relname, c.oid) FROM pg_catalog.pg_class c",
    "quote_ident": "SELECT quote_ident(%s)",
    "version": "SELECT version()",
    "inet_server_addr": "SELECT inet_server_addr()",
    "inet_server_port": "SELECT inet_server_port()",
    # Only as LOCAL_SETTINGS allows (see below), in a SELECT of set_config calls alone.
    "set_config": "SELECT set_config('lock_timeout', '5000', true)",
}

#: Functions one step outside the list: each reads files, sleeps, takes session locks,
#: changes sequences or reaches other servers.
DENIED_FUNCTIONS = [
    "pg_sleep",
    "pg_read_file",
    "pg_ls_dir",
    "nextval",
    "setval",
    "pg_advisory_lock",
    "dblink",
    "lo_import",
    "pg_terminate_backend",
    "query_to_xml",
]


def _qualify(statement: str, function: str, schema: str) -> str:
    call = f'"{function}"(' if f'"{function}"(' in statement else f"{function}("
    assert call in statement
    return statement.replace(call, f"{schema}.{call}", 1)


def test_function_cases_covers_every_entry() -> None:
    """Each allowed function has a case."""
    assert set(FUNCTION_CALLS) == guard_nodes.ALLOWED_FUNCTIONS


@pytest.mark.parametrize("function", sorted(FUNCTION_CALLS))
def test_allowed_function_is_accepted(function: str) -> None:
    """An allowed function may be called unqualified or in pg_catalog."""
    check(FUNCTION_CALLS[function], READ_ONLY)
    check(_qualify(FUNCTION_CALLS[function], function, "pg_catalog"), READ_ONLY)


@pytest.mark.parametrize("function", sorted(FUNCTION_CALLS))
def test_allowed_function_in_another_schema_is_refused(function: str) -> None:
    """The same name in another schema (where anyone could create it) is another function."""
    statement = _qualify(FUNCTION_CALLS[function], function, "public")
    assert refusal(statement) == f"function public.{function}() is not on the allowlist"


@pytest.mark.parametrize("function", DENIED_FUNCTIONS)
def test_unlisted_function_is_refused(function: str) -> None:
    """A function off the list is refused, qualified or not."""
    assert refusal(f"SELECT {function}(%s)") == f"function {function}() is not on the allowlist"
    assert (
        refusal(f"SELECT pg_catalog.{function}(%s)")
        == f"function pg_catalog.{function}() is not on the allowlist"
    )


def test_function_name_with_a_database_part_is_refused() -> None:
    """`db.pg_catalog.now()` has three name parts: not the function on the list."""
    assert refusal("SELECT db.pg_catalog.now()") == (
        "function db.pg_catalog.now() is not on the allowlist"
    )


# --- settings current_setting() may read ----------------------------------------------------

READABLE = [
    "extra_float_digits",
    "idle_in_transaction_session_timeout",
    "intervalstyle",
    "lock_timeout",
    "row_security",
    "search_path",
    "server_encoding",
    "server_version_num",
    "session_replication_role",
    "statement_timeout",
    "transaction_isolation",
    "transaction_read_only",
]
#: Settings one step outside: file paths, the role, an application's own setting.
NOT_READABLE = ["data_directory", "hba_file", "config_file", "role", "app.secret"]
READABLE_REASON = "current_setting() may only read: " + ", ".join(READABLE)


def test_readable_setting_cases_covers_every_entry() -> None:
    """Each readable setting has a case."""
    assert set(READABLE) == guard_nodes.READABLE_SETTINGS


@pytest.mark.parametrize("setting", READABLE)
def test_readable_setting_is_accepted(setting: str) -> None:
    """current_setting() may read a listed setting."""
    check(f"SELECT current_setting('{setting}')", READ_ONLY)


@pytest.mark.parametrize(
    "argument",
    [*(f"'{s}'" for s in NOT_READABLE), "'LOCK_TIMEOUT'", "%s", "1", ""],
)
def test_other_setting_is_not_readable(argument: str) -> None:
    """Another setting, a parameter, a number or nothing: current_setting() is refused."""
    assert refusal(f"SELECT current_setting({argument})") == READABLE_REASON


# --- settings a transaction may give itself (set_config) -------------------------------------

#: Timeout values at the edges of what set_config may set: 1 ms, what refsync sends, and the
#: largest PostgreSQL takes (ten digits); then one step outside: off, signed, eleven digits,
#: zero-padded, with a unit, a fraction or blanks.
TIMEOUT_ON = ["1", "5000", "120000", "2147483647"]
TIMEOUT_OFF = ["0", "00", "01", "-1", "+1", "10000000000", "5s", "1.5", " 5000", "5000 "]

#: Each setting set_config(name, value, true) may set: the values it takes, and values one
#: step outside, each refused (a weaker guarantee, another text format, a schema of the
#: user's ahead of or after pg_catalog).
LOCAL_SETTINGS: dict[str, tuple[list[str], list[str]]] = {
    "lock_timeout": (TIMEOUT_ON, TIMEOUT_OFF),
    "statement_timeout": (TIMEOUT_ON, TIMEOUT_OFF),
    "idle_in_transaction_session_timeout": (TIMEOUT_ON, TIMEOUT_OFF),
    "transaction_read_only": (["on", "true"], ["off", "false", "0", "no", "onn", "on,off"]),
    "row_security": (["off"], ["on", "true", "force", "of"]),
    "intervalstyle": (["postgres"], ["iso_8601", "sql_standard", "postgres_verbose"]),
    "extra_float_digits": (["1"], ["0", "-1", "-15", "10", "3"]),
    "search_path": (
        ["pg_catalog"],
        ["public", "evil", "evil, pg_catalog", "evil,pg_catalog", "pg_catalog, public",
         "pg_catalog,public", '"$user", public', "pg_catalog "],
    ),
}  # fmt: skip
#: In the order the reason lists them (the guard's order).
LOCAL_NAMES = (
    "lock_timeout, statement_timeout, idle_in_transaction_session_timeout,"
    " transaction_read_only, row_security, intervalstyle, extra_float_digits, search_path"
)
#: Settings one step outside, whatever the value: each would switch off triggers and
#: foreign keys, change the role or make later transactions writable.
NOT_LOCAL = {
    "session_replication_role": "replica",
    "role": "postgres",
    "default_transaction_read_only": "off",
    "Row_Security": "off",
    "row_security ": "off",
}


def test_local_setting_cases_covers_every_entry() -> None:
    """Each setting a transaction may give itself has a case."""
    assert set(LOCAL_SETTINGS) == set(guard_nodes.LOCAL_SETTINGS)


def _set_config(name: str, value: str) -> str:
    return f"SELECT set_config('{name}', '{value}', true)"


@pytest.mark.parametrize(
    ("name", "value"), [(n, v) for n, (ok, _) in LOCAL_SETTINGS.items() for v in ok]
)
def test_local_setting_is_accepted(name: str, value: str) -> None:
    """A listed setting may be set to each value its pattern takes, on either policy."""
    check(_set_config(name, value), READ_ONLY)
    check(_set_config(name, value), APPLY)


@pytest.mark.parametrize(
    ("name", "value"), [(n, v) for n, (_, off) in LOCAL_SETTINGS.items() for v in off]
)
def test_local_setting_value_outside_its_pattern_is_refused(name: str, value: str) -> None:
    """A value the pattern does not match in full is refused, naming the setting and value."""
    assert refusal(_set_config(name, value)) == (
        f"function set_config() may not set {name} to {value}"
    )


@pytest.mark.parametrize("name", list(NOT_LOCAL))
def test_unlisted_local_setting_is_refused(name: str) -> None:
    """Any other setting, in any other spelling, is refused whatever its value."""
    assert refusal(_set_config(name, NOT_LOCAL[name])) == (
        f"function set_config() may only set: {LOCAL_NAMES} (by literal name)"
    )


# --- operators ------------------------------------------------------------------------------

#: A minimal expression using each allowed operator.
OPERATOR_EXPRESSIONS = {
    "=": "%s = %s",
    "<>": "%s <> %s",
    "<": "%s < %s",
    ">": "%s > %s",
    "<=": "%s <= %s",
    ">=": "%s >= %s",
    "+": "%s + %s",
    "-": "%s - %s",
    "*": "%s * %s",
    "/": "%s / %s",
    "%": "%s %% %s",
    "||": "%s || %s",
    "BETWEEN": "%s BETWEEN %s AND %s",
    "NOT BETWEEN": "%s NOT BETWEEN %s AND %s",
    "~~": "%s LIKE %s",
    "!~~": "%s NOT LIKE %s",
    "~~*": "%s ILIKE %s",
    "!~~*": "%s NOT ILIKE %s",
    "@>": "%s::jsonb @> %s::jsonb",
    "<@": "%s::jsonb <@ %s::jsonb",
    "&&": "%s::int[] && %s::int[]",
    "->": "%s::jsonb -> %s",
    "->>": "%s::jsonb ->> %s",
    "#>": "%s::jsonb #> %s::text[]",
    "#>>": "%s::jsonb #>> %s::text[]",
    "?": "%s::jsonb ? %s",
    "?|": "%s::jsonb ?| %s::text[]",
    "?&": "%s::jsonb ?& %s::text[]",
    "#": "%s::int8 # %s::int8",
}

#: Operators one step outside: regular expressions, text search, a user-defined one.
DENIED_OPERATORS = ["~", "!~", "~*", "!~*", "@@", "===", "##", "<->"]


def test_operator_cases_covers_every_entry() -> None:
    """Each allowed operator has a case."""
    assert set(OPERATOR_EXPRESSIONS) == guard_nodes.ALLOWED_OPERATORS


@pytest.mark.parametrize("operator", sorted(OPERATOR_EXPRESSIONS))
def test_allowed_operator_is_accepted(operator: str) -> None:
    """An allowed operator may be used."""
    check(f"SELECT {OPERATOR_EXPRESSIONS[operator]}", READ_ONLY)


@pytest.mark.parametrize(
    "operator", [o for o in sorted(OPERATOR_EXPRESSIONS) if "BETWEEN" not in o]
)
def test_operator_is_checked_by_schema_too(operator: str) -> None:
    """OPERATOR(pg_catalog.op) is the built-in operator; OPERATOR(public.op) is anyone's."""
    written = operator.replace("%", "%%")  # psycopg's escape, as for the `%` operator above
    check(f"SELECT %s OPERATOR(pg_catalog.{written}) %s", READ_ONLY)
    assert refusal(f"SELECT %s OPERATOR(public.{written}) %s") == (
        f"operator public.{operator} is not on the allowlist"
    )


@pytest.mark.parametrize("operator", DENIED_OPERATORS)
def test_unlisted_operator_is_refused(operator: str) -> None:
    """An operator off the list is refused, in pg_catalog too."""
    assert refusal(f"SELECT %s {operator} %s") == f"operator {operator} is not on the allowlist"
    assert refusal(f"SELECT %s OPERATOR(pg_catalog.{operator}) %s") == (
        f"operator pg_catalog.{operator} is not on the allowlist"
    )


def test_similar_to_is_a_regular_expression() -> None:
    """SIMILAR TO is the `~` operator underneath, so it is refused."""
    assert refusal("SELECT %s SIMILAR TO %s") == "operator ~ is not on the allowlist"


# --- catalog relations ----------------------------------------------------------------------

HIDDEN = [
    "pg_authid",
    "pg_file_settings",
    "pg_hba_file_rules",
    "pg_ident_file_mappings",
    "pg_largeobject",
    "pg_shadow",
    "pg_stat_activity",
    "pg_statistic",
    "pg_statistic_ext_data",
    "pg_stats",
    "pg_stats_ext",
    "pg_stats_ext_exprs",
    "pg_user_mapping",
    "pg_user_mappings",
]
#: The catalog relations refsync itself reads: one step inside the denylist's edge.
READ_BY_REFSYNC = [
    ("pg_catalog", "pg_attribute"),
    ("pg_catalog", "pg_class"),
    ("pg_catalog", "pg_constraint"),
    ("pg_catalog", "pg_database"),
    ("pg_catalog", "pg_enum"),
    ("pg_catalog", "pg_namespace"),
    ("pg_catalog", "pg_roles"),
    ("pg_catalog", "pg_type"),
    ("information_schema", "columns"),
]


def test_hidden_catalog_cases_covers_every_entry() -> None:
    """Each hidden catalog relation has a case."""
    assert set(HIDDEN) == guard_relations.HIDDEN_CATALOG


@pytest.mark.parametrize("schema", ["pg_catalog", "information_schema"])
@pytest.mark.parametrize("relation", HIDDEN)
def test_hidden_catalog_relation_is_refused(schema: str, relation: str) -> None:
    """A catalog relation that holds row values or secrets is never read."""
    assert refusal(f"SELECT 1 FROM {schema}.{relation}", READ_ONLY) == (
        f"catalog relation {schema}.{relation} exposes row values or secrets"
    )


@pytest.mark.parametrize(("schema", "relation"), READ_BY_REFSYNC)
def test_catalog_relations_refsync_reads_are_readable(schema: str, relation: str) -> None:
    """The catalog refsync reads stays readable without being in the policy."""
    check(f"SELECT 1 FROM {schema}.{relation}", READ_ONLY)


def test_catalog_schemas_covers_every_entry() -> None:
    """Both catalog schemas have a case (the two above)."""
    assert {schema for schema, _ in READ_BY_REFSYNC} == guard_relations.CATALOG_SCHEMAS


@pytest.mark.parametrize(
    ("statement", "reason"),
    [
        (
            "SELECT chunk_data FROM ONLY pg_toast.pg_toast_2619",
            "relation pg_toast.pg_toast_2619 is not in the policy",
        ),
        ('SELECT "id" FROM ONLY "public"."users"', "relation public.users is not in the policy"),
        ("SELECT 1 FROM ONLY pg_temp.t", "relation pg_temp.t is not in the policy"),
    ],
)
def test_other_schemas_are_not_catalog(statement: str, reason: str) -> None:
    """Only pg_catalog and information_schema are read without being in the policy."""
    assert refusal(statement, READ_ONLY) == reason


# --- node kinds -----------------------------------------------------------------------------

#: A minimal accepted statement in which each allowed node kind occurs.
NODE_STATEMENTS: dict[type[ast.Node], str] = {
    ast.SelectStmt: "SELECT 1",
    ast.InsertStmt: 'INSERT INTO "public"."services" ("id") VALUES (%s)',
    ast.UpdateStmt: 'UPDATE ONLY "public"."services" SET "name" = %s WHERE "id" = %s',
    ast.ResTarget: "SELECT 1",
    ast.ColumnRef: 'SELECT "id" FROM ONLY "public"."services"',
    ast.A_Star: 'SELECT * FROM ONLY "public"."services"',
    ast.A_Const: "SELECT 1",
    ast.ParamRef: "SELECT %s",
    ast.A_Expr: "SELECT %s = %s",
    ast.BoolExpr: "SELECT %s AND %s",
    ast.NullTest: "SELECT %s IS NULL",
    ast.BooleanTest: "SELECT %s IS TRUE",
    ast.TypeCast: "SELECT %s::text",
    ast.TypeName: "SELECT %s::text",
    ast.FuncCall: "SELECT now()",
    ast.SQLValueFunction: "SELECT current_user",
    ast.CoalesceExpr: "SELECT coalesce(%s, %s)",
    ast.MinMaxExpr: "SELECT greatest(%s, %s)",
    ast.CaseExpr: "SELECT CASE WHEN %s THEN 1 END",
    ast.CaseWhen: "SELECT CASE WHEN %s THEN 1 END",
    ast.A_ArrayExpr: "SELECT ARRAY[1, 2]",
    ast.A_Indirection: "SELECT (%s::int[])[1]",
    ast.A_Indices: "SELECT (%s::int[])[1]",
    ast.RowExpr: "SELECT ROW(1, 2)",
    ast.MultiAssignRef: 'UPDATE ONLY "public"."services" SET ("name", "description") = (%s, %s)'
    ' WHERE "id" = %s',
    ast.SetToDefault: 'UPDATE ONLY "public"."services" SET "name" = DEFAULT WHERE "id" = %s',
    ast.SubLink: 'SELECT EXISTS (SELECT 1 FROM ONLY "public"."services")',
    ast.SortBy: 'SELECT "id" FROM ONLY "public"."services" ORDER BY "id"',
    ast.WindowDef: "SELECT row_number() OVER () FROM pg_catalog.pg_class",
    ast.CollateClause: 'SELECT %s COLLATE "C"',
    ast.RangeVar: 'SELECT 1 FROM ONLY "public"."services"',
    ast.Alias: 'SELECT s."id" FROM ONLY "public"."services" AS s',
    ast.RangeFunction: "SELECT system_identifier FROM pg_control_system()",
    ast.RangeSubselect: "SELECT x.a FROM (SELECT 1 AS a) AS x",
    ast.JoinExpr: "SELECT 1 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n"
    " ON n.oid = c.relnamespace",
    ast.ColumnDef: "SELECT r.a FROM jsonb_to_recordset(%s::jsonb) AS r(a int)",
    ast.LockingClause: 'SELECT "id" FROM ONLY "public"."services" FOR UPDATE',
    ast.ReturningClause: 'INSERT INTO "public"."services" ("id") VALUES (%s) RETURNING "id"',
    ast.String: "SELECT 'x'",
    ast.Integer: "SELECT 1",
    ast.Float: "SELECT 1.5",
    ast.Boolean: "SELECT true",
    ast.BitString: "SELECT B'101'",
}

#: Node kinds one step outside, each refused as not allowed.
DENIED_NODES: dict[type[ast.Node], str] = {
    ast.XmlExpr: "SELECT xmlelement(name a)",
    ast.RangeTableSample: "SELECT 1 FROM pg_catalog.pg_class TABLESAMPLE SYSTEM (1)",
    ast.CurrentOfExpr: 'UPDATE ONLY "public"."services" SET "name" = %s WHERE CURRENT OF c',
    ast.RangeTableFunc: "SELECT t.a FROM XMLTABLE('/r' PASSING %s COLUMNS a int) AS t",
    ast.GroupingSet: "SELECT 1 FROM pg_catalog.pg_class GROUP BY ROLLUP (relname)",
    ast.ReturningOption: 'INSERT INTO "public"."services" ("id") VALUES (%s)'
    ' RETURNING WITH (OLD AS o) o."id"',
}


def _kinds(statement: str) -> set[type[ast.Node]]:
    params = iter(range(1, 100))
    text = statement.replace("%%", "%")
    while "%s" in text:
        text = text.replace("%s", f"${next(params)}", 1)
    return {type(node) for node in guard_tree.walk(parse_sql(text)[0].stmt)}


def test_node_cases_covers_every_entry() -> None:
    """Each allowed node kind has a case."""
    assert set(NODE_STATEMENTS) == set(guard_nodes.ALLOWED_NODES)


@pytest.mark.parametrize("kind", list(NODE_STATEMENTS), ids=lambda k: k.__name__)
def test_allowed_node_kind_is_accepted(kind: type[ast.Node]) -> None:
    """A statement holding the node kind (it does) is accepted."""
    statement = NODE_STATEMENTS[kind]
    assert kind in _kinds(statement)
    check(statement, APPLY)


@pytest.mark.parametrize("kind", list(DENIED_NODES), ids=lambda k: k.__name__)
def test_unlisted_node_kind_is_refused(kind: type[ast.Node]) -> None:
    """A node kind off the list is refused by name."""
    statement = DENIED_NODES[kind]
    assert kind in _kinds(statement)
    assert refusal(statement) == f"{kind.__name__} is not allowed in a statement"


SPECIFIC = {
    ast.WithClause: (
        'WITH s AS (SELECT "id" FROM ONLY "public"."services") SELECT s."id" FROM s',
        "WITH clauses are not allowed (a CTE can hide a DELETE)",
    ),
    ast.IntoClause: (
        'SELECT "id" INTO "public"."copy" FROM ONLY "public"."services"',
        "SELECT ... INTO creates a table",
    ),
    ast.OnConflictClause: (
        'INSERT INTO "public"."services" ("id") VALUES (%s) ON CONFLICT DO NOTHING',
        "ON CONFLICT is not allowed (inserts must fail loudly on a clash)",
    ),
}


def test_specific_refusal_cases_covers_every_entry() -> None:
    """Each node kind with its own refusal has a case."""
    assert set(SPECIFIC) == set(guard_nodes.SPECIFIC_REFUSALS)


@pytest.mark.parametrize("kind", list(SPECIFIC), ids=lambda k: k.__name__)
def test_specific_refusal_says_why(kind: type[ast.Node]) -> None:
    """WITH, SELECT INTO and ON CONFLICT are refused with their own reason."""
    statement, reason = SPECIFIC[kind]
    assert kind in _kinds(statement)
    assert refusal(statement) == reason


# --- session settings -----------------------------------------------------------------------

#: A minimal SET of each setting that may be set (string values: see READ_ONLY below).
SET_STATEMENTS = {
    "lock_timeout": "SET LOCAL lock_timeout = '5s'",
    "statement_timeout": "SET statement_timeout = '30s'",
    "idle_in_transaction_session_timeout": "SET idle_in_transaction_session_timeout = '1min'",
    "application_name": "SET application_name = 'refsync'",
    "timezone": "SET TIME ZONE 'UTC'",
}
#: Settings one step outside: each would switch off a guarantee or redirect names.
NOT_SETTABLE = {
    "session_replication_role": "SET session_replication_role = replica",
    "row_security": "SET row_security = off",
    "search_path": "SET search_path = evil",
    "role": "SET ROLE postgres",
    "session_authorization": "SET SESSION AUTHORIZATION postgres",
    "client_encoding": "SET NAMES 'utf8'",
    "work_mem": "SET work_mem = '1GB'",
}


def test_settable_cases_covers_every_entry() -> None:
    """Each settable setting has a case."""
    assert set(SET_STATEMENTS) == guard.SETTABLE


@pytest.mark.parametrize("setting", list(SET_STATEMENTS))
def test_settable_setting_is_accepted(setting: str) -> None:
    """A listed setting may be SET to a literal, on a read-only connection too."""
    check(SET_STATEMENTS[setting], READ_ONLY)
    check(f"SET {setting} = 'x'", READ_ONLY)


@pytest.mark.parametrize("setting", list(NOT_SETTABLE))
def test_other_setting_is_refused(setting: str) -> None:
    """Any other setting is refused by name."""
    assert refusal(NOT_SETTABLE[setting]) == f"SET {setting} is not allowed"


READ_ONLY_SETTINGS = ["transaction_read_only", "default_transaction_read_only"]
#: The words taken for true (as written after `=`, they reach the guard as strings).
TRUE_WORDS = ["on", "true", "yes", "'1'"]
#: ... in any case, and a non-zero integer; then what is false or not a boolean at all.
TRUE_VALUES = [*TRUE_WORDS, "ON", "'True'", "1", "2"]
FALSE_VALUES = ["off", "false", "no", "'0'", "0", "''", "'of'", "'tru'", "0.5"]


def test_read_only_setting_cases_covers_every_entry() -> None:
    """Each read-only switch has a case."""
    assert set(READ_ONLY_SETTINGS) == guard.READ_ONLY_SETTINGS


def test_true_words_covers_every_entry() -> None:
    """Each word taken for true has a case."""
    assert {word.strip("'") for word in TRUE_WORDS} == guard.TRUE_WORDS


@pytest.mark.parametrize("value", TRUE_VALUES)
@pytest.mark.parametrize("setting", READ_ONLY_SETTINGS)
def test_read_only_may_be_turned_on(setting: str, value: str) -> None:
    """A read-only switch may be SET to any spelling of true."""
    check(f"SET {setting} = {value}", READ_ONLY)


@pytest.mark.parametrize("value", FALSE_VALUES)
@pytest.mark.parametrize("setting", READ_ONLY_SETTINGS)
def test_read_only_may_not_be_turned_off(setting: str, value: str) -> None:
    """A read-only switch may never be SET to anything but true."""
    assert refusal(f"SET {setting} = {value}") == f"{setting} may only be turned on"


#: Each transaction option, as BEGIN and SET TRANSACTION take it.
TRANSACTION_OPTIONS = {
    "transaction_isolation": "ISOLATION LEVEL READ COMMITTED",
    "transaction_read_only": "READ ONLY",
    "transaction_deferrable": "DEFERRABLE",
}


def test_transaction_option_cases_covers_every_entry() -> None:
    """Each transaction option has a case."""
    assert set(TRANSACTION_OPTIONS) == guard.TRANSACTION_OPTIONS


@pytest.mark.parametrize("option", list(TRANSACTION_OPTIONS))
def test_transaction_option_is_accepted(option: str) -> None:
    """BEGIN, START TRANSACTION and SET TRANSACTION take each option."""
    words = TRANSACTION_OPTIONS[option]
    for statement in (f"BEGIN {words}", f"START TRANSACTION {words}", f"SET TRANSACTION {words}"):
        check(statement, READ_ONLY)


@pytest.mark.parametrize("statement", ["BEGIN READ WRITE", "START TRANSACTION READ WRITE"])
def test_a_transaction_may_begin_read_write(statement: str) -> None:
    """BEGIN may open a writable transaction where the policy may write: the apply needs
    one (a read-only policy refuses it: test_guard_rules)."""
    check(statement, APPLY)


@pytest.mark.parametrize(
    "statement",
    [
        "SET TRANSACTION READ WRITE",
        "SET TRANSACTION ISOLATION LEVEL SERIALIZABLE, READ WRITE",
        "SET TRANSACTION READ ONLY, READ WRITE",
    ],
)
def test_set_transaction_may_not_make_it_writable(statement: str) -> None:
    """SET TRANSACTION inside a read-only transaction may not turn it writable."""
    assert refusal(statement, READ_ONLY) == "SET TRANSACTION may only make a transaction READ ONLY"
