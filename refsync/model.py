"""The data every stage passes on: relation names, rows, match keys (and, from the diff on,
the plan itself). Plain types, no database; and how a relation is named in messages."""

from __future__ import annotations

from typing import Any

#: (schema, table), exactly as PostgreSQL stores the names.
Relation = tuple[str, str]
#: One row as read, in the order of the columns its statement selected.
Row = tuple[Any, ...]
#: A row's match key: its match values, or its slug, or (scoped) its parent's key first.
Key = tuple[Any, ...]


def relation_label(relation: Relation) -> str:
    """A relation as messages and the plan name it: `table`, or `schema.table` outside public."""
    schema, name = relation
    return name if schema == "public" else f"{schema}.{name}"
