"""Insert-only columns whose values can be long (text, JSON, bytes, arrays) are read for the
rows to create alone: dev's first read sends NULL in their place, and a second read, one
statement per table, reads them for the new rows. Observed on the server's statement log;
the plan, its digest and what apply writes are those of a read in full, between servers of
one encoding and of two (where nothing is hashed)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from psycopg.types.json import Jsonb

from devtools.pgserver import StatementLog
from refsync import layouts, policies, snapshot
from refsync.catalog import read_catalog
from refsync.config import Config
from refsync.config_file import load_config
from refsync.db import Database
from refsync.session import Timeouts
from tests.fixtures.outcomes import spilled
from tests.fixtures.pg import DbPair, latin1_prod
from tests.fixtures.safety import refsync_statements
from tests.fixtures.scenarios import plan_and_apply

NOTES = """
CREATE TABLE notes (
    id    {pk_type} PRIMARY KEY,
    key   text NOT NULL UNIQUE,
    title text,
    body  text,
    meta  jsonb,
    tags  varchar(10)[],
    made  timestamptz
);
GRANT SELECT ON notes TO refsync_dev_reader;
GRANT SELECT, INSERT, UPDATE ON notes TO refsync_prod_writer;
"""

#: Long enough to matter, with what text can hold: a newline, non-ASCII, a quote.
BODY = 'Première ligne\nseconde "ligne" ' * 100
MADE = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
DEV = [
    ("d1", "same", "Same", "dev body never copied", {"a": 1}, ["x"], MADE),
    ("d2", "retitled", "New title", "dev body", None, None, MADE),
    ("d3", "new-long", "New", BODY, {"a": [1, True, None], "b": "é"}, ["x", "y"], MADE),
    ("d4", "new-empty", "Empty", None, None, None, None),
]
PROD = [
    ("p1", "same", "Same", "prod body", None, None, None),
    ("p2", "retitled", "Old title", "prod body", None, None, None),
]
INSERT = (
    "INSERT INTO notes (id, key, title, body, meta, tags, made) VALUES (%s, %s, %s, %s, %s, %s, %s)"
)


def _notes(dbpair: DbPair, tmp_path: Path, encoding: str, pk_type: str = "text") -> Config:
    if encoding == "LATIN1":
        latin1_prod(dbpair)
    for side, rows in (("dev", DEV), ("prod", PROD)):
        conn = dbpair.admin(side)
        conn.execute(dbpair.with_roles(NOTES.format(pk_type=pk_type)).encode())
        for row in rows:
            conn.execute(INSERT, [*row[:4], Jsonb(row[4]) if row[4] else None, *row[5:]])
    path = tmp_path / "refsync.yml"
    path.write_text(
        "version: 1\ntables:\n  - name: notes\n    match: {column: key}\n    compare: [title]\n"
    )
    return load_config(str(path))


def _notes_reads(log: StatementLog, mark: int, dev_db: str) -> list[str]:
    return [
        e.message
        for e in refsync_statements(log, mark)
        if e.database == dev_db and '"public"."notes"' in e.message
    ]


@pytest.mark.parametrize("encoding", ["UTF8", "LATIN1"])
def test_long_insert_only_columns_are_read_for_the_rows_to_create_alone(
    encoding: str, dbpair: DbPair, statement_log: StatementLog, tmp_path: Path
) -> None:
    config = _notes(dbpair, tmp_path, encoding)
    mark = statement_log.mark()
    lines: list[str] = []
    outcome = plan_and_apply(dbpair, config, log=lines.append)

    first, second = _notes_reads(statement_log, mark, dbpair.dev_db)
    for column in ('"body"', '"meta"', '"tags"'):
        assert column not in first
        assert column in second
    assert '"made"' in first  # a timestamp is narrow: read at once
    assert "NULL" in first
    assert '"id" = ANY(' in second
    assert "read dev: 2 rows in full" in "\n".join(lines)

    notes = outcome.plan.table("notes")
    assert {c.key: c.values for c in notes.creates} == {
        ("new-empty",): {
            "id": "d4",
            "key": "new-empty",
            "title": "Empty",
            "body": None,
            "meta": None,
            "tags": None,
            "made": None,
        },
        ("new-long",): {
            "id": "d3",
            "key": "new-long",
            "title": "New",
            "body": spilled(BODY),  # held on disk: equal to a Spilled of the same text only
            "meta": {"a": [1, True, None], "b": "é"},
            "tags": ["x", "y"],
            "made": MADE,
        },
    }
    assert [(u.key, u.changes) for u in notes.updates] == [
        (("retitled",), {"title": ("Old title", "New title")})
    ]


def test_the_plan_and_what_apply_writes_are_those_of_a_read_in_full(
    dbpair: DbPair, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = _notes(dbpair, tmp_path, "UTF8")
    deferring = plan_and_apply(dbpair, config)
    with monkeypatch.context() as patched:
        patched.setattr(layouts, "_deferred", lambda *_: ())
        lines: list[str] = []
        at_once = plan_and_apply(dbpair, config, log=lines.append)
    assert not any("rows in full" in line for line in lines)
    assert deferring.digest == at_once.digest
    applied = plan_and_apply(dbpair, config, deferring.digest)
    assert applied.written is not None
    assert (applied.written.inserted, applied.written.updated) == (2, 1)
    query = "SELECT key, title, body, meta, tags, made FROM notes ORDER BY key"
    dev: list[Any] = dbpair.admin("dev").execute(query).fetchall()
    prod: list[Any] = dbpair.admin("prod").execute(query).fetchall()
    created = {"new-empty", "new-long"}
    assert [r for r in prod if r[0] in created] == [r for r in dev if r[0] in created]
    # An update writes what is compared alone: prod's own body is kept.
    assert [r[:3] for r in prod if r[0] == "retitled"] == [("retitled", "New title", "prod body")]


def _layouts(dbpair: DbPair, config: Config) -> dict[str, layouts.Layout]:
    """The layouts a run builds, from dev's catalog."""
    policy = policies.base_policy(config)
    db = Database.connect(dbpair.dev_url, "dev", policy, read_only=True, timeouts=Timeouts())
    try:
        catalog = read_catalog(db, config)
    finally:
        db.close()
    return {t.name: t for t in layouts.build_layouts(config, catalog, catalog)}


