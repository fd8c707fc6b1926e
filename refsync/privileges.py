"""What the prod role may do beyond what refsync needs (SPEC 5: least privilege is the norm).

refsync needs SELECT, INSERT and UPDATE on the reference tables, SELECT on the fingerprint
table and on the referencing columns of business tables. Anything more is a risk the guard
cannot remove: a leaked secret or a compromised runner gets every privilege the role holds.
`excess_privileges` lists it, for the role itself and for every role it may act as through
membership (`SET ROLE`, or inherited privileges), reading only `pg_catalog` through the
guarded executor. It reports; it never refuses, so a team can tighten grants at its own pace.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

from psycopg import sql

from refsync.db import Database

Relation = tuple[str, str]

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


def _label(schema: str, name: str) -> str:
    return name if schema == "public" else f"{schema}.{name}"


def _some(names: Iterable[str]) -> str:
    names = list(names)
    shown = ", ".join(names[:_SHOWN])
    return shown if len(names) <= _SHOWN else f"{shown} and {len(names) - _SHOWN} more"


def excess_privileges(db: Database, references: Collection[Relation]) -> tuple[str, ...]:
    """One sentence per excess privilege of `db`'s role (empty under the least-privilege role)."""
    roles = db.execute(_ROLES)
    [user] = [name for _, name, is_user, *_ in roles if is_user]
    for _, name, _is_user, superuser, *_ in roles:
        if superuser:
            via = "" if name == user else f" through membership in `{name}`"
            # A superuser passes every privilege check, so listing them would be noise.
            return (
                f"the prod role `{user}` is a superuser{via}: it can delete, truncate or drop "
                "anything; refsync needs only SELECT/INSERT/UPDATE on the reference tables",
            )

    def who(role: str) -> str:
        return f"the prod role `{user}`" + ("" if role == user else f" (as member of `{role}`)")

    found: list[str] = []
    for _, name, _is_user, _super, *attributes in roles:
        held = [a for a, on in zip(_ATTRIBUTES, attributes, strict=True) if on and a in _REPORTED]
        if held:
            found.append(f"{who(name)} has the role attribute(s) {', '.join(held)}")

    oids = [oid for oid, *_ in roles]
    owned: dict[str, list[str]] = {}
    granted: dict[tuple[str, str], list[str]] = {}
    for role, schema, table, owner, *privileges in db.execute(_TABLES, [oids]):
        label = _label(schema, table)
        if owner:
            owned.setdefault(role, []).append(label)
        for privilege, on in zip(_TABLE_PRIVILEGES, privileges, strict=True):
            needed = privilege in _NEEDED_ON_REFERENCES and (schema, table) in references
            if on and not needed:
                granted.setdefault((role, privilege), []).append(label)
    for role, tables in owned.items():
        found.append(
            f"{who(role)} owns table(s) {_some(tables)}: an owner may ALTER, DROP and re-grant them"
        )
    for (role, privilege), tables in granted.items():
        found.append(f"{who(role)} holds {privilege} on {_some(tables)}")

    for role, kind, name, owner, create in db.execute(_SCHEMAS_AND_DATABASE, [oids, oids]):
        if owner:
            found.append(f"{who(role)} owns {kind} `{name}`")
        elif create:
            found.append(f"{who(role)} holds CREATE on {kind} `{name}`")
    return tuple(found)
