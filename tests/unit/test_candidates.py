"""The diff's first step after a first read of hashes: which rows may differ, which of them a
second read must fetch in full, and how a row in full stands for its first read (pure)."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest
from psycopg.types.range import Range

from refsync.candidates import (
    Prepared,
    carrying_hashes,
    elided,
    in_full,
    prepare,
    rows_in_full,
)
from refsync.diff import diff, finish
from refsync.errors import OperationalError
from refsync.layouts import Layout
from refsync.model import Row
from tests.fixtures.diff_tables import layout, rows

SERVICES = replace(
    layout("services", compare=("name", "description", "price")), hashed=("description",)
)
COLUMNS = SERVICES.prod_read  # id, name, description, price (dev reads the same here)


def _first_read(*records: dict[str, object]) -> list[tuple[object, ...]]:
    """Rows as a first read returns them: a long description as NULL, its hash at the end."""
    out = []
    for record in records:
        digest = record.pop("hash", None)
        out += [(*row, digest) for row in rows(COLUMNS, record)]
    return out


def test_equal_hashes_are_unchanged_and_other_rows_are_wanted_in_full() -> None:
    dev = _first_read(
        {"id": 1, "name": "Same", "price": "1.00", "hash": 11},
        {"id": 2, "name": "Changed", "price": "1.00", "hash": 22},
        {"id": 3, "name": "Short now", "description": "short", "price": "1.00"},
        {"id": 4, "name": "Price only", "description": "short", "price": "2.00"},
        {"id": 5, "name": "New", "price": "1.00", "hash": 55},
    )
    prod = _first_read(
        {"id": 1, "name": "Same", "price": "1.00", "hash": 11},
        {"id": 2, "name": "Changed", "price": "1.00", "hash": 99},
        {"id": 3, "name": "Short now", "price": "1.00", "hash": 33},
        {"id": 4, "name": "Price only", "description": "short", "price": "1.00"},
    )
    prepared = prepare([SERVICES], {"services": dev}, {"services": prod}, hashed=True)
    changed = [row[0] for _, row in prepared.changed["services"].rows]
    assert changed == [2, 3, 4, 5]
    # Only the rows that may differ and carry a hash are read again, on each side.
    assert prepared.wanted() == {"services": ([2, 5], [2, 3])}


def test_a_key_several_prod_rows_share_is_not_read_in_full() -> None:
    """Such a key is skipped as ambiguous: neither its dev row nor its prod rows are read
    again, whatever hashes they carry."""
    dev = _first_read(
        {"id": 1, "name": "Dup", "price": "1.00", "hash": 11},
        {"id": 2, "name": "Other", "price": "1.00", "hash": 22},
    )
    prod = _first_read(
        {"id": 7, "name": "Dup", "price": "1.00", "hash": 70},
        {"id": 8, "name": "Dup", "price": "1.00", "hash": 80},
        {"id": 9, "name": "Other", "price": "1.00", "hash": 90},
    )
    prepared = prepare([SERVICES], {"services": dev}, {"services": prod}, hashed=True)
    assert prepared.wanted() == {"services": ([2], [9])}


def test_without_hashes_the_trailing_columns_are_not_compared() -> None:
    """A first read of a table with no hashed column has no trailing columns to compare."""
    plain = replace(SERVICES, hashed=())
    dev = rows(COLUMNS, {"id": 1, "name": "A", "description": "x", "price": "1.00"})
    prod = rows(COLUMNS, {"id": 1, "name": "A", "description": "y", "price": "1.00"})
    prepared = prepare([plain], {"services": dev}, {"services": prod}, hashed=True)
    assert [row[0] for _, row in prepared.changed["services"].rows] == [1]
    assert prepared.wanted() == {"services": ([], [])}


def test_elided_means_a_hash_after_the_columns() -> None:
    assert elided((1, "A", None, "1.00", 7), COLUMNS)
    assert not elided((1, "A", "x", "1.00", None), COLUMNS)
    assert not elided((1, "A", "x", "1.00"), COLUMNS)


def test_carrying_hashes_are_the_elided_rows_in_order() -> None:
    rows_read = [(1, "A", None, "1.00", 7), (2, "B", "x", "1.00", None), (3, "C", None, "2.00", 9)]
    assert list(carrying_hashes(rows_read, COLUMNS)) == [r for r in rows_read if elided(r, COLUMNS)]
    assert [r[0] for r in carrying_hashes(rows_read, COLUMNS)] == [1, 3]
    assert list(carrying_hashes([], COLUMNS)) == []
    assert list(carrying_hashes([(1, "A", "x", "1.00")], COLUMNS)) == []


def test_rows_in_full_are_each_row_in_full() -> None:
    """Without a second read, rows lose their trailing hashes; one that carries a hash was
    gone by the second read and refuses. With one, each row is `in_full`'s."""
    short = (1, "A", "x", "1.00", None)
    assert rows_in_full(SERVICES, "prod", None, 0, [short]) == [(1, "A", "x", "1.00")]
    assert rows_in_full(SERVICES, "prod", {}, 0, [short, short]) == [short[:4], short[:4]]
    long = (2, "B", None, "1.00", 7)
    with pytest.raises(OperationalError, match="row 2 changed or was gone"):
        rows_in_full(SERVICES, "prod", None, 0, [short, long])
    full = {2: (2, "B", "long text", "1.00", 7)}
    assert rows_in_full(SERVICES, "prod", full, 0, [short, long]) == [
        (1, "A", "x", "1.00"),
        (2, "B", "long text", "1.00"),
    ]
    with pytest.raises(OperationalError, match=r"^prod: services row 2 changed or was gone"):
        rows_in_full(SERVICES, "prod", {1: short}, 0, [short, long])
    with pytest.raises(OperationalError, match=r"^dev: services row 2 changed or was gone"):
        rows_in_full(SERVICES, "dev", {}, 0, [long])


