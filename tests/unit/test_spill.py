"""Long values kept on disk (`refsync.spill`) are, to everything that compares, hashes, shows
or writes them, the text they stand for: equal exactly when their texts are, never equal to a
`str`, the same operations' texts, digest, plan file and console and summary lines, and the
same values sent to prod; read back a piece at a time, a character split between pieces or an
escape that falls on a boundary included. The database tests hold a real run to a read in
full (`tests/database/test_long_values.py`, and every golden scenario with every non-empty
text spilled in `tests/database/test_scenarios.py`)."""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from refsync import apply, plan_file, spill
from refsync.compare import same
from refsync.digest import (
    Pieces,
    canonical,
    digest,
    members,
    op_chunks,
    operation_texts,
    plan_texts,
    to_json,
    whole_text,
)
from refsync.engine import Outcome
from refsync.errors import OperationalError
from refsync.model import Create, Plan, Ref, Skip, TablePlan, Update
from refsync.report import fmt
from tests.fixtures.outcomes import assert_same_report, spilled, synthetic_outcome

#: Escapes, characters of 2 to 4 UTF-8 bytes, a NUL-free control character, line separators.
HOSTILE = 'a"b\\c\nd\te\x01f\u2028g é€😀 </details> ::warning::x'


def test_equal_exactly_when_the_texts_are() -> None:
    a, b, c = spilled("x" * 300), spilled("x" * 300), spilled("x" * 299 + "y")
    assert a == b
    assert same(a, b)
    assert hash(a) == hash(b)
    assert repr(a) == repr(b)
    assert a != c
    assert not same(a, c)
    assert repr(a) != repr(c)
    assert a != "x" * 300
    assert not same(a, "x" * 300)
    assert not same("x" * 300, a)
    assert not same(a, None)
    assert not same(None, a)
    assert a.text() == "x" * 300
    assert a.size == 300


@settings(max_examples=200, deadline=None)
@given(text=st.text(min_size=1, max_size=60), chunk=st.integers(min_value=1, max_value=9))
def test_read_back_in_pieces_is_the_text(text: str, chunk: int) -> None:
    kept = spilled(text)
    old = spill.CHUNK_BYTES
    spill.CHUNK_BYTES = chunk
    try:
        pieces = list(kept.chunks())
        marked = Pieces(f"[\x00{kept.number}\x00]")
        as_json = "".join(op_chunks(marked))
        whole = whole_text(marked)  # in as many pieces
    finally:
        spill.CHUNK_BYTES = old
    assert "".join(pieces) == text == kept.text()
    assert as_json == json.dumps([text], ensure_ascii=False)
    assert whole == as_json


def _plan(values: list[Any]) -> Plan:
    creates = tuple(
        Create((f"k{i}",), {"id": i, "description": v, "name": f"n{i}"})
        for i, v in enumerate(values)
    )
    updates = tuple(
        Update((f"u{i}",), i, {"description": (v, f"new {i}"), "notes": ("old", v)}, ())
        for i, v in enumerate(values)
    )
    skips = tuple(
        Skip((f"s{i}",), "protected", "in use", {"description": (v, f"kept {i}")})
        for i, v in enumerate(values)
    )
    return Plan((TablePlan("services", creates, updates, skips, 0, 0),))


def _spilled(plan: Plan) -> Plan:
    """The same plan with every text longer than 5 characters spilled."""

    def kept(v: Any) -> Any:
        return spilled(v) if isinstance(v, str) and len(v) > 5 else v

    (table,) = plan.tables
    creates = tuple(
        replace(c, values={k: kept(v) for k, v in c.values.items()}) for c in table.creates
    )
    updates = tuple(
        replace(u, changes={k: (kept(o), kept(n)) for k, (o, n) in u.changes.items()})
        for u in table.updates
    )
    skips = tuple(
        replace(k, changes={c: (kept(o), kept(n)) for c, (o, n) in k.changes.items()})
        for k in table.skips
    )
    return Plan((replace(table, creates=creates, updates=updates, skips=skips),))


def _outcome(plan: Plan) -> Outcome:
    form = canonical(plan, {"version": 1}, {"fingerprint": "prod-fp"})
    texts = plan_texts(plan)
    return replace(
        synthetic_outcome(0),
        plan=plan,
        canonical={k: v for k, v in form.items() if k != "operations"},
        canonical_operations=tuple(texts),
        digest=digest({k: v for k, v in form.items() if k != "operations"}, texts),
    )


VALUES = [HOSTILE * 40, "short", None, "é" * 700, HOSTILE]


