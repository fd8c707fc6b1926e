"""Value comparison: when a dev value and a prod value are the same.

`same` is the rule: equal by value and type (10.0 = 10.00 for numeric, NULL is not '', true
is not 1, NaN = NaN, in ranges too, JSON by type and regardless of key order). A pointer
compares as the match key of the row it points at, a numeric read as text as a Decimal, JSON
read as text as what it parses to (`converter`). `changed_rows` finds the few rows that
differ in one pass over the raw tuples; `changes` then names the columns that differ, old and
new. Pure.
"""

from __future__ import annotations

import decimal
import json
import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import repeat
from operator import itemgetter, ne, or_
from typing import Any

from psycopg.types.multirange import Multirange
from psycopg.types.range import Range

from refsync.keys import DANGLING, Side
from refsync.layouts import Layout
from refsync.model import Ref, Row

#: The values of a missing prod counterpart in the fast comparison: equal only to itself.
ABSENT: Any = object()

Converter = Callable[[Any], Any]


def same(a: Any, b: Any) -> bool:
    """Equal by value and type: 10.0 == 10.00 for numeric, NULL != '', True != 1, NaN = NaN,
    and so inside json/jsonb, arrays and ranges too (key order is irrelevant, true is not 1,
    1.0 is 1)."""
    if a is None or b is None:
        return a is b
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(v, b[k]) for k, v in a.items())
    if isinstance(a, Range) and isinstance(b, Range):
        # psycopg compares a range's bounds with ==, so one with a NaN bound (numrange allows
        # it) would differ from itself, and an unchanged row be updated on every run: compare
        # its parts as a tuple, below.
        a, b = (a.isempty, a.bounds, a.lower, a.upper), (b.isempty, b.bounds, b.lower, b.upper)
    if isinstance(a, list | tuple | Multirange) and isinstance(b, list | tuple | Multirange):
        return len(a) == len(b) and all(map(same, a, b))
    if is_nan(a) and is_nan(b):  # PostgreSQL takes NaN = NaN (float and numeric), so do we
        return type(a) is type(b)
    return bool(a == b)


def differ(a: Any, b: Any) -> bool:
    return not same(a, b)


def is_nan(value: Any) -> bool:
    return (isinstance(value, float) and math.isnan(value)) or (
        isinstance(value, decimal.Decimal) and value.is_nan()
    )


def decimal_or_null(value: str | None) -> decimal.Decimal | None:
    return None if value is None else decimal.Decimal(value)


def json_or_null(value: str | None) -> Any:
    """json/jsonb text as psycopg would have loaded it (numbers as int or float)."""
    return None if value is None else json.loads(value)


def converter(layout: Layout, sides: Mapping[str, Side], column: str) -> Converter | None:
    """How a raw value of `column` becomes a plan value on one side: a pointer becomes a Ref
    to its row's match key (ids differ per side), a numeric read as text a Decimal, JSON read
    as text what it parses to; None when the raw value is the plan value."""
    target = layout.references.get(column)
    if target is not None:
        keys = sides[target].key_by_pk

        def to_ref(value: Any) -> Ref | None:
            if value is None:
                return None
            key = keys.get(value)
            return Ref(target, key if key is not None else ())

        return to_ref
    kind = layout.as_text.get(column)
    if kind == "numeric":
        return decimal_or_null
    if kind == "json":
        return json_or_null
    return None


@dataclass(frozen=True)
class Compared:
    """One compared column: where it is in each side's rows, and how each side's raw value
    becomes a plan value."""

    column: str
    dev_index: int
    prod_index: int
    to_dev: Converter | None
    to_prod: Converter | None
    #: raw == proves nothing: a pointer (ids differ per side) or JSON in an array (true == 1)
    raw_unsure: bool
    #: a pointer's `pointer_keys` on dev and on prod: it is the same where they are equal
    pointers: tuple[Mapping[Any, Any], Mapping[Any, Any]] | None = None


