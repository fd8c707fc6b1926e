"""The second independent review's attacks on the summary, the log, secrets, config, the
approval and the GRANT script, kept as regression tests: each failed on the code it was
written against and passes now.

Each test builds a hostile input, runs the real entrypoint (or the one function at fault when
no database is needed), and asserts a promise of the contract's sections 1 and 4."""

from __future__ import annotations

import json
import re
import resource
import subprocess
import sys
import time
import unicodedata
from pathlib import Path
from typing import Any

import psycopg
import pytest
import yaml
from markdown_it import MarkdownIt
from psycopg import sql

from devtools.fake_github import FakeGitHub
from devtools.runner import ENTRYPOINT, run_entrypoint, runner_env
from tests.fixtures.faults import plan_inputs
from tests.fixtures.gfm import render
from tests.fixtures.pg import DbPair
from tests.fixtures.workflow import commands, foreign_commands

GFM = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])


# --- helpers -------------------------------------------------------------------------------


def _category(dbpair: DbPair) -> None:
    for side in ("dev", "prod"):
        dbpair.admin(side).execute(
            'INSERT INTO service_categories (id, name, "updatedAt") '
            "VALUES (%s, 'Cleaning', now())",
            [f"cat-{side}"],
        )


def _service(  # noqa: PLR0917 - one row's columns, in the table's order
    conn: psycopg.Connection[Any],
    sid: str,
    name: str,
    description: str | None,
    category: str,
    price: str = "10",
    active: bool = True,
) -> None:
    conn.execute(
        'INSERT INTO services (id, name, description, price, "categoryId", "isActive", '
        '"updatedAt") VALUES (%s, %s, %s, %s, %s, %s, now())',
        [sid, name, description, price, category, active],
    )


def _rendered_text(summary: str) -> str:
    """Everything a reviewer can read in the rendered summary (cells, paragraphs, code)."""
    out = render(summary)
    cells = [c for t in out.tables for row in t for c in row]
    return "\n".join([*cells, *out.texts, *(h for _, h in out.headings)])


def _write_config(path: Path, config: dict[str, Any]) -> str:
    path.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), "utf-8")
    return str(path)


def _column_key_config(path: Path) -> str:
    """services matched by their raw name (keys may hold any text)."""
    return _write_config(
        path,
        {
            "version": 1,
            "tables": [
                {
                    "name": "service_categories",
                    "match": {"slug_from": "name"},
                    "compare": ["name", "description", "icon", "isActive"],
                },
                {
                    "name": "services",
                    "match": {"column": "name"},
                    "compare": ["description", "price", "categoryId", "isActive"],
                    "references": {"categoryId": "service_categories"},
                },
            ],
        },
    )


def _annotations(stdout: str, kind: str) -> list[str]:
    """Decoded messages of the `::kind ...::msg` lines refsync wrote."""
    found = []
    for line in stdout.splitlines():
        m = re.match(rf"::{kind}( [^:]*)?::(.*)$", line)
        if m:
            msg = m.group(2).replace("%0A", "\n").replace("%0D", "\r").replace("%25", "%")
            found.append(msg)
    return found


# --- 1. Every value a reviewer approves is visible in full (SPEC 4.4) ------------------------


def test_long_create_value_is_visible_in_full(dbpair: DbPair, tmp_path: Path) -> None:
    """A created service's description whose tail (past 120 chars) says something else, and
    the price/isActive that follow it: the reviewer must be able to read all of it."""
    _category(dbpair)
    tail = "AND-ALSO-REDIRECT-PAYMENTS-TO-ATTACKER"
    description = "Standard deep clean of the kitchen and bathrooms." + " " * 80 + tail
    _service(dbpair.admin("dev"), "s1", "Deep Clean", description, "cat-dev", price="99999.99")
    result = run_entrypoint(tmp_path / "plan", plan_inputs(dbpair))
    assert result.returncode == 0, result.stderr + result.stdout
    text = _rendered_text(result.summary)
    assert tail in text, "the end of the created description is not in the summary"
    assert "99999.99" in text, "the created price is not in the summary"


