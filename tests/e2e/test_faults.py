"""Faults against real servers and real processes: a dead prod connection, a killed or
cancelled job, a lock held by someone else, a server that cannot be reached. Each one must
end with exit 3, a message naming the side, prod exactly as it was, and a re-run that
applies the full plan."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
import pytest

from devtools import seed
from devtools.runner import RunResult, run_entrypoint, runner_env
from refsync import concurrent_read, engine, policies
from refsync.catalog import read_catalog
from refsync.config_file import load_config
from refsync.db import Database
from refsync.layouts import build_layouts
from refsync.main import TerminatedError
from refsync.session import Timeouts
from tests.fixtures.db import table_checksums
from tests.fixtures.faults import (
    Background,
    CuttingProxy,
    apply,
    background_apply,
    closed_port,
    dry_run,
    plan_inputs,
    wait_until_blocked,
    wait_until_gone,
)
from tests.fixtures.pg import DbPair

#: Longer than every safety net, so an apply waits on the test's lock until the test acts.
WAIT_FOR_TEST = {"REFSYNC_LOCK_TIMEOUT_MS": "300000"}


def _seeded_plan(dbpair: DbPair, tmp_path: Path) -> RunResult:
    seed.seed_demo(dbpair.admin("dev"), dbpair.admin("prod"))
    return dry_run(dbpair, tmp_path / "plan")


def _digest(planned: RunResult) -> str:
    return planned.outputs["plan-digest"]


def _services(plan: dict[str, Any]) -> dict[str, Any]:
    return next(t for t in plan["tables"] if t["table"] == "services")


@contextmanager
def _insert_conflict(dbpair: DbPair, plan: dict[str, Any]) -> Iterator[None]:
    """An open transaction inserting a service with the id of one the plan creates: apply's
    INSERT waits on it after the category UPDATE has already run in apply's transaction."""
    service_id = _services(plan)["creates"][0]["values"]["id"]
    with psycopg.connect(dbpair.prod_admin_url) as conn:
        conn.execute(
            """INSERT INTO services (id, name, price, "categoryId", "updatedAt")
               SELECT %s, 'held by the test', 1, id, now() FROM service_categories
               WHERE name = 'Seasonal Offers'""",
            [service_id],
        )
        try:
            yield
        finally:
            conn.rollback()


def _assert_reapplies(dbpair: DbPair, tmp_path: Path, planned: RunResult) -> None:
    """A normal re-run applies the whole reviewed plan and leaves nothing to do."""
    wait_until_gone(dbpair.admin("prod"), "refsync-prod")
    digest = _digest(planned)
    again = apply(dbpair, tmp_path / "reapply", digest)
    assert again.returncode == 0, again.stderr + again.stdout
    assert again.outputs["plan-digest"] == digest
    for count in ("creates", "updates"):
        assert again.outputs[count] == planned.outputs[count]
    assert dry_run(dbpair, tmp_path / "after").outputs["has-changes"] == "false"


def _assert_clean_failure(result: RunResult, side: str, secret: str) -> None:
    assert result.returncode == 3, result.stderr + result.stdout
    assert side in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert secret not in result.stderr + result.summary
    assert all(
        line.startswith("::add-mask::") for line in result.stdout.splitlines() if secret in line
    )


def test_prod_backend_terminated_mid_apply(dbpair: DbPair, tmp_path: Path) -> None:
    """Terminating apply's prod backend after its first write exits 3, changes nothing, and a
    re-run applies the plan."""
    planned = _seeded_plan(dbpair, tmp_path)
    assert planned.plan is not None
    admin = dbpair.admin("prod")
    before = table_checksums(admin)
    with (
        _insert_conflict(dbpair, planned.plan),
        background_apply(dbpair, tmp_path / "apply", _digest(planned), **WAIT_FOR_TEST) as run,
    ):
        pid = wait_until_blocked(admin, "refsync-prod")
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])
        result = run.finish()
    _assert_clean_failure(result, "prod", dbpair.role_password)
    assert table_checksums(admin) == before
    _assert_reapplies(dbpair, tmp_path, planned)


def test_prod_connection_cut_by_proxy_mid_apply(dbpair: DbPair, tmp_path: Path) -> None:
    """A TCP connection cut as apply sends its INSERT (after its UPDATE ran) exits 3 and changes
    nothing."""
    planned = _seeded_plan(dbpair, tmp_path)
    admin = dbpair.admin("prod")
    before = table_checksums(admin)
    with CuttingProxy(dbpair.server.port, cut_at=b"INSERT INTO") as proxy:
        result = apply(
            dbpair,
            tmp_path / "apply",
            _digest(planned),
            prod_url=proxy.url(dbpair.prod_url),
        )
        assert proxy.cuts == 1
    _assert_clean_failure(result, "prod", dbpair.role_password)
    wait_until_gone(admin, "refsync-prod")
    assert table_checksums(admin) == before
    _assert_reapplies(dbpair, tmp_path, planned)


