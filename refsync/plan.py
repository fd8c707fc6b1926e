"""The plan: a pure function from the two snapshots to what would be written.

No database here. `diff` compares dev and prod rows by match key and returns creates,
updates (per-field old -> new), skips with reasons, and the unchanged and prod-only
counts, each list in sorted key order. `protect` turns updates of rows that business data
points at into skips. `digest` is the SHA-256 of the plan's canonical form (SPEC 4.5).
"""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import json
import math
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from itertools import compress, repeat
from operator import attrgetter, itemgetter, ne, or_
from typing import Any, Literal, cast

from refsync.errors import SafetyError
from refsync.escape import visible
from refsync.layouts import Layout
from refsync.model import Key, Row
from refsync.slug import slugify, slugify_many

SkipKind = Literal["protected", "ambiguous", "id-taken", "parent-missing"]


@dataclass(frozen=True, order=True)
class Ref:
    """A pointer to a reference row by its match key (never by a raw id: ids differ per side)."""

    table: str
    key: Key


@dataclass(frozen=True)
class Create:
    key: Key
    #: column -> dev value (a Ref for reference columns); the primary key when it is copied
    values: Mapping[str, Any]


@dataclass(frozen=True)
class Update:
    key: Key
    pk: Any
    #: compared column -> (prod value, dev value); only the columns that differ
    changes: Mapping[str, tuple[Any, Any]]
    #: the prod row as read (prod_read order), for writing unchanged columns back as they are
    prod_row: Row = field(compare=False, repr=False)


@dataclass(frozen=True)
class Skip:
    key: Key
    kind: SkipKind
    reason: str
    changes: Mapping[str, tuple[Any, Any]] = field(default_factory=dict)


@dataclass(frozen=True)
class TablePlan:
    name: str
    creates: tuple[Create, ...]
    updates: tuple[Update, ...]
    skips: tuple[Skip, ...]
    unchanged: int
    prod_only: int

    @property
    def counts(self) -> dict[str, int]:
        return {
            "create": len(self.creates),
            "update": len(self.updates),
            "skip": len(self.skips),
            "unchanged": self.unchanged,
            "prod_only": self.prod_only,
        }


@dataclass(frozen=True)
class Plan:
    tables: tuple[TablePlan, ...]

    def table(self, name: str) -> TablePlan:
        return next(t for t in self.tables if t.name == name)

    @property
    def totals(self) -> dict[str, int]:
        out = {"create": 0, "update": 0, "skip": 0, "unchanged": 0, "prod_only": 0}
        for table in self.tables:
            for k, v in table.counts.items():
                out[k] += v
        return out

    @property
    def has_changes(self) -> bool:
        totals = self.totals
        return totals["create"] + totals["update"] > 0


def key_of(values: Sequence[Any], slug: bool) -> Key | None:
    """The match key of a row, or None when it has none (NULL, empty or unsluggable)."""
    if slug:
        text = values[0]
        s = slugify(text) if isinstance(text, str) else ""
        return (s,) if s else None
    if any(v is None or v == "" for v in values):
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
class _Side:
    """One side's rows of one table, indexed by key, each row held once.

    `keys[i]` is the key of `rows[i]`; `by_key` holds one row per key, `dupes` every row of
    the (rare) keys that several rows share, so the common case costs no list per row."""

    rows: Sequence[Row]
    keys: list[Key | None]
    pk_i: int
    by_key: dict[Key, Row]
    dupes: dict[Key, list[Row]]
    unkeyed: list[Row]

    @cached_property
    def key_by_pk(self) -> dict[Any, Key | None]:
        """Primary key -> match key; built only for tables that are pointed at or copy ids."""
        return dict(zip(map(itemgetter(self.pk_i), self.rows), self.keys, strict=True))

    @cached_property
    def pointer_keys(self) -> dict[Any, Any]:
        """What a pointer at one of these rows compares as: its match key; NULL for NULL;
        `_DANGLING` for a row without a key (a pointer at no row maps to it by default)."""
        keys: dict[Any, Any] = dict(self.key_by_pk)
        if None in keys.values():
            keys.update(dict.fromkeys([pk for pk, key in keys.items() if key is None], _DANGLING))
        keys[None] = None
        return keys

    @cached_property
    def pks(self) -> set[Any]:
        """Every primary key on this side (a create's copied id must not be taken)."""
        return set(map(itemgetter(self.pk_i), self.rows))

    def count(self, key: Key) -> int:
        """How many rows carry `key`."""
        if key in self.dupes:
            return len(self.dupes[key])
        return 1 if key in self.by_key else 0


class _Slugs(dict[Any, Key | None]):
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


