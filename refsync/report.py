"""What the run's log and step outputs show: the console tables, the skip warnings, the
step outputs, and `fmt`, a value as a reviewer reads it (the job summary uses it too).

Nothing here reads a URL or a password: only identities (host, database, role) and the
plan. Every string from a database or the config goes into the console tables through
`visible`: data is shown, never interpreted. The job summary is `refsync.summary`, the plan
file `refsync.plan_file`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import IO, TYPE_CHECKING, Any

from refsync.digest import to_json
from refsync.engine import Outcome
from refsync.escape import visible
from refsync.keys import show_key
from refsync.model import Ref, Skip, TablePlan
from refsync.spill import Spilled

if TYPE_CHECKING:
    from rich.table import Table


def fmt(value: Any) -> str:
    """A value as a reviewer reads it: NULL, "text", 10.00, true, → key."""
    if value is None:
        return "NULL"
    if isinstance(value, Ref):
        return "→ " + (show_key(value.key) if value.key else "(missing)")
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | Spilled):
        return json.dumps(to_json(value), ensure_ascii=False)
    j = to_json(value)
    return j if isinstance(j, str) else json.dumps(j, ensure_ascii=False, sort_keys=True)


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
    console.print(_counts_table(outcome))
    for table in outcome.plan.tables:
        if table.creates or table.updates or table.skips:
            console.print(_detail_table(table))


def _counts_table(outcome: Outcome) -> Table:
    """Each table's counts."""
    from rich.table import Table  # noqa: PLC0415 - see console_report

    # The digest gets a log line of its own (main.py): a table title would wrap it.
    counts = Table(title=f"refsync {outcome.mode}")
    for col in ("table", "create", "update", "skip", "unchanged", "prod only"):
        counts.add_column(col, justify="left" if col == "table" else "right")
    kinds = ("create", "update", "skip", "unchanged", "prod_only")
    for table in outcome.plan.tables:
        counts.add_row(visible(table.name), *(str(table.counts[k]) for k in kinds))
    return counts


def _detail_table(table: TablePlan) -> Table:
    """A table's first CONSOLE_ROWS creates, updates and skips, and how many more there are."""
    from rich.table import Table  # noqa: PLC0415 - see console_report

    detail = Table(title=visible(table.name))
    for col in ("op", "key", "detail"):
        detail.add_column(col, overflow="fold")
    for cr in table.creates[:CONSOLE_ROWS]:
        values = ", ".join(f"{k}={fmt(v)}" for k, v in cr.values.items())
        detail.add_row("create", visible(show_key(cr.key)), visible(values))
    for u in table.updates[:CONSOLE_ROWS]:
        changes = "; ".join(f"{k}: was {fmt(o)}, now {fmt(n)}" for k, (o, n) in u.changes.items())
        detail.add_row("update", visible(show_key(u.key)), visible(changes))
    for s in table.skips[:CONSOLE_ROWS]:
        detail.add_row("skip", visible(show_key(s.key)), visible(s.reason))
    hidden = sum(max(0, len(x) - CONSOLE_ROWS) for x in (table.creates, table.updates, table.skips))
    if hidden:
        detail.caption = f"{hidden} more rows: see the job summary and the plan file"
    return detail
