"""Reading: who each side is, its fingerprint, its reference rows, and which prod rows
business data points at. One statement per table per side; one per referencing column.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

from psycopg import sql

from refsync.catalog import Catalog
from refsync.config import Config, FingerprintConfig
from refsync.db import STREAM_CHUNK, Database, Side
from refsync.errors import SafetyError, UsageError
from refsync.layouts import Layout
from refsync.model import Relation, Row
from refsync.referrers import Referrer
from refsync.spill import STORE
from refsync.sqlparts import column, keyed_hash, only, rel, select_list
from refsync.table_facts import KeyEquality

_IDENTITY = sql.SQL(
    """SELECT current_database(), current_user,
       (SELECT system_identifier::text FROM pg_catalog.pg_control_system()),
       (SELECT d.oid::int8 FROM pg_catalog.pg_database d WHERE d.datname = current_database()),
       current_setting('server_version_num')::int, current_setting('server_encoding')"""
)

_TABLE_EXISTS = sql.SQL(
    """SELECT count(*) FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = %s AND c.relname = %s AND c.relkind IN ('r', 'p', 'v')"""
)


#: Foreign keys the fingerprint table takes part in, either way.
_FINGERPRINT_KEYS = sql.SQL(
    """SELECT con.conname::text FROM pg_catalog.pg_constraint con
JOIN pg_catalog.pg_class c ON c.oid = con.conrelid OR c.oid = con.confrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE con.contype = 'f' AND n.nspname = %s AND c.relname = %s
ORDER BY 1"""
)


@dataclass(frozen=True)
class Identity:
    """Who a connection reached: shown in the summary, hashed into the digest (prod)."""

    side: Side
    host: str
    port: str
    database: str
    user: str
    system_identifier: str
    database_oid: int
    server_version: int
    #: the server's encoding: hashes of text are only compared between servers of one encoding
    encoding: str = ""

    def display(self) -> str:
        return f"{self.database} on {self.host}:{self.port} as {self.user}"


def identity(db: Database, host: str, port: str) -> Identity:
    [(database, user, sysid, oid, version, encoding)] = db.execute(_IDENTITY)
    return Identity(db.side, host, port, database, user, sysid, oid, version, encoding)


def fingerprint(db: Database, fp: FingerprintConfig) -> str:
    """The side's verified fingerprint; refuses (exit 1) unless the row says this side."""
    expected = fp.dev if db.side == "dev" else fp.prod
    [(exists,)] = db.execute(_TABLE_EXISTS, list(fp.relation))
    fix = (
        f"on the {db.side} database run once, as its owner:\n"
        f"  INSERT INTO {fp.table} ({fp.id_column}, {fp.environment_column}, "
        f"{fp.fingerprint_column}, ...) VALUES ('{fp.id}', '{expected}', '<a unique string of "
        "10+ characters>');\nand grant the refsync role SELECT on it"
    )
    if not exists:
        raise SafetyError(
            f"{db.side}: fingerprint table `{fp.table}` is missing (or not visible to this role); "
            "refsync will not read a database it cannot identify",
            fix=fix,
        )
    _check_fingerprint_table(db, fp)
    query = sql.SQL(
        "SELECT {environment}::text, {fingerprint}::text FROM {table} WHERE {id} = %s"
    ).format(
        environment=sql.Identifier(fp.environment_column),
        fingerprint=sql.Identifier(fp.fingerprint_column),
        table=only(fp.relation),
        id=sql.Identifier(fp.id_column),
    )
    rows = db.execute(query, [fp.id])
    if len(rows) != 1:
        raise SafetyError(
            f"{db.side}: fingerprint row `{fp.id_column} = '{fp.id}'` in `{fp.table}` "
            + ("is missing" if not rows else f"is ambiguous ({len(rows)} rows)"),
            fix=fix,
        )
    environment, value = rows[0]
    if environment != expected:
        raise SafetyError(
            f"{db.side}: the database given as `{db.side}-database-url` says it is "
            f"environment {environment!r}, not {expected!r}. Are the URLs swapped?",
            fix=f"check the secrets behind dev-database-url and prod-database-url; the {db.side} "
            f"database's `{fp.table}` row must say {fp.environment_column} = '{expected}'",
        )
    if not value or len(value.strip()) < 10:
        raise SafetyError(
            f"{db.side}: fingerprint in `{fp.table}` is empty or shorter than 10 characters",
            fix=fix,
        )
    return str(value)


def _check_fingerprint_table(db: Database, fp: FingerprintConfig) -> None:
    """The fingerprint table identifies a database and is read row by row, every column
    refsync is told to read: one that other tables point at, or that points at them, is
    business data (`users`), and refsync never reads business columns (SPEC rule 2)."""
    keys = [name for (name,) in db.execute(_FINGERPRINT_KEYS, list(fp.relation))]
    if keys:
        raise UsageError(
            f"config `fingerprint.table`: `{fp.table}` takes part in foreign "
            f"keys ({', '.join(keys[:5])}) on {db.side}, so it is business data; refsync reads "
            "the fingerprint row's columns in full and never reads business columns",
            fix="keep the environment row in a table of its own, e.g. `database_metadata` "
            "(id, environment, fingerprint), as docs/setup.md shows",
        )


