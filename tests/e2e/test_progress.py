"""Long runs say what they are doing (issue 6): each stage starts with a log line, and a long
read reports its rows so far while it streams, from both sides."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from psycopg import sql

from devtools import seed
from devtools.fake_github import FakeGitHub
from devtools.runner import run_entrypoint
from refsync import guard
from refsync.db import Database
from refsync.session import Timeouts
from tests.fixtures.pg import DbPair

SERVICES = 12_000


def test_stages_and_read_progress_are_logged(dbpair: DbPair, tmp_path: Path) -> None:
    """With progress every millisecond, every 5,000-row chunk of a services read is reported
    on each side, in order, before the read's total; then planning and writing say so."""
    counts = seed.seed_scale(dbpair.admin("dev"), dbpair.admin("prod"), SERVICES)
    categories = {side: _count(dbpair, side, "service_categories") for side in ("dev", "prod")}
    inputs = {"dev-database-url": dbpair.dev_url, "prod-database-url": dbpair.prod_url}
    progress = {"REFSYNC_PROGRESS_MS": "1"}
    planned = run_entrypoint(tmp_path / "plan", inputs, extra=progress)
    assert planned.returncode == 0, planned.stderr
    lines = planned.stdout.splitlines()
    for side, total in (("dev", SERVICES), ("prod", counts["prod_services"])):
        so_far = [
            int(m.group(1).replace(",", ""))
            for line in lines
            if (m := re.match(rf"read {side} services: ([\d,]+) rows so far \(", line))
        ]
        assert so_far == list(range(5_000, total, 5_000)), (side, so_far)
        done = f"read {side} services: {total:,} rows in "
        assert any(line.startswith(done) for line in lines), (side, lines)
    assert lines.index("reading 2 tables from dev and prod") < min(
        i for i, line in enumerate(lines) if line.startswith("read ")
    )
    assert any(
        line == f"planning: {SERVICES + categories['dev']:,} dev rows against "
        f"{counts['prod_services'] + categories['prod']:,} prod rows"
        for line in lines
    ), lines
    assert any(re.match(r"planned in [\d.]+s: [\d,]+ to create, ", line) for line in lines)

    with FakeGitHub(scenario="approved", approvers=("alice",)) as gh:
        applied = run_entrypoint(
            tmp_path / "apply",
            {**inputs, "mode": "apply", "approved-plan-digest": planned.outputs["plan-digest"]},
            extra=gh.environ(),
        )
    assert applied.returncode == 0, applied.stderr + applied.stdout
    writing = (
        f"writing {int(applied.outputs['creates']):,} inserts and "
        f"{int(applied.outputs['updates']):,} updates in one transaction"
    )
    assert writing in applied.stdout.splitlines()


def test_short_reads_log_no_progress(dbpair: DbPair, tmp_path: Path) -> None:
    """At the default interval a small catalog logs each read once, with no running count."""
    seed.seed_scale(dbpair.admin("dev"), dbpair.admin("prod"), 200)
    inputs = {"dev-database-url": dbpair.dev_url, "prod-database-url": dbpair.prod_url}
    planned = run_entrypoint(tmp_path / "plan", inputs)
    assert planned.returncode == 0, planned.stderr
    assert "rows so far" not in planned.stdout
    assert "read dev services: 200 rows in " in planned.stdout


def _count(dbpair: DbPair, side: str, table: str) -> int:
    row = dbpair.admin(side).execute(f'SELECT count(*) FROM "{table}"').fetchone()
    assert row is not None
    return int(row[0])


def test_without_chunked_rows_the_read_is_one_fetch(
    dbpair: DbPair, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With a libpq older than 17 (no chunked rows) a streamed read falls back to one fetch of
    the whole result: the same rows, no progress lines, still one statement."""
    counts = seed.seed_scale(dbpair.admin("dev"), dbpair.admin("prod"), 12_000)
    policy = guard.Policy(readable=frozenset({("public", "services")}), column_readable={})
    query = sql.SQL('SELECT "id", "name", "price"::text FROM ONLY "public"."services"')
    heard: list[int] = []

    def read() -> list[tuple[object, ...]]:
        db = Database.connect(
            dbpair.prod_url, "prod", policy, read_only=True, timeouts=Timeouts(progress_ms=1)
        )
        try:
            rows = db.execute(query, stream=True, progress=lambda rows, seconds: heard.append(rows))
            # The read is still one statement; the transaction's settings and their
            # read-back (refsync.session.TransactionSettings) come before it.
            assert db.round_trips == 1 + 2
            return rows
        finally:
            db.close()

    streamed = read()
    assert heard  # chunked: a progress call per 5,000-row chunk
    heard.clear()
    monkeypatch.setattr("refsync.db._CHUNKED_LIBPQ", 10**9)
    fetched = read()
    assert heard == []
    assert fetched == streamed
    assert len(fetched) == counts["prod_services"]


def test_without_chunked_rows_a_consumer_still_gets_chunks(
    dbpair: DbPair, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A scan hands each chunk to its consumer and keeps none (`consume`); with a libpq older
    than 17 the one fetch is handed over in chunks of the same size, in one statement."""
    counts = seed.seed_scale(dbpair.admin("dev"), dbpair.admin("prod"), 12_000)
    policy = guard.Policy(readable=frozenset({("public", "services")}), column_readable={})
    query = sql.SQL('SELECT "id" FROM ONLY "public"."services"')

    def chunks() -> list[int]:
        sizes: list[int] = []
        db = Database.connect(dbpair.prod_url, "prod", policy, read_only=True, timeouts=Timeouts())
        try:
            assert (
                db.execute(query, stream=True, consume=lambda rows: sizes.append(len(rows))) == []
            )
            assert db.round_trips == 1 + 2
        finally:
            db.close()
        return [n for n in sizes if n]

    streamed = chunks()
    monkeypatch.setattr("refsync.db._CHUNKED_LIBPQ", 10**9)
    fetched = chunks()
    total = counts["prod_services"]
    assert streamed == fetched == [5_000] * (total // 5_000) + [total % 5_000]
