"""What each side's catalog says about the configured tables, and the checks made on it
before any data is read: missing tables and columns, type drift, foreign keys to
business tables, and the business tables whose foreign keys protect reference rows.

Two statements per side read everything (columns, then constraints); only pg_catalog is read.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from psycopg import sql

from refsync.config import Config, TableConfig
from refsync.db import Database
from refsync.errors import SafetyError, UsageError

Relation = tuple[str, str]

_COLUMNS = sql.SQL(
    """SELECT n.nspname, c.relname, a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod),
       a.attnotnull, a.atthasdef, a.attidentity, a.attgenerated,
       ARRAY(SELECT e.enumlabel::text FROM pg_catalog.pg_enum e
             WHERE e.enumtypid = a.atttypid ORDER BY e.enumsortorder),
       CASE WHEN t.typtype <> 'd' THEN pg_catalog.format_type(a.atttypid, a.atttypmod)
            WHEN b1.typtype <> 'd' THEN pg_catalog.format_type(t.typbasetype, t.typtypmod)
            WHEN b2.typtype <> 'd' THEN pg_catalog.format_type(b1.typbasetype, b1.typtypmod)
            WHEN b3.typtype <> 'd' THEN pg_catalog.format_type(b2.typbasetype, b2.typtypmod)
            ELSE pg_catalog.format_type(b3.typbasetype, b3.typtypmod) END
FROM pg_catalog.pg_attribute a
JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
LEFT JOIN pg_catalog.pg_type b1 ON b1.oid = t.typbasetype
LEFT JOIN pg_catalog.pg_type b2 ON b2.oid = b1.typbasetype
LEFT JOIN pg_catalog.pg_type b3 ON b3.oid = b2.typbasetype
JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p')
  AND n.nspname = ANY(%s) AND c.relname = ANY(%s)
ORDER BY n.nspname, c.relname, a.attnum"""
)

_CONSTRAINTS = sql.SQL(
    """SELECT con.contype::text, sn.nspname, sc.relname,
       ARRAY(SELECT a.attname::text
             FROM pg_catalog.unnest(con.conkey) WITH ORDINALITY AS k(num, ord)
             JOIN pg_catalog.pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.num
             ORDER BY k.ord),
       tn.nspname, tc.relname,
       ARRAY(SELECT a.attname::text
             FROM pg_catalog.unnest(con.confkey) WITH ORDINALITY AS k(num, ord)
             JOIN pg_catalog.pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.num
             ORDER BY k.ord)
FROM pg_catalog.pg_constraint con
JOIN pg_catalog.pg_class sc ON sc.oid = con.conrelid
JOIN pg_catalog.pg_namespace sn ON sn.oid = sc.relnamespace
LEFT JOIN pg_catalog.pg_class tc ON tc.oid = con.confrelid
LEFT JOIN pg_catalog.pg_namespace tn ON tn.oid = tc.relnamespace
WHERE con.contype IN ('p', 'f')
  AND ((sn.nspname = ANY(%s) AND sc.relname = ANY(%s))
       OR (tn.nspname = ANY(%s) AND tc.relname = ANY(%s)))"""
)

_COLUMN_EXISTS = sql.SQL(
    """SELECT n.nspname, c.relname, a.attname
FROM pg_catalog.pg_attribute a
JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p')
  AND lower(n.nspname) = ANY(%s) AND lower(c.relname) = ANY(%s)
  AND lower(a.attname) = ANY(%s)"""
)


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    not_null: bool
    has_default: bool
    identity: str  # '' | 'a' (ALWAYS) | 'd' (BY DEFAULT)
    generated: str  # '' | 's' (stored)
    enum_labels: tuple[str, ...]
    #: the type under a domain, through up to four domains over domains (`type` names the
    #: domain); `type` again for a column that is not a domain
    base_type: str = ""

    @property
    def db_generated(self) -> bool:
        """The database fills it in: a default, an identity or a generated column."""
        return self.has_default or bool(self.identity) or bool(self.generated)


@dataclass(frozen=True)
class Referrer:
    """A business-table column pointing at a reference table's rows."""

    relation: Relation
    column: str
    declared: bool  # a real foreign key (False: listed in `protected_by` only)

    @property
    def label(self) -> str:
        schema, name = self.relation
        table = name if schema == "public" else f"{schema}.{name}"
        return f"{table}.{self.column}"


@dataclass(frozen=True)
class TableShape:
    relation: Relation
    columns: Mapping[str, Column]
    primary_key: tuple[str, ...]
    #: single-column foreign keys: column -> referenced relation
    foreign_keys: Mapping[str, Relation] = field(default_factory=dict)


@dataclass(frozen=True)
class Catalog:
    side: str
    tables: Mapping[Relation, TableShape]
    #: reference relation -> business columns that point at it (foreign keys + protected_by)
    referrers: Mapping[Relation, tuple[Referrer, ...]]


def _label(relation: Relation) -> str:
    schema, name = relation
    return name if schema == "public" else f"{schema}.{name}"


