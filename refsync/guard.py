"""The statement guard: every statement refsync sends is parsed by PostgreSQL's own parser
(pglast) and checked against a `Policy` before it reaches a server.

This module owns SPEC section 1, rules 1 and 2, at the level of single statements: only
SELECT, INSERT and UPDATE on the relations the policy names, a few session settings and
transaction control. It is pure (no database) and fails closed: a node kind, function,
operator or setting it does not know is refused.

Simplifications, all in the strict direction:

- Every relation must be schema-qualified, catalog relations included; `pg_catalog` and
  `information_schema` relations may be read by any statement but never written or locked,
  except a short denylist that exposes row values (pg_stats...) or secrets (pg_authid...).
- Every non-catalog relation a SELECT, UPDATE or row lock names is written with `ONLY`, so
  no statement reaches an inheritance child or partition of a configured table; the one
  exception is a business table with partitions (`Policy.with_children`), which may be read
  whole, never written or locked. (An INSERT names its target without `ONLY`; it writes
  that table alone.)
- A statement that reads a business table (`Policy.column_readable`) must be a plain
  SELECT naming that table once, beside readable (reference) tables only. Every relation in
  it carries an alias of its own, and every column reference is `alias.column`; after the
  business table's alias only its allowed columns may follow. `*`, whole-row references,
  unqualified columns, column alias lists and NATURAL/USING joins are refused, so no
  name-resolution is needed to know which columns of the business table are read.
- A statement with any FOR UPDATE/SHARE clause must only mention writable relations,
  whatever its `OF` list says.
- With nothing writable (dev, dry-run) BEGIN and START TRANSACTION may not say READ WRITE,
  and SET TRANSACTION may never say it.
- Type names in casts must be unqualified, in `pg_catalog`, or the row type of a readable
  or writable relation, so that no user-defined cast function is reached by name.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import NoReturn

from pglast import ast, enums, parse_sql
from pglast.parser import ParseError

from refsync.errors import GuardError
from refsync.model import Relation


@dataclass(frozen=True)
class Policy:
    """What one connection may touch."""

    readable: frozenset[Relation]  # full-row reads: reference + fingerprint tables
    column_readable: Mapping[Relation, frozenset[str]]  # business tables -> the only columns
    writable: frozenset[Relation] = frozenset()  # INSERT/UPDATE/FOR UPDATE (empty = read-only)
    immutable: Mapping[Relation, frozenset[str]] = field(default_factory=dict)  # never SET
    #: business tables read with their partitions (no `ONLY`): read-only, never locked
    with_children: frozenset[Relation] = frozenset()
    #: the primary keys' own types and equality operators outside pg_catalog (`citext`), so
    #: protection can compare as the foreign keys do: `x::public.citext OPERATOR(public.=)`
    key_types: frozenset[tuple[str, str]] = frozenset()
    key_operators: frozenset[tuple[str, str]] = frozenset()


CATALOG_SCHEMAS = frozenset({"pg_catalog", "information_schema"})
# Catalog relations that hold row values (planner statistics, large objects, other sessions'
# query text) or secrets: reading them would bypass the business-table column rule.
HIDDEN_CATALOG = frozenset(
    {"pg_statistic", "pg_stats", "pg_stats_ext", "pg_stats_ext_exprs", "pg_statistic_ext_data"}
    | {"pg_largeobject", "pg_stat_activity", "pg_authid", "pg_shadow", "pg_user_mapping"}
    | {"pg_user_mappings", "pg_hba_file_rules", "pg_ident_file_mappings", "pg_file_settings"}
)

ALLOWED_FUNCTIONS = frozenset(
    {"now", "jsonb_populate_recordset", "jsonb_populate_record", "jsonb_array_elements"}
    | {"jsonb_to_recordset", "unnest", "count", "coalesce", "array_agg", "json_agg"}
    | {"jsonb_agg", "format_type", "pg_get_expr", "pg_get_serial_sequence"}
    | {"pg_try_advisory_xact_lock", "current_database", "current_user", "current_setting"}
    | {"pg_control_system", "has_table_privilege", "has_column_privilege"}
    | {"has_schema_privilege", "has_sequence_privilege"}  # refsync.privileges
    | {"has_database_privilege", "pg_has_role", "lower", "upper", "array_length"}
    | {"cardinality", "row_number", "string_agg", "md5", "to_jsonb", "jsonb_build_object"}
    | {"jsonb_object_agg", "quote_ident", "version", "inet_server_addr", "inet_server_port"}
    | {"set_config"}  # only as LOCAL_SETTINGS allows, in a SELECT of nothing else
)
READABLE_SETTINGS = frozenset(
    {"server_version_num", "transaction_isolation", "lock_timeout", "statement_timeout"}
    | {"server_encoding"}
    # refsync.db reads back what each transaction set (LOCAL_SETTINGS) before reading data.
    | {"idle_in_transaction_session_timeout", "row_security", "transaction_read_only"}
    | {"intervalstyle", "extra_float_digits", "search_path", "session_replication_role"}
)
_POSITIVE_MS = re.compile(r"[1-9][0-9]{0,9}")
#: The settings a transaction may give itself with set_config(name, value, true), each with
#: the values it may take: timeouts that are on, read-only only ever on, row security off
#: (a filtered read is an error, never a partial answer) and the text formats refsync reads.
#: Names and values must be literals, so no parameter can slip a weaker value in.
LOCAL_SETTINGS: Mapping[str, re.Pattern[str]] = {
    "lock_timeout": _POSITIVE_MS,
    "statement_timeout": _POSITIVE_MS,
    "idle_in_transaction_session_timeout": _POSITIVE_MS,
    "transaction_read_only": re.compile("on|true"),
    "row_security": re.compile("off"),
    "intervalstyle": re.compile("postgres"),
    "extra_float_digits": re.compile("1"),
    # Only pg_catalog: no schema of the user's can shadow an operator, function or type.
    "search_path": re.compile("pg_catalog"),
}
ALLOWED_OPERATORS = frozenset(
    {"=", "<>", "<", ">", "<=", ">=", "+", "-", "*", "/", "%", "||", "BETWEEN", "NOT BETWEEN"}
    | {"~~", "!~~", "~~*", "!~~*", "@>", "<@", "&&", "->", "->>", "#>", "#>>", "?", "?|", "?&"}
)
# Node kinds a SELECT/INSERT/UPDATE may contain. WithClause, IntoClause, OnConflictClause
# and everything unlisted (XML, TABLESAMPLE, CURRENT OF, JSON constructors...) are refused.
ALLOWED_NODES: tuple[type[ast.Node], ...] = (
    ast.SelectStmt, ast.InsertStmt, ast.UpdateStmt, ast.ResTarget, ast.ColumnRef,
    ast.A_Star, ast.A_Const, ast.ParamRef, ast.A_Expr, ast.BoolExpr, ast.NullTest,
    ast.BooleanTest, ast.TypeCast, ast.TypeName, ast.FuncCall, ast.SQLValueFunction,
    ast.CoalesceExpr, ast.MinMaxExpr, ast.CaseExpr, ast.CaseWhen, ast.A_ArrayExpr,
    ast.A_Indirection, ast.A_Indices, ast.RowExpr, ast.MultiAssignRef, ast.SetToDefault,
    ast.SubLink, ast.SortBy, ast.WindowDef, ast.CollateClause, ast.RangeVar, ast.Alias,
    ast.RangeFunction, ast.RangeSubselect, ast.JoinExpr, ast.ColumnDef, ast.LockingClause,
    ast.ReturningClause, ast.String, ast.Integer, ast.Float, ast.Boolean, ast.BitString,
)  # fmt: skip
SPECIFIC_REFUSALS: Mapping[type[ast.Node], str] = {
    ast.WithClause: "WITH clauses are not allowed (a CTE can hide a DELETE)",
    ast.IntoClause: "SELECT ... INTO creates a table",
    ast.OnConflictClause: "ON CONFLICT is not allowed (inserts must fail loudly on a clash)",
}
SETTABLE = frozenset(
    {"lock_timeout", "statement_timeout", "idle_in_transaction_session_timeout"}
    | {"application_name", "timezone"}
)
READ_ONLY_SETTINGS = frozenset({"transaction_read_only", "default_transaction_read_only"})
TRANSACTION_OPTIONS = frozenset(
    {"transaction_isolation", "transaction_read_only", "transaction_deferrable"}
)
TRUE_WORDS = frozenset({"on", "true", "yes", "1"})


class _RefusedError(Exception):
    """Internal: carries the reason up to `check`, which adds the statement excerpt."""


def _refuse(reason: str) -> NoReturn:
    raise _RefusedError(reason)


def check(statement: str, policy: Policy) -> None:
    """Raise GuardError (saying what was refused and why) unless the statement is allowed."""
    try:
        _check(statement, policy)
    except _RefusedError as refusal:
        excerpt = " ".join(statement.split())
        excerpt = excerpt if len(excerpt) <= 120 else excerpt[:117] + "..."
        raise GuardError(
            f"statement guard refused {excerpt!r}: {refusal}",
            fix="this is a refsync bug; nothing was sent to the database, please report it",
            reason=str(refusal),
        ) from None


def _check(statement: str, policy: Policy) -> None:
    try:
        parsed = parse_sql(_to_dollar_params(statement))
    except ParseError as exc:
        _refuse(f"it does not parse ({exc})")
    if len(parsed) != 1:
        _refuse(f"exactly one statement is allowed, got {len(parsed)}")
    stmt = parsed[0].stmt
    if isinstance(stmt, ast.TransactionStmt):
        _check_transaction(stmt, policy)
    elif isinstance(stmt, ast.VariableSetStmt):
        _check_set(stmt)
    elif isinstance(stmt, ast.SelectStmt | ast.InsertStmt | ast.UpdateStmt):
        _check_dml(stmt, policy)
    else:
        _refuse(f"{type(stmt).__name__} statements are not allowed")


def _to_dollar_params(statement: str) -> str:
    """Turn psycopg's `%s`/`%%` into what the server receives: `$1, $2...` and `%`."""
    count = 0

    def replace(match: re.Match[str]) -> str:
        nonlocal count
        if match.group() == "%%":
            return "%"
        if match.group() == "%s":
            count += 1
            return f"${count}"
        _refuse(f"only %s placeholders are allowed, found {match.group()!r}")

    return re.sub(r"%.?", replace, statement, flags=re.DOTALL)