def test_rows_in_full_take_the_columns_their_side_reads() -> None:
    """Dev may read more columns than prod (the columns it inserts): each side's rows lose
    exactly their hashes."""
    wider = replace(SERVICES, dev_read=(*SERVICES.dev_read, "icon"))
    assert rows_in_full(wider, "prod", None, 0, [(1, "A", "x", "1.00", None)]) == [
        (1, "A", "x", "1.00")
    ]
    assert rows_in_full(wider, "dev", None, 0, [(1, "A", "x", "1.00", "i", None)]) == [
        (1, "A", "x", "1.00", "i")
    ]


def test_a_row_in_full_stands_for_its_first_read() -> None:
    first = (1, "A", None, "1.00", 7)
    full = (1, "A", "long text", "1.00", 7)  # the second read ends with the hashes again
    assert in_full(SERVICES, "prod", {1: full}, 1, first) == (1, "A", "long text", "1.00")


def test_a_short_value_read_twice_must_be_the_same() -> None:
    first = (1, "A", "short", "1.00", None)
    assert in_full(SERVICES, "prod", {1: first}, 1, first) == (1, "A", "short", "1.00")
    with pytest.raises(OperationalError, match="changed"):
        in_full(SERVICES, "prod", {1: (1, "A", "shorter", "1.00", None)}, 1, first)


def test_a_row_without_a_hash_is_its_first_read_without_the_hash_columns() -> None:
    assert in_full(SERVICES, "dev", {}, 1, (1, "A", "x", "1.00", None)) == (1, "A", "x", "1.00")
    assert in_full(SERVICES, "dev", None, 1, (1, "A", "x", "1.00")) == (1, "A", "x", "1.00")


@pytest.mark.parametrize(
    ("full", "why"),
    [
        ({}, "gone"),
        ({1: (1, "Renamed", "long text", "1.00", 7)}, "changed"),
        ({1: (1, "A", "long text", "9.99", 7)}, "changed"),
        ({1: (1, "A", "long text!", "1.00", 8)}, "changed"),
        ({1: (1, "A", "short", "1.00", None)}, "changed"),
    ],
    ids=["gone", "key changed", "unhashed value changed", "long value changed", "now short"],
)
def test_a_row_that_changed_between_the_reads_refuses(
    full: dict[int, tuple[object, ...]], why: str
) -> None:
    """Prod in an apply reads in READ COMMITTED: a row gone, or with another key or value
    than the first read saw, is never planned from."""
    with pytest.raises(OperationalError, match=why) as refused:
        in_full(SERVICES, "prod", full, 1, (1, "A", None, "1.00", 7))
    assert refused.value.message == (
        "prod: services row 1 changed or was gone when its values were read in full; "
        "the table changed during the read"
    )
    assert refused.value.fix == "re-run; nothing was written"


