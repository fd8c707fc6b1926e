"""The diff's rules (SPEC 2 and 3) on hand-built layouts and rows, no database: create,
update and unchanged; slug and column keys, composite ones too; duplicates on either side;
comparison by value and type; pointers compared and written by key; ids taken; parents
missing, ambiguous or in a cycle; protected rows. Each test compares whole table plans, so
a wrong value, kind, reason, count or order fails it.

The same rules run end to end, on real databases, in tests/scenarios/
(tests/database/test_scenarios.py).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from refsync.diff import protect
from refsync.errors import SafetyError
from refsync.keys import key_of, show_key
from refsync.model import Create, Plan, Ref, Skip, TablePlan, Update
from tests.fixtures.diff_tables import layout, plan

CATEGORIES = layout(
    "service_categories",
    compare=("name", "description", "icon", "isActive"),
)
SERVICES = layout(
    "services",
    compare=("name", "description", "price", "categoryId", "isActive"),
    references={"categoryId": "service_categories"},
    as_text={"price": "numeric"},
)
PROFILE = [CATEGORIES, SERVICES]


def cat(pk: str, name: str | None, description: str | None = None, **more: Any) -> dict[str, Any]:
    return {"id": pk, "name": name, "description": description, "isActive": True, **more}


def svc(
    pk: str, name: str | None, category: str | None, price: str | None = "10.00", **more: Any
) -> dict[str, Any]:
    row = {"id": pk, "name": name, "price": price, "categoryId": category, "isActive": True}
    return row | more


def ref(*key: Any, table: str = "service_categories") -> Ref:
    return Ref(table, key)


def table_plan(
    name: str,
    *,
    creates: tuple[Create, ...] = (),
    updates: tuple[Update, ...] = (),
    skips: tuple[Skip, ...] = (),
    unchanged: int = 0,
    prod_only: int = 0,
) -> TablePlan:
    return TablePlan(name, creates, updates, skips, unchanged, prod_only)


def update(key: str, pk: Any, **changes: tuple[Any, Any]) -> Update:
    return Update((key,), pk, changes, ())


# --- keys -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "slug", "key"),
    [
        (["Café & Spa"], True, ("cafe-spa",)),
        (["Hot Stone  Massage!", "ignored"], True, ("hot-stone-massage",)),
        (["!!"], True, None),
        ([""], True, None),
        ([None], True, None),
        ([7], True, None),
        (["DE", 2024], False, ("DE", 2024)),
        (["a"], False, ("a",)),
        ([0, False], False, (0, False)),
        (["DE", None], False, None),
        ([None, 2024], False, None),
        (["", 2024], False, None),
        (["DE", ""], False, None),
    ],
)
def test_key_of(values: list[Any], slug: bool, key: tuple[Any, ...] | None) -> None:
    """A slug key is the slug of the first value; a column key is all values, none NULL or
    empty text (0 and false are values). No key is None."""
    assert key_of(values, slug) == key


def test_show_key() -> None:
    """Keys show their parts joined by `/`."""
    assert show_key(("DE", 2024)) == "DE/2024"
    assert show_key(("spa",)) == "spa"
    assert show_key(()) == ""


# --- create, update, unchanged, prod only ---------------------------------------------------


def test_create_update_unchanged_and_prod_only() -> None:
    """New rows are created with their dev values (pointers by key, numerics as numbers),
    changed rows updated in the compared columns that differ, equal rows left, prod-only
    rows counted."""
    got = plan(
        PROFILE,
        dev={
            "service_categories": [
                cat("dc1", "Gardening", "Lawns and hedges"),
                cat("dc2", "Cleaning", "Homes", icon="broom"),
                cat("dc3", "Plumbing", "Pipes"),
            ],
            "services": [
                svc("ds1", "Window Cleaning", "dc2", "45.00", description="Inside and out"),
                svc("ds2", "Dog Walking", "dc1"),
                svc("ds3", "Lawn Mowing", "dc1", "30.0"),
                svc("ds4", "Leak Repair", "dc3", None),
            ],
        },
        prod={
            "service_categories": [
                cat("pc1", "Gardening", "Lawns"),
                cat("pc2", "Cleaning", "Homes", icon="broom"),
                cat("pc9", "Roofing"),
            ],
            "services": [
                svc("ps1", "Window Cleaning", "pc2", "40.00", description="Inside"),
                svc("ps2", "Dog Walking", "pc1"),
                svc("ps9", "Old Service", "pc9"),
            ],
        },
    )
    assert got.tables == (
        table_plan(
            "service_categories",
            creates=(
                Create(
                    ("plumbing",),
                    {
                        "id": "dc3",
                        "name": "Plumbing",
                        "description": "Pipes",
                        "icon": None,
                        "isActive": True,
                    },
                ),
            ),
            updates=(update("gardening", "pc1", description=("Lawns", "Lawns and hedges")),),
            unchanged=1,
            prod_only=1,
        ),
        table_plan(
            "services",
            creates=(
                Create(
                    ("lawn-mowing",),
                    {
                        "id": "ds3",
                        "name": "Lawn Mowing",
                        "description": None,
                        "price": Decimal("30.0"),
                        "categoryId": ref("gardening"),
                        "isActive": True,
                    },
                ),
                Create(
                    ("leak-repair",),
                    {
                        "id": "ds4",
                        "name": "Leak Repair",
                        "description": None,
                        "price": None,
                        "categoryId": ref("plumbing"),
                        "isActive": True,
                    },
                ),
            ),
            updates=(
                update(
                    "window-cleaning",
                    "ps1",
                    description=("Inside", "Inside and out"),
                    price=(Decimal("40.00"), Decimal("45.00")),
                ),
            ),
            unchanged=1,
            prod_only=1,
        ),
    )
    assert got.table("services") is got.tables[1]
    assert [type(v) for v in got.tables[1].updates[0].changes["price"]] == [Decimal, Decimal]


def test_update_keeps_the_prod_row_and_writes_only_changed_columns() -> None:
    """An update names prod's primary key and only the columns that differ; it keeps the prod
    row as read for writing the others back."""
    got = plan(
        [CATEGORIES],
        dev={"service_categories": [cat("d1", "Spa", "new", icon="i")]},
        prod={"service_categories": [cat("p1", "Spa", "old", icon="i")]},
    )
    [changed] = got.tables[0].updates
    assert changed.changes == {"description": ("old", "new")}
    assert changed.pk == "p1"
    assert changed.prod_row == ("p1", "Spa", "old", "i", True)


def test_an_empty_table_plans_nothing() -> None:
    """No rows on either side: nothing to do, and no error."""
    assert plan(PROFILE, dev={}, prod={}).tables == (
        table_plan("service_categories"),
        table_plan("services"),
    )


def test_prod_only_rows_are_counted() -> None:
    """Prod rows no dev row matches are counted, never touched; a prod row without a key
    (NULL or unsluggable name) is one of them."""
    got = plan(
        [CATEGORIES],
        dev={"service_categories": [cat("d1", "Spa")]},
        prod={
            "service_categories": [
                cat("p1", "Spa"),
                cat("p2", "Other"),
                cat("p3", None),
                cat("p4", "!!"),
            ]
        },
    )
    assert got.tables == (table_plan("service_categories", unchanged=1, prod_only=3),)


def test_outputs_are_in_key_order() -> None:
    """Creates, updates and skips are each sorted by key, whatever the row order."""
    names = ["Delta", "alpha", "Charlie", "bravo"]
    got = plan(
        [CATEGORIES],
        dev={
            "service_categories": [cat(f"d{i}", n, "new") for i, n in enumerate(names)]
            + [cat(f"n{i}", f"New {n}") for i, n in enumerate(names)]
        },
        prod={
            "service_categories": [cat(f"p{i}", n, "old") for i, n in enumerate(names)]
            + [cat("x1", "Skip"), cat("x2", "Skip")]
        },
    )
    [table] = got.tables
    assert [u.key for u in table.updates] == [("alpha",), ("bravo",), ("charlie",), ("delta",)]
    assert [c.key for c in table.creates] == [
        ("new-alpha",),
        ("new-bravo",),
        ("new-charlie",),
        ("new-delta",),
    ]


# --- slug and column keys -------------------------------------------------------------------


def test_slug_matching() -> None:
    """Rows match by the slug of their name: accents, case, punctuation and spacing aside."""
    got = plan(
        [CATEGORIES],
        dev={
            "service_categories": [
                cat("d1", "Café & Spa"),
                cat("d2", "Straße Works"),
                cat("d3", "Hot Stone  Massage!"),
                cat("d4", "same"),
            ]
        },
        prod={
            "service_categories": [
                cat("p1", "Cafe & Spa"),
                cat("p2", "strasse works"),
                cat("p3", "hot-stone massage"),
                cat("p4", "same"),
            ]
        },
    )
    [table] = got.tables
    assert table.updates == (
        update("cafe-spa", "p1", name=("Cafe & Spa", "Café & Spa")),
        update("hot-stone-massage", "p3", name=("hot-stone massage", "Hot Stone  Massage!")),
        update("strasse-works", "p2", name=("strasse works", "Straße Works")),
    )
    assert (table.unchanged, table.prod_only) == (1, 0)


def test_slugs_of_names_seen_on_one_side_only() -> None:
    """A prod name that no dev row has is slugged too (the second side's own names)."""
    got = plan(
        [CATEGORIES],
        dev={"service_categories": [cat("d1", "Spa"), cat("d2", "Gym")]},
        prod={"service_categories": [cat("p1", "SPA"), cat("p2", "Sauna & Pool")]},
    )
    assert got.tables[0].updates == (update("spa", "p1", name=("SPA", "Spa")),)
    assert [c.key for c in got.tables[0].creates] == [("gym",)]
    assert got.tables[0].prod_only == 1


def test_slug_of_a_name_that_is_not_text() -> None:
    """A slug source that holds JSON, an array or a number has no key on prod (prod-only)."""
    labels = layout("labels", match=("label",), compare=("note",))
    got = plan(
        [labels],
        dev={"labels": [{"id": "d1", "label": "A", "note": "x"}]},
        prod={
            "labels": [
                {"id": "p1", "label": "A", "note": "x"},
                {"id": "p2", "label": ["A"], "note": "x"},
                {"id": "p3", "label": {"a": 1}, "note": "x"},
                {"id": "p4", "label": 5, "note": "x"},
                {"id": "p5", "label": None, "note": "x"},
            ]
        },
    )
    assert got.tables == (table_plan("labels", unchanged=1, prod_only=4),)


@pytest.mark.parametrize(
    "label",
    [["A"], {"a": 1}, 5, None, "!!", ""],
    ids=["array", "json", "number", "null", "unsluggable", "empty"],
)
def test_dev_row_without_a_slug_is_refused(label: Any) -> None:
    """A dev row whose slug source has no slug cannot be matched: the plan is refused."""
    labels = layout("labels", match=("label",), compare=("note",))
    with pytest.raises(SafetyError) as refused:
        plan([labels], dev={"labels": [{"id": "d1", "label": label}]}, prod={})
    assert refused.value.message == (
        "dev has rows refsync cannot match unambiguously; nothing was planned:\n"
        "  labels: row 'd1' has an empty slug of label"
    )


def test_column_key() -> None:
    """`match: {column: code}` matches by the raw value: case and spacing count."""
    countries = layout("countries", match=("code",), slug=False, compare=("name",))
    got = plan(
        [countries],
        dev={
            "countries": [
                {"id": "d1", "code": "AT", "name": "Austria"},
                {"id": "d2", "code": "ch", "name": "Switzerland"},
                {"id": "d3", "code": 0, "name": "Zero"},
            ]
        },
        prod={
            "countries": [
                {"id": "p1", "code": "AT", "name": "Österreich"},
                {"id": "p2", "code": "CH", "name": "Switzerland"},
                {"id": "p3", "code": 0, "name": "Zero"},
                {"id": "p4", "code": None, "name": "x"},
                {"id": "p5", "code": "", "name": "y"},
            ]
        },
    )
    [table] = got.tables
    assert table.updates == (update("AT", "p1", name=("Österreich", "Austria")),)
    assert table.creates == (Create(("ch",), {"id": "d2", "code": "ch", "name": "Switzerland"}),)
    assert (table.unchanged, table.prod_only) == (1, 3)


@pytest.mark.parametrize("code", [None, ""], ids=["null", "empty"])
def test_dev_row_with_an_empty_column_key_is_refused(code: str | None) -> None:
    """A NULL or empty match column in dev is refused, naming the column."""
    countries = layout("countries", match=("code",), slug=False, compare=("name",))
    with pytest.raises(SafetyError) as refused:
        plan([countries], dev={"countries": [{"id": "d1", "code": code}]}, prod={})
    assert refused.value.message.endswith("\n  countries: row 'd1' has an empty code")


@pytest.mark.parametrize("code", [float("nan"), Decimal("NaN")], ids=["float", "numeric"])
def test_a_nan_key_is_no_key(code: float | Decimal) -> None:
    """NaN equals nothing, not even itself: a dev row keyed by it could never be found in
    prod again (a table whose ids prod makes would get the row again on every apply), so it
    is refused by name; a prod row keyed by it matches nothing and is prod-only."""
    countries = layout("countries", match=("code",), slug=False, compare=("name",))
    with pytest.raises(SafetyError) as refused:
        plan([countries], dev={"countries": [{"id": "d1", "code": code}]}, prod={})
    assert refused.value.message.endswith("\n  countries: row 'd1' has NaN in code")
    prod_nan = {"countries": [{"id": "p1", "code": code, "name": "x"}]}
    got = plan(
        [countries], dev={"countries": [{"id": "d2", "code": 1.5, "name": "x"}]}, prod=prod_nan
    )
    [table] = got.tables
    assert [c.key for c in table.creates] == [(1.5,)]
    assert (table.unchanged, table.prod_only) == (0, 1)


def test_a_nan_part_of_a_composite_key_is_refused() -> None:
    with pytest.raises(SafetyError) as refused:
        plan([RATES], dev={"tax_rates": [rate(9, "DE", float("nan"))]}, prod={})
    assert refused.value.message.endswith("\n  tax_rates: row 9 has NaN in country, year")


# --- composite keys -------------------------------------------------------------------------

RATES = layout("tax_rates", match=("country", "year"), slug=False, compare=("rate",))
EXEMPTIONS = layout(
    "tax_exemptions",
    match=("code",),
    slug=False,
    compare=("rateId",),
    references={"rateId": "tax_rates"},
)


def rate(pk: Any, country: str | None, year: float | None, value: str = "20.00") -> dict[str, Any]:
    return {"id": pk, "country": country, "year": year, "rate": value}


def test_composite_keys() -> None:
    """A key of several columns matches on all of them; a pointer at such a row compares and
    is written by that whole key; a table that compares only a pointer still creates."""
    got = plan(
        [RATES, EXEMPTIONS],
        dev={
            "tax_rates": [
                rate(1, "AT", 2024),
                rate(2, "AT", 2025),
                rate(3, "DE", 2024, "19.00"),
                rate(4, "DE", 2025, "19.00"),
            ],
            "tax_exemptions": [
                {"id": "e1", "code": "books-at-2025", "rateId": 2},
                {"id": "e2", "code": "food-de-2024", "rateId": 3},
                {"id": "e3", "code": "same", "rateId": 4},
            ],
        },
        prod={
            "tax_rates": [
                rate(11, "AT", 2024),
                rate(13, "DE", 2024, "16.00"),
                rate(14, "DE", 2025, "19.00"),
                rate(15, "AT", None),
            ],
            "tax_exemptions": [
                {"id": "x2", "code": "food-de-2024", "rateId": 14},
                {"id": "x3", "code": "same", "rateId": 14},
            ],
        },
    )
    assert got.tables == (
        table_plan(
            "tax_rates",
            creates=(
                Create(("AT", 2025), {"id": 2, "country": "AT", "year": 2025, "rate": "20.00"}),
            ),
            updates=(Update(("DE", 2024), 13, {"rate": ("16.00", "19.00")}, ()),),
            unchanged=2,
            prod_only=1,
        ),
        table_plan(
            "tax_exemptions",
            creates=(
                Create(
                    ("books-at-2025",),
                    {
                        "id": "e1",
                        "code": "books-at-2025",
                        "rateId": ref("AT", 2025, table="tax_rates"),
                    },
                ),
            ),
            updates=(
                update(
                    "food-de-2024",
                    "x2",
                    rateId=(ref("DE", 2025, table="tax_rates"), ref("DE", 2024, table="tax_rates")),
                ),
            ),
            unchanged=1,
        ),
    )


@pytest.mark.parametrize(
    ("country", "year"),
    [("DE", None), (None, 2024), ("", 2024), (None, None)],
)
def test_dev_row_with_a_null_or_empty_key_part_is_refused(
    country: str | None, year: int | None
) -> None:
    """Every part of a composite key must be there: NULL or '' in any part is refused."""
    with pytest.raises(SafetyError) as refused:
        plan([RATES], dev={"tax_rates": [rate(9, country, year)]}, prod={})
    assert refused.value.message.endswith("\n  tax_rates: row 9 has an empty country, year")


def test_prod_row_with_a_null_or_empty_key_part_is_prod_only() -> None:
    """A prod row missing a key part matches nothing: it is prod-only, and a dev row with the
    other parts is created beside it."""
    got = plan(
        [RATES],
        dev={"tax_rates": [rate(1, "DE", 2024)]},
        prod={"tax_rates": [rate(11, "DE", None), rate(12, "", 2024), rate(13, None, None)]},
    )
    [table] = got.tables
    assert [c.key for c in table.creates] == [("DE", 2024)]
    assert table.prod_only == 3


# --- duplicates -----------------------------------------------------------------------------


def test_dev_duplicates_are_refused_and_listed() -> None:
    """Two dev rows with one key: the plan is refused, listing every shared key with its
    rows' ids, keys sorted, every table checked before refusing."""
    with pytest.raises(SafetyError) as refused:
        plan(
            PROFILE,
            dev={
                "service_categories": [
                    cat("dc1", "Spa"),
                    cat("dc2", "spa"),
                    cat("dc3", "A"),
                    cat("dc4", "a!"),
                    cat("dc5", "SPA "),
                ],
                "services": [
                    svc("ds1", "Window Cleaning", None),
                    svc("ds2", "window cleaning", None),
                ],
            },
            prod={},
        )
    error = refused.value
    assert error.message == (
        "dev has rows refsync cannot match unambiguously; nothing was planned:\n"
        "  service_categories: key `a` is shared by dev rows ['dc3', 'dc4']\n"
        "  service_categories: key `spa` is shared by dev rows ['dc1', 'dc2', 'dc5']\n"
        "  services: key `window-cleaning` is shared by dev rows ['ds1', 'ds2']"
    )
    assert error.fix == (
        "rename or remove the duplicates in dev (every row needs a distinct match key, "
        "none of it NULL, empty or NaN), then re-run"
    )
    assert error.exit_code == 1


def test_dev_problems_are_listed_up_to_a_limit() -> None:
    """At most 20 unkeyed rows per table and 50 problems in all are listed, then a count."""
    with pytest.raises(SafetyError) as refused:
        plan(
            PROFILE,
            dev={
                "service_categories": [cat(f"e{i:02}", None) for i in range(25)]
                + [cat(f"d{i:02}", f"Dup {i // 2}") for i in range(80)],
                "services": [svc("s1", "", None)],
            },
            prod={},
        )
    lines = refused.value.message.split("\n")
    assert lines[1:3] == [
        "  service_categories: row 'e00' has an empty slug of name",
        "  service_categories: row 'e01' has an empty slug of name",
    ]
    assert lines[20] == "  service_categories: row 'e19' has an empty slug of name"
    assert lines[21] == "  service_categories: key `dup-0` is shared by dev rows ['d00', 'd01']"
    assert len(lines) == 52
    # keys sort as text: dup-0, dup-1, dup-10 ... dup-19, dup-2, dup-20 ... so the 30th is dup-35
    assert lines[50] == "  service_categories: key `dup-35` is shared by dev rows ['d70', 'd71']"
    # 20 unkeyed + 40 shared keys + 1 unkeyed service = 61 problems, 50 shown
    assert lines[51] == "  … and 11 more"


def test_exactly_fifty_problems_are_all_listed() -> None:
    """With 50 problems there is nothing more to count."""
    with pytest.raises(SafetyError) as refused:
        plan(
            [CATEGORIES],
            dev={"service_categories": [cat(f"d{i:03}", f"Dup {i // 2}") for i in range(100)]},
            prod={},
        )
    lines = refused.value.message.split("\n")
    assert len(lines) == 51
    assert "more" not in lines[-1]


def test_fifty_one_problems_show_one_more() -> None:
    """One problem past the 50 listed is counted."""
    with pytest.raises(SafetyError) as refused:
        plan(
            [CATEGORIES],
            dev={"service_categories": [cat(f"d{i:03}", f"Dup {i // 2}") for i in range(102)]},
            prod={},
        )
    assert refused.value.message.split("\n")[-1] == "  … and 1 more"


def test_dev_primary_key_names_the_rows() -> None:
    """Errors name dev rows by dev's own primary key column, which may differ from prod's."""
    tags = layout("tags", match=("code",), slug=False, compare=("name",), dev_pk="uid")
    with pytest.raises(SafetyError) as refused:
        plan(
            [tags],
            dev={"tags": [{"uid": "u1", "code": "x"}, {"uid": "u2", "code": "x"}]},
            prod={},
            dev_pk={"tags": "uid"},
        )
    assert refused.value.message.endswith("\n  tags: key `x` is shared by dev rows ['u1', 'u2']")


def test_dev_primary_key_is_copied_into_creates() -> None:
    """A create copies dev's primary key value into prod's primary key column."""
    tags = layout("tags", match=("code",), slug=False, compare=("name",), dev_pk="uid")
    got = plan(
        [tags],
        dev={"tags": [{"uid": "u1", "code": "x", "name": "X"}]},
        prod={"tags": [{"id": "u1", "code": "y", "name": "Y"}]},
        dev_pk={"tags": "uid"},
    )
    assert got.tables[0].skips == (
        Skip(("x",), "id-taken", "id 'u1' is already used in prod by `y`"),
    )
    got = plan(
        [tags],
        dev={"tags": [{"uid": "u1", "code": "x", "name": "X"}]},
        prod={},
        dev_pk={"tags": "uid"},
    )
    assert got.tables[0].creates == (Create(("x",), {"id": "u1", "code": "x", "name": "X"}),)


def test_prod_duplicates_are_skipped_as_ambiguous() -> None:
    """Two prod rows with one key: that key is skipped, the rest proceeds; the shared rows
    that dev has are matched (not prod-only), those dev lacks are prod-only."""
    got = plan(
        [CATEGORIES],
        dev={
            "service_categories": [
                cat("d1", "Window Cleaning", "dev"),
                cat("d2", "Oven Cleaning"),
                cat("d3", "Same"),
            ]
        },
        prod={
            "service_categories": [
                cat("p1", "Window Cleaning", "a"),
                cat("p2", "window cleaning", "b"),
                cat("p3", "WINDOW CLEANING!", "dev"),
                cat("p4", "Same"),
                cat("p5", "Gone"),
                cat("p6", "gone"),
            ]
        },
    )
    assert got.tables == (
        table_plan(
            "service_categories",
            creates=(
                Create(
                    ("oven-cleaning",),
                    {
                        "id": "d2",
                        "name": "Oven Cleaning",
                        "description": None,
                        "icon": None,
                        "isActive": True,
                    },
                ),
            ),
            skips=(
                Skip(
                    ("window-cleaning",),
                    "ambiguous",
                    "ambiguous in prod (3 rows share this key); resolve it in prod",
                ),
            ),
            unchanged=1,
            prod_only=2,
        ),
    )


def test_prod_duplicates_equal_to_dev_are_still_ambiguous() -> None:
    """A key prod holds twice is skipped even when a prod row equals the dev row."""
    got = plan(
        [CATEGORIES],
        dev={"service_categories": [cat("d1", "Spa")]},
        prod={"service_categories": [cat("p1", "Spa"), cat("p2", "spa")]},
    )
    assert got.tables[0].skips == (
        Skip(
            ("spa",), "ambiguous", "ambiguous in prod (2 rows share this key); resolve it in prod"
        ),
    )
    assert (got.tables[0].unchanged, got.tables[0].prod_only) == (0, 0)


# --- comparison by value and type -----------------------------------------------------------

PRICES = layout(
    "products", match=("sku",), slug=False, compare=("price",), as_text={"price": "numeric"}
)


@pytest.mark.parametrize(
    ("dev_price", "prod_price", "change"),
    [
        ("10.0", "10.00", None),
        ("10", "10.000", None),
        ("-0", "0.00", None),
        ("NaN", "NaN", None),
        (None, None, None),
        ("9.99", "10.00", (Decimal("10.00"), Decimal("9.99"))),
        ("0", None, (None, Decimal("0"))),
        (None, "0", (Decimal("0"), None)),
        ("NaN", "1", (Decimal("1"), Decimal("NaN"))),
        ("1", "NaN", (Decimal("NaN"), Decimal("1"))),
    ],
)
def test_numeric_compares_by_value(
    dev_price: str | None, prod_price: str | None, change: tuple[Any, Any] | None
) -> None:
    """numeric read as text compares as a number: 10.0 is 10.00, NaN is NaN, NULL is not 0."""
    got = plan(
        [PRICES],
        dev={"products": [{"id": "d1", "sku": "A", "price": dev_price}]},
        prod={"products": [{"id": "p1", "sku": "A", "price": prod_price}]},
    )
    [table] = got.tables
    if change is None:
        assert (table.updates, table.unchanged) == ((), 1)
    else:
        [changed] = table.updates
        assert (changed.key, changed.pk, list(changed.changes)) == (("A",), "p1", ["price"])
        # repr, not ==: Decimal("NaN") != Decimal("NaN"), and the scale must be dev's own
        assert repr(changed.changes["price"]) == repr(change)


@pytest.mark.parametrize(
    ("dev_value", "prod_value", "differs"),
    [
        (None, "", True),
        ("", None, True),
        ("", "", False),
        (None, None, False),
        ("a", "a ", True),
        ("A", "a", True),
        (True, False, True),
        (1, 1.0, False),
        (float("nan"), float("nan"), False),
        (float("nan"), 1.5, True),
        (1.5, float("nan"), True),
        (float("nan"), None, True),
        ([Decimal("NaN"), Decimal("1.0")], [Decimal("NaN"), Decimal("1")], False),
        ([Decimal("NaN")], [Decimal("1")], True),
        ([1, 2], [1, 2, 3], True),
        (["a", None], ["a", ""], True),
    ],
)
def test_plain_columns_compare_by_value_and_type(
    dev_value: Any, prod_value: Any, differs: bool
) -> None:
    """NULL differs from '', text compares exactly, NaN equals NaN (float and numeric, in arrays
    too) and nothing else. (Both sides of a plain column have one type: layout() refuses
    drift, and JSON, where true and 1 meet, is compared apart.)"""
    notes = layout("notes", match=("key",), slug=False, compare=("value",))
    got = plan(
        [notes],
        dev={"notes": [{"id": "d1", "key": "k", "value": dev_value}]},
        prod={"notes": [{"id": "p1", "key": "k", "value": prod_value}]},
    )
    [table] = got.tables
    if differs:
        [changed] = table.updates
        assert changed.changes["value"][0] is prod_value
        assert changed.changes["value"][1] is dev_value
    else:
        assert (table.updates, table.unchanged) == ((), 1)


JSON = layout(
    "plans",
    match=("key",),
    slug=False,
    compare=("meta", "history"),
    as_text={"meta": "json"},
    strict=("history",),
)


@pytest.mark.parametrize(
    ("dev_meta", "prod_meta", "change"),
    [
        ('{"on": true}', '{"on": 1}', ({"on": 1}, {"on": True})),
        ('{"on": false}', '{"on": 0}', ({"on": 0}, {"on": False})),
        ('{"l": [1, true]}', '{"l": [1, 1]}', ({"l": [1, 1]}, {"l": [1, True]})),
        ('{"n": 1.0, "m": 2.50}', '{"m": 2.5, "n": 1}', None),
        ('{"a":1,"b":[true]}', '{"a": 1, "b": [true]}', None),
        ('{"a": null}', '{"a": null}', None),
        ('{"a": null}', '{"a": 0}', ({"a": 0}, {"a": None})),
        ('{"a": null}', "{}", ({}, {"a": None})),
        ("null", '{"a": 1}', ({"a": 1}, None)),
        (None, "{}", ({}, None)),
        ("{}", None, (None, {})),
        ("[1, 2]", "[2, 1]", ([2, 1], [1, 2])),
        ('"1"', "1", (1, "1")),
    ],
)
def test_json_compares_by_type(
    dev_meta: str | None, prod_meta: str | None, change: tuple[Any, Any] | None
) -> None:
    """json/jsonb read as text compares as data: key order and number forms aside, true is
    not 1, "1" is not 1, null is a value, NULL is no value; changes carry the parsed data."""
    got = plan(
        [JSON],
        dev={"plans": [{"id": "d1", "key": "k", "meta": dev_meta, "history": []}]},
        prod={"plans": [{"id": "p1", "key": "k", "meta": prod_meta, "history": []}]},
    )
    [table] = got.tables
    if change is None:
        assert (table.updates, table.unchanged) == ((), 1)
    else:
        assert table.updates == (update("k", "p1", meta=change),)
        old, new = table.updates[0].changes["meta"]
        assert (repr(old), repr(new)) == (repr(change[0]), repr(change[1]))


@pytest.mark.parametrize(
    ("dev_history", "prod_history", "differs"),
    [
        ([{"on": True}], [{"on": 1}], True),
        ([{"on": 1}], [{"on": True}], True),
        ([True], [1], True),
        ([{"a": 1, "b": 2}, [1.0]], [{"b": 2, "a": 1}, [1]], False),
        ([None], [None], False),
        ([None], [{}], True),
        ([{}], [None], True),
        ([{"k": None}], [{"k": 0}], True),
        ([{"k": 0}], [{"k": None}], True),
        ([{"k": None}], [{}], True),
        (None, [], True),
        ([], None, True),
        (None, None, False),
        ([{"a": 1}], [{"a": 1}, {"a": 1}], True),
    ],
)
def test_json_inside_arrays_compares_by_type(
    dev_history: Any, prod_history: Any, differs: bool
) -> None:
    """jsonb[] arrives as lists of data, where Python's == takes true for 1: each row
    compares it value by value and type by type, NULLs inside included."""
    got = plan(
        [JSON],
        dev={"plans": [{"id": "d1", "key": "k", "meta": "{}", "history": dev_history}]},
        prod={"plans": [{"id": "p1", "key": "k", "meta": "{}", "history": prod_history}]},
    )
    [table] = got.tables
    if differs:
        assert table.updates == (update("k", "p1", history=(prod_history, dev_history)),)
    else:
        assert (table.updates, table.unchanged) == ((), 1)


def test_json_inside_arrays_of_unchanged_rows_beside_changed_ones() -> None:
    """The by-type check runs for every row, also when other columns or rows differ."""
    got = plan(
        [JSON],
        dev={
            "plans": [
                {"id": "d1", "key": "a", "meta": '{"x": 1}', "history": [{"on": True}]},
                {"id": "d2", "key": "b", "meta": "{}", "history": [{"on": True}]},
                {"id": "d3", "key": "c", "meta": "{}", "history": [{"on": True}]},
            ]
        },
        prod={
            "plans": [
                {"id": "p1", "key": "a", "meta": '{"x": 2}', "history": [{"on": True}]},
                {"id": "p2", "key": "b", "meta": "{}", "history": [{"on": 1}]},
                {"id": "p3", "key": "c", "meta": "{}", "history": [{"on": True}]},
            ]
        },
    )
    [table] = got.tables
    assert table.updates == (
        update("a", "p1", meta=({"x": 2}, {"x": 1})),
        update("b", "p2", history=([{"on": 1}], [{"on": True}])),
    )
    assert table.unchanged == 1


def test_json_is_created_as_data() -> None:
    """A created row carries its JSON parsed (numbers as numbers, true as true)."""
    got = plan(
        [JSON],
        dev={"plans": [{"id": "d1", "key": "k", "meta": '{"a": 1.5, "b": true}', "history": None}]},
        prod={},
    )
    assert got.tables[0].creates == (
        Create(("k",), {"id": "d1", "key": "k", "meta": {"a": 1.5, "b": True}, "history": None}),
    )


def test_rows_equal_by_value_do_not_end_the_comparison() -> None:
    """A row that differs raw but is equal by value counts as unchanged, and the rows after
    it are still compared."""
    got = plan(
        [PRICES],
        dev={
            "products": [
                {"id": "d1", "sku": "A", "price": "10.0"},
                {"id": "d2", "sku": "B", "price": "2"},
                {"id": "d3", "sku": "C", "price": "3.0"},
            ]
        },
        prod={
            "products": [
                {"id": "p1", "sku": "A", "price": "10.00"},
                {"id": "p2", "sku": "B", "price": "1"},
            ]
        },
    )
    [table] = got.tables
    assert table.updates == (update("B", "p2", price=(Decimal("1"), Decimal("2"))),)
    assert [c.key for c in table.creates] == [("C",)]
    assert table.unchanged == 1


def test_values_of_different_types_are_compared_as_plan_values() -> None:
    """A compared column whose two raw values differ in type only (1 and 1.0) is equal."""
    notes = layout("notes", match=("key",), slug=False, compare=("a", "b"))
    got = plan(
        [notes],
        dev={"notes": [{"id": "d1", "key": "k", "a": 1, "b": "x"}]},
        prod={"notes": [{"id": "p1", "key": "k", "a": 1.0, "b": "y"}]},
    )
    assert got.tables[0].updates == (update("k", "p1", b=("y", "x")),)


FEATURES = layout(
    "features",
    match=("key",),
    slug=False,
    compare=("label", "weight", "rank", "enabled", "launchAt", "expiresAt", "meta", "tier", "tags"),
    as_text={"weight": "numeric", "meta": "json"},
)
UTC, CEST = dt.UTC, dt.timezone(dt.timedelta(hours=2))


def feature(pk: str, key: str, **values: Any) -> dict[str, Any]:
    """A features row as read: numeric and JSON as text, an enum as its label, text[] a list."""
    same = {
        "label": "Same values",
        "weight": "10.0",
        "rank": 1,
        "enabled": True,
        "launchAt": dt.datetime(2024, 1, 2, 3, 4, 5, 123000),
        "expiresAt": dt.datetime(2030, 6, 1, 12, tzinfo=CEST),
        "meta": '{"a": 1, "b": {"c": [1, 2]}}',
        "tier": "pro",
        "tags": ["x", "y"],
    }
    return {"id": pk, "key": key, **same, **values}


def test_column_types_compare_by_value() -> None:
    """The column types applications use (varchar, numeric, integer, boolean, timestamp,
    timestamptz, jsonb, an enum, text[]) compare by value: numeric scale, JSON key order and
    a timestamptz's offset do not count; every other difference is a change of its column."""
    got = plan(
        [FEATURES],
        dev={
            "features": [
                feature("f1", "same"),
                feature(
                    "f2",
                    "changed",
                    weight="2.5",
                    rank=2,
                    enabled=False,
                    expiresAt=dt.datetime(2031, 1, 1, 0, 0, 0, 123456, tzinfo=UTC),
                    meta='{"ratio": 0.25}',
                    tier="enterprise",
                    tags=["with space", None],
                ),
            ]
        },
        prod={
            "features": [
                feature(
                    "f1",
                    "same",
                    weight="10.00",
                    expiresAt=dt.datetime(2030, 6, 1, 10, tzinfo=UTC),
                    meta='{"b": {"c": [1, 2]}, "a": 1}',
                ),
                feature(
                    "f2",
                    "changed",
                    weight="2.50",
                    rank=3,
                    expiresAt=dt.datetime(2031, 1, 1, tzinfo=UTC),
                    meta='{"ratio": 0.5}',
                    tags=["a"],
                ),
            ]
        },
    )
    [table] = got.tables
    [changed] = table.updates
    assert (changed.key, table.unchanged) == (("changed",), 1)
    assert changed.changes == {
        "rank": (3, 2),
        "enabled": (True, False),
        "expiresAt": (
            dt.datetime(2031, 1, 1, tzinfo=UTC),
            dt.datetime(2031, 1, 1, 0, 0, 0, 123456, tzinfo=UTC),
        ),
        "meta": ({"ratio": 0.5}, {"ratio": 0.25}),
        "tier": ("pro", "enterprise"),
        "tags": (["a"], ["with space", None]),
    }


def test_nan_and_intervals_compare_as_postgresql_does() -> None:
    """Values PostgreSQL takes as equal are unchanged: NaN = NaN in float8, in float8[] and
    numeric[] arrays (distinct NaN objects, which Python's == calls unequal), {1.0} = {1} in
    numeric[], equal intervals. Only a real difference is an update."""
    rates = layout(
        "rates", match=("key",), slug=False, compare=("ratio", "levels", "weights", "period")
    )

    def rate(pk: str, key: str, **values: Any) -> dict[str, Any]:
        return {"id": pk, "key": key, **values}

    day = dt.timedelta(days=1, hours=2)
    got = plan(
        [rates],
        dev={
            "rates": [
                rate("d1", "nan-float", ratio=float("nan")),
                rate("d2", "nan-arrays", levels=[Decimal("NaN"), Decimal("1.0")]),
                rate("d3", "nan-floats", weights=[float("nan"), 0.5]),
                rate("d4", "interval", period=day),
                rate("d5", "changed", ratio=1.5, levels=[Decimal("1.00")], period=day),
            ]
        },
        prod={
            "rates": [
                rate("p1", "nan-float", ratio=float("nan")),
                rate("p2", "nan-arrays", levels=[Decimal("NaN"), Decimal("1")]),
                rate("p3", "nan-floats", weights=[float("nan"), 0.5]),
                rate("p4", "interval", period=dt.timedelta(seconds=day.total_seconds())),
                rate("p5", "changed", ratio=2.5, levels=[Decimal("1")], period=day),
            ]
        },
    )
    assert got.tables == (
        table_plan("rates", updates=(update("changed", "p5", ratio=(2.5, 1.5)),), unchanged=4),
    )


# --- pointers -------------------------------------------------------------------------------


def test_pointers_compare_and_are_written_by_key() -> None:
    """A pointer compares by the key of the row it points at (ids differ per side): same key,
    no change; another key, an update from the old key to the new one; NULL is no row."""
    got = plan(
        PROFILE,
        dev={
            "service_categories": [cat("dc1", "Home"), cat("dc2", "Garden")],
            "services": [
                svc("ds1", "Same", "dc1"),
                svc("ds2", "Moved", "dc2"),
                svc("ds3", "Unset", None),
                svc("ds4", "Set", "dc1"),
                svc("ds5", "Both Null", None),
            ],
        },
        prod={
            "service_categories": [cat("pc1", "Home"), cat("pc2", "Garden")],
            "services": [
                svc("ps1", "Same", "pc1"),
                svc("ps2", "Moved", "pc1"),
                svc("ps3", "Unset", "pc2"),
                svc("ps4", "Set", None),
                svc("ps5", "Both Null", None),
            ],
        },
    )
    assert got.tables[1] == table_plan(
        "services",
        updates=(
            update("moved", "ps2", categoryId=(ref("home"), ref("garden"))),
            update("set", "ps4", categoryId=(None, ref("home"))),
            update("unset", "ps3", categoryId=(ref("garden"), None)),
        ),
        unchanged=2,
    )


def test_pointer_at_a_prod_row_without_key() -> None:
    """A prod pointer at a row without a key (or at no row) differs from any dev pointer: the
    update shows it as a pointer at no key."""
    got = plan(
        PROFILE,
        dev={
            "service_categories": [cat("dc1", "Home")],
            "services": [svc("ds1", "A", "dc1"), svc("ds2", "B", "dc1")],
        },
        prod={
            "service_categories": [cat("pc1", "Home"), cat("pc2", None)],
            "services": [svc("ps1", "A", "pc2"), svc("ps2", "B", "gone")],
        },
    )
    assert got.tables[1].updates == (
        update("a", "ps1", categoryId=(ref(), ref("home"))),
        update("b", "ps2", categoryId=(ref(), ref("home"))),
    )


@pytest.mark.parametrize("parent", [None, "!!", ""], ids=["null", "unsluggable", "empty"])
def test_pointers_at_rows_without_key_on_both_sides_are_equal(parent: str | None) -> None:
    """Two pointers at no row (or at unkeyed rows) compare as the same stand-in."""
    got = plan(
        PROFILE,
        dev={"service_categories": [cat("dc1", "Home")], "services": [svc("ds1", "A", "gone")]},
        prod={
            "service_categories": [cat("pc1", "Home"), cat("pc2", parent)],
            "services": [svc("ps1", "A", "pc2")],
        },
    )
    assert got.tables[1] == table_plan("services", unchanged=1)
    assert got.tables[0].prod_only == 1


def test_pointer_ids_that_coincide_across_sides() -> None:
    """Equal raw ids on the two sides prove nothing: id 1 may be another row in prod."""
    got = plan(
        PROFILE,
        dev={
            "service_categories": [cat("1", "Home"), cat("2", "Garden")],
            "services": [svc("1", "A", "1"), svc("2", "B", "2")],
        },
        prod={
            "service_categories": [cat("1", "Garden"), cat("2", "Home")],
            "services": [svc("1", "A", "1"), svc("2", "B", "1")],
        },
    )
    assert got.tables[1] == table_plan(
        "services",
        updates=(update("a", "1", categoryId=(ref("garden"), ref("home"))),),
        unchanged=1,
    )


def test_prod_pointers_show_keys_seen_only_in_prod() -> None:
    """A prod pointer at a prod-only row shows that row's key, also when other rows of its
    table hold a slug source that is not text."""
    groups = layout("groups", match=("label",), compare=("note",))
    members = layout(
        "members",
        match=("code",),
        slug=False,
        compare=("groupId",),
        references={"groupId": "groups"},
    )
    got = plan(
        [groups, members],
        dev={
            "groups": [{"id": "g1", "label": "Alpha"}],
            "members": [{"id": "m1", "code": "m", "groupId": "g1"}],
        },
        prod={
            "groups": [
                {"id": "h1", "label": "Alpha"},
                {"id": "h2", "label": "Beta"},
                {"id": "h3", "label": ["not", "text"]},
            ],
            "members": [{"id": "n1", "code": "m", "groupId": "h2"}],
        },
    )
    assert got.tables == (
        table_plan("groups", unchanged=1, prod_only=2),
        table_plan(
            "members",
            updates=(
                update("m", "n1", groupId=(Ref("groups", ("beta",)), Ref("groups", ("alpha",)))),
            ),
        ),
    )


def test_a_dangling_dev_pointer_is_never_written() -> None:
    """A dev pointer at no dev row cannot be remapped: its row is skipped, created or not."""
    got = plan(
        PROFILE,
        dev={
            "service_categories": [cat("dc1", "Home")],
            "services": [svc("ds1", "New", "gone"), svc("ds2", "Old", "gone")],
        },
        prod={
            "service_categories": [cat("pc1", "Home")],
            "services": [svc("ps2", "Old", "pc1")],
        },
    )
    why = "its service_categories row does not exist in dev (dangling pointer)"
    assert got.tables[1] == table_plan(
        "services",
        skips=(
            Skip(("new",), "parent-missing", why),
            Skip(("old",), "parent-missing", why, {"categoryId": (ref("home"), ref())}),
        ),
    )


def test_a_pointer_at_no_row_is_not_null() -> None:
    """A pointer at a row that does not exist differs from NULL, on either side: dev's is
    skipped (it cannot be written), prod's is replaced by dev's NULL."""
    got = plan(
        PROFILE,
        dev={
            "service_categories": [cat("dc1", "Home")],
            "services": [svc("ds1", "Dev Dangles", "gone"), svc("ds2", "Prod Dangles", None)],
        },
        prod={
            "service_categories": [cat("pc1", "Home")],
            "services": [svc("ps1", "Dev Dangles", None), svc("ps2", "Prod Dangles", "gone")],
        },
    )
    assert got.tables[1] == table_plan(
        "services",
        updates=(update("prod-dangles", "ps2", categoryId=(ref(), None)),),
        skips=(
            Skip(
                ("dev-dangles",),
                "parent-missing",
                "its service_categories row does not exist in dev (dangling pointer)",
                {"categoryId": (None, ref())},
            ),
        ),
    )


# --- ids ------------------------------------------------------------------------------------


def test_id_taken_in_prod_by_another_key_is_skipped() -> None:
    """A new row whose copied id prod already uses for another key is skipped, naming the
    owner (or saying it has no key); its children are skipped for a missing parent."""
    got = plan(
        PROFILE,
        dev={
            "service_categories": [
                cat("shared-id-1", "Electrical"),
                cat("dc2", "Painting"),
                cat("shared-id-2", "Roofing"),
            ],
            "services": [
                svc("ds1", "Socket Install", "shared-id-1"),
                svc("ds2", "Wall Painting", "dc2"),
            ],
        },
        prod={
            "service_categories": [cat("shared-id-1", "Carpentry"), cat("shared-id-2", None)],
        },
    )
    assert got.tables == (
        table_plan(
            "service_categories",
            creates=(
                Create(
                    ("painting",),
                    {
                        "id": "dc2",
                        "name": "Painting",
                        "description": None,
                        "icon": None,
                        "isActive": True,
                    },
                ),
            ),
            skips=(
                Skip(
                    ("electrical",),
                    "id-taken",
                    "id 'shared-id-1' is already used in prod by `carpentry`",
                ),
                Skip(
                    ("roofing",),
                    "id-taken",
                    "id 'shared-id-2' is already used in prod by `a row without key`",
                ),
            ),
            prod_only=2,
        ),
        table_plan(
            "services",
            creates=(
                Create(
                    ("wall-painting",),
                    {
                        "id": "ds2",
                        "name": "Wall Painting",
                        "description": None,
                        "price": Decimal("10.00"),
                        "categoryId": ref("painting"),
                        "isActive": True,
                    },
                ),
            ),
            skips=(
                Skip(
                    ("socket-install",),
                    "parent-missing",
                    "its service_categories `electrical` is neither in prod nor created by "
                    "this plan",
                ),
            ),
        ),
    )


def test_id_of_the_same_key_is_no_clash() -> None:
    """The id a matched row has in prod is its own: the row is compared, not created."""
    got = plan(
        [CATEGORIES],
        dev={"service_categories": [cat("same-id", "Spa", "new")]},
        prod={"service_categories": [cat("same-id", "Spa", "old")]},
    )
    assert got.tables[0].updates == (update("spa", "same-id", description=("old", "new")),)


def test_prod_generated_ids_are_not_copied() -> None:
    """When prod generates the primary key, a create carries no id and no id can clash."""
    brands = layout("brands", match=("slug",), slug=False, compare=("name",), pk_from_prod=True)
    got = plan(
        [brands],
        dev={"brands": [{"id": 1, "slug": "initech", "name": "Initech"}]},
        prod={"brands": [{"id": 1, "slug": "acme", "name": "ACME"}]},
    )
    assert got.tables[0].creates == (Create(("initech",), {"slug": "initech", "name": "Initech"}),)
    assert got.tables[0].skips == ()


def test_prod_generated_ids_reach_prod_by_key_only() -> None:
    """Serial, identity or uuid-default ids (prod generates them): no dev id reaches the plan.
    A new child under a parent this plan creates points at that parent by key (apply fills
    in the id prod returns for it); a child moved to another parent is updated by key too."""
    brands = layout("brands", match=("slug",), slug=False, compare=("name",), pk_from_prod=True)
    models = layout(
        "models",
        match=("slug",),
        slug=False,
        compare=("name", "brandId"),
        references={"brandId": "brands"},
        pk_from_prod=True,
    )

    def brand(pk: int, slug: str, name: str) -> dict[str, Any]:
        return {"id": pk, "slug": slug, "name": name}

    def model(pk: int, slug: str, name: str, brand_id: int) -> dict[str, Any]:
        return {"id": pk, "slug": slug, "name": name, "brandId": brand_id}

    got = plan(
        [brands, models],
        dev={
            "brands": [
                brand(100, "acme", "ACME"),
                brand(101, "globex", "Globex Corp"),
                brand(102, "initech", "Initech"),
            ],
            "models": [
                model(200, "acme-rocket", "Rocket", 100),
                model(202, "globex-drone", "Drone", 101),
                model(203, "initech-printer", "Printer", 102),
                model(205, "acme-magnet", "Magnet", 102),
            ],
        },
        prod={
            "brands": [brand(1, "acme", "ACME"), brand(2, "globex", "Globex")],
            "models": [model(1, "acme-rocket", "Rocket", 1), model(3, "acme-magnet", "Magnet", 1)],
        },
    )

    def by(slug: str) -> Ref:
        return Ref("brands", (slug,))

    assert got.tables == (
        table_plan(
            "brands",
            creates=(Create(("initech",), {"slug": "initech", "name": "Initech"}),),
            updates=(update("globex", 2, name=("Globex", "Globex Corp")),),
            unchanged=1,
        ),
        table_plan(
            "models",
            creates=(
                Create(
                    ("globex-drone",),
                    {"slug": "globex-drone", "name": "Drone", "brandId": by("globex")},
                ),
                Create(
                    ("initech-printer",),
                    {"slug": "initech-printer", "name": "Printer", "brandId": by("initech")},
                ),
            ),
            updates=(update("acme-magnet", 3, brandId=(by("acme"), by("initech"))),),
            unchanged=1,
        ),
    )


# --- parents --------------------------------------------------------------------------------

TREE = layout(
    "categories",
    compare=("name", "parentId", "sortOrder"),
    references={"parentId": "categories"},
)


def node(pk: int, name: str, parent: int | None, order: int = 1) -> dict[str, Any]:
    return {"id": pk, "name": name, "parentId": parent, "sortOrder": order}


def test_tree_parents_missing_or_ambiguous() -> None:
    """In a self-referencing table, new rows under new parents are created; a row whose
    parent is ambiguous in prod is skipped, and so is every new row below it."""
    got = plan(
        [TREE],
        dev={
            "categories": [
                node(50, "Home", None),
                node(51, "Tools", 50, 2),
                node(52, "Power Tools", 51),
                node(53, "Drills", 52),
                node(54, "Garden", 51, 3),
                node(55, "Lighting", 50, 4),
                node(56, "Lamps", 55),
                node(57, "Desk Lamps", 56),
                node(58, "Kitchen", 50, 5),
            ]
        },
        prod={
            "categories": [
                node(1, "Home", None),
                node(2, "Garden", 1, 3),
                node(3, "Lighting", 1, 4),
                node(4, "lighting ", 1, 4),
                node(5, "Kitchen", 1, 5),
            ]
        },
    )
    tree = "categories"
    assert got.tables == (
        table_plan(
            "categories",
            creates=(
                Create(
                    ("drills",),
                    {
                        "id": 53,
                        "name": "Drills",
                        "parentId": ref("power-tools", table=tree),
                        "sortOrder": 1,
                    },
                ),
                Create(
                    ("power-tools",),
                    {
                        "id": 52,
                        "name": "Power Tools",
                        "parentId": ref("tools", table=tree),
                        "sortOrder": 1,
                    },
                ),
                Create(
                    ("tools",),
                    {
                        "id": 51,
                        "name": "Tools",
                        "parentId": ref("home", table=tree),
                        "sortOrder": 2,
                    },
                ),
            ),
            updates=(
                update(
                    "garden",
                    2,
                    parentId=(ref("home", table=tree), ref("tools", table=tree)),
                ),
            ),
            skips=(
                Skip(
                    ("desk-lamps",),
                    "parent-missing",
                    "its categories `lamps` is neither in prod nor created by this plan",
                ),
                Skip(
                    ("lamps",),
                    "parent-missing",
                    "its categories `lighting` is ambiguous in prod",
                ),
                Skip(
                    ("lighting",),
                    "ambiguous",
                    "ambiguous in prod (2 rows share this key); resolve it in prod",
                ),
            ),
            unchanged=2,
        ),
    )


def test_update_under_a_missing_parent_is_skipped_with_its_changes() -> None:
    """An update that moves a row under a parent that will not exist is skipped, keeping the
    changes it would have made for the report; an update under a new parent proceeds."""
    got = plan(
        [TREE],
        dev={
            "categories": [
                node(1, "Home", None),
                node(2, "Lighting", 1),
                node(3, "Lamps", 2),
                node(4, "New", 1),
                node(5, "Moved", 4),
            ]
        },
        prod={
            "categories": [
                node(11, "Home", None),
                node(12, "Lighting", 11),
                node(13, "lighting!", 11),
                node(14, "Lamps", 11),
                node(15, "Moved", 11),
            ]
        },
    )
    tree = "categories"
    [table] = got.tables
    assert table.updates == (
        update("moved", 15, parentId=(ref("home", table=tree), ref("new", table=tree))),
    )
    assert table.skips == (
        Skip(
            ("lamps",),
            "parent-missing",
            "its categories `lighting` is ambiguous in prod",
            {"parentId": (ref("home", table=tree), ref("lighting", table=tree))},
        ),
        Skip(
            ("lighting",),
            "ambiguous",
            "ambiguous in prod (2 rows share this key); resolve it in prod",
        ),
    )


def test_update_of_other_columns_under_an_existing_parent_proceeds() -> None:
    """Only a changed pointer is checked: an update that keeps its parent goes ahead even
    when that parent is ambiguous in prod."""
    got = plan(
        [TREE],
        dev={"categories": [node(1, "Home", None), node(3, "Lamps", 1, 9)]},
        prod={
            "categories": [node(11, "Home", None), node(12, "home", None), node(14, "Lamps", 11)]
        },
    )
    [table] = got.tables
    assert table.updates == (update("lamps", 14, sortOrder=(1, 9)),)


def test_new_rows_in_a_cycle_are_skipped() -> None:
    """New rows that point at each other in a cycle can never be inserted parents first:
    each is skipped; rows pointing at themselves or at settled rows are created."""
    got = plan(
        [TREE],
        dev={
            "categories": [
                node(1, "Root", None),
                node(2, "Alpha", 3),
                node(3, "Beta", 2),
                node(4, "Gamma", 3),
                node(5, "Leaf", 1),
                node(6, "Self", 6),
                node(7, "Under Self", 6),
            ]
        },
        prod={},
    )
    cycle = "its new parent rows point back at it (a cycle); break the cycle in dev"
    [table] = got.tables
    assert [c.key for c in table.creates] == [("leaf",), ("root",), ("self",), ("under-self",)]
    assert table.skips == (
        Skip(("alpha",), "parent-missing", cycle),
        Skip(("beta",), "parent-missing", cycle),
        Skip(("gamma",), "parent-missing", cycle),
    )


def test_new_rows_under_existing_parents_are_no_cycle() -> None:
    """A new row under a prod row of the same table is ready at once."""
    got = plan(
        [TREE],
        dev={"categories": [node(1, "Home", None), node(2, "A", 1), node(3, "B", 2)]},
        prod={"categories": [node(11, "Home", None)]},
    )
    assert [c.key for c in got.tables[0].creates] == [("a",), ("b",)]
    assert got.tables[0].skips == ()


def test_parent_created_by_this_plan_in_an_earlier_table() -> None:
    """A child may point at a parent row that this plan creates in its parent table; when
    that create is skipped, so is the child."""
    got = plan(
        PROFILE,
        dev={
            "service_categories": [cat("dc1", "New"), cat("dc2", "Ambiguous")],
            "services": [svc("ds1", "Under New", "dc1"), svc("ds2", "Under Ambiguous", "dc2")],
        },
        prod={"service_categories": [cat("pc1", "Ambiguous"), cat("pc2", "ambiguous")]},
    )
    services = got.tables[1]
    assert [c.key for c in services.creates] == [("under-new",)]
    assert services.skips == (
        Skip(
            ("under-ambiguous",),
            "parent-missing",
            "its service_categories `ambiguous` is ambiguous in prod",
        ),
    )


# --- protection -----------------------------------------------------------------------------


def test_protected_rows_are_skipped() -> None:
    """protect() turns the updates of rows that business data points at into skips that name
    the pointing columns (sorted) and keep the changes; other tables are untouched."""
    got = plan(
        PROFILE,
        dev={
            "service_categories": [cat("dc1", "Home", "new")],
            "services": [
                svc("ds1", "Booked", None, "20.00"),
                svc("ds2", "Offered", None, "20.00"),
                svc("ds3", "Free", None, "20.00"),
                svc("ds4", "Same", None),
            ],
        },
        prod={
            "service_categories": [cat("pc1", "Home", "old")],
            "services": [
                svc("ps1", "Booked", None),
                svc("ps2", "Offered", None),
                svc("ps3", "Free", None),
                svc("ps4", "Same", None),
            ],
        },
    )
    referenced = {
        "services": {
            "ps1": ["provider_services.serviceId", "bookings.serviceId"],
            "ps2": ["provider_services.serviceId"],
            "ps4": ["bookings.serviceId"],
            "other": ["bookings.serviceId"],
        }
    }
    guarded = protect(got, referenced)
    price = {"price": (Decimal("10.00"), Decimal("20.00"))}
    assert guarded.tables == (
        got.tables[0],
        table_plan(
            "services",
            updates=(Update(("free",), "ps3", price, ()),),
            skips=(
                Skip(
                    ("booked",),
                    "protected",
                    "in use by bookings.serviceId, provider_services.serviceId",
                    price,
                ),
                Skip(("offered",), "protected", "in use by provider_services.serviceId", price),
            ),
            unchanged=1,
        ),
    )
    assert protect(got, {}) == got
    assert protect(got, {"services": {"ps1": []}}) == got


def test_protection_keeps_the_other_skips_in_key_order() -> None:
    """Skips made before protection stay, sorted with the new ones."""
    base = Plan(
        (
            table_plan(
                "t",
                updates=(update("b", 2, x=(1, 2)),),
                skips=(
                    Skip(("a",), "ambiguous", "ambiguous in prod"),
                    Skip(("c",), "id-taken", "id 3"),
                ),
                unchanged=4,
                prod_only=5,
            ),
        )
    )
    guarded = protect(base, {"t": {2: ["u.tId"]}})
    assert guarded.tables == (
        table_plan(
            "t",
            skips=(
                Skip(("a",), "ambiguous", "ambiguous in prod"),
                Skip(("b",), "protected", "in use by u.tId", {"x": (1, 2)}),
                Skip(("c",), "id-taken", "id 3"),
            ),
            unchanged=4,
            prod_only=5,
        ),
    )
