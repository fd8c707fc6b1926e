"""The statements the server sees for a plan and an apply do not grow with the catalog: the
same count at 100 and at 1,000 services (SPEC §5 "Speed", issue 6)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from devtools import seed
from devtools.fake_github import FakeGitHub
from devtools.pgserver import StatementLog
from devtools.runner import run_entrypoint
from tests.fixtures.pg import DbPair

SIZES = (100, 1000)


def _reset_and_seed(dbpair: DbPair, services: int) -> dict[str, int]:
    for side in ("dev", "prod"):
        # Test setup as superuser: clear what the previous size left, children first.
        dbpair.admin(side).execute(
            'DELETE FROM "bookings"; DELETE FROM "users"; DELETE FROM "services"; '
            'DELETE FROM "service_categories"'
        )
    counts = seed.seed_scale(
        dbpair.admin("dev"), dbpair.admin("prod"), services, changed=0.1, protected=0.06
    )
    # Each kind of write must occur at every size, or a missing statement would hide a
    # per-row one.
    assert counts["new"] > 0
    assert counts["changed"] > counts["protected_changed"]
    return counts


def _statements(log: StatementLog, mark: int, dbname: str) -> list[str]:
    return [e.message for e in log.since(mark, dbname) if e.kind == "statement"]


def _run(
    dbpair: DbPair, log: StatementLog, workdir: Path, services: int
) -> dict[str, dict[str, list[str]]]:
    """Statements per mode and side for a plan and then an apply at ``services`` rows."""
    _reset_and_seed(dbpair, services)
    inputs = {"dev-database-url": dbpair.dev_url, "prod-database-url": dbpair.prod_url}
    out: dict[str, dict[str, list[str]]] = {}

    mark = log.mark()
    planned = run_entrypoint(workdir / f"plan-{services}", inputs)
    assert planned.returncode == 0, planned.stderr
    out["plan"] = {side: _statements(log, mark, dbpair.db(side)) for side in ("dev", "prod")}

    mark = log.mark()
    with FakeGitHub(scenario="approved", approvers=("alice",)) as gh:
        applied = run_entrypoint(
            workdir / f"apply-{services}",
            {**inputs, "mode": "apply", "approved-plan-digest": planned.outputs["plan-digest"]},
            extra=gh.environ(),
        )
    assert applied.returncode == 0, applied.stderr + applied.stdout
    assert int(applied.outputs["creates"]) > 0
    assert int(applied.outputs["updates"]) > 0
    out["apply"] = {side: _statements(log, mark, dbpair.db(side)) for side in ("dev", "prod")}
    return out


def test_statement_count_does_not_grow_with_rows(
    dbpair: DbPair, statement_log: StatementLog, tmp_path: Path
) -> None:
    """A plan and an apply send the same number of statements to each side at 100 and 1,000 rows."""
    small, large = (_run(dbpair, statement_log, tmp_path, n) for n in SIZES)
    for mode in ("plan", "apply"):
        for side in ("dev", "prod"):
            assert small[mode][side], f"{mode}: the server logged nothing for {side}"
            assert len(small[mode][side]) == len(large[mode][side]), (mode, side)


def test_no_statement_is_sent_per_row(
    dbpair: DbPair, statement_log: StatementLog, tmp_path: Path
) -> None:
    """At 1,000 services no statement text repeats and each side sees fewer than 100."""
    large = _run(dbpair, statement_log, tmp_path, SIZES[1])
    for mode, sides in large.items():
        for side, statements in sides.items():
            assert len(statements) < SIZES[0], (mode, side, len(statements))
            # Transaction control repeats by nature; every other statement is sent once.
            repeated = {
                text: n
                for text, n in Counter(statements).items()
                if n > 1
                and text.strip().upper() not in {"BEGIN", "COMMIT", "ROLLBACK"}
                and not text.upper().startswith(("BEGIN ", "SET ", "SHOW "))
            }
            assert not repeated, (mode, side, repeated)
