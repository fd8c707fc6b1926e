"""How each table is read, compared and written: a Layout, agreed between dev's and prod's
catalogs and the config, and the checks that refuse a disagreement (schema drift, a missing
column, a foreign key the config does not declare, a row prod could not accept).

Pure: it reads the two Catalogs, never a database.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from refsync.catalog import TOUCH_NAMES, Catalog, Column, Shape
from refsync.config import Config, TableConfig
from refsync.errors import SafetyError, UsageError
from refsync.hints import suggest
from refsync.model import Relation, relation_label

#: How a compared column read as text becomes a value again where dev and prod differ.
TextKind = Literal["numeric", "json"]


@dataclass(frozen=True)
class Layout:
    """How one table is read, compared and written, agreed between dev and prod."""

    config: TableConfig
    pk: str
    pk_from_prod: bool  # prod generates the primary key (serial, identity, default)
    match: tuple[str, ...]
    compare: tuple[str, ...]
    #: column -> name of the reference table it points at (remapped by key)
    references: Mapping[str, str]
    #: columns copied on insert (dev values), besides the primary key
    insert: tuple[str, ...]
    #: updatedAt-style columns set to now() on insert and update
    touch: tuple[str, ...]
    #: what each side reads for every row (dev: also what an insert copies)
    dev_read: tuple[str, ...]
    prod_read: tuple[str, ...]
    #: compared columns read as their text, and how the plan parses the ones that differ:
    #: numeric (exact, and far cheaper than a Decimal per row; 10.0 and 10.00 are equal) and
    #: json/jsonb (equal text is equal data; unequal text is compared as data, by type)
    as_text: Mapping[str, TextKind] = field(default_factory=dict)
    #: compared columns that hold JSON inside arrays (json[], jsonb[]): Python's == would take
    #: true for 1 there, so every row compares them value by value and type by type
    strict: frozenset[str] = frozenset()
    #: compared text and JSON columns whose long values (over `snapshot.LONG_BYTES`) a first
    #: read sends as their hash instead: a wide unchanged row costs a hash, and only
    #: the rows that may differ are read again in full (`snapshot.read_full`)
    hashed: tuple[str, ...] = ()
    #: dev's columns that only an insert copies (not the key, not compared) and whose values
    #: can be long (`_WIDE`): a first read sends them as NULL, and the second reads them for
    #: the rows to create alone, so the other rows cost nothing for them, however wide (none
    #: when a second read could not select dev rows by their primary key exactly)
    deferred: tuple[str, ...] = ()
    #: the text columns among `hashed` and `deferred`: their long values, read in full by a
    #: second read, are kept on disk (`spill`)
    spillable: frozenset[str] = frozenset()

    @property
    def name(self) -> str:
        return self.config.name

    @property
    def relation(self) -> Relation:
        return self.config.relation


def build_layouts(config: Config, dev: Catalog, prod: Catalog) -> list[Layout]:
    """Check dev and prod agree on every column refsync reads or writes (schema drift refuses)."""
    names = {t.relation: t.name for t in config.tables}
    return [
        _layout(index, table, dev.tables[table.relation], prod.tables[table.relation], names)
        for index, table in enumerate(config.tables)
    ]


def _layout(
    index: int, table: TableConfig, dev: Shape, prod: Shape, names: Mapping[Relation, str]
) -> Layout:
    """One table's layout, refused at its first disagreement, checked in this order."""
    _check_columns_exist(index, table, dev, prod)
    shared = [c for c in dev.columns if c in prod.columns and c not in table.exclude]
    _check_types_agree(table, dev, prod, shared)
    references = _references(index, table, prod, names)
    pk = prod.primary_key[0]
    _check_key_columns(index, table, pk, references)
    touch = _touched(table, dev, prod)
    insert = tuple(
        c
        for c in shared
        if c != pk
        and c not in touch
        and not prod.columns[c].generated
        and prod.columns[c].identity != "a"
    )
    _check_insertable(table, prod, (*insert, *touch, pk))
    match = table.match.columns
    compare = tuple(table.compare)
    plain = [c for c in compare if c not in references and c not in match]
    as_text = {
        c: kind for c in plain if (kind := _text_kind(prod.columns[c].base_type)) is not None
    }
    hashed = _hashed(plain, dev.columns[dev.primary_key[0]], prod)
    deferred = _deferred(dev, (dev.primary_key[0], *match, *compare), insert)
    return Layout(
        config=table,
        pk=pk,
        pk_from_prod=prod.columns[pk].db_generated,
        match=match,
        compare=compare,
        references=references,
        insert=insert,
        touch=touch,
        dev_read=tuple(dict.fromkeys((dev.primary_key[0], *match, *compare, *insert))),
        prod_read=tuple(dict.fromkeys((pk, *match, *compare))),
        as_text=as_text,
        strict=frozenset(c for c in plain if prod.columns[c].base_type in ("json[]", "jsonb[]")),
        hashed=hashed,
        deferred=deferred,
        spillable=frozenset(
            c
            for c in (*hashed, *deferred)
            if c not in references  # a pointer's id is looked up among ids in memory
            and without_typmod(dev.columns[c].base_type) in ("text", "character varying")
        ),
    )


