"""Long text values kept on disk (`refsync.spill`), on real databases: a run that spills plans,
hashes, writes its plan file and job summary, and applies exactly as a read of every value in
full at once does, with hostile text across the 1 MiB pieces values are read back in; and what
it must not spill (a value a first read held as text, a LATIN1 prod's values) stays as read.
The golden scenarios spill every non-empty text in their all-hashed modes
(`test_scenarios.py`); `tests/unit/test_spill.py` holds the parts without a database."""

from __future__ import annotations

from pathlib import Path

import pytest

from refsync import snapshot, spill
from refsync.config import Config
from refsync.digest import Pieces
from tests.database.test_long_values import LONG, _features
from tests.fixtures.outcomes import assert_same_report, spilled
from tests.fixtures.pg import DbPair, latin1_prod
from tests.fixtures.scenarios import plan_and_apply

#: Escapes, control characters, line separators, characters of 2 to 4 UTF-8 bytes, digits.
_PIECE = 'a"b\\c\\u0041\n\t\x01\x1f\u2028\u2029 é€😀 123 \\\\"" '


def _hostile(n: int) -> str:
    """`n` characters with an escape or a multi-byte character at every offset, so a 1 MiB
    piece boundary falls inside one."""
    return (_PIECE * (n // len(_PIECE) + 1))[:n]


VALUES = {
    "exact": "x" * 256,  # exactly LONG_BYTES: neither hashed nor spilled
    "over": "9" * 257,  # one more, all digits
    "bytes": "é" * 129,  # 258 bytes in 129 characters: hashed, not spilled
    "big": "😀" + _hostile(3 * 2**20 + 7),  # read back in four pieces
}


def _docs(dbpair: DbPair, tmp_path: Path) -> Config:
    """`features` with a `note` for values of megabytes, and `extra`, an insert-only text."""
    config = _features(dbpair, tmp_path, "body, note")
    for side in ("dev", "prod"):
        dbpair.admin(side).execute(
            "ALTER TABLE features ALTER COLUMN note TYPE varchar(4000000), ADD COLUMN extra text"
        )
    insert = "INSERT INTO features (id, key, body, note, extra) VALUES (%s, %s, %s, %s, %s)"
    for n, (name, value) in enumerate(VALUES.items()):
        dbpair.admin("dev").execute(insert, [f"d{n}", name, value, value + "!", value])
        dbpair.admin("dev").execute(insert, [f"n{n}", "new-" + name, value, value, value])
        dbpair.admin("prod").execute(insert, [f"p{n}", name, value + "?", value, None])
    return config


def test_hostile_long_values_plan_and_apply_as_read_in_full(
    dbpair: DbPair, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = _docs(dbpair, tmp_path)
    monkeypatch.setattr(snapshot, "LONG_BYTES", 10**9)  # nothing long: everything in memory
    in_full = plan_and_apply(dbpair, config)
    monkeypatch.undo()
    spilled = plan_and_apply(dbpair, config)

    assert any(type(t) is Pieces for t in spilled.canonical_operations)
    sizes = [
        v.size
        for t in spilled.plan.tables
        for c in t.creates
        for v in c.values.values()
        if type(v) is spill.Spilled
    ]
    assert max(sizes) > 3 * spill.CHUNK_BYTES
    assert spilled.digest == in_full.digest
    assert_same_report(spilled, in_full, tmp_path)

    applied = plan_and_apply(dbpair, config, spilled.digest)
    assert applied.written is not None
    query = "SELECT key, body, note, extra FROM features WHERE key <> ALL(%s) ORDER BY key"
    existing = [list(VALUES)]  # updates leave `extra` (insert-only) as prod had it: NULL
    dev = dbpair.admin("dev").execute(query, existing).fetchall()
    prod = dbpair.admin("prod").execute(query, existing).fetchall()
    assert prod == dev  # the rows created: every value, the insert-only one too
    changed = "SELECT key, body, note FROM features ORDER BY key"
    assert dbpair.admin("prod").execute(changed).fetchall() == (
        dbpair.admin("dev").execute(changed).fetchall()
    )
    assert not plan_and_apply(dbpair, config).plan.has_changes


def test_an_apply_to_a_latin1_prod_keeps_its_long_values_as_read(
    dbpair: DbPair, tmp_path: Path
) -> None:
    """Between servers of two encodings nothing is hashed, so nothing compared is spilled: a
    row to update whose other long value is equal on both sides is locked and found as the
    read found it (spilled under the lock, it would look moved and refuse every such apply)."""
    latin1_prod(dbpair)
    config = _features(dbpair, tmp_path, "body, note")
    insert = "INSERT INTO features (id, key, body, note) VALUES (%s, 'k', %s, %s)"
    dbpair.admin("dev").execute(insert, ["d1", LONG, "new"])
    dbpair.admin("prod").execute(insert, ["p1", LONG, "old"])
    approved = plan_and_apply(dbpair, config)
    [update] = approved.plan.table("features").updates
    assert update.changes == {"note": ("old", "new")}
    applied = plan_and_apply(dbpair, config, approved.digest)
    assert applied.written is not None
    assert applied.written.updated == 1
    assert not plan_and_apply(dbpair, config).plan.has_changes


def test_a_value_of_exactly_long_bytes_is_held_as_read(dbpair: DbPair, tmp_path: Path) -> None:
    """A value of `LONG_BYTES` characters is a first read's text: read again in full beside a
    long value of its row, it is not spilled, so the two reads agree and it is unchanged."""
    config = _features(dbpair, tmp_path, "body, note")
    insert = "INSERT INTO features (id, key, body, note) VALUES (%s, 'k', %s, %s)"
    exact = "x" * snapshot.LONG_BYTES
    dbpair.admin("dev").execute(insert, ["d1", exact, "y" * 300])
    dbpair.admin("prod").execute(insert, ["p1", exact, "short"])
    [update] = plan_and_apply(dbpair, config).plan.table("features").updates
    assert list(update.changes) == ["note"]
    assert update.changes["note"] == ("short", spilled("y" * 300))