def _check_transaction(stmt: ast.TransactionStmt, policy: Policy) -> None:
    kinds = enums.TransactionStmtKind
    allowed = {kinds.TRANS_STMT_BEGIN, kinds.TRANS_STMT_START}
    if stmt.kind not in allowed | {kinds.TRANS_STMT_COMMIT, kinds.TRANS_STMT_ROLLBACK}:
        _refuse(f"transaction command {_enum_name(stmt.kind)} is not allowed")
    # With nothing writable (dev, dry-run) a transaction may begin READ ONLY, or as the
    # session says, never READ WRITE; psycopg's `BEGIN ISOLATION LEVEL ... READ ONLY` passes.
    verb = "BEGIN" if stmt.kind == kinds.TRANS_STMT_BEGIN else "START TRANSACTION"
    read_write = (
        None
        if policy.writable
        else f"{verb} may only open a READ ONLY transaction (this connection is read-only)"
    )
    _check_transaction_options(stmt.options or (), read_write_refusal=read_write)


def _check_transaction_options(
    options: tuple[ast.DefElem, ...], *, read_write_refusal: str | None
) -> None:
    """Only the listed options; with a `read_write_refusal`, READ WRITE is refused with it."""
    for option in options:
        if option.defname not in TRANSACTION_OPTIONS:
            _refuse(f"transaction option {option.defname} is not allowed")
        if (
            read_write_refusal is not None
            and option.defname == "transaction_read_only"
            and not _is_true(option.arg)
        ):
            _refuse(read_write_refusal)


