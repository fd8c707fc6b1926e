"""The pieces every composed statement is built from, so it names things one safe way.

Every identifier (schema, table, column) goes through `sql.Identifier`, never into the
text, so no name in a catalog can become SQL. Every read (and lock and update) of a
configured table names it with `only` (``ONLY schema.table``): its inheritance children or
partitions are other tables, and the statement guard refuses the statement otherwise. `rel`
(no ONLY) is for what is not such a read: a row type, an INSERT target, and a partitioned
business table, whose foreign key covers its partitions.
"""

from __future__ import annotations

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
    """A column to read, as its text (`"price"::text`) when it is in `as_text`."""
    return (
        sql.SQL("{}::text").format(sql.Identifier(name))
        if name in as_text
        else sql.Identifier(name)
    )


def select_list(columns: Sequence[str], as_text: Collection[str] = ()) -> sql.Composable:
    """The columns to read, those in `as_text` as their text (`"price"::text`)."""
    return sql.SQL(", ").join(column(c, as_text) for c in columns)
