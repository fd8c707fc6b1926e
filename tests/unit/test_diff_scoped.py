"""Match keys scoped by a parent (`match: {column: [providerTypeId, name]}` with
`providerTypeId` a reference): the parent's own match key stands for its id, on both sides,
so a name unique per provider type matches although the ids differ per side. Covers
`scoped_values`, the diff's index of such keys, `key_index` (which apply uses to key prod
rows exactly as the diff did) and `show_key` on a nested key. No database.

The same rules run end to end in tests/scenarios/scoped_keys_serial_tree.
"""

from __future__ import annotations

from typing import Any

import pytest

from refsync.errors import SafetyError
from refsync.keys import key_index, scoped_values, show_key
from refsync.model import Create, Ref, Skip, TablePlan, Update
from tests.fixtures.diff_tables import layout, plan, rows

TYPES = layout("provider_types", compare=("name",))
OFFERINGS = layout(
    "offerings",
    match=("providerTypeId", "name"),
    slug=False,
    compare=("price",),
    references={"providerTypeId": "provider_types"},
)
PROFILE = [TYPES, OFFERINGS]


def kind(pk: Any, name: str | None) -> dict[str, Any]:
    return {"id": pk, "name": name}


def offer(pk: Any, type_id: Any, name: str | None, price: int = 10) -> dict[str, Any]:
    return {"id": pk, "providerTypeId": type_id, "name": name, "price": price}


def scoped(type_key: str, name: str) -> tuple[Any, ...]:
    """The key of an offering: its type's key, then its name."""
    return ((type_key,), name)


# --- show_key -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "shown"),
    [
        ((("cleaning",), "deep-clean"), "cleaning/deep-clean"),
        ((("DE", 2024), "reduced"), "DE/2024/reduced"),
        (((("a",), "b"), "c"), "a/b/c"),
        (("x", ("y",), 3), "x/y/3"),
        (((), "orphan"), "/orphan"),
    ],
)
def test_show_key_of_a_scoped_key(key: tuple[Any, ...], shown: str) -> None:
    """A key scoped by a parent shows the parent's key first, its parts joined by `/` like
    the key's own, however deep the nesting."""
    assert show_key(key) == shown


# --- scoped_values --------------------------------------------------------------------------


def test_scoped_values_replace_references_by_their_rows_keys() -> None:
    """Each reference column of the match becomes the match key of the row it points at;
    other columns stay as they are; NULL stays NULL; an id of no keyed row becomes None."""
    parent_keys = {"provider_types": {7: ("cleaner",), 8: None}}
    assert scoped_values(OFFERINGS, [7, "Deep clean"], parent_keys) == [("cleaner",), "Deep clean"]
    assert scoped_values(OFFERINGS, [None, "Deep clean"], parent_keys) == [None, "Deep clean"]
    assert scoped_values(OFFERINGS, [8, "Deep clean"], parent_keys) == [None, "Deep clean"]
    assert scoped_values(OFFERINGS, [9, "Deep clean"], parent_keys) == [None, "Deep clean"]
    # a value that equals an id but sits in a column that is no reference is left alone
    plain = layout("plain", match=("code", "name"), slug=False)
    assert scoped_values(plain, [7, "x"], parent_keys) == [7, "x"]


def test_scoped_values_need_one_value_per_match_column() -> None:
    """Values and match columns are zipped strictly: a short row is an error, not a key."""
    with pytest.raises(ValueError, match="shorter"):
        scoped_values(OFFERINGS, [7], {"provider_types": {7: ("cleaner",)}})


# --- the diff -------------------------------------------------------------------------------


def test_scoped_keys_match_by_the_parents_key_not_its_id() -> None:
    """Two offerings share a name under two types; the ids of the types differ per side.
    Each matches the prod offering under the type with the same key: one unchanged, one
    updated, one created under a type that exists, one under a type created by this plan."""
    got = plan(
        PROFILE,
        dev={
            "provider_types": [kind(1, "Cleaner"), kind(2, "Gardener"), kind(3, "Painter")],
            "offerings": [
                offer(11, 1, "Deep clean", 10),
                offer(12, 2, "Deep clean", 20),
                offer(13, 2, "Hedges", 30),
                offer(14, 3, "Walls", 40),
            ],
        },
        prod={
            "provider_types": [kind(7, "Gardener"), kind(8, "Cleaner")],
            "offerings": [offer(71, 8, "Deep clean", 10), offer(72, 7, "Deep clean", 25)],
        },
    )
    assert got.tables == (
        TablePlan(
            "provider_types",
            (Create(("painter",), {"id": 3, "name": "Painter"}),),
            (),
            (),
            2,
            0,
        ),
        TablePlan(
            "offerings",
            (
                Create(
                    scoped("gardener", "Hedges"),
                    {
                        "id": 13,
                        "providerTypeId": Ref("provider_types", ("gardener",)),
                        "name": "Hedges",
                        "price": 30,
                    },
                ),
                Create(
                    scoped("painter", "Walls"),
                    {
                        "id": 14,
                        "providerTypeId": Ref("provider_types", ("painter",)),
                        "name": "Walls",
                        "price": 40,
                    },
                ),
            ),
            (Update(scoped("gardener", "Deep clean"), 72, {"price": (25, 20)}, ()),),
            (),
            1,
            0,
        ),
    )


