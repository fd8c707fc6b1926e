"""A first read that holds no row of a leaf table (one no reference table points at).

Each side is scanned once for numbers alone, a chunk at a time, none of it kept as rows: per
row a 64-bit hash of its primary key's text, a 64-bit hash of its match key (keyed here as
`keys` keys it), and a 64-bit signature of everything step 1 of the diff compares: the key,
the server's hash of the plain compared columns' text, and the key each pointer column points
at. A dev row whose key one row on each side has, with the same signature, is unchanged by
every comparison the diff makes: the pair is counted and dropped. Every other row (new, maybe
changed, a key several rows share or none, a prod row whose id a new dev row would take) is
read again by its id's hash, as the ordinary first read reads it, and the diff plans from
those.

Only for column types whose output text is their value under the settings every refsync
transaction sets (`_TEXT_IS_VALUE`), between servers of one encoding: equal text is then equal
bytes and an equal value. Every hash is keyed anew in every process: Python's `hash` of a str
by its own per-process key, the server's (`hashtextextended`, which can be run backwards: a
value whose hash is any given number can be computed) by `sqlparts.HASH_KEY`, a secret drawn
at import and sent as part of each scan. A collision (about 2^-61 for a given
pair, as `hash` reduces an int modulo 2^61 - 1) can only make a changed row look unchanged:
it can leave a change out of the plan, never write one. A row whose re-read differs from its
scan refuses the run.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from itertools import repeat
from operator import itemgetter
from typing import Any, cast

from psycopg import sql

from refsync.catalog import Catalog, Column, Shape
from refsync.db import Database
from refsync.errors import OperationalError
from refsync.keys import DANGLING, Side, Slugs, row_keys
from refsync.layouts import Layout, without_typmod
from refsync.model import Key, Row
from refsync.slug import slugify_many
from refsync.snapshot import first_select
from refsync.sqlparts import HASH_KEY, column, int8, keyed_hash, only, text_of
from refsync.unchanged import Scanned

#: Types whose text output is the value as `compare` compares it, whatever the server's
#: settings (refsync sets extra_float_digits; dates and times depend on DateStyle and
#: TimeZone, which it does not, so they are not here).
_TEXT_IS_VALUE = frozenset(
    {"text", "character varying", "character", "smallint", "integer", "bigint", "numeric"}
    | {"boolean", "uuid", "json", "jsonb", "real", "double precision"}
)
#: Types of a match column or an id: Python's equality of the values read is equality of
#: their text (no 1 == 1.0 across two types, no NaN).
_KEY_TYPES = frozenset(
    {"text", "character varying", "character", "smallint", "integer", "bigint", "uuid"}
)
#: Key types Python reads as str: `hash` of such a key is keyed anew in every process.
_TEXT_KEYS = frozenset({"text", "character varying", "character"})

#: Tables this large on disk (on either side) are scanned first: below it, holding every
#: row costs less memory than the scan's second read costs time (`docs/benchmark.md`).
SCAN_FIRST_BYTES = 64 * 2**20


def _of_type(dev: Column, prod: Column, allowed: frozenset[str]) -> bool:
    """Both sides' column has one type, a domain over or a type itself in `allowed`."""
    return dev.type == prod.type and without_typmod(prod.base_type) in allowed


def eligible(
    layouts: Sequence[Layout], dev: Catalog, prod: Catalog, *, same_encoding: bool
) -> dict[str, bool]:
    """The tables a run scans first: large leaves keyed by their own columns, whose compared,
    key and id columns are all of types whose text is their value; for each, whether its
    keys are text alone (`Keyed` hashes them as they are)."""
    if not same_encoding:
        return {}
    pointed = {t for layout in layouts for t in layout.references.values()}
    out = {}
    for layout in layouts:
        dev_shape, prod_shape = dev.tables[layout.relation], prod.tables[layout.relation]

        def typed(
            name: str, allowed: frozenset[str], d: Shape = dev_shape, p: Shape = prod_shape
        ) -> bool:
            return _of_type(d.columns[name], p.columns[name], allowed)

        plain = [c for c in layout.compare if c not in layout.references]
        dev_pk = dev_shape.columns[dev_shape.primary_key[0]]
        prod_pk = prod_shape.columns[layout.pk]
        # The ids are hashed as their text on each side, and compared when dev's are copied.
        ids = all(without_typmod(c.base_type) in _KEY_TYPES for c in (dev_pk, prod_pk))
        if (
            max(dev_shape.size, prod_shape.size) >= SCAN_FIRST_BYTES
            and layout.name not in pointed
            and not any(c in layout.references for c in layout.match)
            and ids
            and (layout.pk_from_prod or _of_type(dev_pk, prod_pk, _KEY_TYPES))
            and all(typed(c, _TEXT_IS_VALUE) for c in plain)
            and all(typed(c, _KEY_TYPES) for c in layout.match)
        ):
            out[layout.name] = layout.config.match.slug_from is not None or all(
                typed(c, _TEXT_KEYS) for c in layout.match
            )
    return out