def check_distinct(dev: Identity, prod: Identity, dev_fp: str, prod_fp: str) -> None:
    if (dev.system_identifier, dev.database_oid) == (prod.system_identifier, prod.database_oid):
        raise SafetyError(
            "dev and prod are the same database (same system identifier and database oid)",
            fix="point dev-database-url and prod-database-url at different databases",
        )
    if dev_fp == prod_fp:
        raise SafetyError(
            "dev and prod carry the same fingerprint; one was probably restored from the other",
            fix="give each database its own fingerprint value in its metadata row",
        )


def read_rows(
    db: Database,
    layout: Layout,
    progress: Callable[[int, float], None] | None = None,
    *,
    hashed: bool = False,
) -> list[Row]:
    """Every row of a reference table, the columns this side reads: one streamed SELECT.
    `progress` hears (rows so far, seconds) while a long read goes on.

    `hashed` (the first of two reads): in the layout's hashed columns a value longer than
    `LONG_BYTES` comes back NULL, and each row ends with one column per hashed column, the
    server's 64-bit hash of that long value's bytes (NULL for a short one). A wide unchanged
    row costs its hashes, not its values; `read_full` then reads the rows that may differ.

    Dev's `deferred` columns (insert-only) come back NULL: `read_full` reads them for the
    rows to create."""
    columns = layout.dev_read if db.side == "dev" else layout.prod_read
    deferred = layout.deferred if db.side == "dev" else ()
    select = first_select(columns, layout, hashed=hashed and bool(layout.hashed), left=deferred)
    return db.execute(
        sql.SQL("SELECT {} FROM {}").format(select, only(layout.relation)),
        relation=layout.config.label,
        stream=True,
        progress=progress,
    )


#: Longer values (in bytes) of a hashed column travel as their hash in a first read.
LONG_BYTES = 256


def first_select(
    columns: Sequence[str], layout: Layout, *, hashed: bool, left: Sequence[str]
) -> sql.Composable:
    """A first read's select list: NULL for the columns `left` out; with `hashed`, each hashed
    column's value when it is short, then each hashed column's hash when it is long.

    `octet_length` reads a compressed value's length without decompressing it, and
    `hashtextextended` under the "C" collation hashes the value's bytes, so equal hashes mean
    equal text only between servers of one encoding: `reading.read` hashes nothing otherwise.
    The hash has 64 bits and is keyed by this process's secret (`sqlparts.keyed_hash`), so no
    value can be computed in advance to collide with another (a prod value that hashed as
    dev's would never be restored); a collision by chance (2^-64 per changed value) makes a
    changed value look unchanged, so it can only leave a change out of the plan, never write
    anything."""
    value = {c: column(c, layout.as_text) for c in columns}
    value.update(dict.fromkeys(left, sql.SQL("NULL")))
    if not hashed:
        return sql.SQL(", ").join(value[c] for c in columns)
    short = {
        c: sql.SQL("CASE WHEN pg_catalog.octet_length({v}) <= {n} THEN {v} END").format(
            v=value[c], n=sql.Literal(LONG_BYTES)
        )
        for c in layout.hashed
    }
    return sql.SQL(", ").join([*(short.get(c, value[c]) for c in columns), *_hashes(layout)])


def _hashes(layout: Layout) -> Iterator[sql.Composable]:
    """Each hashed column's hash when its value is long, NULL when it is not."""
    for c in layout.hashed:
        value = column(c, layout.as_text)
        yield sql.SQL("CASE WHEN pg_catalog.octet_length({v}) > {n} THEN {h} END").format(
            v=value, n=sql.Literal(LONG_BYTES), h=keyed_hash(value)
        )


def read_full(db: Database, layout: Layout, pks: Sequence[Any], *, hashed: bool) -> list[Row]:
    """The rows with these primary keys in full, then (after a `hashed` first read) the first
    read's hashes again: the second read, of the rows the first one's hashes say may differ
    and of the rows to create (the hashes show whether a row changed in between,
    `candidates.in_full`)."""
    columns = layout.dev_read if db.side == "dev" else layout.prod_read
    key = columns[0]
    hashes = list(_hashes(layout)) if hashed else []
    query = sql.SQL("SELECT {} FROM {} WHERE {} = ANY(%s)").format(
        sql.SQL(", ").join([select_list(columns, layout.as_text), *hashes]),
        only(layout.relation),
        sql.Identifier(key),
    )
    return _spilling(db, layout, query, pks, hashed=hashed)