def test_a_prod_row_under_a_type_without_key_is_prod_only() -> None:
    """A prod offering under a type whose name has no slug, or under no type row at all, has
    no key: nothing matches it, so it is counted as prod only and never touched."""
    got = plan(
        PROFILE,
        dev={
            "provider_types": [kind(1, "Cleaner")],
            "offerings": [offer(11, 1, "Deep clean")],
        },
        prod={
            "provider_types": [kind(7, "!!"), kind(8, "Cleaner")],
            "offerings": [
                offer(71, 7, "Deep clean"),
                offer(72, 99, "Deep clean"),
                offer(73, 8, "Deep clean"),
            ],
        },
    )
    assert got.tables[1] == TablePlan("offerings", (), (), (), 1, 2)


@pytest.mark.parametrize("type_id", [None, 99])
def test_a_dev_row_under_no_type_has_no_key(type_id: Any) -> None:
    """A dev offering whose type is NULL or no dev row has an empty key: refused by name."""
    with pytest.raises(SafetyError) as refused:
        plan(
            PROFILE,
            dev={"provider_types": [kind(1, "Cleaner")], "offerings": [offer(11, type_id, "X")]},
            prod={},
        )
    assert refused.value.message == (
        "dev has rows refsync cannot match unambiguously; nothing was planned:\n"
        "  offerings: row 11 has an empty providerTypeId, name"
    )


def test_dev_duplicates_of_a_scoped_key_show_the_nested_key() -> None:
    """Two dev offerings of one name under types with one key are refused, the key shown as
    people read it: the type's key, then the name."""
    with pytest.raises(SafetyError) as refused:
        plan(
            PROFILE,
            dev={
                "provider_types": [kind(1, "Cleaner")],
                "offerings": [offer(11, 1, "Deep clean"), offer(12, 1, "Deep clean")],
            },
            prod={},
        )
    assert refused.value.message == (
        "dev has rows refsync cannot match unambiguously; nothing was planned:\n"
        "  offerings: key `cleaner/Deep clean` is shared by dev rows [11, 12]"
    )


def test_prod_duplicates_of_a_scoped_key_are_ambiguous() -> None:
    """Two prod types with one key make their offerings' keys shared: skipped as ambiguous."""
    got = plan(
        PROFILE,
        dev={"provider_types": [kind(1, "Cleaner")], "offerings": [offer(11, 1, "Deep clean", 5)]},
        prod={
            "provider_types": [kind(7, "Cleaner"), kind(8, "cleaner ")],
            "offerings": [offer(71, 7, "Deep clean"), offer(72, 8, "Deep clean")],
        },
    )
    assert got.tables[1] == TablePlan(
        "offerings",
        (),
        (),
        (
            Skip(
                scoped("cleaner", "Deep clean"),
                "ambiguous",
                "ambiguous in prod (2 rows share this key); resolve it in prod",
            ),
        ),
        0,
        0,
    )


#: A scoped table that also points at itself (a tree of offerings under each type).
NESTED = layout(
    "offerings",
    match=("providerTypeId", "name"),
    slug=False,
    compare=("price", "parentId"),
    references={"providerTypeId": "provider_types", "parentId": "offerings"},
)


