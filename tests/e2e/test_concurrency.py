"""Two applies against one prod: the advisory lock lets exactly one of them write, the other
refuses at once, and no key is ever created twice."""

from __future__ import annotations

from pathlib import Path

import psycopg

from devtools import seed
from tests.fixtures.db import duplicate_keys
from tests.fixtures.faults import apply, background_apply, dry_run, wait_until_blocked
from tests.fixtures.pg import DbPair

#: Longer than every safety net, so the first apply waits until the test releases it.
WAIT_FOR_TEST = {"REFSYNC_LOCK_TIMEOUT_MS": "300000"}


def test_second_apply_refuses_while_first_holds_the_lock(dbpair: DbPair, tmp_path: Path) -> None:
    """While one apply is inside its transaction a second one exits 1 at once naming the advisory
    lock, and the first then completes without creating any key twice."""
    seed.seed_demo(dbpair.admin("dev"), dbpair.admin("prod"))
    planned = dry_run(dbpair, tmp_path / "plan")
    assert planned.plan is not None
    assert duplicate_keys(dbpair.admin("prod")) == []
    services = next(t for t in planned.plan["tables"] if t["table"] == "services")
    target = services["updates"][0]["id"]
    digest = planned.outputs["plan-digest"]
    with psycopg.connect(dbpair.prod_admin_url) as holder:
        # The first apply takes the advisory lock, then waits on this row lock.
        holder.execute("SELECT 1 FROM services WHERE id = %s FOR UPDATE", [target])
        with background_apply(dbpair, tmp_path / "first", digest, **WAIT_FOR_TEST) as first:
            wait_until_blocked(dbpair.admin("prod"), "refsync-prod")
            second = apply(dbpair, tmp_path / "second", digest, **WAIT_FOR_TEST)
            holder.rollback()
            done = first.finish()
    assert second.returncode == 1, second.stderr + second.stdout
    assert "advisory lock" in second.stderr
    assert "pg_try_advisory_xact_lock" in second.stderr
    assert done.returncode == 0, done.stderr + done.stdout
    assert done.outputs["creates"] == planned.outputs["creates"]
    assert duplicate_keys(dbpair.admin("prod")) == []
    assert dry_run(dbpair, tmp_path / "after").outputs["has-changes"] == "false"


def test_simultaneous_applies_write_once(dbpair: DbPair, tmp_path: Path) -> None:
    """Two applies of one approved plan started together end with exactly one success and one
    refusal (exit 1), and no key in prod twice."""
    seed.seed_demo(dbpair.admin("dev"), dbpair.admin("prod"))
    planned = dry_run(dbpair, tmp_path / "plan")
    digest = planned.outputs["plan-digest"]
    with (
        background_apply(dbpair, tmp_path / "a", digest) as a,
        background_apply(dbpair, tmp_path / "b", digest) as b,
    ):
        results = [a.finish(), b.finish()]
    codes = sorted(r.returncode for r in results)
    assert codes == [0, 1], [r.stderr for r in results]
    loser = next(r for r in results if r.returncode == 1)
    # Either it met the lock, or it came after the winner and found the plan already applied.
    assert "advisory lock" in loser.stderr or "is not the approved plan" in loser.stderr
    assert duplicate_keys(dbpair.admin("prod")) == []
    assert dry_run(dbpair, tmp_path / "after").outputs["has-changes"] == "false"
