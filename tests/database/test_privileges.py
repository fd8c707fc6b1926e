"""The privilege check: what the prod role may do beyond what refsync needs is reported as a
warning and in the summary, never refused; the least-privilege role gets no warning."""

from __future__ import annotations

from pathlib import Path

from psycopg import sql

from devtools import seed
from refsync import guard
from refsync.db import Database
from refsync.privileges import excess_privileges
from refsync.session import Timeouts
from tests.fixtures.pg import DbPair
from tests.fixtures.safety import FINGERPRINT, REFERENCE, plan

POLICY = guard.Policy(readable=frozenset({*REFERENCE, FINGERPRINT}), column_readable={})


def _warnings(url: str) -> tuple[str, ...]:
    db = Database.connect(url, "prod", POLICY, read_only=True, timeouts=Timeouts())
    try:
        return excess_privileges(db, REFERENCE)
    finally:
        db.close()


def test_least_privilege_role_gets_no_warning(dbpair: DbPair, tmp_path: Path) -> None:
    """Under docs/setup.md's least-privilege role a dry-run warns about nothing and says so."""
    seed.seed_demo(dbpair.admin("dev"), dbpair.admin("prod"))
    result = plan(dbpair, tmp_path)
    assert result.returncode == 0, result.stderr
    assert "refsync privileges" not in result.stdout
    assert "### Privileges" in result.summary
    assert "holds nothing beyond what refsync needs" in result.summary


def test_superuser_is_warned_but_not_refused(dbpair: DbPair, tmp_path: Path) -> None:
    """A superuser prod URL still plans (exit 0) but warns, naming superuser, in log and summary."""
    seed.seed_demo(dbpair.admin("dev"), dbpair.admin("prod"))
    result = plan(dbpair, tmp_path, prod=dbpair.prod_admin_url)
    assert result.returncode == 0, result.stderr
    [warning] = [line for line in result.stdout.splitlines() if "refsync privileges" in line]
    assert warning.startswith("::warning title=refsync privileges::")
    assert "is a superuser" in warning
    assert "### Privileges" in result.summary
    assert "is a superuser" in result.summary


def test_each_excess_grant_is_named(dbpair: DbPair) -> None:
    """DELETE, TRUNCATE, REFERENCES, TRIGGER, ownership and CREATE, direct or through a role,
    are each reported; INSERT/UPDATE on the reference tables are not."""
    admin = dbpair.admin("prod")
    role = sql.Identifier(dbpair.prod_role)
    admin.execute("DROP ROLE IF EXISTS refsync_test_wide")
    admin.execute("CREATE ROLE refsync_test_wide NOLOGIN")
    try:
        admin.execute(sql.SQL("GRANT DELETE ON services, bookings TO {}").format(role))
        admin.execute(sql.SQL("GRANT TRIGGER, REFERENCES ON payments TO {}").format(role))
        admin.execute(sql.SQL("GRANT UPDATE ON users TO {}").format(role))
        admin.execute(sql.SQL("GRANT CREATE ON SCHEMA public TO {}").format(role))
        admin.execute("GRANT TRUNCATE ON reviews TO refsync_test_wide")
        admin.execute(sql.SQL("GRANT refsync_test_wide TO {}").format(role))
        warnings = _warnings(dbpair.prod_url)
    finally:
        admin.execute("DROP OWNED BY refsync_test_wide")
        admin.execute("DROP ROLE refsync_test_wide")
    user = f"the prod role `{dbpair.prod_role}`"
    assert f"{user} holds DELETE on bookings, services" in warnings
    assert f"{user} holds REFERENCES on payments" in warnings
    assert f"{user} holds TRIGGER on payments" in warnings
    assert f"{user} holds UPDATE on users" in warnings
    assert f"{user} holds CREATE on schema `public`" in warnings
    assert f"{user} (as member of `refsync_test_wide`) holds TRUNCATE on reviews" in warnings
    assert not any("INSERT" in w or "UPDATE on services" in w for w in warnings)


def test_ownership_and_role_attributes_are_named(dbpair: DbPair) -> None:
    """A prod role that owns a reference table and may create databases is told so."""
    admin = dbpair.admin("prod")
    role = sql.Identifier(dbpair.prod_role)
    admin.execute(sql.SQL("ALTER TABLE service_categories OWNER TO {}").format(role))
    admin.execute(sql.SQL("ALTER ROLE {} CREATEDB").format(role))
    try:
        warnings = _warnings(dbpair.prod_url)
    finally:
        admin.execute(sql.SQL("ALTER ROLE {} NOCREATEDB").format(role))
    user = f"the prod role `{dbpair.prod_role}`"
    assert any(w.startswith(f"{user} owns table(s) service_categories") for w in warnings)
    assert f"{user} has the role attribute(s) CREATEDB" in warnings


def test_privilege_queries_pass_the_statement_guard() -> None:
    """has_schema_privilege is on the guard's allowlist and every privilege query passes it."""
    from refsync import privileges

    for query in (privileges._ROLES, privileges._TABLES, privileges._SCHEMAS_AND_DATABASE):
        guard.check(query.as_string(None), POLICY)
