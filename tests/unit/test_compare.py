"""Equality by value and type (SPEC 3, "Comparison"), the rule the diff applies to every
value that differs raw: 10.0 is 10.00, NULL is not '', true is not 1, NaN is NaN; inside
JSON and arrays the same, with key order irrelevant."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from psycopg.types.multirange import Multirange
from psycopg.types.range import Range

from refsync.compare import (
    Compared,
    changes,
    decimal_or_null,
    differ,
    is_nan,
    json_or_null,
    same,
)
from refsync.model import Plan, TablePlan

NAN = float("nan")

SAME: list[tuple[Any, Any]] = [
    (None, None),
    ("", ""),
    ("a", "a"),
    (1, 1),
    (1, 1.0),
    (True, True),
    (False, False),
    (Decimal("10.0"), Decimal("10.00")),
    (Decimal("0"), Decimal("-0.00")),
    (NAN, NAN),
    (Decimal("NaN"), Decimal("NaN")),
    ({}, {}),
    ({"a": 1, "b": [True]}, {"b": [True], "a": 1.0}),
    ({"a": None}, {"a": None}),
    ([], []),
    ([1, None], [1, None]),
    ([1, 2], (1, 2)),
    ([[NAN]], [[NAN]]),
    ([{"x": {"y": [False]}}], [{"x": {"y": [False]}}]),
    # psycopg's own == takes a range with a NaN bound for unequal to itself
    (Range(Decimal(1), Decimal("NaN")), Range(Decimal(1), Decimal("NaN"))),
    (Range(Decimal("1.0"), Decimal(2)), Range(Decimal("1.00"), Decimal(2))),
    (Range(empty=True), Range(empty=True)),
    (Range(None, NAN, "(]"), Range(None, NAN, "(]")),
    (Multirange([Range(Decimal("NaN"), None)]), Multirange([Range(Decimal("NaN"), None)])),
]

DIFFERENT: list[tuple[Any, Any]] = [
    (None, ""),
    ("", None),
    (None, 0),
    (0, None),
    (None, False),
    (None, []),
    (None, {}),
    ("a", "A"),
    ("1", 1),
    (True, 1),
    (1, True),
    (False, 0),
    (0, False),
    (True, False),
    (Decimal("10.01"), Decimal("10.00")),
    (NAN, 1.5),
    (1.5, NAN),
    (NAN, Decimal("NaN")),
    (Decimal("NaN"), NAN),
    (Decimal("NaN"), Decimal("1")),
    (NAN, None),
    (Range(Decimal(1), Decimal("NaN")), Range(Decimal(1), Decimal(2))),
    (Range(Decimal(1), Decimal(2)), Range(Decimal(1), Decimal(2), "[]")),
    (Range(empty=True), Range(None, None)),
    (Range(1, 2), Range(1, 3)),
    (Range(0, 2), Range(1, 2)),
    (Multirange([Range(1, 2)]), Multirange([])),
    (Multirange([Range(1, 2)]), Multirange([Range(1, 3)])),
    (Range(1, 2), "[1, 2)"),
    ([False, "[)", 1, 2], Range(1, 2)),
    ({"a": 1}, {"a": True}),
    ({"a": True}, {"a": 1}),
    ({"a": None}, {"a": 0}),
    ({"a": 0}, {"a": None}),
    ({"a": None}, {}),
    ({}, {"a": None}),
    ({"a": 1}, {"b": 1}),
    ({"a": 1}, [1]),
    ([1], {"a": 1}),
    ([1, True], [1, 1]),
    ([None], [{}]),
    ([1, 2], [1, 2, 3]),
    ([1, 2, 3], [1, 2]),
    ([1, 2], [2, 1]),
    ([NAN], [1.0]),
    ("a", ["a"]),
]


@pytest.mark.parametrize(("a", "b"), SAME)
def test_same(a: Any, b: Any) -> None:
    """Equal by value and type."""
    assert same(a, b)
    assert same(b, a)
    assert not differ(a, b)


@pytest.mark.parametrize(("a", "b"), DIFFERENT)
def test_different(a: Any, b: Any) -> None:
    """Different by value or by type."""
    assert not same(a, b)
    assert differ(a, b)


@pytest.mark.parametrize(
    ("value", "nan"),
    [
        (NAN, True),
        (-NAN, True),
        (Decimal("NaN"), True),
        (Decimal("-NaN"), True),
        (Decimal("sNaN"), True),
        (float("inf"), False),
        (Decimal("Infinity"), False),
        (1.5, False),
        (Decimal("1"), False),
        ("NaN", False),
        (None, False),
    ],
)
def test_is_nan(value: Any, nan: bool) -> None:
    """NaN is a float or numeric NaN; text that says NaN is text."""
    assert is_nan(value) is nan


def test_numeric_and_json_text_become_values() -> None:
    """numeric text becomes an exact Decimal (its scale kept), JSON text data; NULL stays."""
    assert repr(decimal_or_null("10.50")) == "Decimal('10.50')"
    assert decimal_or_null(None) is None
    assert json_or_null('{"a": [1, 1.5, true, null]}') == {"a": [1, 1.5, True, None]}
    assert repr(json_or_null("1.0")) == "1.0"
    assert json_or_null("null") is None
    assert json_or_null(None) is None


@pytest.mark.parametrize(
    ("prod_value", "dev_value", "changed"),
    [
        (1, True, True),
        (True, 1, True),
        (0, False, True),
        (1.0, 1, False),
        ("a", "a", False),
        (None, None, False),
        (None, "", True),
    ],
)
def test_changes_are_the_columns_not_the_same(
    prod_value: Any, dev_value: Any, changed: bool
) -> None:
    """`changes` names each column whose values are not `same`, old and new: its shortcut
    for raw values equal by == holds only for values of one type (true == 1 in Python)."""
    column = Compared("flag", 1, 0, None, None, raw_unsure=False)
    found = changes([column], (prod_value,), ("k", dev_value))
    assert found == ({"flag": (prod_value, dev_value)} if changed else {})


def test_plan_lookups_and_counts() -> None:
    """A plan finds its tables by name and adds up their counts."""
    a = TablePlan("a", (), (), (), 3, 1)
    b = TablePlan("b", (), (), (), 2, 0)
    plan = Plan((a, b))
    assert plan.table("a") is a
    assert plan.table("b") is b
    with pytest.raises(StopIteration):
        plan.table("c")
    assert plan.totals == {"create": 0, "update": 0, "skip": 0, "unchanged": 5, "prod_only": 1}
    assert not plan.has_changes
