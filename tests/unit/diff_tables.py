"""Hand-built table layouts and rows for the diff's unit tests: what `layouts.build_layouts` and
`snapshot.read_rows` would hand `diff.diff`, without a database."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from refsync.config import Match, TableConfig
from refsync.diff import diff
from refsync.layouts import Layout, TextKind
from refsync.model import Plan, Row


def layout(
    name: str,
    *,
    match: Sequence[str] = ("name",),
    slug: bool = True,
    compare: Sequence[str] = ("name",),
    references: Mapping[str, str] | None = None,
    insert: Sequence[str] | None = None,
    pk: str = "id",
    dev_pk: str | None = None,
    pk_from_prod: bool = False,
    as_text: Mapping[str, TextKind] | None = None,
    strict: Sequence[str] = (),
) -> Layout:
    """A layout as `layouts.build_layouts` makes it: dev reads its primary key, the match, compared
    and inserted columns; prod its primary key, the match and compared columns."""
    key = Match(slug_from=match[0]) if slug else Match(column=list(match))
    config = TableConfig(
        name=name, match=key, compare=list(compare), references=dict(references or {})
    )
    inserted = tuple(insert if insert is not None else dict.fromkeys((*match, *compare)))
    return Layout(
        config=config,
        pk=pk,
        pk_from_prod=pk_from_prod,
        match=tuple(match),
        compare=tuple(compare),
        references=dict(references or {}),
        insert=inserted,
        touch=(),
        dev_read=tuple(dict.fromkeys((dev_pk or pk, *match, *compare, *inserted))),
        prod_read=tuple(dict.fromkeys((pk, *match, *compare))),
        as_text=dict(as_text or {}),
        strict=frozenset(strict),
    )


def rows(columns: Sequence[str], *records: Mapping[str, Any]) -> list[Row]:
    """Records as the tuples a side reads, in `columns` order (a missing column is NULL)."""
    for record in records:
        unknown = set(record) - set(columns)
        assert not unknown, f"{sorted(unknown)} are not read ({columns})"
    return [tuple(record.get(c) for c in columns) for record in records]


def plan(
    tables: Sequence[Layout],
    dev: Mapping[str, Sequence[Mapping[str, Any]]],
    prod: Mapping[str, Sequence[Mapping[str, Any]]],
    dev_pk: Mapping[str, str] | None = None,
) -> Plan:
    """`diff` of records given per table name (a table missing from a side has no rows)."""
    return diff(
        tables,
        {t.name: rows(t.dev_read, *dev.get(t.name, ())) for t in tables},
        {t.name: rows(t.prod_read, *prod.get(t.name, ())) for t in tables},
        dev_pk,
    )
