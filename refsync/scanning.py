"""Reading the tables scanned first (`prefilter`): both sides scanned at once, the scans
matched (`unchanged.match`), and the rows they keep read again at once, into the rows the
other tables' first read gave. One statement per table per side for each step.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from threading import Event

from refsync.concurrent_read import Log, each_table, on_both
from refsync.db import Database
from refsync.keys import Side, Slugs, index
from refsync.layouts import Layout
from refsync.model import Row
from refsync.prefilter import Keyed, reread, scan
from refsync.unchanged import Kept, Scanned, match

#: dev's and prod's rows, by table
Both = tuple[dict[str, list[Row]], dict[str, list[Row]]]


def read_scanned(  # noqa: PLR0917 - both sides, what was read of them, and how
    dev: Database,
    prod: Database,
    layouts: Sequence[Layout],
    scanned: Mapping[str, bool],
    rows: Both,
    dev_pk: Mapping[str, str],
    log: Log,
    *,
    hashed: bool,
) -> dict[str, int]:
    """Scan the `scanned` tables (with whether their keys are text alone) on both sides,
    match the scans, and read the rows kept again into `rows` (dev's, prod's; the other
    tables' are there already: a pointer compares as the key it points at). Returns how
    many pairs each table has found unchanged."""
    tables = [t for t in layouts if t.name in scanned]
    parents = {
        "dev": _sides(layouts, rows[0], "dev", dev_pk),
        "prod": _sides(layouts, rows[1], "prod", dev_pk),
    }
    keyed = {
        (side, t.name): Keyed.of(t, scanned[t.name], parents[side])
        for side in ("dev", "prod")
        for t in tables
    }
    scans = _scan_both(dev, prod, tables, keyed, log)
    kept = {
        t.name: match(scans[0][t.name], scans[1][t.name], ids=not t.pk_from_prod) for t in tables
    }
    more = _reread_both(dev, prod, tables, (scans, kept, keyed), log, hashed=hashed)
    rows[0].update(more[0])
    rows[1].update(more[1])
    return {name: k.unchanged for name, k in kept.items()}


def _scan_both(
    dev: Database,
    prod: Database,
    tables: Sequence[Layout],
    keyed: Mapping[tuple[str, str], Keyed],
    log: Log,
) -> tuple[dict[str, Scanned], dict[str, Scanned]]:
    def scan_side(db: Database, stop: Event | None, say: Log) -> dict[str, Scanned]:
        return each_table(
            db, tables, say, stop, "scanned", lambda t, p: scan(db, t, keyed[db.side, t.name], p)
        )

    return on_both(dev, prod, scan_side, log)


def _reread_both(
    dev: Database,
    prod: Database,
    tables: Sequence[Layout],
    found: tuple[
        tuple[dict[str, Scanned], dict[str, Scanned]],
        Mapping[str, Kept],
        Mapping[tuple[str, str], Keyed],
    ],
    log: Log,
    *,
    hashed: bool,
) -> Both:
    scans, kept, keyed = found

    def reread_side(db: Database, stop: Event | None, say: Log) -> dict[str, list[Row]]:
        side = 0 if db.side == "dev" else 1
        out = {}
        for table in tables:
            if stop is not None and stop.is_set():
                break
            at = kept[table.name].dev if side == 0 else kept[table.name].prod
            out[table.name] = reread(
                db, table, scans[side][table.name], at, keyed[db.side, table.name], hashed=hashed
            )
            say(f"read {db.side} {table.name}: {len(at):,} rows that may differ")
        return out

    return on_both(dev, prod, reread_side, log)


def _sides(
    layouts: Sequence[Layout],
    rows: Mapping[str, Sequence[Row]],
    side: str,
    dev_pk: Mapping[str, str],
) -> dict[str, Side]:
    """One side's tables already read, indexed as the diff indexes them (parents first)."""
    out: dict[str, Side] = {}
    for layout in layouts:
        if layout.name in rows:
            read = layout.dev_read if side == "dev" else layout.prod_read
            pk = dev_pk[layout.name] if side == "dev" else layout.pk
            out[layout.name] = index(rows[layout.name], read, layout, pk, Slugs(), parents=out)
    return out