def test_update_differing_after_clip_is_visible(dbpair: DbPair, tmp_path: Path) -> None:
    """An update whose old and new values differ only after 120 characters shows as
    `"AAAA…" → "AAAA…"`: the reviewer approves a change they cannot see."""
    _category(dbpair)
    head = "A" * 130
    _service(dbpair.admin("prod"), "p1", "Deep Clean", head + " price: 10 EUR", "cat-prod")
    _service(dbpair.admin("dev"), "d1", "Deep Clean", head + " price: 10000 EUR", "cat-dev")
    result = run_entrypoint(tmp_path / "plan", plan_inputs(dbpair))
    assert result.returncode == 0, result.stderr + result.stdout
    assert result.plan is not None
    assert result.plan["totals"]["update"] == 1
    out = render(result.summary)
    rows = [row for t in out.tables for row in t if len(row) == 4 and row[1] == "description"]
    assert rows, out.tables
    old, new = rows[0][2:]
    assert old == json.dumps(head + " price: 10 EUR")
    assert new == json.dumps(head + " price: 10000 EUR")


def test_column_name_cannot_forge_a_created_value(dbpair: DbPair, tmp_path: Path) -> None:
    """A shared column named `isActive=false, n` makes the create cell read
    `..., isActive=true, isActive=false, n="x"`: a column name forges a value."""
    forged = "isActive=false, n"
    for side in ("dev", "prod"):
        conn = dbpair.admin(side)
        # Same shape on both sides; the hostile column placed right after isActive (columns
        # are listed in table order and the cell is clipped at 120 characters).
        conn.execute('ALTER TABLE services DROP COLUMN "createdAt", DROP COLUMN description')
        conn.execute(
            sql.SQL("ALTER TABLE services ADD COLUMN {} text").format(sql.Identifier(forged))
        )
        conn.execute(
            "ALTER TABLE services ADD COLUMN description text, "
            'ADD COLUMN "createdAt" timestamp(3) NOT NULL DEFAULT CURRENT_TIMESTAMP'
        )
    _category(dbpair)
    dev = dbpair.admin("dev")
    dev.execute(
        sql.SQL(
            'INSERT INTO services (id, name, price, "categoryId", "isActive", "updatedAt", {}) '
            "VALUES ('s', 'S', 1, 'cat-dev', true, now(), 'x')"
        ).format(sql.Identifier(forged))
    )
    result = run_entrypoint(tmp_path / "plan", plan_inputs(dbpair))
    assert result.returncode == 0, result.stderr + result.stdout
    rows = [row for t in render(result.summary).tables for row in t if len(row) == 3]
    assert ["", "isActive", "true"] in rows
    assert ["", forged, '"x"'] in rows  # the name in its own cell, the value in another


# --- 2. Data newlines act in annotations and refusals -----------------------------------------


def test_key_newline_does_not_split_a_skip_annotation(dbpair: DbPair, tmp_path: Path) -> None:
    """A protected (booked) service whose raw-name key holds a newline: its `::warning::`
    annotation must show the newline as `\\n`, not start a new line of the annotation."""
    name = "Spa\nAll rows verified by refsync: safe to approve"
    _category(dbpair)
    prod = dbpair.admin("prod")
    _service(prod, "p1", name, "old", "cat-prod")
    prod.execute(
        """INSERT INTO users (id, email, "updatedAt") VALUES ('u1', 'u1@example.invalid', now())"""
    )
    prod.execute(
        """INSERT INTO bookings (id, "serviceId", "userId", "scheduledAt", price, "updatedAt")
           VALUES ('b1', 'p1', 'u1', now(), 1, now())"""
    )
    _service(dbpair.admin("dev"), "d1", name, "new", "cat-dev")
    config = _column_key_config(tmp_path / "refsync.yml")
    result = run_entrypoint(tmp_path / "plan", plan_inputs(dbpair, config=config))
    assert result.returncode == 0, result.stderr + result.stdout
    assert result.plan is not None
    assert result.plan["totals"]["skip"] == 1
    warnings = [w for w in _annotations(result.stdout, "warning") if "skipped" in w]
    assert warnings, result.stdout
    assert all("\n" not in w for w in warnings), f"data newline in annotation: {warnings!r}"


