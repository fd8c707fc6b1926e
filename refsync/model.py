"""The data every stage passes on: relation names, rows, match keys, and the plan the diff
makes of them (creates, updates, skips per table). Plain frozen types, no database; and how
a relation is named in messages."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

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


SkipKind = Literal["protected", "ambiguous", "id-taken", "parent-missing"]


@dataclass(frozen=True, order=True)
class Ref:
    """A pointer to a reference row by its match key (never by a raw id: ids differ per side)."""

    table: str
    key: Key


@dataclass(frozen=True)
class Create:
    key: Key
    #: column -> dev value (a Ref for reference columns); the primary key when it is copied
    values: Mapping[str, Any]


@dataclass(frozen=True)
class Update:
    key: Key
    pk: Any
    #: compared column -> (prod value, dev value); only the columns that differ
    changes: Mapping[str, tuple[Any, Any]]
    #: the prod row as read (prod_read order), for writing unchanged columns back as they are
    prod_row: Row = field(compare=False, repr=False)


@dataclass(frozen=True)
class Skip:
    key: Key
    kind: SkipKind
    reason: str
    changes: Mapping[str, tuple[Any, Any]] = field(default_factory=dict)


@dataclass(frozen=True)
class TablePlan:
    """What one table's diff found: the writes, the skips with their reasons, and counts."""

    name: str
    creates: tuple[Create, ...]
    updates: tuple[Update, ...]
    skips: tuple[Skip, ...]
    unchanged: int
    prod_only: int

    @property
    def counts(self) -> dict[str, int]:
        return {
            "create": len(self.creates),
            "update": len(self.updates),
            "skip": len(self.skips),
            "unchanged": self.unchanged,
            "prod_only": self.prod_only,
        }


@dataclass(frozen=True)
class Plan:
    """Every table's plan, parents first (the order of the config)."""

    tables: tuple[TablePlan, ...]

    def table(self, name: str) -> TablePlan:
        return next(t for t in self.tables if t.name == name)

    @property
    def totals(self) -> dict[str, int]:
        out = {"create": 0, "update": 0, "skip": 0, "unchanged": 0, "prod_only": 0}
        for table in self.tables:
            for k, v in table.counts.items():
                out[k] += v
        return out

    @property
    def has_changes(self) -> bool:
        totals = self.totals
        return totals["create"] + totals["update"] > 0