def _check_columns_exist(index: int, table: TableConfig, dev: Shape, prod: Shape) -> None:
    """Every column the config names exists on both sides: missing on both is a config
    mistake, missing on one is schema drift."""
    for column in {*table.compare, *table.match.columns, *table.references}:
        missing_on = [
            side for shape, side in ((dev, "dev"), (prod, "prod")) if column not in shape.columns
        ]
        if len(missing_on) == 2:
            hint = suggest(column, list(prod.columns))
            raise UsageError(
                f"config: table `{table.label}` has no column `{column}` on dev or prod"
                + (f"; did you mean {hint}?" if hint else ""),
                fix=f"fix `tables[{index}]` compare/match/references (column names are "
                "case-sensitive, as PostgreSQL stores them)",
            )
        for side in missing_on:
            raise SafetyError(
                f"schema drift: table `{table.label}` has no column `{column}` on {side}",
                fix="run the same migrations on both databases, or fix `compare`/`match`",
            )


def _check_types_agree(table: TableConfig, dev: Shape, prod: Shape, shared: Sequence[str]) -> None:
    """The columns both sides share have one type, one domain base and one set of enum labels."""
    for column in shared:
        on_dev, on_prod = dev.columns[column], prod.columns[column]
        if (on_dev.type, on_dev.base_type, on_dev.enum_labels) == (
            on_prod.type,
            on_prod.base_type,
            on_prod.enum_labels,
        ):
            continue
        if on_dev.type != on_prod.type:
            detail = f"type {on_dev.type} on dev vs {on_prod.type} on prod"
        elif on_dev.base_type != on_prod.base_type:
            detail = (
                f"domain {on_dev.type} is over {on_dev.base_type} on dev "
                f"vs {on_prod.base_type} on prod"
            )
        else:
            detail = f"enum labels {list(on_dev.enum_labels)} vs {list(on_prod.enum_labels)}"
        raise SafetyError(
            f"schema drift: table `{table.label}` column `{column}`: {detail}",
            fix="run the same migrations on both databases, or add the column to `exclude`",
        )


def _references(
    index: int, table: TableConfig, prod: Shape, names: Mapping[Relation, str]
) -> dict[str, str]:
    """The config's `references`, plus the table's foreign keys to itself (a tree); refuse a
    foreign key to another listed table the config does not declare, and one to business
    data that is not excluded."""
    references = dict(table.references)
    # Keys into other listed tables first (a business table listed as reference data is
    # the graver finding), then by column name: the same schema refuses the same way
    # whatever order the catalog lists its keys in.
    keys = sorted(
        prod.foreign_keys.items(),
        key=lambda item: (item[1] == table.relation or item[1] not in names, item[0]),
    )
    for column, target in keys:
        if column in references:
            continue
        if target == table.relation:
            if column not in table.exclude:
                references[column] = table.name  # a tree: the table points at itself
        elif target in names:
            raise UsageError(
                f"config `tables[{index}].references` ({table.label}): column `{column}` has a "
                f"foreign key to `{relation_label(target)}`, another listed table, that "
                "`references` does not declare; a table that points at reference data "
                "this way is business data (bookings, orders), and its rows protect "
                "what they point at",
                fix=f"if `{table.label}` is business data, remove it from `tables` (excluding "
                f"the column does not make it reference data); if it is reference data, "
                f"declare `references: {{{column}: {names[target]}}}`",
            )
        elif column not in table.exclude:
            raise SafetyError(
                f"table `{table.label}` column `{column}` references "
                f"`{relation_label(target)}`, which is not reference data; refsync cannot "
                "copy a pointer into business data",
                fix=f"add `exclude: [{column}]` to {table.label} in the config, or list "
                f"`{relation_label(target)}` as a reference table before it",
            )
    return references


