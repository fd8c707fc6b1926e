"""Writing an approved plan: set-based INSERT and UPDATE statements in one transaction.

Values travel as one JSON array per statement, expanded server-side by
`jsonb_populate_recordset(NULL::table, ...)`, so every column gets its own type's input
function (numeric, enums, arrays, jsonb, timestamps) and the statement count depends on the
number of tables, never on the number of rows. Each statement's RETURNING rows are counted
against the plan before commit.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from psycopg import sql

from refsync.catalog import TableLayout
from refsync.db import Database
from refsync.errors import OperationalError
from refsync.plan import Create, Key, Plan, Ref, key_index, key_of, scoped_values, to_json
from refsync.snapshot import cols, only, rel

Row = tuple[Any, ...]


@dataclass(frozen=True)
class Written:
    inserted: int
    updated: int


def _populate(lay: TableLayout) -> sql.Composable:
    return sql.SQL("jsonb_populate_recordset(NULL::{}, %s::jsonb) AS v").format(rel(lay.relation))


def _payload(rows: Sequence[Mapping[str, Any]]) -> str:
    return json.dumps(
        [{k: to_json(v) for k, v in r.items()} for r in rows],
        ensure_ascii=False,
        separators=(",", ":"),
    )


def write(
    db: Database,
    layouts: Sequence[TableLayout],
    plan: Plan,
    prod_rows: Mapping[str, Sequence[Row]],
) -> Written:
    """Insert then update, table by table in config order (parents first)."""
    # key -> prod id, to remap reference columns, and prod id -> key, to key the rows an
    # insert returns: keyed exactly as the plan keyed them (a key scoped by a parent too).
    parents = {table for lay in layouts for table in lay.references.values()}
    indexed = key_index(layouts, prod_rows, parents)
    ids: dict[str, dict[Key, Any]] = {name: by_key for name, (by_key, _) in indexed.items()}
    keys_by_pk = {name: by_pk for name, (_, by_pk) in indexed.items()}

    def resolve(value: Any) -> Any:
        if isinstance(value, Ref):
            target = ids[value.table].get(value.key)
            if target is None:
                raise OperationalError(
                    f"internal: {value.table} `{'/'.join(map(str, value.key))}` has no prod id",
                    fix="this is a bug in refsync; nothing was written",
                )
            return target
        return value

    inserted = updated = 0
    for lay, table in zip(layouts, plan.tables, strict=True):
        for wave in _waves(lay, table.creates):
            rows = [{c: resolve(v) for c, v in create.values.items()} for create in wave]
            columns = list(wave[0].values)
            targets = [*columns, *lay.touch]
            values: list[sql.Composable] = [
                sql.SQL("v.{}").format(sql.Identifier(c)) for c in columns
            ]
            values += [sql.SQL("now()") for _ in lay.touch]
            query = sql.SQL(
                "INSERT INTO {t} ({targets}) SELECT {values} FROM {src} RETURNING {ret}"
            ).format(
                t=rel(lay.relation),
                targets=cols(targets),
                values=sql.SQL(", ").join(values),
                src=_populate(lay),
                ret=cols((lay.pk, *lay.match)),
            )
            returned = db.execute(query, [_payload(rows)], relation=lay.config.label)
            _verify(lay, "inserted", len(rows), len(returned))
            slug = lay.config.match.slug_from is not None
            for pk, *match in returned if lay.name in parents else ():
                key = key_of(scoped_values(lay, match, keys_by_pk), slug)
                if key is not None:
                    ids[lay.name][key] = pk
                    keys_by_pk[lay.name][pk] = key
            inserted += len(returned)
        if table.updates:
            # Each row carries its primary key and only the columns that changed; a column a
            # row does not carry keeps its prod value (`e.value ? 'col'`), so an unchanged
            # value is never rewritten, not even through a lossy round trip.
            payload = [
                {lay.pk: u.pk, **{c: resolve(new) for c, (_, new) in u.changes.items()}}
                for u in table.updates
            ]
            sets = [
                sql.SQL("{c} = CASE WHEN e.value ? {name} THEN v.{c} ELSE t.{c} END").format(
                    c=sql.Identifier(c), name=sql.Literal(c)
                )
                for c in lay.compare
            ]
            sets += [sql.SQL("{} = now()").format(sql.Identifier(c)) for c in lay.touch]
            query = sql.SQL(
                "UPDATE {only} AS t SET {sets} FROM jsonb_array_elements(%s::jsonb) AS e, "
                "LATERAL jsonb_populate_record(NULL::{t}, e.value) AS v "
                "WHERE t.{pk} = v.{pk} RETURNING t.{pk}"
            ).format(
                only=only(lay.relation),
                t=rel(lay.relation),
                sets=sql.SQL(", ").join(sets),
                pk=sql.Identifier(lay.pk),
            )
            returned = db.execute(query, [_payload(payload)], relation=lay.config.label)
            _verify(lay, "updated", len(payload), len(returned))
            updated += len(returned)
    return Written(inserted, updated)


def _waves(lay: TableLayout, creates: Sequence[Create]) -> list[list[Create]]:
    """Creates in dependency order within one table: a row after the parent it points at."""
    if not creates:
        return []
    self_refs = [c for c, t in lay.references.items() if t == lay.name]
    if not self_refs:
        return [list(creates)]
    pending = {c.key: c for c in creates}
    waves: list[list[Create]] = []
    while pending:
        ready = [
            c
            for c in pending.values()
            if not any(
                isinstance(p := c.values.get(col), Ref) and p.key in pending and p.key != c.key
                for col in self_refs
            )
        ]
        if not ready:
            raise OperationalError(
                f"{lay.name}: the rows to create point at each other in a cycle: "
                + ", ".join("/".join(map(str, k)) for k in sorted(pending)[:10]),
                fix="break the cycle in dev; nothing was written",
            )
        waves.append(ready)
        for c in ready:
            del pending[c.key]
    return waves


def _verify(lay: TableLayout, what: str, expected: int, got: int) -> None:
    if expected != got:
        raise OperationalError(
            f"{lay.name}: {what} {got} rows, the plan said {expected}; rolled back",
            fix="re-run the plan; prod changed underneath the apply",
        )
