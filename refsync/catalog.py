"""What each side's catalog says about the configured tables, and the checks made on it
before any data is read: missing tables, single-column primary keys, foreign keys whose
ON UPDATE action would write another table; with the facts of `table_facts` (what a write
sets off) and `referrers` (the business columns that protect reference rows).

Per side: columns, table facts, (on prod) called functions, constraints, then (on prod, when
the config lists any) the `protected_by` columns. Only pg_catalog is read.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field

from psycopg import sql

from refsync.config import Config
from refsync.db import Database
from refsync.errors import SafetyError
from refsync.hints import suggest
from refsync.model import Relation, relation_label
from refsync.referrers import ForeignKey, Referrer, add_protected_by, link_foreign_keys
from refsync.table_facts import KeyEquality, Trigger, read_table_facts, refuse_called_functions

_COLUMNS = sql.SQL(
    """SELECT n.nspname, c.relname, a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod),
       a.attnotnull, a.atthasdef, a.attidentity, a.attgenerated,
       ARRAY(SELECT e.enumlabel::text FROM pg_catalog.pg_enum e
             WHERE e.enumtypid = a.atttypid ORDER BY e.enumsortorder),
       CASE WHEN t.typtype <> 'd' THEN pg_catalog.format_type(a.atttypid, a.atttypmod)
            WHEN b1.typtype <> 'd' THEN pg_catalog.format_type(t.typbasetype, t.typtypmod)
            WHEN b2.typtype <> 'd' THEN pg_catalog.format_type(b1.typbasetype, b1.typtypmod)
            WHEN b3.typtype <> 'd' THEN pg_catalog.format_type(b2.typbasetype, b2.typtypmod)
            ELSE pg_catalog.format_type(b3.typbasetype, b3.typtypmod) END,
       pg_catalog.pg_relation_size(c.oid)
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
             ORDER BY k.ord),
       con.conname::text, con.confupdtype::text, con.conparentid <> 0, sc.relhassubclass
FROM pg_catalog.pg_constraint con
JOIN pg_catalog.pg_class sc ON sc.oid = con.conrelid
JOIN pg_catalog.pg_namespace sn ON sn.oid = sc.relnamespace
LEFT JOIN pg_catalog.pg_class tc ON tc.oid = con.confrelid
LEFT JOIN pg_catalog.pg_namespace tn ON tn.oid = tc.relnamespace
WHERE con.contype IN ('p', 'f')
  AND ((sn.nspname = ANY(%s) AND sc.relname = ANY(%s))
       OR (tn.nspname = ANY(%s) AND tc.relname = ANY(%s)))"""
)

#: Every user table's name, for the hint when a configured table does not exist.
_TABLE_NAMES = sql.SQL(
    """SELECT n.nspname::text, c.relname::text FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p') AND n.nspname NOT LIKE 'pg\\_%%' AND n.nspname <> 'information_schema'
