"""The run, stage by stage: connect (guarded) -> identify -> catalog and layouts ->
privileges (`preflight`) -> read (`concurrent_read`) -> plan, protect, digest -> apply.

Both modes compute the plan the same way. Apply does it again inside the prod transaction,
after taking the advisory lock and locking the rows it will update, and writes only when the
recomputed digest equals the approved one.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from refsync.apply import Written, write
from refsync.catalog import Catalog, read_catalog
from refsync.concurrent_read import Log
from refsync.config import Config
from refsync.db import Database
from refsync.diff import finish, protect
from refsync.digest import OpText, digest, members, plan_texts
from refsync.errors import OperationalError, SafetyError
from refsync.layouts import Layout, build_layouts
from refsync.locks import lock_updates, take_advisory_lock
from refsync.model import Plan, Row
from refsync.policies import base_policy, full_policy
from refsync.prefilter import eligible
from refsync.preflight import check_privileges
from refsync.privileges import Missing, excess_privileges
from refsync.reading import Rows, read
from refsync.session import Timeouts
from refsync.snapshot import Identity, check_distinct, fingerprint, identity, referenced


@dataclass(frozen=True)
class Outcome:
    mode: str
    plan: Plan
    digest: str
    #: The digest's canonical form but its operations (`digest.members`), whose texts are
    #: `canonical_operations`.
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
    #: The canonical form's operations, as the digest hashed them and the plan file writes
    #: them (`digest.plan_texts`).
    canonical_operations: tuple[OpText, ...] = ()
    #: The only tables this run may write (INSERT, UPDATE), as the config names them.
    writable: tuple[str, ...] = ()
    #: User triggers on those tables that an apply's INSERT or UPDATE fires.
    triggers: tuple[str, ...] = ()
    #: Privileges an apply of this plan needs that the prod role lacks (dry-run only: an
    #: apply refuses instead), with the GRANT script that fixes them.
    missing: Missing | None = None


@dataclass(frozen=True)
class _Sides:
    """Who dev and prod are: their server identities and fingerprints, checked distinct."""

    dev: Identity
    prod: Identity
    dev_fingerprint: str
    prod_fingerprint: str


@dataclass(frozen=True)
class _Planned:
    """The plan as a reviewer approves it: protected, in canonical form, and its digest."""

    plan: Plan
    canonical: dict[str, Any]
    #: `canonical`'s operations as the digest encoded them
    operations: list[OpText]
    digest: str


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
    retain: list[object] | None = None,
) -> Outcome:
    """Connect, plan, (apply) write; `retain` keeps the rows read, for a caller that exits."""
    timeouts = timeouts or Timeouts()
    base = base_policy(config)
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
                retain=retain,
            )
        finally:
            prod.rollback()
            prod.close()
    finally:
        dev.rollback()
        dev.close()


def _run(
    *,
    config: Config,
    dev: Database,
    prod: Database,
    apply: bool,
    approved_digest: str | None,
    log: Log,
    retain: list[object] | None = None,
) -> Outcome:
    """The stages in order, each a call; every statement either side receives comes from one."""
    sides = _identify(config, dev, prod, log)
    privilege_warnings = excess_privileges(prod, [t.relation for t in config.tables])
    dev_cat = read_catalog(dev, config)
    prod_cat = read_catalog(prod, config)
    layouts = build_layouts(config, dev_cat, prod_cat)
    prod.policy = full_policy(config, prod_cat, writable=apply)
    missing = check_privileges(
        config,
        layouts,
        prod_cat,
        dev=dev,
        dev_id=sides.dev,
        prod=prod,
        prod_id=sides.prod,
        apply=apply,
    )
    dev_pk = {layout.name: dev_cat.tables[layout.relation].primary_key[0] for layout in layouts}
    if apply:
        take_advisory_lock(prod)
    scanned = eligible(
        layouts, dev_cat, prod_cat, same_encoding=sides.dev.encoding == sides.prod.encoding
    )
    rows = read(
        dev, prod, layouts, dev_pk, identities=(sides.dev, sides.prod), log=log, scanned=scanned
    )
    dev.rollback()  # the dev snapshot is complete; release it
    if retain is not None:
        retain.append(rows)
    prod_rows = rows.prod_rows
    planned = _plan(
        config,
        layouts,
        rows,
        dev_pk=dev_pk,
        prod=prod,
        prod_cat=prod_cat,
        sides=sides,
        apply=apply,
        log=log,
    )
    written = None
    if apply:
        written = _apply(
            prod, layouts, planned, prod_rows, approved_digest=approved_digest, log=log
        )
    return Outcome(
        mode="apply" if apply else "dry-run",
        plan=planned.plan,
        digest=planned.digest,
        canonical=planned.canonical,
        dev=sides.dev,
        prod=sides.prod,
        dev_fingerprint=sides.dev_fingerprint,
        prod_fingerprint=sides.prod_fingerprint,
        layouts=tuple(layouts),
        written=written,
        round_trips={"dev": dev.round_trips, "prod": prod.round_trips},
        privilege_warnings=privilege_warnings,
        canonical_operations=tuple(planned.operations),
        writable=tuple(t.label for t in config.tables),
        missing=missing if missing else None,
        triggers=tuple(t.label for t in prod_cat.triggers),
    )


def _identify(config: Config, dev: Database, prod: Database, log: Log) -> _Sides:
    """Each side's server identity and fingerprint; refuse one database posing as both."""
    dev_id = identity(dev, *dev.endpoint)
    prod_id = identity(prod, *prod.endpoint)
    dev_fp = fingerprint(dev, config.fingerprint)
    prod_fp = fingerprint(prod, config.fingerprint)
    check_distinct(dev_id, prod_id, dev_fp, prod_fp)
    log(f"fingerprints verified: dev {dev_id.display()}, prod {prod_id.display()}")
    return _Sides(dev_id, prod_id, dev_fp, prod_fp)


