"""How apply splits a table's values into statements (`apply._payloads`): every row once, in
order, in JSON arrays of at most `BATCH_BYTES` bytes in the connection's encoding (a row
larger than that alone), as few as that allows; and a write that fits is the one array a
single statement always sent, in the bytes psycopg would have sent for its text.

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
from refsync.errors import OperationalError

VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.text(max_size=40),
    st.decimals(allow_nan=False, allow_infinity=False, places=2),
)
ROWS = st.lists(st.dictionaries(st.sampled_from("abc"), VALUES, min_size=1), max_size=700)


def _as_sent(rows: list[dict[str, Any]], encoding: str = "utf-8") -> bytes:
    """What apply sent before values were split: the whole list in one array."""
    return json.dumps(
        [{k: to_json(v) for k, v in r.items()} for r in rows],
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode(encoding)


def _payloads(
    rows: list[dict[str, Any]], encoding: str = "utf-8", table: str = ""
) -> list[tuple[bytes, int]]:
    return [(bytes(payload), n) for payload, n in apply._payloads(rows, encoding, table)]


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
    monkeypatch.setattr(apply, "BATCH_BYTES", limit)  # set anew for each example
    monkeypatch.setattr(apply, "GROUP", group)
    payloads = _payloads(rows)
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
    payloads = _payloads(rows)
    if not rows:
        assert payloads == []
    else:
        assert payloads == [(_as_sent(rows), len(rows))]


def test_a_row_larger_than_the_limit_travels_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(apply, "BATCH_BYTES", 100)
    rows: list[dict[str, Any]] = [{"a": 1}, {"a": "x" * 500}, {"a": Decimal("2.50")}, {"a": None}]
    payloads = _payloads(rows)
    assert payloads == [
        (b'[{"a":1}]', 1),
        (b'[{"a":"' + b"x" * 500 + b'"}]', 1),
        (b'[{"a":"2.50"},{"a":null}]', 2),
    ]


@pytest.mark.parametrize("spare", [0, -1])
def test_the_limit_is_exact(spare: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Rows whose one array is exactly the limit travel together; a byte less, not."""
    rows: list[dict[str, Any]] = [{"a": 1}, {"b": "two"}, {"c": None}]
    whole = _as_sent(rows)
    monkeypatch.setattr(apply, "GROUP", 1)
    monkeypatch.setattr(apply, "BATCH_BYTES", len(whole) + spare)
    payloads = _payloads(rows)
    if spare == 0:
        assert payloads == [(whole, 3)]
    else:
        assert payloads == [(_as_sent(rows[:2]), 2), (_as_sent(rows[2:]), 1)]


@pytest.mark.parametrize("encoding", ["utf-8", "iso8859-1"])
def test_the_bytes_are_the_connection_s_encoding(
    encoding: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The limit counts bytes of the encoding the server reads: `é` is two in UTF-8, one in
    LATIN1."""
    rows: list[dict[str, Any]] = [{"a": "é" * 10}, {"a": "ü"}]
    whole = _as_sent(rows, encoding)
    assert len(whole) == (41 if encoding == "utf-8" else 30)
    monkeypatch.setattr(apply, "GROUP", 1)
    monkeypatch.setattr(apply, "BATCH_BYTES", len(whole))
    assert _payloads(rows, encoding) == [(whole, 2)]
    monkeypatch.setattr(apply, "BATCH_BYTES", len(whole) - 1)
    assert _payloads(rows, encoding) == [
        (_as_sent(rows[:1], encoding), 1),
        (_as_sent(rows[1:], encoding), 1),
    ]


def test_a_character_the_encoding_lacks_is_named_before_anything_is_sent() -> None:
    rows: list[dict[str, Any]] = [{"a": "fine"}, {"a": "5 €"}]
    with pytest.raises(OperationalError, match=r"features: a value holds '\\u20ac' \(U\+20AC\)"):
        _payloads(rows, "iso8859-1", "features")
