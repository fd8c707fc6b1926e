"""SPEC 1, rules 1, 2 and 5, against the schema shapes an adversarial review used to break
them: references of another type than the key, inheritance and partitions, ON UPDATE
actions, a business table listed as reference data, rules and triggers. Each case runs the
real entrypoint under the least-privilege roles and observes the server: exit code, the
rows themselves, and checksums of every table the config does not name."""

from __future__ import annotations

from pathlib import Path

import pytest
from pglast import ast

from devtools import seed
from devtools.pgserver import StatementLog
from devtools.runner import RunResult
from tests.fixtures.pg import DbPair
from tests.fixtures.safety import (
    apply,
    both_checksums,
    parse_one,
    plan,
    refsync_statements,
    walk,
)

REFERENCE_TABLES = {"public.services", "public.service_categories"}


def _updated_service(dbpair: DbPair, workdir: Path) -> tuple[str, str]:
    """A service the demo plan updates: (prod id, its description in prod now)."""
    result = plan(dbpair, workdir)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.plan is not None
    [services] = [t for t in result.plan["tables"] if t["table"] == "services"]
    service_id = services["updates"][0]["id"]
    [(description,)] = (
        dbpair.admin("prod")
        .execute('SELECT "description" FROM "services" WHERE "id" = %s', [service_id])
        .fetchall()
    )
    return service_id, description


def _non_reference_checksums(dbpair: DbPair) -> dict[str, dict[str, str]]:
    sums = both_checksums(dbpair)
    return {
        side: {t: v for t, v in tables.items() if t not in REFERENCE_TABLES}
        for side, tables in sums.items()
    }


def _plan_then_apply(dbpair: DbPair, workdir: Path) -> tuple[RunResult, RunResult]:
    planned = plan(dbpair, workdir / "plan")
    assert planned.returncode == 0, planned.stdout + planned.stderr
    applied = apply(dbpair, workdir / "apply", planned.outputs["plan-digest"])
    assert applied.returncode == 0, applied.stdout + applied.stderr
    return planned, applied


@pytest.mark.parametrize(
    ("column_type", "setup"),
    [
        ("char(40)", ""),
        ("varchar(40)", ""),
        ("svc_ref", "CREATE DOMAIN svc_ref AS char(40);"),
        ("svc_ref", "CREATE DOMAIN svc_ref AS varchar(60) CHECK (VALUE <> '');"),
    ],
    ids=["char", "varchar", "domain-over-char", "domain-over-varchar"],
)
def test_reference_of_another_type_protects(
    dbpair: DbPair, tmp_path: Path, column_type: str, setup: str
) -> None:
    """A business column of type char(n), varchar or a domain with a foreign key to the
    text primary key protects its service exactly as a text column does: skipped in the
    plan, untouched by the approved apply."""
    seed.seed_demo(dbpair.admin("dev"), dbpair.admin("prod"))
    service_id, description = _updated_service(dbpair, tmp_path / "probe")
    prod = dbpair.admin("prod")
    prod.execute(
        setup + f'CREATE TABLE legacy_orders (id serial PRIMARY KEY, "serviceId" {column_type} '
        'NOT NULL REFERENCES "services" ("id"));'
        f'GRANT SELECT ("serviceId") ON legacy_orders TO {dbpair.prod_role};'
    )
    prod.execute('INSERT INTO legacy_orders ("serviceId") VALUES (%s)', [service_id])
    before = _non_reference_checksums(dbpair)

    planned, _ = _plan_then_apply(dbpair, tmp_path)

    assert "in use by legacy_orders.serviceId" in _skip_reasons(planned)
    assert planned.plan is not None
    [services] = [t for t in planned.plan["tables"] if t["table"] == "services"]
    assert service_id not in {u["id"] for u in services["updates"]}
    [(now,)] = prod.execute(
        'SELECT "description" FROM "services" WHERE "id" = %s', [service_id]
    ).fetchall()
    assert now == description
    assert _non_reference_checksums(dbpair) == before


