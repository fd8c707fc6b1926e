"""What the roles may do beyond what refsync needs, and what they lack of what it needs.

SPEC 5: least privilege is the norm.

refsync needs SELECT, INSERT and UPDATE on the reference tables, SELECT on the fingerprint
table and on the referencing columns of business tables. Anything more is a risk the guard
cannot remove: a leaked secret or a compromised runner gets every privilege the role holds.
`excess_privileges` lists it, for the role itself and for every role it may act as through
membership (`SET ROLE`, or inherited privileges), reading only `pg_catalog` through the
guarded executor. It reports; it never refuses, so a team can tighten grants at its own pace.

`missing_privileges` is the other direction: every column privilege, schema USAGE and
sequence USAGE the run will need that the role lacks, listed all at once with the GRANT
script that fixes them (identifiers always quoted), before anything is read or written.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass

from psycopg import sql

from refsync.db import Database
from refsync.model import Relation, Row, relation_label

#: Roles the current user is, or may act as.
_ROLES = sql.SQL(
    """SELECT r.oid::int8, r.rolname::text, r.rolname = current_user,
       r.rolsuper, r.rolcreaterole, r.rolcreatedb, r.rolbypassrls, r.rolreplication
FROM pg_catalog.pg_roles r
WHERE pg_catalog.pg_has_role(current_user, r.oid, 'MEMBER')
ORDER BY r.rolname = current_user DESC, r.rolname"""
)

# "pg_" is reserved for system schemas (pg_catalog, pg_toast, temporary schemas).
_USER_SCHEMA = sql.SQL("n.nspname NOT LIKE 'pg\\_%%' AND n.nspname <> 'information_schema'")

_TABLES = sql.SQL(
    """SELECT r.rolname::text, n.nspname::text, c.relname::text, c.relowner = r.oid,
       pg_catalog.has_table_privilege(r.oid, c.oid, 'INSERT'),
       pg_catalog.has_table_privilege(r.oid, c.oid, 'UPDATE'),
       pg_catalog.has_table_privilege(r.oid, c.oid, 'DELETE'),
       pg_catalog.has_table_privilege(r.oid, c.oid, 'TRUNCATE'),
       pg_catalog.has_table_privilege(r.oid, c.oid, 'REFERENCES'),
       pg_catalog.has_table_privilege(r.oid, c.oid, 'TRIGGER')
FROM pg_catalog.pg_roles r
CROSS JOIN pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE r.oid = ANY(%s) AND c.relkind IN ('r', 'p', 'v', 'm', 'f') AND {user_schema}
ORDER BY 1, 2, 3"""
).format(user_schema=_USER_SCHEMA)

_SCHEMAS_AND_DATABASE = sql.SQL(
    """SELECT r.rolname::text, 'schema', n.nspname::text, n.nspowner = r.oid,
       pg_catalog.has_schema_privilege(r.oid, n.oid, 'CREATE')
FROM pg_catalog.pg_roles r CROSS JOIN pg_catalog.pg_namespace n
WHERE r.oid = ANY(%s) AND {user_schema}
UNION ALL
SELECT r.rolname::text, 'database', d.datname::text, d.datdba = r.oid,
       pg_catalog.has_database_privilege(r.oid, d.oid, 'CREATE')
FROM pg_catalog.pg_roles r CROSS JOIN pg_catalog.pg_database d
WHERE r.oid = ANY(%s) AND d.datname = current_database()
ORDER BY 1, 2, 3"""
).format(user_schema=_USER_SCHEMA)

#: Role attributes that reach beyond the granted tables. BYPASSRLS is not among them: it is
#: how a role is exempted from row-level security, which refsync needs where RLS is on (it
#: refuses to read a table RLS would filter), and it adds nothing beyond the table grants.
_ATTRIBUTES = ("CREATEROLE", "CREATEDB", "BYPASSRLS", "REPLICATION")
_REPORTED = frozenset({"CREATEROLE", "CREATEDB", "REPLICATION"})
_TABLE_PRIVILEGES = ("INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER")
#: Needed on the reference tables, and therefore not reported there.
_NEEDED_ON_REFERENCES = frozenset({"INSERT", "UPDATE"})
_SHOWN = 5


def _some(names: Iterable[str]) -> str:
    names = list(names)
    shown = ", ".join(names[:_SHOWN])
    return shown if len(names) <= _SHOWN else f"{shown} and {len(names) - _SHOWN} more"


def excess_privileges(db: Database, references: Collection[Relation]) -> tuple[str, ...]:
    """One sentence per excess privilege of `db`'s role (empty under the least-privilege role)."""
    roles = db.execute(_ROLES)
    [user] = [name for _, name, is_user, *_ in roles if is_user]
    if superuser := _superuser(roles, user):
        # A superuser passes every privilege check, so listing them would be noise.
        return (superuser,)
    oids = [oid for oid, *_ in roles]
    return (
        *_excess_attributes(roles, user),
        *_excess_on_tables(db.execute(_TABLES, [oids]), references, user),
        *_excess_on_schemas_and_database(db.execute(_SCHEMAS_AND_DATABASE, [oids, oids]), user),
    )