def test_sigkill_mid_apply_leaves_prod_unchanged(dbpair: DbPair, tmp_path: Path) -> None:
    """SIGKILL while apply is inside its transaction leaves prod unchanged, and a re-run applies
    the plan."""
    planned = _seeded_plan(dbpair, tmp_path)
    assert planned.plan is not None
    admin = dbpair.admin("prod")
    before = table_checksums(admin)
    with (
        _insert_conflict(dbpair, planned.plan),
        background_apply(dbpair, tmp_path / "apply", _digest(planned), **WAIT_FOR_TEST) as run,
    ):
        wait_until_blocked(admin, "refsync-prod")
        run.signal(signal.SIGKILL)
        assert run.finish().returncode == -signal.SIGKILL
        assert table_checksums(admin) == before
    wait_until_gone(admin, "refsync-prod")
    assert table_checksums(admin) == before
    _assert_reapplies(dbpair, tmp_path, planned)


def test_sigterm_mid_apply_rolls_back(dbpair: DbPair, tmp_path: Path) -> None:
    """SIGTERM (job cancelled) mid-apply exits 3 after ending its prod transaction server-side,
    writing nothing."""
    planned = _seeded_plan(dbpair, tmp_path)
    assert planned.plan is not None
    admin = dbpair.admin("prod")
    before = table_checksums(admin)
    with (
        _insert_conflict(dbpair, planned.plan),
        background_apply(dbpair, tmp_path / "apply", _digest(planned), **WAIT_FOR_TEST) as run,
    ):
        wait_until_blocked(admin, "refsync-prod")
        run.signal(signal.SIGTERM)
        result = run.finish()
        # Rolled back while the test still holds its lock: nothing of apply lingers on prod.
        wait_until_gone(admin, "refsync-prod")
    assert result.returncode == 3, result.stderr + result.stdout
    assert "SIGTERM" in result.stderr
    assert "Traceback" not in result.stderr
    assert table_checksums(admin) == before
    _assert_reapplies(dbpair, tmp_path, planned)


def test_sigterm_during_the_protection_check_cancels_it(dbpair: DbPair, tmp_path: Path) -> None:
    """SIGTERM while apply's protection check waits on a lock on a business table cancels it
    at once (the session is gone while the test still holds the lock), exits 3 and writes
    nothing; a re-run applies the plan."""
    planned = _seeded_plan(dbpair, tmp_path)
    admin = dbpair.admin("prod")
    before = table_checksums(admin)
    with psycopg.connect(dbpair.prod_admin_url) as holder:
        holder.execute("LOCK TABLE bookings IN ACCESS EXCLUSIVE MODE")
        with background_apply(dbpair, tmp_path / "apply", _digest(planned), **WAIT_FOR_TEST) as run:
            pid = wait_until_blocked(admin, "refsync-prod")
            [(query,)] = admin.execute(
                "SELECT query FROM pg_stat_activity WHERE pid = %s", [pid]
            ).fetchall()
            assert "bookings" in query
            assert "FOR UPDATE" not in query
            run.signal(signal.SIGTERM)
            result = run.finish()
            wait_until_gone(admin, "refsync-prod")
        holder.rollback()
    assert result.returncode == 3, result.stderr + result.stdout
    assert "SIGTERM" in result.stderr
    assert "Traceback" not in result.stderr
    assert table_checksums(admin) == before
    _assert_reapplies(dbpair, tmp_path, planned)


def test_row_lock_held_elsewhere_times_out(dbpair: DbPair, tmp_path: Path) -> None:
    """A row lock held by another session on a service to update makes lock_timeout fire: exit 3
    naming the table, nothing written."""
    planned = _seeded_plan(dbpair, tmp_path)
    assert planned.plan is not None
    target = _services(planned.plan)["updates"][0]["id"]
    admin = dbpair.admin("prod")
    before = table_checksums(admin)
    with psycopg.connect(dbpair.prod_admin_url) as holder:
        holder.execute("SELECT 1 FROM services WHERE id = %s FOR UPDATE", [target])
        result = apply(
            dbpair,
            tmp_path / "apply",
            _digest(planned),
            REFSYNC_LOCK_TIMEOUT_MS="200",
        )
        holder.rollback()
    assert result.returncode == 3, result.stderr + result.stdout
    assert "lock_timeout" in result.stderr
    assert "`services`" in result.stderr
    assert "Traceback" not in result.stderr
    assert table_checksums(admin) == before
    _assert_reapplies(dbpair, tmp_path, planned)


