"""Match keys: how a row is recognised on both sides, since ids differ per side.

A key is the row's match values (`key_of`), the slug of one name column (`Slugs`), or, for a
key scoped by a parent, the parent's own key in place of its id (`scoped_values`). `index`
reads one side's rows of one table into a `Side`: every row's key, one row per key, the rows
of keys several rows share, and the rows without a key. Pure: no database here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from itertools import repeat
from operator import itemgetter
from typing import Any, cast

from refsync.escape import visible
from refsync.layouts import Layout
from refsync.model import Key, Row
from refsync.slug import slugify, slugify_many

#: What a pointer at a row without a key (or at no row) compares as: equal only to itself.
DANGLING: Any = object()


def key_of(values: Sequence[Any], slug: bool) -> Key | None:
    """The match key of a row, or None when it has none (NULL, empty, unsluggable, or NaN,
    which equals nothing, not even itself: a row keyed by it could never be found again)."""
    if slug:
        text = values[0]
        s = slugify(text) if isinstance(text, str) else ""
        return (s,) if s else None
    if any(v is None or v == "" or v != v for v in values):  # noqa: PLR0124 - NaN != NaN
        return None
    return tuple(values)


def show_key(key: Key) -> str:
    """A key as people read it; a key scoped by a parent shows the parent's key first:
    `cleaning/deep-clean`."""
    # Shown, never acted on: a newline or RTL override in a key (it comes from row values)
    # is written as an escape, so no message, annotation or log line can be split or forged.
    return "/".join(show_key(k) if isinstance(k, tuple) else visible(str(k)) for k in key)


def scoped_values(
    layout: Layout, values: Sequence[Any], parent_keys: Mapping[str, Mapping[Any, Key | None]]
) -> list[Any]:
    """A row's match values with each reference column replaced by the match key of the row
    it points at (ids differ per side, keys do not); None where it points at no keyed row."""
    return [
        parent_keys[layout.references[c]].get(v) if c in layout.references and v is not None else v
        for c, v in zip(layout.match, values, strict=True)
    ]


@dataclass
class Side:
    """One side's rows of one table, indexed by key, each row held once.

    `keys[i]` is the key of `rows[i]`; `by_key` holds one row per key, `dupes` every row of
    the (rare) keys that several rows share, so the common case costs no list per row."""

    rows: Sequence[Row]
    keys: list[Key | None]
    pk_index: int
    by_key: dict[Key, Row]
    dupes: dict[Key, list[Row]]
    unkeyed: list[Row]

    @cached_property
    def key_by_pk(self) -> dict[Any, Key | None]:
        """Primary key -> match key; built only for tables that are pointed at or copy ids."""
        return dict(zip(map(itemgetter(self.pk_index), self.rows), self.keys, strict=True))

    @cached_property
    def pointer_keys(self) -> dict[Any, Any]:
        """What a pointer at one of these rows compares as: its match key; NULL for NULL;
        `DANGLING` for a row without a key (a pointer at no row maps to it by default)."""
        keys: dict[Any, Any] = dict(self.key_by_pk)
        if None in keys.values():
            keys.update(dict.fromkeys([pk for pk, key in keys.items() if key is None], DANGLING))
        keys[None] = None
        return keys

    def count(self, key: Key) -> int:
        """How many rows carry `key`."""
        if key in self.dupes:
            return len(self.dupes[key])
        return 1 if key in self.by_key else 0


class Slugs(dict[Any, Key | None]):
    """Name -> slug key, each distinct name slugged once for both sides. NULL has no key."""

    def __init__(self) -> None:
        super().__init__({None: None})

    def keys_of(self, names: list[Any]) -> list[Key | None]:
        """The slug key of every name, in order. The per-row loops stay in C (map, dict):
        each distinct name is slugged once."""
        if len(self) == 1:
            # The first side: slug every name at once, no lookup needed (NULL takes the
            # general path below: joining the names raises TypeError).
            try:
                keys = [(s,) if s else None for s in slugify_many(names)]
            except TypeError:
                pass
            else:
                self.update(zip(names, keys, strict=True))
                return keys
        try:
            keys = list(map(self.get, names, repeat(_UNSEEN)))
        except TypeError:
            # An unhashable value (a jsonb or array column named as slug_from) has no key.
            names = [n if isinstance(n, str) else None for n in names]
            keys = list(map(self.get, names, repeat(_UNSEEN)))
        if _UNSEEN in keys:
            unseen = [n for n, k in zip(names, keys, strict=True) if k is _UNSEEN]
            new = [n for n in dict.fromkeys(unseen) if isinstance(n, str)]
            self.update(zip(new, [(s,) if s else None for s in slugify_many(new)], strict=True))
            # A value that is neither text nor NULL has no key.
            keys = [self.get(n) if k is _UNSEEN else k for n, k in zip(names, keys, strict=True)]
        return keys


#: A name the slug cache has not seen yet.
_UNSEEN: Any = object()


def row_keys(
    rows: Sequence[Row],
    columns: Sequence[str],
    layout: Layout,
    slugs: Slugs,
    parents: Mapping[str, Side],
) -> list[Key | None]:
    """Every row's match key, in row order (None for a row without one)."""
    # These loops run once per row on both sides; they stay in C (map, zip, dict) where they can.
    match = itemgetter(*(columns.index(c) for c in layout.match))
    if any(c in layout.references for c in layout.match):
        # A key scoped by a parent: the parent's key stands for its id (parents come first).
        parent_keys = {t: parents[t].key_by_pk for t in layout.references.values() if t in parents}
        positions = [columns.index(c) for c in layout.match]
        return [
            key_of(scoped_values(layout, [row[i] for i in positions], parent_keys), False)
            for row in rows
        ]
    if layout.config.match.slug_from is not None:
        return slugs.keys_of(list(map(match, rows)))
    if len(layout.match) == 1:
        # NULL, '' and NaN (the one value unequal to itself) are no key, as in key_of.
        return [None if v is None or v == "" or v != v else (v,) for v in map(match, rows)]  # noqa: PLR0124
    return [key_of(values, False) for values in map(match, rows)]


