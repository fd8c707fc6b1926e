"""A name the catalog does not have gets the closest existing names as a hint: a table in
another case or schema, a column in another case."""

from __future__ import annotations

import pytest

from refsync.config_file import parse_config
from refsync.errors import RefsyncError, SafetyError, UsageError
from tests.fixtures.pg import DbPair
from tests.fixtures.scenarios import plan_and_apply

SCHEMA = """
CREATE SCHEMA shop;
CREATE TABLE "Category" (id text PRIMARY KEY, name text NOT NULL, "isActive" boolean);
CREATE TABLE shop.brands (id text PRIMARY KEY, name text NOT NULL);
GRANT USAGE ON SCHEMA shop TO refsync_dev_reader, refsync_prod_writer;
GRANT SELECT ON "Category", shop.brands TO refsync_dev_reader;
GRANT SELECT, INSERT, UPDATE ON "Category", shop.brands TO refsync_prod_writer;
"""


def _refusal(dbpair: DbPair, table: str, compare: str) -> RefsyncError:
    for side in ("dev", "prod"):
        dbpair.admin(side).execute(dbpair.with_roles(SCHEMA))
    config = parse_config(
        f"version: 1\ntables:\n{table}    match: {{slug_from: name}}\n    compare: [{compare}]\n",
        source="test",
    )
    with pytest.raises(RefsyncError) as refused:
        plan_and_apply(dbpair, config)
    return refused.value


def test_wrong_case_table_gets_the_right_spelling(dbpair: DbPair) -> None:
    """`name: category` for a table "Category" names `Category` in the message."""
    error = _refusal(dbpair, "  - name: category\n", "name")
    assert isinstance(error, SafetyError)
    assert "table `category` (`tables[0].name` in the config) does not exist" in error.message
    assert "did you mean `Category`?" in error.message


def test_table_in_another_schema_is_suggested(dbpair: DbPair) -> None:
    """`name: brands` (schema public) for shop.brands suggests `shop.brands`."""
    error = _refusal(dbpair, "  - name: brands\n", "name")
    assert "did you mean `shop.brands`" in error.message


def test_wrong_case_column_gets_the_right_spelling(dbpair: DbPair) -> None:
    """A compared column missing on both sides is a config error (exit 2) naming the
    column as the catalog spells it."""
    error = _refusal(dbpair, "  - name: Category\n", "name, isactive")
    assert isinstance(error, UsageError)
    assert "has no column `isactive` on dev or prod; did you mean `isActive`?" in error.message
