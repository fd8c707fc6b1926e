"""What an apply locks before it writes: the advisory lock that lets one apply run at a time
per prod server, and the rows it will update (re-read under the lock, the plan made again if
they moved since the read).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

from psycopg import sql

from refsync.db import Database
from refsync.diff import diff
from refsync.errors import SafetyError
from refsync.layouts import Layout
from refsync.model import Plan, Row
from refsync.reading import Rows
from refsync.snapshot import lock_rows

#: pg_try_advisory_xact_lock key shared by every refsync apply on a server.
ADVISORY_LOCK_KEY = int.from_bytes(
    hashlib.sha256(b"refsync-apply").digest()[:8], "big", signed=True
)


def take_advisory_lock(prod: Database) -> None:
    """One apply at a time per prod server, for the length of its transaction."""
    [(got,)] = prod.execute(sql.SQL("SELECT pg_try_advisory_xact_lock(%s)"), [ADVISORY_LOCK_KEY])
    if not got:
        raise SafetyError(
            "another refsync apply holds the advisory lock on prod "
            f"(pg_try_advisory_xact_lock({ADVISORY_LOCK_KEY})); refusing to run concurrently",
            fix="wait for the other apply to finish, then re-run the plan and apply",
        )


def lock_updates(
    prod: Database,
    layouts: Sequence[Layout],
    plan: Plan,
    *,
    rows: Rows,
    dev_pk: Mapping[str, str],
) -> Plan:
    """Lock what will be updated, then re-read it under the lock: READ COMMITTED makes the
    next statements (the protection check included) see everything committed before. Rows
    that moved replace their old versions in `rows`, and the plan is made again; after a
    first read of hashes, which cannot be planned from again, a row that moved refuses."""
    moved = False
    locked: dict[str, set[Any]] = {}
    for layout, table in zip(layouts, plan.tables, strict=True):
        locked[layout.name] = {u.pk for u in table.updates}
        if table.updates:
            pks = [u.pk for u in table.updates]
            fresh = {r[0]: r for r in lock_rows(prod, layout, pks, hashed=rows.hashed)}
            before = [u.prod_row for u in table.updates]
            after = [fresh.get(u.pk, u.prod_row) for u in table.updates]
            # repr, not ==: 10.0 == 10.00, but the digest shows the value prod holds now (a
            # spilled value's repr is its digest: equal for equal text).
            if repr(after) != repr(before):
                moved = True
                _replace_rows(rows, layout, fresh)
    if not moved:
        # The plan is a pure function of the rows: only a row that changed since it was
        # read can change it, so an unchanged prod needs no second diff.
        return plan
    if rows.hashed or rows.deferred or rows.unchanged:
        # A first read's index cannot be made again from rows in full (nor can a row that is
        # now to create, if dev's first read left columns out: the second read did not fetch
        # it; nor, from the rows a scan left, the pairs it dropped as unchanged), and its
        # digest would not match the approved plan's anyway: the rows it updates changed
        # since the plan.
        raise SafetyError(
            "prod changed while apply was taking its row locks: rows it planned to update "
            "changed since it read them",
            fix="re-run the plan job, review the new plan, and approve that one",
        )
    plan = diff(layouts, rows.dev_rows, rows.prod_rows, dev_pk)
    unlocked = [
        u.key for table in plan.tables for u in table.updates if u.pk not in locked[table.name]
    ]
    if unlocked:
        raise SafetyError(
            "prod changed while apply was taking its row locks: the plan now updates "
            f"rows it did not lock ({', '.join(map(str, unlocked[:5]))})",
            fix="re-run the plan job, review the new plan, and approve that one",
        )
    return plan


def _replace_rows(rows: Rows, layout: Layout, fresh: Mapping[Any, Row]) -> None:
    """Rows locked and re-read (`fresh`, by primary key) stand for their old versions."""
    rows.prod_rows[layout.name] = [fresh.get(r[0], r) for r in rows.prod_rows[layout.name]]
