"""The diff: a pure function from the two sides' rows to the plan.

`diff` indexes each table's rows by match key on both sides (parents first: a scoped key and
a pointer need their parent's keys), refuses dev rows it cannot match unambiguously, then
plans each table in named steps:

1. find the dev rows that may differ from their prod counterpart (`candidates.prepare`; after
   a first read of hashes the engine reads those rows in full before `finish`);
2. sort those into creates, updates (the columns that differ, old and new) and skips (an id
   already taken in prod, a key several prod rows share);
3. drop creates whose parent is neither in prod nor created, until none is left;
4. skip new rows that point at each other in a cycle (`ordering`);
5. skip updates that would point at a parent that will not exist;
6. count the prod rows no dev row matches.

`protect` then turns the updates of rows business data points at into skips. No database.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from operator import attrgetter, itemgetter
from typing import Any, cast

from refsync.candidates import Changed, Full, Prepared, prepare, rows_in_full
from refsync.compare import Compared, changes, compared_columns, converter
from refsync.keys import Side, show_key
from refsync.layouts import Layout
from refsync.model import Create, Key, Plan, Ref, Row, Skip, TablePlan, Update
from refsync.ordering import creation_waves, self_references


def diff(
    layouts: Sequence[Layout],
    dev_rows: Mapping[str, Sequence[Row]],
    prod_rows: Mapping[str, Sequence[Row]],
    dev_pk: Mapping[str, str] | None = None,
) -> Plan:
    """Compare dev and prod row sets table by table (parents first). Pure."""
    return finish(prepare(layouts, dev_rows, prod_rows, dev_pk))


def finish(prepared: Prepared, full_dev: Full | None = None, full_prod: Full | None = None) -> Plan:
    """Steps 2 to 6 of every table, parents first; the rows that may differ are taken from
    `full_dev` and `full_prod` where a first read left values out."""
    tables: list[TablePlan] = []
    created: dict[str, set[Key]] = {}
    for layout in prepared.layouts:
        name = layout.name
        full = ((full_dev or {}).get(name), (full_prod or {}).get(name))
        plan, created[name] = _diff_table(layout, prepared, created, full)
        tables.append(plan)
    return Plan(tuple(tables))


@dataclass
class _Sorted:
    """Step 2's result: the changed dev rows sorted into creates, updates and skips."""

    creates: dict[Key, Create] = field(default_factory=dict)
    updates: list[Update] = field(default_factory=list)
    skips: list[Skip] = field(default_factory=list)


def _diff_table(
    layout: Layout,
    prepared: Prepared,
    created: dict[str, set[Key]],
    full: tuple[Mapping[Any, Row] | None, Mapping[Any, Row] | None],
) -> tuple[TablePlan, set[Key]]:
    """Steps 2 to 6 of one table: its plan, and the keys it creates (its children's parents
    may be among them)."""
    dev_side, prod_side = prepared.dev[layout.name], prepared.prod[layout.name]
    changed = prepared.changed[layout.name]
    dev_pk = prepared.dev_pk[layout.name]
    found = _sort_changed(
        layout, changed, prepared.dev, prepared.prod, dev_pk, full=full, deferred=prepared.deferred
    )
    unchanged = len(dev_side.by_key) - len(found.creates) - len(found.updates) - len(found.skips)
    unchanged += prepared.unchanged.get(layout.name, 0)
    found.updates.sort(key=attrgetter("key"))

    to_create = _drop_missing_parents(layout, found, prepared.prod, created)
    _skip_cycles(layout, found, to_create)
    writable = _writable_updates(layout, found, prepared.prod, created)
    keys = cast(list[Key], dev_side.keys)
    plan = TablePlan(
        layout.name,
        tuple(found.creates[k] for k in sorted(to_create)),
        tuple(writable),
        tuple(sorted(found.skips, key=lambda s: s.key)),
        unchanged,
        _prod_only(keys, changed.counterparts, changed.absent, dev_side, prod_side),
    )
    return plan, to_create


def _sort_changed(
    layout: Layout,
    changed: Changed,
    dev: Mapping[str, Side],
    prod: Mapping[str, Side],
    dev_pk: str,
    *,
    full: tuple[Mapping[Any, Row] | None, Mapping[Any, Row] | None],
    deferred: bool,
) -> _Sorted:
    """Step 2: each changed dev row becomes a create, an update or a skip, from its values
    in full (`full`: by primary key, where a first read left them out; `deferred`: dev's
    first read left out the columns only an insert copies, so every row to create is there)."""
    prod_side = prod[layout.name]
    found = _Sorted()
    new: list[tuple[Key, Row]] = []
    pairs: list[tuple[Key, Row, Row]] = []
    # Step 1 found each row's unique counterpart; `absent` is none, or a key prod rows share.
    for (key, read), prod_row in zip(changed.rows, changed.prod_rows, strict=True):
        if prod_row is not changed.absent:
            pairs.append((key, read, prod_row))
        elif key in prod_side.dupes:
            shared = len(prod_side.dupes[key])
            why = f"ambiguous in prod ({shared} rows share this key); resolve it in prod"
            found.skips.append(Skip(key, "ambiguous", why))
        else:
            new.append((key, read))
    pk_at = layout.dev_read.index(dev_pk)
    whole = deferred and bool(layout.deferred)
    rows = rows_in_full(layout, "dev", full[0], pk_at, [r for _, r in new], whole=whole)
    _creates(layout, [k for k, _ in new], rows, pk_at=pk_at, dev=dev, prod=prod_side, found=found)
    compared = compared_columns(layout, dev, prod)
    prod_pk_at = layout.prod_read.index(layout.pk)
    rows = rows_in_full(layout, "dev", full[0], pk_at, [r for _, r, _ in pairs])
    prod_rows = rows_in_full(layout, "prod", full[1], prod_pk_at, [p for *_, p in pairs])
    for (key, *_), row, prod_row in zip(pairs, rows, prod_rows, strict=True):
        if update := _update(compared, key, row, prod_row, prod_pk_at):
            found.updates.append(update)
        # else: the same by `same` after all, counted as unchanged
    return found