def _url_variant(dbpair: DbPair, side: str, fault: str) -> tuple[str, str]:
    """The ``side`` URL broken by ``fault``, and the secret that must never be printed."""
    url = dbpair.dev_url if side == "dev" else dbpair.prod_url
    port = f":{dbpair.server.port}/"
    if fault == "closed-port":
        return url.replace(port, f":{closed_port()}/"), dbpair.role_password
    if fault == "wrong-password":
        wrong = "Wr0ng-pa55word-for-test"
        return url.replace(f":{dbpair.role_password}@", f":{wrong}@"), wrong
    assert fault == "tls-required"
    return url + "?sslmode=require", dbpair.role_password


@pytest.mark.parametrize(
    ("side", "fault"),
    [
        ("dev", "closed-port"),
        ("prod", "closed-port"),
        ("dev", "wrong-password"),
        ("prod", "wrong-password"),
        ("prod", "tls-required"),
    ],
)
def test_cannot_connect(dbpair: DbPair, tmp_path: Path, side: str, fault: str) -> None:
    """An unreachable server, a wrong password or TLS the server lacks exits 3 naming the side,
    with no traceback or password."""
    url, secret = _url_variant(dbpair, side, fault)
    before = table_checksums(dbpair.admin("prod"))
    result = run_entrypoint(tmp_path, plan_inputs(dbpair, **{f"{side}-database-url": url}))
    _assert_clean_failure(result, f"cannot connect to the {side} database", secret)
    assert table_checksums(dbpair.admin("prod")) == before


def test_dev_backend_terminated_during_plan(dbpair: DbPair, tmp_path: Path) -> None:
    """The dev server dropping the session mid-plan (what a restart does) exits 3 naming dev,
    with no traceback."""
    seed.seed_demo(dbpair.admin("dev"), dbpair.admin("prod"))
    admin = dbpair.admin("dev")
    with psycopg.connect(dbpair.dev_admin_url) as holder:
        holder.execute("LOCK TABLE services IN ACCESS EXCLUSIVE MODE")
        env = runner_env(tmp_path, plan_inputs(dbpair), WAIT_FOR_TEST)
        run = Background(tmp_path, env)
        try:
            pid = wait_until_blocked(admin, "refsync-dev")
            admin.execute("SELECT pg_terminate_backend(%s)", [pid])
            result = run.finish()
        finally:
            run.kill()
        holder.rollback()
    _assert_clean_failure(result, "dev database", dbpair.role_password)
    assert "terminating connection" in result.stderr


def test_interrupted_streamed_read_releases_the_connection(dbpair: DbPair) -> None:
    """SIGTERM's exception raised while a long prod read logs its progress (the read still
    streaming) ends the run with that error at once: the suspended stream is closed, so the
    connection's lock is released and the rollback cannot hang; no refsync session stays."""
    seed.seed_scale(dbpair.admin("dev"), dbpair.admin("prod"), 12_000)

    def log(message: str) -> None:
        if message.startswith("read prod services:") and "so far" in message:
            raise TerminatedError("received SIGTERM (job cancelled)")

    outcome: list[BaseException | engine.Outcome] = []

    def run() -> None:
        try:
            outcome.append(
                engine.run(
                    config=load_config(None),
                    dev_url=dbpair.dev_url,
                    prod_url=dbpair.prod_url,
                    apply=False,
                    approved_digest=None,
                    secrets=(),
                    log=log,
                    timeouts=Timeouts(progress_ms=1),
                )
            )
        except BaseException as exc:  # noqa: BLE001 - the test inspects it
            outcome.append(exc)

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(30)
    assert not worker.is_alive(), "the run hung after the interrupted read"
    [raised] = outcome
    assert isinstance(raised, TerminatedError)
    sessions = (
        dbpair.admin("prod")
        .execute("SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE 'refsync-%'")
        .fetchone()
    )
    assert sessions == (0,)


def test_a_stopped_reader_starts_no_further_read(dbpair: DbPair) -> None:
    """Once the main thread is leaving with an error (SIGTERM), the dev reader thread starts
    no further table read: a read begun after the cancel could not be cancelled, and the
    rollback would wait for it."""
    seed.seed_demo(dbpair.admin("dev"), dbpair.admin("prod"))
    config = load_config(None)
    policy = policies.base_policy(config)
    db = Database.connect(dbpair.dev_url, "dev", policy, read_only=True, timeouts=Timeouts())
    try:
        catalog = read_catalog(db, config)
        layouts = build_layouts(config, catalog, catalog)
        before = db.round_trips
        stop = threading.Event()
        stop.set()
        assert concurrent_read._read_all(db, layouts, lambda _: None, stop) == {}
        assert db.round_trips == before
        stop.clear()
        assert set(concurrent_read._read_all(db, layouts, lambda _: None, stop)) == {
            "service_categories",
            "services",
        }
    finally:
        db.close()