@dataclass(frozen=True)
class _Shape:
    """Where a scanned (or re-read) row holds what its fingerprint needs."""

    columns: tuple[str, ...]
    pointers: tuple[tuple[int, str], ...]  # (position, parent table)
    value_hash: int
    pk: int


def _scan_shape(layout: Layout, side: str) -> tuple[_Shape, sql.Composable]:
    pk = (layout.prod_read if side == "prod" else layout.dev_read)[0]
    pointers = _pointers(layout)
    columns = tuple(dict.fromkeys((*layout.match, *pointers)))
    shape = _Shape(
        (*columns, "\0value", "\0pk"),
        tuple((columns.index(c), layout.references[c]) for c in pointers),
        len(columns),
        len(columns) + 1,
    )
    select = [*(column(c, layout.as_text) for c in columns), _value_hash(layout), _id_hash(pk)]
    return shape, sql.SQL(", ").join(select)


def _value_hash(layout: Layout) -> sql.Composable:
    """The server's hash of the plain compared columns: each column's output text (`concat`,
    as a read gets it: no cast of the user's can stand in) hashed on its own, keyed by this
    process's secret `HASH_KEY` and the column's place, a NULL as another number of those,
    the hashes combined by XOR (`#`). Equal texts give equal hashes; any other difference is a
    64-bit coincidence no one can aim at without the key. Hashing one row's text instead
    (`ROW(...)::text`, every value quoted into it) kept each scan waiting on the server:
    0.48-0.59 s against 0.39-0.41 s to stream 1M narrow rows of one side
    (`docs/benchmark.md`, attempt 19)."""
    plain = [c for c in layout.compare if c not in layout.references]
    parts = [
        sql.SQL("COALESCE({}, {})").format(keyed_hash(text_of(c), place), int8(HASH_KEY - place))
        for place, c in enumerate(plain, 1)
    ]
    return sql.SQL(" # ").join(parts) if parts else sql.SQL("0::int8")


def _id_hash(pk: str) -> sql.Composable:
    """The server's hash of a primary key's text."""
    return keyed_hash(text_of(pk))


def _pointers(layout: Layout) -> list[str]:
    """The compared pointer columns, in one order for the scan and the second read."""
    return [c for c in layout.compare if c in layout.references]


@dataclass(frozen=True)
class Keyed:
    """How one side's rows of one table become numbers: a key's hash (`hash` keys a str anew
    in every process; other keys go through their text first, as `hash` of an int or a uuid
    is neither keyed nor one-to-one: -1 and -2 hash alike), and per pointer column what the
    key of each parent row hashes to."""

    layout: Layout
    text_keys: bool
    parents: Mapping[str, Side]
    pointers: Mapping[str, Mapping[Any, int]]
    dangling: int

    @classmethod
    def of(cls, layout: Layout, text_keys: bool, parents: Mapping[str, Side]) -> Keyed:
        tables = {layout.references[c] for c in _pointers(layout)}
        pointers = {
            t: {pk: hash(repr(key)) for pk, key in parents[t].pointer_keys.items()} for t in tables
        }
        return cls(layout, text_keys, parents, pointers, hash(repr(DANGLING)))

    def _keys(self, rows: Sequence[Row], shape: _Shape) -> list[Key | None]:
        """Each row's key, as `keys.row_keys` keys it; slugs without its cache (one for the
        whole table would hold every name) where every name is text."""
        slug_from = self.layout.config.match.slug_from
        if slug_from is not None:
            try:
                slugs = slugify_many(list(map(itemgetter(shape.columns.index(slug_from)), rows)))
            except TypeError:  # a NULL name: `row_keys` gives it no key
                pass
            else:
                return [(s,) if s else None for s in slugs]
        return row_keys(rows, shape.columns, self.layout, Slugs(), self.parents)

    def prints(
        self, rows: Sequence[Row], shape: _Shape
    ) -> tuple[list[Key | None], list[int], list[int]]:
        """Each row's key, the key's hash and the row's signature, in C where it can."""
        keys = self._keys(rows, shape)
        hashes = list(map(hash, keys if self.text_keys else map(repr, keys)))
        pointed = [
            map(self.pointers[t].get, map(itemgetter(at), rows), repeat(self.dangling))
            for at, t in shape.pointers
        ]
        values = map(itemgetter(shape.value_hash), rows)
        return keys, hashes, list(map(hash, zip(hashes, values, *pointed, strict=True)))


