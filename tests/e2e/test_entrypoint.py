"""The real entrypoint in a subprocess, with exactly the environment a runner gives a
container step, against real databases: summary, outputs, plan file, apply, re-plan."""

from __future__ import annotations

import io
import re
import signal
from pathlib import Path

from devtools import seed
from devtools.fake_github import FakeGitHub
from devtools.runner import RunResult, run_entrypoint, runner_env
from refsync.engine import Outcome
from refsync.main import main
from refsync.reading import Rows
from tests.fixtures.db import table_checksums
from tests.fixtures.pg import DbPair


def _seeded(dbpair: DbPair) -> None:
    seed.seed_demo(dbpair.admin("dev"), dbpair.admin("prod"))


def _plan(dbpair: DbPair, tmp_path: Path) -> RunResult:
    return run_entrypoint(
        tmp_path / "plan",
        {
            "dev-database-url": dbpair.dev_url,
            "prod-database-url": dbpair.prod_url,
        },
    )


def _apply(dbpair: DbPair, tmp_path: Path, digest: str, scenario: str = "approved") -> RunResult:
    with FakeGitHub(scenario=scenario, approvers=("alice", "bob")) as gh:  # type: ignore[arg-type]
        return run_entrypoint(
            tmp_path / "apply",
            {
                "mode": "apply",
                "dev-database-url": dbpair.dev_url,
                "prod-database-url": dbpair.prod_url,
                "approved-plan-digest": digest,
            },
            extra=gh.environ(),
        )


def test_dry_run_reports_and_writes_nothing(dbpair: DbPair, tmp_path: Path) -> None:
    """A dry-run writes the summary, the outputs and the plan file, and changes no table."""
    _seeded(dbpair)
    before = table_checksums(dbpair.admin("prod"))
    result = _plan(dbpair, tmp_path)
    assert result.returncode == 0, result.stderr
    assert table_checksums(dbpair.admin("prod")) == before

    out = result.outputs
    assert re.fullmatch(r"[0-9a-f]{64}", out["plan-digest"])
    assert out["has-changes"] == "true"
    assert out["applied"] == "false"
    assert result.plan is not None
    assert out["plan-file"] == str(result.plan_path)
    totals = result.plan["totals"]
    assert [out[k] for k in ("creates", "updates", "skips", "unchanged")] == [
        str(totals[k]) for k in ("create", "update", "skip", "unchanged")
    ]
    assert int(out["creates"]) > 0
    assert int(out["updates"]) > 0
    assert int(out["skips"]) > 0
    assert result.plan["digest"] == out["plan-digest"]

    summary = result.summary
    assert "| table | create | update | skip | unchanged | prod only |" in summary
    assert dbpair.prod_fingerprint in summary
    assert dbpair.dev_fingerprint in summary
    assert "in use by bookings.serviceId" in summary
    assert " → " in summary
    assert out["plan-digest"] in summary
    assert "::warning title=refsync skip::" in result.stdout


def test_apply_exactly_the_reviewed_plan_then_nothing_left(dbpair: DbPair, tmp_path: Path) -> None:
    """Apply with an approval writes the plan; the next plan is empty and has the same skips."""
    _seeded(dbpair)
    planned = _plan(dbpair, tmp_path)
    digest = planned.outputs["plan-digest"]
    applied = _apply(dbpair, tmp_path, digest)
    assert applied.returncode == 0, applied.stderr + applied.stdout
    assert applied.outputs["applied"] == "true"
    assert applied.outputs["plan-digest"] == digest
    assert "@alice" in applied.summary
    assert "@bob" in applied.summary

    again = _plan(dbpair, tmp_path)
    assert again.returncode == 0
    assert again.outputs["has-changes"] == "false"
    assert again.outputs["creates"] == again.outputs["updates"] == "0"
    assert again.outputs["skips"] == planned.outputs["skips"]


def test_apply_without_approval_writes_nothing(dbpair: DbPair, tmp_path: Path) -> None:
    """An apply whose run was not approved exits 1 and leaves every table as it was."""
    _seeded(dbpair)
    digest = _plan(dbpair, tmp_path).outputs["plan-digest"]
    before = table_checksums(dbpair.admin("prod"))
    refused = _apply(dbpair, tmp_path, digest, scenario="pending")
    assert refused.returncode == 1
    assert "::error" in refused.stdout
    assert table_checksums(dbpair.admin("prod")) == before


def test_stale_plan_is_refused(dbpair: DbPair, tmp_path: Path) -> None:
    """A change in dev after the plan was reviewed makes apply refuse, writing nothing."""
    _seeded(dbpair)
    digest = _plan(dbpair, tmp_path).outputs["plan-digest"]
    dbpair.admin("dev").execute(
        "UPDATE services SET price = price + 1 WHERE id = (SELECT min(id) FROM services)"
    )
    before = table_checksums(dbpair.admin("prod"))
    refused = _apply(dbpair, tmp_path, digest)
    assert refused.returncode == 1
    assert "is not the approved plan" in refused.stderr
    assert table_checksums(dbpair.admin("prod")) == before


