"""What each side's catalog says about the configured tables, and the checks made on it
before any data is read: missing tables and columns, type drift, foreign keys to
business tables, and the business tables whose foreign keys protect reference rows.

Two statements per side read everything (columns, then constraints); only pg_catalog is read.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from psycopg import sql

from refsync.config import Config, TableConfig
from refsync.db import Database
from refsync.errors import SafetyError, UsageError
from refsync.model import Relation

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

#: Per configured table: how it sits in an inheritance or partition tree, the rules that
#: would run other statements on a write, and the user triggers a write fires.
_TABLE_FACTS = sql.SQL(
    """SELECT n.nspname, c.relname, c.relkind::text,
       EXISTS (SELECT FROM pg_catalog.pg_inherits i WHERE i.inhrelid = c.oid),
       EXISTS (SELECT FROM pg_catalog.pg_inherits i WHERE i.inhparent = c.oid),
       ARRAY(SELECT r.rulename::text FROM pg_catalog.pg_rewrite r
             WHERE r.ev_class = c.oid AND r.ev_type <> '1' ORDER BY r.rulename),
       (SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                 'name', t.tgname::text, 'type', t.tgtype::int,
                 'function', fn.nspname::text || '.' || f.proname::text)
               ORDER BY t.tgname)
        FROM pg_catalog.pg_trigger t
        JOIN pg_catalog.pg_proc f ON f.oid = t.tgfoid
        JOIN pg_catalog.pg_namespace fn ON fn.oid = f.pronamespace
        WHERE t.tgrelid = c.oid AND NOT t.tgisinternal AND t.tgenabled IN ('O', 'A')),
       (SELECT pg_catalog.jsonb_build_object(
                 'type_schema', tn.nspname::text, 'type', t.typname::text,
                 'category', t.typcategory::text, 'op_schema', opn.nspname::text,
                 'op', o.oprname::text)
        FROM pg_catalog.pg_index i
        JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum = i.indkey[0]
        JOIN pg_catalog.pg_type dt ON dt.oid = a.atttypid
        JOIN pg_catalog.pg_type t ON t.oid = CASE WHEN dt.typtype = 'd' THEN dt.typbasetype
                                                  ELSE dt.oid END
        JOIN pg_catalog.pg_namespace tn ON tn.oid = t.typnamespace
        JOIN pg_catalog.pg_opclass oc ON oc.oid = i.indclass[0]
        JOIN pg_catalog.pg_amop ao ON ao.amopfamily = oc.opcfamily AND ao.amopstrategy = 3
             AND ao.amoplefttype = oc.opcintype AND ao.amoprighttype = oc.opcintype
             AND ao.amopmethod = oc.opcmethod
        JOIN pg_catalog.pg_operator o ON o.oid = ao.amopopr
        JOIN pg_catalog.pg_namespace opn ON opn.oid = o.oprnamespace
        WHERE i.indrelid = c.oid AND i.indisprimary)
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p') AND n.nspname = ANY(%s) AND c.relname = ANY(%s)
ORDER BY n.nspname, c.relname"""
)

#: User functions a write to a configured table would run besides its triggers: in column
#: defaults and generated columns, CHECK constraints, CHECKs of the columns' domains, and
#: index expressions. Functions of pg_catalog and of installed extensions are trusted.
_CALLED_FUNCTIONS = sql.SQL(
    """SELECT n.nspname::text, c.relname::text, x.what, fn.nspname::text, f.proname::text