def scan(
    db: Database,
    layout: Layout,
    keyed: Keyed,
    progress: Callable[[int, float], None] | None = None,
) -> Scanned:
    """One side's scan of one table: one streamed SELECT, no row kept. `progress` hears
    (rows so far, seconds) while a long scan goes on."""
    shape, select = _scan_shape(layout, db.side)
    out = Scanned()

    def consume(rows: list[Row]) -> None:
        keys, hashes, signs = keyed.prints(rows, shape)
        if None in keys:
            base = len(out.keys)
            out.unkeyed += [base + i for i, k in enumerate(keys) if k is None]
        # `fromlist` sizes the array once; `extend` grows it a number at a time.
        out.ids.fromlist(list(map(itemgetter(shape.pk), rows)))
        out.keys.fromlist(hashes)
        out.signs.fromlist(signs)

    db.execute(
        sql.SQL("SELECT {} FROM {}").format(select, only(layout.relation)),
        relation=layout.config.label,
        stream=True,
        progress=progress,
        consume=consume,
    )
    return out


def reread(
    db: Database,
    layout: Layout,
    scanned: Scanned,
    positions: Sequence[int],
    keyed: Keyed,
    *,
    hashed: bool,
) -> list[Row]:
    """The kept rows again, as the first read reads them (`snapshot.read_rows`), in scan
    order: one statement, by the hashes of their ids. Each must come back as its scan saw
    it (its key and signature), or the run refuses; a row whose id shares a kept row's hash
    comes back too, and is left out."""
    if not positions:
        return []
    read = layout.prod_read if db.side == "prod" else layout.dev_read
    left = layout.deferred if db.side == "dev" else ()
    hashed = hashed and bool(layout.hashed)
    query = sql.SQL("SELECT {}, {}, {} FROM {} WHERE {} = ANY(%s::int8[])").format(
        first_select(read, layout, hashed=hashed, left=left),
        _value_hash(layout),
        _id_hash(read[0]),
        only(layout.relation),
        _id_hash(read[0]),
    )
    ids = [scanned.ids[at] for at in positions]
    # The array's text, made here: psycopg adapts a list one number at a time in Python
    # (0.1 s per 100,000), joining their digits takes a tenth of that.
    array = "{" + ",".join(map(str, ids)) + "}"
    rows = db.execute(query, [array], relation=layout.config.label)
    width = len(read) + len(layout.hashed) * hashed
    shape = _Shape(
        (*read, *(f"\0hash{i}" for i in range(width - len(read))), "\0value", "\0pk"),
        tuple((read.index(c), layout.references[c]) for c in _pointers(layout)),
        width,
        width + 1,
    )
    _, hashes, signs = keyed.prints(rows, shape)
    prints = zip(map(itemgetter(width + 1), rows), hashes, signs, strict=True)
    found = dict(zip(prints, rows, strict=True))
    wanted = [
        (i, scanned.keys[at], scanned.signs[at]) for i, at in zip(ids, positions, strict=True)
    ]
    got = list(map(found.get, wanted))
    if None in got or len(set(wanted)) != len(wanted):
        _moved(db, layout)
    return [row[:width] for row in cast(list[Row], got)]


def _moved(db: Database, layout: Layout) -> None:
    raise OperationalError(
        f"{db.side}: {layout.name} rows changed between the two reads of the table; the "
        "table changed during the read",
        fix="re-run; nothing was written",
    )
