"""Golden scenarios for the diff rules: each folder holds dev.sql, prod.sql, expected.json
and optionally config.yml and schema.sql. Each runs against real databases under the
least-privilege roles: plan, compare with the golden plan, apply that exact plan, check prod,
plan again.

schema.sql runs as superuser on both databases before dev.sql/prod.sql: it creates the
scenario's own tables (next to the marketplace tables of the template) and grants the two
roles exactly the least privileges SPEC section 5 describes. An expected.json with `refuse`
expects that message from a SafetyError, or from a UsageError when `"exit": 2`. Its `digest`
pins the plan's digest (prod identity and `now()` timestamps fixed, see `pinned_digest`), so
a change to the diff or the canonical form that alters what a reviewer approves fails here.

The folders are tests/scenarios/; loading and running them is tests/fixtures/scenarios.py."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from refsync import apply, prefilter, snapshot
from refsync.config_file import load_config
from refsync.digest import canonical, digest, operation_texts, whole_text
from refsync.engine import Outcome
from refsync.errors import RefsyncError, SafetyError, UsageError
from tests.fixtures.pg import DbPair
from tests.fixtures.scenarios import SCENARIOS_DIR, load_sql, plan_and_apply, summarize

SCENARIOS = sorted(p for p in SCENARIOS_DIR.iterdir() if p.is_dir())

#: A fixed prod identity: the server's own (system identifier, fingerprint) changes per run.
PINNED_PROD = {"system_identifier": "0", "fingerprint": "pinned-prod-fingerprint"}


def _pinned(value: Any) -> Any:
    """`value` with the timestamps the databases' `now()` defaults wrote replaced by "now"."""
    if isinstance(value, dict):
        return {k: _pinned(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_pinned(v) for v in value]
    if isinstance(value, str) and len(value) >= 19 and value[4] == "-" and value[10] == "T":
        try:
            written = dt.datetime.fromisoformat(value)
        except ValueError:
            return value
        if abs(written.replace(tzinfo=None) - dt.datetime.now()) < dt.timedelta(days=1):
            return "now"
    return value


def pinned_digest(outcome: Outcome) -> str:
    """The plan's digest with what changes per run fixed (the prod server's identity, the
    `now()` timestamps): config, triggers and every write with old and new values, as the
    apply checks them. A refactoring must not change it. The operations come from the
    canonical form's objects (`canonical`), and the texts the run hashed must be theirs."""
    head = outcome.canonical
    form = canonical(outcome.plan, head["config"], head["prod"], head["triggers"])
    assert list(map(whole_text, outcome.canonical_operations)) == operation_texts(form)
    assert outcome.digest == digest(form)
    return digest(_pinned({**form, "prod": PINNED_PROD}))


REFUSALS: dict[int, type[RefsyncError]] = {1: SafetyError, 2: UsageError}


#: How long a text or JSON value must be to be read as its hash first (`snapshot.LONG_BYTES`),
#: how large a table must be to be scanned first (`prefilter.SCAN_FIRST_BYTES`), and how
#: many bytes of values one write statement carries (`apply.BATCH_BYTES`): as shipped;
#: every non-empty text or JSON value as its hash, so each golden plan and digest is also made
#: by the two-read path (hash first, candidates in full), and every row written by a
#: statement of its own; and every table that can be scanned first scanned first, so each is
#: also made from the rows a scan leaves.
READS = {
    "as-shipped": (snapshot.LONG_BYTES, prefilter.SCAN_FIRST_BYTES, apply.BATCH_BYTES),
    "all-hashed": (0, prefilter.SCAN_FIRST_BYTES, 1),
    "scanned-first": (snapshot.LONG_BYTES, 0, apply.BATCH_BYTES),
    "scanned-first-all-hashed": (0, 0, 1),
}


@pytest.mark.parametrize("reads", READS.values(), ids=READS.keys())
@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda p: p.name)
def test_scenario(
    scenario: Path, reads: tuple[int, int, int], dbpair: DbPair, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The scenario's plan matches its golden file, applies, and leaves nothing to do; the
    same whether its long values are read as hashes first or not, its large tables scanned
    first or not, and its writes sent together or a row at a time."""
    monkeypatch.setattr(snapshot, "LONG_BYTES", reads[0])
    monkeypatch.setattr(prefilter, "SCAN_FIRST_BYTES", reads[1])
    monkeypatch.setattr(apply, "BATCH_BYTES", reads[2])
    load_sql(dbpair, scenario)
    config_file = scenario / "config.yml"
    config = load_config(str(config_file) if config_file.exists() else None)
    expected = json.loads((scenario / "expected.json").read_text())
    if "refuse" in expected:
        with pytest.raises(REFUSALS[expected.get("exit", 1)]) as refused:
            plan_and_apply(dbpair, config)
        assert expected["refuse"] in str(refused.value)
        return

    planned = plan_and_apply(dbpair, config)
    assert summarize(planned.plan) == expected["plan"]
    assert pinned_digest(planned) == expected["digest"]

    applied = plan_and_apply(dbpair, config, planned.digest)
    assert applied.written is not None
    totals = planned.plan.totals
    assert (applied.written.inserted, applied.written.updated) == (
        totals["create"],
        totals["update"],
    )
    prod = dbpair.admin("prod")
    for query, rows in expected.get("after_apply", []):
        assert [list(r) for r in prod.execute(query).fetchall()] == rows, query

    again = plan_and_apply(dbpair, config)
    assert not again.plan.has_changes
    assert again.plan.totals["skip"] == expected.get("second_plan_skips", 0)