def _who(user: str, role: str) -> str:
    return f"the prod role `{user}`" + ("" if role == user else f" (as member of `{role}`)")


def _superuser(roles: list[Row], user: str) -> str | None:
    """The one sentence for a role that is a superuser, itself or through a membership."""
    for _, name, _is_user, superuser, *_ in roles:
        if superuser:
            via = "" if name == user else f" through membership in `{name}`"
            return (
                f"the prod role `{user}` is a superuser{via}: it can delete, truncate or drop "
                "anything; refsync needs only SELECT/INSERT/UPDATE on the reference tables"
            )
    return None


def _excess_attributes(roles: list[Row], user: str) -> list[str]:
    found = []
    for _, name, _is_user, _super, *attributes in roles:
        held = [a for a, on in zip(_ATTRIBUTES, attributes, strict=True) if on and a in _REPORTED]
        if held:
            found.append(f"{_who(user, name)} has the role attribute(s) {', '.join(held)}")
    return found


def _excess_on_tables(rows: list[Row], references: Collection[Relation], user: str) -> list[str]:
    """Tables a role owns, then table privileges beyond INSERT/UPDATE on the references."""
    owned: dict[str, list[str]] = {}
    granted: dict[tuple[str, str], list[str]] = {}
    for role, schema, table, owner, *privileges in rows:
        label = relation_label((schema, table))
        if owner:
            owned.setdefault(role, []).append(label)
        for privilege, on in zip(_TABLE_PRIVILEGES, privileges, strict=True):
            needed = privilege in _NEEDED_ON_REFERENCES and (schema, table) in references
            if on and not needed:
                granted.setdefault((role, privilege), []).append(label)
    found = [
        f"{_who(user, role)} owns table(s) {_some(tables)}: an owner may ALTER, DROP and "
        "re-grant them"
        for role, tables in owned.items()
    ]
    found += [
        f"{_who(user, role)} holds {privilege} on {_some(tables)}"
        for (role, privilege), tables in granted.items()
    ]
    return found


def _excess_on_schemas_and_database(rows: list[Row], user: str) -> list[str]:
    found = []
    for role, kind, name, owner, create in rows:
        if owner:
            found.append(f"{_who(user, role)} owns {kind} `{name}`")
        elif create:
            found.append(f"{_who(user, role)} holds CREATE on {kind} `{name}`")
    return found


# --- What the run needs and the role lacks -------------------------------------------------

#: Per (schema, table, column, privilege): whether the role holds it. An empty column asks
#: for USAGE on the schema instead.
_HELD = sql.SQL(
    """SELECT t.s, t.r, t.c, t.p,
       CASE WHEN t.c = '' THEN pg_catalog.has_schema_privilege(t.s, 'USAGE')
            ELSE pg_catalog.has_column_privilege(
                     pg_catalog.quote_ident(t.s) || '.' || pg_catalog.quote_ident(t.r), t.c, t.p)
       END
FROM (SELECT e.value ->> 0 AS s, e.value ->> 1 AS r, e.value ->> 2 AS c, e.value ->> 3 AS p
      FROM pg_catalog.jsonb_array_elements(%s::jsonb) AS e) AS t"""
)

#: Sequences behind column defaults (serial, `nextval(...)`) of the given tables, and whether
#: the role may use them. Identity columns need no sequence privilege and have no default.
_SEQUENCES = sql.SQL(
    """SELECT n.nspname::text, c.relname::text, a.attname::text, sn.nspname::text,
       s.relname::text, pg_catalog.has_sequence_privilege(s.oid, 'USAGE')
FROM pg_catalog.pg_attrdef ad
JOIN pg_catalog.pg_attribute a ON a.attrelid = ad.adrelid AND a.attnum = ad.adnum
JOIN pg_catalog.pg_class c ON c.oid = ad.adrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_attrdef'::regclass
     AND d.objid = ad.oid AND d.refclassid = 'pg_catalog.pg_class'::regclass
JOIN pg_catalog.pg_class s ON s.oid = d.refobjid AND s.relkind = 'S'
JOIN pg_catalog.pg_namespace sn ON sn.oid = s.relnamespace
WHERE n.nspname = ANY(%s) AND c.relname = ANY(%s)
ORDER BY 1, 2, 3"""
)


