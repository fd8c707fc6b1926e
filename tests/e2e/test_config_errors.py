"""A config error through the real entrypoint exits 2 and writes nothing: before any
connection when the file is invalid, at the catalog check when a `protected_by` column does
not exist (the validation itself, without a process: tests/unit/test_config.py)."""

from __future__ import annotations

import shutil
from pathlib import Path

from devtools.runner import run_entrypoint
from tests.fixtures.db import table_checksums
from tests.fixtures.pg import DbPair
from tests.fixtures.scenarios import SCENARIOS_DIR, load_sql


def test_missing_protected_by_column_exits_2(dbpair: DbPair, tmp_path: Path) -> None:
    """Through the real entrypoint, a protected_by column that does not exist exits 2, names
    the entry and its right spelling, and writes nothing."""
    scenario = SCENARIOS_DIR / "protected_by_missing_column"
    load_sql(dbpair, scenario)
    config = tmp_path / "work" / "refsync.yml"
    config.parent.mkdir(parents=True)
    shutil.copy(scenario / "config.yml", config)
    before = table_checksums(dbpair.admin("prod"))
    result = run_entrypoint(
        tmp_path / "work",
        {
            "dev-database-url": dbpair.dev_url,
            "prod-database-url": dbpair.prod_url,
            "config": "refsync.yml",
        },
    )
    assert result.returncode == 2, result.stdout + result.stderr
    assert "`tables[0].protected_by[0]` (products)" in result.stderr
    assert "`public.orders.productID` does not exist on prod" in result.stderr
    assert "write `orders.productId`" in result.stderr
    assert any(line.startswith("::error") for line in result.stdout.splitlines())
    assert result.outputs == {}
    assert table_checksums(dbpair.admin("prod")) == before


def test_config_error_exits_2_before_connecting(tmp_path: Path) -> None:
    """An invalid config file exits 2 through the real entrypoint without any database."""
    (tmp_path / "work").mkdir()
    (tmp_path / "work" / "refsync.yml").write_text(
        "version: 1\ntables:\n"
        "  - name: categories\n    match: {slug_from: name}\n    compare: [name]\n    bogus: 1\n"
    )
    result = run_entrypoint(
        tmp_path / "work",
        {
            "dev-database-url": "postgresql://nobody@127.0.0.1:1/dev",
            "prod-database-url": "postgresql://nobody@127.0.0.1:1/prod",
            "config": "refsync.yml",
        },
    )
    assert result.returncode == 2, result.stdout + result.stderr
    assert "`tables[0].bogus`: unknown key" in result.stderr
