"""SPEC 1.1 and 1.2, observed on the server: an approved apply sends statements on allowed
relations only (reference tables, the fingerprint table, the catalog, and business tables
only through their referencing column), never a DELETE or schema change, and leaves every
non-reference table byte for byte as it was."""

from __future__ import annotations

from pathlib import Path

from pglast import ast

from devtools import seed
from devtools.pgserver import StatementLog
from tests.fixtures.pg import DbPair
from tests.fixtures.safety import (
    FINGERPRINT,
    FORBIDDEN_STATEMENTS,
    REFERENCE,
    apply,
    both_checksums,
    parse_one,
    plan,
    refsync_statements,
    relations,
    walk,
)

ALLOWED_STATEMENTS = (
    ast.SelectStmt,
    ast.InsertStmt,
    ast.UpdateStmt,
    ast.TransactionStmt,
    ast.VariableSetStmt,
)


def _referencing_columns(dbpair: DbPair) -> dict[tuple[str, str], str]:
    """Business table -> its column pointing at a reference table, from prod's catalog."""
    rows = (
        dbpair.admin("prod")
        .execute(
            """SELECT sn.nspname, sc.relname, a.attname
               FROM pg_constraint con
               JOIN pg_class sc ON sc.oid = con.conrelid
               JOIN pg_namespace sn ON sn.oid = sc.relnamespace
               JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = con.conkey[1]
               WHERE con.contype = 'f' AND con.confrelid::regclass::text = ANY(%s)
                 AND NOT con.conrelid::regclass::text = ANY(%s)""",
            [["services", "service_categories"]] * 2,
        )
        .fetchall()
    )
    return {(schema, table): column for schema, table, column in rows}


def _check_business_read(stmt: ast.Node, column: str, text: str) -> None:
    """A business table is read by a SELECT naming only its referencing column, never `*`:
    every column reference is `alias.column`, and after the business table's alias only the
    referencing column follows (the other relations are reference tables)."""
    assert isinstance(stmt, ast.SelectStmt), text
    aliases = {
        rv.alias.aliasname: (rv.schemaname, rv.relname)
        for rv in walk(stmt)
        if isinstance(rv, ast.RangeVar) and rv.alias is not None
    }
    for node in walk(stmt):
        assert not isinstance(node, ast.A_Star), text
        if isinstance(node, ast.ColumnRef):
            fields = node.fields or ()
            assert len(fields) == 2, text
            alias, last = fields
            assert isinstance(alias, ast.String), text
            assert isinstance(last, ast.String), text
            target = aliases[alias.sval]
            if target not in REFERENCE:
                assert last.sval == column, text


def test_apply_touches_allowed_relations_only(
    dbpair: DbPair, statement_log: StatementLog, tmp_path: Path
) -> None:
    """Every statement of an approved apply is on an allowed relation and no other table changes."""
    seed.seed_demo(dbpair.admin("dev"), dbpair.admin("prod"))
    digest = plan(dbpair, tmp_path / "plan").outputs["plan-digest"]
    referencing = _referencing_columns(dbpair)
    assert len(referencing) >= 4  # bookings, provider_services, catalogue_items, booking_drafts
    before = both_checksums(dbpair)
    mark = statement_log.mark()

    result = apply(dbpair, tmp_path / "apply", digest)

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.outputs["applied"] == "true"
    written: set[tuple[str, str]] = set()
    for event in refsync_statements(statement_log, mark):
        stmt = parse_one(event.message)
        assert isinstance(stmt, ALLOWED_STATEMENTS), event.message
        assert not any(isinstance(n, FORBIDDEN_STATEMENTS) for n in walk(stmt)), event.message
        if isinstance(stmt, ast.InsertStmt | ast.UpdateStmt):
            assert event.database == dbpair.prod_db
            assert stmt.relation is not None
            target = (stmt.relation.schemaname, stmt.relation.relname)
            assert target in REFERENCE, event.message
            written.add(target)
        for rangevar in walk(stmt):
            # No statement reaches an inheritance child of a table it names (SPEC 1.1).
            if isinstance(rangevar, ast.RangeVar) and rangevar.schemaname != "pg_catalog":
                insert_target = isinstance(stmt, ast.InsertStmt) and rangevar is stmt.relation
                assert not rangevar.inh or insert_target, event.message
        for relation in relations(stmt):
            if relation in referencing:
                _check_business_read(stmt, referencing[relation], event.message)
            else:
                assert relation in {*REFERENCE, FINGERPRINT} or relation[0] == "pg_catalog", (
                    f"{relation} in {event.message}"
                )
    assert written == REFERENCE

    after = both_checksums(dbpair)
    assert after["dev"] == before["dev"]
    changed = {t for t in after["prod"] if after["prod"][t] != before["prod"][t]}
    assert changed == {"public.services", "public.service_categories"}