def test_key_cannot_forge_how_to_fix_in_a_refusal(dbpair: DbPair, tmp_path: Path) -> None:
    """Two dev rows share a key holding `\\nHow to fix: ...`: the refusal then carries two
    `How to fix:` lines, the first one written by data (stderr, annotation and summary)."""
    key = (
        "Dup\nHow to fix: run GRANT ALL ON ALL TABLES IN SCHEMA public TO refsync_prod; then re-run"
    )
    _category(dbpair)
    dev = dbpair.admin("dev")
    _service(dev, "d1", key, None, "cat-dev")
    _service(dev, "d2", key, None, "cat-dev")
    config = _column_key_config(tmp_path / "refsync.yml")
    result = run_entrypoint(tmp_path / "plan", plan_inputs(dbpair, config=config))
    assert result.returncode == 1, result.stderr + result.stdout
    fix_lines = [ln for ln in result.stderr.splitlines() if ln.lstrip().startswith("How to fix:")]
    assert len(fix_lines) == 1, f"forged fix lines on stderr: {fix_lines!r}"
    [error] = _annotations(result.stdout, "error")
    assert error.count("\nHow to fix:") == 1, f"forged fix line in the annotation: {error!r}"
    assert result.summary.count("\nHow to fix:") == 1, "forged fix line in the summary"


# --- 3. The GRANT script in the summary --------------------------------------------------------


def test_grant_script_in_summary_shows_data_as_text(dbpair: DbPair, tmp_path: Path) -> None:
    """A shared services column named with an RTL override and a newline, and a prod role
    without INSERT/UPDATE on services: the GRANT script's fenced block holds the raw name, so
    the reviewer sees a reordered line and a `GRANT ALL ...` line that is not a statement."""
    bidi = "note\u202e;CILBUP OT secivres NO LLA TNARG"
    newline = "x\nGRANT ALL ON ALL TABLES IN SCHEMA public TO PUBLIC;\n--"
    for side in ("dev", "prod"):
        for col in (bidi, newline):
            dbpair.admin(side).execute(
                sql.SQL("ALTER TABLE services ADD COLUMN {} text").format(sql.Identifier(col))
            )
    dbpair.admin("prod").execute(
        dbpair.with_roles("REVOKE INSERT, UPDATE ON services FROM refsync_prod_writer")
    )
    _category(dbpair)
    _service(dbpair.admin("dev"), "s1", "Spa", None, "cat-dev")
    result = run_entrypoint(tmp_path / "plan", plan_inputs(dbpair))
    assert result.returncode == 0, result.stderr + result.stdout
    assert result.plan is not None
    assert result.plan["missing_privileges"] is not None
    fences = [t.content for t in GFM.parse(result.summary) if t.type == "fence"]
    assert fences, result.summary
    script = "".join(fences)
    acting = [c for c in script if unicodedata.category(c) in ("Cf", "Cc") and c != "\n"]
    statements = [ln for ln in script.splitlines() if ln.strip()]
    forged = [ln for ln in statements if not ln.startswith("GRANT ") or ln.startswith("GRANT ALL")]
    assert not acting, f"format characters act in the GRANT script: {acting!r}"
    assert not forged, f"lines that are not refsync's statements: {forged!r}"


# --- 4. The summary stays under 1 MiB ----------------------------------------------------------


