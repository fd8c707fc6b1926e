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
from pathlib import Path
from typing import Any

import pytest

from devtools.pgserver import StatementLog
from refsync import locks, reading, snapshot, sqlparts
from refsync.config import Config
from refsync.config_file import load_config
from refsync.engine import Outcome
from refsync.errors import OperationalError, SafetyError
from tests.fixtures.outcomes import spilled
from tests.fixtures.pg import DbPair, latin1_prod
from tests.fixtures.safety import refsync_statements
from tests.fixtures.scenarios import plan_and_apply

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
    return plan_and_apply(dbpair, CONFIG, log=lines.append)


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
        latin1_prod(dbpair)
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
    # Read again in full, a long value is held on disk (equal only to a Spilled of its text);
    # read in full at once (two encodings), as it was read.
    kept = spilled if prod_encoding == "UTF8" else str
    assert updated == {
        ("last-character-differs",): {"description": (kept(LONG + "?"), kept(LONG + "!"))},
        ("long-in-dev",): {"description": ("short", kept(LONG))},
        ("short-in-dev",): {"description": (kept(LONG), "short")},
    }
    [create] = services.creates
    assert create.values["description"] == kept(LONG)
    second = [line.split(" in ")[0] for line in lines if "rows in full" in line]
    if prod_encoding == "LATIN1":
        assert second == []  # nothing hashed: read once
        return
    # Read again in full: the rows that may differ and carry a hash, no other. Dev: the
    # differing long value, the long value that was short, the new row; prod: the differing
    # long value and the long value dev shortened.
    assert second == ["read dev: 3 rows", "read prod: 2 rows"]


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
    assert not any("rows in full" in line for line in lines)
    assert hashed.plan.table("services").updates
    assert hashed.digest == in_full.digest


def test_a_long_value_s_hash_is_keyed_by_this_run_s_secret(
    dbpair: DbPair, statement_log: StatementLog
) -> None:
    """`hashtextextended` can be run backwards: with a key known in advance (it was 0), a
    prod text could be computed to hash as dev's long value does, and refsync would take the
    tampered value for dev's and never restore it. Every long value's hash is keyed by a
    secret drawn anew in each run (`sqlparts.HASH_KEY`)."""
    _seed(dbpair.admin("dev"), DEV)
    _seed(dbpair.admin("prod"), PROD)
    mark = statement_log.mark()
    _plan(dbpair, [])
    hashing = [
        e.message
        for e in refsync_statements(statement_log, mark)
        if "hashtextextended" in e.message
    ]
    # Per side: the first read of both tables, and the second read of the services that
    # may differ (their hashes again).
    assert len(hashing) == 6
    assert all(f'COLLATE "C", {sqlparts.HASH_KEY}::int8)' in m for m in hashing)
    assert not any('COLLATE "C", 0)' in m for m in hashing)


def test_no_second_read_without_long_values(dbpair: DbPair) -> None:
    """Changes without a long value cost no statement more than a read in full at once."""
    _seed(dbpair.admin("dev"), [("Short", "new"), ("Other", "same")])
    _seed(dbpair.admin("prod"), [("Short", "old"), ("Other", "same")])
    dbpair.admin("dev").execute("UPDATE service_categories SET description = 'short'")
    dbpair.admin("prod").execute("UPDATE service_categories SET description = 'short'")
    lines: list[str] = []
    outcome = _plan(dbpair, lines)
    assert [u.key for u in outcome.plan.table("services").updates] == [("short",)]
    assert not any("rows in full" in line for line in lines)


# --- other schemas: types, and rows that change between the two reads -----------------------

FEATURES = """
CREATE DOMAIN short_text AS text;
CREATE DOMAIN deep_text AS short_text;
CREATE TABLE features (
    id     varchar(20) PRIMARY KEY,
    key    varchar(40) NOT NULL UNIQUE,
    body   deep_text,
    doc    json,
    docb   jsonb,
    note   varchar(400),
    posix  text COLLATE "POSIX",
    labels varchar(10)[]
);
GRANT SELECT ON features TO refsync_dev_reader;
GRANT SELECT, INSERT, UPDATE ON features TO refsync_prod_writer;
"""


def _features(dbpair: DbPair, tmp_path: Path, compare: str) -> Config:
    for side in ("dev", "prod"):
        dbpair.admin(side).execute(dbpair.with_roles(FEATURES).encode())
    path = tmp_path / "refsync.yml"
    path.write_text(
        "version: 1\ntables:\n  - name: features\n    match: {column: key}\n"
        f"    compare: [{compare}]\n"
    )
    return load_config(str(path))


