"""The job summary of SPEC 4.4: valid GitHub-flavoured Markdown tables, under 1 MiB at any
plan size, with markup in data neutralised. Pure: built from a synthetic plan, no database,
rendered by a real GFM renderer (tests/fixtures/gfm.py)."""

from __future__ import annotations

import io
import json

from refsync.engine import Outcome
from refsync.model import Create, Plan, Ref, Skip, TablePlan, Update
from refsync.report import CONSOLE_ROWS, console_report
from refsync.snapshot import Identity
from refsync.summary import SUMMARY_ROWS, summary
from tests.fixtures.gfm import render, shown
from tests.fixtures.outcomes import synthetic_outcome

MIB = 1024 * 1024


def _tables(markdown: str) -> list[list[list[str]]]:
    """Every table GFM renders, as rows of the texts its cells show."""
    return render(markdown).tables


def test_large_plan_summary_stays_under_one_mib() -> None:
    """A 100,000-row-per-section plan renders under 1 MiB and points at the plan file."""
    text = summary(synthetic_outcome(100_000))
    assert len(text.encode("utf-8")) < MIB
    assert f"… and {100_000 - SUMMARY_ROWS} more creates in the plan file." in text
    assert f"… and {100_000 - SUMMARY_ROWS} more skips in the plan file." in text


def test_summary_tables_are_valid_gfm() -> None:
    """Every section renders as a GFM table whose rows have the header's column count."""
    tables = _tables(summary(synthetic_outcome(5)))
    assert [t[0] for t in tables] == [
        ["table", "create", "update", "skip", "unchanged", "prod only"],
        ["key", "column", "value"],
        ["key", "field", "old", "new"],
        ["key", "reason", "would change"],
    ]
    for table in tables:
        assert all(len(r) == len(table[0]) for r in table)
    counts = tables[0]
    assert counts[1] == ["services", "5", "5", "5", "5", "3"]
    assert len(tables[1]) == 1 + 5 * 4  # a row per value of each created row
    assert len(tables[2]) == 1 + 5 * 2  # two changed fields per update


def test_pipes_and_newlines_in_data_do_not_break_tables() -> None:
    """A name holding `|`, a newline and a backslash stays inside its cell."""
    tables = _tables(summary(synthetic_outcome(3, name="A | B\nC \\ D")))
    for table in tables:
        assert all(len(r) == len(table[0]) for r in table)
    # The pipe stays in the value cell (escaped in the source), the newline shows as \\n.
    cells = [cell for t in tables for r in t for cell in r]
    assert '"A | B\\nC \\\\ D 0"' in cells


#: Data that would hide, forge or reorder part of the plan if it were not escaped: an HTML
#: comment, a closing and a new <details>, a script, table pipes, code spans, a forged
#: heading, links and images, emphasis, math, workflow commands, bidi and zero-width
#: characters, a trailing backslash.
HOSTILE = (
    "<!-- hides everything below",
    "</details><details><summary>forged</summary>",
    "<script>alert(1)</script>",
    "a | b | c",
    "`code` ``span``",
    "line\n## forged heading",
    "[click](javascript:alert(1)) ![img](x.png) <https://evil.example>",
    "*bold* _it_ ~~gone~~ $x$ &lt; trailing\\",
    "x\n::warning::forged %0A ##[error]forged",
    "\u202eevil\u202c zero\u200bwidth",
    "- list\n1. item\n> quote",
)
TABLE = "svc <!--|`t`\n## forged"
LONG = "L" * 10_000
DIGEST = "d" * 64


def _hostile_outcome() -> Outcome:
    """A plan in which every string from a database or the config is hostile."""
    cols = [f"col {h}" for h in HOSTILE]
    creates = tuple(
        Create((h, i), dict.fromkeys(cols, h) | {"long": LONG}) for i, h in enumerate(HOSTILE)
    )
    updates = tuple(
        Update((h,), i, {cols[i]: (h, HOSTILE[-1 - i]), "long": (LONG, h)}, ())
        for i, h in enumerate(HOSTILE)
    )
    skips = tuple(Skip((h,), "protected", f"in use by {h}", {cols[0]: (1, 2)}) for h in HOSTILE)
    plan = Plan((TablePlan(TABLE, creates, updates, skips, 7, 3),))
    dev = Identity("dev", HOSTILE[5], "5432", HOSTILE[0], "u", "1", 1, 180000)
    prod = Identity("prod", HOSTILE[2], "5432", HOSTILE[3], "u", "2", 2, 180000)
    return Outcome(
        mode="dry-run",
        plan=plan,
        digest=DIGEST,
        canonical={},
        dev=dev,
        prod=prod,
        dev_fingerprint="dev " + HOSTILE[0] + HOSTILE[1] + HOSTILE[5],
        prod_fingerprint="prod " + HOSTILE[4] + HOSTILE[8],
        layouts=(),
        written=None,
        round_trips={"dev": 1, "prod": 1},
        privilege_warnings=tuple(f"role may {h}" for h in HOSTILE),
    )