@dataclass(frozen=True)
class Missing:
    """Privileges one side's role lacks, as sentences and as the GRANT script that fixes them."""

    side: str
    role: str
    lines: tuple[str, ...]
    script: tuple[str, ...]
    #: a missing privilege that reading needs (SELECT, schema USAGE): the run cannot plan
    blocks_reading: bool = False

    def __bool__(self) -> bool:
        return bool(self.lines)


#: (schema, table, column, privilege); column "" means USAGE on the schema.
Need = tuple[str, str, str, str]


def _quote(name: str) -> str:
    """An identifier as SQL, always quoted: `Category` → `"Category"`."""
    return '"' + name.replace('"', '""') + '"'


def _qualified(schema: str, name: str) -> str:
    return f"{_quote(schema)}.{_quote(name)}"


def missing_privileges(
    db: Database,
    role: str,
    needs: Iterable[Need],
    defaults_of: Mapping[Relation, Collection[str]] = {},
) -> Missing:
    """Every privilege in `needs` the role lacks, and USAGE on every sequence behind a default
    of the columns in `defaults_of` (the ones an insert leaves to prod), all at once."""
    wanted = list(dict.fromkeys(needs))
    held = db.execute(_HELD, [json.dumps(wanted)])
    lacking = [(s, r, c, p) for s, r, c, p, ok in held if not ok]
    sequences = _lacking_sequences(db, defaults_of) if defaults_of else []
    grants = _schema_and_column_grants(lacking, role) + _sequence_grants(sequences, role)
    reads = any(p in ("SELECT", "USAGE") for *_, p in lacking)
    lines = tuple(line for line, _ in grants)
    script = tuple(dict.fromkeys(statement for _, statement in grants))
    return Missing(db.side, role, lines, script, reads)


#: A sequence behind a column default: (schema, table, column, sequence schema, sequence).
_Sequence = tuple[str, str, str, str, str]


def _lacking_sequences(
    db: Database, defaults_of: Mapping[Relation, Collection[str]]
) -> list[_Sequence]:
    """The sequences behind the defaults in `defaults_of` whose USAGE the role lacks."""
    schemas = sorted({s for s, _ in defaults_of})
    names = sorted({n for _, n in defaults_of})
    return [
        (schema, table, column, seq_schema, seq)
        for schema, table, column, seq_schema, seq, ok in db.execute(_SEQUENCES, [schemas, names])
        if not ok and column in defaults_of.get((schema, table), ())
    ]


def _schema_and_column_grants(lacking: list[Need], role: str) -> list[tuple[str, str]]:
    """(sentence, GRANT) for each lacking schema USAGE, then per table and privilege for the
    lacking columns."""
    grants: list[tuple[str, str]] = []
    grouped: dict[tuple[str, str, str], list[str]] = {}
    for schema, table, column, privilege in lacking:
        if column == "":
            grants.append(
                (
                    f"USAGE on schema {_quote(schema)}",
                    f"GRANT USAGE ON SCHEMA {_quote(schema)} TO {_quote(role)};",
                )
            )
        else:
            grouped.setdefault((schema, table, privilege), []).append(column)
    for (schema, table, privilege), columns in grouped.items():
        shown = ", ".join(_quote(c) for c in columns)
        on = _qualified(schema, table)
        grants.append(
            (
                f"{privilege} ({shown}) on {on}",
                f"GRANT {privilege} ({shown}) ON {on} TO {_quote(role)};",
            )
        )
    return grants


def _sequence_grants(sequences: list[_Sequence], role: str) -> list[tuple[str, str]]:
    """(sentence, GRANT) for each lacking sequence USAGE, once per column default."""
    return [
        (
            f"USAGE on sequence {_qualified(seq_schema, seq)} (default of "
            f"{_qualified(schema, table)}.{_quote(column)})",
            f"GRANT USAGE ON SEQUENCE {_qualified(seq_schema, seq)} TO {_quote(role)};",
        )
        for schema, table, column, seq_schema, seq in dict.fromkeys(sequences)
    ]
