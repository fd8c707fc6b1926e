"""The flow and the refusals behave the same however a runner reaches PostgreSQL: directly,
through a real PgBouncer in transaction and in session mode, and over TLS only (verify-full
with the CA file from the workspace). `python3 tasks.py compat` runs this file against every
major version it can obtain and writes docs/compatibility.md from its results."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import psycopg
from psycopg import sql

from devtools import seed
from devtools.runner import RunResult, run_entrypoint
from tests.fixtures import faults
from tests.fixtures.db import duplicate_keys
from tests.fixtures.deployments import Deployed
from tests.fixtures.safety import both_checksums

REFERRERS = ("bookings", "provider_services", "catalogue_items", "booking_drafts")
#: Longer than every safety net, so the first apply waits until the test releases it.
WAIT_FOR_TEST = {"REFSYNC_LOCK_TIMEOUT_MS": "300000"}


def _planned(deployed: Deployed, tmp_path: Path) -> RunResult:
    seed.seed_demo(deployed.pair.admin("dev"), deployed.pair.admin("prod"))
    return faults.dry_run(deployed.pair, deployed.workspace(tmp_path / "plan"))


def test_flow(
    deployed: Deployed, tmp_path: Path, record_property: Callable[[str, object], None]
) -> None:
    """A dry-run plans changes and writes nothing, the approved apply changes only the
    reference tables, and the plan after it is empty."""
    pair = deployed.pair
    seed.seed_demo(pair.admin("dev"), pair.admin("prod"))
    before = both_checksums(pair)
    planned = faults.dry_run(pair, deployed.workspace(tmp_path / "plan"))
    assert planned.outputs["has-changes"] == "true"
    assert both_checksums(pair) == before
    record_property("dry-run", "pass")

    applied = faults.apply(
        pair, deployed.workspace(tmp_path / "apply"), planned.outputs["plan-digest"]
    )
    assert applied.returncode == 0, applied.stderr + applied.stdout
    assert applied.outputs["applied"] == "true"
    after = both_checksums(pair)
    assert after["dev"] == before["dev"]
    changed = {t for t in after["prod"] if after["prod"][t] != before["prod"][t]}
    assert changed == {"public.services", "public.service_categories"}
    record_property("apply", "pass")

    again = faults.dry_run(pair, deployed.workspace(tmp_path / "again"))
    assert again.outputs["has-changes"] == "false"
    assert again.outputs["creates"] == again.outputs["updates"] == "0"
    record_property("re-plan empty", "pass")


def test_rls_refusal(deployed: Deployed, tmp_path: Path) -> None:
    """Row-level security on the referencing tables makes the plan exit 1 naming it, instead
    of reading through a filter that hides bookings."""
    pair = deployed.pair
    seed.seed_demo(pair.admin("dev"), pair.admin("prod"))
    prod = pair.admin("prod")
    for table in REFERRERS:
        prod.execute(
            sql.SQL("ALTER TABLE {} ENABLE ROW LEVEL SECURITY").format(sql.Identifier(table))
        )
    before = both_checksums(pair)
    result = run_entrypoint(deployed.workspace(tmp_path / "plan"), faults.plan_inputs(pair))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "row-level security" in result.stderr
    assert result.outputs == {}
    assert both_checksums(pair) == before


def test_lock_timeout(deployed: Deployed, tmp_path: Path) -> None:
    """A row lock held by another session makes apply's lock_timeout fire: exit 3 naming
    the table, nothing written."""
    planned = _planned(deployed, tmp_path)
    assert planned.plan is not None
    services = next(t for t in planned.plan["tables"] if t["table"] == "services")
    target = services["updates"][0]["id"]
    pair = deployed.pair
    before = both_checksums(pair)
    with psycopg.connect(pair.prod_admin_url) as holder:
        holder.execute("SELECT 1 FROM services WHERE id = %s FOR UPDATE", [target])
        result = faults.apply(
            pair,
            deployed.workspace(tmp_path / "apply"),
            planned.outputs["plan-digest"],
            REFSYNC_LOCK_TIMEOUT_MS="200",
        )
        holder.rollback()
    assert result.returncode == 3, result.stderr + result.stdout
    assert "lock_timeout" in result.stderr
    assert "`services`" in result.stderr
    assert "Traceback" not in result.stderr
    assert both_checksums(pair) == before


def test_concurrent_apply_refusal(deployed: Deployed, tmp_path: Path) -> None:
    """While one apply is inside its transaction a second exits 1 naming the advisory lock;
    the first then completes, no key is created twice, and the next plan is empty."""
    planned = _planned(deployed, tmp_path)
    assert planned.plan is not None
    services = next(t for t in planned.plan["tables"] if t["table"] == "services")
    target = services["updates"][0]["id"]
    digest = planned.outputs["plan-digest"]
    pair = deployed.pair
    with psycopg.connect(pair.prod_admin_url) as holder:
        holder.execute("SELECT 1 FROM services WHERE id = %s FOR UPDATE", [target])
        first_dir = deployed.workspace(tmp_path / "first")
        with faults.background_apply(pair, first_dir, digest, **WAIT_FOR_TEST) as first:
            faults.wait_until_blocked(pair.admin("prod"), "refsync-prod")
            second = faults.apply(
                pair, deployed.workspace(tmp_path / "second"), digest, **WAIT_FOR_TEST
            )
            holder.rollback()
            done = first.finish()
    assert second.returncode == 1, second.stderr + second.stdout
    assert "advisory lock" in second.stderr
    assert done.returncode == 0, done.stderr + done.stdout
    assert done.outputs["creates"] == planned.outputs["creates"]
    assert duplicate_keys(pair.admin("prod")) == []
    after = faults.dry_run(pair, deployed.workspace(tmp_path / "after"))
    assert after.outputs["has-changes"] == "false"
