"""Bad input, through the real entrypoint: inputs and configs that are malformed (exit 2 and
no connection at all), dev data refsync cannot match (exit 1, nothing written), and awkward
but valid data (very long names, control characters, numeric limits) that must be copied
byte for byte."""

from __future__ import annotations

import io
import json
import signal
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
import pytest

from devtools.pgserver import StatementLog
from devtools.runner import RunResult, run_entrypoint, runner_env
from refsync.config_file import default_profile_text
from refsync.main import main
from tests.fixtures.db import table_checksums
from tests.fixtures.faults import apply, plan_inputs
from tests.fixtures.gfm import render
from tests.fixtures.pg import DbPair

GOOD_DIGEST = "0" * 64


def _insert(
    conn: psycopg.Connection[Any],
    categories: list[tuple[str, str]],
    services: list[tuple[str, str, Decimal, str]],
) -> None:
    """Insert (id, name) categories and (id, name, price, categoryId) services."""
    with conn.cursor() as cur:
        cur.executemany(
            """INSERT INTO service_categories (id, name, "updatedAt") VALUES (%s, %s, now())""",
            categories,
        )
        cur.executemany(
            """INSERT INTO services (id, name, price, "categoryId", "updatedAt")
               VALUES (%s, %s, %s, %s, now())""",
            services,
        )


def _refsync_sessions(log: StatementLog, mark: int, dbpair: DbPair) -> list[str]:
    """Everything refsync's two roles did on the server since ``mark``."""
    roles = {dbpair.dev_role, dbpair.prod_role}
    return [e.message for e in log.since(mark) if e.user in roles]


def _run_refused_input(
    dbpair: DbPair, statement_log: StatementLog, tmp_path: Path, inputs: dict[str, str]
) -> RunResult:
    """Run with ``inputs`` over the pair's URLs; assert exit 2, no traceback, no connection."""
    mark = statement_log.mark()
    result = run_entrypoint(tmp_path, plan_inputs(dbpair, **inputs))
    assert result.returncode == 2, result.stderr + result.stdout
    assert "Traceback" not in result.stderr + result.stdout
    assert "::error" in result.stdout
    assert _refsync_sessions(statement_log, mark, dbpair) == []
    return result


def _prod_unchanged_after(dbpair: DbPair, tmp_path: Path, **env: str) -> RunResult:
    """A dry-run that must not change a single prod table."""
    before = table_checksums(dbpair.admin("prod"))
    result = run_entrypoint(tmp_path, plan_inputs(dbpair), extra=env)
    assert table_checksums(dbpair.admin("prod")) == before
    assert "Traceback" not in result.stderr + result.stdout
    return result


@pytest.mark.parametrize(
    "url",
    [
        pytest.param("not a url at all", id="not-a-url"),
        pytest.param("mysql://u:s3cret-pw@127.0.0.1:3306/app", id="wrong-scheme"),
        pytest.param("postgresql://u:s3cret-pw@127.0.0.1:5432/", id="no-database"),
        pytest.param("postgresql://u:s3cret-pw@[127.0.0.1:5432/app", id="unbalanced-bracket"),
        pytest.param("postgresql://u:s3cret-pw@127.0.0.1:port/app", id="non-numeric-port"),
        pytest.param("postgresql://u:s3cret-pw@127.0.0.1:99999/app", id="port-out-of-range"),
        pytest.param("postgresql://u:s3cret-pw@127.0.0.1:5432/app%00x", id="nul-in-dbname"),
    ],
)
def test_malformed_database_url(
    dbpair: DbPair, statement_log: StatementLog, tmp_path: Path, url: str
) -> None:
    """A prod URL that is not a usable libpq URL exits 2 naming the input, never echoing it."""
    result = _run_refused_input(dbpair, statement_log, tmp_path, {"prod-database-url": url})
    assert "prod-database-url" in result.stderr
    for printed in (result.stderr, result.summary):
        assert "s3cret-pw" not in printed