def _check_key_columns(
    index: int, table: TableConfig, pk: str, references: Mapping[str, str]
) -> None:
    """The primary key is never compared (refsync never updates it), and the match key is
    not scoped by its own table nor a slug of a reference."""
    if pk in table.compare:
        raise UsageError(
            f"config `tables[{index}].compare` ({table.label}): `{pk}` is the primary key; "
            "refsync never updates a primary key",
            fix=f"remove `{pk}` from compare (to match rows by it: `match: {{column: {pk}}}`)",
        )
    for column in table.match.columns:
        if references.get(column) == table.name:
            raise UsageError(
                f"config `tables[{index}].match` ({table.label}): `{column}` points at this "
                "same table; a key scoped by a row of its own table cannot be resolved",
                fix="scope the key by another listed table (its rows are keyed first), or "
                "match on columns whose values are the same in dev and prod",
            )
        if column in references and table.match.slug_from is not None:
            raise UsageError(
                f"config `tables[{index}].match` ({table.label}): `slug_from: {column}` is a "
                "reference; a slug of an id means nothing",
                fix=f"use `match: {{column: [{column}, <name column>]}}` for a key scoped "
                "by the row it points at",
            )


def _check_insertable(table: TableConfig, prod: Shape, written: Sequence[str]) -> None:
    """Every NOT NULL prod column an insert leaves out has a value the database fills in."""
    for column, col in prod.columns.items():
        if col.not_null and not col.db_generated and column not in written:
            raise SafetyError(
                f"table `{table.label}` column `{column}` is NOT NULL without a default on "
                "prod, and dev has no such column (or it is excluded), so a new row could not "
                "be inserted",
                fix="give it a default on prod, or align the schemas",
            )


def _touched(table: TableConfig, dev: Shape, prod: Shape) -> tuple[str, ...]:
    """updatedAt-style columns both sides share: set to now() on insert and update."""
    return tuple(
        c
        for c in dev.columns
        if c in prod.columns
        and c not in table.exclude
        and c.lower() in TOUCH_NAMES
        and c not in table.compare
        and "timestamp" in prod.columns[c].type
    )


def _text_kind(type_name: str) -> TextKind | None:
    """Which compared columns are read as text, by their type as format_type prints it
    (`numeric`, `numeric(10,2)`, `json`, `jsonb`; not arrays of them)."""
    if type_name == "numeric" or (type_name.startswith("numeric(") and type_name[-1] == ")"):
        return "numeric"
    if type_name in ("json", "jsonb"):
        return "json"
    return None


#: Types whose text is exactly the value Python compares: equal text is the same value (for
#: json and jsonb, equal text parses to equal data). Not char(n) (its padding), not arrays.
_HASHABLE = frozenset({"text", "character varying", "json", "jsonb"})

#: Primary key types a second read can select by (`= ANY(%s)` with the keys as Python read
#: them, compared exactly: not char(n), whose padding a text comparison drops).
_SELECTABLE_KEYS = frozenset({"smallint", "integer", "bigint", "uuid", "text", "character varying"})


def _hashed(plain: Sequence[str], dev_pk: Column, prod: Shape) -> tuple[str, ...]:
    """The compared columns whose long values a first read hashes: none when a second read
    could not select rows by their primary key exactly (the table is then read in full)."""
    keys = (dev_pk, prod.columns[prod.primary_key[0]])
    if any(without_typmod(k.base_type) not in _SELECTABLE_KEYS for k in keys):
        return ()
    return tuple(c for c in plain if without_typmod(prod.columns[c].base_type) in _HASHABLE)


#: Types whose values can be long (text, JSON, bytes, XML, arrays of anything): an insert-only
#: column of one is read only for the rows to create. A fixed-width value (a timestamp, a
#: number) costs less per row than reading those rows a second time.
_WIDE = frozenset({"text", "character varying", "json", "jsonb", "bytea", "xml"})


def _deferred(dev: Shape, first: Sequence[str], insert: Sequence[str]) -> tuple[str, ...]:
    """The insert-only columns of types with long values that a first read leaves out: none
    when a second read could not select dev rows by their primary key exactly."""
    if without_typmod(dev.columns[dev.primary_key[0]].base_type) not in _SELECTABLE_KEYS:
        return ()
    return tuple(c for c in insert if c not in first and _is_wide(dev.columns[c].base_type))


def _is_wide(type_name: str) -> bool:
    bare = without_typmod(type_name)
    return bare.endswith("[]") or bare in _WIDE


def without_typmod(type_name: str) -> str:
    """`character varying(10)[]` as `character varying[]`: the type, whatever its length."""
    return re.sub(r"\([^)]*\)", "", type_name)
