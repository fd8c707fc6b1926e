"""An apply writes each value as prod's encoding holds it: the JSON of a statement's values is
sent in the connection's client encoding (`apply._payloads`), so a LATIN1 prod gets `é` as
its one LATIN1 byte, a UTF8 prod whose role sets another client encoding stores dev's text
exactly, and a dev value LATIN1 cannot hold refuses the apply (exit 3) with nothing written,
naming the table and the character (it was psycopg's bare UnicodeEncodeError, an unexpected
error). A trigger that changes the client encoding between two statements of one table's
write refuses it too: the next statement's bytes were encoded for the encoding before."""

from __future__ import annotations

from pathlib import Path

import pytest
from psycopg import sql

from refsync import apply
from refsync.config_file import load_config
from refsync.errors import OperationalError
from tests.database.test_long_values import _features
from tests.fixtures.pg import DbPair, latin1_prod
from tests.fixtures.scenarios import plan_and_apply

INSERT = "INSERT INTO features (id, key, body, note) VALUES (%s, %s, %s, %s)"


def test_latin1_prod_gets_its_own_bytes(dbpair: DbPair, tmp_path: Path) -> None:
    latin1_prod(dbpair)
    config = _features(dbpair, tmp_path, "body, note")
    for row in [("d1", "café", "crème brûlée", "ÿ" * 300), ("d2", "new", "naïve", "Æ")]:
        dbpair.admin("dev").execute(INSERT, list(row))
    dbpair.admin("prod").execute(INSERT, ["p1", "café", "creme brulee", "old"])
    approved = plan_and_apply(dbpair, config)
    applied = plan_and_apply(dbpair, config, approved.digest)
    assert applied.written is not None
    assert (applied.written.inserted, applied.written.updated) == (1, 1)
    query = "SELECT key, body, note, octet_length(body) FROM features ORDER BY key"
    assert dbpair.admin("prod").execute(query).fetchall() == [
        ("café", "crème brûlée", "ÿ" * 300, 12),  # one byte a character in LATIN1
        ("new", "naïve", "Æ", 5),
    ]
    assert not plan_and_apply(dbpair, config).plan.has_changes


def test_a_value_latin1_cannot_hold_refuses_the_apply(dbpair: DbPair, tmp_path: Path) -> None:
    latin1_prod(dbpair)
    config = _features(dbpair, tmp_path, "body, note")
    dbpair.admin("dev").execute(INSERT, ["d1", "ok", "fine", "x"])
    dbpair.admin("dev").execute(INSERT, ["d2", "euro", "5 €", "x"])
    before = dbpair.admin("prod").execute("SELECT count(*) FROM features").fetchone()
    approved = plan_and_apply(dbpair, config)
    with pytest.raises(OperationalError, match=r"features: a value holds '\\u20ac'") as raised:
        plan_and_apply(dbpair, config, approved.digest)
    assert raised.value.exit_code == 3
    assert "LATIN1" in str(raised.value.fix) or "UTF8" in str(raised.value.fix)
    assert dbpair.admin("prod").execute("SELECT count(*) FROM features").fetchone() == before


@pytest.mark.parametrize(("encoding", "text"), [("WIN1251", "Ж ё €"), ("SJIS", "日本語")])
def test_a_client_encoding_set_for_prod_s_role_stores_dev_s_text(
    encoding: str, text: str, dbpair: DbPair
) -> None:
    """As `PGCLIENTENCODING` or a connection's `options` would: the bytes sent are the
    session's encoding's, and the UTF8 server stores exactly dev's text."""
    with dbpair.server.admin(dbpair.prod_db) as conn:
        conn.execute(
            sql.SQL("ALTER ROLE {} IN DATABASE {} SET client_encoding = {}").format(
                sql.Identifier(dbpair.prod_role),
                sql.Identifier(dbpair.prod_db),
                sql.Literal(encoding),
            )
        )
    insert = (
        'INSERT INTO service_categories (id, name, description, icon, "isActive", "updatedAt") '
        "VALUES (%s, %s, %s, 'x', true, now())"
    )
    dbpair.admin("dev").execute(insert, ["c1", "Cat " + text, text * 200])
    config = load_config(None)
    approved = plan_and_apply(dbpair, config)
    applied = plan_and_apply(dbpair, config, approved.digest)
    assert applied.written is not None
    query = "SELECT name, description FROM service_categories"
    assert dbpair.admin("prod").execute(query).fetchall() == [("Cat " + text, text * 200)]


SWITCH = """
CREATE FUNCTION switch_encoding() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM set_config('client_encoding', 'LATIN1', true);
  RETURN NULL;
END $$;
CREATE TRIGGER switch_encoding AFTER INSERT ON features
  FOR EACH STATEMENT EXECUTE FUNCTION switch_encoding();
"""


def test_a_trigger_that_changes_the_client_encoding_mid_write_refuses_it(
    dbpair: DbPair, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = _features(dbpair, tmp_path, "body, note")
    dbpair.admin("prod").execute(SWITCH)
    for i in range(3):
        dbpair.admin("dev").execute(INSERT, [f"d{i}", f"k{i}", "crème brûlée", "x"])
    monkeypatch.setattr(apply, "BATCH_BYTES", 60)  # a row a statement
    approved = plan_and_apply(dbpair, config)
    with pytest.raises(OperationalError, match="client encoding changed from utf-8 to") as raised:
        plan_and_apply(dbpair, config, approved.digest)
    assert raised.value.exit_code == 3
    assert dbpair.admin("prod").execute("SELECT count(*) FROM features").fetchone() == (0,)