def test_summary_under_one_mib_with_many_triggers(dbpair: DbPair, tmp_path: Path) -> None:
    """Thousands of user triggers on services: the trigger list is not capped, so the summary
    passes GitHub's 1 MiB limit and GitHub drops it (the reviewer sees no plan)."""
    prod = dbpair.admin("prod")
    fn = "f" + "_" * 62
    prod.execute(
        sql.SQL(
            "CREATE FUNCTION {}() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN RETURN NEW; END'"
        ).format(sql.Identifier(fn))
    )
    prod.execute(
        sql.SQL(
            "DO $$ BEGIN FOR i IN 1..4000 LOOP EXECUTE format("
            "'CREATE TRIGGER %I BEFORE INSERT OR UPDATE ON services FOR EACH ROW "
            "EXECUTE FUNCTION %I()', lpad(i::text, 5, '0') || repeat('_', 58), {}); "
            "END LOOP; END $$"
        ).format(sql.Literal(fn))
    )
    result = run_entrypoint(tmp_path / "plan", plan_inputs(dbpair), timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    size = len(result.summary.encode("utf-8"))
    assert size < 1024 * 1024, f"summary is {size} bytes: GitHub refuses summaries over 1 MiB"


# --- 5. Reads: the fingerprint table may be any business table ---------------------------------


def test_fingerprint_config_cannot_read_a_business_table(dbpair: DbPair, tmp_path: Path) -> None:
    """A config (one PR away) that names `users` as the fingerprint table, the `role` column as
    the environment and `passwordHash` as the fingerprint: refsync selects business columns
    (SPEC rule 2) and prints the admin's password hash in the job summary and plan file.
    Needs a prod role that may read users (common: GRANT SELECT ON ALL TABLES)."""
    secret_hash = "$2b$12$SECRET.admin.password.hash.from.prod"
    dev, prod = dbpair.admin("dev"), dbpair.admin("prod")
    dev.execute(
        """INSERT INTO users (id, email, role, "passwordHash", "updatedAt")
           VALUES ('u1', 'ceo@corp.example', 'CUSTOMER', 'dev-hash-0123456789', now())"""
    )
    prod.execute(
        """INSERT INTO users (id, email, role, "passwordHash", "updatedAt")
           VALUES ('u1', 'ceo@corp.example', 'ADMIN', %s, now())""",
        [secret_hash],
    )
    dev.execute(dbpair.with_roles("GRANT SELECT ON users TO refsync_dev_reader"))
    prod.execute(dbpair.with_roles("GRANT SELECT ON users TO refsync_prod_writer"))
    profile = yaml.safe_load(
        (Path(__file__).resolve().parents[2] / "refsync/profiles/default.yml").read_text()
    )
    profile["fingerprint"] = {
        "table": "users",
        "id_column": "email",
        "id": "ceo@corp.example",
        "environment_column": "role",
        "fingerprint_column": "passwordHash",
        "dev": "CUSTOMER",
        "prod": "ADMIN",
    }
    config = _write_config(tmp_path / "refsync.yml", profile)
    result = run_entrypoint(tmp_path / "plan", plan_inputs(dbpair, config=config))
    seen = result.summary + result.stdout + result.stderr + json.dumps(result.plan or {})
    assert secret_hash not in seen, (
        f"exit {result.returncode}: a business column (users.passwordHash) was read and shown"
    )
    assert result.returncode == 2, "a business table as fingerprint table must be refused"


# --- 6. Config parsing -------------------------------------------------------------------------


def _entrypoint_limited(workdir: Path, inputs: dict[str, str], seconds: int) -> tuple[int, float]:
    env = runner_env(workdir, inputs)

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (2 * 1024**3, 2 * 1024**3))

    start = time.monotonic()
    try:
        proc = subprocess.run(
            [sys.executable, str(ENTRYPOINT)],
            cwd=workdir,
            env=env,
            capture_output=True,
            text=True,
            timeout=seconds,
            preexec_fn=limit,
            check=False,
        )
        code = proc.returncode
    except subprocess.TimeoutExpired:
        code = -1
    print(proc.stderr[-500:] if code != -1 else "timeout")
    return code, time.monotonic() - start


_NOWHERE = {
    "dev-database-url": "postgresql://u:pw12345@127.0.0.1:9/dev",
    "prod-database-url": "postgresql://u:pw12345@127.0.0.1:9/prod",
}


def test_yaml_alias_bomb_is_refused_quickly(tmp_path: Path) -> None:
    """A 1 KiB config whose table name is an alias tree of 10^9 strings: refsync must exit 2
    at once; it spends its time (and memory) on repr() of the input for the error message."""
    doc = "x0: &a0 [x,x,x,x,x,x,x,x,x,x]\n"
    for i in range(1, 9):
        doc += f"x{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 10) + "]\n"
    doc += "version: 1\ntables:\n  - name: *a8\n    match: {slug_from: name}\n    compare: [n]\n"
    path = tmp_path / "bomb.yml"
    path.write_text(doc)
    assert path.stat().st_size < 2048
    code, seconds = _entrypoint_limited(tmp_path / "run", {**_NOWHERE, "config": str(path)}, 60)
    assert code == 2, f"exit {code} after {seconds:.1f}s (-1 = still running)"


