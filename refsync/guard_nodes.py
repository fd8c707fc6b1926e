"""The statement guard's rules for what a SELECT, INSERT or UPDATE may hold, node by node:
the kinds of node, the functions (`set_config` only as LOCAL_SETTINGS allows, and only in a
SELECT of such calls alone), the operators and the type names. Fails closed: a node kind,
function or operator not listed here is refused."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING

from pglast import ast

from refsync.guard_tree import name_parts, qualified, refuse

if TYPE_CHECKING:
    from refsync.guard import Policy

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
    | {"octet_length", "hashtextextended"}  # snapshot: long values as their hash
    | {"concat"}  # sqlparts.column: a value's output text, which no cast can replace
    | {"pg_relation_size"}  # catalog: which tables are scanned first (prefilter)
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
    | {"#"}  # prefilter: per-column hashes combined by XOR
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


def check_node(node: ast.Node, stmt: ast.Node, policy: Policy) -> None:
    """One node of `stmt`: a kind the guard knows, no write nested in the statement, and
    the rule of its own for a function call, an operator or a type name."""
    kind = type(node)
    if kind in SPECIFIC_REFUSALS:
        refuse(SPECIFIC_REFUSALS[kind])
    if not isinstance(node, ALLOWED_NODES):
        refuse(f"{kind.__name__} is not allowed in a statement")
    if node is not stmt and isinstance(node, ast.InsertStmt | ast.UpdateStmt):
        refuse("a write may not be nested in another statement")
    if isinstance(node, ast.FuncCall):
        _check_function(node)
    elif isinstance(node, ast.A_Expr):
        _check_operator(node.name, policy)
    elif isinstance(node, ast.SubLink) and node.operName:
        _check_operator(node.operName, policy)
    elif isinstance(node, ast.TypeName):
        _check_type(node, policy)


def _check_function(call: ast.FuncCall) -> None:
    names = name_parts(call.funcname)
    if (
        names[-1] not in ALLOWED_FUNCTIONS
        or len(names) > 2
        or names[:-1] not in {(), ("pg_catalog",)}
    ):
        refuse(f"function {qualified(names)}() is not on the allowlist")
    if names[-1] == "current_setting":
        first = (call.args or (None,))[0]
        value = first.val if isinstance(first, ast.A_Const) else None
        if not isinstance(value, ast.String) or value.sval not in READABLE_SETTINGS:
            refuse("current_setting() may only read: " + ", ".join(sorted(READABLE_SETTINGS)))
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
        refuse("function set_config() takes exactly (name, value, true)")
    name, value = _literal_text(args[0]), _literal_text(args[1])
    if name is None or name not in LOCAL_SETTINGS:
        refuse(f"function set_config() may only set: {', '.join(LOCAL_SETTINGS)} (by literal name)")
    if value is None or not LOCAL_SETTINGS[name].fullmatch(value):
        refuse(f"function set_config() may not set {name} to {value or 'a non-literal'}")
    local = args[2].val if isinstance(args[2], ast.A_Const) else None
    if not (isinstance(local, ast.Boolean) and local.boolval):
        refuse("function set_config() must be local to the transaction (is_local = true)")


def check_settings_select(stmt: ast.Node) -> None:
    """set_config only as the whole of a `SELECT set_config(...), ...`: no table, no filter."""
    targets = stmt.targetList if isinstance(stmt, ast.SelectStmt) else None
    plain = isinstance(stmt, ast.SelectStmt) and not (
        stmt.fromClause or stmt.whereClause or stmt.groupClause or stmt.havingClause
    )
    calls = [t.val for t in targets or () if isinstance(t.val, ast.FuncCall)]
    if not plain or not targets or len(calls) != len(targets):
        refuse("set_config() may only be called in a SELECT of set_config() calls alone")
    if any(name_parts(c.funcname)[-1] != "set_config" for c in calls):
        refuse("set_config() may only be called in a SELECT of set_config() calls alone")


def _check_operator(name: tuple[ast.Node, ...] | None, policy: Policy) -> None:
    names = name_parts(name)
    if len(names) == 2 and (names[0], names[1]) in policy.key_operators:
        return
    if names[-1] not in ALLOWED_OPERATORS or names[:-1] not in {(), ("pg_catalog",)}:
        refuse(f"operator {qualified(names)} is not on the allowlist")


def _check_type(type_name: ast.TypeName, policy: Policy) -> None:
    names = name_parts(type_name.names)
    if len(names) == 1 or (len(names) == 2 and names[0] == "pg_catalog"):
        return
    if len(names) == 2 and (names[0], names[1]) in policy.readable | policy.writable:
        return
    if len(names) == 2 and (names[0], names[1]) in policy.key_types:
        return
    refuse(f"type {qualified(names)} is neither built in nor a readable table's row type")
