"""What writing a reference table would set off beyond its own rows, read from pg_catalog
per configured table: its place in an inheritance or partition tree and its rules (refused),
the user functions a write calls (refused on prod), the user triggers it fires (listed in the
plan for review), and how its primary key compares (for the protection query).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from psycopg import sql

from refsync.config import Config
from refsync.db import Database
from refsync.errors import SafetyError
from refsync.model import Relation, relation_label

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
            f"{relation_label(self.relation)}: {self.name} "
            f"({self.timing} {' OR '.join(self.events)}) runs {self.function}()"
        )


def read_table_facts(
    db: Database, config: Config, params: list[list[str]]
) -> tuple[tuple[Trigger, ...], dict[Relation, KeyEquality]]:
    """Refuse reference tables in an inheritance or partition tree and tables with rules;
    return the user triggers an INSERT or UPDATE fires and how each primary key compares."""
    labels = {t.relation: t.label for t in config.tables}
    triggers: list[Trigger] = []
    equality: dict[Relation, KeyEquality] = {}
    for schema, name, kind, has_parent, has_children, rules, found, key in db.execute(
        _TABLE_FACTS, params
    ):
        relation = (schema, name)
        if relation not in labels:
            continue
        label = labels[relation]
        _refuse_tree(db.side, label, kind, has_parent=has_parent, has_children=has_children)
        if rules and db.side == "prod":
            raise SafetyError(
                f"{db.side}: reference table `{label}` carries rules {list(rules)}; a rule "
                "rewrites an INSERT or UPDATE into other statements, run with the table "
                "owner's rights, that refsync cannot see or limit",
                fix=f"drop the rules (DROP RULE <name> ON {label}) or keep this table out of "
                "the config; use a trigger, which refsync lists in the plan, if you need one",
            )
        triggers += _fired_on_write(relation, found or ())
        if key:
            equality[relation] = _key_equality(db.side, label, key)
    # The digest covers the triggers: their order must not depend on the catalog's.
    return tuple(sorted(triggers, key=lambda t: (t.relation, t.name))), equality


def _refuse_tree(side: str, label: str, kind: str, *, has_parent: bool, has_children: bool) -> None:
    """A reference table is one plain table: not partitioned, no partition, no inheritance."""
    if kind == "p" or has_parent or has_children:
        shape = (
            "is partitioned"
            if kind == "p"
            else "is a partition or inheritance child"
            if has_parent
            else "has inheritance children"
        )
        raise SafetyError(
            f"{side}: reference table `{label}` {shape}; refsync writes exactly the "
            "tables the config names, and foreign keys to a child or partition would not "
            "be seen as protecting its rows",
            fix="sync reference data kept in a single plain table (no INHERITS, no "
            "PARTITION BY, not a partition)",
        )


_TRIGGER_TIMING = {2: "BEFORE", 64: "INSTEAD OF"}
_TRIGGER_EVENTS = ((4, "INSERT"), (16, "UPDATE"), (8, "DELETE"), (32, "TRUNCATE"))


def _fired_on_write(relation: Relation, found: Sequence[Mapping[str, Any]]) -> list[Trigger]:
    """The triggers (as pg_trigger's tgtype encodes them) an INSERT or UPDATE fires."""
    triggers = []
    for trigger in found:
        tgtype = int(trigger["type"])
        events = tuple(word for bit, word in _TRIGGER_EVENTS if tgtype & bit)
        if not {"INSERT", "UPDATE"} & set(events):
            continue
        timing = next((w for bit, w in _TRIGGER_TIMING.items() if tgtype & bit), "AFTER")
        triggers.append(Trigger(relation, trigger["name"], timing, events, trigger["function"]))
    return triggers


def _key_equality(side: str, label: str, key: Mapping[str, str]) -> KeyEquality:
    """How the primary key compares; refused when its equality is not named `=`."""
    if key["op"] != "=":
        # Every built-in and extension key type compares with `=`; an operator class
        # whose equality is named otherwise is refused rather than spliced into SQL.
        raise SafetyError(
            f"{side}: the primary key of `{label}` compares with the operator "
            f"`{key['op']}` (its index's operator class), not `=`; refsync cannot tell "
            "which rows business data uses",
            fix="use a key type whose default equality is `=`, or keep the table out of the config",
        )
    return KeyEquality(
        key["type_schema"], key["type"], key["op_schema"], key["op"], key["category"] == "N"
    )


def refuse_called_functions(db: Database, config: Config, params: list[list[str]]) -> None:
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
