"""Which business-table columns point at reference rows, the rows an apply must never
change: the declared foreign keys, read with the catalog, and the config's `protected_by`
columns, checked to exist (on prod) and to hold values comparable with the key.

A reference that cannot be checked by primary key is refused rather than ignored.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from psycopg import sql

from refsync.config import Config, TableConfig
from refsync.db import Database
from refsync.errors import SafetyError, UsageError
from refsync.model import Relation, relation_label

#: A column by name, case-insensitively; with whether it holds an array (under a domain) and
#: the type of its values (of its elements, under a domain), which protection compares.
_COLUMN_EXISTS = sql.SQL(
    """SELECT n.nspname, c.relname, a.attname, bt.typcategory = 'A', c.relhassubclass,
       pg_catalog.format_type(eb.oid, NULL)
FROM pg_catalog.pg_attribute a
JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
JOIN pg_catalog.pg_type bt ON bt.oid = CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END
JOIN pg_catalog.pg_type et ON et.oid = CASE WHEN bt.typcategory = 'A' THEN bt.typelem
                                            ELSE bt.oid END
JOIN pg_catalog.pg_type eb ON eb.oid = CASE WHEN et.typtype = 'd' THEN et.typbasetype
                                            ELSE et.oid END
JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p')
  AND lower(n.nspname) = ANY(%s) AND lower(c.relname) = ANY(%s)
  AND lower(a.attname) = ANY(%s)"""
)


@dataclass(frozen=True)
class Referrer:
    """A business-table column pointing at a reference table's rows."""

    relation: Relation
    column: str
    declared: bool  # a real foreign key (False: listed in `protected_by` only)
    #: the column holds an array of ids (a `protected_by` entry such as `int[]`)
    array: bool = False
    #: the table has partitions or inheritance children, whose rows are read with it (a
    #: foreign key on a partitioned table covers every partition)
    with_children: bool = False

    @property
    def label(self) -> str:
        return f"{relation_label(self.relation)}.{self.column}"


@dataclass(frozen=True)
class ForeignKey:
    """A foreign key from or to a configured table, as pg_constraint states it."""

    name: str
    source: Relation
    source_columns: tuple[str, ...]
    target: Relation
    target_columns: tuple[str, ...]
    on_update: str
    cloned: bool  # inherited from a partitioned table's foreign key
    source_has_children: bool


def link_foreign_keys(
    side: str,
    config: Config,
    primary: Mapping[Relation, tuple[str, ...]],
    foreign: Sequence[ForeignKey],
) -> tuple[dict[Relation, dict[str, Relation]], dict[Relation, list[Referrer]]]:
    """Per configured table (the keys of `primary`, its primary key columns): the relation
    each of its foreign-key columns points at, and the columns whose foreign keys point at
    its rows. Refuse a foreign key to a configured table by another column than its
    primary key: references are remapped, and rows protected, by primary key only."""
    excluded = {t.relation: set(t.exclude) for t in config.tables}
    foreign_keys: dict[Relation, dict[str, Relation]] = {t.relation: {} for t in config.tables}
    referrers: dict[Relation, list[Referrer]] = {t.relation: [] for t in config.tables}
    for key in foreign:
        if key.cloned:
            # A partition's copy of its partitioned table's foreign key: the parent's key,
            # read with its partitions, covers it.
            continue
        to_reference = key.target in primary
        by_pk = to_reference and list(key.target_columns) == list(primary[key.target])
        if key.source in primary:
            # Composite foreign keys, and ones to another column than a reference table's
            # primary key, map every column to the target; layout refuses to remap them.
            foreign_keys[key.source].update(dict.fromkeys(key.source_columns, key.target))
            if to_reference and not by_pk and not set(key.source_columns) & excluded[key.source]:
                raise SafetyError(
                    f"{side}: table `{relation_label(key.source)}` columns "
                    f"{list(key.source_columns)} reference `{relation_label(key.target)}` "
                    f"{list(key.target_columns)}, not its primary key; refsync remaps "
                    "references by primary key only",
                    fix="point the foreign key at the primary key, or exclude the columns",
                )
        elif to_reference and not by_pk and side == "prod":
            # protection is checked by primary key: a reference by another column would be
            # missed, so it is refused rather than ignored
            raise SafetyError(
                f"{side}: foreign key `{key.name}` of `{relation_label(key.source)}` "
                f"{list(key.source_columns)} references `{relation_label(key.target)}` "
                f"{list(key.target_columns)}, not its primary key; refsync cannot tell which "
                "rows it uses, so it would not protect them",
                fix="point the foreign key at the primary key, or keep this table out of the "
                "config and sync it by hand",
            )
        elif by_pk:
            referrers[key.target].append(
                Referrer(
                    key.source,
                    key.source_columns[0],
                    declared=True,
                    with_children=key.source_has_children,
                )
            )
    return foreign_keys, referrers


