"""What people and machines see: the console tables, the job summary, the plan file.

Nothing here reads a URL or a password: only identities (host, database, role) and the
plan. The summary is capped per section so it stays far below GitHub's 1 MiB limit. Every
string from a database or the config goes into the summary through `refsync.escape.md` or
`code`, and into the console tables through `visible`: data is shown, never interpreted.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Sequence
from typing import IO, Any

from refsync import __version__
from refsync.digest import to_json
from refsync.engine import Outcome
from refsync.escape import code, md, visible
from refsync.keys import show_key
from refsync.model import Create, Ref, Skip, TablePlan, Update

PLAN_SCHEMA_VERSION = 1
#: Records listed per summary section; the rest is counted and left to the plan file.
SUMMARY_ROWS = 200
#: Triggers, privilege warnings and GRANT lines listed before "… and N more".
LISTED = 50
#: What the summary may take: GitHub refuses a step summary over 1 MiB; the margin covers
#: the lines written after the sections are budgeted (notes of what was left out).
SUMMARY_BYTES = 1_000_000


def fmt(value: Any) -> str:
    """A value as a reviewer reads it: NULL, "text", 10.00, true, → key."""
    if value is None:
        return "NULL"
    if isinstance(value, Ref):
        return "→ " + (show_key(value.key) if value.key else "(missing)")
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    j = to_json(value)
    return j if isinstance(j, str) else json.dumps(j, ensure_ascii=False, sort_keys=True)


def _key(key: tuple[Any, ...]) -> str:
    return code(show_key(key))


def outputs(outcome: Outcome, plan_file: str) -> dict[str, str]:
    totals = outcome.plan.totals
    return {
        "plan-digest": outcome.digest,
        "has-changes": "true" if outcome.plan.has_changes else "false",
        "creates": str(totals["create"]),
        "updates": str(totals["update"]),
        "skips": str(totals["skip"]),
        "unchanged": str(totals["unchanged"]),
        "plan-file": plan_file,
        "applied": "true" if outcome.written is not None else "false",
    }


def plan_document(outcome: Outcome) -> dict[str, Any]:
    """The JSON plan file: everything the digest covers, plus skips and identities."""
    # Creates and updates are the digest's own operations (in the same order), written in
    # the very text the digest hashed rather than converted to JSON a second time. Each line
    # also names its table and op.
    digest_input = _digest_input(outcome)
    operations = iter(digest_input["operations"])
    tables = []
    for table in outcome.plan.tables:
        tables.append(
            {
                "table": table.name,
                "counts": table.counts,
                "creates": [next(operations) for _ in table.creates],
                "updates": [next(operations) for _ in table.updates],
                "skips": [
                    {
                        "key": to_json(s.key),
                        "kind": s.kind,
                        "reason": s.reason,
                        "changes": {
                            k: {"old": to_json(o), "new": to_json(n)}
                            for k, (o, n) in s.changes.items()
                        },
                    }
                    for s in table.skips
                ],
            }
        )
    return {
        "schema_version": PLAN_SCHEMA_VERSION,
        "tool": f"refsync {__version__}",
        "mode": outcome.mode,
        "digest": outcome.digest,
        "applied": outcome.written is not None,
        "dev": _identity(outcome, "dev"),
        "prod": _identity(outcome, "prod"),
        "totals": outcome.plan.totals,
        "writes": {"tables": list(outcome.writable), "triggers": list(outcome.triggers)},
        "missing_privileges": (
            {
                "role": outcome.missing.role,
                "privileges": list(outcome.missing.lines),
                "grant_script": list(outcome.missing.script),
            }
            if outcome.missing
            else None
        ),
        "tables": tables,
        "digest_input": digest_input,
    }


class _Encoded(str):
    """A record that is JSON text already, written as it is."""

    __slots__ = ()


def _digest_input(outcome: Outcome) -> dict[str, Any]:
    """What the digest covers, its operations in the very text the digest hashed."""
    form = outcome.canonical
    if len(outcome.canonical_operations) != len(form["operations"]):
        return form
    return {**form, "operations": [_Encoded(text) for text in outcome.canonical_operations]}


def _identity(outcome: Outcome, side: str) -> dict[str, Any]:
    ident = outcome.dev if side == "dev" else outcome.prod
    return {
        "host": ident.host,
        "port": ident.port,
        "database": ident.database,
        "user": ident.user,
        "system_identifier": ident.system_identifier,
        "fingerprint": outcome.dev_fingerprint if side == "dev" else outcome.prod_fingerprint,
    }


#: Lists of operations, written one operation per line: a 100k-row plan stays greppable and
#: diffable, and each line comes from json's C encoder (its indent= path is pure Python and
#: took 0.3 s of a 100k-service plan).
_RECORD_LISTS = frozenset({"creates", "updates", "skips", "operations"})
#: json.dumps(v, ensure_ascii=False) without building an encoder for each of 100k records.
_RECORD = json.JSONEncoder(ensure_ascii=False)


def _layout(value: Any, indent: str = "", records: bool = False) -> str:
    """Indented JSON, except that each item of a list of operations is one line."""
    if isinstance(value, dict) and value:
        inner = indent + " "
        members = [
            f"{inner}{json.dumps(k, ensure_ascii=False)}: {_layout(v, inner, k in _RECORD_LISTS)}"
            for k, v in value.items()
        ]
        return "{\n" + ",\n".join(members) + "\n" + indent + "}"
    if isinstance(value, list) and value:
        inner = indent + " "
        if records:
            items = [inner + (v if type(v) is _Encoded else _RECORD.encode(v)) for v in value]
        else:
            items = [inner + _layout(v, inner) for v in value]
        return "[\n" + ",\n".join(items) + "\n" + indent + "]"
    return json.dumps(value, ensure_ascii=False)


def write_plan_file(path: Any, outcome: Outcome) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(_layout(plan_document(outcome)))
        fh.write("\n")


def summary(outcome: Outcome, approvers: tuple[str, ...] = ()) -> str:
    """The job summary in GitHub-flavoured Markdown."""
    plan = outcome.plan
    t = plan.totals
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
    lines += [
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
    lines.append(
        f"| **total** | {t['create']} | {t['update']} | {t['skip']} | "
        f"{t['unchanged']} | {t['prod_only']} |"
    )
    lines += _scope_section(outcome)
    tail = [*_privileges_section(outcome), "", "### Next step", "", _next_step(outcome), ""]
    budget = _Budget(SUMMARY_BYTES - sum(len(x.encode("utf-8")) + 1 for x in lines + tail))
    for table in plan.tables:
        lines += _table_sections(table, budget)
    return "\n".join(lines + tail)


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


def skip_warnings(outcome: Outcome) -> Iterator[tuple[str, Skip]]:
    for table in outcome.plan.tables:
        for skip in table.skips:
            yield table.name, skip


#: Width of the console tables, as a runner's log shows them.
CONSOLE_WIDTH = 120
#: Rows of each kind the log lists per table: a glance. The job summary lists 200 per
#: section and the plan file every one (rich takes about 0.15 ms a row to layout out).
CONSOLE_ROWS = 20


def console_report(outcome: Outcome, stream: IO[str]) -> None:
    """The plan as rich tables in the log. Imported here: only a successful run prints them.

    `markup=False` and `emoji=False`: data is printed as it is, so a name holding `[red]`
    or `:smile:` is shown verbatim, never interpreted as console markup; `visible` shows
    control and format characters (newlines, escape sequences, RTL overrides) as escapes
    before rich measures the cells."""
    from rich.console import Console  # noqa: PLC0415 - see docstring
    from rich.table import Table  # noqa: PLC0415

    console = Console(
        file=stream,
        width=CONSOLE_WIDTH,
        force_terminal=False,
        no_color=True,
        highlight=False,
        markup=False,
        emoji=False,
        soft_wrap=False,
    )
    # The digest gets a log line of its own (main.py): a table title would wrap it.
    counts = Table(title=f"refsync {outcome.mode}")
    for col in ("table", "create", "update", "skip", "unchanged", "prod only"):
        counts.add_column(col, justify="left" if col == "table" else "right")
    kinds = ("create", "update", "skip", "unchanged", "prod_only")
    for table in outcome.plan.tables:
        counts.add_row(visible(table.name), *(str(table.counts[k]) for k in kinds))
    console.print(counts)
    for table in outcome.plan.tables:
        if not (table.creates or table.updates or table.skips):
            continue
        detail = Table(title=visible(table.name))
        for col in ("op", "key", "detail"):
            detail.add_column(col, overflow="fold")
        for cr in table.creates[:CONSOLE_ROWS]:
            values = ", ".join(f"{k}={fmt(v)}" for k, v in cr.values.items())
            detail.add_row("create", visible(show_key(cr.key)), visible(values))
        for u in table.updates[:CONSOLE_ROWS]:
            changes = "; ".join(
                f"{k}: was {fmt(o)}, now {fmt(n)}" for k, (o, n) in u.changes.items()
            )
            detail.add_row("update", visible(show_key(u.key)), visible(changes))
        for s in table.skips[:CONSOLE_ROWS]:
            detail.add_row("skip", visible(show_key(s.key)), visible(s.reason))
        hidden = sum(
            max(0, len(x) - CONSOLE_ROWS) for x in (table.creates, table.updates, table.skips)
        )
        if hidden:
            detail.caption = f"{hidden} more rows: see the job summary and the plan file"
        console.print(detail)