def _index(
    rows: Sequence[Row],
    cols: Sequence[str],
    layout: Layout,
    pk: str,
    slugs: _Slugs,
    *,
    parents: Mapping[str, _Side],
) -> _Side:
    # These loops run once per row on both sides; they stay in C (map, zip, dict) where they can.
    match = itemgetter(*(cols.index(c) for c in layout.match))
    keys: list[Key | None]
    if any(c in layout.references for c in layout.match):
        # A key scoped by a parent: the parent's key stands for its id (parents come first).
        parent_keys = {t: parents[t].key_by_pk for t in layout.references.values() if t in parents}
        positions = [cols.index(c) for c in layout.match]
        keys = [
            key_of(scoped_values(layout, [row[i] for i in positions], parent_keys), False)
            for row in rows
        ]
    elif layout.config.match.slug_from is not None:
        keys = slugs.keys_of(list(map(match, rows)))
    elif len(layout.match) == 1:
        keys = [None if v is None or v == "" else (v,) for v in map(match, rows)]
    else:
        keys = [key_of(values, False) for values in map(match, rows)]
    index: dict[Key | None, Row] = dict(zip(keys, rows, strict=True))
    unkeyed: list[Row] = []
    if None in index:
        del index[None]
        unkeyed = [row for key, row in zip(keys, rows, strict=True) if key is None]
    by_key = cast(dict[Key, Row], index)
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
    return _Side(rows, keys, cols.index(pk), by_key, dupes, unkeyed)


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
    sides: dict[str, _Side] = {}
    out = {}
    for layout in layouts:
        if layout.name not in needed:
            continue
        side = _index(
            rows[layout.name], layout.prod_read, layout, layout.pk, _Slugs(), parents=sides
        )
        sides[layout.name] = side
        by_key = {k: r[side.pk_i] for k, r in side.by_key.items()}
        by_key.update(dict.fromkeys(side.dupes))
        out[layout.name] = (by_key, dict(side.key_by_pk))
    return out


def diff(
    layouts: Sequence[Layout],
    dev_rows: Mapping[str, Sequence[Row]],
    prod_rows: Mapping[str, Sequence[Row]],
    dev_pk: Mapping[str, str] | None = None,
) -> Plan:
    """Compare dev and prod row sets table by table (parents first). Pure."""
    dev_pk = dev_pk or {layout.name: layout.pk for layout in layouts}
    dev: dict[str, _Side] = {}
    prod: dict[str, _Side] = {}
    problems: list[str] = []
    for layout in layouts:
        slugs = _Slugs()
        dev[layout.name] = d = _index(
            dev_rows[layout.name], layout.dev_read, layout, dev_pk[layout.name], slugs, parents=dev
        )
        prod[layout.name] = _index(
            prod_rows[layout.name], layout.prod_read, layout, layout.pk, slugs, parents=prod
        )
        what = (
            "slug of " + layout.match[0]
            if layout.config.match.slug_from
            else ", ".join(layout.match)
        )
        for row in d.unkeyed[:20]:
            pk_value = row[layout.dev_read.index(dev_pk[layout.name])]
            problems.append(f"{layout.name}: row {pk_value!r} has an empty {what}")
        for key, rows in sorted(d.dupes.items()):
            ids = [r[layout.dev_read.index(dev_pk[layout.name])] for r in rows]
            problems.append(f"{layout.name}: key `{show_key(key)}` is shared by dev rows {ids}")
    if problems:
        raise SafetyError(
            "dev has rows refsync cannot match unambiguously; nothing was planned:\n  "
            + "\n  ".join(problems[:50])
            + (f"\n  … and {len(problems) - 50} more" if len(problems) > 50 else ""),
            fix="rename or remove the duplicates in dev (every row needs a distinct, non-empty "
            "match key), then re-run",
        )

    tables: list[TablePlan] = []
    created: dict[str, set[Key]] = {}
    for layout in layouts:
        plan, created[layout.name] = _diff_table(layout, dev, prod, created, dev_pk[layout.name])
        tables.append(plan)
    return Plan(tuple(tables))


def _resolve(
    ref: Ref | None, prod: Mapping[str, _Side], created: Mapping[str, set[Key]]
) -> str | None:
    """Why a reference cannot be written, or None when its target exists or will."""
    if ref is None:
        return None
    if ref.key == ():
        return f"its {ref.table} row does not exist in dev (dangling pointer)"
    found = prod[ref.table].count(ref.key)
    if found == 1 or (not found and ref.key in created.get(ref.table, set())):
        return None
    if found > 1:
        return f"its {ref.table} `{show_key(ref.key)}` is ambiguous in prod"
    return f"its {ref.table} `{show_key(ref.key)}` is neither in prod nor created by this plan"


