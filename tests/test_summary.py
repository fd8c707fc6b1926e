"""The job summary of SPEC 4.4: valid GitHub-flavoured Markdown tables, under 1 MiB at any
plan size, with markup in data neutralised. Pure: built from a synthetic plan, no database."""

from __future__ import annotations

from decimal import Decimal

from markdown_it import MarkdownIt

from refsync.db import Identity
from refsync.engine import Outcome
from refsync.plan import Create, Plan, Ref, Skip, TablePlan, Update
from refsync.report import SUMMARY_ROWS, summary

MIB = 1024 * 1024


def _outcome(rows: int, name: str = "Service") -> Outcome:
    creates = tuple(
        Create(
            (f"new-{i}",),
            {
                "id": f"id{i}",
                "name": f"{name} {i}",
                "price": Decimal("9.99"),
                "categoryId": Ref("service_categories", ("cleaning",)),
            },
        )
        for i in range(rows)
    )
    updates = tuple(
        Update(
            (f"upd-{i}",),
            f"p{i}",
            {
                "price": (Decimal("1.00"), Decimal("2.00")),
                "description": (None, f"{name} text {i}"),
            },
            (),
        )
        for i in range(rows)
    )
    skips = tuple(
        Skip(
            (f"skip-{i}",),
            "protected",
            "in use by bookings.serviceId",
            {"price": (Decimal(1), Decimal(2))},
        )
        for i in range(rows)
    )
    plan = Plan((TablePlan("services", creates, updates, skips, rows, 3),))
    ident = Identity("prod", "db.internal", "5432", "app", "refsync", "7", 1, 180000)
    return Outcome(
        mode="dry-run",
        plan=plan,
        digest="a" * 64,
        canonical={},
        dev=ident,
        prod=ident,
        dev_fingerprint="dev-fingerprint",
        prod_fingerprint="prod-fp-0001",
        layouts=(),
        written=None,
        round_trips={"dev": 1, "prod": 1},
    )


def _tables(markdown: str) -> list[list[list[str]]]:
    """Every table GFM renders, as rows of cell texts."""
    tokens = MarkdownIt("commonmark").enable("table").parse(markdown)
    tables: list[list[list[str]]] = []
    row: list[str] = []
    inside = False
    for tok in tokens:
        if tok.type in ("table_open", "table_close"):
            inside = tok.type == "table_open"
            if inside:
                tables.append([])
        elif tok.type == "tr_open":
            row = []
        elif tok.type == "inline" and inside:
            row.append(tok.content)
        elif tok.type == "tr_close":
            tables[-1].append(row)
    return tables


def test_large_plan_summary_stays_under_one_mib() -> None:
    """A 100,000-row-per-section plan renders under 1 MiB and points at the plan file."""
    text = summary(_outcome(100_000))
    assert len(text.encode("utf-8")) < MIB
    assert f"… and {100_000 - SUMMARY_ROWS} more creates in the plan file." in text
    assert f"… and {100_000 - SUMMARY_ROWS} more skips in the plan file." in text


def test_summary_tables_are_valid_gfm() -> None:
    """Every section renders as a GFM table whose rows have the header's column count."""
    tables = _tables(summary(_outcome(5)))
    assert [t[0] for t in tables] == [
        ["table", "create", "update", "skip", "unchanged", "prod only"],
        ["key", "values"],
        ["key", "field", "old → new"],
        ["key", "reason", "would change"],
    ]
    for table in tables:
        assert all(len(r) == len(table[0]) for r in table)
    counts = tables[0]
    assert counts[1] == ["services", "5", "5", "5", "5", "3"]
    assert len(tables[2]) == 1 + 5 * 2  # two changed fields per update


def test_pipes_and_newlines_in_data_do_not_break_tables() -> None:
    """A name holding `|`, a newline and a backslash stays inside its cell."""
    tables = _tables(summary(_outcome(3, name="A | B\nC \\ D")))
    for table in tables:
        assert all(len(r) == len(table[0]) for r in table)
    # The pipe stays in the value cell (escaped in the source), the newline shows as \\n.
    cells = [cell for t in tables for r in t for cell in r]
    assert any('name="A | B\\\\nC' in cell for cell in cells)
