"""The operations' texts a run hashes and writes (`digest.plan_texts`) are made from the plan
without the canonical form's objects: they must be, character for character, what encoding
those objects gives (`operation_texts(canonical(...))`), or a plan file would no longer be
checkable against SPEC 4.5's definition and a reviewed digest would stop matching. Checked
on the golden plan (every kind of value), on each of its one-thing-changed variants, and on
random plans of every kind of value, hostile text and unusual types included."""

from __future__ import annotations

import copy
import datetime as dt
import enum
import uuid
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from psycopg.types.range import Range

from refsync.digest import canonical, digest, members, operation_texts, plan_texts, whole_text
from refsync.model import Create, Plan, Ref, TablePlan, Update
from tests.unit.test_canonical import (
    CHANGED_PLANS,
    DEFAULT_CONFIG,
    GOLDEN,
    GOLDEN_DIGEST,
    GOLDEN_OPERATIONS,
    PROD_IDENTITY,
    TRIGGERS,
)

PROPERTY = settings(max_examples=300, derandomize=True, deadline=None)


def _reference(plan: Plan) -> list[str]:
    return operation_texts(canonical(plan, {}, {}))


def test_the_golden_plan_gives_the_pinned_texts_and_digest() -> None:
    texts = plan_texts(GOLDEN)
    assert texts == GOLDEN_OPERATIONS
    form = members(copy.deepcopy(DEFAULT_CONFIG), PROD_IDENTITY, TRIGGERS)
    assert "operations" not in form
    assert digest(form, texts) == GOLDEN_DIGEST


@pytest.mark.parametrize("change", list(CHANGED_PLANS))
def test_each_changed_plan_gives_the_texts_of_its_canonical_form(change: str) -> None:
    plan = CHANGED_PLANS[change]
    assert plan_texts(plan) == _reference(plan)


def test_an_empty_plan_and_empty_values() -> None:
    """No operations: no texts, and the digest of `[]`; a create of no values, `{}`."""
    form = canonical(Plan(()), {"version": 1}, {"fingerprint": "f"})
    assert plan_texts(Plan(())) == []
    assert digest(members({"version": 1}, {"fingerprint": "f"}), []) == digest(form)
    plan = Plan((TablePlan("t", (Create(("k",), {}),), (), (), 0, 0),))
    assert plan_texts(plan) == ['{"key":["k"],"op":"create","table":"t","values":{}}']
    assert plan_texts(plan) == _reference(plan)


class _Colour(enum.Enum):
    RED = "red"


class _Count(int):
    """An int subclass: not `int` by type, encoded as the number it is."""


class _Name(str):
    """A str subclass."""


#: Text that JSON must escape, or that looks like JSON, or sorts unusually.
HOSTILE = st.sampled_from(
    ['"', "\\", "\n", "\x00", "\x1f", "\x7f", "\u2028", "},{", '":"', "ü", "☃", "\U0001f600"]
)
TEXT = st.lists(st.one_of(HOSTILE, st.characters(exclude_categories=["Cs"])), max_size=8).map(
    "".join
)
SCALAR = st.one_of(
    TEXT,
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.decimals(allow_nan=True, allow_infinity=False, places=3),
    st.datetimes(),
    st.dates(),
    st.uuids(),
    st.binary(max_size=4),
    st.timedeltas(),
    st.just(Range(1, 5)),
    st.just(_Colour.RED),
    st.integers(min_value=-5, max_value=5).map(_Count),
    TEXT.map(_Name),
)
JSON = st.recursive(
    st.one_of(TEXT, st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False)),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(TEXT, inner, max_size=3)),
    max_leaves=8,
)
KEY = st.lists(st.one_of(TEXT, st.integers(), st.uuids()), min_size=1, max_size=2).map(tuple)
VALUE = st.one_of(
    SCALAR,
    JSON,
    st.lists(SCALAR, max_size=3),
    st.builds(Ref, TEXT, KEY),
    KEY,
)
COLUMNS = st.dictionaries(TEXT, VALUE, max_size=4)
CREATE = st.builds(Create, KEY, COLUMNS)
UPDATE = st.builds(
    Update,
    KEY,
    st.one_of(TEXT, st.integers(), st.uuids(), SCALAR),
    st.dictionaries(TEXT, st.tuples(VALUE, VALUE), min_size=1, max_size=3),
    st.just(()),
)
TABLE = st.builds(
    TablePlan,
    TEXT,
    st.lists(CREATE, max_size=3).map(tuple),
    st.lists(UPDATE, max_size=3).map(tuple),
    st.just(()),
    st.just(0),
    st.just(0),
)


@PROPERTY
@given(st.lists(TABLE, max_size=3).map(tuple).map(Plan))
def test_any_plan_gives_the_texts_of_its_canonical_form(plan: Plan) -> None:
    assert plan_texts(plan) == _reference(plan)


def test_a_nan_and_infinities_as_the_canonical_form_writes_them() -> None:
    plan = Plan(
        (
            TablePlan(
                "t",
                (Create(("k",), {"f": float("nan"), "j": {"v": float("-inf")}}),),
                (Update(("u",), float("inf"), {"f": (float("nan"), float("inf"))}, ()),),
                (),
                0,
                0,
            ),
        )
    )
    assert plan_texts(plan) == _reference(plan)
    assert '"id":"Infinity"' in whole_text(plan_texts(plan)[1])


def test_every_kind_of_value_in_a_key_and_an_id() -> None:
    """Keys and ids of the types a match or primary key column can have."""
    when = dt.datetime(2025, 1, 2, 3, 4, 5)
    keys: list[tuple[Any, ...]] = [
        ("a",),
        (1, "b"),
        (uuid.UUID(int=5),),
        (when,),
        (Decimal("1.50"),),
    ]
    ids: list[Any] = ["x", 7, uuid.UUID(int=9), None, True, Decimal("2"), when]
    plan = Plan(
        (
            TablePlan(
                "t",
                tuple(Create(k, {"id": i}) for k, i in zip(keys, ids, strict=False)),
                tuple(Update(k, i, {"c": (i, k)}, ()) for k, i in zip(keys, ids, strict=False)),
                (),
                0,
                0,
            ),
        )
    )
    assert plan_texts(plan) == _reference(plan)


def test_a_key_that_is_not_a_tuple_is_written_as_the_canonical_form_writes_it() -> None:
    """Every plan's keys are tuples; a str, a list or a number in their place (a bug
    upstream) still gives the canonical form's text, never another."""
    keys: list[Any] = ["x", ["a", 1], 7, None]
    plan = Plan(
        (
            TablePlan(
                "t",
                tuple(Create(k, {}) for k in keys),
                tuple(Update(k, 1, {"c": (1, 2)}, ()) for k in keys),
                (),
                0,
                0,
            ),
        )
    )
    texts = plan_texts(plan)
    assert texts == _reference(plan)
    assert texts[0] == '{"key":"x","op":"create","table":"t","values":{}}'


def test_a_pointer_s_key_is_a_list_whatever_it_is() -> None:
    """`to_json` writes a `Ref`'s key as the list of its items, whatever holds them (a str's
    characters, a list's items): so does `plan_texts`."""
    refs = [Ref("r", ("a", 1)), Ref("r", "ab"), Ref("r", ["a", None])]  # type: ignore[arg-type]
    plan = Plan(
        (TablePlan("t", (Create(("k",), {f"p{i}": r for i, r in enumerate(refs)}),), (), (), 0, 0),)
    )
    texts = plan_texts(plan)
    assert texts == _reference(plan)
    assert '"p1":{"key":["a","b"],"ref":"r"}' in whole_text(texts[0])
