"""The statement guard's rules for the relations a statement names: each one is
schema-qualified and in the policy (most catalog relations aside), named with ONLY, written
only when writable, locked only when writable; and a business table is read only by a plain
SELECT, beside reference tables, through its allowed columns, each named alias.column."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pglast import ast

from refsync.guard_tree import name_parts, qualified, refuse
from refsync.model import Relation

if TYPE_CHECKING:
    from refsync.guard import Policy

CATALOG_SCHEMAS = frozenset({"pg_catalog", "information_schema"})
# Catalog relations that hold row values (planner statistics, large objects, other sessions'
# query text) or secrets: reading them would bypass the business-table column rule.
HIDDEN_CATALOG = frozenset(
    {"pg_statistic", "pg_stats", "pg_stats_ext", "pg_stats_ext_exprs", "pg_statistic_ext_data"}
    | {"pg_largeobject", "pg_stat_activity", "pg_authid", "pg_shadow", "pg_user_mapping"}
    | {"pg_user_mappings", "pg_hba_file_rules", "pg_ident_file_mappings", "pg_file_settings"}
)


def check_relations(
    stmt: ast.SelectStmt | ast.InsertStmt | ast.UpdateStmt, nodes: list[ast.Node], policy: Policy
) -> None:
    """Every relation among `nodes` (all of `stmt`'s), its write, its locks, its business read."""
    relations = [node for node in nodes if isinstance(node, ast.RangeVar)]
    insert_target = stmt.relation if isinstance(stmt, ast.InsertStmt) else None
    for rangevar in relations:
        _check_relation(rangevar, policy)
        if rangevar is not insert_target:
            _check_only(rangevar, policy)
    if isinstance(stmt, ast.InsertStmt | ast.UpdateStmt):
        _check_write(stmt, policy)
    if any(isinstance(node, ast.LockingClause) for node in nodes):
        _check_locks(relations, policy)
    business = [rv for rv in relations if _relation(rv) in policy.column_readable]
    if len(business) > 1:
        refuse(f"a statement may read one business table once, found {len(business)}")
    if business:
        _check_business_read(stmt, nodes, relations, business[0], policy)


def _relation(rangevar: ast.RangeVar) -> Relation:
    return (rangevar.schemaname or "", rangevar.relname or "")


def _show(rangevar: ast.RangeVar) -> str:
    return qualified((rangevar.schemaname, rangevar.relname))


def _check_relation(rangevar: ast.RangeVar, policy: Policy) -> None:
    if rangevar.catalogname:
        refuse(f"relation {rangevar.catalogname}.{_show(rangevar)} names a database")
    if not rangevar.schemaname:
        refuse(f"relation {rangevar.relname} is not schema-qualified")
    if rangevar.schemaname in CATALOG_SCHEMAS:
        if rangevar.relname in HIDDEN_CATALOG:
            refuse(f"catalog relation {_show(rangevar)} exposes row values or secrets")
        return
    known = policy.readable | policy.writable | frozenset(policy.column_readable)
    if _relation(rangevar) not in known:
        refuse(f"relation {_show(rangevar)} is not in the policy")


def _check_only(rangevar: ast.RangeVar, policy: Policy) -> None:
    """`ONLY` on every non-catalog relation, except partitioned business tables' reads."""
    if rangevar.schemaname in CATALOG_SCHEMAS or not rangevar.inh:
        return
    if _relation(rangevar) in policy.with_children - policy.writable:
        return
    refuse(f"relation {_show(rangevar)} must be named with ONLY (no inheritance children)")


def _check_write(stmt: ast.InsertStmt | ast.UpdateStmt, policy: Policy) -> None:
    verb = "INSERT" if isinstance(stmt, ast.InsertStmt) else "UPDATE"
    if stmt.relation is None:
        refuse(f"{verb} without a target relation")
    target = _relation(stmt.relation)
    if target not in policy.writable:
        mode = "" if policy.writable else " (this connection is read-only)"
        refuse(f"{verb} target {_show(stmt.relation)} is not writable{mode}")
    if isinstance(stmt, ast.UpdateStmt):
        if stmt.whereClause is None:
            refuse(f"UPDATE of {_show(stmt.relation)} without a WHERE clause")
        frozen = policy.immutable.get(target, frozenset())
        for assignment in stmt.targetList or ():
            if assignment.name in frozen:
                refuse(f"UPDATE may not assign {_show(stmt.relation)}.{assignment.name}")


def _check_locks(relations: list[ast.RangeVar], policy: Policy) -> None:
    """FOR UPDATE/SHARE anywhere: every relation of the statement is writable."""
    for rangevar in relations:
        if _relation(rangevar) not in policy.writable:
            refuse(f"FOR UPDATE/SHARE would lock {_show(rangevar)}, which is not writable")


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
        refuse(f"business table {shown} may only be read by a SELECT")
    _check_business_neighbours(relations, table, policy)
    if any(isinstance(node, ast.A_Star) for node in nodes):
        refuse(f"* is never selected in a statement reading business table {shown}")
    aliases = [rv.alias.aliasname if rv.alias else None for rv in relations]
    if None in aliases or len(set(aliases)) != len(aliases):
        refuse(f"every relation in a statement reading business table {shown} needs an alias")
    business_alias = table.alias.aliasname if table.alias else None
    allowed = policy.column_readable[_relation(table)]
    for node in nodes:
        _check_business_node(node, shown, aliases, business_alias, allowed)


def _check_business_neighbours(
    relations: list[ast.RangeVar], table: ast.RangeVar, policy: Policy
) -> None:
    """Beside the business table, only reference tables (and catalog relations)."""
    for other in relations:
        if other is table or other.schemaname in CATALOG_SCHEMAS:
            continue
        if _relation(other) in policy.column_readable or _relation(other) not in policy.readable:
            refuse(
                f"business table {_show(table)} may be read only beside reference tables, "
                f"found also {_show(other)}"
            )


def _check_business_node(
    node: ast.Node,
    shown: str,
    aliases: list[str | None],
    business_alias: str | None,
    allowed: frozenset[str],
) -> None:
    """One node of a statement reading business table `shown`: tables only, every column
    reference alias.column (an allowed one after the business table's alias), no column
    alias lists, no joins on hidden columns."""
    if isinstance(node, ast.RangeFunction | ast.RangeSubselect):
        refuse(f"a statement reading business table {shown} reads tables only")
    if isinstance(node, ast.ColumnRef):
        names = name_parts(node.fields)
        if len(names) != 2 or names[0] not in aliases:
            refuse(
                f"column {qualified(names)} in a statement reading business table {shown} "
                "must be written alias.column"
            )
        if names[0] == business_alias and names[1] not in allowed:
            refuse(
                f"column {names[1]} of business table {shown} is not readable"
                f" (allowed: {', '.join(sorted(allowed))})"
            )
    if isinstance(node, ast.Alias) and node.colnames:
        refuse(f"column alias lists could rename columns of business table {shown}")
    if isinstance(node, ast.JoinExpr) and (node.isNatural or node.usingClause):
        refuse(f"NATURAL/USING joins compare hidden columns of business table {shown}")
