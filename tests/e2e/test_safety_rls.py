"""Row-level security must not silently hide rows from refsync: a hidden booking would
leave its service unprotected, a hidden prod row would be created twice."""

from __future__ import annotations

from pathlib import Path

from devtools import seed
from tests.fixtures.db import table_checksums
from tests.fixtures.pg import DbPair
from tests.fixtures.safety import plan

REFERRERS = ("bookings", "provider_services", "catalogue_items", "booking_drafts")


def test_rls_on_a_referencing_table_refuses(dbpair: DbPair, tmp_path: Path) -> None:
    """With RLS on the referencing tables (no policy for refsync), the plan exits 1 naming
    row-level security instead of planning updates of booked services."""
    seed.seed_demo(dbpair.admin("dev"), dbpair.admin("prod"))
    prod = dbpair.admin("prod")
    for table in REFERRERS:
        prod.execute(f'ALTER TABLE "{table}" ENABLE ROW LEVEL SECURITY')
    before = table_checksums(prod)
    result = plan(dbpair, tmp_path / "plan")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "row-level security" in result.stderr
    assert result.outputs == {}
    assert table_checksums(prod) == before


def test_rls_on_a_reference_table_refuses(dbpair: DbPair, tmp_path: Path) -> None:
    """RLS hiding prod services from refsync's read refuses rather than planning duplicates."""
    seed.seed_demo(dbpair.admin("dev"), dbpair.admin("prod"))
    prod = dbpair.admin("prod")
    prod.execute('ALTER TABLE "services" ENABLE ROW LEVEL SECURITY')
    result = plan(dbpair, tmp_path / "plan")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "row-level security" in result.stderr


def test_rls_bypassed_by_the_role_works(dbpair: DbPair, tmp_path: Path) -> None:
    """With BYPASSRLS (the documented fix) the plan runs, protects, and warns about nothing."""
    seed.seed_demo(dbpair.admin("dev"), dbpair.admin("prod"))
    prod = dbpair.admin("prod")
    prod.execute('ALTER TABLE "bookings" ENABLE ROW LEVEL SECURITY')
    prod.execute(f"ALTER ROLE {dbpair.prod_role} BYPASSRLS")
    try:
        result = plan(dbpair, tmp_path / "plan")
    finally:
        prod.execute(f"ALTER ROLE {dbpair.prod_role} NOBYPASSRLS")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "in use by bookings.serviceId" in result.summary
    assert "refsync privileges" not in result.stdout
