"""How apply splits a table's values into statements (`apply._payloads`): every row once, in
order, in JSON arrays of at most `BATCH_CHARS` characters (a row larger than that alone), as
few as that allows; and a write that fits is the one array a single statement always sent.

jsonb refuses a value over 256 MiB (`total size of jsonb array elements exceeds the maximum of
268435455 bytes`), so without this an apply creating 140,000 rows of 2 KB descriptions could
never succeed; the database tests run every golden scenario a row per statement too
(`tests/database/test_scenarios.py`)."""

from __future__ import annotations

import itertools
import json
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from refsync import apply
from refsync.digest import to_json

VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.text(max_size=40),
    st.decimals(allow_nan=False, allow_infinity=False, places=2),
)
ROWS = st.lists(st.dictionaries(st.sampled_from("abc"), VALUES, min_size=1), max_size=700)


def _as_sent(rows: list[dict[str, Any]]) -> str:
    """What apply sent before values were split: the whole list in one array."""
    return json.dumps(
        [{k: to_json(v) for k, v in r.items()} for r in rows],
        ensure_ascii=False,
        separators=(",", ":"),
    )


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rows=ROWS,
    limit=st.integers(min_value=1, max_value=4000),
    group=st.sampled_from([1, 3, apply.GROUP]),
)
def test_every_row_once_in_order_within_the_limit(
    rows: list[dict[str, Any]], limit: int, group: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(apply, "BATCH_CHARS", limit)  # set anew for each example
    monkeypatch.setattr(apply, "GROUP", group)
    payloads = list(apply._payloads(rows))
    sent = [json.loads(text) for text, _ in payloads]
    assert [len(batch) for batch in sent] == [count for _, count in payloads]
    assert [row for batch in sent for row in batch] == json.loads(_as_sent(rows))
    for text, count in payloads:
        assert count >= 1
        assert len(text) <= limit or count == 1, (len(text), count)
    # As few as the limit allows: no two neighbours would fit in one (with its comma).
    for (first, _), (second, _) in itertools.pairwise(payloads):
        assert len(first) + len(second) - 1 > limit


@settings(max_examples=100, deadline=None)
@given(rows=ROWS)
def test_a_write_that_fits_is_one_statement_as_before(rows: list[dict[str, Any]]) -> None:
    payloads = list(apply._payloads(rows))
    if not rows:
        assert payloads == []
    else:
        assert payloads == [(_as_sent(rows), len(rows))]


def test_a_row_larger_than_the_limit_travels_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(apply, "BATCH_CHARS", 100)
    rows: list[dict[str, Any]] = [{"a": 1}, {"a": "x" * 500}, {"a": Decimal("2.50")}, {"a": None}]
    payloads = list(apply._payloads(rows))
    assert payloads == [
        ('[{"a":1}]', 1),
        ('[{"a":"' + "x" * 500 + '"}]', 1),
        ('[{"a":"2.50"},{"a":null}]', 2),
    ]


@pytest.mark.parametrize("spare", [0, -1])
def test_the_limit_is_exact(spare: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Rows whose one array is exactly the limit travel together; a character less, not."""
    rows: list[dict[str, Any]] = [{"a": 1}, {"b": "two"}, {"c": None}]
    whole = _as_sent(rows)
    monkeypatch.setattr(apply, "GROUP", 1)
    monkeypatch.setattr(apply, "BATCH_CHARS", len(whole) + spare)
    payloads = list(apply._payloads(rows))
    if spare == 0:
        assert payloads == [(whole, 3)]
    else:
        assert payloads == [(_as_sent(rows[:2]), 2), (_as_sent(rows[2:]), 1)]