# --- both reads through the whole diff -------------------------------------------------------

#: Dev reads a column prod does not (`created`, only inserted): the two sides' rows differ in
#: length, so each side's rows must be cut and checked with that side's own columns.
WIDE = replace(
    layout(
        "services",
        compare=("name", "description", "price"),
        insert=("name", "description", "price", "created"),
    ),
    hashed=("description",),
)
LONG = "x" * 300
DEV_FULL = [
    (1, "Same", LONG, "1.00", "c1"),
    (2, "Changed", LONG + "new", "1.00", "c2"),
    (3, "New", LONG, "2.00", "c3"),
    (4, "Short", "short", "1.00", "c4"),
]
PROD_FULL = [
    (11, "Same", LONG, "1.00"),
    (12, "Changed", LONG + "old", "1.00"),
    (14, "Short", "short", "9.00"),
]


def _as_first_read(row: Row, at: int) -> Row:
    """A row as the first read returns it: a long value NULL, its hash at the end."""
    value = row[at]
    long = isinstance(value, str) and len(value) > 10
    return (*row[:at], None if long else value, *row[at + 1 :], hash(value) if long else None)


def _as_second_read(row: Row, at: int) -> Row:
    """A row as the second read returns it: in full, then its first read's hashes again."""
    return (*row, _as_first_read(row, at)[-1])


def test_two_reads_plan_as_one_read_in_full() -> None:
    """A first read of hashes, then the rows that may differ in full, give the plan one
    read in full gives: the same creates (dev's columns, `created` included) and updates."""
    in_full_at_once = diff([WIDE], {"services": DEV_FULL}, {"services": PROD_FULL})
    first_dev = [_as_first_read(r, 2) for r in DEV_FULL]
    first_prod = [_as_first_read(r, 2) for r in PROD_FULL]
    prepared = prepare([WIDE], {"services": first_dev}, {"services": first_prod}, hashed=True)
    wanted_dev, wanted_prod = prepared.wanted()["services"]
    assert (wanted_dev, wanted_prod) == ([2, 3], [12])
    full_dev = {r[0]: _as_second_read(r, 2) for r in DEV_FULL if r[0] in wanted_dev}
    full_prod = {r[0]: _as_second_read(r, 2) for r in PROD_FULL if r[0] in wanted_prod}
    plan = finish(prepared, {"services": full_dev}, {"services": full_prod})
    assert plan == in_full_at_once
    [create] = plan.table("services").creates
    assert create.values == {
        "id": 3,
        "name": "New",
        "description": LONG,
        "price": "2.00",
        "created": "c3",
    }
    updates = {u.pk: u.changes for u in plan.table("services").updates}
    assert updates == {
        12: {"description": (LONG + "old", LONG + "new")},
        14: {"price": ("9.00", "1.00")},
    }


def test_a_table_that_hashes_reads_in_full_at_once_too() -> None:
    """`diff` (one read in full) of a table whose layout hashes long values: its rows have no
    hashes, and none are looked for."""
    plan = diff([WIDE], {"services": DEV_FULL}, {"services": PROD_FULL})
    assert [c.key for c in plan.table("services").creates] == [("new",)]
    assert plan.table("services").counts["unchanged"] == 1


def test_a_prod_row_that_moved_between_the_reads_refuses_the_plan_naming_its_side() -> None:
    """Through the whole diff: prod row 12 was renamed between the reads."""
    first_dev = [_as_first_read(r, 2) for r in DEV_FULL]
    first_prod = [_as_first_read(r, 2) for r in PROD_FULL]
    prepared = prepare([WIDE], {"services": first_dev}, {"services": first_prod}, hashed=True)
    full_dev = {r[0]: _as_second_read(r, 2) for r in DEV_FULL if r[0] in (2, 3)}
    renamed = (12, "Renamed", LONG + "old", "1.00")
    full_prod = {12: _as_second_read(renamed, 2)}
    with pytest.raises(OperationalError) as refused:
        finish(prepared, {"services": full_dev}, {"services": full_prod})
    assert refused.value.message.startswith("prod: services row 12 changed or was gone")