def test_a_plan_of_spilled_values_is_the_plan_of_their_texts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(spill, "CHUNK_BYTES", 7)  # every value in many pieces
    plan = _plan(VALUES)
    kept = _spilled(plan)
    as_text, as_spilled = _outcome(plan), _outcome(kept)
    assert any(type(t) is Pieces for t in as_spilled.canonical_operations)
    assert ["".join(op_chunks(t)) for t in as_spilled.canonical_operations] == operation_texts(
        canonical(plan, {"version": 1}, {"fingerprint": "prod-fp"})
    )
    assert as_spilled.digest == as_text.digest
    assert as_text.digest == digest(canonical(plan, {"version": 1}, {"fingerprint": "prod-fp"}))
    assert_same_report(as_spilled, as_text, tmp_path)
    # A skip's values are read back as it is written, not all at once beforehand.
    [table] = plan_file.plan_document(as_spilled)["tables"]
    assert table["skips"] == list(kept.tables[0].skips)
    for v in VALUES:
        shown = spilled(v) if isinstance(v, str) and len(v) > 5 else v
        assert fmt(shown) == fmt(v)


def test_apply_sends_the_texts(monkeypatch: pytest.MonkeyPatch) -> None:
    """Apply's values are the texts, in batches weighed by their spilled sizes too."""
    texts = [HOSTILE * (i + 1) for i in range(40)]
    rows = [{"id": i, "d": d} for i, d in enumerate(texts)]
    kept = [{"id": i, "d": spilled(d)} for i, d in enumerate(texts)]
    monkeypatch.setattr(apply, "BATCH_BYTES", 2000)
    sent = [(json.loads(text), n) for text, n in apply._payloads(kept)]
    assert [r for batch, _ in sent for r in batch] == rows
    assert len(sent) > 1
    assert all(len(batch) == n for batch, n in sent)


def test_a_spill_file_that_cannot_be_written_is_an_operational_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    store = spill._Store()
    missing = tmp_path / "gone"
    monkeypatch.setattr(tempfile, "tempdir", str(missing))
    with pytest.raises(OperationalError, match="could not keep long values") as raised:
        store.put(["x" * 300])
    assert raised.value.fix is not None
    assert "TMPDIR" in raised.value.fix


def test_apply_reads_back_a_sixteenth_batch_of_spilled_values_a_group(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each group of rows is read back from disk to be encoded: weighed by its spilled
    values, a group never reads back more than a sixteenth of `BATCH_BYTES` bytes (but a value
    alone)."""
    rows = [{"id": i, "d": spilled("é" * 600)} for i in range(10)]  # 1,200 bytes each
    monkeypatch.setattr(apply, "BATCH_BYTES", 16 * 2500)
    groups = list(apply._groups(rows))
    assert [r for g in groups for r in g] == rows
    assert [len(g) for g in groups] == [2, 2, 2, 2, 2]


def test_no_usable_temporary_directory_is_an_operational_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """As on a read-only root file system: `tempfile` finds no directory it can write, and
    the error that says so must not fail in its turn."""
    monkeypatch.setattr(tempfile, "tempdir", None)
    monkeypatch.setattr(tempfile, "_candidate_tempdir_list", lambda: [str(tmp_path / "gone")])
    with pytest.raises(OperationalError, match="could not keep long values"):
        spill._Store().put(["x" * 300])


def test_a_value_that_changed_on_disk_is_refused_not_shown_or_written() -> None:
    """What is hashed, shown and sent is what was compared: a value read back is checked
    against its digest (read whole or in pieces)."""
    kept = spilled("approved " * 40)
    big = spilled("approved " * 300_000)  # over a 1 MiB piece
    for value in (kept, big):
        os.pwrite(spill.STORE._fileno(), b"REPLACED", value._at)
        with pytest.raises(OperationalError, match="changed after it was read"):
            to_json(value)
        with pytest.raises(OperationalError, match="changed after it was read"):
            "".join(value.chunks())


def test_nuls_and_digits_in_every_other_text_are_never_taken_for_marks() -> None:
    """A mark is NUL, a number, NUL: keys, table and column names, pointers and values that
    hold the same (Python can, PostgreSQL cannot) are escaped by the encoder, never split."""
    nul = "\x000\x00"
    long = "\x00 1 \x00" * 100

    def plan(kept: Any) -> Plan:
        values = {f"c{nul}": kept(long), "d": f"{nul}1", "p": Ref(f"t{nul}", (nul, 0))}
        create = Create((nul, kept("x" * 300)), values)
        update = Update((nul,), nul, {nul: (kept(long + "1"), long)}, ())
        return Plan((TablePlan(f"t{nul}", (create,), (update,), (), 0, 0),))

    texts = plan_texts(plan(spilled))
    assert any(type(t) is Pieces for t in texts)
    form = canonical(plan(str), {"v": nul}, {"fingerprint": nul})
    assert [whole_text(t) for t in texts] == operation_texts(form)
    assert digest(members({"v": nul}, {"fingerprint": nul}), texts) == digest(form)
