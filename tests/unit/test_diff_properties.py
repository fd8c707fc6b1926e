"""Properties of the diff for random dev and prod tables (hypothesis), no database: every dev
row is counted once, and a plan applied to prod leaves nothing to do (SPEC 1, rule 8, on the
pure function; tests/database/test_invariants.py proves it on real databases).

`python3 tasks.py mutate` runs these with a fixed seed, so its figures repeat.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from refsync.model import Plan
from refsync.slug import slugify
from tests.fixtures.diff_tables import layout, plan

TABLE = layout(
    "items",
    compare=("name", "note", "price"),
    as_text={"price": "numeric"},
)
#: Few names, so that dev and prod share some, differ in case or accents, and clash in prod.
NAMES = ["Spa", "spa", "SPA!", "Café", "Cafe", "Gym", "Pool", "Sauna", "Yoga", "Tennis"]
NOTES = st.sampled_from([None, "", "a", "b"])
PRICES = st.sampled_from([None, "1", "1.0", "1.00", "2.50", "NaN"])


def _records(prefix: str, names: list[str], draw: Any) -> list[dict[str, Any]]:
    return [
        {"id": f"{prefix}{i}", "name": n, "note": draw(NOTES), "price": draw(PRICES)}
        for i, n in enumerate(names)
    ]


@st.composite
def tables(draw: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Dev rows with distinct keys; prod rows that may share keys (ambiguous)."""
    dev_names = draw(st.lists(st.sampled_from(NAMES), unique_by=slugify, max_size=6))
    prod_names = draw(st.lists(st.sampled_from(NAMES), max_size=8))
    return _records("d", dev_names, draw), _records("p", prod_names, draw)


def _apply(got: Plan, prod: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What the apply writes, done to the prod records: inserts, then changed columns."""
    [table] = got.tables
    after = [dict(r) for r in prod]
    by_id = {r["id"]: r for r in after}
    for update in table.updates:
        for column, (_, new) in update.changes.items():
            by_id[update.pk][column] = _as_read(new)
    after += [{c: _as_read(v) for c, v in create.values.items()} for create in table.creates]
    return after


def _as_read(value: Any) -> Any:
    """A written value as prod reads it back (numeric as its text)."""
    return str(value) if isinstance(value, Decimal) else value


@settings(max_examples=150, deadline=None, database=None)
@given(tables())
def test_every_dev_row_is_counted_once(sides: tuple[list[Any], list[Any]]) -> None:
    """Each dev row is a create, an update, a skip or unchanged; each prod row is matched by
    one dev row or prod-only."""
    dev, prod = sides
    [table] = plan([TABLE], dev={"items": dev}, prod={"items": prod}).tables
    counts = table.counts
    assert counts["create"] + counts["update"] + counts["skip"] + counts["unchanged"] == len(dev)
    dev_keys = {slugify(r["name"]) for r in dev}
    matched = sum(slugify(r["name"]) in dev_keys for r in prod)
    assert table.prod_only == len(prod) - matched
    assert all(s.kind == "ambiguous" for s in table.skips)


@settings(max_examples=150, deadline=None, database=None)
@given(tables())
def test_a_plan_applied_leaves_nothing_to_do(sides: tuple[list[Any], list[Any]]) -> None:
    """Diffing dev against prod with the plan applied finds nothing to create or update;
    only the ambiguous keys are skipped again."""
    dev, prod = sides
    first = plan([TABLE], dev={"items": dev}, prod={"items": prod})
    again = plan([TABLE], dev={"items": dev}, prod={"items": _apply(first, prod)})
    [before], [after] = first.tables, again.tables
    assert not again.has_changes
    assert after.skips == before.skips
    assert after.unchanged == len(dev) - len(before.skips)