def test_a_scoped_table_may_point_at_itself_too() -> None:
    """A reference outside the match (here to the table itself, not indexed yet when its
    keys are made) does not scope the key; the pointer compares by the key it points at."""
    got = plan(
        [TYPES, NESTED],
        dev={
            "provider_types": [kind(1, "Cleaner")],
            "offerings": [
                {**offer(11, 1, "Basic"), "parentId": None},
                {**offer(12, 1, "Deep clean"), "parentId": 11},
            ],
        },
        prod={
            "provider_types": [kind(8, "Cleaner")],
            "offerings": [
                {**offer(81, 8, "Basic"), "parentId": None},
                {**offer(82, 8, "Deep clean"), "parentId": None},
            ],
        },
    )
    basic = Ref("offerings", scoped("cleaner", "Basic"))
    assert got.tables[1] == TablePlan(
        "offerings",
        (),
        (Update(scoped("cleaner", "Deep clean"), 82, {"parentId": (None, basic)}, ()),),
        (),
        1,
        0,
    )


# --- key_index ------------------------------------------------------------------------------

CHAIN_A = layout("a", compare=("name",))
CHAIN_B = layout("b", match=("aId", "name"), slug=False, compare=("name",), references={"aId": "a"})
CHAIN_C = layout("c", match=("bId", "code"), slug=False, compare=("code",), references={"bId": "b"})
#: Points at `a` outside its match: its keys do not need a's.
LOOSE = layout("loose", compare=("aId",), references={"aId": "a"})


def _prod_rows(tables: list[Any], **records: list[dict[str, Any]]) -> dict[str, Any]:
    return {t.name: rows(t.prod_read, *records.get(t.name, ())) for t in tables}


def test_key_index_keys_prod_rows_as_the_diff_does() -> None:
    """Match key -> prod id and prod id -> match key, scoped keys nested as the diff nests
    them; a key two rows share maps to None (no one id), a row without key to no id."""
    prod = _prod_rows(
        PROFILE,
        provider_types=[kind(7, "Gardener"), kind(8, "Cleaner"), kind(9, "?")],
        offerings=[
            offer(71, 8, "Deep clean"),
            offer(72, 7, "Deep clean"),
            offer(73, 7, "Hedges"),
            offer(74, 7, "Hedges"),
            offer(75, 9, "Walls"),
        ],
    )
    got = key_index(PROFILE, prod, {"offerings"})
    assert got == {
        "provider_types": (
            {("gardener",): 7, ("cleaner",): 8},
            {7: ("gardener",), 8: ("cleaner",), 9: None},
        ),
        "offerings": (
            {
                scoped("cleaner", "Deep clean"): 71,
                scoped("gardener", "Deep clean"): 72,
                scoped("gardener", "Hedges"): None,
            },
            {
                71: scoped("cleaner", "Deep clean"),
                72: scoped("gardener", "Deep clean"),
                73: scoped("gardener", "Hedges"),
                74: scoped("gardener", "Hedges"),
                75: None,
            },
        ),
    }


def test_key_index_takes_the_named_tables_and_the_tables_their_keys_need() -> None:
    """Only the tables asked for, and, transitively, the parents their match keys are scoped
    by; a table that points at another outside its match does not pull it in."""
    tables = [CHAIN_A, CHAIN_B, CHAIN_C, LOOSE]
    prod = _prod_rows(
        tables,
        a=[{"id": 1, "name": "One"}],
        b=[{"id": 2, "aId": 1, "name": "Two"}],
        c=[{"id": 3, "bId": 2, "code": "x"}],
        loose=[{"id": 4, "name": "Four", "aId": 1}],
    )
    assert set(key_index(tables, prod, {"c"})) == {"a", "b", "c"}
    assert set(key_index(tables, prod, {"b"})) == {"a", "b"}
    assert set(key_index(tables, prod, {"loose"})) == {"loose"}
    assert set(key_index(tables, prod, {"a", "loose"})) == {"a", "loose"}
    assert key_index(tables, prod, set()) == {}
    by_key, by_pk = key_index(tables, prod, {"c"})["c"]
    key = ((("one",), "Two"), "x")
    assert by_key == {key: 3}
    assert by_pk == {3: key}
    assert show_key(key) == "one/Two/x"


def test_key_index_keys_match_the_plans_keys() -> None:
    """The keys apply looks prod ids up by are the keys the plan wrote in its Refs."""
    dev = {"provider_types": [kind(1, "Cleaner")], "offerings": [offer(11, 1, "Deep clean", 5)]}
    prod = {"provider_types": [kind(8, "Cleaner")], "offerings": [offer(81, 8, "Deep clean")]}
    [update] = plan(PROFILE, dev=dev, prod=prod).tables[1].updates
    by_key, _ = key_index(PROFILE, _prod_rows(PROFILE, **prod), {"offerings"})["offerings"]
    assert by_key[update.key] == update.pk == 81