def read_catalog(db: Database, config: Config) -> Catalog:
    """Read the shape of every configured table on one side; refuse missing pieces."""
    relations = [t.relation for t in config.tables]
    schemas = sorted({s for s, _ in relations})
    names = sorted({n for _, n in relations})
    columns: dict[Relation, dict[str, Column]] = {}
    for schema, name, col, typ, notnull, hasdef, ident, gen, labels, base in db.execute(
        _COLUMNS, [schemas, names]
    ):
        if (schema, name) in relations:
            columns.setdefault((schema, name), {})[col] = Column(
                col, typ, notnull, hasdef, ident, gen, tuple(labels), base
            )
    for table in config.tables:
        if table.relation not in columns:
            raise SafetyError(
                f"{db.side}: table `{table.label}` (from the config) does not exist or is not "
                "visible to this role",
                fix=f"create it by a migration, or fix `tables[].name`/`schema` for {table.label}",
            )

    primary: dict[Relation, tuple[str, ...]] = {}
    foreign: list[tuple[Relation, list[str], Relation, list[str]]] = []
    for kind, sschema, sname, scols, tschema, tname, tcols in db.execute(
        _CONSTRAINTS, [schemas, names, schemas, names]
    ):
        source: Relation = (sschema, sname)
        if kind == "p" and source in columns:
            primary[source] = tuple(scols)
        elif kind == "f":
            foreign.append((source, scols, (tschema, tname), tcols))

    shapes = {}
    for table in config.tables:
        pk = primary.get(table.relation, ())
        if len(pk) != 1:
            raise SafetyError(
                f"{db.side}: table `{table.label}` needs a single-column primary key "
                f"(found {list(pk) or 'none'})",
                fix="refsync identifies rows it updates by their primary key",
            )
    protects = {t.relation: t.protect != "none" for t in config.tables}
    excluded = {t.relation: set(t.exclude) for t in config.tables}
    fks: dict[Relation, dict[str, Relation]] = {r: {} for r in relations}
    referrers: dict[Relation, list[Referrer]] = {r: [] for r in relations}
    for source, scols, target, tcols in foreign:
        by_pk = target in columns and list(tcols) == list(primary[target])
        if source in columns:
            # Composite foreign keys, and ones to another column than a reference table's
            # primary key, map every column to the target; layout refuses to remap them.
            fks[source].update(dict.fromkeys(scols, target))
            if target in columns and not by_pk and not set(scols) & excluded[source]:
                raise SafetyError(
                    f"{db.side}: table `{_label(source)}` columns {list(scols)} reference "
                    f"`{_label(target)}` {list(tcols)}, not its primary key; refsync remaps "
                    "references by primary key only",
                    fix="point the foreign key at the primary key, or exclude the columns",
                )
        elif target in columns and not by_pk and protects[target] and db.side == "prod":
            # protection is checked by primary key: a reference by another column would be
            # missed, so it is refused rather than ignored
            raise SafetyError(
                f"{db.side}: `{_label(source)}` {list(scols)} references `{_label(target)}` "
                f"{list(tcols)}, not its primary key; refsync cannot tell which rows it uses",
                fix=f"set `protect: none` on {_label(target)} only if its rows may be updated "
                "while in use; otherwise keep syncing it by hand",
            )
        elif target in columns and by_pk:
            referrers[target].append(Referrer(source, scols[0], declared=True))
    for table in config.tables:
        shapes[table.relation] = TableShape(
            table.relation, columns[table.relation], primary[table.relation], fks[table.relation]
        )
    _add_protected_by(db, config, referrers)
    return Catalog(db.side, shapes, {r: tuple(v) for r, v in referrers.items()})


def _add_protected_by(
    db: Database, config: Config, referrers: dict[Relation, list[Referrer]]
) -> None:
    """Add the `protected_by` columns; one that does not exist is an error, never ignored.

    Checked on prod only: protection is read there, and dev need not have business tables.
    """
    wanted = [
        (i, j, t, e)
        for i, t in enumerate(config.tables)
        for j, e in enumerate(t.protected_by_columns())
    ]
    if not wanted or db.side != "prod":
        return
    # Matched case-insensitively so a wrongly cased entry gets the right spelling as its fix.
    found = {
        (s, n, c)
        for s, n, c in db.execute(
            _COLUMN_EXISTS,
            [sorted({e[k].lower() for *_, e in wanted}) for k in range(3)],
        )
    }
    for i, j, table, (schema, name, column) in wanted:
        if (schema, name, column) not in found:
            wrong_case = (schema.lower(), name.lower(), column.lower())
            near = sorted(f for f in found if tuple(x.lower() for x in f) == wrong_case)
            hint = (
                f"write `{_label(near[0][:2])}.{near[0][2]}` (names are case-sensitive)"
                if near
                else "fix the entry, or remove it if that relation no longer exists"
            )
            raise UsageError(
                f"config `tables[{i}].protected_by[{j}]` ({table.name}): "
                f"`{schema}.{name}.{column}` does not exist on {db.side} "
                "(or this role cannot see it)",
                fix=f"{hint}; refsync never ignores a protection it cannot check",
            )
        known = {(r.relation, r.column) for r in referrers[table.relation]}
        if ((schema, name), column) not in known:
            referrers[table.relation].append(Referrer((schema, name), column, declared=False))