@pytest.mark.parametrize(
    ("inputs", "named"),
    [
        pytest.param({"mode": "deploy"}, "`mode`", id="unknown-mode"),
        pytest.param({"mode": "apply"}, "`approved-plan-digest`", id="apply-without-digest"),
        pytest.param(
            {"approved-plan-digest": "A" * 64}, "`approved-plan-digest`", id="digest-uppercase"
        ),
        pytest.param(
            {"approved-plan-digest": "0" * 63}, "`approved-plan-digest`", id="digest-too-short"
        ),
        pytest.param(
            {"mode": "apply", "approved-plan-digest": "sha256:" + GOOD_DIGEST},
            "`approved-plan-digest`",
            id="digest-with-prefix",
        ),
    ],
)
def test_invalid_inputs(
    dbpair: DbPair,
    statement_log: StatementLog,
    tmp_path: Path,
    inputs: dict[str, str],
    named: str,
) -> None:
    """An unknown mode, an apply without a digest or a digest of the wrong shape exits 2 naming
    the input, before any connection."""
    result = _run_refused_input(dbpair, statement_log, tmp_path, inputs)
    assert named in result.stderr


def _profile_with(extra_table_key: str) -> bytes:
    return (default_profile_text() + f"    {extra_table_key}\n").encode()


@pytest.mark.parametrize(
    ("content", "named"),
    [
        pytest.param(b"version: 1\ntables: [unclosed\n", "not valid YAML", id="not-yaml"),
        pytest.param(b"- just\n- a list\n", "expected a mapping", id="not-a-mapping"),
        pytest.param(_profile_with("colour: blue"), "colour", id="unknown-key"),
        pytest.param(b"version: 1\ntables: caf\xe9\n", "not valid UTF-8", id="invalid-utf8"),
        pytest.param(b"version: 1\x00\ntables: []\n", "not valid YAML", id="raw-nul-byte"),
        pytest.param(
            default_profile_text().replace("name: services", 'name: "serv\\0ices"').encode(),
            "`tables[1].name`: contains a NUL character",
            id="escaped-nul-in-table-name",
        ),
        pytest.param(
            default_profile_text().replace("  dev: dev\n", "  dev: prod\n").encode(),
            "`fingerprint.prod`: is `prod`, the same as `fingerprint.dev`",
            id="equal-environment-values",
        ),
    ],
)
def test_invalid_config_file(
    dbpair: DbPair, statement_log: StatementLog, tmp_path: Path, content: bytes, named: str
) -> None:
    """A config that is not YAML, not UTF-8, holds NUL bytes or unknown keys exits 2 naming the
    problem, before any connection."""
    (tmp_path / "refsync.yml").write_bytes(content)
    result = _run_refused_input(dbpair, statement_log, tmp_path, {"config": "refsync.yml"})
    assert named in result.stderr


@pytest.mark.parametrize(
    "name",
    [
        pytest.param("", id="empty"),
        pytest.param("   ", id="blank"),
        pytest.param("!!! ---", id="punctuation-only"),
        pytest.param("\u0301\u0308", id="combining-marks-only"),
        pytest.param("\t\x07", id="control-characters-only"),
    ],
)
def test_unsluggable_dev_name_refused(dbpair: DbPair, tmp_path: Path, name: str) -> None:
    """A dev row whose name slugs to nothing exits 1 naming the table and the row's id."""
    _insert(
        dbpair.admin("dev"),
        [("cat-1", "Cleaning")],
        [
            ("svc-ok", "Oven Cleaning", Decimal("10"), "cat-1"),
            ("svc-bad", name, Decimal("1"), "cat-1"),
        ],
    )
    result = _prod_unchanged_after(dbpair, tmp_path)
    assert result.returncode == 1, result.stderr + result.stdout
    assert "services: row 'svc-bad' has an empty slug of name" in result.stderr