def test_array_column_in_protected_by_protects(dbpair: DbPair, tmp_path: Path) -> None:
    """A `text[]` business column named in protected_by protects every service it lists
    (compared element by element, by the server), and the plan still applies."""
    seed.seed_demo(dbpair.admin("dev"), dbpair.admin("prod"))
    service_id, description = _updated_service(dbpair, tmp_path / "probe")
    prod = dbpair.admin("prod")
    prod.execute(
        'CREATE TABLE bundles (id serial PRIMARY KEY, "serviceIds" text[] NOT NULL);'
        f'GRANT SELECT ("serviceIds") ON bundles TO {dbpair.prod_role};'
    )
    prod.execute('INSERT INTO bundles ("serviceIds") VALUES (%s)', [["nope", service_id]])
    config = _default_config_with("    protected_by: [bookings.serviceId, bundles.serviceIds]\n")
    workdir = tmp_path / "run"
    planned = plan(dbpair, workdir / "plan", extra={"INPUT_CONFIG": _write(workdir, config)})
    assert planned.returncode == 0, planned.stdout + planned.stderr
    assert "in use by bundles.serviceIds" in _skip_reasons(planned)
    with_config = {"INPUT_CONFIG": str(workdir / "refsync.yml")}
    applied = _apply_with(dbpair, workdir / "apply", planned.outputs["plan-digest"], with_config)
    assert applied.returncode == 0, applied.stdout + applied.stderr
    [(now,)] = prod.execute(
        'SELECT "description" FROM "services" WHERE "id" = %s', [service_id]
    ).fetchall()
    assert now == description


def test_protected_by_column_of_an_incomparable_type_is_refused(
    dbpair: DbPair, tmp_path: Path
) -> None:
    """A protected_by column whose values cannot be compared with the key (integer against
    a text id) is refused at plan time with exit 2 naming the entry, not at apply."""
    seed.seed_demo(dbpair.admin("dev"), dbpair.admin("prod"))
    dbpair.admin("prod").execute(
        'CREATE TABLE counters (id serial PRIMARY KEY, "serviceNo" integer[]);'
        f'GRANT SELECT ("serviceNo") ON counters TO {dbpair.prod_role};'
    )
    config = _default_config_with("    protected_by: [counters.serviceNo]\n")
    workdir = tmp_path / "run"
    result = plan(dbpair, workdir, extra={"INPUT_CONFIG": _write(workdir, config)})
    assert result.returncode == 2, result.stdout + result.stderr
    assert "`tables[1].protected_by[0]`" in result.stderr
    assert "integer values in an array" in result.stderr