def _held(prepared: Prepared) -> list[Row]:
    """Every row the prepared table holds, in each of the places it holds one."""
    dev, prod = prepared.dev["services"], prepared.prod["services"]
    changed = prepared.changed["services"]
    return [
        *dev.rows,
        *dev.by_key.values(),
        *prod.rows,
        *prod.by_key.values(),
        *prod.unkeyed,
        *(r for rows in (*dev.dupes.values(), *prod.dupes.values()) for r in rows),
        *changed.counterparts,
        *(r for _, r in changed.rows),
        *changed.prod_rows,
    ]


@pytest.mark.parametrize("moved", [False, True])
def test_a_row_read_again_is_held_once(moved: bool) -> None:
    """`hold_once`: the second read takes the first read's place everywhere, so no first read
    of a row read again is left (its tuple is freed), and the plan is the same; a row that
    moved between the reads keeps its first read, and the plan refuses as before."""
    # A key two prod rows share and a prod row without a key: never read again, kept as read.
    prod_full = [
        *PROD_FULL,
        (16, "Dup", LONG, "1.00"),
        (17, "Dup", LONG, "2.00"),
        (18, "", LONG, "1.00"),
    ]
    first_dev = [_as_first_read(r, 2) for r in DEV_FULL]
    first_prod = [_as_first_read(r, 2) for r in prod_full]
    prepared = prepare([WIDE], {"services": first_dev}, {"services": first_prod}, hashed=True)
    assert prepared.prod["services"].dupes
    assert prepared.prod["services"].unkeyed
    full_dev = {r[0]: _as_second_read(r, 2) for r in DEV_FULL if r[0] in (2, 3)}
    prod_12 = (12, "Renamed" if moved else "Changed", LONG + "old", "1.00")
    full_prod = {12: _as_second_read(prod_12, 2)}
    before = {id(r) for r in _held(prepared)}
    firsts = {r[0]: r for r in [*first_dev, *first_prod]}

    prepared.hold_once({"services": full_dev}, {"services": full_prod})

    held = _held(prepared)
    seconds = [*full_dev.values(), *full_prod.values()]
    kept_first = [firsts[12]] if moved else []
    assert {id(r) for r in held} == (
        before - {id(firsts[pk]) for pk in (2, 3, 12)}
        | {id(r) for r in seconds if not (moved and r[0] == 12)}
        | {id(r) for r in kept_first}
    )
    assert [r for r in held if r is full_prod[12]] == ([] if moved else [full_prod[12]] * 4)
    assert first_dev[1] is full_dev[2]  # the list the run read into, rewritten in place
    if moved:
        with pytest.raises(OperationalError, match="prod: services row 12 changed or was gone"):
            finish(prepared, {"services": full_dev}, {"services": full_prod})
    else:
        plan = finish(prepared, {"services": full_dev}, {"services": full_prod})
        assert plan == diff([WIDE], {"services": DEV_FULL}, {"services": prod_full})


# --- dev's long insert-only columns, read for the rows to create alone -----------------------

#: `created` (insert-only) is left out of dev's first read: NULL there, in full in the second.
DEFERRED = replace(WIDE, deferred=("created",))
#: One more row to create with a short value (no hash), and a dev key two prod rows share.
DEV_MORE = [*DEV_FULL, (5, "New short", "short", "3.00", "c5"), (6, "Dup", "short", "1.00", "c6")]
PROD_MORE = [*PROD_FULL, (16, "Dup", "short", "1.00"), (17, "Dup", "short", "2.00")]


def _left_out(row: Row) -> Row:
    """A dev row as a first read that leaves `created` out returns it (before any hash)."""
    return (*row[:4], None)


def _deferred_first_read(*, hashed: bool) -> tuple[list[Row], list[Row]]:
    if hashed:
        dev = [_as_first_read(_left_out(r), 2) for r in DEV_MORE]
        return dev, [_as_first_read(r, 2) for r in PROD_MORE]
    return [_left_out(r) for r in DEV_MORE], list(PROD_MORE)