FROM (
  SELECT ad.adrelid AS rel, 'the default of column ' || a.attname::text AS what, d.refobjid AS fn
  FROM pg_catalog.pg_attrdef ad
  JOIN pg_catalog.pg_attribute a ON a.attrelid = ad.adrelid AND a.attnum = ad.adnum
  JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_attrdef'::regclass
       AND d.objid = ad.oid AND d.refclassid = 'pg_catalog.pg_proc'::regclass
  UNION ALL
  SELECT con.conrelid, 'CHECK constraint ' || con.conname::text, d.refobjid
  FROM pg_catalog.pg_constraint con
  JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_constraint'::regclass
       AND d.objid = con.oid AND d.refclassid = 'pg_catalog.pg_proc'::regclass
  WHERE con.contype = 'c'
  UNION ALL
  SELECT i.indrelid, 'index ' || ic.relname::text, d.refobjid
  FROM pg_catalog.pg_index i
  JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
  JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_class'::regclass
       AND d.objid = i.indexrelid AND d.refclassid = 'pg_catalog.pg_proc'::regclass
  UNION ALL
  SELECT a.attrelid, 'the domain ' || t.typname::text || ' of column ' || a.attname::text,
         d.refobjid
  FROM pg_catalog.pg_attribute a
  JOIN pg_catalog.pg_type at ON at.oid = a.atttypid
  JOIN pg_catalog.pg_type t ON t.oid IN (at.oid, at.typbasetype, at.typelem) AND t.typtype = 'd'
  JOIN pg_catalog.pg_constraint con ON con.contypid = t.oid
  JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_constraint'::regclass
       AND d.objid = con.oid AND d.refclassid = 'pg_catalog.pg_proc'::regclass
  WHERE a.attnum > 0 AND NOT a.attisdropped
) AS x
JOIN pg_catalog.pg_proc f ON f.oid = x.fn
JOIN pg_catalog.pg_namespace fn ON fn.oid = f.pronamespace
JOIN pg_catalog.pg_class c ON c.oid = x.rel
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE fn.nspname NOT IN ('pg_catalog', 'information_schema')
  AND NOT EXISTS (SELECT FROM pg_catalog.pg_depend e
                  WHERE e.classid = 'pg_catalog.pg_proc'::regclass AND e.objid = f.oid
                    AND e.deptype = 'e')
  AND n.nspname = ANY(%s) AND c.relname = ANY(%s)
ORDER BY 1, 2, 3"""
)

#: Every user table's name, for the hint when a configured table does not exist.
_TABLE_NAMES = sql.SQL(
    """SELECT n.nspname::text, c.relname::text FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p') AND n.nspname NOT LIKE 'pg\\_%%' AND n.nspname <> 'information_schema'