@pytest.mark.parametrize(
    ("ddl", "message"),
    [
        (
            'CREATE TABLE services_archive ("archivedAt" timestamptz) INHERITS ("services")',
            "reference table `services` has inheritance children",
        ),
        (
            'CREATE TABLE catalog_base (); ALTER TABLE "services" INHERIT catalog_base',
            "reference table `services` is a partition or inheritance child",
        ),
    ],
    ids=["child", "parent"],
)
def test_reference_table_in_an_inheritance_tree_is_refused(
    dbpair: DbPair, tmp_path: Path, statement_log: StatementLog, ddl: str, message: str
) -> None:
    """A reference table with inheritance children (whose rows a statement without ONLY
    would read, lock and rewrite) or with a parent is refused with exit 1 before any row
    is read; nothing is written."""
    seed.seed_demo(dbpair.admin("dev"), dbpair.admin("prod"))
    prod = dbpair.admin("prod")
    prod.execute(ddl)
    before = both_checksums(dbpair)
    mark = statement_log.mark()
    result = plan(dbpair, tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert message in result.stderr
    assert both_checksums(dbpair) == before
    for event in refsync_statements(statement_log, mark):
        assert '"services"' not in event.message or "pg_catalog" in event.message, event.message


def test_partitioned_reference_table_is_refused(dbpair: DbPair, tmp_path: Path) -> None:
    """A partitioned reference table (foreign keys may point at one partition) is refused."""
    prod = dbpair.admin("prod")
    dev = dbpair.admin("dev")
    for conn in (dev, prod):
        conn.execute(
            "CREATE TABLE plans (id text PRIMARY KEY, region text NOT NULL, name text) "
            "PARTITION BY LIST (id);"
            "CREATE TABLE plans_a PARTITION OF plans FOR VALUES IN ('a');"
            f"GRANT SELECT ON plans TO {dbpair.dev_role};"
            f"GRANT SELECT, INSERT, UPDATE ON plans TO {dbpair.prod_role};"
        )
    config = "version: 1\ntables:\n  - name: plans\n    match: {column: id}\n    compare: [name]\n"
    result = plan(dbpair, tmp_path, extra={"INPUT_CONFIG": _write(tmp_path, config)})
    assert result.returncode == 1, result.stdout + result.stderr
    assert "reference table `plans` is partitioned" in result.stderr


def test_partitioned_business_table_protects(
    dbpair: DbPair, tmp_path: Path, statement_log: StatementLog
) -> None:
    """A partitioned business table with a foreign key to services protects through every
    partition, read through the parent (the only table the role may read), and the reads
    of reference tables still carry ONLY."""
    seed.seed_demo(dbpair.admin("dev"), dbpair.admin("prod"))
    service_id, description = _updated_service(dbpair, tmp_path / "probe")
    prod = dbpair.admin("prod")
    prod.execute(
        'CREATE TABLE visits (id serial, "serviceId" text NOT NULL REFERENCES "services" ("id"),'
        " at date NOT NULL) PARTITION BY RANGE (at);"
        "CREATE TABLE visits_2025 PARTITION OF visits FOR VALUES FROM ('2025-01-01') "
        "TO ('2026-01-01');"
        "CREATE TABLE visits_2026 PARTITION OF visits FOR VALUES FROM ('2026-01-01') "
        "TO ('2027-01-01');"
        f'GRANT SELECT ("serviceId") ON visits TO {dbpair.prod_role};'
    )
    prod.execute("INSERT INTO visits (\"serviceId\", at) VALUES (%s, '2026-06-01')", [service_id])
    before = _non_reference_checksums(dbpair)
    mark = statement_log.mark()
    planned, _ = _plan_then_apply(dbpair, tmp_path)
    assert "in use by visits.serviceId" in _skip_reasons(planned)
    [(now,)] = prod.execute(
        'SELECT "description" FROM "services" WHERE "id" = %s', [service_id]
    ).fetchall()
    assert now == description
    assert _non_reference_checksums(dbpair) == before
    for event in refsync_statements(statement_log, mark):
        stmt = parse_one(event.message)
        for node in _rangevars(stmt):
            if node.relname in {"services", "service_categories", "database_metadata"}:
                assert not node.inh or isinstance(stmt, ast.InsertStmt), event.message
            assert node.relname not in {"visits_2025", "visits_2026"}, event.message


def test_update_cascade_onto_a_compared_column_is_refused(dbpair: DbPair, tmp_path: Path) -> None:
    """A business foreign key with ON UPDATE CASCADE onto a compared unique column would
    carry an update into business data: refused with exit 1 naming the constraint."""
    seed.seed_demo(dbpair.admin("dev"), dbpair.admin("prod"))
    prod = dbpair.admin("prod")
    prod.execute(
        'ALTER TABLE "services" ADD CONSTRAINT services_name_key UNIQUE ("name");'
        'CREATE TABLE price_tags (id serial PRIMARY KEY, "serviceName" text '
        'CONSTRAINT price_tags_service_fk REFERENCES "services" ("name") ON UPDATE CASCADE);'
        f'GRANT SELECT ("serviceName") ON price_tags TO {dbpair.prod_role};'
    )
    before = both_checksums(dbpair)
    result = plan(dbpair, tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "foreign key `price_tags_service_fk`" in result.stderr
    assert "ON UPDATE CASCADE" in result.stderr
    assert both_checksums(dbpair) == before


def test_set_null_on_a_self_reference_by_code_is_refused(dbpair: DbPair, tmp_path: Path) -> None:
    """Even an excluded column of a listed table: ON UPDATE SET NULL onto a compared
    column would write it behind the plan's back, so the plan is refused."""
    for conn in (dbpair.admin("dev"), dbpair.admin("prod")):
        conn.execute(
            "CREATE TABLE tags (id text PRIMARY KEY, code text UNIQUE NOT NULL, "
            "parent_code text CONSTRAINT tags_parent_fk REFERENCES tags (code) "
            "ON UPDATE SET NULL);"
            f"GRANT SELECT ON tags TO {dbpair.dev_role};"
            f"GRANT SELECT, INSERT, UPDATE ON tags TO {dbpair.prod_role};"
        )
    config = (
        "version: 1\ntables:\n  - name: tags\n    match: {column: id}\n"
        "    compare: [code]\n    exclude: [parent_code]\n"
    )
    result = plan(dbpair, tmp_path, extra={"INPUT_CONFIG": _write(tmp_path, config)})
    assert result.returncode == 1, result.stdout + result.stderr
    assert "foreign key `tags_parent_fk`" in result.stderr
    assert "ON UPDATE SET NULL" in result.stderr


@pytest.mark.parametrize("exclude", ["", "    exclude: [serviceId]\n"], ids=["plain", "excluded"])
def test_business_table_listed_as_reference_data_is_refused(
    dbpair: DbPair, tmp_path: Path, exclude: str
) -> None:
    """Listing bookings after services (its foreign key to services undeclared in
    `references`, excluded or not) is refused with exit 2 naming it, before a write."""
    seed.seed_demo(dbpair.admin("dev"), dbpair.admin("prod"))
    for side in ("dev", "prod"):
        dbpair.admin(side).execute(
            f"GRANT SELECT, INSERT, UPDATE ON bookings TO {dbpair.prod_role};"
            f"GRANT SELECT ON bookings TO {dbpair.dev_role}"
        )
    config = _default_config_with(
        "  - name: bookings\n    match: {column: id}\n    compare: [status]\n" + exclude
    )
    before = both_checksums(dbpair)
    result = plan(dbpair, tmp_path, extra={"INPUT_CONFIG": _write(tmp_path, config)})
    assert result.returncode == 2, result.stdout + result.stderr
    assert "config `tables[2].references` (bookings): column `serviceId`" in result.stderr
    assert both_checksums(dbpair) == before


def test_rule_on_a_reference_table_is_refused(dbpair: DbPair, tmp_path: Path) -> None:
    """A DO ALSO rule on services (run with the owner's rights) is refused with exit 1
    naming it, and the table it would have emptied keeps its rows."""
    seed.seed_demo(dbpair.admin("dev"), dbpair.admin("prod"))
    prod = dbpair.admin("prod")
    prod.execute(
        "CREATE TABLE audit_log (id serial PRIMARY KEY, note text);"
        "INSERT INTO audit_log (note) VALUES ('keep me');"
        'CREATE RULE wipe_audit AS ON UPDATE TO "services" DO ALSO DELETE FROM audit_log;'
    )
    before = both_checksums(dbpair)
    result = plan(dbpair, tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "reference table `services` carries rules ['wipe_audit']" in result.stderr
    assert both_checksums(dbpair) == before


def test_triggers_and_writable_tables_are_shown(dbpair: DbPair, tmp_path: Path) -> None:
    """The plan's summary and file name the tables the run may write and every user
    trigger an apply fires (disabled triggers and DELETE-only ones are not listed)."""
    seed.seed_demo(dbpair.admin("dev"), dbpair.admin("prod"))
    dbpair.admin("prod").execute(
        "CREATE FUNCTION touch_audit() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RETURN NEW; END $$;"
        'CREATE TRIGGER services_audit AFTER INSERT OR UPDATE ON "services" '
        "FOR EACH ROW EXECUTE FUNCTION touch_audit();"
        'CREATE TRIGGER services_quiet BEFORE UPDATE ON "services" '
        "FOR EACH ROW EXECUTE FUNCTION touch_audit();"
        'ALTER TABLE "services" DISABLE TRIGGER services_quiet;'
        'CREATE TRIGGER categories_delete BEFORE DELETE ON "service_categories" '
        "FOR EACH ROW EXECUTE FUNCTION touch_audit();"
    )
    result = plan(dbpair, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.plan is not None
    assert result.plan["writes"] == {
        "tables": ["service_categories", "services"],
        "triggers": ["services: services_audit (AFTER INSERT OR UPDATE) runs public.touch_audit()"],
    }
    assert (
        "This run may write only (INSERT, UPDATE):** <code>service\\_categories</code>, "
        "<code>services</code>"
    ) in result.summary
    assert "services\\_audit" in result.summary
    assert "services\\_quiet" not in result.summary
    assert "categories\\_delete" not in result.summary


def _skip_reasons(result: RunResult) -> str:
    """Every skip reason of a run's plan file, one per line."""
    assert result.plan is not None
    return "\n".join(s["reason"] for t in result.plan["tables"] for s in t["skips"])


def _rangevars(stmt: ast.Node) -> list[ast.RangeVar]:
    return [n for n in walk(stmt) if isinstance(n, ast.RangeVar)]


def _default_config_with(extra: str) -> str:
    """The default profile without its protected_by, and `extra` appended to the services
    entry (a key) or after it (a table)."""
    text = (Path(__file__).resolve().parents[2] / "refsync/profiles/default.yml").read_text()
    # without the default protected_by (which names bookings): the case under test says it
    lines = [line for line in text.splitlines(keepends=True) if "protected_by" not in line]
    return "".join(lines) + extra


def _write(workdir: Path, config: str) -> str:
    workdir.mkdir(parents=True, exist_ok=True)
    path = workdir / "refsync.yml"
    path.write_text(config)
    return str(path)


def _apply_with(dbpair: DbPair, workdir: Path, digest: str, extra: dict[str, str]) -> RunResult:
    return apply(dbpair, workdir, digest, extra=extra)


def _on_both(dbpair: DbPair, table: str, ddl: str) -> None:
    """`ddl` on both sides, then a reference table's grants on `table` to refsync's roles."""
    for side in ("dev", "prod"):
        dbpair.admin(side).execute(
            ddl + f"GRANT SELECT ON {table} TO {dbpair.dev_role};"
            f"GRANT SELECT, INSERT, UPDATE ON {table} TO {dbpair.prod_role};"
        )


PLANS = """version: 1
tables:
  - name: plans
    match: {column: code}
    compare: [name]
"""


def _plans(dbpair: DbPair, key_type: str, setup: str = "") -> None:
    for side in ("dev", "prod"):
        dbpair.admin(side).execute(
            setup + f"CREATE TABLE plans (id {key_type} PRIMARY KEY, code text UNIQUE NOT NULL, "
            "name text);"
            f"GRANT SELECT ON plans TO {dbpair.dev_role};"
            f"GRANT SELECT, INSERT, UPDATE ON plans TO {dbpair.prod_role};"
        )
    dbpair.admin("dev").execute("INSERT INTO plans VALUES ('p1', 'basic', 'New name')")
    dbpair.admin("prod").execute("INSERT INTO plans VALUES ('p1', 'basic', 'Old name')")


KEY_CASES = {
    "char-key-text-fk": ("char(4)", "", "text REFERENCES plans (id)", "p1 ", True),
    "char-key-text-protected-by": ("char(4)", "", "text", "p1 ", False),
    "citext-text": ("citext", "CREATE EXTENSION IF NOT EXISTS citext;", "text", "P1", False),
    "citext-varchar": (
        "citext",
        "CREATE EXTENSION IF NOT EXISTS citext;",
        "varchar(9)",
        "P1",
        False,
    ),
}


@pytest.mark.parametrize("case", sorted(KEY_CASES))
def test_reference_compared_in_the_keys_own_type(dbpair: DbPair, tmp_path: Path, case: str) -> None:
    """A value equal to the key only in the key's own type (`'p1 '` for a char(4) key,
    `'P1'` for a citext key) protects it: the server casts to the key's type and compares
    with the key index's own equality, as the foreign key itself does."""
    key_type, setup, column_type, stored, declared = KEY_CASES[case]
    _plans(dbpair, key_type, setup)
    prod = dbpair.admin("prod")
    prod.execute(
        f'CREATE TABLE subs (id serial PRIMARY KEY, "planId" {column_type} NOT NULL);'
        f'GRANT SELECT ("planId") ON subs TO {dbpair.prod_role};'
    )
    prod.execute('INSERT INTO subs ("planId") VALUES (%s)', [stored])
    config = PLANS + ("" if declared else "    protected_by: [subs.planId]\n")
    workdir = tmp_path / "run"
    planned = plan(dbpair, workdir / "plan", extra={"INPUT_CONFIG": _write(workdir, config)})
    assert planned.returncode == 0, planned.stdout + planned.stderr
    assert "in use by subs.planId" in _skip_reasons(planned)
    extra = {"INPUT_CONFIG": str(workdir / "refsync.yml")}
    applied = _apply_with(dbpair, workdir / "apply", planned.outputs["plan-digest"], extra)
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert prod.execute("SELECT name FROM plans").fetchall() == [("Old name",)]


def test_trigger_added_after_review_refuses_the_apply(dbpair: DbPair, tmp_path: Path) -> None:
    """The digest covers the triggers an apply fires: one created on services after the
    review makes the approved apply refuse (exit 1) before it fires."""
    seed.seed_demo(dbpair.admin("dev"), dbpair.admin("prod"))
    planned = plan(dbpair, tmp_path / "plan")
    assert planned.returncode == 0, planned.stdout + planned.stderr
    prod = dbpair.admin("prod")
    prod.execute(
        "CREATE TABLE fired (name text);"
        "CREATE FUNCTION note_fired() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN INSERT INTO fired VALUES (TG_NAME); RETURN NULL; END $$;"
        'CREATE TRIGGER services_late AFTER UPDATE ON "services" '
        "FOR EACH STATEMENT EXECUTE FUNCTION note_fired();"
    )
    before = both_checksums(dbpair)
    applied = apply(dbpair, tmp_path / "apply", planned.outputs["plan-digest"])
    assert applied.returncode == 1, applied.stdout + applied.stderr
    assert "is not the approved plan" in applied.stderr
    assert both_checksums(dbpair) == before


@pytest.mark.parametrize(
    "ddl",
    [
        'ALTER TABLE "services" ADD COLUMN "legacy" boolean DEFAULT touch_users();',
        'ALTER TABLE "services" ADD CONSTRAINT touchy CHECK (touch_users()) NOT VALID;',
        'CREATE DOMAIN flag AS boolean CHECK (touch_users()); ALTER TABLE "services" '
        'ADD COLUMN "legacy" flag;',
        "CREATE FUNCTION touch_i(text) RETURNS boolean LANGUAGE plpgsql IMMUTABLE AS "
        '$$ BEGIN RETURN public.touch_users(); END $$; CREATE INDEX touchy ON "services" '
        '(touch_i("name"));',
    ],
    ids=["default", "check", "domain-check", "index-expression"],
)
def test_user_function_run_by_a_write_is_refused(dbpair: DbPair, tmp_path: Path, ddl: str) -> None:
    """A user function that a write to services would run (a default, a CHECK, a domain's
    CHECK, an index expression; here one that updates users with its owner's rights) is
    refused with exit 1 naming it; users stays as it was."""
    seed.seed_demo(dbpair.admin("dev"), dbpair.admin("prod"))
    prod = dbpair.admin("prod")
    prod.execute(
        "CREATE FUNCTION touch_users() RETURNS boolean LANGUAGE plpgsql SECURITY DEFINER AS "
        "$$ BEGIN UPDATE public.users SET name = coalesce(name, '') || 'x'; RETURN true; END $$;"
    )
    prod.execute(ddl)
    before = both_checksums(dbpair)
    result = plan(dbpair, tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "would run user functions refsync cannot see into" in result.stderr
    assert "public.touch_" in result.stderr
    assert both_checksums(dbpair) == before


def test_functions_of_extensions_and_builtins_are_trusted(dbpair: DbPair, tmp_path: Path) -> None:
    """Defaults calling built-ins and extension functions (citext's, here in a CHECK) do not
    refuse the plan."""
    seed.seed_demo(dbpair.admin("dev"), dbpair.admin("prod"))
    dbpair.admin("prod").execute(
        "CREATE EXTENSION IF NOT EXISTS citext;"
        'ALTER TABLE "services" ADD COLUMN "ref" uuid DEFAULT gen_random_uuid();'
        'ALTER TABLE "services" ADD CONSTRAINT lower_name CHECK (citext(name) IS NOT NULL);'
    )
    result = plan(dbpair, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_nan_match_key_is_refused_rather_than_created_on_every_apply(
    dbpair: DbPair, tmp_path: Path
) -> None:
    """NaN equals nothing, not even itself: a dev row matched by a NaN would never find the
    prod row an apply created from it, and a table whose ids prod makes would get it again on
    every apply. The plan refuses it by name (exit 1); prod's own NaN row is left alone."""
    _on_both(
        dbpair,
        "rates",
        "CREATE TABLE rates (id integer GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, "
        "code float8 NOT NULL, name text);",
    )
    dbpair.admin("dev").execute(
        "INSERT INTO rates (code, name) VALUES ('NaN', 'not a number'), (1.5, 'one and a half')"
    )
    dbpair.admin("prod").execute("INSERT INTO rates (code, name) VALUES ('NaN', 'prod row')")
    before = both_checksums(dbpair)
    config = PLANS.replace("plans", "rates")
    workdir = tmp_path / "run"
    planned = plan(dbpair, workdir / "plan", extra={"INPUT_CONFIG": _write(workdir, config)})
    assert planned.returncode == 1, planned.stdout + planned.stderr
    assert "rates: row 1 has NaN in code" in planned.stdout
    assert both_checksums(dbpair) == before


SPANS = """version: 1
tables:
  - name: spans
    match: {column: code}
    compare: [span, name]
"""


def test_a_range_with_a_nan_bound_is_the_same_range(dbpair: DbPair, tmp_path: Path) -> None:
    """numrange takes NaN as a bound, and psycopg's == takes such a range for unequal to
    itself. A compared one that dev and prod share is unchanged, and a row to create that
    holds one in a column only an insert copies (its long `body` read again for it) is
    created once: the plan applies, and the next plan has nothing to do."""
    _on_both(
        dbpair,
        "spans",
        "CREATE TABLE spans (id text PRIMARY KEY, code text UNIQUE NOT NULL, name text, "
        "span numrange, kept numrange, body text);"
        "INSERT INTO spans VALUES ('s1', 'same', 'Same', numrange(1, 'NaN'), NULL, NULL);",
    )
    dbpair.admin("dev").execute(
        "INSERT INTO spans VALUES ('s2', 'new', 'New', numrange(2, 3), "
        "numrange('NaN', NULL), repeat('long body ', 100))"
    )
    workdir = tmp_path / "run"
    extra = {"INPUT_CONFIG": _write(workdir, SPANS)}
    planned = plan(dbpair, workdir / "plan", extra=extra)
    assert planned.returncode == 0, planned.stdout + planned.stderr
    assert (planned.outputs["creates"], planned.outputs["updates"]) == ("1", "0")
    assert planned.outputs["unchanged"] == "1"
    digest = planned.outputs["plan-digest"]
    applied = _apply_with(dbpair, workdir / "apply", digest, extra)
    assert applied.returncode == 0, applied.stdout + applied.stderr
    again = plan(dbpair, workdir / "again", extra=extra)
    assert again.returncode == 0, again.stdout + again.stderr
    assert again.outputs["has-changes"] == "false"
    query = "SELECT id, code, name, span::text, kept::text, body FROM spans ORDER BY id"
    assert (
        dbpair.admin("prod").execute(query).fetchall()
        == dbpair.admin("dev").execute(query).fetchall()
    )
