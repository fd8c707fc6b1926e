"""What a run reads: every row of both sides (`concurrent_read`), then, where that first read
sent long values as their hashes or left dev's insert-only columns out, the rows that may
differ and the rows to create in full (a second read of one statement per table and side,
whatever the number of rows).
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from refsync.candidates import Prepared, prepare
from refsync.concurrent_read import Log, read_both
from refsync.db import Database
from refsync.layouts import Layout
from refsync.model import Row
from refsync.scanning import read_scanned
from refsync.snapshot import Identity, read_full
from refsync.unchanged import unavailable


@dataclass
class Rows:
    """What was read: both sides' rows (a first read's, when `hashed`), and the rows that
    may differ in full (the second read), by table and primary key."""

    dev_rows: dict[str, list[Row]]
    prod_rows: dict[str, list[Row]]
    #: both sides indexed and each table's step 1; dropped once the plan is made (its
    #: indexes are the largest thing a run holds, and nothing after the plan needs them)
    prepared: Prepared | None
    full_dev: dict[str, dict[Any, Row]]
    full_prod: dict[str, dict[Any, Row]]
    #: whether the rows are a first read's (long values as hashes)
    hashed: bool = False
    #: whether dev's rows are a first read's that left its `deferred` columns out (NULL)
    deferred: bool = False
    #: per table scanned first (`prefilter`): the pairs found unchanged, whose rows are not
    #: among the rows read
    unchanged: dict[str, int] = field(default_factory=dict)


def read(
    dev: Database,
    prod: Database,
    layouts: Sequence[Layout],
    dev_pk: Mapping[str, str],
    *,
    identities: tuple[Identity, Identity],
    log: Log,
    scanned: Mapping[str, bool] | None = None,
) -> Rows:
    """Both sides' rows. Between servers of one encoding, a first read sends each long value
    of a compared text or JSON column as its hash, and a second one reads in full only the
    rows that may differ and carry such a hash: memory follows the changes, not the width of
    the rows. (Between encodings equal bytes need not be equal text: everything is read in
    full at once.)

    The `scanned` tables are scanned first (`prefilter`; with whether their keys are text
    alone): only their rows that may differ are read, and the pairs found unchanged are
    counted."""
    dev_id, prod_id = identities
    hashed = dev_id.encoding == prod_id.encoding and any(t.hashed for t in layouts)
    deferred = any(t.deferred for t in layouts)
    log(f"reading {len(layouts)} tables from dev and prod")
    scanned = scanned or {}
    if scanned and (why := unavailable()) is not None:
        tables = ", ".join(sorted(scanned))
        log(f"numpy cannot be loaded ({why}): every row of {tables} is read, none scanned first")
        scanned = {}
    first = [t for t in layouts if t.name not in scanned]
    dev_rows, prod_rows = read_both(dev, prod, first, log, hashed=hashed)
    unchanged: dict[str, int] = {}
    if len(first) < len(layouts):
        unchanged = read_scanned(
            dev, prod, layouts, scanned, (dev_rows, prod_rows), dev_pk, log, hashed=hashed
        )
    prepared = prepare(
        layouts, dev_rows, prod_rows, dev_pk, hashed=hashed, deferred=deferred, unchanged=unchanged
    )
    full_dev: dict[str, dict[Any, Row]] = {}
    full_prod: dict[str, dict[Any, Row]] = {}
    if hashed or deferred:
        wanted = prepared.wanted()
        dev_wanted = {t: w[0] for t, w in wanted.items()}
        full_dev = read_changed(dev, layouts, dev_wanted, log, hashed=hashed)
        prod_wanted = {t: w[1] for t, w in wanted.items()}
        full_prod = read_changed(prod, layouts, prod_wanted, log, hashed=hashed)
        prepared.hold_once(full_dev, full_prod)
    return Rows(dev_rows, prod_rows, prepared, full_dev, full_prod, hashed, deferred, unchanged)


def read_changed(
    db: Database,
    layouts: Sequence[Layout],
    wanted: Mapping[str, Sequence[Any]],
    log: Log,
    *,
    hashed: bool,
) -> dict[str, dict[Any, Row]]:
    """The second read: per table with `wanted` primary keys, those rows in full (one SELECT
    per table, whatever the number of keys), by primary key, with their hashes again after a
    `hashed` first read. Nothing wanted, nothing read."""
    out: dict[str, dict[Any, Row]] = {}
    start = time.perf_counter()
    for layout in layouts:
        if wanted.get(layout.name):
            rows = read_full(db, layout, wanted[layout.name], hashed=hashed)
            out[layout.name] = {r[0]: r for r in rows}
    if out:
        got = sum(map(len, out.values()))
        seconds = time.perf_counter() - start
        log(
            f"read {db.side}: {got:,} rows in full (that may differ or to create) in {seconds:.2f}s"
        )
    return out