def test_prod_change_after_plan_is_refused(dbpair: DbPair, tmp_path: Path) -> None:
    """A booking created in prod after the plan changes the digest, so apply refuses."""
    _seeded(dbpair)
    planned = _plan(dbpair, tmp_path)
    assert planned.plan is not None
    services = next(t for t in planned.plan["tables"] if t["table"] == "services")
    target = services["updates"][0]["id"]
    prod = dbpair.admin("prod")
    prod.execute(
        """INSERT INTO bookings (id, "serviceId", "userId", "scheduledAt", price, "updatedAt")
           SELECT 'late-booking', %s, id, now(), 1, now() FROM users LIMIT 1""",
        [target],
    )
    before = table_checksums(prod)
    refused = _apply(dbpair, tmp_path, planned.outputs["plan-digest"])
    assert refused.returncode == 1, refused.stdout
    assert table_checksums(prod) == before


def test_secrets_never_printed(dbpair: DbPair, tmp_path: Path) -> None:
    """The role password appears only in ::add-mask:: lines, never in logs, summary or plan."""
    _seeded(dbpair)
    result = _plan(dbpair, tmp_path)
    password = dbpair.role_password
    masked = [line for line in result.stdout.splitlines() if password in line]
    assert masked
    assert all(line.startswith("::add-mask::") for line in masked)
    assert result.stdout.index("::add-mask::") == 0
    assert password not in result.stderr
    assert password not in result.summary
    assert password not in result.plan_path.read_text()


def test_report_failure_after_apply_says_it_was_committed(dbpair: DbPair, tmp_path: Path) -> None:
    """If the plan file cannot be written after a commit, exit 3 says the plan was applied."""
    _seeded(dbpair)
    digest = _plan(dbpair, tmp_path).outputs["plan-digest"]
    with FakeGitHub(scenario="approved") as gh:
        result = run_entrypoint(
            tmp_path / "apply",
            {
                "mode": "apply",
                "dev-database-url": dbpair.dev_url,
                "prod-database-url": dbpair.prod_url,
                "approved-plan-digest": digest,
            },
            extra={**gh.environ(), "GITHUB_WORKSPACE": str(tmp_path / "no-such-dir")},
        )
    assert result.returncode == 3
    assert "was applied and committed, but writing the report failed" in result.stderr
    assert "Traceback" not in result.stderr
    again = _plan(dbpair, tmp_path)
    assert again.outputs["has-changes"] == "false"


def test_skip_annotations_stay_within_what_github_shows(dbpair: DbPair, tmp_path: Path) -> None:
    """GitHub shows 10 warning annotations per step and drops the rest: with dozens of skips
    the plan writes 9 of them and a tenth that counts the others."""
    seed.seed_scale(dbpair.admin("dev"), dbpair.admin("prod"), 1000, changed=0.2, protected=0.1)
    result = _plan(dbpair, tmp_path)
    assert result.returncode == 0, result.stderr
    skips = int(result.outputs["skips"])
    assert skips > 10
    warnings = [line for line in result.stdout.splitlines() if line.startswith("::warning")]
    assert len(warnings) == 10, warnings
    assert all(w.startswith("::warning title=refsync skip::") for w in warnings)
    assert warnings[-1].endswith(
        f"{skips - 9} more rows skipped: see the job summary and the plan file"
    )


def test_main_leaves_the_rows_and_the_outcome_to_retain(dbpair: DbPair, tmp_path: Path) -> None:
    """`main(retain=...)`, as the entrypoint calls it, keeps the rows read and the outcome
    rather than freeing them (the process exits without teardown); the run is the same."""
    _seeded(dbpair)
    inputs = {"dev-database-url": dbpair.dev_url, "prod-database-url": dbpair.prod_url}
    kept: list[object] = []
    out, err = io.StringIO(), io.StringIO()
    handler = signal.getsignal(signal.SIGTERM)
    try:
        assert main(runner_env(tmp_path, inputs), out, err, retain=kept) == 0, err.getvalue()
    finally:
        signal.signal(signal.SIGTERM, handler)
    rows, outcome = kept
    assert isinstance(rows, Rows)
    assert isinstance(outcome, Outcome)
    assert len(rows.dev_rows["services"]) == sum(len(c.services) for c in seed.CATALOGUE)
    assert f"plan digest: {outcome.digest}" in out.getvalue()
    assert outcome.plan.totals == _plan(dbpair, tmp_path).plan["totals"]  # type: ignore[index]