def _diff_table(
    layout: Layout,
    dev: Mapping[str, _Side],
    prod: Mapping[str, _Side],
    created: dict[str, set[Key]],
    dev_pk: str,
) -> tuple[TablePlan, set[Key]]:
    d, p = dev[layout.name], prod[layout.name]
    di = {c: layout.dev_read.index(c) for c in layout.dev_read}
    pi = {c: layout.prod_read.index(c) for c in layout.prod_read}

    # How a raw value becomes a plan value, per column: a pointer becomes a Ref to its row's
    # match key (ids differ per side), a numeric read as text a Decimal, anything else stays.
    def converter(side: Mapping[str, _Side], col: str) -> Callable[[Any], Any] | None:
        target = layout.references.get(col)
        if target is not None:
            keys = side[target].key_by_pk

            def to_ref(value: Any) -> Ref | None:
                if value is None:
                    return None
                key = keys.get(value)
                return Ref(target, key if key is not None else ())

            return to_ref
        kind = layout.as_text.get(col)
        if kind == "numeric":
            return _decimal_or_null
        if kind == "json":
            return _json_or_null
        return None

    inserted = [(c, di[c], converter(dev, c)) for c in layout.insert]
    # (column, dev index, prod index, dev converter, prod converter, raw == proves nothing:
    # a pointer, whose ids differ per side, or JSON in an array, where true == 1)
    compared = [
        (
            c,
            di[c],
            pi[c],
            converter(dev, c),
            converter(prod, c),
            c in layout.references or c in layout.strict,
        )
        for c in layout.compare
    ]

    # Most rows are unchanged: find the few that are not in one pass in C (map, itemgetter,
    # compress) with no object kept per row. Per dev row, its prod twin (or a row of
    # stand-ins); the plain compared columns as one tuple each side, and each reference column
    # as the match key of the row it points at (ids differ per side, keys do not). Dev and prod
    # share every column's type (build_layouts refuses drift), and json/jsonb arrive as text (where
    # Python's == would take true for 1), so == here implies _same; only the rows that differ
    # take the per-column path below. A table that compares no plain column is checked on its
    # match columns too, so a missing twin always differs.
    # Dev has no unkeyed or shared keys here (diff() refused them), so d.keys are its keys.
    keys = cast(list[Key], d.keys)
    lookup = p.by_key if not p.dupes else {k: r for k, r in p.by_key.items() if k not in p.dupes}
    absent: Row = (_ABSENT,) * len(layout.prod_read)
    twins: list[Row] = list(map(lookup.get, keys, repeat(absent)))
    plain = [c for c in layout.compare if c not in layout.references and c not in layout.strict]
    plain = plain or list(layout.match)
    differs = map(
        ne,
        map(itemgetter(*(di[c] for c in plain)), d.rows),
        map(itemgetter(*(pi[c] for c in plain)), twins),
    )
    for c in layout.strict:  # JSON inside arrays: compared by type, a Python call per row
        unlike = map(_differ, map(itemgetter(di[c]), d.rows), map(itemgetter(pi[c]), twins))
        differs = map(or_, differs, unlike)
    for c, t in layout.references.items():
        if c in layout.compare:
            dev_keys, prod_keys = dev[t].pointer_keys.get, prod[t].pointer_keys.get
            moved = map(
                ne,
                map(dev_keys, map(itemgetter(di[c]), d.rows), repeat(_DANGLING)),
                map(prod_keys, map(itemgetter(pi[c]), twins), repeat(_DANGLING)),
            )
            differs = map(or_, differs, moved)

    creates: dict[Key, Create] = {}
    updates: list[Update] = []
    skips: list[Skip] = []
    p_rows, p_dupes = p.by_key, p.dupes
    # Dev keys in row order: the outputs are sorted below, which is cheaper than sorting every key.
    for key, row in compress(zip(keys, d.rows, strict=True), differs):
        prod_row = p_rows.get(key)
        if prod_row is None:
            dev_id = row[di[dev_pk]]
            values = {c: convert(row[i]) if convert else row[i] for c, i, convert in inserted}
            if not layout.pk_from_prod:
                if dev_id in p.pks:
                    owner = p.key_by_pk[dev_id]
                    skips.append(
                        Skip(
                            key,
                            "id-taken",
                            f"id {dev_id!r} is already used in prod "
                            f"by `{show_key(owner) if owner else 'a row without key'}`",
                        )
                    )
                    continue
                values = {layout.pk: dev_id, **values}
            creates[key] = Create(key, values)
            continue
        if key in p_dupes:
            skips.append(
                Skip(
                    key,
                    "ambiguous",
                    f"ambiguous in prod ({len(p_dupes[key])} rows share this key); "
                    "resolve it in prod",
                )
            )
            continue
        changes = {}
        for col, d_i, p_i, to_dev, to_prod, raw_unsure in compared:
            old, new = prod_row[p_i], row[d_i]
            # Equal raw values of one type are equal plan values, but for those columns.
            if not raw_unsure and type(old) is type(new) and old == new:
                continue
            if to_dev is not None and to_prod is not None:
                old, new = to_prod(old), to_dev(new)
            if not _same(old, new):
                changes[col] = (old, new)
        if not changes:
            continue  # equal by _same after all: counted as unchanged below
        updates.append(Update(key, prod_row[pi[layout.pk]], changes, prod_row))
    unchanged = len(d.by_key) - len(creates) - len(updates) - len(skips)
    updates.sort(key=attrgetter("key"))

    # Creates whose parent is neither in prod nor created: drop them until none is left, so a
    # chain (a self-referencing tree) loses every descendant of a missing parent too.
    made = set(creates)
    while True:
        created[layout.name] = made
        dropped = False
        for key in sorted(made):
            why = next(
                (
                    w
                    for c in layout.references
                    if (w := _resolve(creates[key].values.get(c), prod, created))
                ),
                None,
            )
            if why:
                made.discard(key)
                skips.append(Skip(key, "parent-missing", why))
                dropped = True
        if not dropped:
            break
    # New rows of a self-referencing table that point at each other in a cycle can never be
    # inserted parents first: skip them here rather than approve a plan apply cannot write.
    self_refs = [c for c, target in layout.references.items() if target == layout.name]
    if self_refs:
        pending = set(made)
        while True:
            ready = {
                k
                for k in pending
                if not any(
                    isinstance(r := creates[k].values.get(c), Ref)
                    and r.key in pending
                    and r.key != k
                    for c in self_refs
                )
            }
            if not ready:
                break
            pending -= ready
        for key in sorted(pending):
            made.discard(key)
            skips.append(
                Skip(
                    key,
                    "parent-missing",
                    "its new parent rows point back at it (a cycle); break the cycle in dev",
                )
            )
    # An update may point at a parent only once it is known which parents will exist.
    writable = []
    for update in updates:
        blocked = next(
            (
                why
                for c, (_, new) in update.changes.items()
                if c in layout.references and (why := _resolve(new, prod, created))
            ),
            None,
        )
        if blocked:
            skips.append(Skip(update.key, "parent-missing", blocked, update.changes))
        else:
            writable.append(update)
    # Prod rows no dev row matches: all of them but the unique twins found above and the
    # rows of shared keys that dev has (counted from the stand-ins, without another set).
    matched = len(keys) - twins.count(absent)
    matched += sum(len(rows) for k, rows in p.dupes.items() if k in d.by_key)
    prod_only = len(p.rows) - matched
    plan = TablePlan(
        layout.name,
        tuple(creates[k] for k in sorted(made)),
        tuple(writable),
        tuple(sorted(skips, key=lambda s: s.key)),
        unchanged,
        prod_only,
    )
    return plan, made


