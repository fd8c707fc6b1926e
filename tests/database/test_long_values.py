"""Long values read as their hashes first (`snapshot.LONG_BYTES`), on real databases.

Between servers of one encoding, a first read sends each compared text or JSON value longer
than `LONG_BYTES` as the server's hash of its bytes, and a second read fetches in full only the
rows that may differ. These tests hold that path to what a read of every value in full gives:
equal long values are unchanged, a difference anywhere in a long value (or between a short and
a long one) is an update showing both values in full, a run without long values among its
changes sends no second read at all, and servers of different encodings (where equal bytes
need not be equal text) are read in full at once. The golden scenarios run through the same
path too (`test_scenarios.py`, `all-hashed`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest
from psycopg import sql

from devtools import roles, seed
from refsync import snapshot
from refsync.config_file import load_config
from refsync.engine import Outcome, run
from tests.fixtures.pg import SCHEMA_FILE, DbPair

LONG = "Crème brûlée, très légère. " * 20  # 540 characters, of which 60 are not ASCII
CONFIG = load_config(None)


def _seed(conn: Any, services: Sequence[tuple[str, str | None]]) -> None:
    conn.execute(
        """INSERT INTO service_categories (id, name, description, "updatedAt")
           VALUES ('c1', 'Desserts', %s, now())""",
        [LONG],
    )
    for n, (name, description) in enumerate(services):
        conn.execute(
            """INSERT INTO services (id, name, description, price, "categoryId", "updatedAt")
               VALUES (%s, %s, %s, 4.50, 'c1', now())""",
            [f"s{n}", name, description],
        )


def _plan(dbpair: DbPair, lines: list[str]) -> Outcome:
    return run(
        config=CONFIG,
        dev_url=dbpair.dev_url,
        prod_url=dbpair.prod_url,
        apply=False,
        approved_digest=None,
        secrets=(),
        log=lines.append,
    )


def _latin1_prod(dbpair: DbPair) -> None:
    """Make the pair's prod database again, as LATIN1 (dev stays UTF8)."""
    server = dbpair.server
    server.drop_database(dbpair.prod_db)
    with server.admin() as conn:
        conn.execute(
            sql.SQL(
                "CREATE DATABASE {} TEMPLATE template0 ENCODING 'LATIN1' "
                "LC_COLLATE 'C' LC_CTYPE 'C'"
            ).format(sql.Identifier(dbpair.prod_db))
        )
    with server.admin(dbpair.prod_db) as conn:
        conn.execute(SCHEMA_FILE.read_text())
        conn.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
        roles.grant_prod(conn, dbpair.prod_db, dbpair.prod_role)
        seed.set_fingerprint(conn, "prod", dbpair.prod_fingerprint)


DEV = [
    ("Same long", LONG),
    ("Last character differs", LONG + "!"),
    ("Short in dev", "short"),
    ("Long in dev", LONG),
    ("New long", LONG),
]
PROD = [
    ("Same long", LONG),
    ("Last character differs", LONG + "?"),
    ("Short in dev", LONG),
    ("Long in dev", "short"),
]


@pytest.mark.parametrize("prod_encoding", ["UTF8", "LATIN1"])
def test_long_values_compare_as_in_full(prod_encoding: str, dbpair: DbPair) -> None:
    """Equal long values are unchanged; every other pair is an update showing both values in
    full, and a new row's long value is created in full. Between encodings, the same plan
    from one read in full."""
    if prod_encoding == "LATIN1":
        _latin1_prod(dbpair)
    _seed(dbpair.admin("dev"), DEV)
    _seed(dbpair.admin("prod"), PROD)
    lines: list[str] = []
    outcome = _plan(dbpair, lines)

    categories = outcome.plan.table("service_categories")
    assert categories.counts["unchanged"] == 1
    assert not categories.updates
    services = outcome.plan.table("services")
    assert services.counts["unchanged"] == 1
    updated = {u.key: u.changes for u in services.updates}
    assert updated == {
        ("last-character-differs",): {"description": (LONG + "?", LONG + "!")},
        ("long-in-dev",): {"description": ("short", LONG)},
        ("short-in-dev",): {"description": (LONG, "short")},
    }
    [create] = services.creates
    assert create.values["description"] == LONG
    log = "\n".join(lines)
    if prod_encoding == "LATIN1":
        assert "may differ, in full" not in log
        return
    # Read again in full: the rows that may differ and carry a hash, no other. Dev: the
    # differing long value, the long value that was short, the new row; prod: the differing
    # long value and the long value dev shortened.
    assert "read dev: 3 rows that may differ, in full" in log
    assert "read prod: 2 rows that may differ, in full" in log


def test_same_plan_as_reading_every_value_in_full(
    dbpair: DbPair, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The digest of the two-read plan is the digest of the plan read in full at once."""
    _seed(dbpair.admin("dev"), DEV)
    _seed(dbpair.admin("prod"), PROD)
    hashed = _plan(dbpair, [])
    monkeypatch.setattr(snapshot, "LONG_BYTES", 10**9)
    lines: list[str] = []
    in_full = _plan(dbpair, lines)
    assert not any("may differ, in full" in line for line in lines)
    assert hashed.plan.table("services").updates
    assert hashed.digest == in_full.digest


def test_no_second_read_without_long_values(dbpair: DbPair) -> None:
    """Changes without a long value cost no statement more than a read in full at once."""
    _seed(dbpair.admin("dev"), [("Short", "new"), ("Other", "same")])
    _seed(dbpair.admin("prod"), [("Short", "old"), ("Other", "same")])
    dbpair.admin("dev").execute("UPDATE service_categories SET description = 'short'")
    dbpair.admin("prod").execute("UPDATE service_categories SET description = 'short'")
    lines: list[str] = []
    outcome = _plan(dbpair, lines)
    assert [u.key for u in outcome.plan.table("services").updates] == [("short",)]
    assert not any("may differ, in full" in line for line in lines)