def _check_set(stmt: ast.VariableSetStmt) -> None:
    kinds = enums.VariableSetKind
    if stmt.kind == kinds.VAR_SET_MULTI and stmt.name == "TRANSACTION":
        refusal = "SET TRANSACTION may only make a transaction READ ONLY"
        _check_transaction_options(stmt.args or (), read_write_refusal=refusal)
        return
    name = (stmt.name or "").lower()
    if stmt.kind != kinds.VAR_SET_VALUE:
        _refuse(
            f"{_enum_name(stmt.kind)} of {name or 'settings'} is not allowed (only SET x = value)"
        )
    if name not in SETTABLE | READ_ONLY_SETTINGS:
        _refuse(f"SET {name} is not allowed")
    args = stmt.args or ()
    if len(args) != 1 or not isinstance(args[0], ast.A_Const) or args[0].isnull:
        _refuse(f"SET {name} must be given one literal value")
    if name in READ_ONLY_SETTINGS and not _is_true(args[0]):
        _refuse(f"{name} may only be turned on")


def _enum_name(value: object) -> str:
    return str(getattr(value, "name", value))


def _is_true(node: object) -> bool:
    if not isinstance(node, ast.A_Const):
        return False
    value = node.val
    if isinstance(value, ast.Integer | ast.Boolean):
        return bool(value.ival if isinstance(value, ast.Integer) else value.boolval)
    return isinstance(value, ast.String) and (value.sval or "").lower() in TRUE_WORDS


