"""A large leaf table is scanned first (`prefilter`): each side is read as numbers, the pairs
found unchanged are counted, and only the other rows are read again (by their ids' hashes).
The plan and its digest are those of a read in full; a row that changed between the two
reads refuses.
(Every golden scenario also runs this way: `test_scenarios.py`, `scanned-first`.)"""

from __future__ import annotations

import re
import sys
import threading
import uuid
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from devtools.pgserver import StatementLog
from refsync import prefilter, scanning, sqlparts, unchanged
from refsync.config import Config
from refsync.config_file import load_config
from refsync.errors import OperationalError
from refsync.session import Timeouts
from refsync.unchanged import Kept
from tests.fixtures.pg import DbPair
from tests.fixtures.safety import refsync_statements
from tests.fixtures.scenarios import plan_and_apply, summarize

THINGS = """
CREATE TABLE things (
    id    text PRIMARY KEY,
    key   text NOT NULL UNIQUE,
    title text,
    price numeric(10, 2),
    seen  boolean
);
GRANT SELECT ON things TO refsync_dev_reader;
GRANT SELECT, INSERT, UPDATE ON things TO refsync_prod_writer;
"""
DEV = [
    ("d1", "same", "Same", "1.50", True),
    ("d2", "retitled", "New title", "2.00", None),
    ("d3", "new", "New", None, False),
    ("d4", "same-null", None, None, None),
    ("d5", "quoted", 'a "b", (c)', "0.00", True),
    ("d6", "empty-vs-null", "", "1.00", True),
]
PROD = [
    ("p1", "same", "Same", "1.50", True),
    ("p2", "retitled", "Old title", "2.00", None),
    ("p4", "same-null", None, None, None),
    ("p5", "quoted", 'a "b", (c)', "0.00", True),
    ("p6", "empty-vs-null", None, "1.00", True),
    ("p7", "prod-only", "Gone", "9.99", False),
]


def _table(  # noqa: PLR0917 - a table: its schema, rows and compared columns
    dbpair: DbPair,
    tmp_path: Path,
    schema: str,
    dev: list[tuple[Any, ...]],
    prod: list[tuple[Any, ...]],
    compare: str,
) -> Config:
    """`things` created on both sides with its rows, and a config matching it by `key`."""
    for side, rows in (("dev", dev), ("prod", prod)):
        conn = dbpair.admin(side)
        conn.execute(dbpair.with_roles(schema).encode())
        for row in rows:
            holes = ", ".join(["%s"] * len(row))
            conn.execute(f"INSERT INTO things VALUES ({holes})".encode(), row)
    path = tmp_path / "refsync.yml"
    path.write_text(
        "version: 1\ntables:\n  - name: things\n    match: {column: key}\n"
        f"    compare: [{compare}]\n"
    )
    return load_config(str(path))


def _things(dbpair: DbPair, tmp_path: Path) -> Config:
    return _table(dbpair, tmp_path, THINGS, DEV, PROD, "title, price, seen")


def test_a_table_scanned_first_plans_as_one_read_in_full(
    dbpair: DbPair, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, statement_log: StatementLog
) -> None:
    config = _things(dbpair, tmp_path)
    in_full = plan_and_apply(dbpair, config)
    monkeypatch.setattr(prefilter, "SCAN_FIRST_BYTES", 0)
    mark = statement_log.mark()
    scanned = plan_and_apply(dbpair, config)
    assert summarize(scanned.plan) == summarize(in_full.plan)
    assert scanned.digest == in_full.digest
    things = scanned.plan.table("things")
    # same, same-null, quoted: unchanged; '' and NULL differ.
    assert (things.unchanged, things.prod_only) == (3, 1)
    assert {u.key for u in things.updates} == {("retitled",), ("empty-vs-null",)}
    reads = [
        e.message
        for e in refsync_statements(statement_log, mark)
        if '"public"."things"' in e.message and e.message.lstrip().startswith("SELECT")
    ]
    # Per side a scan, then one read of what it left, by the hashes of their ids, every
    # hash keyed by this process's secret key.
    assert sum("hashtextextended" in m and "ANY" not in m for m in reads) == 2
    assert sum("hashtextextended" in m and "ANY" in m for m in reads) == 2
    hashing = [m for m in reads if "hashtextextended" in m]
    key = sqlparts.HASH_KEY
    assert all(f"{key}::int8" in m and f"{key + 1}::int8" in m for m in hashing)

    applied = plan_and_apply(dbpair, config, scanned.digest)
    assert applied.written is not None
    assert (applied.written.inserted, applied.written.updated) == (1, 2)
    assert not plan_and_apply(dbpair, config).plan.has_changes


