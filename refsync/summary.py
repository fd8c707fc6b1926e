"""The job summary: the plan in GitHub-flavoured Markdown, for the reviewer who approves it.

Nothing here reads a URL or a password: only identities (host, database, role) and the
plan. The summary is capped per section so it stays far below GitHub's 1 MiB limit. Every
string from a database or the config goes in through `refsync.escape.md` or `code`: data
is shown, never interpreted.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from refsync.engine import Outcome
from refsync.escape import code, md, visible
from refsync.keys import show_key
from refsync.model import Create, Plan, Skip, TablePlan, Update
from refsync.report import fmt

#: Records listed per summary section; the rest is counted and left to the plan file.
SUMMARY_ROWS = 200
#: Triggers, privilege warnings and GRANT lines listed before "… and N more".
LISTED = 50
#: What the summary may take: GitHub refuses a step summary over 1 MiB; the margin covers
#: the lines written after the sections are budgeted (notes of what was left out).
SUMMARY_BYTES = 1_000_000


def _key(key: tuple[Any, ...]) -> str:
    return code(show_key(key))


def summary(outcome: Outcome, approvers: tuple[str, ...] = ()) -> str:
    """The job summary in GitHub-flavoured Markdown."""
    lines = [*_header(outcome, approvers), *_counts_table(outcome.plan)]
    lines += _scope_section(outcome)
    tail = [*_privileges_section(outcome), "", "### Next step", "", _next_step(outcome), ""]
    budget = _Budget(SUMMARY_BYTES - sum(len(x.encode("utf-8")) + 1 for x in lines + tail))
    for table in outcome.plan.tables:
        lines += _table_sections(table, budget)
    return "\n".join(lines + tail)


def _header(outcome: Outcome, approvers: tuple[str, ...]) -> list[str]:
    """The headline (what is to do, or what was done) and who and what the run concerns."""
    t = outcome.plan.totals
    lines = [
        f"## refsync {outcome.mode}: "
        + (
            f"{t['create']} to create, {t['update']} to update"
            if outcome.written is None
            else f"applied {outcome.written.inserted} inserts, {outcome.written.updated} updates"
        ),
        "",
        f"- **Mode:** `{outcome.mode}`",
        f"- **Fingerprints verified:** dev {code(outcome.dev_fingerprint)}, "
        f"prod {code(outcome.prod_fingerprint)}",
        f"- **Dev:** {code(outcome.dev.database)} on {code(outcome.dev.host)}",
        f"- **Prod:** {code(outcome.prod.database)} on {code(outcome.prod.host)}",
        f"- **Plan digest:** `{outcome.digest}`",
    ]
    if approvers:
        lines.append("- **Approved by:** " + ", ".join(f"@{md(a)}" for a in approvers))
    return lines


def _counts_table(plan: Plan) -> list[str]:
    """Each table's counts and their totals."""
    lines = [
        "",
        "| table | create | update | skip | unchanged | prod only |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for table in plan.tables:
        c = table.counts
        lines.append(
            f"| {md(table.name)} | {c['create']} | {c['update']} | {c['skip']} | "
            f"{c['unchanged']} | {c['prod_only']} |"
        )
    t = plan.totals
    lines.append(
        f"| **total** | {t['create']} | {t['update']} | {t['skip']} | "
        f"{t['unchanged']} | {t['prod_only']} |"
    )
    return lines


class _Budget:
    """What is left of the summary's size: sections stop listing rows when it runs out, so
    the summary stays under GitHub's 1 MiB limit however long the values are."""

    def __init__(self, size: int) -> None:
        self.left = size

    def take(self, lines: list[str]) -> bool:
        """Spend the lines' size if it is there; False (nothing spent) when it is not."""
        size = sum(len(line.encode("utf-8")) + 1 for line in lines)
        if size > self.left:
            return False
        self.left -= size
        return True


def _listed(
    records: Sequence[Any], render: Callable[[Any], list[str]], what: str, budget: _Budget
) -> list[str]:
    """Table rows for the first SUMMARY_ROWS records that fit the budget, every value in
    full; then how many more the plan file holds, and why they stop here."""
    out: list[str] = []
    shown = 0
    for record in records[:SUMMARY_ROWS]:
        rows = render(record)
        if not budget.take(rows):
            break
        out += rows
        shown += 1
    if shown < len(records):
        out += ["", f"… and {len(records) - shown} more {what} in the plan file."]
        if shown < min(len(records), SUMMARY_ROWS):
            out.append(
                "The summary lists no more values here: it must stay under GitHub's 1 MiB limit."
            )
    return out


def _table_sections(table: TablePlan, budget: _Budget) -> list[str]:
    out: list[str] = []
    if not (table.creates or table.updates or table.skips):
        return out
    out += ["", f"### {md(table.name)}"]
    if table.creates:
        out += ["", f"**Create ({len(table.creates)})**", "", "| key | column | value |"]
        out += ["|---|---|---|"]
        out += _listed(table.creates, _create_rows, "creates", budget)
    if table.updates:
        out += ["", f"**Update ({len(table.updates)})**", "", "| key | field | old | new |"]
        out += ["|---|---|---|---|"]
        out += _listed(table.updates, _update_rows, "updates", budget)
    if table.skips:
        out += ["", f"**Skip ({len(table.skips)})**", "", "| key | reason | would change |"]
        out += ["|---|---|---|"]
        out += _listed(table.skips, _skip_rows, "skips", budget)
    return out


def _create_rows(create: Create) -> list[str]:
    """One row per value of a new row, its key on the first: every value in full, a
    reference once as `→ key`."""
    return [
        f"| {_key(create.key) if i == 0 else ''} | {md(column)} | {md(fmt(value))} |"
        for i, (column, value) in enumerate(create.values.items())
    ] or [f"| {_key(create.key)} | | |"]


def _update_rows(update: Update) -> list[str]:
    return [
        f"| {_key(update.key) if i == 0 else ''} | {md(column)} | {md(fmt(old))} | {md(fmt(new))} |"
        for i, (column, (old, new)) in enumerate(update.changes.items())
    ]


def _skip_rows(skip: Skip) -> list[str]:
    return [f"| {_key(skip.key)} | {md(skip.reason)} | {md(_would_change(skip))} |"]


def _would_change(skip: Skip) -> str:
    if skip.changes:
        return ", ".join(skip.changes)
    return "—" if skip.kind == "ambiguous" else "new row"


def _scope_section(outcome: Outcome) -> list[str]:
    """What this run may write and what writing fires: a reviewer notices a config that
    lists a business table, or a trigger that writes elsewhere."""
    verb = "writes" if outcome.written is not None else "may write"
    out = [
        "",
        f"**This run {verb} only (INSERT, UPDATE):** "
        + ", ".join(code(name) for name in outcome.writable),
    ]
    if outcome.triggers:
        out += ["", "**Triggers an apply fires** (they run with its writes):", ""]
        out += [f"- {md(t)}" for t in outcome.triggers[:LISTED]]
        if len(outcome.triggers) > LISTED:
            out.append(
                f"- … and {len(outcome.triggers) - LISTED} more in the plan file "
                "(`writes.triggers`)"
            )
    return out


def _fenced(lines: tuple[str, ...], info: str = "") -> list[str]:
    """A fenced code block that no backtick run inside it can close early."""
    runs = [len(run) for line in lines for run in re.findall("`+", line)]
    fence = "`" * max(3, *(n + 1 for n in runs)) if runs else "```"
    return [fence + info, *lines, fence]


def _missing_section(outcome: Outcome) -> list[str]:
    missing = outcome.missing
    if not missing:
        return []
    # Shown, not acted on: an identifier holding a newline or an RTL override would
    # otherwise make a line of the script look like another statement.
    script = tuple(visible(line) for line in missing.script[:LISTED])
    more = len(missing.script) - len(script)
    return [
        "",
        f"### Missing privileges: apply would stop ({len(missing.lines)})",
        "",
        f"The prod role {code(missing.role)} lacks what an apply of this plan needs. "
        "Run this on the prod database as the tables' owner, then re-run the plan:",
        "",
        *_fenced(script, "sql"),
        *(
            ["", f"… and {more} more lines in the plan file (`missing_privileges`)."]
            if more
            else []
        ),
    ]


def _privileges_section(outcome: Outcome) -> list[str]:
    out = [*_missing_section(outcome), "", "### Privileges", ""]
    if not outcome.privilege_warnings:
        return [*out, "The prod role holds nothing beyond what refsync needs."]
    out.append(
        "The prod role may do more than refsync needs; a leaked secret would allow it too. "
        "See docs/setup.md."
    )
    out.append("")
    shown = [f"- {md(w)}" for w in outcome.privilege_warnings[:LISTED]]
    more = len(outcome.privilege_warnings) - LISTED
    return out + shown + ([f"- … and {more} more (each is also a log line)"] if more > 0 else [])


def _next_step(outcome: Outcome) -> str:
    if outcome.written is not None:
        return (
            "Applied in one transaction. The next plan should show nothing to do."
            if outcome.plan.has_changes
            else "Nothing to apply: prod already matches dev."
        )
    if not outcome.plan.has_changes:
        return "Nothing to do: prod already matches dev (skips, if any, are listed above)."
    return (
        "Review the changes above. To apply exactly this plan, approve the apply job "
        "(environment protected by required reviewers); it runs with "
        f"`approved-plan-digest: {outcome.digest}` and refuses if anything changed."
    )
