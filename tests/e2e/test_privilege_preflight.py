"""Missing privileges are found before anything is read or written, all at once, with a
GRANT script that fixes them (identifiers quoted as the catalog spells them): a dry-run
lists what an apply would lack, an apply refuses before its first write, and after the
script one apply is correct and the next plan is empty."""

from __future__ import annotations

from pathlib import Path

from devtools.runner import RunResult
from tests.fixtures.pg import DbPair
from tests.fixtures.safety import apply, both_checksums, plan, with_config

PROD_ROLE = "refsync_prod_writer"  # the canonical name; DbPair.with_roles maps it
SCHEMA = """
CREATE TABLE "Brand" (
    id serial PRIMARY KEY,
    name text NOT NULL,
    "updatedAt" timestamptz NOT NULL
);
CREATE TABLE "Product" (
    id serial PRIMARY KEY,
    name text NOT NULL,
    "brandId" integer REFERENCES "Brand" (id),
    "updatedAt" timestamptz NOT NULL
);
CREATE TABLE "Order" (id serial PRIMARY KEY, "productId" integer REFERENCES "Product" (id));
GRANT SELECT ON "Brand", "Product" TO refsync_dev_reader;
"""
PROD_GRANTS = f"""
GRANT SELECT, INSERT, UPDATE ON "Brand", "Product" TO {PROD_ROLE};
GRANT SELECT ("productId") ON "Order" TO {PROD_ROLE};
"""
CONFIG = """version: 1
tables:
  - name: Brand
    match: {slug_from: name}
    compare: [name]
  - name: Product
    match: {slug_from: name}
    compare: [name, brandId]
    references: {brandId: Brand}
"""
SEQUENCES = ('"public"."Brand_id_seq"', '"public"."Product_id_seq"')


def _setup(dbpair: DbPair) -> None:
    dev, prod = dbpair.admin("dev"), dbpair.admin("prod")
    for conn in (dev, prod):
        conn.execute(dbpair.with_roles(SCHEMA))
    prod.execute(dbpair.with_roles(PROD_GRANTS))
    dev.execute(
        """INSERT INTO "Brand" (name, "updatedAt") VALUES ('Acme', now()), ('Zenith', now());
           INSERT INTO "Product" (name, "brandId", "updatedAt")
           VALUES ('Anvil', 1, now()), ('Rocket', 2, now())"""
    )


def _run(dbpair: DbPair, workdir: Path, digest: str | None = None) -> RunResult:
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "refsync.yml").write_text(CONFIG)
    config = with_config(workdir / "refsync.yml")
    if digest is None:
        return plan(dbpair, workdir, extra=config)
    return apply(dbpair, workdir, digest, extra=config)


def _sequence_state(dbpair: DbPair) -> list[tuple[int, bool]]:
    prod = dbpair.admin("prod")
    return [
        prod.execute(f"SELECT last_value, is_called FROM {seq}").fetchall()[0] for seq in SEQUENCES
    ]


def test_missing_sequence_grants_listed_then_fixed_by_the_script(
    dbpair: DbPair, tmp_path: Path
) -> None:
    """Without USAGE on the two serial sequences, one dry-run names both with the exact
    GRANT script; the apply refuses before writing (no sequence value used); after running
    the script the same approved plan applies, and the next plan is empty."""
    _setup(dbpair)
    planned = _run(dbpair, tmp_path / "plan")
    assert planned.returncode == 0, planned.stdout + planned.stderr
    assert planned.plan is not None
    missing = planned.plan["missing_privileges"]
    role = f'"{dbpair.prod_role}"'
    script = [f"GRANT USAGE ON SEQUENCE {seq} TO {role};" for seq in SEQUENCES]
    assert missing["grant_script"] == script
    for line in script:
        assert line in planned.summary
        assert line in planned.stdout
    assert "::warning title=refsync privileges::the prod role" in planned.stdout

    before, sequences = both_checksums(dbpair), _sequence_state(dbpair)
    refused = _run(dbpair, tmp_path / "apply", planned.outputs["plan-digest"])
    assert refused.returncode == 1, refused.stdout + refused.stderr
    for line in script:
        assert line in refused.stderr
    assert both_checksums(dbpair) == before
    assert _sequence_state(dbpair) == sequences

    dbpair.admin("prod").execute("\n".join(missing["grant_script"]))
    applied = _run(dbpair, tmp_path / "apply2", planned.outputs["plan-digest"])
    assert applied.returncode == 0, applied.stdout + applied.stderr
    rows = dbpair.admin("prod").execute(
        'SELECT p.name, b.name FROM "Product" p JOIN "Brand" b ON b.id = p."brandId" ORDER BY 1'
    )
    assert rows.fetchall() == [("Anvil", "Acme"), ("Rocket", "Zenith")]
    again = _run(dbpair, tmp_path / "again")
    assert again.returncode == 0, again.stdout + again.stderr
    assert again.outputs["has-changes"] == "false"
    assert again.plan is not None
    assert again.plan["missing_privileges"] is None


def test_every_missing_read_and_write_privilege_is_listed_at_once(
    dbpair: DbPair, tmp_path: Path
) -> None:
    """A dry-run that could not read (no SELECT on a referencing column) refuses with exit 1
    listing every missing privilege of both kinds at once, each with its GRANT line."""
    _setup(dbpair)
    dbpair.admin("prod").execute(
        dbpair.with_roles(
            f'REVOKE SELECT ("productId") ON "Order" FROM {PROD_ROLE};'
            f'REVOKE UPDATE ON "Product" FROM {PROD_ROLE};'
            f'GRANT UPDATE ("brandId") ON "Product" TO {PROD_ROLE};'
        )
    )
    role = f'"{dbpair.prod_role}"'
    result = _run(dbpair, tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    for line in (
        f'GRANT SELECT ("productId") ON "public"."Order" TO {role};',
        f'GRANT UPDATE ("name", "updatedAt") ON "public"."Product" TO {role};',
        f'GRANT USAGE ON SEQUENCE "public"."Brand_id_seq" TO {role};',
    ):
        assert line in result.stderr
    assert result.outputs == {}