@pytest.mark.parametrize(
    ("pk_type", "left_out"), [("text", ("body", "meta", "tags")), ("char(4)", ())]
)
def test_which_columns_a_first_read_leaves_out(
    pk_type: str, left_out: tuple[str, ...], dbpair: DbPair, tmp_path: Path
) -> None:
    """Insert-only text, JSON and array columns, not the timestamp, nor the key or compared
    ones; none when a second read could not select dev rows by their key exactly (char(n)
    pads), and then the plan is read at once."""
    config = _notes(dbpair, tmp_path, "UTF8", pk_type)
    layout = _layouts(dbpair, config)["notes"]
    assert layout.deferred == left_out
    lines: list[str] = []
    outcome = plan_and_apply(dbpair, config, log=lines.append)
    assert any("rows in full" in line for line in lines) == bool(left_out)
    assert len(outcome.plan.table("notes").creates) == 2


KINDS = """
CREATE TABLE kinds (id text PRIMARY KEY, name text NOT NULL UNIQUE);
CREATE TABLE items (
    id text PRIMARY KEY, name text NOT NULL UNIQUE, "kindId" text REFERENCES kinds (id)
);
GRANT SELECT ON kinds, items TO refsync_dev_reader;
GRANT SELECT, INSERT, UPDATE ON kinds, items TO refsync_prod_writer;
"""
#: A text id longer than `snapshot.LONG_BYTES` characters (a path, a URL, a long slug).
LONG_ID = "kind/" + "x" * 300


def test_an_insert_only_pointer_with_a_long_id_is_created_as_in_full(
    dbpair: DbPair, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A pointer that only an insert copies is read for the rows to create alone, and its id
    is looked up among the ids in memory: however long, it is never kept on disk (a
    `Spilled` id was never found, and a valid row was skipped as pointing at nothing)."""
    for side in ("dev", "prod"):
        dbpair.admin(side).execute(dbpair.with_roles(KINDS).encode())
        dbpair.admin(side).execute("INSERT INTO kinds VALUES (%s, 'Big')", [LONG_ID])
    dbpair.admin("dev").execute("INSERT INTO items VALUES ('i1', 'Widget', %s)", [LONG_ID])
    path = tmp_path / "refsync.yml"
    path.write_text(
        "version: 1\ntables:\n"
        "  - name: kinds\n    match: {column: name}\n    compare: [name]\n"
        "  - name: items\n    match: {column: name}\n    compare: [name]\n"
        "    references: {kindId: kinds}\n"
    )
    config = load_config(str(path))
    items_layout = _layouts(dbpair, config)["items"]
    assert "kindId" in items_layout.deferred
    assert "kindId" not in items_layout.spillable
    monkeypatch.setattr(snapshot, "LONG_BYTES", 10**9)  # nothing long: read in full
    in_full = plan_and_apply(dbpair, config)
    monkeypatch.undo()
    deferring = plan_and_apply(dbpair, config)
    items = deferring.plan.table("items")
    assert [c.key for c in items.creates] == [("Widget",)]
    assert not items.skips
    assert deferring.digest == in_full.digest
    applied = plan_and_apply(dbpair, config, deferring.digest)
    assert applied.written is not None
    assert dbpair.admin("prod").execute('SELECT "kindId" FROM items').fetchall() == [(LONG_ID,)]