#: How a compared column read as text becomes a value again where dev and prod differ.
TextKind = Literal["numeric", "json"]


@dataclass(frozen=True)
class TableLayout:
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

    @property
    def name(self) -> str:
        return self.config.name

    @property
    def relation(self) -> Relation:
        return self.config.relation


_TOUCH_NAMES = {"updatedat", "updated_at"}


def layout(config: Config, dev: Catalog, prod: Catalog) -> list[TableLayout]:
    """Check dev and prod agree on every column refsync reads or writes (schema drift refuses)."""
    names = {t.relation: t.name for t in config.tables}
    out = []
    for i, table in enumerate(config.tables):
        d, p = dev.tables[table.relation], prod.tables[table.relation]
        where = f"table `{table.label}`"
        for column in {*table.compare, *table.match.columns, *table.references}:
            for shape, side in ((d, "dev"), (p, "prod")):
                if column not in shape.columns:
                    raise SafetyError(
                        f"schema drift: {where} has no column `{column}` on {side}",
                        fix="run the same migrations on both databases, or fix `compare`/`match`",
                    )
        shared = [c for c in d.columns if c in p.columns and c not in table.exclude]
        for column in shared:
            dc, pc = d.columns[column], p.columns[column]
            if (dc.type, dc.base_type, dc.enum_labels) != (pc.type, pc.base_type, pc.enum_labels):
                if dc.type != pc.type:
                    detail = f"type {dc.type} on dev vs {pc.type} on prod"
                elif dc.base_type != pc.base_type:
                    detail = (
                        f"domain {dc.type} is over {dc.base_type} on dev vs {pc.base_type} on prod"
                    )
                else:
                    detail = f"enum labels {list(dc.enum_labels)} vs {list(pc.enum_labels)}"
                raise SafetyError(
                    f"schema drift: {where} column `{column}`: {detail}",
                    fix="run the same migrations on both databases, or add the column to `exclude`",
                )
        references = dict(table.references)
        for column, target in p.foreign_keys.items():
            if column in table.exclude or column in references:
                continue
            if target in names:
                references[column] = names[target]
            else:
                raise SafetyError(
                    f"{where} column `{column}` references `{_label(target)}`, which is not "
                    "reference data; refsync cannot copy a pointer into business data",
                    fix=f"add `exclude: [{column}]` to {table.label} in the config, or list "
                    f"`{_label(target)}` as a reference table before it",
                )
        pk = p.primary_key[0]
        pk_from_prod = p.columns[pk].db_generated
        if pk in table.compare:
            raise UsageError(
                f"config `tables[{i}].compare` ({table.label}): `{pk}` is the primary key; "
                "refsync never updates a primary key",
                fix=f"remove `{pk}` from compare (to match rows by it: `match: {{column: {pk}}}`)",
            )
        for column in table.match.columns:
            if column in references:
                raise UsageError(
                    f"config `tables[{i}].match` ({table.label}): `{column}` references "
                    f"`{references[column]}`, so its raw ids differ between dev and prod",
                    fix="match on columns whose values are the same in dev and prod "
                    "(a slug, code or key column)",
                )
        touch = tuple(
            c
            for c in shared
            if c.lower() in _TOUCH_NAMES
            and c not in table.compare
            and "timestamp" in p.columns[c].type
        )
        insert = tuple(
            c
            for c in shared
            if c != pk
            and c not in touch
            and not p.columns[c].generated
            and p.columns[c].identity != "a"
        )
        for column, col in p.columns.items():
            if col.not_null and not col.db_generated and column not in insert + touch + (pk,):
                raise SafetyError(
                    f"{where} column `{column}` is NOT NULL without a default on prod, and dev "
                    "has no such column (or it is excluded), so a new row could not be inserted",
                    fix="give it a default on prod, or align the schemas",
                )
        match = table.match.columns
        compare = tuple(table.compare)
        dev_read = tuple(dict.fromkeys((d.primary_key[0], *match, *compare, *insert)))
        prod_read = tuple(dict.fromkeys((pk, *match, *compare)))
        plain = [c for c in compare if c not in references and c not in match]
        as_text = {
            c: kind for c in plain if (kind := _text_kind(p.columns[c].base_type)) is not None
        }
        strict = frozenset(c for c in plain if p.columns[c].base_type in ("json[]", "jsonb[]"))
        out.append(
            TableLayout(
                table,
                pk,
                pk_from_prod,
                match,
                compare,
                references,
                insert,
                touch,
                dev_read,
                prod_read,
                as_text,
                strict,
            )
        )
    return out


def _text_kind(type_name: str) -> TextKind | None:
    """Which compared columns are read as text, by their type as format_type prints it
    (`numeric`, `numeric(10,2)`, `json`, `jsonb`; not arrays of them)."""
    if type_name == "numeric" or (type_name.startswith("numeric(") and type_name[-1] == ")"):
        return "numeric"
    if type_name in ("json", "jsonb"):
        return "json"
    return None
