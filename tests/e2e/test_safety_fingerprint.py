"""SPEC 1.4: both databases must prove who they are before any data is read. Each broken
fingerprint makes an approved apply exit 1, naming the side and what was found, with no
reference or business row read and nothing written on either side."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from psycopg import sql

from devtools import seed
from devtools.pgserver import StatementLog
from tests.fixtures.pg import DbPair
from tests.fixtures.safety import (
    FINGERPRINT,
    apply,
    both_checksums,
    mutates,
    parse_one,
    plan,
    refsync_statements,
    relations,
)

Sabotage = Callable[[DbPair], dict[str, str]]  # breaks the pair, returns URL overrides


def _set(dbpair: DbPair, side: str, column: str, value: str) -> None:
    dbpair.admin(side).execute(
        sql.SQL("UPDATE database_metadata SET {} = %s").format(sql.Identifier(column)), [value]
    )


def _view(dbpair: DbPair, body: sql.Composed | sql.SQL) -> None:
    """Replace prod's fingerprint table by a view over it (a database that lies)."""
    prod = dbpair.admin("prod")
    prod.execute("ALTER TABLE database_metadata RENAME TO database_metadata_rows")
    prod.execute(body)
    prod.execute(
        sql.SQL("GRANT SELECT ON database_metadata TO {}").format(sql.Identifier(dbpair.prod_role))
    )


def missing_table(dbpair: DbPair) -> dict[str, str]:
    dbpair.admin("dev").execute("DROP TABLE database_metadata")
    return {}


def missing_row(dbpair: DbPair) -> dict[str, str]:
    dbpair.admin("prod").execute("DELETE FROM database_metadata")
    return {}


def ambiguous_row(dbpair: DbPair) -> dict[str, str]:
    _view(
        dbpair,
        sql.SQL(
            "CREATE VIEW database_metadata AS SELECT * FROM database_metadata_rows "
            "UNION ALL SELECT * FROM database_metadata_rows"
        ),
    )
    return {}


def wrong_environment(dbpair: DbPair) -> dict[str, str]:
    _set(dbpair, "prod", "environment", "staging")
    return {}


def empty_fingerprint(dbpair: DbPair) -> dict[str, str]:
    _set(dbpair, "dev", "fingerprint", "")
    return {}


def short_fingerprint(dbpair: DbPair) -> dict[str, str]:
    _set(dbpair, "prod", "fingerprint", "  short  ")
    return {}


def swapped_urls(dbpair: DbPair) -> dict[str, str]:
    # Superuser URLs: the least-privilege roles could not even connect the wrong way round.
    return {"dev": dbpair.prod_admin_url, "prod": dbpair.dev_admin_url}


def equal_fingerprints(dbpair: DbPair) -> dict[str, str]:
    _set(dbpair, "dev", "fingerprint", dbpair.prod_fingerprint)
    return {}


def same_database(dbpair: DbPair) -> dict[str, str]:
    # A database whose metadata answers "dev" to the dev role and "prod" to the prod role,
    # with a different fingerprint for each: only the identity comparison can catch it.
    _view(
        dbpair,
        sql.SQL(
            """CREATE VIEW database_metadata AS SELECT id,
            CASE WHEN current_user = {dev} THEN 'dev' ELSE environment END AS environment,
            fingerprint || CASE WHEN current_user = {dev} THEN '-dev' ELSE '' END AS fingerprint
            FROM database_metadata_rows"""
        ).format(dev=sql.Literal(dbpair.dev_role)),
    )
    prod, dev_role = dbpair.admin("prod"), sql.Identifier(dbpair.dev_role)
    prod.execute(
        sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(
            sql.Identifier(dbpair.prod_db), dev_role
        )
    )
    prod.execute(sql.SQL("GRANT USAGE ON SCHEMA public TO {}").format(dev_role))
    prod.execute(
        sql.SQL("GRANT SELECT ON service_categories, services, database_metadata TO {}").format(
            dev_role
        )
    )
    return {"dev": dbpair.server.url(dbpair.prod_db, dbpair.dev_role, dbpair.role_password)}


CASES: list[tuple[Sabotage, str]] = [
    (missing_table, "dev: fingerprint table `database_metadata` is missing"),
    (missing_row, "prod: fingerprint row `id = 'singleton'` in `database_metadata` is missing"),
    (ambiguous_row, "prod: fingerprint row `id = 'singleton'` in `database_metadata` is ambiguous"),
    (wrong_environment, "prod: the database given as `prod-database-url` says it is environment "
     "'staging', not 'prod'"),
    (empty_fingerprint, "dev: fingerprint in `database_metadata` is empty or shorter than 10"),
    (short_fingerprint, "prod: fingerprint in `database_metadata` is empty or shorter than 10"),
    (swapped_urls, "dev: the database given as `dev-database-url` says it is environment "
     "'prod', not 'dev'. Are the URLs swapped?"),
    (equal_fingerprints, "dev and prod carry the same fingerprint"),
    (same_database, "dev and prod are the same database"),
]  # fmt: skip


@pytest.mark.parametrize(("sabotage", "message"), CASES, ids=[c[0].__name__ for c in CASES])
def test_broken_fingerprint_refuses_before_reading_or_writing(
    dbpair: DbPair,
    statement_log: StatementLog,
    tmp_path: Path,
    sabotage: Sabotage,
    message: str,
) -> None:
    """An approved apply against a badly identified pair exits 1 having read and written nothing."""
    seed.seed_demo(dbpair.admin("dev"), dbpair.admin("prod"))
    digest = plan(dbpair, tmp_path / "plan").outputs["plan-digest"]
    urls = sabotage(dbpair)
    before = both_checksums(dbpair)
    mark = statement_log.mark()

    result = apply(
        dbpair,
        tmp_path / "apply",
        digest,
        dev=urls.get("dev", dbpair.dev_url),
        prod=urls.get("prod", dbpair.prod_url),
    )

    assert result.returncode == 1, result.stdout + result.stderr
    assert f"refsync refused: {message}" in result.stderr
    assert "::error title=refsync refused::" in result.stdout
    assert both_checksums(dbpair) == before
    statements = refsync_statements(statement_log, mark)
    assert statements, "the refusal must come from the databases' answers"
    for event in statements:
        stmt = parse_one(event.message)
        assert not mutates(stmt), event.message
        # Only the catalog and the fingerprint table: no reference or business row was read.
        read = relations(stmt)
        assert all(r == FINGERPRINT or r[0] == "pg_catalog" for r in read), event.message