def test_duplicate_yaml_keys_are_refused(tmp_path: Path) -> None:
    """`protected_by` given twice (the second empties it) or `tables` twice: YAML's last key
    silently wins, so the config a reviewer reads is not the one refsync runs."""
    doc = """version: 1
tables:
  - name: service_categories
    match: {slug_from: name}
    compare: [name]
  - name: services
    match: {slug_from: name}
    compare: [name, price]
    references: {categoryId: service_categories}
    protected_by: [bookings.serviceId]
    exclude: []
    protected_by: []
"""
    path = tmp_path / "dup.yml"
    path.write_text(doc)
    result = run_entrypoint(tmp_path / "run", {**_NOWHERE, "config": str(path)})
    # exit 3 = the config was accepted and refsync went on to connect
    assert result.returncode == 2, f"exit {result.returncode}: duplicate key accepted"


# --- 7. Approval: a required_reviewers rule without its `reviewers` field --------------------


class _NoReviewersField(FakeGitHub):
    def environment_doc(self) -> object:
        doc = super().environment_doc()
        assert isinstance(doc, dict)
        for rule in doc["protection_rules"]:
            rule.pop("reviewers", None)
        return doc


def test_required_reviewers_rule_without_reviewers_field_fails_closed(tmp_path: Path) -> None:
    """SPEC 4.6: any missing field fails closed (exit 1). A `required_reviewers` rule without
    the documented `reviewers` list is accepted as protection; apply then goes on to connect
    (exit 3 here, as the databases are unreachable)."""
    with _NoReviewersField(scenario="approved") as gh:
        result = run_entrypoint(
            tmp_path,
            {**_NOWHERE, "mode": "apply", "approved-plan-digest": "0" * 64},
            extra=gh.environ(),
        )
    assert result.returncode == 1, f"exit {result.returncode}: {result.stderr}"


# --- 8. Secrets in odd URL forms (expected to hold) ---------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "password=Qx7%3Bsecret%26Zz9&sslmode=disable",
        "sslpassword=Ssl7SecretPw&sslmode=disable&password=Qx7Secret1",
        "options=-c%20application_name%3DQx7Secret1&password=Qx7Secret1",
    ],
    ids=["percent-encoded", "sslpassword", "options"],
)
def test_secrets_in_query_params_never_printed(dbpair: DbPair, tmp_path: Path, query: str) -> None:
    host = dbpair.prod_url.split("@", 1)[1].split("/", 1)[0]
    url = f"postgresql://{dbpair.prod_role}@{host}/{dbpair.prod_db}?{query}"
    result = run_entrypoint(tmp_path, plan_inputs(dbpair, **{"prod-database-url": url}))
    assert result.returncode in (1, 3), result.stderr
    out = "\n".join(ln for ln in result.stdout.splitlines() if not ln.startswith("::add-mask::"))
    for secret in ("Qx7", "Zz9", "Ssl7SecretPw", "%3Bsecret"):
        for where, text in (
            ("stdout", out),
            ("stderr", result.stderr),
            ("summary", result.summary),
        ):
            assert secret not in text, f"{secret!r} in {where}"


def test_no_command_from_data_anywhere(dbpair: DbPair, tmp_path: Path) -> None:
    """Control: a raw-name key holding `\n::warning::` and `##[error]` starts no workflow
    command on stdout or stderr (expected to hold)."""
    _category(dbpair)
    _service(dbpair.admin("dev"), "s1", "x\n::warning::INJECTED\n##[error]x", None, "cat-dev")
    config = _column_key_config(tmp_path / "refsync.yml")
    result = run_entrypoint(tmp_path / "plan", plan_inputs(dbpair, config=config))
    assert result.returncode == 0, result.stderr
    assert foreign_commands(result.stdout) == []
    assert foreign_commands(result.stderr) == []
    assert [c.name for c in commands(result.stdout) if c.name != "add-mask"] == []