#: Stand-ins in the fast comparison: the values of a missing prod twin, and what a pointer
#: at a row without a key (or at no row) compares as. Each equals only itself.
_ABSENT = object()
_DANGLING = object()


def _decimal_or_null(value: str | None) -> decimal.Decimal | None:
    return None if value is None else decimal.Decimal(value)


def _json_or_null(value: str | None) -> Any:
    """json/jsonb text as psycopg would have loaded it (numbers as int or float)."""
    return None if value is None else json.loads(value)


def _differ(a: Any, b: Any) -> bool:
    return not _same(a, b)


def _same(a: Any, b: Any) -> bool:
    """Equal by value and type: 10.0 == 10.00 for numeric, NULL != '', True != 1, NaN = NaN,
    and so inside json/jsonb and arrays too (key order is irrelevant, true is not 1, 1.0 is
    1)."""
    if a is None or b is None:
        return a is b
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(v, b[k]) for k, v in a.items())
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(map(_same, a, b))
    if _is_nan(a) and _is_nan(b):  # PostgreSQL takes NaN = NaN (float and numeric), so do we
        return type(a) is type(b)
    return bool(a == b)


def _is_nan(value: Any) -> bool:
    return (isinstance(value, float) and math.isnan(value)) or (
        isinstance(value, decimal.Decimal) and value.is_nan()
    )