def test_dev_duplicates_refused(dbpair: DbPair, tmp_path: Path) -> None:
    """Two dev services whose names slug alike exit 1 listing the key and both ids."""
    _insert(
        dbpair.admin("dev"),
        [("cat-1", "Beauty")],
        [
            ("svc-a", "Café & Spa", Decimal("10"), "cat-1"),
            ("svc-b", "CAFE  spa!", Decimal("12"), "cat-1"),
        ],
    )
    result = _prod_unchanged_after(dbpair, tmp_path)
    assert result.returncode == 1, result.stderr + result.stdout
    assert "key `cafe-spa` is shared by dev rows ['svc-a', 'svc-b']" in result.stderr


def _apply_all(dbpair: DbPair, tmp_path: Path) -> RunResult:
    """Plan, apply the plan's digest, and check a second plan finds nothing to do."""
    planned = run_entrypoint(tmp_path / "plan", plan_inputs(dbpair))
    assert planned.returncode == 0, planned.stderr + planned.stdout
    applied = apply(dbpair, tmp_path / "apply", planned.outputs["plan-digest"])
    assert applied.returncode == 0, applied.stderr + applied.stdout
    again = run_entrypoint(tmp_path / "again", plan_inputs(dbpair))
    assert again.outputs["has-changes"] == "false"
    return planned


def _prod_names(dbpair: DbPair) -> dict[str, str]:
    rows = dbpair.admin("prod").execute("SELECT id, name FROM services").fetchall()
    return dict(rows)


def test_ten_thousand_character_name_copied_literally(dbpair: DbPair, tmp_path: Path) -> None:
    """A 10,000-character service name is planned, applied and stored byte for byte, and the
    summary shows it in full (a reviewer approves every character) far under 1 MiB."""
    long_name = ("Très long nom de service, " * 400)[:10_000]
    _insert(
        dbpair.admin("dev"), [("cat-1", "Cleaning")], [("svc-1", long_name, Decimal("5"), "cat-1")]
    )
    planned = _apply_all(dbpair, tmp_path)
    assert _prod_names(dbpair) == {"svc-1": long_name}
    cells = [cell for table in render(planned.summary).tables for row in table for cell in row]
    assert json.dumps(long_name, ensure_ascii=False) in cells
    assert len(planned.summary.encode("utf-8")) < 100_000


def test_control_characters_copied_and_not_interpreted(dbpair: DbPair, tmp_path: Path) -> None:
    """Names with tabs, newlines, escape sequences and workflow-command text are stored literally
    and never start a workflow command line in the log."""
    names = {
        "svc-tab": "Tab\tseparated",
        "svc-nl": "Line one\n::error title=injected::owned",
        "svc-esc": "\x1b[31mRed\x1b[0m alert",
        "svc-bell": "Bell\x07 ringer",
        "svc-cr": "Carriage\rreturn\r\n::add-mask::nothing",
    }
    _insert(
        dbpair.admin("dev"),
        [("cat-1", "Odd\nCategory")],
        [(i, n, Decimal("1"), "cat-1") for i, n in names.items()],
    )
    planned = _apply_all(dbpair, tmp_path)
    assert _prod_names(dbpair) == names
    for line in planned.stdout.splitlines() + planned.stderr.splitlines():
        assert not line.startswith(("::error title=injected", "::add-mask::nothing")), line


def test_numeric_limits_copied_exactly(dbpair: DbPair, tmp_path: Path) -> None:
    """Prices at the limits of numeric(10,2) (0, 0.01, 99999999.99) are copied exactly."""
    prices = {
        "svc-zero": Decimal("0"),
        "svc-cent": Decimal("0.01"),
        "svc-max": Decimal("99999999.99"),
    }
    _insert(
        dbpair.admin("dev"),
        [("cat-1", "Pricing")],
        [(i, f"Service {i}", p, "cat-1") for i, p in prices.items()],
    )
    _apply_all(dbpair, tmp_path)
    rows = dbpair.admin("prod").execute("SELECT id, price FROM services").fetchall()
    assert dict(rows) == prices


