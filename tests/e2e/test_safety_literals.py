"""Values are parameters, never SQL: names and descriptions full of quotes, semicolons, SQL
fragments, dollar quotes, backslashes, placeholders and Unicode are stored exactly as dev has
them, and none of them appears in the text of a statement the server executed."""

from __future__ import annotations

from pathlib import Path

from devtools.pgserver import StatementLog
from tests.fixtures.db import table_checksums
from tests.fixtures.pg import DbPair
from tests.fixtures.safety import apply, plan, refsync_statements

CATEGORY = 'Cat "A"; -- \' odd'
HOSTILE = [
    "O'Brien's \"Deluxe\" Clean",
    "Semi;colon; service;",
    "'); DROP TABLE services; --",
    "Robert'); DELETE FROM bookings WHERE ('1'='1",
    "$$ dollar $$ quoted $tag$ body $tag$",
    "Back\\slash \\\\ path C:\\temp\\new E'\\x41'",
    "Ünïcödé 日本語 🧹 ﬁne clean",
    "100%s off %(name)s %% deal %",
    "Multi\nline\ttabbed */ /* comment",
]
UPDATED = "Existing service"
UPDATED_DESCRIPTION = "now: '); UPDATE users SET role = 'ADMIN'; -- $$ \\ %s ✓"


def test_hostile_names_are_stored_literally(
    dbpair: DbPair, statement_log: StatementLog, tmp_path: Path
) -> None:
    """Plan and apply copy hostile text byte for byte, as parameters, touching nothing else."""
    dev, prod = dbpair.admin("dev"), dbpair.admin("prod")
    dev.execute(
        """INSERT INTO service_categories (id, name, description, icon, "updatedAt")
           VALUES ('dev-cat', %s, %s, %s, now())""",
        [CATEGORY, HOSTILE[2], HOSTILE[4]],
    )
    for i, name in enumerate([*HOSTILE, UPDATED]):
        description = UPDATED_DESCRIPTION if name == UPDATED else name[::-1]
        dev.execute(
            """INSERT INTO services (id, name, description, price, "categoryId", "updatedAt")
               VALUES (%s, %s, %s, 10, 'dev-cat', now())""",
            [f"dev-s{i}", name, description],
        )
    prod.execute(
        """INSERT INTO service_categories (id, name, "updatedAt")
           VALUES ('prod-cat', %s, now())""",
        [CATEGORY],
    )
    prod.execute(
        """INSERT INTO services (id, name, description, price, "categoryId", "updatedAt")
           VALUES ('prod-s', %s, 'old', 10, 'prod-cat', now())""",
        [UPDATED],
    )
    before = table_checksums(prod)

    planned = plan(dbpair, tmp_path / "plan")
    assert planned.returncode == 0, planned.stderr
    assert (planned.outputs["creates"], planned.outputs["updates"]) == (str(len(HOSTILE)), "2")
    mark = statement_log.mark()
    applied = apply(dbpair, tmp_path / "apply", planned.outputs["plan-digest"])
    assert applied.returncode == 0, applied.stdout + applied.stderr

    query = """SELECT s.name, s.description, c.name, c.description, c.icon
               FROM services s JOIN service_categories c ON c.id = s."categoryId"
               ORDER BY s.name"""
    assert prod.execute(query).fetchall() == dev.execute(query).fetchall()
    after = table_checksums(prod)
    assert {t for t in after if after[t] != before[t]} == {
        "public.services",
        "public.service_categories",
    }
    sent = [e.message for e in refsync_statements(statement_log, mark)]
    for fragment in ("DROP TABLE", "DELETE FROM", "UPDATE users", "$tag$", "Ünïcödé", "O'Brien"):
        assert not any(fragment in statement for statement in sent), fragment
