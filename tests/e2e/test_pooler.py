"""The PgBouncer of the test harness is a production one, and refsync works with it where
it can: the `options` startup parameter is refused (the bug refsync no longer triggers),
and statement pooling, which cannot keep a transaction together, stops the run with the
mode to use instead. The flow through transaction and session pooling is in
tests/e2e/test_deployments.py."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from devtools import seed
from devtools.pgbouncer import PgBouncer
from refsync import guard
from refsync.db import Database
from refsync.session import Timeouts
from tests.fixtures.pg import DbPair
from tests.fixtures.safety import FINGERPRINT, REFERENCE, both_checksums, plan

POLICY = guard.Policy(readable=frozenset({*REFERENCE, FINGERPRINT}), column_readable={})


def test_pgbouncer_refuses_the_options_startup_parameter(
    dbpair: DbPair, pgbouncer: Callable[[str], PgBouncer]
) -> None:
    """PgBouncer refuses a connection that sends `options` (what refsync used to send);
    refsync's own connection through it works and its settings hold in the transaction."""
    url = pgbouncer("transaction").url(dbpair.prod_url)
    with pytest.raises(psycopg.OperationalError, match="unsupported startup parameter: options"):
        psycopg.connect(url, options="-c lock_timeout=5000").close()
    db = Database.connect(url, "prod", POLICY, read_only=True, timeouts=Timeouts(lock_ms=1234))
    try:
        shown = db.execute(
            sql.SQL("SELECT current_setting('lock_timeout'), current_setting('row_security')")
        )
    finally:
        db.close()
    assert shown == [("1234ms", "off")]


def test_statement_pooling_stops_the_run(
    dbpair: DbPair, pgbouncer: Callable[[str], PgBouncer], tmp_path: Path
) -> None:
    """Through PgBouncer in statement mode (no transactions) the run exits 3 naming the mode
    and the one to use, and writes nothing."""
    seed.seed_demo(dbpair.admin("dev"), dbpair.admin("prod"))
    before = both_checksums(dbpair)
    bouncer = pgbouncer("statement")
    result = plan(
        dbpair,
        tmp_path / "plan",
        dev=bouncer.url(dbpair.dev_url),
        prod=bouncer.url(dbpair.prod_url),
    )
    assert result.returncode == 3, result.stdout + result.stderr
    assert "transaction blocks not allowed in statement pooling mode" in result.stderr
    assert "pool_mode = transaction" in result.stderr
    assert both_checksums(dbpair) == before