@pytest.mark.parametrize("long_bytes", [0, 3])
def test_domains_json_and_collations_plan_as_in_full(
    long_bytes: int, dbpair: DbPair, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Domains over domains over text, json by its text and jsonb, varchar(n), a POSIX
    collation, NULL against '' and trailing spaces: hashed (every value over 0 or 3 bytes),
    the same plan and digest as read in full, and that plan applies."""
    config = _features(dbpair, tmp_path, "body, doc, docb, note, posix")
    insert = (
        "INSERT INTO features (id, key, body, doc, docb, note, posix) "
        "VALUES (%s, %s, %s, %s, %s, %s, %s)"
    )
    dev = [
        ("k1 ", "k1", "abcd", '{"a": 1}', '{"a": 1}', "", "ABCD"),
        ("k2", "k2", "", '{"a":1}', '{"b": [1, 2]}', None, "x"),
        ("k3", "k3", None, '{"a":1.0}', '{"a": 1.0}', "abcd", "abcdé"),
        ("k4", "k4", "abcd ", "[]", '"abcd"', "abcd", "Abcdé"),
    ]
    prod = [
        ("k1 ", "k1", "abcd", '{"a":1}', '{"a":1}', "", "abcd"),
        ("k2", "k2", None, '{"a":1}', '{"b":[1,2]}', "", "x"),
        ("k3", "k3", "", '{"a":1}', '{"a": 1.00}', "abcd", "abcdé"),
        ("k4", "k4", "abcd", "[ ]", '"abcd"', "abce", "abcdé"),
    ]
    for side, rows in (("dev", dev), ("prod", prod)):
        for row in rows:
            dbpair.admin(side).execute(insert, row)
    monkeypatch.setattr(snapshot, "LONG_BYTES", 10**9)
    in_full = plan_and_apply(dbpair, config)
    monkeypatch.setattr(snapshot, "LONG_BYTES", long_bytes)
    lines: list[str] = []
    hashed = plan_and_apply(dbpair, config, log=lines.append)
    assert any("rows in full" in line for line in lines)
    assert hashed.plan.table("features").updates
    assert hashed.digest == in_full.digest
    applied = plan_and_apply(dbpair, config, hashed.digest)
    assert applied.written is not None
    assert applied.written.updated == len(hashed.plan.table("features").updates)


def test_an_array_of_varchar_n_is_not_hashed(dbpair: DbPair, tmp_path: Path) -> None:
    """`character varying(10)[]` is an array, not text: read as it is, never as a hash."""
    config = _features(dbpair, tmp_path, "body, labels")
    dbpair.admin("dev").execute(
        "INSERT INTO features (id, key, body, labels) VALUES ('f1', 'a', 'b', '{x,y}')"
    )
    dbpair.admin("prod").execute(
        "INSERT INTO features (id, key, body, labels) VALUES ('f1', 'a', 'b', '{x}')"
    )
    updates = plan_and_apply(dbpair, config).plan.table("features").updates
    assert [u.changes for u in updates] == [{"labels": (["x"], ["x", "y"])}]


def _one_long_update(dbpair: DbPair, tmp_path: Path) -> tuple[Config, str]:
    """One feature whose long body dev changed, and the digest of its approved plan."""
    config = _features(dbpair, tmp_path, "body")
    dbpair.admin("dev").execute(
        "INSERT INTO features (id, key, body) VALUES ('d1', 'a', %s)", [LONG + "new"]
    )
    dbpair.admin("prod").execute(
        "INSERT INTO features (id, key, body) VALUES ('f1', 'a', %s)", [LONG + "old"]
    )
    return config, plan_and_apply(dbpair, config).digest


@pytest.mark.parametrize(
    "change",
    ["UPDATE features SET key = 'z' WHERE id = 'f1'", "UPDATE features SET body = body || '!'"],
    ids=["key renamed", "long value changed"],
)
def test_a_prod_row_that_changes_between_the_reads_refuses_the_apply(
    change: str, dbpair: DbPair, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Apply reads prod in READ COMMITTED: a row renamed (or its long value changed) after
    the first read and before the second is never written to; the apply refuses."""
    config, approved = _one_long_update(dbpair, tmp_path)
    second_read = reading.read_changed

    def racing(db: Any, layouts: Any, wanted: Any, log: Any, *, hashed: bool) -> Any:
        if db.side == "prod":
            dbpair.admin("prod").execute(change)
        return second_read(db, layouts, wanted, log, hashed=hashed)

    monkeypatch.setattr(reading, "read_changed", racing)
    before = dbpair.admin("prod").execute("SELECT id, key, body FROM features").fetchall()
    with pytest.raises(OperationalError, match="changed or was gone"):
        plan_and_apply(dbpair, config, approved)
    after = dbpair.admin("prod").execute("SELECT id, key, body FROM features").fetchall()
    assert after != before  # the race happened
    assert [row[2] for row in after] != [LONG + "new"]  # and dev's value was not written


def test_a_prod_row_that_moves_before_its_lock_refuses_after_a_read_of_hashes(
    dbpair: DbPair, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After a first read of hashes the plan cannot be made again from rows in full: a row
    that changed between the reads and the row lock refuses the apply, nothing written."""
    config, approved = _one_long_update(dbpair, tmp_path)
    lock_rows = snapshot.lock_rows

    def racing(db: Any, layout: Any, pks: Any, *, hashed: bool) -> Any:
        dbpair.admin("prod").execute("UPDATE features SET body = body || '!'")
        return lock_rows(db, layout, pks, hashed=hashed)

    monkeypatch.setattr(locks, "lock_rows", racing)
    with pytest.raises(SafetyError, match="prod changed while apply was taking its row locks"):
        plan_and_apply(dbpair, config, approved)
    [(body,)] = dbpair.admin("prod").execute("SELECT body FROM features").fetchall()
    assert body == LONG + "old!"
