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
from refsync.digest import canonical, digest, operation_texts
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