def lock_rows(db: Database, layout: Layout, pks: Sequence[Any], *, hashed: bool) -> list[Row]:
    """Lock the prod rows about to be updated and return their current values, read as the
    second read read them (`read_full`, without the hashes)."""
    query = sql.SQL("SELECT {} FROM {} WHERE {} = ANY(%s) FOR UPDATE").format(
        select_list(layout.prod_read, layout.as_text),
        only(layout.relation),
        sql.Identifier(layout.pk),
    )
    return _spilling(db, layout, query, pks, hashed=hashed)


def _spilling(
    db: Database, layout: Layout, query: sql.Composed, pks: Sequence[Any], *, hashed: bool
) -> list[Row]:
    """The rows, received a chunk at a time, with each text value longer than `LONG_BYTES`
    characters kept on disk (`spill`): of dev's `deferred` columns, and (after a `hashed`
    first read, whose hashes stood for those values) of the hashed text columns. A row's
    other values, and every value of a run read in full at once, stay as read: they are
    compared with the first read's."""
    columns = layout.dev_read if db.side == "dev" else layout.prod_read
    deferred = layout.deferred if db.side == "dev" else ()
    at = [
        i
        for i, c in enumerate(columns)
        if c in layout.spillable and (c in deferred or (hashed and c in layout.hashed))
    ]
    rows: list[Row] = []
    db.execute(
        query,
        [list(pks)],
        relation=layout.config.label,
        stream=True,
        consume=lambda chunk: rows.extend(_spilled(chunk, at) if at else chunk),
        chunk=SPILL_CHUNK if at else STREAM_CHUNK,
    )
    return rows


#: Rows per chunk of a read that spills: a chunk's long values are held, as libpq received
#: them and as strings, until they are written out, so the chunk is small (5,000 rows of
#: 8 KB descriptions held 160 MiB at once; 128 of them hold 4).
SPILL_CHUNK = 128


def _spilled(rows: list[Row], at: Sequence[int]) -> list[Row]:
    """`rows` with their long texts at `at` spilled, in one write; most chunks hold none
    (checked in C)."""
    limit = LONG_BYTES
    if all(max(map(len, filter(None, map(itemgetter(i), rows))), default=0) <= limit for i in at):
        return rows
    places = [
        (n, i)
        for n, row in enumerate(rows)
        for i in at
        if type(row[i]) is str and len(row[i]) > limit
    ]
    for (n, i), kept in zip(places, STORE.put([rows[n][i] for n, i in places]), strict=True):
        row = list(rows[n])
        row[i] = kept
        rows[n] = tuple(row)
    return rows


def referenced(
    db: Database, catalog: Catalog, config: Config, candidates: Mapping[str, Sequence[Any]]
) -> dict[str, dict[Any, list[str]]]:
    """For each table, which candidate prod ids business data points at, and from where.

    The database decides: each query returns the reference table's own primary keys that a
    business column equals, compared as the table's foreign keys compare (the value cast to
    the key's type, the key index's own equality), so a `char(n)`, `citext`, domain or array
    column protects exactly as the key's type says. One query per referencing column, run
    even with no candidates, so a `protected_by` column that cannot be compared with the key
    fails the dry-run, not the apply."""
    out: dict[str, dict[Any, list[str]]] = {}
    for table in config.tables:
        ids = list(candidates.get(table.name, ()))
        out[table.name] = {}
        pk = catalog.tables[table.relation].primary_key[0]
        equality = catalog.key_equality[table.relation]
        for referrer in catalog.referrers[table.relation]:
            for (value,) in _referencing(db, table.relation, pk, equality, referrer, ids):
                out[table.name].setdefault(value, []).append(referrer.label)
    return out


def _referencing(  # noqa: PLR0917 - one query's six parts, each used once
    db: Database,
    relation: Relation,
    pk: str,
    equality: KeyEquality,
    referrer: Referrer,
    ids: list[Any],
) -> list[Row]:
    value: sql.Composable = sql.SQL("b.{}").format(sql.Identifier(referrer.column))
    if referrer.array:
        value = sql.SQL("pg_catalog.unnest({})").format(value)
    if not equality.numeric:
        value = sql.SQL("{}::{}").format(
            value, sql.Identifier(equality.type_schema, equality.type_name)
        )
    query = sql.SQL(
        "SELECT r.{pk} FROM {ref} AS r WHERE r.{pk} = ANY(%s) "
        "AND r.{pk} OPERATOR({op_schema}.=) ANY (SELECT {value} FROM {business} AS b)"
    ).format(
        pk=sql.Identifier(pk),
        ref=only(relation),
        op_schema=sql.Identifier(equality.operator_schema),
        value=value,
        # A partitioned business table is read with its partitions: its foreign key covers
        # them all, and its grants are the ones the role holds.
        business=rel(referrer.relation) if referrer.with_children else only(referrer.relation),
    )
    return db.execute(query, [ids], relation=referrer.label)