def test_hostile_data_cannot_hide_forge_or_reorder_the_plan() -> None:
    """With hostile names, keys, values, column names, reasons, identities, fingerprints,
    privilege warnings and approver logins, GFM renders exactly our headings and tables,
    with the right counts and the digest, every value shown as text, and no HTML element,
    link or emphasis that data asked for."""
    n = len(HOSTILE)
    approvers = ("alice", HOSTILE[0], HOSTILE[1])
    out = render(summary(_hostile_outcome(), approvers))
    assert out.headings == [
        ("h2", f"refsync dry-run: {n} to create, {n} to update"),
        ("h3", shown(TABLE)),
        ("h3", "Privileges"),
        ("h3", "Next step"),
    ]
    counts, creates, updates, skips = out.tables
    assert counts == [
        ["table", "create", "update", "skip", "unchanged", "prod only"],
        [shown(TABLE), str(n), str(n), str(n), "7", "3"],
        ["total", str(n), str(n), str(n), "7", "3"],
    ]
    for table in out.tables:
        assert all(len(row) == len(table[0]) for row in table), table
    assert [row[0] for row in creates[1:] if row[0]] == [
        f"{shown(h)}/{i}" for i, h in enumerate(HOSTILE)
    ]
    assert [row[0] for row in skips[1:]] == [shown(h) for h in HOSTILE]
    assert [row[1] for row in skips[1:]] == [f"in use by {shown(h)}" for h in HOSTILE]
    old, new = (json.dumps(v, ensure_ascii=False) for v in (HOSTILE[0], HOSTILE[-1]))
    assert updates[1][1:] == [f"col {shown(HOSTILE[0])}", old, new]
    # Every value a reviewer approves is shown in full, the 10,000-character one too.
    assert updates[2][2] == json.dumps(LONG)
    assert [row[2] for row in creates[1:] if row[1] == "long"] == [json.dumps(LONG)] * n
    outcome = _hostile_outcome()
    assert (
        f"Fingerprints verified: dev {shown(outcome.dev_fingerprint)}, "
        f"prod {shown(outcome.prod_fingerprint)}"
    ) in out.texts
    assert f"Dev: {shown(HOSTILE[0])} on {shown(HOSTILE[5])}" in out.texts
    assert f"Plan digest: {DIGEST}" in out.texts
    assert f"Approved by: @alice, @{HOSTILE[0]}, @{HOSTILE[1]}" in out.texts
    assert [t for t in out.texts if t.startswith("role may")] == [
        f"role may {shown(h)}" for h in HOSTILE
    ]
    # Nothing but our own <code> tags reached the HTML; no link, image, emphasis from data.
    assert set(out.html_tags) <= {"<code>", "</code>"}
    assert out.html_blocks == []
    assert set(out.markup) <= {"strong", "code", "table", "thead", "tbody", "tr", "th", "td"}
    for forged in ("<script", "<!--", "<details", "</details", "<a ", "<img", "<h4", "<em>"):
        assert forged not in out.html


def test_long_values_are_shown_in_full_until_the_size_budget_says_so() -> None:
    """Values are never cut: 300 created rows of 10,000-character names fill the summary to
    just under 1 MiB, and the summary says how many more the plan file holds and why."""
    outcome = synthetic_outcome(300, name="N" * 10_000)
    text = summary(outcome)
    assert len(text.encode("utf-8")) < MIB
    tables = _tables(text)
    names = [row[2] for row in tables[1][1:] if row[1] == "name"]
    assert names
    assert all(cell.startswith('"' + "N" * 10_000 + " ") for cell in names)
    listed = len(names)
    assert listed < 200
    assert f"… and {300 - listed} more creates in the plan file." in text
    assert "The summary lists no more values here: it must stay under GitHub's 1 MiB" in text
    # The counts table, the tail and the digest are never squeezed out.
    assert "### Next step" in text
    assert "a" * 64 in text


def test_a_reference_reads_once_as_its_key() -> None:
    """A created row's reference shows as `→ key` in its own cell; an updated reference
    shows old and new in their own columns (never `→ a → → b`)."""
    outcome = synthetic_outcome(1)
    table = outcome.plan.tables[0]
    moved = Update(
        ("upd-ref",),
        "p9",
        {"categoryId": (Ref("c", ("accessories",)), Ref("c", ("computers",)))},
        (),
    )
    plan = Plan((TablePlan("services", table.creates, (moved,), (), 0, 0),))
    tables = _tables(summary(Outcome(**{**outcome.__dict__, "plan": plan})))
    assert ["", "categoryId", "→ cleaning"] in tables[1]
    assert tables[2][1] == ["upd-ref", "categoryId", "→ accessories", "→ computers"]


def test_console_never_cuts_a_value_silently() -> None:
    """The log's tables fold a long value over several lines instead of cutting it, and say
    how many rows they leave to the summary and the plan file."""
    stream = io.StringIO()
    console_report(synthetic_outcome(25, name="Q" * 3_000), stream)
    text = stream.getvalue()
    assert text.count("Q") == 3_000 * CONSOLE_ROWS * 2  # name in creates and in updates
    assert "more rows: see the job summary and the plan file" in text
