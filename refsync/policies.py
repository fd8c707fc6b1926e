"""What each side's statement guard allows in this run (`guard.Policy`), from the config and,
once it is read, prod's catalog. The guard enforces it; this module only decides it."""

from __future__ import annotations

from refsync import guard
from refsync.catalog import Catalog
from refsync.config import Config


def base_policy(config: Config) -> guard.Policy:
    """Before the catalog is read: the reference tables and the fingerprint table, whole
    rows, and nothing else; no writes."""
    readable = frozenset({*(t.relation for t in config.tables), config.fingerprint.relation})
    return guard.Policy(readable=readable, column_readable={})


def full_policy(config: Config, catalog: Catalog, *, writable: bool) -> guard.Policy:
    """Once prod's catalog is read: also the business columns that point at reference rows
    (and only those), the key types and operators the protection query compares with, and,
    in an apply, writes to the reference tables (never to their primary keys)."""
    columns: dict[tuple[str, str], set[str]] = {}
    for referrers in catalog.referrers.values():
        for r in referrers:
            columns.setdefault(r.relation, set()).add(r.column)
    refs = frozenset(t.relation for t in config.tables)
    return guard.Policy(
        readable=base_policy(config).readable,
        column_readable={k: frozenset(v) for k, v in columns.items()},
        writable=refs if writable else frozenset(),
        immutable={r: frozenset(catalog.tables[r].primary_key) for r in refs},
        with_children=frozenset(
            r.relation for found in catalog.referrers.values() for r in found if r.with_children
        ),
        key_types=frozenset((k.type_schema, k.type_name) for k in catalog.key_equality.values()),
        key_operators=frozenset(
            (k.operator_schema, k.operator) for k in catalog.key_equality.values()
        ),
    )
