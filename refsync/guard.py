"""The statement guard: every statement refsync sends is parsed by PostgreSQL's own parser
(pglast) and checked against a `Policy` before it reaches a server.

This module owns SPEC section 1, rules 1 and 2, at the level of single statements: only
SELECT, INSERT and UPDATE on the relations the policy names, a few session settings and
transaction control. It is pure (no database) and fails closed: a node kind, function,
operator or setting it does not know is refused.

This module takes a statement apart by kind and holds the rules for transaction control and
SET. A SELECT, INSERT or UPDATE is checked node by node by `refsync.guard_nodes` (node
kinds, functions, operators, types), then by the relations it names by
`refsync.guard_relations` (the policy, ONLY, writes, locks, business-table reads);
`refsync.guard_tree` holds what the rules share (the refusal, the walk, dotted names).

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
from collections.abc import Mapping
from dataclasses import dataclass, field

from pglast import ast, enums, parse_sql
from pglast.parser import ParseError

from refsync.errors import GuardError
from refsync.guard_nodes import check_node, check_settings_select
from refsync.guard_relations import check_relations
from refsync.guard_tree import RefusedError, name_parts, refuse, walk
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


SETTABLE = frozenset(
    {"lock_timeout", "statement_timeout", "idle_in_transaction_session_timeout"}
    | {"application_name", "timezone"}
)
READ_ONLY_SETTINGS = frozenset({"transaction_read_only", "default_transaction_read_only"})
TRANSACTION_OPTIONS = frozenset(
    {"transaction_isolation", "transaction_read_only", "transaction_deferrable"}
)
TRUE_WORDS = frozenset({"on", "true", "yes", "1"})


def check(statement: str, policy: Policy) -> None:
    """Raise GuardError (saying what was refused and why) unless the statement is allowed."""
    try:
        _check(statement, policy)
    except RefusedError as refusal:
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
        refuse(f"it does not parse ({exc})")
    if len(parsed) != 1:
        refuse(f"exactly one statement is allowed, got {len(parsed)}")
    stmt = parsed[0].stmt
    if isinstance(stmt, ast.TransactionStmt):
        _check_transaction(stmt, policy)
    elif isinstance(stmt, ast.VariableSetStmt):
        _check_set(stmt)
    elif isinstance(stmt, ast.SelectStmt | ast.InsertStmt | ast.UpdateStmt):
        _check_dml(stmt, policy)
    else:
        refuse(f"{type(stmt).__name__} statements are not allowed")


def _to_dollar_params(statement: str) -> str:
    """Turn psycopg's `%s`/`%%` into what the server receives: `$1, $2...` and `%`."""
    count = 0

    def replace(match: re.Match[str]) -> str:  # noqa: RET503 - refuse() raises
        nonlocal count
        if match.group() == "%%":
            return "%"
        if match.group() == "%s":
            count += 1
            return f"${count}"
        refuse(f"only %s placeholders are allowed, found {match.group()!r}")

    return re.sub(r"%.?", replace, statement, flags=re.DOTALL)


def _check_dml(stmt: ast.SelectStmt | ast.InsertStmt | ast.UpdateStmt, policy: Policy) -> None:
    """Each node (`guard_nodes`), then the relations (`guard_relations`), then set_config's
    place: a SELECT of set_config calls alone."""
    nodes = list(walk(stmt))
    for node in nodes:
        check_node(node, stmt, policy)
    check_relations(stmt, nodes, policy)
    if any(
        isinstance(n, ast.FuncCall) and name_parts(n.funcname)[-1] == "set_config" for n in nodes
    ):
        check_settings_select(stmt)


def _check_transaction(stmt: ast.TransactionStmt, policy: Policy) -> None:
    kinds = enums.TransactionStmtKind
    allowed = {kinds.TRANS_STMT_BEGIN, kinds.TRANS_STMT_START}
    if stmt.kind not in allowed | {kinds.TRANS_STMT_COMMIT, kinds.TRANS_STMT_ROLLBACK}:
        refuse(f"transaction command {_enum_name(stmt.kind)} is not allowed")
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
            refuse(f"transaction option {option.defname} is not allowed")
        if (
            read_write_refusal is not None
            and option.defname == "transaction_read_only"
            and not _is_true(option.arg)
        ):
            refuse(read_write_refusal)


def _check_set(stmt: ast.VariableSetStmt) -> None:
    kinds = enums.VariableSetKind
    if stmt.kind == kinds.VAR_SET_MULTI and stmt.name == "TRANSACTION":
        refusal = "SET TRANSACTION may only make a transaction READ ONLY"
        _check_transaction_options(stmt.args or (), read_write_refusal=refusal)
        return
    name = (stmt.name or "").lower()
    if stmt.kind != kinds.VAR_SET_VALUE:
        refuse(
            f"{_enum_name(stmt.kind)} of {name or 'settings'} is not allowed (only SET x = value)"
        )
    if name not in SETTABLE | READ_ONLY_SETTINGS:
        refuse(f"SET {name} is not allowed")
    args = stmt.args or ()
    if len(args) != 1 or not isinstance(args[0], ast.A_Const) or args[0].isnull:
        refuse(f"SET {name} must be given one literal value")
    if name in READ_ONLY_SETTINGS and not _is_true(args[0]):
        refuse(f"{name} may only be turned on")


def _enum_name(value: object) -> str:
    return str(getattr(value, "name", value))


def _is_true(node: object) -> bool:
    if not isinstance(node, ast.A_Const):
        return False
    value = node.val
    if isinstance(value, ast.Integer | ast.Boolean):
        return bool(value.ival if isinstance(value, ast.Integer) else value.boolval)
    return isinstance(value, ast.String) and (value.sval or "").lower() in TRUE_WORDS
