"""The plan file as written: in pieces, the same text as one string, and no file at all
when writing fails part-way (neither half a plan nor a previous run's)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from refsync import plan_file
from refsync.digest import canonical, digest, operation_texts, whole_text
from refsync.engine import Outcome
from tests.fixtures.outcomes import synthetic_outcome


def _outcome(rows: int) -> Outcome:
    """A synthetic outcome with its canonical form, operations' texts and digest."""
    outcome = synthetic_outcome(rows)
    form = canonical(outcome.plan, {"version": 1}, {"fingerprint": "prod-fp"})
    texts = operation_texts(form)
    return replace(
        outcome, canonical=form, canonical_operations=tuple(texts), digest=digest(form, texts)
    )


def test_written_in_pieces_is_the_document(tmp_path: Path) -> None:
    outcome = _outcome(50)
    path = tmp_path / "refsync-plan.json"
    plan_file.write_plan_file(path, outcome)
    text = path.read_text(encoding="utf-8")
    assert text.endswith("}\n")
    assert json.loads(text)["digest"] == outcome.digest
    assert text == "".join(plan_file._chunks(plan_file.plan_document(outcome))) + "\n"


def test_a_failure_part_way_leaves_no_plan_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "refsync-plan.json"
    path.write_text("PREVIOUS RUN PLAN")
    chunks = plan_file._chunks

    def failing(value: Any) -> Iterator[str]:
        pieces = chunks(value)
        yield next(pieces)
        raise OSError("disk full")

    monkeypatch.setattr(plan_file, "_chunks", failing)
    with pytest.raises(OSError, match="disk full"):
        plan_file.write_plan_file(path, _outcome(5))
    assert not path.exists()


def test_the_operations_text_is_written_not_copied() -> None:
    """The plan file writes the digest's own strings: with long values they are the largest
    thing a plan holds, and a copy of each would hold them twice while the file is written."""
    outcome = _outcome(5)
    document = plan_file.plan_document(outcome)
    texts = outcome.canonical_operations
    assert all(a is b for a, b in zip(document["digest_input"]["operations"], texts, strict=True))
    written = [op for t in document["tables"] for op in (*t["creates"], *t["updates"])]
    assert len(written) == len(texts)
    assert all(a is b for a, b in zip(written, texts, strict=True))


@pytest.mark.parametrize("rows", [1, plan_file._BATCH // 2, plan_file._BATCH, plan_file._BATCH + 1])
def test_each_operation_is_one_line_however_many_batches_it_takes(
    tmp_path: Path, rows: int
) -> None:
    """One operation, half a batch, a batch exactly, and one over (its creates and updates
    then 2 * rows in `digest_input`): each operation's text is a line of its own, once in
    its table and once in `digest_input`, in plan order, and no piece written holds more
    than a batch of them."""
    outcome = _outcome(rows)
    path = tmp_path / "refsync-plan.json"
    plan_file.write_plan_file(path, outcome)
    text = path.read_text(encoding="utf-8")
    texts = [whole_text(t) for t in outcome.canonical_operations]
    assert len(texts) == 2 * rows
    ops = [line.strip().removesuffix(",") for line in text.splitlines() if '"op":' in line]
    assert ops == texts + texts  # the table's creates and updates, then digest_input
    document = json.loads(text)
    assert document["digest_input"]["operations"] == [json.loads(t) for t in texts]
    assert document["tables"][0]["creates"] == [json.loads(t) for t in texts[:rows]]
    pieces = list(plan_file._chunks(plan_file.plan_document(outcome)))
    assert max(piece.count('"op":') for piece in pieces) == min(2 * rows, plan_file._BATCH)