@pytest.mark.parametrize(
    ("hashed", "table"),
    [
        (True, DEFERRED),
        (False, DEFERRED),  # servers of two encodings: a table that could hash, read plain
        (False, replace(DEFERRED, hashed=())),
    ],
)
def test_rows_to_create_are_read_again_and_plan_as_one_read_in_full(
    hashed: bool, table: Layout
) -> None:
    """The rows to create are wanted in full (with the rows carrying a hash, each once; not
    the dev row of a key prod rows share), and the plan is the one read in full gives, each
    update with its prod row as prod holds it (no hash)."""
    first_dev, first_prod = _deferred_first_read(hashed=hashed)
    sides = ({"services": first_dev}, {"services": first_prod})
    prepared = prepare([table], *sides, hashed=hashed, deferred=True)
    wanted_dev, wanted_prod = prepared.wanted()["services"]
    assert (wanted_dev, wanted_prod) == (([2, 3, 5], [12]) if hashed else ([3, 5], []))
    second = _as_second_read if hashed else lambda r, _: r
    full_dev = {r[0]: second(r, 2) for r in DEV_MORE if r[0] in wanted_dev}
    full_prod = {r[0]: second(r, 2) for r in PROD_MORE if r[0] in wanted_prod}
    plan = finish(prepared, {"services": full_dev}, {"services": full_prod})
    assert plan == diff([table], {"services": DEV_MORE}, {"services": PROD_MORE})
    assert {c.values["created"] for c in plan.table("services").creates} == {"c3", "c5"}
    prod_rows = {r[0]: r for r in PROD_MORE}
    assert [u.prod_row for u in plan.table("services").updates] == [prod_rows[12], prod_rows[14]]


def test_without_a_first_read_that_left_columns_out_no_row_to_create_is_wanted() -> None:
    """`deferred` says what dev's rows are: complete rows (a read in full) need no second
    read for their rows to create, whatever the layout."""
    first_dev, first_prod = _deferred_first_read(hashed=True)
    sides = ({"services": first_dev}, {"services": first_prod})
    prepared = prepare([DEFERRED], *sides, hashed=True)
    assert prepared.wanted() == {"services": ([2, 3], [12])}
    at_once = diff([DEFERRED], {"services": DEV_MORE}, {"services": PROD_MORE})
    assert at_once == diff([WIDE], {"services": DEV_MORE}, {"services": PROD_MORE})


@pytest.mark.parametrize(
    ("second_read", "refused_row"),
    [
        ({3: (3, "New", LONG, "2.00", "c3")}, 5),  # row 5 is missing
        ({}, 3),  # no row was read again
        ({3: (3, "New", LONG, "2.00", "c3"), 5: (5, "Renamed", "short", "3.00", "c5")}, 5),
    ],
)
def test_a_row_to_create_not_read_again_as_it_was_refuses(
    second_read: dict[int, Row], refused_row: int
) -> None:
    """A row to create that the second read did not return, or returned with another value
    in a column the first read had, refuses: its values could not be known."""
    first_dev, first_prod = _deferred_first_read(hashed=False)
    table = replace(DEFERRED, hashed=())
    prepared = prepare([table], {"services": first_dev}, {"services": first_prod}, deferred=True)
    with pytest.raises(OperationalError) as refused:
        finish(prepared, {"services": second_read}, {})
    assert refused.value.message.startswith(f"dev: services row {refused_row} changed or was gone")


def test_a_row_to_create_holding_a_range_with_a_nan_bound_is_not_a_move() -> None:
    """A column the first read keeps (narrow, only inserted) is compared between the two
    reads: a numrange with a NaN bound, unequal to itself for psycopg, is the same range."""
    table = replace(
        DEFERRED, insert=(*DEFERRED.insert, "span"), dev_read=(*DEFERRED.dev_read, "span")
    )
    span = Range(Decimal(1), Decimal("NaN"))
    first = (3, "New", "x", "2.00", None, Range(Decimal(1), Decimal("NaN")))
    full = (3, "New", "x", "2.00", "c3", span)
    prepared = prepare([table], {"services": [first]}, {"services": []}, deferred=True)
    plan = finish(prepared, {"services": {3: full}}, {})
    [create] = plan.table("services").creates
    assert create.values["span"] is span
