"""The run, stage by stage: connect (guarded) -> identify -> catalog -> read -> plan -> apply.

Both modes compute the plan the same way. Apply does it again inside the prod transaction,
after taking the advisory lock and locking the rows it will update, and writes only when the
recomputed digest equals the approved one.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from psycopg import sql

from refsync import guard
from refsync.apply import Written, write
from refsync.catalog import Catalog, read_catalog
from refsync.config import Config
from refsync.db import Database, Identity, Timeouts
from refsync.errors import SafetyError
from refsync.layouts import Layout, build_layouts
from refsync.model import Row
from refsync.plan import Plan, canonical, diff, digest, operation_texts, protect
from refsync.privileges import Missing, Need, excess_privileges, missing_privileges
from refsync.snapshot import (
    check_distinct,
    fingerprint,
    identity,
    lock_rows,
    read_rows,
    referenced,
)

#: pg_try_advisory_xact_lock key shared by every refsync apply on a server.
ADVISORY_LOCK_KEY = int.from_bytes(
    hashlib.sha256(b"refsync-apply").digest()[:8], "big", signed=True
)

Log = Callable[[str], None]


@dataclass(frozen=True)
class Outcome:
    mode: str
    plan: Plan
    digest: str
    canonical: dict[str, Any]
    dev: Identity
    prod: Identity
    dev_fingerprint: str
    prod_fingerprint: str
    layouts: tuple[Layout, ...]
    written: Written | None
    round_trips: dict[str, int]
    #: What the prod role may do beyond what refsync needs (warned about, never refused).
    privilege_warnings: tuple[str, ...] = ()
    #: `canonical`'s operations as the digest encoded them, for the plan file to reuse.
    canonical_operations: tuple[str, ...] = ()
    #: The only tables this run may write (INSERT, UPDATE), as the config names them.
    writable: tuple[str, ...] = ()
    #: User triggers on those tables that an apply's INSERT or UPDATE fires.
    triggers: tuple[str, ...] = ()
    #: Privileges an apply of this plan needs that the prod role lacks (dry-run only: an
    #: apply refuses instead), with the GRANT script that fixes them.
    missing: Missing | None = None


def _base_policy(config: Config) -> guard.Policy:
    readable = frozenset({*(t.relation for t in config.tables), config.fingerprint.relation})
    return guard.Policy(readable=readable, column_readable={})


def _full_policy(config: Config, catalog: Catalog, *, writable: bool) -> guard.Policy:
    columns: dict[tuple[str, str], set[str]] = {}
    for referrers in catalog.referrers.values():
        for r in referrers:
            columns.setdefault(r.relation, set()).add(r.column)
    refs = frozenset(t.relation for t in config.tables)
    return guard.Policy(
        readable=_base_policy(config).readable,
        column_readable={k: frozenset(v) for k, v in columns.items()},
        writable=refs if writable else frozenset(),
        immutable={r: frozenset(catalog.tables[r].primary_key) for r in refs},
        with_children=frozenset(
            r.relation for found in catalog.referrers.values() for r in found if r.with_children
        ),
        key_types=frozenset((k.type_schema, k.type_name) for k in catalog.key_equality.values()),
        key_operators=frozenset(
            (k.operator_schema, k.operator) for k in catalog.key_equality.values()
        ),
    )


def run(
    *,
    config: Config,
    dev_url: str,
    prod_url: str,
    apply: bool,
    approved_digest: str | None,
    secrets: Sequence[str],
    log: Log,
    timeouts: Timeouts | None = None,
) -> Outcome:
    timeouts = timeouts or Timeouts()
    base = _base_policy(config)
    dev = Database.connect(dev_url, "dev", base, read_only=True, timeouts=timeouts, secrets=secrets)
    try:
        prod = Database.connect(
            prod_url, "prod", base, read_only=not apply, timeouts=timeouts, secrets=secrets
        )
        try:
            return _run(
                config=config,
                dev=dev,
                prod=prod,
                apply=apply,
                approved_digest=approved_digest,
                log=log,
            )
        finally:
            prod.rollback()
            prod.close()
    finally:
        dev.rollback()
        dev.close()


def _preflight(
    config: Config,
    layouts: Sequence[Layout],
    prod_cat: Catalog,
    *,
    dev: Database,
    dev_id: Identity,
    prod: Database,
    prod_id: Identity,
    apply: bool,
) -> Missing:
    """Check every privilege the run will need, on both sides, before reading a row: refuse
    (listing all of them, with the GRANT script) when reading could not succeed or when an
    apply could not write; otherwise return what an apply would lack, for the plan."""
    fp = config.fingerprint
    fp_needs: list[Need] = [
        (*fp.relation, c, "SELECT") for c in (fp.id_column, fp.environment_column)
    ] + [(*fp.relation, fp.fingerprint_column, "SELECT"), (fp.relation[0], "", "", "USAGE")]
    dev_needs = list(fp_needs)
    prod_needs = list(fp_needs)
    defaults_of: dict[tuple[str, str], set[str]] = {}
    for layout in layouts:
        schema, name = layout.relation
        inserted = {*layout.insert, *layout.touch} | (
            {layout.pk} if not layout.pk_from_prod else set()
        )
        dev_needs += [(schema, "", "", "USAGE")]
        dev_needs += [(schema, name, c, "SELECT") for c in layout.dev_read]
        prod_needs += [(schema, "", "", "USAGE")]
        prod_needs += [(schema, name, c, "SELECT") for c in layout.prod_read]
        prod_needs += [(schema, name, c, "INSERT") for c in sorted(inserted)]
        prod_needs += [(schema, name, c, "UPDATE") for c in (*layout.compare, *layout.touch)]
        prod_needs += [
            (*r.relation, r.column, "SELECT") for r in prod_cat.referrers[layout.relation]
        ] + [(r.relation[0], "", "", "USAGE") for r in prod_cat.referrers[layout.relation]]
        defaults_of[layout.relation] = set(prod_cat.tables[layout.relation].columns) - inserted
    lacking = [
        missing_privileges(dev, dev_id.user, dev_needs),
        missing_privileges(prod, prod_id.user, prod_needs, defaults_of),
    ]
    refused = [m for m in lacking if m.blocks_reading or (apply and m.side == "prod" and m)]
    if refused:
        raise SafetyError(
            "the database roles lack privileges this run needs:\n"
            + "\n".join(f"  {m.side} role `{m.role}`: {line}" for m in refused for line in m.lines),
            fix="run this as the tables' owner (each block on its own database), then "
            "re-run:\n" + "\n".join(f"-- on {m.side}\n" + "\n".join(m.script) for m in refused),
        )
    return lacking[1]


def _read_both(
    dev: Database, prod: Database, layouts: Sequence[Layout], log: Log
) -> tuple[dict[str, list[Row]], dict[str, list[Row]]]:
    """Read dev in a worker thread while this thread reads prod: each side's server time and
    row building overlap the other's. Only this thread receives SIGTERM, so it never blocks
    without a timeout; if it is interrupted it cancels the dev statement too."""
    dev_rows: dict[str, list[Row]] = {}
    failed: list[BaseException] = []
    lock = threading.Lock()
    stop = threading.Event()

    def locked_log(message: str) -> None:
        with lock:  # both threads log: one line at a time
            log(message)

    def read_dev() -> None:
        try:
            dev_rows.update(_read_all(dev, layouts, locked_log, stop))
        except BaseException as exc:  # noqa: BLE001 - re-raised in the main thread
            failed.append(exc)

    locked_log(f"reading {len(layouts)} tables from dev and prod")
    worker = threading.Thread(target=read_dev, name="refsync-read-dev", daemon=True)
    worker.start()
    try:
        prod_rows = _read_all(prod, layouts, locked_log)
        while worker.is_alive():
            worker.join(0.05)
    except BaseException:
        # The worker starts no further read, and the one it is in (or was just starting
        # when the first cancel found nothing to cancel) is cancelled.
        stop.set()
        dev.cancel()
        worker.join(0.2)
        dev.cancel()
        worker.join(10.0)
        raise
    if failed:
        raise failed[0]
    return dev_rows, prod_rows


def _read_all(
    db: Database,
    layouts: Sequence[Layout],
    log: Log,
    stop: threading.Event | None = None,
) -> dict[str, list[Row]]:
    """One SELECT per table: the columns this side needs, nothing else. Returns early (with
    what it has) once `stop` is set: the caller is leaving with an error of its own."""
    out = {}
    for layout in layouts:
        if stop is not None and stop.is_set():
            break
        start = time.perf_counter()

        def progress(rows: int, seconds: float, name: str = layout.name) -> None:
            log(f"read {db.side} {name}: {rows:,} rows so far ({seconds:.1f}s)")

        out[layout.name] = read_rows(db, layout, progress)
        log(
            f"read {db.side} {layout.name}: {len(out[layout.name]):,} rows "
            f"in {time.perf_counter() - start:.2f}s"
        )
    return out


def _run(
    *,
    config: Config,
    dev: Database,
    prod: Database,
    apply: bool,
    approved_digest: str | None,
    log: Log,
) -> Outcome:
    dev_id = identity(dev, *dev.endpoint)
    prod_id = identity(prod, *prod.endpoint)
    dev_fp = fingerprint(dev, config.fingerprint)
    prod_fp = fingerprint(prod, config.fingerprint)
    check_distinct(dev_id, prod_id, dev_fp, prod_fp)
    log(f"fingerprints verified: dev {dev_id.display()}, prod {prod_id.display()}")
    privilege_warnings = excess_privileges(prod, [t.relation for t in config.tables])

    dev_cat = read_catalog(dev, config)
    prod_cat = read_catalog(prod, config)
    layouts = build_layouts(config, dev_cat, prod_cat)
    prod.policy = _full_policy(config, prod_cat, writable=apply)
    missing = _preflight(
        config, layouts, prod_cat, dev=dev, dev_id=dev_id, prod=prod, prod_id=prod_id, apply=apply
    )

    dev_pk = {layout.name: dev_cat.tables[layout.relation].primary_key[0] for layout in layouts}
    prod_identity = {
        "fingerprint": prod_fp,
        "system_identifier": prod_id.system_identifier,
    }
    written = None
    if apply:
        [(got,)] = prod.execute(
            sql.SQL("SELECT pg_try_advisory_xact_lock(%s)"), [ADVISORY_LOCK_KEY]
        )
        if not got:
            raise SafetyError(
                "another refsync apply holds the advisory lock on prod "
                f"(pg_try_advisory_xact_lock({ADVISORY_LOCK_KEY})); refusing to run concurrently",
                fix="wait for the other apply to finish, then re-run the plan and apply",
            )
    dev_rows, prod_rows = _read_both(dev, prod, layouts, log)
    dev.rollback()  # the dev snapshot is complete; release it
    log(
        f"planning: {sum(map(len, dev_rows.values())):,} dev rows against "
        f"{sum(map(len, prod_rows.values())):,} prod rows"
    )
    start = time.perf_counter()
    plan = diff(layouts, dev_rows, prod_rows, dev_pk)
    if apply:
        # Lock what will be updated, then re-read it under the lock: READ COMMITTED makes the
        # next statements (the protection check included) see everything committed before.
        moved = False
        locked: dict[str, set[Any]] = {}
        for layout, table in zip(layouts, plan.tables, strict=True):
            locked[layout.name] = {u.pk for u in table.updates}
            if table.updates:
                pk_i = layout.prod_read.index(layout.pk)
                fresh = {r[pk_i]: r for r in lock_rows(prod, layout, [u.pk for u in table.updates])}
                before = [u.prod_row for u in table.updates]
                after = [fresh.get(u.pk, u.prod_row) for u in table.updates]
                # repr, not ==: 10.0 == 10.00, but the digest shows the value prod holds now.
                if repr(after) != repr(before):
                    moved = True
                    prod_rows[layout.name] = [fresh.get(r[pk_i], r) for r in prod_rows[layout.name]]
        if moved:
            # The plan is a pure function of the rows: only a row that changed since it was
            # read can change it, so an unchanged prod needs no second diff.
            plan = diff(layouts, dev_rows, prod_rows, dev_pk)
            unlocked = [
                u.key
                for table in plan.tables
                for u in table.updates
                if u.pk not in locked[table.name]
            ]
            if unlocked:
                raise SafetyError(
                    "prod changed while apply was taking its row locks: the plan now updates "
                    f"rows it did not lock ({', '.join(map(str, unlocked[:5]))})",
                    fix="re-run the plan job, review the new plan, and approve that one",
                )
    candidates = {t.name: [u.pk for u in t.updates] for t in plan.tables}
    plan = protect(plan, referenced(prod, prod_cat, config, candidates))
    form = canonical(plan, config.canonical(), prod_identity, [t.label for t in prod_cat.triggers])
    operations = operation_texts(form)
    plan_digest = digest(form, operations)
    totals = plan.totals
    log(
        f"planned in {time.perf_counter() - start:.2f}s: {totals['create']:,} to create, "
        f"{totals['update']:,} to update, {totals['skip']:,} skipped, "
        f"{totals['unchanged']:,} unchanged"
    )

    if apply:
        if approved_digest != plan_digest:
            raise SafetyError(
                f"the plan computed now (digest {plan_digest}) is not the approved plan "
                f"(digest {approved_digest}); dev or prod changed since it was reviewed",
                fix="re-run the plan job, review the new plan, and approve that one",
            )
        if plan.has_changes:
            log(
                f"writing {totals['create']:,} inserts and {totals['update']:,} updates "
                "in one transaction"
            )
            start = time.perf_counter()
            with prod.transaction():
                written = write(prod, layouts, plan, prod_rows)
            log(
                f"applied in {time.perf_counter() - start:.2f}s: {written.inserted} inserted, "
                f"{written.updated} updated"
            )
        else:
            written = Written(0, 0)
    return Outcome(
        mode="apply" if apply else "dry-run",
        plan=plan,
        digest=plan_digest,
        canonical=form,
        dev=dev_id,
        prod=prod_id,
        dev_fingerprint=dev_fp,
        prod_fingerprint=prod_fp,
        layouts=tuple(layouts),
        written=written,
        round_trips={"dev": dev.round_trips, "prod": prod.round_trips},
        privilege_warnings=privilege_warnings,
        canonical_operations=tuple(operations),
        writable=tuple(t.label for t in config.tables),
        missing=missing if missing else None,
        triggers=tuple(t.label for t in prod_cat.triggers),
    )
