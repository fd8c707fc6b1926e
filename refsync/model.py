"""The data every stage passes on: relation names, rows, match keys (and, from the diff on,
the plan itself). Plain types, no behaviour, no database."""

from __future__ import annotations

from typing import Any

#: (schema, table), exactly as PostgreSQL stores the names.
Relation = tuple[str, str]
#: One row as read, in the order of the columns its statement selected.
Row = tuple[Any, ...]
#: A row's match key: its match values, or its slug, or (scoped) its parent's key first.
Key = tuple[Any, ...]