def _walk(node: object) -> Iterator[ast.Node]:
    """Yield every AST node under `node`, depth first, except FOR UPDATE OF alias lists."""
    if isinstance(node, tuple | list):
        for item in node:
            yield from _walk(item)
    elif isinstance(node, ast.Node):
        yield node
        for attr in getattr(type(node), "__slots__", ()):
            if not (isinstance(node, ast.LockingClause) and attr == "lockedRels"):
                yield from _walk(getattr(node, attr))


def _names(strings: tuple[ast.Node, ...] | None) -> tuple[str, ...]:
    """Dotted-name parts; `*` (A_Star) and anything unexpected both read as `*`."""
    return tuple((s.sval or "") if isinstance(s, ast.String) else "*" for s in strings or ())


def _qualified(names: tuple[str | None, ...]) -> str:
    return ".".join(name for name in names if name)


def _check_dml(stmt: ast.SelectStmt | ast.InsertStmt | ast.UpdateStmt, policy: Policy) -> None:
    nodes = list(_walk(stmt))
    for node in nodes:
        kind = type(node)
        if kind in SPECIFIC_REFUSALS:
            _refuse(SPECIFIC_REFUSALS[kind])
        if not isinstance(node, ALLOWED_NODES):
            _refuse(f"{kind.__name__} is not allowed in a statement")
        if node is not stmt and isinstance(node, ast.InsertStmt | ast.UpdateStmt):
            _refuse("a write may not be nested in another statement")
        if isinstance(node, ast.FuncCall):
            _check_function(node)
        elif isinstance(node, ast.A_Expr):
            _check_operator(node.name, policy)
        elif isinstance(node, ast.SubLink) and node.operName:
            _check_operator(node.operName, policy)
        elif isinstance(node, ast.TypeName):
            _check_type(node, policy)

    relations = [node for node in nodes if isinstance(node, ast.RangeVar)]
    insert_target = stmt.relation if isinstance(stmt, ast.InsertStmt) else None
    for rangevar in relations:
        _check_relation(rangevar, policy)
        if rangevar is not insert_target:
            _check_only(rangevar, policy)
    if isinstance(stmt, ast.InsertStmt | ast.UpdateStmt):
        _check_write(stmt, policy)
    if any(isinstance(node, ast.LockingClause) for node in nodes):
        for rangevar in relations:
            if _relation(rangevar) not in policy.writable:
                _refuse(f"FOR UPDATE/SHARE would lock {_show(rangevar)}, which is not writable")
    business = [rv for rv in relations if _relation(rv) in policy.column_readable]
    if len(business) > 1:
        _refuse(f"a statement may read one business table once, found {len(business)}")
    if business:
        _check_business_read(stmt, nodes, relations, business[0], policy)
    if any(isinstance(n, ast.FuncCall) and _names(n.funcname)[-1] == "set_config" for n in nodes):
        _check_settings_select(stmt)