def test_without_numpy_a_large_table_is_read_in_full_and_planned_alike(
    dbpair: DbPair, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, statement_log: StatementLog
) -> None:
    """Scanning first needs numpy; where it cannot be loaded (here: made unimportable) the run
    says so and reads every row, to the same plan, and applies it."""
    config = _things(dbpair, tmp_path)
    in_full = plan_and_apply(dbpair, config)
    monkeypatch.setattr(prefilter, "SCAN_FIRST_BYTES", 0)
    monkeypatch.setitem(sys.modules, "numpy", None)
    heard: list[str] = []
    mark = statement_log.mark()
    planned = plan_and_apply(dbpair, config, log=heard.append)
    assert summarize(planned.plan) == summarize(in_full.plan)
    assert planned.digest == in_full.digest
    assert any(
        line.startswith("numpy cannot be loaded (ModuleNotFoundError: import of numpy halted")
        and line.endswith("every row of things is read, none scanned first")
        for line in heard
    ), heard
    statements = [e.message for e in refsync_statements(statement_log, mark)]
    assert any('"public"."things"' in m for m in statements)
    # No scan and no second read by the ids' hashes: the first read read every row.
    assert not any('hashtextextended("id"::text' in m for m in statements)
    applied = plan_and_apply(dbpair, config, planned.digest)
    assert applied.written is not None
    assert (applied.written.inserted, applied.written.updated) == (1, 2)