def test_numeric_overflow_for_prod_column_is_schema_drift(dbpair: DbPair, tmp_path: Path) -> None:
    """A dev price of 9999999999.99 in a widened numeric(12,2) column, which prod's
    numeric(10,2) cannot hold, exits 1 as schema drift naming table and column."""
    dev = dbpair.admin("dev")
    dev.execute("ALTER TABLE services ALTER COLUMN price TYPE numeric(12,2)")
    _insert(dev, [("cat-1", "Luxury")], [("svc-1", "Yacht", Decimal("9999999999.99"), "cat-1")])
    result = _prod_unchanged_after(dbpair, tmp_path)
    assert result.returncode == 1, result.stderr + result.stdout
    assert "schema drift: table `services` column `price`" in result.stderr
    assert "numeric(12,2) on dev vs numeric(10,2) on prod" in result.stderr


@pytest.mark.parametrize(
    "variable", ["REFSYNC_LOCK_TIMEOUT_MS", "REFSYNC_STATEMENT_TIMEOUT_MS", "REFSYNC_PROGRESS_MS"]
)
@pytest.mark.parametrize(
    "value",
    [
        "abc",
        "0",
        "-5",
        "1.5",
        pytest.param("2147483648", id="over-int-max"),
        pytest.param("9" * 5000, id="5000-digits"),
        pytest.param("\u00b2", id="superscript-two"),
        pytest.param("\u0661\u0662", id="arabic-indic-digits"),
    ],
)
def test_bad_setting_is_refused_before_connecting(
    dbpair: DbPair, statement_log: StatementLog, tmp_path: Path, variable: str, value: str
) -> None:
    """A setting that is not a positive whole number of milliseconds in ASCII digits, or is
    more than PostgreSQL takes (2147483647), exits 2, names the variable, and no session is
    opened."""
    mark = statement_log.mark()
    result = run_entrypoint(tmp_path, plan_inputs(dbpair), extra={variable: value})
    assert result.returncode == 2, result.stderr + result.stdout
    assert f"`{variable}` must be a positive number of milliseconds" in result.stdout
    assert "Traceback" not in result.stderr + result.stdout
    assert _refsync_sessions(statement_log, mark, dbpair) == []


def test_settings_are_read_from_the_environment_main_is_given(
    dbpair: DbPair, statement_log: StatementLog, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The REFSYNC_* settings come from the environment handed to `main`, not `os.environ`:
    a bad value only in `os.environ` is ignored, the largest value PostgreSQL takes for each
    (2147483647) plans, and a value one larger in the given environment exits 2 without a
    session."""
    env = runner_env(tmp_path, plan_inputs(dbpair))
    names = ("REFSYNC_LOCK_TIMEOUT_MS", "REFSYNC_STATEMENT_TIMEOUT_MS", "REFSYNC_PROGRESS_MS")
    monkeypatch.setenv("REFSYNC_LOCK_TIMEOUT_MS", "not a number")
    handler = signal.getsignal(signal.SIGTERM)
    try:
        err = io.StringIO()
        largest = dict.fromkeys(names, "2147483647")
        assert main({**env, **largest}, io.StringIO(), err) == 0, err.getvalue()
        monkeypatch.delenv("REFSYNC_LOCK_TIMEOUT_MS")
        err = io.StringIO()
        too_big = {"REFSYNC_STATEMENT_TIMEOUT_MS": "2147483648"}
        mark = statement_log.mark()
        assert main({**env, **too_big}, io.StringIO(), err) == 2
        assert _refsync_sessions(statement_log, mark, dbpair) == []
        assert "`REFSYNC_STATEMENT_TIMEOUT_MS` must be a positive number" in err.getvalue()
    finally:
        signal.signal(signal.SIGTERM, handler)