def compared_columns(
    layout: Layout, dev: Mapping[str, Side], prod: Mapping[str, Side]
) -> list[Compared]:
    return [
        Compared(
            c,
            layout.dev_read.index(c),
            layout.prod_read.index(c),
            converter(layout, dev, c),
            converter(layout, prod, c),
            c in layout.references or c in layout.strict,
            _pointers(layout, dev, prod, c),
        )
        for c in layout.compare
    ]


def _pointers(
    layout: Layout, dev: Mapping[str, Side], prod: Mapping[str, Side], column: str
) -> tuple[Mapping[Any, Any], Mapping[Any, Any]] | None:
    target = layout.references.get(column)
    if target is None:
        return None
    return dev[target].pointer_keys, prod[target].pointer_keys


def changes(compared: Sequence[Compared], prod_row: Row, dev_row: Row) -> dict[str, Any]:
    """Compared column -> (prod value, dev value), for the columns that are not the same."""
    found = {}
    for col in compared:
        old, new = prod_row[col.prod_index], dev_row[col.dev_index]
        # Equal raw values of one type are equal plan values, but for those columns.
        if not col.raw_unsure and type(old) is type(new) and old == new:
            continue
        if col.pointers is not None:
            # Pointers at rows of one key are the same (as their `Ref`s would be): most
            # updates keep their parent, and need no `Ref` made for it.
            dev_keys, prod_keys = col.pointers
            if dev_keys.get(new, DANGLING) == prod_keys.get(old, DANGLING):
                continue
        if col.to_dev is not None and col.to_prod is not None:
            old, new = col.to_prod(old), col.to_dev(new)
        if not same(old, new):
            found[col.column] = (old, new)
    return found


def changed_rows(
    layout: Layout,
    dev_rows: Sequence[Row],
    counterparts: Sequence[Row],
    dev: Mapping[str, Side],
    prod: Mapping[str, Side],
    *,
    hashed: bool,
) -> Iterator[bool]:
    """Per dev row, whether it may differ from its prod counterpart (`ABSENT` rows for none).

    Most rows are unchanged: this finds the few that are not in one pass in C (map,
    itemgetter) with no object kept per row. The plain compared columns are compared as one
    tuple per side, and each reference column as the match key of the row it points at (ids
    differ per side, keys do not). Dev and prod share every column's type (build_layouts
    refuses drift), and json/jsonb arrive as text (where Python's == would take true for 1),
    so == here implies `same`; only the rows that differ take `changes`. A table that compares
    no plain column is checked on its match columns too, so a missing counterpart always differs.

    `hashed` rows (a first read's, `snapshot.read_rows`) hold NULL for a long value of a
    hashed column and end with those columns' hashes (NULL for a short value): a hash stands
    for its long value (equal text, equal values), and a short value never equals a long one.
    """
    dev_at = {c: layout.dev_read.index(c) for c in layout.dev_read}
    prod_at = {c: layout.prod_read.index(c) for c in layout.prod_read}
    plain = [c for c in layout.compare if c not in layout.references and c not in layout.strict]
    dev_cols = [dev_at[c] for c in plain or layout.match]
    prod_cols = [prod_at[c] for c in plain or layout.match]
    if hashed:
        dev_cols += range(len(layout.dev_read), len(layout.dev_read) + len(layout.hashed))
        prod_cols += range(len(layout.prod_read), len(layout.prod_read) + len(layout.hashed))
    differs = map(
        ne, map(itemgetter(*dev_cols), dev_rows), map(itemgetter(*prod_cols), counterparts)
    )
    for c in layout.strict:  # JSON inside arrays: compared by type, a Python call per row
        unlike = map(
            differ, map(itemgetter(dev_at[c]), dev_rows), map(itemgetter(prod_at[c]), counterparts)
        )
        differs = map(or_, differs, unlike)
    for c, t in layout.references.items():
        if c in layout.compare:
            dev_keys, prod_keys = dev[t].pointer_keys.get, prod[t].pointer_keys.get
            moved = map(
                ne,
                map(dev_keys, map(itemgetter(dev_at[c]), dev_rows), repeat(DANGLING)),
                map(prod_keys, map(itemgetter(prod_at[c]), counterparts), repeat(DANGLING)),
            )
            differs = map(or_, differs, moved)
    return differs