def test_a_row_changed_between_the_scan_and_its_second_read_refuses(
    dbpair: DbPair, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An apply reads prod in READ COMMITTED: a row updated after the scan has moved (a new
    ctid) by the second read, which then finds a row the scan did not see, or none."""
    config = _things(dbpair, tmp_path)
    planned = plan_and_apply(dbpair, config)
    monkeypatch.setattr(prefilter, "SCAN_FIRST_BYTES", 0)
    real_match = unchanged.match

    def match_then_update(*args: Any, **kwargs: Any) -> Kept:
        kept = real_match(*args, **kwargs)
        dbpair.admin("prod").execute("UPDATE things SET title = 'Older title' WHERE id = 'p2'")
        return kept

    monkeypatch.setattr(scanning, "match", match_then_update)
    before = dbpair.admin("prod").execute("SELECT * FROM things ORDER BY id").fetchall()
    with pytest.raises(OperationalError, match="changed between the two reads"):
        plan_and_apply(dbpair, config, planned.digest)
    after = dbpair.admin("prod").execute("SELECT * FROM things ORDER BY id").fetchall()
    assert [r for r in after if r[0] != "p2"] == [r for r in before if r[0] != "p2"]
    assert ("d3",) not in [r[:1] for r in after]


PAIRS = """
CREATE TABLE things (id text PRIMARY KEY, key text NOT NULL UNIQUE, a text, b text);
GRANT SELECT ON things TO refsync_dev_reader;
GRANT SELECT, INSERT, UPDATE ON things TO refsync_prod_writer;
"""


def test_values_swapped_between_columns_or_a_null_moved_are_changes(
    dbpair: DbPair, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The scan hashes each compared column's text on its own, seeded by its place, a NULL
    as a number, and combines them by XOR: two columns' values swapped (with one seed for
    every place they would cancel out) or a NULL moved from one column to the other (were
    a NULL's hash left NULL, the whole row's would be) must still differ, while equal rows,
    NULLs and all, are dropped by the scan."""
    dev = [
        ("d1", "swapped", "x", "y"),
        ("d2", "null-moved", None, "z"),
        ("d3", "same-twice", "v", "v"),
        ("d4", "both-null", None, None),
        ("d5", "nulls-for-values", None, None),
    ]
    prod = [
        ("p1", "swapped", "y", "x"),
        ("p2", "null-moved", "z", None),
        ("p3", "same-twice", "v", "v"),
        ("p4", "both-null", None, None),
        ("p5", "nulls-for-values", "1", "2"),
    ]
    config = _table(dbpair, tmp_path, PAIRS, dev, prod, "a, b")
    kept: list[Kept] = []
    real_match = unchanged.match

    def match_and_keep(*args: Any, **kwargs: Any) -> Kept:
        kept.append(real_match(*args, **kwargs))
        return kept[-1]

    monkeypatch.setattr(scanning, "match", match_and_keep)
    in_full, scanned = _both(dbpair, config, monkeypatch)
    changed = {"swapped", "null-moved", "nulls-for-values"}
    assert {u.key[0] for u in in_full.plan.table("things").updates} == changed
    assert summarize(scanned.plan) == summarize(in_full.plan)
    assert scanned.digest == in_full.digest
    [found] = kept
    assert found.unchanged == 2  # same-twice and both-null, dropped by the scan


QTY = """
CREATE TABLE things (id text PRIMARY KEY, key text NOT NULL UNIQUE, qty integer);
GRANT SELECT ON things TO refsync_dev_reader;
GRANT SELECT, INSERT, UPDATE ON things TO refsync_prod_writer;
"""
#: A cast to text a superuser may create for a built-in type that has none of its own: here
#: one that shows 6 as '5', which a `::text` would use in place of int4's output function.
SHOWN_AS_FIVE = """
CREATE FUNCTION public.shown(integer) RETURNS text LANGUAGE sql IMMUTABLE
AS $$ SELECT CASE WHEN $1 = 6 THEN '5' ELSE pg_catalog.textin(pg_catalog.int4out($1)) END $$;
CREATE CAST (integer AS text) WITH FUNCTION public.shown(integer);
"""


@pytest.mark.parametrize("when", ["before the run", "after the catalog read"])
@pytest.mark.parametrize("side", ["dev", "prod"])
def test_a_cast_to_text_of_the_users_changes_nothing_the_scan_hashes(  # noqa: PLR0917
    dbpair: DbPair,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    statement_log: StatementLog,
    side: str,
    when: str,
) -> None:
    """The scan hashes each value's output text (`concat`), not its `::text`, which a cast of
    the user's would make something else: dev's 6 and prod's 5 would then hash alike and the
    update be dropped. The server looks casts up in its latest catalog, not in the run's
    snapshot, so one created while the run reads would count too; neither does."""
    config = _table(dbpair, tmp_path, QTY, [("d1", "k1", 6)], [("p1", "k1", 5)], "qty")
    in_full = plan_and_apply(dbpair, config)
    assert {u.key[0] for u in in_full.plan.table("things").updates} == {"k1"}
    monkeypatch.setattr(prefilter, "SCAN_FIRST_BYTES", 0)
    if when == "before the run":
        dbpair.admin(side).execute(SHOWN_AS_FIVE)
    else:
        real_scan, first = prefilter.scan, threading.Lock()

        def cast_then_scan(*args: Any, **kwargs: Any) -> Any:
            # Both sides scan at once, each in its thread: the first to get here creates it.
            if first.acquire(blocking=False):
                dbpair.admin(side).execute(SHOWN_AS_FIVE)
            return real_scan(*args, **kwargs)

        monkeypatch.setattr(scanning, "scan", cast_then_scan)
    mark = statement_log.mark()
    scanned = plan_and_apply(dbpair, config)
    [(shown,)] = dbpair.admin(side).execute("SELECT 6::text").fetchall()
    assert shown == "5"  # the cast is there, and a `::text` would take it
    assert summarize(scanned.plan) == summarize(in_full.plan)
    assert scanned.digest == in_full.digest
    statements = [e.message for e in refsync_statements(statement_log, mark)]
    assert sum("hashtextextended" in m and '"public"."things"' in m for m in statements) == 4


PRICES = """
CREATE TABLE things (id text PRIMARY KEY, key text NOT NULL UNIQUE, price numeric(10, 2));
GRANT SELECT ON things TO refsync_dev_reader;
GRANT SELECT, INSERT, UPDATE ON things TO refsync_prod_writer;
"""


def test_a_cast_to_text_of_the_users_changes_no_value_a_read_in_full_reads(
    dbpair: DbPair, tmp_path: Path
) -> None:
    """A read in full reads numeric, json and jsonb columns as their text: through their
    output functions, never a cast of the user's, which here would show dev's 6.00 as 5.00,
    hide an update and write 5.00 for a new row whose dev value is 6.00."""
    dev = [("d1", "k1", "6.00"), ("d2", "k2", "6.00")]
    config = _table(dbpair, tmp_path, PRICES, dev, [("p1", "k1", "5.00")], "price")
    dbpair.admin("dev").execute(
        """CREATE FUNCTION public.shown(numeric) RETURNS text LANGUAGE sql IMMUTABLE
        AS $$ SELECT CASE WHEN $1 = 6 THEN '5.00'
                          ELSE pg_catalog.textin(pg_catalog.numeric_out($1)) END $$;
        CREATE CAST (numeric AS text) WITH FUNCTION public.shown(numeric);"""
    )
    planned = plan_and_apply(dbpair, config)
    things = planned.plan.table("things")
    assert [(u.key, u.changes) for u in things.updates] == [
        (("k1",), {"price": (Decimal("5.00"), Decimal("6.00"))})
    ]
    assert [c.values["price"] for c in things.creates] == [Decimal("6.00")]
    applied = plan_and_apply(dbpair, config, planned.digest)
    assert applied.written is not None
    prod = dbpair.admin("prod").execute("SELECT key, price FROM things ORDER BY key").fetchall()
    assert prod == [("k1", Decimal("6.00")), ("k2", Decimal("6.00"))]


# Keys and signatures that Python's `hash` alone would make collide (found by an adversarial
# review): an int's or a uuid's hash is neither keyed per process nor one-to-one.

_M = 2**64
_P1, _P2, _P5 = 11400714785074694791, 14029467366897019727, 2870177450012600261


def _lane_for(target: int, rest: list[int], n: int) -> int:
    """The first lane (item hash) that makes CPython's tuple hash of n items `target`."""
    acc = (target - (n ^ (_P5 ^ 3527539))) % _M
    for lane in [*reversed(rest), None]:
        acc = acc * pow(_P1, -1, _M) % _M
        acc = ((acc >> 31) | (acc << 33)) % _M
        acc = (acc - (_P5 if lane is None else (lane % _M) * _P2)) % _M
    first = acc * pow(_P2, -1, _M) % _M
    return first - _M if first >= 2**63 else first


def _crafted(dbpair: DbPair, target: int, fits: Callable[[int], bool]) -> tuple[int, str]:
    """A key lane and a title whose signature would be `target` were the key hashed by
    `hash` alone: hash((hash((key,)), value hash)) == target."""
    for i in range(400):
        title = f"crafted {i}"
        first = _lane_for(target, [hash(_value_hash(dbpair, title))], 2)
        if abs(first) >= 2**61 - 1 or first == -1:
            continue  # hash(int) reduces modulo 2**61 - 1: no int hashes to it
        lane = _lane_for(first, [], 1)
        if fits(lane):
            return lane, title
    raise AssertionError("no title found")


INT_THINGS = """
CREATE TABLE things (id text PRIMARY KEY, key bigint, title text);
GRANT SELECT ON things TO refsync_dev_reader;
GRANT SELECT, INSERT, UPDATE ON things TO refsync_prod_writer;
"""


def _int_things(
    dbpair: DbPair, tmp_path: Path, dev: list[tuple[Any, ...]], prod: list[tuple[Any, ...]]
) -> Config:
    return _table(dbpair, tmp_path, INT_THINGS, dev, prod, "title")


def _both(dbpair: DbPair, config: Config, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, Any]:
    in_full = plan_and_apply(dbpair, config)
    monkeypatch.setattr(prefilter, "SCAN_FIRST_BYTES", 0)
    scanned = plan_and_apply(dbpair, config)
    monkeypatch.setattr(prefilter, "SCAN_FIRST_BYTES", 64 * 2**20)
    return in_full, scanned


def test_integer_keys_minus_one_and_minus_two_are_not_one_key(
    dbpair: DbPair, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """hash(-1) == hash(-2) in CPython (and hash(n) == hash(n + 2**61 - 1)): not keyed per
    process, not 2^-64. Dev's new key -1 and prod's key -2, same title: a full read creates
    -1; the scan drops the pair as unchanged."""
    config = _int_things(dbpair, tmp_path, [("d1", -1, "x")], [("p1", -2, "x")])
    in_full, scanned = _both(dbpair, config, monkeypatch)
    assert summarize(in_full.plan)["things"]["create"] == ["-1"]
    assert summarize(scanned.plan) == summarize(in_full.plan)
    assert scanned.digest == in_full.digest


def _value_hash(dbpair: DbPair, title: str) -> int:
    [(h,)] = (
        dbpair.admin("dev")
        .execute(
            "SELECT CASE WHEN %s::text IS NULL THEN %s ELSE pg_catalog.hashtextextended("
            'pg_catalog.concat(%s::text) COLLATE "C", %s) END',
            [title, sqlparts.HASH_KEY - 1, title, sqlparts.HASH_KEY + 1],
        )
        .fetchall()
    )
    return int(h)


def test_a_crafted_signature_collision_makes_the_fast_path_insert_a_duplicate(
    dbpair: DbPair, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The quick match drops every dev row whose signature prod has, and every prod row whose
    signature a dropped dev row has. Were an integer key hashed by `hash` alone (not keyed),
    a dev writer could pick a new key K1 whose signature is prod row K2's: prod's K2 would be
    dropped, dev's own K2 row (another title, another id) left without a counterpart and
    planned as a create, a second K2 row in prod. A full read updates K2 and creates K1."""
    k2, t2 = 1000, "prod title"
    target = hash((hash((k2,)), _value_hash(dbpair, t2)))
    k1, t1 = _crafted(dbpair, target, lambda lane: abs(lane) < 2**61 - 1 and lane != -1)
    # Were the key hashed as `hash((k1,))`, its signature would be prod's row's.
    assert hash((hash((k1,)), _value_hash(dbpair, t1))) == target
    assert hash((k1,)) != hash((k2,))
    config = _int_things(
        dbpair,
        tmp_path,
        [("d1", k1, t1), ("d2", k2, "dev title")],
        [("p2", k2, t2)],
    )
    in_full, scanned = _both(dbpair, config, monkeypatch)
    full = summarize(in_full.plan)["things"]
    assert full["create"] == [str(k1)]
    assert full["update"] == {str(k2): ["title"]}
    assert summarize(scanned.plan) == summarize(in_full.plan), summarize(scanned.plan)
    assert scanned.digest == in_full.digest


def test_the_crafted_collision_applied_writes_a_second_row_of_one_key(
    dbpair: DbPair, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same input, applied as scanned: prod keeps one row keyed 1000."""
    k2, t2 = 1000, "prod title"
    target = hash((hash((k2,)), _value_hash(dbpair, t2)))
    lane, t1 = _crafted(dbpair, target, lambda lane: abs(lane) < 2**61 - 1 and lane != -1)
    config = _int_things(
        dbpair, tmp_path, [("d1", lane, t1), ("d2", k2, "dev title")], [("p2", k2, t2)]
    )
    monkeypatch.setattr(prefilter, "SCAN_FIRST_BYTES", 0)
    planned = plan_and_apply(dbpair, config)
    plan_and_apply(dbpair, config, planned.digest)
    rows = dbpair.admin("prod").execute("SELECT id FROM things WHERE key = 1000").fetchall()
    assert len(rows) == 1, rows


POINTERS = """
CREATE TABLE pa (id text PRIMARY KEY, code text NOT NULL);
CREATE TABLE pb (id text PRIMARY KEY, code text NOT NULL);
CREATE TABLE kids (
    id text PRIMARY KEY, key text NOT NULL, title text,
    a_id text REFERENCES pa (id), b_id text REFERENCES pb (id)
);
GRANT SELECT ON pa, pb, kids TO refsync_dev_reader;
GRANT SELECT, INSERT, UPDATE ON pa, pb, kids TO refsync_prod_writer;
INSERT INTO pa VALUES ('a1', 'A1'); INSERT INTO pb VALUES ('b1', 'B1');
"""


def test_two_pointers_compared_in_another_order_than_declared(
    dbpair: DbPair, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The scan and the second read list pointer keys in one order (`compare`'s): in two
    orders, every kept row of such a table would have 'changed between the two reads'."""
    for side, title in (("dev", "new"), ("prod", "old")):
        conn = dbpair.admin(side)
        conn.execute(dbpair.with_roles(POINTERS).encode())
        conn.execute("INSERT INTO kids VALUES ('k1', 'k', %s, 'a1', 'b1')", [title])
    path = tmp_path / "refsync.yml"
    path.write_text(
        "version: 1\ntables:\n"
        "  - name: pa\n    match: {column: code}\n    compare: [code]\n"
        "  - name: pb\n    match: {column: code}\n    compare: [code]\n"
        "  - name: kids\n    match: {column: key}\n    compare: [title, b_id, a_id]\n"
        "    references: {a_id: pa, b_id: pb}\n"
    )
    config = load_config(str(path))
    in_full, scanned = _both(dbpair, config, monkeypatch)
    assert summarize(scanned.plan) == summarize(in_full.plan)
    assert scanned.digest == in_full.digest


def test_a_crafted_uuid_key_collision_makes_the_fast_path_insert_a_duplicate(
    dbpair: DbPair, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As above with uuid match keys (hash(UUID) is hash(its int), unkeyed): any lane in
    [0, 2**61 - 1) is some uuid's hash, so the first title tried nearly always works."""
    k2, t2 = uuid.UUID("6f1c3f0e-5a7b-4c1e-9d2a-0123456789ab"), "prod title"
    target = hash((hash((k2,)), _value_hash(dbpair, t2)))
    lane, t1 = _crafted(dbpair, target, lambda lane: 0 <= lane < 2**61 - 1)
    k1 = uuid.UUID(int=lane)
    assert hash((hash((k1,)), _value_hash(dbpair, t1))) == target
    schema = INT_THINGS.replace("key bigint", "key uuid")
    dev, prod = [("d1", k1, t1), ("d2", k2, "dev title")], [("p2", k2, t2)]
    config = _table(dbpair, tmp_path, schema, dev, prod, "title")
    in_full, scanned = _both(dbpair, config, monkeypatch)
    assert summarize(scanned.plan) == summarize(in_full.plan), summarize(scanned.plan)
    assert scanned.digest == in_full.digest


def test_a_pointer_at_a_parent_keyed_minus_one_is_not_one_at_minus_two(
    dbpair: DbPair, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A pointer compares as the key it points at: dev's kid points at parent -1, prod's at
    parent -2 (`hash(-1) == hash(-2)`). A full read updates the kid's pointer."""
    schema = """
CREATE TABLE parents (id text PRIMARY KEY, code bigint NOT NULL);
CREATE TABLE kids (id text PRIMARY KEY, key text NOT NULL, parent_id text REFERENCES parents);
GRANT SELECT ON parents, kids TO refsync_dev_reader;
GRANT SELECT, INSERT, UPDATE ON parents, kids TO refsync_prod_writer;
"""
    for side, code in (("dev", -1), ("prod", -2)):
        conn = dbpair.admin(side)
        conn.execute(dbpair.with_roles(schema).encode())
        conn.execute("INSERT INTO parents VALUES (%s, %s)", [f"{side}-p", code])
        conn.execute("INSERT INTO kids VALUES (%s, 'k', %s)", [f"{side}-k", f"{side}-p"])
    path = tmp_path / "refsync.yml"
    path.write_text(
        "version: 1\ntables:\n"
        "  - name: parents\n    match: {column: code}\n    compare: [code]\n"
        "  - name: kids\n    match: {column: key}\n    compare: [parent_id]\n"
        "    references: {parent_id: parents}\n"
    )
    in_full, scanned = _both(dbpair, load_config(str(path)), monkeypatch)
    assert summarize(in_full.plan)["kids"]["update"] == {"k": ["parent_id"]}
    assert summarize(scanned.plan) == summarize(in_full.plan)
    assert scanned.digest == in_full.digest


def test_a_long_scan_reports_its_rows_so_far_on_both_sides(
    dbpair: DbPair, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A scan says how far it has got, as a read does, on each side; then how many rows it
    scanned and how many it reads again."""
    config = _table(dbpair, tmp_path, THINGS, [], [], "title, price, seen")
    for side, n in (("dev", 12_000), ("prod", 11_000)):
        dbpair.admin(side).execute(
            "INSERT INTO things SELECT 'i' || g, 'k' || g, 'T' || g, g %% 100, true "
            "FROM generate_series(1, %s) g",
            [n],
        )
    monkeypatch.setattr(prefilter, "SCAN_FIRST_BYTES", 0)
    lines: list[str] = []
    plan_and_apply(dbpair, config, log=lines.append, timeouts=Timeouts(progress_ms=1))
    for side, n in (("dev", 12_000), ("prod", 11_000)):
        so_far = [
            int(m.group(1).replace(",", ""))
            for line in lines
            if (m := re.match(rf"scanned {side} things: ([\d,]+) rows so far \(", line))
        ]
        assert so_far == [5_000, 10_000], (side, lines)
        assert any(line.startswith(f"scanned {side} things: {n:,} rows in ") for line in lines)
    assert "read dev things: 1,000 rows that may differ" in lines
    assert "read prod things: 0 rows that may differ" in lines
