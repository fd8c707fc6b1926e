"""From zero to a correct apply in one try, on a schema of our own with serial ids, a
category tree, keys scoped by a parent and an int[] reference (the scenario
`scoped_keys_serial_tree`), run through the real entrypoint under the least-privilege role
with two sequence grants missing: one dry-run lists both with the script that fixes them;
after the script one apply is correct; the next dry-run has nothing to do."""

from __future__ import annotations

import json
from pathlib import Path

from devtools.runner import RunResult
from tests.fixtures.pg import DbPair
from tests.fixtures.safety import apply, plan, with_config
from tests.fixtures.scenarios import SCENARIOS_DIR, load_sql

SCENARIO = SCENARIOS_DIR / "scoped_keys_serial_tree"


def _run(dbpair: DbPair, workdir: Path, digest: str | None = None) -> RunResult:
    config = with_config(SCENARIO / "config.yml")
    if digest is None:
        return plan(dbpair, workdir, extra=config)
    return apply(dbpair, workdir, digest, extra=config)


def test_missing_grants_then_one_correct_apply(dbpair: DbPair, tmp_path: Path) -> None:
    """Both missing sequence grants are named by the first dry-run; the script fixes them;
    the apply writes exactly the golden plan; the second dry-run is empty."""
    load_sql(dbpair, SCENARIO)
    prod = dbpair.admin("prod")
    prod.execute(
        f"REVOKE USAGE ON SEQUENCE provider_types_id_seq, offerings_id_seq FROM {dbpair.prod_role}"
    )
    role = f'"{dbpair.prod_role}"'
    planned = _run(dbpair, tmp_path / "plan")
    assert planned.returncode == 0, planned.stdout + planned.stderr
    assert planned.plan is not None
    script = planned.plan["missing_privileges"]["grant_script"]
    assert script == [
        f'GRANT USAGE ON SEQUENCE "public"."offerings_id_seq" TO {role};',
        f'GRANT USAGE ON SEQUENCE "public"."provider_types_id_seq" TO {role};',
    ]
    assert all(line in planned.summary for line in script)

    prod.execute("\n".join(script))
    applied = _run(dbpair, tmp_path / "apply", planned.outputs["plan-digest"])
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert (applied.outputs["creates"], applied.outputs["updates"]) == ("4", "2")
    expected = json.loads((SCENARIO / "expected.json").read_text())
    for query, rows in expected["after_apply"]:
        assert [list(r) for r in prod.execute(query).fetchall()] == rows, query

    again = _run(dbpair, tmp_path / "again")
    assert again.returncode == 0, again.stdout + again.stderr
    assert again.outputs["has-changes"] == "false"
    assert again.outputs["skips"] == "2"
