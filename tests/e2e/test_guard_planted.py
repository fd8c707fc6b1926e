"""The statement guard against planted violations: every statement a real apply sent
(taken from the server's log) is mutated one way at a time into something SPEC 1 forbids —
a relation without ONLY, another column of a business table, an unqualified column, a
second business table, a write to the primary key or to another table, an UPDATE without
WHERE — and the guard must refuse every mutant, for the right reason."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from pglast import ast, parse_sql
from pglast.stream import RawStream

from devtools import seed
from devtools.pgserver import StatementLog
from refsync.errors import GuardError
from refsync.guard import Policy, check
from refsync.guard_relations import CATALOG_SCHEMAS
from tests.fixtures.pg import DbPair
from tests.fixtures.safety import apply, plan, refsync_statements, walk

REFERENCE = frozenset({("public", "services"), ("public", "service_categories")})
BUSINESS = {
    ("public", t): frozenset({"serviceId"})
    for t in ("bookings", "provider_services", "catalogue_items", "booking_drafts")
}
POLICY = Policy(
    readable=REFERENCE | {("public", "database_metadata")},
    column_readable=BUSINESS,
    writable=REFERENCE,
    immutable={r: frozenset({"id"}) for r in REFERENCE},
)

Mutation = Callable[[str], Iterator[tuple[str, str]]]


def _fresh(text: str) -> ast.Node:
    node = parse_sql(text)[0].stmt
    assert node is not None
    return node


def _nth(stmt: ast.Node, kind: type[ast.Node], i: int) -> ast.Node:
    return [n for n in walk(stmt) if isinstance(n, kind)][i]


def _count(text: str, kind: type[ast.Node]) -> int:
    return sum(isinstance(n, kind) for n in walk(_fresh(text)))


def without_only(text: str) -> Iterator[tuple[str, str]]:
    """Each non-catalog relation (not an INSERT target) loses its ONLY."""
    for i in range(_count(text, ast.RangeVar)):
        stmt = _fresh(text)
        rv = _nth(stmt, ast.RangeVar, i)
        assert isinstance(rv, ast.RangeVar)
        if rv.schemaname in CATALOG_SCHEMAS or (
            isinstance(stmt, ast.InsertStmt) and rv is stmt.relation
        ):
            continue
        rv.inh = True
        yield RawStream()(stmt), "must be named with ONLY"


def other_business_column(text: str) -> Iterator[tuple[str, str]]:
    """A column reference to a business table reads another column than the allowed one."""
    for i in range(_count(text, ast.ColumnRef)):
        stmt = _fresh(text)
        ref = _nth(stmt, ast.ColumnRef, i)
        assert isinstance(ref, ast.ColumnRef)
        fields = ref.fields or ()
        if any(isinstance(f, ast.String) and f.sval == "serviceId" for f in fields):
            ref.fields = (*fields[:-1], ast.String(sval="status"))
            yield RawStream()(stmt), "column status of business table"


def unqualified_column(text: str) -> Iterator[tuple[str, str]]:
    """In a business read, a qualified column loses its alias (it could name any table)."""
    if not _reads_business(text):
        return
    for i in range(_count(text, ast.ColumnRef)):
        stmt = _fresh(text)
        ref = _nth(stmt, ast.ColumnRef, i)
        assert isinstance(ref, ast.ColumnRef)
        ref.fields = (ref.fields or ())[-1:]
        yield RawStream()(stmt), "must be written alias.column"


def renamed_relation(text: str) -> Iterator[tuple[str, str]]:
    """Each non-catalog relation becomes a business table the policy does not name."""
    for i in range(_count(text, ast.RangeVar)):
        stmt = _fresh(text)
        rv = _nth(stmt, ast.RangeVar, i)
        assert isinstance(rv, ast.RangeVar)
        if rv.schemaname in CATALOG_SCHEMAS:
            continue
        rv.relname = "payments"
        yield RawStream()(stmt), "relation public.payments is not in the policy"


def written_primary_key(text: str) -> Iterator[tuple[str, str]]:
    """An UPDATE also assigns the primary key."""
    stmt = _fresh(text)
    if isinstance(stmt, ast.UpdateStmt):
        first = (stmt.targetList or ())[0]
        assert isinstance(first, ast.ResTarget)
        first.name = "id"
        yield RawStream()(stmt), "may not assign public."


def unbounded_update(text: str) -> Iterator[tuple[str, str]]:
    """An UPDATE loses its WHERE clause."""
    stmt = _fresh(text)
    if isinstance(stmt, ast.UpdateStmt):
        stmt.whereClause = None
        yield RawStream()(stmt), "without a WHERE clause"


def business_write_target(text: str) -> Iterator[tuple[str, str]]:
    """An INSERT or UPDATE targets a business table instead."""
    stmt = _fresh(text)
    if isinstance(stmt, ast.InsertStmt | ast.UpdateStmt):
        assert stmt.relation is not None
        stmt.relation.relname = "bookings"
        yield RawStream()(stmt), "target public.bookings is not writable"


def read_only_session(text: str) -> Iterator[tuple[str, str]]:
    """Any write or row lock under a read-only policy (dev, dry-run)."""
    stmt = _fresh(text)
    if isinstance(stmt, ast.InsertStmt | ast.UpdateStmt) or any(
        isinstance(n, ast.LockingClause) for n in walk(stmt)
    ):
        yield text, "not writable"


MUTATIONS: list[Mutation] = [
    without_only,
    other_business_column,
    unqualified_column,
    renamed_relation,
    written_primary_key,
    unbounded_update,
    business_write_target,
]


def _reads_business(text: str) -> bool:
    return any(
        isinstance(n, ast.RangeVar) and (n.schemaname, n.relname) in BUSINESS
        for n in walk(_fresh(text))
    )


@pytest.fixture
def engine_statements(dbpair: DbPair, statement_log: StatementLog, tmp_path: Path) -> list[str]:
    """Every data statement (SELECT, INSERT, UPDATE) a real dry-run and apply sent."""
    seed.seed_demo(dbpair.admin("dev"), dbpair.admin("prod"))
    mark = statement_log.mark()
    planned = plan(dbpair, tmp_path / "plan")
    applied = apply(dbpair, tmp_path / "apply", planned.outputs["plan-digest"])
    assert applied.returncode == 0, applied.stdout + applied.stderr
    texts = []
    for event in refsync_statements(statement_log, mark):
        stmt = _fresh(event.message)
        if isinstance(stmt, ast.SelectStmt | ast.InsertStmt | ast.UpdateStmt):
            texts.append(event.message)
    return sorted(set(texts))


def _check(server_text: str, policy: Policy) -> None:
    """The guard on a statement as the server logged it: `$1` parameters stay, and a
    literal `%` is written as psycopg's `%%`."""
    check(server_text.replace("%", "%%"), policy)


def test_every_planted_violation_is_refused(engine_statements: list[str]) -> None:
    """Each engine statement passes the guard as sent; each mutant of it is refused with
    the reason its mutation calls for, and every kind of mutation was planted at least
    once (so the test cannot pass by finding nothing to mutate)."""
    planted: dict[str, int] = {m.__name__: 0 for m in [*MUTATIONS, read_only_session]}
    assert any(_reads_business(t) for t in engine_statements)
    for text in engine_statements:
        _check(text, POLICY)
        for mutation in MUTATIONS:
            for mutant, reason in mutation(text):
                planted[mutation.__name__] += 1
                with pytest.raises(GuardError) as refused:
                    _check(mutant, POLICY)
                assert reason in refused.value.message, (mutant, refused.value.message)
        read_only = Policy(readable=POLICY.readable, column_readable=BUSINESS)
        for mutant, reason in read_only_session(text):
            planted["read_only_session"] += 1
            with pytest.raises(GuardError) as refused:
                _check(mutant, read_only)
            assert reason in refused.value.message, mutant
    assert all(planted.values()), planted
