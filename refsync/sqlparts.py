"""The pieces every composed statement is built from, so it names things one safe way.

Every identifier (schema, table, column) goes through `sql.Identifier`, never into the
text, so no name in a catalog can become SQL. Every read (and lock and update) of a
configured table names it with `only` (``ONLY schema.table``): its inheritance children or
partitions are other tables, and the statement guard refuses the statement otherwise. `rel`
(no ONLY) is for what is not such a read: a row type, an INSERT target, and a partitioned
business table, whose foreign key covers its partitions.
"""

from __future__ import annotations

import secrets
from collections.abc import Collection, Iterable, Sequence

from psycopg import sql

from refsync.model import Relation


def rel(relation: Relation) -> sql.Composable:
    """The relation, schema-qualified, without ONLY: as a row type (``NULL::schema.table``),
    an INSERT target, or a partitioned business table read with its partitions."""
    return sql.Identifier(*relation)


def only(relation: Relation) -> sql.Composable:
    """The relation without its inheritance children or partitions, as every read, lock and
    update of a configured table names it (the statement guard refuses it otherwise)."""
    return sql.SQL("ONLY {}").format(sql.Identifier(*relation))


def cols(names: Iterable[str]) -> sql.Composable:
    """A comma-separated list of column names."""
    return sql.SQL(", ").join(sql.Identifier(c) for c in names)


def column(name: str, as_text: Collection[str] = ()) -> sql.Composable:
    """A column to read, as its text (`text_of`) when it is in `as_text`."""
    return text_of(name) if name in as_text else sql.Identifier(name)


def text_of(name: str) -> sql.Composable:
    """A column's value as its type's output text, NULL as NULL.

    `concat` calls the type's output function, as a plain read of the column does; a
    `::text` cast would take a cast to text of the user's instead (a superuser may create one
    for numeric, json or jsonb, which have none built in, even while a run reads: the server
    looks casts up in its latest catalog, not in the transaction's snapshot)."""
    return sql.SQL("CASE WHEN {c} IS NULL THEN NULL ELSE pg_catalog.concat({c}) END").format(
        c=sql.Identifier(name)
    )


def select_list(columns: Sequence[str], as_text: Collection[str] = ()) -> sql.Composable:
    """The columns to read, those in `as_text` as their text (`"price"::text`)."""
    return sql.SQL(", ").join(column(c, as_text) for c in columns)


#: The key of every hash this process asks the server for (`hashtextextended`, which can be
#: run backwards: with a key known in advance, a value could be computed to hash as another
#: does, and a change to it pass as no change). A secret drawn at import, below 2^62 so that
#: the keys made from it (`HASH_KEY + n`, `HASH_KEY - n` for a few thousand n) stay int8.
HASH_KEY = secrets.randbits(62) + 2**20


def int8(number: int) -> sql.Composable:
    """A literal bigint (a literal beyond int4's range would be read as numeric)."""
    return sql.SQL("{}::int8").format(sql.Literal(number))


def keyed_hash(text: sql.Composable, offset: int = 0) -> sql.Composable:
    """The server's 64-bit hash of `text`'s bytes (the "C" collation: a nondeterministic one
    would hash unequal texts alike), keyed by `HASH_KEY + offset`; NULL for NULL."""
    return sql.SQL('pg_catalog.hashtextextended({} COLLATE "C", {})').format(
        text, int8(HASH_KEY + offset)
    )
