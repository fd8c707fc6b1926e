"""An apply writes each value as prod's encoding holds it: the JSON of a statement's values is
sent in the connection's client encoding (`apply._payloads`), so a LATIN1 prod gets `é` as
its one LATIN1 byte, and a dev value LATIN1 cannot hold refuses the apply (exit 3) with
nothing written, naming the table and the character (it was psycopg's bare
UnicodeEncodeError, an unexpected error)."""

from __future__ import annotations

from pathlib import Path

import pytest

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