def _check_function(call: ast.FuncCall) -> None:
    names = _names(call.funcname)
    if (
        names[-1] not in ALLOWED_FUNCTIONS
        or len(names) > 2
        or names[:-1] not in {(), ("pg_catalog",)}
    ):
        _refuse(f"function {_qualified(names)}() is not on the allowlist")
    if names[-1] == "current_setting":
        first = (call.args or (None,))[0]
        value = first.val if isinstance(first, ast.A_Const) else None
        if not isinstance(value, ast.String) or value.sval not in READABLE_SETTINGS:
            _refuse("current_setting() may only read: " + ", ".join(sorted(READABLE_SETTINGS)))
    if names[-1] == "set_config":
        _check_set_config(call)


def _literal_text(node: object) -> str | None:
    value = node.val if isinstance(node, ast.A_Const) and not node.isnull else None
    return value.sval if isinstance(value, ast.String) else None


def _check_set_config(call: ast.FuncCall) -> None:
    """set_config('name', 'value', true): a LOCAL_SETTINGS name and value, for this
    transaction only (a session-wide setting would outlive it on a pooled connection)."""
    args = call.args or ()
    if len(args) != 3 or call.agg_star or call.func_variadic:
        _refuse("function set_config() takes exactly (name, value, true)")
    name, value = _literal_text(args[0]), _literal_text(args[1])
    if name is None or name not in LOCAL_SETTINGS:
        _refuse(
            f"function set_config() may only set: {', '.join(LOCAL_SETTINGS)} (by literal name)"
        )
    if value is None or not LOCAL_SETTINGS[name].fullmatch(value):
        _refuse(f"function set_config() may not set {name} to {value or 'a non-literal'}")
    local = args[2].val if isinstance(args[2], ast.A_Const) else None
    if not (isinstance(local, ast.Boolean) and local.boolval):
        _refuse("function set_config() must be local to the transaction (is_local = true)")


def _check_settings_select(stmt: ast.Node) -> None:
    """set_config only as the whole of a `SELECT set_config(...), ...`: no table, no filter."""
    targets = stmt.targetList if isinstance(stmt, ast.SelectStmt) else None
    plain = isinstance(stmt, ast.SelectStmt) and not (
        stmt.fromClause or stmt.whereClause or stmt.groupClause or stmt.havingClause
    )
    calls = [t.val for t in targets or () if isinstance(t.val, ast.FuncCall)]
    if not plain or not targets or len(calls) != len(targets):
        _refuse("set_config() may only be called in a SELECT of set_config() calls alone")
    if any(_names(c.funcname)[-1] != "set_config" for c in calls):
        _refuse("set_config() may only be called in a SELECT of set_config() calls alone")


def _check_operator(name: tuple[ast.Node, ...] | None, policy: Policy) -> None:
    names = _names(name)
    if len(names) == 2 and (names[0], names[1]) in policy.key_operators:
        return
    if names[-1] not in ALLOWED_OPERATORS or names[:-1] not in {(), ("pg_catalog",)}:
        _refuse(f"operator {_qualified(names)} is not on the allowlist")


def _check_type(type_name: ast.TypeName, policy: Policy) -> None:
    names = _names(type_name.names)
    if len(names) == 1 or (len(names) == 2 and names[0] == "pg_catalog"):
        return
    if len(names) == 2 and (names[0], names[1]) in policy.readable | policy.writable:
        return
    if len(names) == 2 and (names[0], names[1]) in policy.key_types:
        return
    _refuse(f"type {_qualified(names)} is neither built in nor a readable table's row type")


def _relation(rangevar: ast.RangeVar) -> Relation:
    return (rangevar.schemaname or "", rangevar.relname or "")


def _show(rangevar: ast.RangeVar) -> str:
    return _qualified((rangevar.schemaname, rangevar.relname))