ORDER BY 1, 2"""
)

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
    #: the column holds an array of ids (a `protected_by` entry such as `int[]`)
    array: bool = False
    #: the table has partitions or inheritance children, whose rows are read with it (a
    #: foreign key on a partitioned table covers every partition)
    with_children: bool = False

    @property
    def label(self) -> str:
        schema, name = self.relation
        table = name if schema == "public" else f"{schema}.{name}"
        return f"{table}.{self.column}"


@dataclass(frozen=True)
class Shape:
    relation: Relation
    columns: Mapping[str, Column]
    primary_key: tuple[str, ...]
    #: single-column foreign keys: column -> referenced relation
    foreign_keys: Mapping[str, Relation] = field(default_factory=dict)


@dataclass(frozen=True)
class KeyEquality:
    """How the server compares values with a table's primary key, as its foreign keys do:
    cast to the key's (base) type, compared by the equality of the key index's operator
    class (`bpchar` ignores trailing blanks, `citext` case)."""

    type_schema: str
    type_name: str
    operator_schema: str
    operator: str
    #: numbers compare exactly across their types in pg_catalog: no cast (which could
    #: overflow) is needed
    numeric: bool


@dataclass(frozen=True)
class Trigger:
    """A user trigger on a reference table that an INSERT or UPDATE fires."""

    relation: Relation
    name: str
    timing: str  # BEFORE | AFTER | INSTEAD OF
    events: tuple[str, ...]  # INSERT, UPDATE (and whatever else it also fires on)
    function: str

    @property
    def label(self) -> str:
        return (
            f"{_label(self.relation)}: {self.name} ({self.timing} {' OR '.join(self.events)}) "
            f"runs {self.function}()"
        )


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


def _label(relation: Relation) -> str:
    schema, name = relation
    return name if schema == "public" else f"{schema}.{name}"


def read_catalog(db: Database, config: Config) -> Catalog:
    """Read the shape of every configured table on one side; refuse missing pieces."""
    relations = [t.relation for t in config.tables]
    schemas = sorted({s for s, _ in relations})
    names = sorted({n for _, n in relations})
    columns = _read_columns(db, config, [schemas, names])
    triggers, key_equality = _read_table_facts(db, config, [schemas, names])
    if db.side == "prod":
        _refuse_called_functions(db, config, [schemas, names])
    primary, foreign = _read_constraints(db, columns, [schemas, names, schemas, names])
    for table in config.tables:
        pk = primary.get(table.relation, ())
        if len(pk) != 1:
            raise SafetyError(
                f"{db.side}: table `{table.label}` needs a single-column primary key "
                f"(found {list(pk) or 'none'})",
                fix="refsync identifies rows it updates by their primary key",
            )
    excluded = {t.relation: set(t.exclude) for t in config.tables}
    fks: dict[Relation, dict[str, Relation]] = {r: {} for r in relations}
    referrers: dict[Relation, list[Referrer]] = {r: [] for r in relations}
    _check_cascades(config, columns, foreign)
    for key in foreign:
        if key.cloned:
            # A partition's copy of its partitioned table's foreign key: the parent's key,
            # read with its partitions, covers it.
            continue
        by_pk = key.target in columns and list(key.target_columns) == list(primary[key.target])
        if key.source in columns:
            # Composite foreign keys, and ones to another column than a reference table's
            # primary key, map every column to the target; layout refuses to remap them.
            fks[key.source].update(dict.fromkeys(key.source_columns, key.target))
            if (
                key.target in columns
                and not by_pk
                and not set(key.source_columns) & excluded[key.source]
            ):
                raise SafetyError(
                    f"{db.side}: table `{_label(key.source)}` columns {list(key.source_columns)} "
                    f"reference `{_label(key.target)}` {list(key.target_columns)}, not its "
                    "primary key; refsync remaps references by primary key only",
                    fix="point the foreign key at the primary key, or exclude the columns",
                )
        elif key.target in columns and not by_pk and db.side == "prod":
            # protection is checked by primary key: a reference by another column would be
            # missed, so it is refused rather than ignored
            raise SafetyError(
                f"{db.side}: foreign key `{key.name}` of `{_label(key.source)}` "
                f"{list(key.source_columns)} references `{_label(key.target)}` "
                f"{list(key.target_columns)}, not its primary key; refsync cannot tell which "
                "rows it uses, so it would not protect them",
                fix="point the foreign key at the primary key, or keep this table out of the "
                "config and sync it by hand",
            )
        elif key.target in columns and by_pk:
            referrers[key.target].append(
                Referrer(
                    key.source,
                    key.source_columns[0],
                    declared=True,
                    with_children=key.source_has_children,
                )
            )
    shapes = {
        t.relation: Shape(t.relation, columns[t.relation], primary[t.relation], fks[t.relation])
        for t in config.tables
    }
    _add_protected_by(db, config, shapes, referrers)
    return Catalog(
        db.side, shapes, {r: tuple(v) for r, v in referrers.items()}, triggers, key_equality
    )


#: pg_constraint.confupdtype codes whose ON UPDATE action writes the referencing table.
_WRITING_ACTIONS = {"c": "CASCADE", "n": "SET NULL", "d": "SET DEFAULT"}


def _check_cascades(
    config: Config, columns: Mapping[Relation, Mapping[str, Column]], foreign: list[_ForeignKey]
) -> None:
    """Refuse to update a column that a foreign key's ON UPDATE action would carry into
    another table (SPEC rule 1: no write may reach another table by any route). Checked
    before anything else about the key, on both sides, whatever the config excludes."""
    for table in config.tables:
        # what an update may write: compared columns and updatedAt-style ones
        written = {*table.compare} | {
            c for c in columns[table.relation] if c.lower() in _TOUCH_NAMES
        }
        for key in foreign:
            hit = [c for c in key.target_columns if c in written]
            if key.target != table.relation or key.on_update not in _WRITING_ACTIONS or not hit:
                continue
            action = _WRITING_ACTIONS[key.on_update]
            raise SafetyError(
                f"foreign key `{key.name}` of `{_label(key.source)}` references "
                f"`{table.label}` {list(key.target_columns)} with ON UPDATE {action}: "
                f"updating {', '.join(f'`{c}`' for c in hit)} would write `{_label(key.source)}`",
                fix="change the foreign key to ON UPDATE NO ACTION or RESTRICT, or stop "
                f"comparing {', '.join(hit)} (remove it from `compare` of {table.label})",
            )


@dataclass(frozen=True)
class _ForeignKey:
    name: str
    source: Relation
    source_columns: tuple[str, ...]
    target: Relation
    target_columns: tuple[str, ...]
    on_update: str
    cloned: bool  # inherited from a partitioned table's foreign key
    source_has_children: bool


def _read_columns(
    db: Database, config: Config, params: list[list[str]]
) -> dict[Relation, dict[str, Column]]:
    relations = {t.relation for t in config.tables}
    columns: dict[Relation, dict[str, Column]] = {}
    for schema, name, col, typ, notnull, hasdef, ident, gen, labels, base in db.execute(
        _COLUMNS, params
    ):
        if (schema, name) in relations:
            columns.setdefault((schema, name), {})[col] = Column(
                col, typ, notnull, hasdef, ident, gen, tuple(labels), base
            )
    for i, table in enumerate(config.tables):
        if table.relation not in columns:
            existing = [(s, n) for s, n in db.execute(_TABLE_NAMES)]
            hint = suggest(table.label, [_label(r) for r in existing])
            raise SafetyError(
                f"{db.side}: table `{table.label}` (`tables[{i}].name` in the config) does not "
                "exist or is not visible to this role"
                + (f"; did you mean {hint}?" if hint else ""),
                fix=f"fix `tables[{i}].name`/`schema` (names are case-sensitive, as PostgreSQL "
                "stores them), or create the table by a migration and grant SELECT on it",
            )
    return columns


def suggest(name: str, candidates: Sequence[str]) -> str:
    """The closest existing names, same spelling in another case first: "`Category`"."""
    same = [c for c in candidates if c.lower() == name.lower() and c != name]
    close = difflib.get_close_matches(name, candidates, n=3, cutoff=0.6)
    lowered = {c.lower(): c for c in candidates}
    close += [lowered[c] for c in difflib.get_close_matches(name.lower(), list(lowered), n=3)]
    found = list(dict.fromkeys([*same, *close]))[:3]
    return " or ".join(f"`{c}`" for c in found)


def _read_constraints(
    db: Database, columns: Mapping[Relation, object], params: list[list[str]]
) -> tuple[dict[Relation, tuple[str, ...]], list[_ForeignKey]]:
    primary: dict[Relation, tuple[str, ...]] = {}
    foreign = []
    for row in db.execute(_CONSTRAINTS, params):
        kind, sschema, sname, scols, tschema, tname, tcols, name, on_update, cloned, kids = row
        source: Relation = (sschema, sname)
        if kind == "p" and source in columns:
            primary[source] = tuple(scols)
        elif kind == "f":
            foreign.append(
                _ForeignKey(
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


_TRIGGER_TIMING = {2: "BEFORE", 64: "INSTEAD OF"}
_TRIGGER_EVENTS = ((4, "INSERT"), (16, "UPDATE"), (8, "DELETE"), (32, "TRUNCATE"))


def _read_table_facts(
    db: Database, config: Config, params: list[list[str]]
) -> tuple[tuple[Trigger, ...], dict[Relation, KeyEquality]]:
    """Refuse reference tables in an inheritance or partition tree and tables with rules;
    return the user triggers an INSERT or UPDATE fires and how each primary key compares."""
    labels = {t.relation: t.label for t in config.tables}
    triggers = []
    equality: dict[Relation, KeyEquality] = {}
    for schema, name, kind, has_parent, has_children, rules, found, key in db.execute(
        _TABLE_FACTS, params
    ):
        relation = (schema, name)
        if relation not in labels:
            continue
        label = labels[relation]
        if kind == "p" or has_parent or has_children:
            shape = (
                "is partitioned"
                if kind == "p"
                else "is a partition or inheritance child"
                if has_parent
                else "has inheritance children"
            )
            raise SafetyError(
                f"{db.side}: reference table `{label}` {shape}; refsync writes exactly the "
                "tables the config names, and foreign keys to a child or partition would not "
                "be seen as protecting its rows",
                fix="sync reference data kept in a single plain table (no INHERITS, no "
                "PARTITION BY, not a partition)",
            )
        if rules and db.side == "prod":
            raise SafetyError(
                f"{db.side}: reference table `{label}` carries rules {list(rules)}; a rule "
                "rewrites an INSERT or UPDATE into other statements, run with the table "
                "owner's rights, that refsync cannot see or limit",
                fix=f"drop the rules (DROP RULE <name> ON {label}) or keep this table out of "
                "the config; use a trigger, which refsync lists in the plan, if you need one",
            )
        for trig in found or ():
            tgtype = int(trig["type"])
            events = tuple(word for bit, word in _TRIGGER_EVENTS if tgtype & bit)
            if not {"INSERT", "UPDATE"} & set(events):
                continue
            timing = next((w for bit, w in _TRIGGER_TIMING.items() if tgtype & bit), "AFTER")
            triggers.append(Trigger(relation, trig["name"], timing, events, trig["function"]))
        if key and key["op"] != "=":
            # Every built-in and extension key type compares with `=`; an operator class
            # whose equality is named otherwise is refused rather than spliced into SQL.
            raise SafetyError(
                f"{db.side}: the primary key of `{label}` compares with the operator "
                f"`{key['op']}` (its index's operator class), not `=`; refsync cannot tell "
                "which rows business data uses",
                fix="use a key type whose default equality is `=`, or keep the table out of "
                "the config",
            )
        if key:
            equality[relation] = KeyEquality(
                key["type_schema"], key["type"], key["op_schema"], key["op"], key["category"] == "N"
            )
    # The digest covers the triggers: their order must not depend on the catalog's.
    return tuple(sorted(triggers, key=lambda t: (t.relation, t.name))), equality


def _refuse_called_functions(db: Database, config: Config, params: list[list[str]]) -> None:
    """SPEC rule 1, no write reaches another table by any route: a user function run by a
    write (a default, a CHECK, a domain's CHECK, an index expression) could write anywhere
    with its owner's rights, and its volatility marking proves nothing. Triggers are listed
    in the plan instead; these are refused."""
    labels = {t.relation: t.label for t in config.tables}
    found = [
        f"`{labels[(schema, name)]}`: {what} calls {fn_schema}.{fn}()"
        for schema, name, what, fn_schema, fn in db.execute(_CALLED_FUNCTIONS, params)
        if (schema, name) in labels
    ]
    if found:
        raise SafetyError(
            f"{db.side}: writing the reference tables would run user functions refsync cannot "
            "see into (a function can write any table):\n  " + "\n  ".join(found),
            fix="use built-in functions there (now(), gen_random_uuid(), nextval() and the "
            "functions of installed extensions are trusted), move the logic to a trigger "
            "(listed in the plan for review), or keep the table out of the config",
        )


def _add_protected_by(
    db: Database,
    config: Config,
    shapes: Mapping[Relation, Shape],
    referrers: dict[Relation, list[Referrer]],
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
    facts = {
        (s, n, c): (array, children, value_type)
        for s, n, c, array, children, value_type in db.execute(
            _COLUMN_EXISTS,
            [sorted({e[k].lower() for *_, e in wanted}) for k in range(3)],
        )
    }
    found = set(facts)
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
            array, children, value_type = facts[(schema, name, column)]
            pk_column = shapes[table.relation].columns[shapes[table.relation].primary_key[0]]
            if not _comparable(value_type, pk_column.base_type):
                raise UsageError(
                    f"config `tables[{i}].protected_by[{j}]` ({table.name}): "
                    f"`{schema}.{name}.{column}` holds {value_type}"
                    + (" values in an array" if array else "")
                    + f", which cannot be compared with the primary key "
                    f"`{pk_column.name}` ({pk_column.base_type}) of {table.label}",
                    fix="name a column that holds this table's primary key values (or an "
                    "array of them); refsync never guesses how to compare other types",
                )
            referrers[table.relation].append(
                Referrer(
                    (schema, name), column, declared=False, array=array, with_children=children
                )
            )


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

    @property
    def name(self) -> str:
        return self.config.name

    @property
    def relation(self) -> Relation:
        return self.config.relation


_TOUCH_NAMES = {"updatedat", "updated_at"}


def build_layouts(config: Config, dev: Catalog, prod: Catalog) -> list[Layout]:
    """Check dev and prod agree on every column refsync reads or writes (schema drift refuses)."""
    names = {t.relation: t.name for t in config.tables}
    out = []
    for i, table in enumerate(config.tables):
        d, p = dev.tables[table.relation], prod.tables[table.relation]
        where = f"table `{table.label}`"
        for column in {*table.compare, *table.match.columns, *table.references}:
            missing_on = [
                side for shape, side in ((d, "dev"), (p, "prod")) if column not in shape.columns
            ]
            if len(missing_on) == 2:
                hint = suggest(column, list(p.columns))
                raise UsageError(
                    f"config: {where} has no column `{column}` on dev or prod"
                    + (f"; did you mean {hint}?" if hint else ""),
                    fix=f"fix `tables[{i}]` compare/match/references (column names are "
                    "case-sensitive, as PostgreSQL stores them)",
                )
            for side in missing_on:
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
        # Keys into other listed tables first (a business table listed as reference data is
        # the graver finding), then by column name: the same schema refuses the same way
        # whatever order the catalog lists its keys in.
        keys = sorted(
            p.foreign_keys.items(),
            key=lambda item: (item[1] == table.relation or item[1] not in names, item[0]),
        )
        for column, target in keys:
            if column in references:
                continue
            if target == table.relation:
                if column in table.exclude:
                    continue
                references[column] = table.name  # a tree: the table points at itself
            elif target in names:
                raise UsageError(
                    f"config `tables[{i}].references` ({table.label}): column `{column}` has a "
                    f"foreign key to `{_label(target)}`, another listed table, that "
                    "`references` does not declare; a table that points at reference data "
                    "this way is business data (bookings, orders), and its rows protect "
                    "what they point at",
                    fix=f"if `{table.label}` is business data, remove it from `tables` (excluding "
                    f"the column does not make it reference data); if it is reference data, "
                    f"declare `references: {{{column}: {names[target]}}}`",
                )
            elif column not in table.exclude:
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
            if references.get(column) == table.name:
                raise UsageError(
                    f"config `tables[{i}].match` ({table.label}): `{column}` points at this "
                    "same table; a key scoped by a row of its own table cannot be resolved",
                    fix="scope the key by another listed table (its rows are keyed first), or "
                    "match on columns whose values are the same in dev and prod",
                )
            if column in references and table.match.slug_from is not None:
                raise UsageError(
                    f"config `tables[{i}].match` ({table.label}): `slug_from: {column}` is a "
                    "reference; a slug of an id means nothing",
                    fix=f"use `match: {{column: [{column}, <name column>]}}` for a key scoped "
                    "by the row it points at",
                )
        touch = _touched(table, d, p)
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
            Layout(
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


def _touched(table: TableConfig, dev: Shape, prod: Shape) -> tuple[str, ...]:
    """updatedAt-style columns both sides share: set to now() on insert and update."""
    return tuple(
        c
        for c in dev.columns
        if c in prod.columns
        and c not in table.exclude
        and c.lower() in _TOUCH_NAMES
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