def _creates(
    layout: Layout,
    keys: list[Key],
    rows: list[Row],
    *,
    pk_at: int,
    dev: Mapping[str, Side],
    prod: Side,
    found: _Sorted,
) -> None:
    """New rows; their dev ids too when prod does not generate ids, unless prod uses them."""
    inserted = [(c, layout.dev_read.index(c), converter(layout, dev, c)) for c in layout.insert]
    # The ids prod already uses, among these rows' (one pass over prod's ids, in C).
    taken: set[Any] = set() if layout.pk_from_prod else {r[pk_at] for r in rows}
    if taken:
        taken = taken.intersection(map(itemgetter(prod.pk_index), prod.rows))
    for key, row in zip(keys, rows, strict=True):
        values = {c: convert(row[i]) if convert else row[i] for c, i, convert in inserted}
        if layout.pk_from_prod:
            found.creates[key] = Create(key, values)
        elif (dev_id := row[pk_at]) in taken:
            owner = prod.key_by_pk[dev_id]
            shown = show_key(owner) if owner else "a row without key"
            why = f"id {dev_id!r} is already used in prod by `{shown}`"
            found.skips.append(Skip(key, "id-taken", why))
        else:
            found.creates[key] = Create(key, {layout.pk: dev_id, **values})


def _update(
    compared: Sequence[Compared], key: Key, row: Row, prod_row: Row, prod_pk_at: int
) -> Update | None:
    found = changes(compared, prod_row, row)
    return Update(key, prod_row[prod_pk_at], found, prod_row) if found else None


def _resolve(
    ref: Ref | None, prod: Mapping[str, Side], created: Mapping[str, set[Key]]
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


def _drop_missing_parents(
    layout: Layout, found: _Sorted, prod: Mapping[str, Side], created: dict[str, set[Key]]
) -> set[Key]:
    """Step 3: the creates left once every create whose parent is neither in prod nor
    created is dropped, until none is left: a chain (a self-referencing tree) loses every
    descendant of a missing parent too. `created[layout.name]` is that same set throughout,
    so a row sees its parents' fate as soon as it is known."""
    to_create = set(found.creates)
    created[layout.name] = to_create
    dropped = True
    while dropped:
        dropped = False
        for key in sorted(to_create):
            values = found.creates[key].values
            why = next(
                (w for c in layout.references if (w := _resolve(values.get(c), prod, created))),
                None,
            )
            if why:
                to_create.discard(key)
                found.skips.append(Skip(key, "parent-missing", why))
                dropped = True
    return to_create


def _skip_cycles(layout: Layout, found: _Sorted, to_create: set[Key]) -> None:
    """Step 4: new rows of a self-referencing table that point at each other in a cycle can
    never be inserted parents first: skip them here rather than approve a plan apply cannot
    write."""
    self_refs = self_references(layout)
    if not self_refs:
        return
    _, cyclic = creation_waves([found.creates[k] for k in to_create], self_refs)
    for key in cyclic:
        to_create.discard(key)
        found.skips.append(
            Skip(
                key,
                "parent-missing",
                "its new parent rows point back at it (a cycle); break the cycle in dev",
            )
        )


def _writable_updates(
    layout: Layout, found: _Sorted, prod: Mapping[str, Side], created: Mapping[str, set[Key]]
) -> list[Update]:
    """Step 5: an update may point at a parent only once it is known which parents will
    exist; the others become skips (with the changes they would have made)."""
    writable = []
    for update in found.updates:
        blocked = next(
            (
                why
                for c, (_, new) in update.changes.items()
                if c in layout.references and (why := _resolve(new, prod, created))
            ),
            None,
        )
        if blocked:
            found.skips.append(Skip(update.key, "parent-missing", blocked, update.changes))
        else:
            writable.append(update)
    return writable


def _prod_only(keys: list[Key], counterparts: list[Row], absent: Row, dev: Side, prod: Side) -> int:
    """Step 6: prod rows no dev row matches: all of them but the unique counterparts found and the
    rows of shared keys that dev has (counted from the stand-ins, without another set)."""
    matched = len(keys) - counterparts.count(absent)
    matched += sum(len(rows) for k, rows in prod.dupes.items() if k in dev.by_key)
    return len(prod.rows) - matched


def protect(plan: Plan, referenced: Mapping[str, Mapping[Any, Sequence[str]]]) -> Plan:
    """Turn each update of a row that business data points at into a skip naming the tables."""
    tables = []
    for table in plan.tables:
        used = referenced.get(table.name, {})
        keep, skips = [], list(table.skips)
        for update in table.updates:
            by = used.get(update.pk)
            if by:
                why = f"in use by {', '.join(sorted(by))}"
                skips.append(Skip(update.key, "protected", why, update.changes))
            else:
                keep.append(update)
        tables.append(
            replace(table, updates=tuple(keep), skips=tuple(sorted(skips, key=lambda s: s.key)))
        )
    return Plan(tuple(tables))
