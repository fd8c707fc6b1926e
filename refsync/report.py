"""What people and machines see: the console tables, the job summary, the plan file.

Nothing here reads a URL or a password: only identities (host, database, role) and the
plan. The summary is capped per section so it stays far below GitHub's 1 MiB limit. Every
string from a database or the config goes into the summary through `refsync.escape.md` or
`code`, and into the console tables through `visible`: data is shown, never interpreted.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from typing import IO, Any

from refsync import __version__
from refsync.engine import Outcome
from refsync.escape import code, md, visible
from refsync.plan import Ref, Skip, TablePlan, show_key, to_json

PLAN_SCHEMA_VERSION = 1
#: Rows listed per summary section; the rest is counted and left to the plan file.
SUMMARY_ROWS = 200
CELL_CHARS = 120


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


def _clip(text: str) -> str:
    return text if len(text) <= CELL_CHARS else text[: CELL_CHARS - 1] + "…"


def _cell(text: str) -> str:
    """Data for a summary table cell: clipped, then escaped (never the other way round,
    which could cut an escape in half)."""
    return md(_clip(text))


def _key(key: tuple[Any, ...]) -> str:
    return code(_clip(show_key(key)))


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


def _rows_capped(items: list[str], total: int, what: str) -> Iterator[str]:
    yield from items
    if total > len(items):
        yield f"\n… and {total - len(items)} more {what} in the plan file.\n"


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
    for table in plan.tables:
        lines += _table_sections(table)
    lines += _privileges_section(outcome)
    lines += ["", "### Next step", "", _next_step(outcome), ""]
    return "\n".join(lines)


def _table_sections(table: TablePlan) -> list[str]:
    out: list[str] = []
    if not (table.creates or table.updates or table.skips):
        return out
    out += ["", f"### {md(table.name)}"]
    if table.creates:
        out += ["", f"**Create ({len(table.creates)})**", "", "| key | values |", "|---|---|"]
        rows = [
            f"| {_key(c.key)} | "
            + _cell(", ".join(f"{k}={fmt(v)}" for k, v in c.values.items()))
            + " |"
            for c in table.creates[:SUMMARY_ROWS]
        ]
        out += _rows_capped(rows, len(table.creates), "creates")
    if table.updates:
        out += [
            "",
            f"**Update ({len(table.updates)})**",
            "",
            "| key | field | old → new |",
            "|---|---|---|",
        ]
        rows = []
        for u in table.updates[:SUMMARY_ROWS]:
            for i, (col, (old, new)) in enumerate(u.changes.items()):
                key = _key(u.key) if i == 0 else ""
                rows.append(f"| {key} | {_cell(col)} | {_cell(fmt(old))} → {_cell(fmt(new))} |")
        out += _rows_capped(rows, len(table.updates), "updates")
    if table.skips:
        out += [
            "",
            f"**Skip ({len(table.skips)})**",
            "",
            "| key | reason | would change |",
            "|---|---|---|",
        ]
        rows = [
            f"| {_key(s.key)} | {_cell(s.reason)} | {_cell(_would_change(s))} |"
            for s in table.skips[:SUMMARY_ROWS]
        ]
        out += _rows_capped(rows, len(table.skips), "skips")
    return out


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
        out += [f"- {md(t)}" for t in outcome.triggers]
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
    return [
        "",
        f"### Missing privileges: apply would stop ({len(missing.lines)})",
        "",
        f"The prod role {code(missing.role)} lacks what an apply of this plan needs. "
        "Run this on the prod database as the tables' owner, then re-run the plan:",
        "",
        *_fenced(missing.script, "sql"),
    ]


def _privileges_section(outcome: Outcome) -> list[str]:
    out = [*_missing_section(outcome), "", "### Privileges", ""]
    if not outcome.privilege_warnings:
        return [*out, "The prod role holds nothing beyond what refsync needs."]
    out.append(
        "The prod role may do more than refsync needs; a leaked secret would allow it too. "
        "See the README's least-privilege section."
    )
    out.append("")
    return out + [f"- {md(w)}" for w in outcome.privilege_warnings]


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
#: section and the plan file every one (rich takes about 0.15 ms a row to lay out).
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
            detail.add_row("create", visible(show_key(cr.key)), visible(values[:200]))
        for u in table.updates[:CONSOLE_ROWS]:
            changes = "; ".join(f"{k}: {fmt(o)} → {fmt(n)}" for k, (o, n) in u.changes.items())
            detail.add_row("update", visible(show_key(u.key)), visible(changes[:200]))
        for s in table.skips[:CONSOLE_ROWS]:
            detail.add_row("skip", visible(show_key(s.key)), visible(s.reason))
        hidden = sum(
            max(0, len(x) - CONSOLE_ROWS) for x in (table.creates, table.updates, table.skips)
        )
        if hidden:
            detail.caption = f"{hidden} more rows: see the job summary and the plan file"
        console.print(detail)


def counts_mapping(outcome: Outcome) -> Mapping[str, int]:
    return outcome.plan.totals
