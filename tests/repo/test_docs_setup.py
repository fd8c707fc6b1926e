"""docs/setup.md is executable: every SQL block runs, in order, on the database its marker
names, and the roles it creates then pass a dry-run of the default profile with nothing
missing and nothing excess. Role names get a per-test suffix, so the roles other tests use
on the same server are never touched."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

from devtools import seed
from devtools.pgserver import PgServer
from devtools.runner import run_entrypoint
from tests.fixtures.pg import PgTemplate

SETUP = Path(__file__).resolve().parents[2] / "docs" / "setup.md"
BLOCK = re.compile(r"<!-- setup: ([a-z, ]+) -->\n```sql\n(.*?)```", re.DOTALL)


def blocks() -> list[tuple[set[str], str]]:
    """(sides, sql) of every marked block of the page, in order."""
    found = [
        ({s.strip() for s in sides.split(",")}, body)
        for sides, body in BLOCK.findall(SETUP.read_text())
    ]
    assert found, "docs/setup.md has no marked SQL blocks"
    return found


@pytest.fixture
def fresh_pair(pg_server: PgServer, pg_template: PgTemplate) -> Iterator[dict[str, str]]:
    """Two databases with the marketplace schema and no refsync row, grant or role."""
    suffix = secrets.token_hex(4)
    names = {"dev": f"docs_setup_{suffix}_dev", "prod": f"docs_setup_{suffix}_prod"}
    for name in names.values():
        pg_server.create_database(name, pg_template.name, strategy=pg_template.strategy)
    try:
        yield {**names, "suffix": suffix}
    finally:
        for name in names.values():
            pg_server.drop_database(name)
        with pg_server.admin() as conn:
            for role in (f"docs_dev_{suffix}", f"docs_prod_{suffix}"):
                conn.execute(f"DROP ROLE IF EXISTS {role}")


def test_setup_page_runs_and_a_dry_run_passes(
    pg_server: PgServer, fresh_pair: dict[str, str], tmp_path: Path
) -> None:
    """The page's SQL, run as written (placeholders filled in), gives roles that plan the
    default profile with no missing and no excess privilege."""
    suffix = fresh_pair["suffix"]
    values = {
        "refsync_dev_reader": f"docs_dev_{suffix}",
        "refsync_prod_writer": f"docs_prod_{suffix}",
        "<dev password>": f"dev-{suffix}-pw",
        "<prod password>": f"prod-{suffix}-pw",
        "<dev fingerprint>": f"dev-fingerprint-{suffix}",
        "<prod fingerprint>": f"prod-fingerprint-{suffix}",
    }
    for side in ("dev", "prod"):
        with pg_server.admin(fresh_pair[side]) as conn:
            conn.execute('DELETE FROM "database_metadata"')  # the template's row, if any
    for sides, template in blocks():
        body = template
        for old, new in values.items():
            body = body.replace(old, new)
        for side in ("dev", "prod"):
            if side in sides:
                with pg_server.admin(fresh_pair[side]) as conn:
                    conn.execute(body.encode())
    with (
        pg_server.admin(fresh_pair["dev"]) as dev,
        pg_server.admin(fresh_pair["prod"]) as prod,
    ):
        seed.seed_demo(dev, prod)
    result = run_entrypoint(
        tmp_path,
        {
            "dev-database-url": pg_server.url(
                fresh_pair["dev"], values["refsync_dev_reader"], values["<dev password>"]
            ),
            "prod-database-url": pg_server.url(
                fresh_pair["prod"], values["refsync_prod_writer"], values["<prod password>"]
            ),
        },
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.plan is not None
    assert result.plan["missing_privileges"] is None
    assert "The prod role holds nothing beyond what refsync needs." in result.summary
    assert result.outputs["has-changes"] == "true"