def protect(plan: Plan, referenced: Mapping[str, Mapping[Any, Sequence[str]]]) -> Plan:
    """Turn each update of a row that business data points at into a skip naming the tables."""
    tables = []
    for table in plan.tables:
        used = referenced.get(table.name, {})
        keep, skips = [], list(table.skips)
        for update in table.updates:
            by = used.get(update.pk)
            if by:
                skips.append(
                    Skip(
                        update.key,
                        "protected",
                        f"in use by {', '.join(sorted(by))}",
                        update.changes,
                    )
                )
            else:
                keep.append(update)
        tables.append(
            replace(table, updates=tuple(keep), skips=tuple(sorted(skips, key=lambda s: s.key)))
        )
    return Plan(tuple(tables))


#: Types that are their own JSON form (exact types: a subclass takes the checks below).
_JSON_AS_IS = frozenset({str, int, bool, type(None)})


def to_json(value: Any) -> Any:
    """A value in the canonical JSON form used by the digest and the plan file."""
    if type(value) in _JSON_AS_IS:
        return value
    convert = _TO_JSON.get(type(value))
    return convert(value) if convert is not None else _to_json(value)


def _to_json(value: Any) -> Any:
    if isinstance(value, bool | int | str):
        return value
    if isinstance(value, Ref):
        return {"ref": value.table, "key": [to_json(k) for k in value.key]}
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, float):
        # A number stays a JSON number (inside jsonb too, where a string would change its
        # type); NaN and the infinities, which JSON lacks, travel as float8's input text.
        return value if math.isfinite(value) else repr(value).replace("inf", "Infinity")
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_json(v) for v in value]
    if isinstance(value, bytes | bytearray | memoryview):
        return "\\x" + bytes(value).hex()
    if isinstance(value, dt.timedelta):
        return f"{value.total_seconds()} seconds"
    return str(value)


#: The common exact types straight to their conversion (the same as `_to_json`'s): a plan
#: converts tens of thousands of keys, pointers, prices and timestamps.
_TO_JSON: dict[type, Any] = {
    tuple: lambda v: [to_json(k) for k in v],
    Ref: lambda v: {"ref": v.table, "key": [to_json(k) for k in v.key]},
    decimal.Decimal: str,
    dt.datetime: dt.datetime.isoformat,
    dt.date: dt.date.isoformat,
    uuid.UUID: str,
}


def canonical(
    plan: Plan,
    config: dict[str, Any],
    prod_identity: Mapping[str, Any],
    triggers: Sequence[str] = (),
) -> dict[str, Any]:
    """What the digest covers: config, prod identity, the user triggers the writes fire,
    every write with old and new values. A trigger added after the review changes it."""
    # Most values (text, integers, booleans, NULL) are their own JSON form: the type test
    # inline spares a call per value on a large plan.
    as_is = _JSON_AS_IS
    operations: list[dict[str, Any]] = []
    for table in plan.tables:
        name = table.name
        for c in table.creates:
            operations.append(
                {
                    "table": name,
                    "op": "create",
                    "key": to_json(c.key),
                    "values": {
                        k: v if type(v) in as_is else to_json(v) for k, v in c.values.items()
                    },
                }
            )
        for u in table.updates:
            operations.append(
                {
                    "table": name,
                    "op": "update",
                    "key": to_json(u.key),
                    "id": u.pk if type(u.pk) in as_is else to_json(u.pk),
                    "changes": {
                        k: {"old": to_json(o), "new": to_json(n)} for k, (o, n) in u.changes.items()
                    },
                }
            )
    return {
        "config": config,
        "prod": dict(prod_identity),
        "triggers": list(triggers),
        "operations": operations,
    }


#: The digest's text: sorted keys, no spaces, UTF-8 as is, no NaN.
_CANONICAL_JSON = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
)


def operation_texts(canonical_form: Mapping[str, Any]) -> list[str]:
    """Each operation as the digest's text; the plan file writes these same strings."""
    return [_CANONICAL_JSON.encode(op) for op in canonical_form["operations"]]


def digest(canonical_form: Mapping[str, Any], operations: Sequence[str] | None = None) -> str:
    """SHA-256 of `json.dumps(canonical_form, sort_keys=True, separators=(",", ":"))`.

    `operations` are `operation_texts(canonical_form)` when the caller has them already: the
    text hashed is the same, built from the operations' texts instead of encoding them again.
    """
    ops = operation_texts(canonical_form) if operations is None else operations
    encode = _CANONICAL_JSON.encode
    members = [
        encode(k) + ":" + ("[" + ",".join(ops) + "]" if k == "operations" else encode(v))
        for k, v in sorted(canonical_form.items())
    ]
    text = "{" + ",".join(members) + "}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
