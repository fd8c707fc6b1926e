"""Writing an approved plan: set-based INSERT and UPDATE statements in one transaction.

Values travel as one JSON array per statement, expanded server-side by
`jsonb_populate_recordset(NULL::table, ...)`, so every column gets its own type's input
function (numeric, enums, arrays, jsonb, timestamps) and the statement count depends on the
number of tables, never on the number of rows: one statement per wave of a table's creates
and one for its updates, while their values fit in `BATCH_BYTES`; past that, as many as
their values take at up to `BATCH_BYTES` a statement (jsonb refuses a value over 256 MiB,
and a statement's values are held while it runs). The JSON is sent as bytes already in the
connection's client encoding, the bytes psycopg would have made of it, so that a statement's
values are held twice while it is sent (those bytes and libpq's copy), not three or four
times. Each statement's RETURNING rows are counted against the plan before commit.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import islice
from typing import Any, cast

from psycopg import sql
from psycopg.types.json import Jsonb

from refsync.db import Database
from refsync.digest import to_json
from refsync.errors import OperationalError
from refsync.keys import key_index, key_of, scoped_values
from refsync.layouts import Layout
from refsync.model import Create, Key, Plan, Ref, Row, Update
from refsync.ordering import creation_waves, self_references
from refsync.spill import STORE, Spilled
from refsync.sqlparts import cols, only, rel


@dataclass(frozen=True)
class Written:
    inserted: int
    updated: int


def _populate(layout: Layout) -> sql.Composable:
    return sql.SQL("jsonb_populate_recordset(NULL::{}, %s::jsonb) AS v").format(
        rel(layout.relation)
    )


#: At most this many bytes of JSON values per statement (a single row larger than that
#: travels alone): a sixteenth of what jsonb takes, and held twice while it is sent.
BATCH_BYTES = 16 * 2**20
#: Rows encoded in one call: one call per 256 rows is as fast as one for a whole list, and a
#: batch boundary falls between groups.
GROUP = 256
_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def _payloads(
    rows: Iterable[Mapping[str, Any]], encoding: str = "utf-8", table: str = ""
) -> Iterator[tuple[bytearray, int]]:
    """The rows' values as JSON arrays of at most `BATCH_BYTES` bytes in `encoding` (Python's
    name of the connection's client encoding), in row order, each with how many rows it
    holds. Most writes fit in one. `table` names the table if a value cannot be encoded.

    `rows` is taken a group at a time (a generator's rows are made as they are encoded), and
    each array is built in place, a group after the other: held once while it grows and while
    it is sent, beside libpq's copy."""
    payload, held = bytearray(b"["), 0
    for part, count in _encoded(rows, encoding, table):
        # With its trailing comma the array is as long as it will be closed.
        if held and len(payload) + len(part) + 1 > BATCH_BYTES:
            payload[-1:] = b"]"
            yield payload, held
            payload, held = bytearray(b"["), 0  # the one sent is no longer held
        payload += part
        payload += b","
        held += count
    if held:
        payload[-1:] = b"]"
        yield payload, held


def _groups(rows: Iterable[Mapping[str, Any]]) -> Iterator[Sequence[Mapping[str, Any]]]:
    """Rows `GROUP` at a time; once values are spilled, also no more than a sixteenth of
    `BATCH_BYTES` bytes of them a group (1 MiB): each is read back from disk and held three
    times (values, JSON text, its bytes) while it is encoded."""
    if not STORE.used:
        each = iter(rows)
        while chunk := list(islice(each, GROUP)):
            yield chunk
        return
    group: list[Mapping[str, Any]] = []
    weight = 0
    for row in rows:
        size = sum(v.size for v in row.values() if type(v) is Spilled)
        if group and (len(group) == GROUP or weight + size > BATCH_BYTES // 16):
            yield group
            group, weight = [], 0
        group.append(row)
        weight += size
    if group:
        yield group


def _encoded(
    rows: Iterable[Mapping[str, Any]], encoding: str, table: str
) -> Iterator[tuple[memoryview, int]]:
    """Groups of rows as JSON array members (no brackets) in `encoding`, with how many rows
    each holds; a group larger than `BATCH_BYTES` is encoded again a row at a time."""
    for rows_of_group in _groups(rows):
        group = [{k: to_json(v) for k, v in r.items()} for r in rows_of_group]
        data = _bytes(_JSON.encode(group), encoding, table)
        if len(data) <= BATCH_BYTES or len(group) == 1:
            count = len(group)
            del group  # the values read back: held no longer
            yield memoryview(data)[1:-1], count
        else:
            del data
            yield from ((memoryview(_bytes(_JSON.encode(r), encoding, table)), 1) for r in group)


def _bytes(text: str, encoding: str, table: str) -> bytes:
    """`text` as the server will read it. A character the encoding lacks fails here, before
    it is sent, as psycopg would have failed on it (nothing is written: the transaction
    rolls back)."""
    try:
        return text.encode(encoding)
    except UnicodeEncodeError as exc:
        char = exc.object[exc.start]
        raise OperationalError(
            f"prod: {table}: a value holds {char!a} (U+{ord(char):04X}), which prod's client "
            f"encoding ({encoding}) cannot hold; nothing was written",
            fix="change the value in dev, or move prod to an encoding that holds it (UTF8)",
        ) from None


def write(
    db: Database,
    layouts: Sequence[Layout],
    plan: Plan,
    prod_rows: Mapping[str, Sequence[Row]],
) -> Written:
    """Insert then update, table by table in config order (parents first)."""
    parents = {table for layout in layouts for table in layout.references.values()}
    prod_ids = _ProdIds.index(layouts, prod_rows, parents)
    inserted = updated = 0
    for layout, table in zip(layouts, plan.tables, strict=True):
        for wave in _waves(layout, table.creates):
            returned = _insert(db, layout, wave, prod_ids.resolve)
            if layout.name in parents:
                prod_ids.learn(layout, returned)
            inserted += len(returned)
        if table.updates:
            updated += _update(db, layout, table.updates, prod_ids.resolve)
    return Written(inserted, updated)


@dataclass(frozen=True)
class _ProdIds:
    """key -> prod id, to remap reference columns, and prod id -> key, to key the rows an
    insert returns: keyed exactly as the plan keyed them (a key scoped by a parent too)."""

    ids: dict[str, dict[Key, Any]]
    keys_by_pk: dict[str, dict[Any, Key | None]]

    @classmethod
    def index(
        cls, layouts: Sequence[Layout], prod_rows: Mapping[str, Sequence[Row]], parents: set[str]
    ) -> _ProdIds:
        """The prod rows of the tables that other tables point at (and of their parents)."""
        indexed = key_index(layouts, prod_rows, parents)
        return cls(
            ids={name: by_key for name, (by_key, _) in indexed.items()},
            keys_by_pk={name: by_pk for name, (_, by_pk) in indexed.items()},
        )

    def resolve(self, value: Any) -> Any:
        """A reference as the prod id of the row it points at; any other value as it is."""
        if isinstance(value, Ref):
            target = self.ids[value.table].get(value.key)
            if target is None:
                raise OperationalError(
                    f"internal: {value.table} `{'/'.join(map(str, value.key))}` has no prod id",
                    fix="this is a bug in refsync; nothing was written",
                )
            return target
        return value

    def learn(self, layout: Layout, returned: Sequence[Row]) -> None:
        """The ids and keys of rows just inserted, `(pk, *match)` as RETURNING gives them."""
        slug = layout.config.match.slug_from is not None
        for pk, *match in returned:
            key = key_of(scoped_values(layout, match, self.keys_by_pk), slug)
            if key is not None:
                self.ids[layout.name][key] = pk
                self.keys_by_pk[layout.name][pk] = key


def _insert(
    db: Database, layout: Layout, wave: Sequence[Create], resolve: Callable[[Any], Any]
) -> list[Row]:
    """INSERT one wave of creates; return the `(pk, *match)` of each row inserted."""
    # Made a group at a time as they are encoded: a dict a row for the whole wave was 20 MiB
    # of a 1M-service apply's 50,000 creates.
    rows = ({c: resolve(v) for c, v in create.values.items()} for create in wave)
    columns = list(wave[0].values)
    targets = [*columns, *layout.touch]
    values: list[sql.Composable] = [sql.SQL("v.{}").format(sql.Identifier(c)) for c in columns]
    values += [sql.SQL("now()") for _ in layout.touch]
    query = sql.SQL(
        "INSERT INTO {t} ({targets}) SELECT {values} FROM {src} RETURNING {ret}"
    ).format(
        t=rel(layout.relation),
        targets=cols(targets),
        values=sql.SQL(", ").join(values),
        src=_populate(layout),
        ret=cols((layout.pk, *layout.match)),
    )
    return [row for got in _statements(db, layout, query, rows, "inserted") for row in got]


def _update(
    db: Database, layout: Layout, updates: Sequence[Update], resolve: Callable[[Any], Any]
) -> int:
    """UPDATE a table's changed rows in one statement; return how many it updated."""
    # Each row carries its primary key and only the columns that changed; a column a
    # row does not carry keeps its prod value (`e.value ? 'col'`), so an unchanged
    # value is never rewritten, not even through a lossy round trip.
    payload = (
        {layout.pk: u.pk, **{c: resolve(new) for c, (_, new) in u.changes.items()}} for u in updates
    )
    sets = [
        sql.SQL("{c} = CASE WHEN e.value ? {name} THEN v.{c} ELSE t.{c} END").format(
            c=sql.Identifier(c), name=sql.Literal(c)
        )
        for c in layout.compare
    ]
    sets += [sql.SQL("{} = now()").format(sql.Identifier(c)) for c in layout.touch]
    query = sql.SQL(
        "UPDATE {only} AS t SET {sets} FROM jsonb_array_elements(%s::jsonb) AS e, "
        "LATERAL jsonb_populate_record(NULL::{t}, e.value) AS v "
        "WHERE t.{pk} = v.{pk} RETURNING t.{pk}"
    ).format(
        only=only(layout.relation),
        t=rel(layout.relation),
        sets=sql.SQL(", ").join(sets),
        pk=sql.Identifier(layout.pk),
    )
    return sum(map(len, _statements(db, layout, query, payload, "updated")))


def _statements(
    db: Database,
    layout: Layout,
    query: sql.Composed,
    rows: Iterable[Mapping[str, Any]],
    what: str,
) -> Iterator[list[Row]]:
    """Run `query` once per payload of `rows` (`_payloads`: most writes take one), each
    statement's RETURNING rows counted against the rows it was given; yields those rows."""
    encoding = db.encoding
    for payload, count in _payloads(rows, encoding, layout.config.label):
        _same_encoding(db, encoding, layout)
        got = db.execute(query, [_sent(payload)], relation=layout.config.label)
        del payload  # before the next is made
        _verify(layout, what, count, len(got))
        yield got


def _same_encoding(db: Database, encoding: str, layout: Layout) -> None:
    """Refuse to send bytes encoded for a client encoding the session no longer has: a
    trigger of the statement before may have set `client_encoding` (psycopg follows it, and
    encoded text anew for each statement; a payload is encoded before it is sent)."""
    if db.encoding != encoding:
        raise OperationalError(
            f"prod: {layout.config.label}: the session's client encoding changed from "
            f"{encoding} to {db.encoding} during the write (a trigger that sets "
            "client_encoding?); rolled back, nothing was written",
            fix="remove the client_encoding change from prod's triggers, then re-run",
        )


def _sent(payload: bytearray) -> Jsonb:
    """A payload as the statement's parameter: psycopg sends these bytes as they are."""
    return Jsonb(payload, dumps=_as_is)


def _as_is(data: bytearray) -> bytes:
    # psycopg's json dumper returns what `dumps` gives unless it is a str, and sends any
    # buffer; its annotation names bytes alone.
    return cast(bytes, data)


def _waves(layout: Layout, creates: Sequence[Create]) -> list[list[Create]]:
    """Creates in dependency order within one table: a row after the parent it points at."""
    waves, cyclic = creation_waves(creates, self_references(layout))
    if cyclic:
        raise OperationalError(
            f"{layout.name}: the rows to create point at each other in a cycle: "
            + ", ".join("/".join(map(str, k)) for k in cyclic[:10]),
            fix="break the cycle in dev; nothing was written",
        )
    return waves


def _verify(layout: Layout, what: str, expected: int, got: int) -> None:
    """One statement's RETURNING count against the rows the plan gave it."""
    if expected != got:
        raise OperationalError(
            f"{layout.name}: one statement {what} {got} rows, the plan gave it {expected}; "
            "rolled back",
            fix="re-run the plan; prod changed underneath the apply",
        )
