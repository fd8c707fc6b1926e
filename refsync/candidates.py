"""Step 1 of the diff: what may differ. Both sides' rows indexed by key, parents first (a
scoped key and a pointer need their parent's keys); dev rows without a unique key refused;
per table, each dev row's prod counterpart and the rows that may differ from it
(`compare.changed_rows`).

After a first read that sent long values as their hashes, or left dev's long insert-only
columns out, `Prepared.wanted` names the rows a second read must fetch in full (those that
may differ and carry a hash, and the rows to create), and `in_full` hands the diff's later
steps each row in full. No database here.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import compress, repeat
from operator import is_, is_not, itemgetter, ne
from typing import Any, cast

from refsync.compare import ABSENT, changed_rows, differ
from refsync.errors import OperationalError, SafetyError
from refsync.keys import Side, Slugs, index, show_key
from refsync.layouts import Layout
from refsync.model import Key, Row

#: At most this many dev rows are named when dev cannot be matched.
_PROBLEMS_SHOWN = 50


@dataclass(frozen=True)
class Changed:
    """Step 1 of one table: per dev row its prod counterpart (or `absent`), and the rows that may
    differ from theirs, with their keys, in dev row order."""

    counterparts: list[Row]
    absent: Row
    rows: list[tuple[Key, Row]]
    #: the counterpart of each of `rows`
    prod_rows: list[Row]


@dataclass(frozen=True)
class Prepared:
    """Both sides indexed by key, parents first, and each table's step 1. From a first read
    (`hashed`), `wanted` names the rows `finish` needs in full; from full rows, nothing."""

    layouts: Sequence[Layout]
    dev: Mapping[str, Side]
    prod: Mapping[str, Side]
    dev_pk: Mapping[str, str]
    changed: Mapping[str, Changed]
    #: dev's rows are a first read's, without their `deferred` columns (`snapshot.read_rows`)
    deferred: bool = False
    #: per table scanned first (`prefilter`): the pairs found unchanged, not among the rows
    unchanged: Mapping[str, int] = field(default_factory=dict)

    def wanted(self) -> dict[str, tuple[list[Any], list[Any]]]:
        """Per table, the dev and prod primary keys of the rows that may differ and that a
        first read gave a hash for (`elided`) instead of a long value, and the dev rows to
        create when the first read left their `deferred` columns out (a key several prod
        rows share needs no values: it is skipped)."""
        out = {}
        for layout in self.layouts:
            changed = self.changed[layout.name]
            dupes = self.prod[layout.name].dupes
            pairs = changed.rows if not dupes else [p for p in changed.rows if p[0] not in dupes]
            pk_at = layout.dev_read.index(self.dev_pk[layout.name])
            prod_pk_at = layout.prod_read.index(layout.pk)
            absent = changed.absent
            rows = list(map(itemgetter(1), pairs))
            found = compress(changed.prod_rows, map(is_not, changed.prod_rows, repeat(absent)))
            dev = [r[pk_at] for r in carrying_hashes(rows, layout.dev_read)]
            if self.deferred and layout.deferred:
                new = compress(changed.rows, map(is_, changed.prod_rows, repeat(absent)))
                dev += [r[pk_at] for k, r in new if k not in dupes]
                dev = list(dict.fromkeys(dev))
            out[layout.name] = (
                dev,
                [t[prod_pk_at] for t in carrying_hashes(list(found), layout.prod_read)],
            )
        return out

    def hold_once(self, full_dev: Full, full_prod: Full) -> None:
        """Hold each row the second read fetched once: wherever the first read's row is (the
        side's rows and indexes, step 1), its second read takes its place, and the first
        read's tuple is freed (at 1M services with 2 KB descriptions, about 60 MiB). The
        second read ends with the same hashes, so `in_full` finds it unmoved, as itself; a
        row that moved between the reads keeps its first read, for `in_full` to refuse as
        before. The keys, step 1 and the plan are unchanged."""
        for layout in self.layouts:
            sides = (
                (self.dev[layout.name], "dev", full_dev),
                (self.prod[layout.name], "prod", full_prod),
            )
            swap: dict[int, Row] = {}
            for side, name, full in sides:
                swap.update(_second_reads(layout, name, side, full.get(layout.name) or {}))
            if swap:
                _swap(swap, self.changed[layout.name], [side for side, _, _ in sides])


def elided(row: Row, columns: Sequence[str]) -> bool:
    """Whether a row read with `columns` carries a hash in place of a long value (a first
    read's row ends with one hash or NULL per hashed column)."""
    hashes = row[len(columns) :]
    return hashes.count(None) != len(hashes)


def carrying_hashes(rows: Sequence[Row], columns: Sequence[str]) -> Iterator[Row]:
    """The rows that are `elided`, in one pass in C (most rows carry no hash)."""
    if not rows:
        return iter(())
    n = len(columns)
    nones = (None,) * (len(rows[0]) - n)
    return compress(rows, map(ne, map(itemgetter(slice(n, None)), rows), repeat(nones)))


#: Per table, primary key -> the row read in full (the second read of a two-read run).
Full = Mapping[str, Mapping[Any, Row]]


def prepare(
    layouts: Sequence[Layout],
    dev_rows: Mapping[str, Sequence[Row]],
    prod_rows: Mapping[str, Sequence[Row]],
    dev_pk: Mapping[str, str] | None = None,
    *,
    hashed: bool = False,
    deferred: bool = False,
    unchanged: Mapping[str, int] | None = None,
) -> Prepared:
    """Index both sides (refusing dev rows without a unique key) and find the rows that may
    differ. `hashed`: the rows are a first read's (`snapshot.read_rows`); `deferred`: dev's
    rows are a first read's without their `deferred` columns."""
    dev_pk = dev_pk or {layout.name: layout.pk for layout in layouts}
    dev: dict[str, Side] = {}
    prod: dict[str, Side] = {}
    problems: list[str] = []
    for layout in layouts:
        slugs = Slugs()
        name = layout.name
        dev[name] = index(dev_rows[name], layout.dev_read, layout, dev_pk[name], slugs, parents=dev)
        prod[name] = index(
            prod_rows[name], layout.prod_read, layout, layout.pk, slugs, parents=prod
        )
        problems += _unmatchable(layout, dev[name], dev_pk[name])
    if problems:
        _refuse_unmatchable(problems)
    changed = {
        layout.name: _find_changed(layout, dev, prod, hashed=hashed and bool(layout.hashed))
        for layout in layouts
    }
    return Prepared(layouts, dev, prod, dev_pk, changed, deferred, unchanged or {})


def _unmatchable(layout: Layout, dev: Side, dev_pk: str) -> list[str]:
    """The dev rows without a key (the first 20) and the keys several dev rows share."""
    slugged = layout.config.match.slug_from is not None
    what = "slug of " + layout.match[0] if slugged else ", ".join(layout.match)
    pk_at = layout.dev_read.index(dev_pk)
    match = [layout.dev_read.index(c) for c in layout.match]
    found = [
        f"{layout.name}: row {row[pk_at]!r} has "
        + ("NaN in" if any(row[i] != row[i] for i in match) else "an empty")
        + f" {what}"
        for row in dev.unkeyed[:20]
    ]
    for key, rows in sorted(dev.dupes.items()):
        ids = [r[pk_at] for r in rows]
        found.append(f"{layout.name}: key `{show_key(key)}` is shared by dev rows {ids}")
    return found


def _refuse_unmatchable(problems: list[str]) -> None:
    more = len(problems) - _PROBLEMS_SHOWN
    raise SafetyError(
        "dev has rows refsync cannot match unambiguously; nothing was planned:\n  "
        + "\n  ".join(problems[:_PROBLEMS_SHOWN])
        + (f"\n  … and {more} more" if more > 0 else ""),
        fix="rename or remove the duplicates in dev (every row needs a distinct match key, "
        "none of it NULL, empty or NaN), then re-run",
    )


def _find_changed(
    layout: Layout, dev: Mapping[str, Side], prod: Mapping[str, Side], *, hashed: bool
) -> Changed:
    """Step 1: per dev row its unique prod counterpart (or a row of stand-ins), and the rows that
    may differ from it."""
    dev_side, prod_side = dev[layout.name], prod[layout.name]
    # Dev has no unkeyed or shared keys here (prepare() refused them), so its keys are keys.
    keys = cast(list[Key], dev_side.keys)
    lookup = prod_side.by_key
    if prod_side.dupes:
        lookup = {k: r for k, r in lookup.items() if k not in prod_side.dupes}
    absent: Row = (ABSENT,) * (len(layout.prod_read) + len(layout.hashed) * hashed)
    counterparts: list[Row] = list(map(lookup.get, keys, repeat(absent)))
    differs = list(changed_rows(layout, dev_side.rows, counterparts, dev, prod, hashed=hashed))
    # Dev keys in row order: the outputs are sorted later, cheaper than sorting every key.
    rows = list(compress(zip(keys, dev_side.rows, strict=True), differs))
    return Changed(counterparts, absent, rows, list(compress(counterparts, differs)))


def in_full(
    layout: Layout,
    side: str,
    full: Mapping[Any, Row] | None,
    pk: Any,
    read: Row,
    *,
    whole: bool = False,
) -> Row:
    """The row with primary key `pk` in full: from the second read (`full`) when it has the
    row, else as the first read it (without its hashes).
    `whole`: every column is needed (a row to create) and the first read left dev's
    `deferred` columns out, so only the second read has the row.

    An apply reads prod in READ COMMITTED: a row gone, or changed between the two reads (its
    key, above all, which the row locks would not see move, as they compare with the second
    read), refuses. The second read ends with the first read's hashes again for this check."""
    columns = layout.dev_read if side == "dev" else layout.prod_read
    row = (full or {}).get(pk)
    # The second read itself, in the first read's place (`Prepared.hold_once` checked it).
    if row is not None and (row is read or not _moved(layout, side, read, row)):
        return row[: len(columns)]
    if row is not None or elided(read, columns) or whole:
        raise OperationalError(
            f"{side}: {layout.name} row {pk!r} changed or was gone when its values were read "
            "in full; the table changed during the read",
            fix="re-run; nothing was written",
        )
    return read[: len(columns)]


def rows_in_full(
    layout: Layout,
    side: str,
    full: Mapping[Any, Row] | None,
    pk_at: int,
    reads: Sequence[Row],
    *,
    whole: bool = False,
) -> list[Row]:
    """`in_full` of each of `reads` (`pk_at`: where their primary key is); in one pass in C
    when the second read fetched no row of this table (no row may then carry a hash)."""
    if full or whole:
        return [in_full(layout, side, full, read[pk_at], read, whole=whole) for read in reads]
    columns = layout.dev_read if side == "dev" else layout.prod_read
    for read in carrying_hashes(reads, columns):
        in_full(layout, side, full, read[pk_at], read)  # refuses: it was gone by then
    return list(map(itemgetter(slice(0, len(columns))), reads))


def _second_reads(layout: Layout, name: str, side: Side, full: Mapping[Any, Row]) -> dict[int, Row]:
    """By the identity of each first-read row the second read fetched unmoved, that read."""
    if not full:
        return {}
    pk_at = side.pk_index
    found = ((row, full.get(row[pk_at])) for row in side.rows)
    return {
        id(first): second
        for first, second in found
        if second is not None and not _moved(layout, name, first, second)
    }


def _swap(swap: Mapping[int, Row], changed: Changed, sides: Sequence[Side]) -> None:
    """Every reference to a row in `swap` (by identity) replaced, in place; the side's rows
    last, so each row replaced stays alive (and its identity its own) until the end. The rows
    of a key several rows share, and rows without a key, are never read again (`wanted`):
    `dupes` and `unkeyed` hold none of them."""
    new = swap.get
    changed.counterparts[:] = [new(id(r), r) for r in changed.counterparts]
    changed.prod_rows[:] = [new(id(r), r) for r in changed.prod_rows]
    changed.rows[:] = [(k, new(id(r), r)) for k, r in changed.rows]
    for side in sides:
        side.by_key.update({k: swap[id(r)] for k, r in side.by_key.items() if id(r) in swap})
    for side in sides:
        rows = cast(list[Row], side.rows)
        rows[:] = [new(id(r), r) for r in rows]


def _moved(layout: Layout, side: str, first: Row, second: Row) -> bool:
    """Whether a row's second read differs from its first: a hash, or a value read in full
    both times (a short value of a hashed column included; not dev's `deferred` columns,
    which the first read left out)."""
    columns = layout.dev_read if side == "dev" else layout.prod_read
    n = len(columns)
    if first[n:] != second[n:]:
        return True
    # A first read that hashed nothing (servers of two encodings) ends with no hash.
    hashes = dict(zip(layout.hashed, first[n:], strict=True)) if first[n:] else {}
    return any(
        differ(a, b)
        for c, a, b in zip(columns, first, second, strict=False)
        if hashes.get(c) is None and c not in layout.deferred  # (prod reads none of them)
    )