#: A `protected_by` entry: its table's index, its own index, the table, (schema, name, column).
_Entry = tuple[int, int, TableConfig, tuple[str, str, str]]


def add_protected_by(
    db: Database,
    config: Config,
    key_columns: Mapping[Relation, tuple[str, str]],
    referrers: dict[Relation, list[Referrer]],
) -> None:
    """Add the `protected_by` columns; one that does not exist is an error, never ignored.
    `key_columns`: each configured table's primary key column and its base type.

    Checked on prod only: protection is read there, and dev need not have business tables.
    """
    wanted: list[_Entry] = [
        (index, entry_index, table, entry)
        for index, table in enumerate(config.tables)
        for entry_index, entry in enumerate(table.protected_by_columns())
    ]
    if not wanted or db.side != "prod":
        return
    found = _read_protecting_columns(db, wanted)
    for index, entry_index, table, (schema, name, column) in wanted:
        where = f"config `tables[{index}].protected_by[{entry_index}]` ({table.name})"
        if (schema, name, column) not in found:
            raise _missing(db.side, where, (schema, name, column), found)
        known = {(r.relation, r.column) for r in referrers[table.relation]}
        if ((schema, name), column) in known:
            continue
        array, children, value_type = found[(schema, name, column)]
        key_name, key_type = key_columns[table.relation]
        if not _comparable(value_type, key_type):
            raise UsageError(
                f"{where}: `{schema}.{name}.{column}` holds {value_type}"
                + (" values in an array" if array else "")
                + f", which cannot be compared with the primary key "
                f"`{key_name}` ({key_type}) of {table.label}",
                fix="name a column that holds this table's primary key values (or an "
                "array of them); refsync never guesses how to compare other types",
            )
        referrers[table.relation].append(
            Referrer((schema, name), column, declared=False, array=array, with_children=children)
        )


def _read_protecting_columns(
    db: Database, wanted: Sequence[_Entry]
) -> dict[tuple[str, str, str], tuple[bool, bool, str]]:
    """(schema, table, column) -> whether it holds an array, whether the table has children,
    its values' type. Matched case-insensitively so a wrongly cased entry gets the right
    spelling as its fix."""
    return {
        (schema, name, column): (array, children, value_type)
        for schema, name, column, array, children, value_type in db.execute(
            _COLUMN_EXISTS,
            [sorted({entry[part].lower() for *_, entry in wanted}) for part in range(3)],
        )
    }


def _missing(
    side: str, where: str, entry: tuple[str, str, str], found: Mapping[tuple[str, str, str], object]
) -> UsageError:
    """The error for a `protected_by` column that does not exist, with its right spelling
    when only the case is wrong."""
    wrong_case = tuple(part.lower() for part in entry)
    near = sorted(f for f in found if tuple(part.lower() for part in f) == wrong_case)
    hint = (
        f"write `{relation_label(near[0][:2])}.{near[0][2]}` (names are case-sensitive)"
        if near
        else "fix the entry, or remove it if that relation no longer exists"
    )
    schema, name, column = entry
    return UsageError(
        f"{where}: `{schema}.{name}.{column}` does not exist on {side} "
        "(or this role cannot see it)",
        fix=f"{hint}; refsync never ignores a protection it cannot check",
    )


#: Types PostgreSQL compares with each other by an implicit cast, the way a foreign key does.
_COMPARABLE_FAMILIES = (
    frozenset({"text", "character varying", "character", "name", "citext"}),
    frozenset({"smallint", "integer", "bigint", "numeric"}),
)


def _comparable(value_type: str, key_type: str) -> bool:
    """A `protected_by` column's values can be compared with a primary key of `key_type`."""
    # Without typmods or schema: citext may live in `public` or an `extensions` schema.
    a, b = (t.split("(")[0].rsplit(".", 1)[-1] for t in (value_type, key_type))
    return a == b or any(a in family and b in family for family in _COMPARABLE_FAMILIES)