ORDER BY 1, 2"""
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
class Shape:
    relation: Relation
    columns: Mapping[str, Column]
    primary_key: tuple[str, ...]
    #: single-column foreign keys: column -> referenced relation
    foreign_keys: Mapping[str, Relation] = field(default_factory=dict)
    #: the table's size on disk (its main fork, as `pg_relation_size` gives it)
    size: int = 0


@dataclass(frozen=True)
class Catalog:
    side: str
    tables: Mapping[Relation, Shape]
    #: reference relation -> business columns that point at it (foreign keys + protected_by)
    referrers: Mapping[Relation, tuple[Referrer, ...]]
    #: user triggers an INSERT or UPDATE of a reference table fires
    triggers: tuple[Trigger, ...] = ()
    #: per reference table, how its primary key is compared (prod only)
    key_equality: Mapping[Relation, KeyEquality] = field(default_factory=dict)


#: updatedAt-style column names (any case): an insert or update sets them to now().
TOUCH_NAMES = frozenset({"updatedat", "updated_at"})


def read_catalog(db: Database, config: Config) -> Catalog:
    """Read the shape of every configured table on one side; refuse missing pieces."""
    params = [
        sorted({schema for schema, _ in (t.relation for t in config.tables)}),
        sorted({name for _, name in (t.relation for t in config.tables)}),
    ]
    columns, sizes = _read_columns(db, config, params)
    triggers, key_equality = read_table_facts(db, config, params)
    if db.side == "prod":
        refuse_called_functions(db, config, params)
    primary, foreign = _read_constraints(db, columns, [*params, *params])
    _require_single_column_keys(db.side, config, primary)
    _check_cascades(config, columns, foreign)
    foreign_keys, referrers = link_foreign_keys(db.side, config, primary, foreign)
    shapes = {
        t.relation: Shape(
            t.relation,
            columns[t.relation],
            primary[t.relation],
            foreign_keys[t.relation],
            sizes[t.relation],
        )
        for t in config.tables
    }
    key_columns = {
        relation: (shape.primary_key[0], shape.columns[shape.primary_key[0]].base_type)
        for relation, shape in shapes.items()
    }
    add_protected_by(db, config, key_columns, referrers)
    return Catalog(
        db.side, shapes, {r: tuple(v) for r, v in referrers.items()}, triggers, key_equality
    )


def _read_columns(
    db: Database, config: Config, params: list[list[str]]
) -> tuple[dict[Relation, dict[str, Column]], dict[Relation, int]]:
    """Every configured table's columns, in table order, and its size; refuse a table that
    is not there."""
    relations = {t.relation for t in config.tables}
    columns: dict[Relation, dict[str, Column]] = {}
    sizes: dict[Relation, int] = {}
    for schema, name, col, typ, notnull, hasdef, ident, gen, labels, base, size in db.execute(
        _COLUMNS, params
    ):
        if (schema, name) in relations:
            columns.setdefault((schema, name), {})[col] = Column(
                col, typ, notnull, hasdef, ident, gen, tuple(labels), base
            )
            sizes[schema, name] = size
    for index, table in enumerate(config.tables):
        if table.relation not in columns:
            _refuse_missing_table(db, index, table.label)
    return columns, sizes


def _refuse_missing_table(db: Database, index: int, label: str) -> None:
    """Refuse `tables[index]`, which does not exist, naming the closest tables that do."""
    existing = [(schema, name) for schema, name in db.execute(_TABLE_NAMES)]
    hint = suggest(label, [relation_label(r) for r in existing])
    raise SafetyError(
        f"{db.side}: table `{label}` (`tables[{index}].name` in the config) does not "
        "exist or is not visible to this role" + (f"; did you mean {hint}?" if hint else ""),
        fix=f"fix `tables[{index}].name`/`schema` (names are case-sensitive, as PostgreSQL "
        "stores them), or create the table by a migration and grant SELECT on it",
    )


def _read_constraints(
    db: Database, columns: Collection[Relation], params: list[list[str]]
) -> tuple[dict[Relation, tuple[str, ...]], list[ForeignKey]]:
    """The configured tables' primary keys, and every foreign key from or to them."""
    primary: dict[Relation, tuple[str, ...]] = {}
    foreign = []
    for row in db.execute(_CONSTRAINTS, params):
        kind, sschema, sname, scols, tschema, tname, tcols, name, on_update, cloned, kids = row
        source: Relation = (sschema, sname)
        if kind == "p" and source in columns:
            primary[source] = tuple(scols)
        elif kind == "f":
            foreign.append(
                ForeignKey(
                    name,
                    source,
                    tuple(scols),
                    (tschema, tname),
                    tuple(tcols),
                    on_update,
                    cloned,
                    kids,
                )
            )
    return primary, foreign


def _require_single_column_keys(
    side: str, config: Config, primary: Mapping[Relation, tuple[str, ...]]
) -> None:
    """refsync identifies the rows it updates by a one-column primary key."""
    for table in config.tables:
        pk = primary.get(table.relation, ())
        if len(pk) != 1:
            raise SafetyError(
                f"{side}: table `{table.label}` needs a single-column primary key "
                f"(found {list(pk) or 'none'})",
                fix="refsync identifies rows it updates by their primary key",
            )


#: pg_constraint.confupdtype codes whose ON UPDATE action writes the referencing table.
_WRITING_ACTIONS = {"c": "CASCADE", "n": "SET NULL", "d": "SET DEFAULT"}


def _check_cascades(
    config: Config, columns: Mapping[Relation, Collection[str]], foreign: Sequence[ForeignKey]
) -> None:
    """Refuse to update a column that a foreign key's ON UPDATE action would carry into
    another table (SPEC rule 1: no write may reach another table by any route). Checked
    before anything else about the key, on both sides, whatever the config excludes."""
    for table in config.tables:
        # what an update may write: compared columns and updatedAt-style ones
        written = {*table.compare} | {
            c for c in columns[table.relation] if c.lower() in TOUCH_NAMES
        }
        for key in foreign:
            hit = [c for c in key.target_columns if c in written]
            if key.target != table.relation or key.on_update not in _WRITING_ACTIONS or not hit:
                continue
            action = _WRITING_ACTIONS[key.on_update]
            source = relation_label(key.source)
            raise SafetyError(
                f"foreign key `{key.name}` of `{source}` references "
                f"`{table.label}` {list(key.target_columns)} with ON UPDATE {action}: "
                f"updating {', '.join(f'`{c}`' for c in hit)} would write `{source}`",
                fix="change the foreign key to ON UPDATE NO ACTION or RESTRICT, or stop "
                f"comparing {', '.join(hit)} (remove it from `compare` of {table.label})",
            )