def index(
    rows: Sequence[Row],
    columns: Sequence[str],
    layout: Layout,
    pk: str,
    slugs: Slugs,
    *,
    parents: Mapping[str, Side],
) -> Side:
    """One side's rows of one table by key. `columns` are the columns each row holds, in
    order; `parents` the sides already indexed (a scoped key needs its parent's keys)."""
    keys = row_keys(rows, columns, layout, slugs, parents)
    by_key_or_none: dict[Key | None, Row] = dict(zip(keys, rows, strict=True))
    unkeyed: list[Row] = []
    if None in by_key_or_none:
        del by_key_or_none[None]
        unkeyed = [row for key, row in zip(keys, rows, strict=True) if key is None]
    by_key = cast(dict[Key, Row], by_key_or_none)
    dupes: dict[Key, list[Row]] = {}
    if len(by_key) + len(unkeyed) != len(rows):
        # Some key is shared: list its rows, and index its first row as the lookups expect.
        shared: dict[Key, list[Row]] = {}
        for key, row in zip(keys, rows, strict=True):
            if key is not None:
                shared.setdefault(key, []).append(row)
        dupes = {k: v for k, v in shared.items() if len(v) > 1}
        for key, same in dupes.items():
            by_key[key] = same[0]
    return Side(rows, keys, columns.index(pk), by_key, dupes, unkeyed)


def key_index(
    layouts: Sequence[Layout], rows: Mapping[str, Sequence[Row]], tables: set[str]
) -> dict[str, tuple[dict[Key, Any], dict[Any, Key | None]]]:
    """For the named tables of prod rows (and the tables their keys are scoped by): match
    key -> primary key (None for a key several rows share) and primary key -> match key,
    keyed exactly as `diff` keys them."""
    needed = set(tables)
    for layout in reversed(layouts):
        if layout.name in needed:
            needed |= {t for c, t in layout.references.items() if c in layout.match}
    sides: dict[str, Side] = {}
    out = {}
    for layout in layouts:
        if layout.name not in needed:
            continue
        rows_read = rows[layout.name]
        side = index(rows_read, layout.prod_read, layout, layout.pk, Slugs(), parents=sides)
        sides[layout.name] = side
        by_key = {k: r[side.pk_index] for k, r in side.by_key.items()}
        by_key.update(dict.fromkeys(side.dupes))
        out[layout.name] = (by_key, dict(side.key_by_pk))
    return out