def _plan(
    config: Config,
    layouts: Sequence[Layout],
    rows: Rows,
    *,
    dev_pk: Mapping[str, str],
    prod: Database,
    prod_cat: Catalog,
    sides: _Sides,
    apply: bool,
    log: Log,
) -> _Planned:
    """Diff the rows; for an apply, lock the rows to update (planning again if they moved);
    skip updates of rows business data points at; put the plan in canonical form and digest
    it. An apply's `rows` end up as locked."""
    unchanged = sum(rows.unchanged.values())
    log(
        f"planning: {sum(map(len, rows.dev_rows.values())) + unchanged:,} dev rows against "
        f"{sum(map(len, rows.prod_rows.values())) + unchanged:,} prod rows"
    )
    start = time.perf_counter()
    prepared, rows.prepared = rows.prepared, None
    if prepared is None:
        raise OperationalError(
            "internal: the rows read were planned twice", fix="this is a bug in refsync"
        )
    plan = finish(prepared, rows.full_dev, rows.full_prod)
    del prepared
    if apply:
        plan = lock_updates(prod, layouts, plan, rows=rows, dev_pk=dev_pk)
    candidates = {t.name: [u.pk for u in t.updates] for t in plan.tables}
    plan = protect(plan, referenced(prod, prod_cat, config, candidates))
    prod_identity = {
        "fingerprint": sides.prod_fingerprint,
        "system_identifier": sides.prod.system_identifier,
    }
    # The form's operations are kept as their texts alone (`Outcome.canonical_operations`).
    form = members(config.canonical(), prod_identity, [t.label for t in prod_cat.triggers])
    operations = plan_texts(plan)
    plan_digest = digest(form, operations)
    totals = plan.totals
    log(
        f"planned in {time.perf_counter() - start:.2f}s: {totals['create']:,} to create, "
        f"{totals['update']:,} to update, {totals['skip']:,} skipped, "
        f"{totals['unchanged']:,} unchanged"
    )
    return _Planned(plan, form, operations, plan_digest)


def _apply(
    prod: Database,
    layouts: Sequence[Layout],
    planned: _Planned,
    prod_rows: Mapping[str, Sequence[Row]],
    *,
    approved_digest: str | None,
    log: Log,
) -> Written:
    """Write the plan in one transaction, only if it is the plan a reviewer approved."""
    if approved_digest != planned.digest:
        raise SafetyError(
            f"the plan computed now (digest {planned.digest}) is not the approved plan "
            f"(digest {approved_digest}); dev or prod changed since it was reviewed",
            fix="re-run the plan job, review the new plan, and approve that one",
        )
    plan = planned.plan
    if not plan.has_changes:
        return Written(0, 0)
    totals = plan.totals
    log(f"writing {totals['create']:,} inserts and {totals['update']:,} updates in one transaction")
    start = time.perf_counter()
    with prod.transaction():
        written = write(prod, layouts, plan, prod_rows)
    log(
        f"applied in {time.perf_counter() - start:.2f}s: {written.inserted} inserted, "
        f"{written.updated} updated"
    )
    return written