def _check_relation(rangevar: ast.RangeVar, policy: Policy) -> None:
    if rangevar.catalogname:
        _refuse(f"relation {rangevar.catalogname}.{_show(rangevar)} names a database")
    if not rangevar.schemaname:
        _refuse(f"relation {rangevar.relname} is not schema-qualified")
    if rangevar.schemaname in CATALOG_SCHEMAS:
        if rangevar.relname in HIDDEN_CATALOG:
            _refuse(f"catalog relation {_show(rangevar)} exposes row values or secrets")
        return
    known = policy.readable | policy.writable | frozenset(policy.column_readable)
    if _relation(rangevar) not in known:
        _refuse(f"relation {_show(rangevar)} is not in the policy")


def _check_only(rangevar: ast.RangeVar, policy: Policy) -> None:
    """`ONLY` on every non-catalog relation, except partitioned business tables' reads."""
    if rangevar.schemaname in CATALOG_SCHEMAS or not rangevar.inh:
        return
    if _relation(rangevar) in policy.with_children - policy.writable:
        return
    _refuse(f"relation {_show(rangevar)} must be named with ONLY (no inheritance children)")


def _check_write(stmt: ast.InsertStmt | ast.UpdateStmt, policy: Policy) -> None:
    verb = "INSERT" if isinstance(stmt, ast.InsertStmt) else "UPDATE"
    if stmt.relation is None:
        _refuse(f"{verb} without a target relation")
    target = _relation(stmt.relation)
    if target not in policy.writable:
        mode = "" if policy.writable else " (this connection is read-only)"
        _refuse(f"{verb} target {_show(stmt.relation)} is not writable{mode}")
    if isinstance(stmt, ast.UpdateStmt):
        if stmt.whereClause is None:
            _refuse(f"UPDATE of {_show(stmt.relation)} without a WHERE clause")
        frozen = policy.immutable.get(target, frozenset())
        for assignment in stmt.targetList or ():
            if assignment.name in frozen:
                _refuse(f"UPDATE may not assign {_show(stmt.relation)}.{assignment.name}")


def _check_business_read(
    stmt: ast.Node,
    nodes: list[ast.Node],
    relations: list[ast.RangeVar],
    table: ast.RangeVar,
    policy: Policy,
) -> None:
    """Only the allowed columns of one business table, by alias and name, in a plain SELECT."""
    shown = _show(table)
    if not isinstance(stmt, ast.SelectStmt):
        _refuse(f"business table {shown} may only be read by a SELECT")
    for other in relations:
        if other is table or other.schemaname in CATALOG_SCHEMAS:
            continue
        if _relation(other) in policy.column_readable or _relation(other) not in policy.readable:
            _refuse(
                f"business table {shown} may be read only beside reference tables, "
                f"found also {_show(other)}"
            )
    if any(isinstance(node, ast.A_Star) for node in nodes):
        _refuse(f"* is never selected in a statement reading business table {shown}")
    aliases = [rv.alias.aliasname if rv.alias else None for rv in relations]
    if None in aliases or len(set(aliases)) != len(aliases):
        _refuse(f"every relation in a statement reading business table {shown} needs an alias")
    business_alias = table.alias.aliasname if table.alias else None
    allowed = policy.column_readable[_relation(table)]
    for node in nodes:
        if isinstance(node, ast.RangeFunction | ast.RangeSubselect):
            _refuse(f"a statement reading business table {shown} reads tables only")
        if isinstance(node, ast.ColumnRef):
            names = _names(node.fields)
            if len(names) != 2 or names[0] not in aliases:
                _refuse(
                    f"column {_qualified(names)} in a statement reading business table {shown} "
                    "must be written alias.column"
                )
            if names[0] == business_alias and names[1] not in allowed:
                _refuse(
                    f"column {names[1]} of business table {shown} is not readable"
                    f" (allowed: {', '.join(sorted(allowed))})"
                )
        if isinstance(node, ast.Alias) and node.colnames:
            _refuse(f"column alias lists could rename columns of business table {shown}")
        if isinstance(node, ast.JoinExpr) and (node.isNatural or node.usingClause):
            _refuse(f"NATURAL/USING joins compare hidden columns of business table {shown}")
