"""The plan digest (SPEC 4.5): SHA-256 of the canonical form as compact JSON with sorted keys."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from decimal import Decimal
from typing import Any

import pytest

from refsync.digest import digest, operation_texts, to_json
from refsync.model import Ref

FORM: dict[str, Any] = {
    "prod": {"system_identifier": "7", "fingerprint": "prod-ü-1234567890"},
    "operations": [
        {"table": "services", "op": "create", "key": ["spa"], "values": {"name": "Spa ☃"}},
        {"table": "services", "op": "update", "key": ["b"], "id": 2, "changes": {}},
    ],
    "config": {"version": 1, "tables": [{"name": "services", "compare": ["name"]}]},
}


def _reference(form: dict[str, Any]) -> str:
    text = json.dumps(form, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def test_digest_is_sha256_of_canonical_json() -> None:
    """The digest hashes exactly json.dumps(form, sort_keys=True, separators=(",", ":"))."""
    assert digest(FORM) == _reference(FORM)
    assert digest({**FORM, "operations": []}) == _reference({**FORM, "operations": []})


def test_digest_from_operation_texts_is_the_same() -> None:
    """Passing the operations' texts (the plan file's lines) hashes the same text."""
    texts = operation_texts(FORM)
    assert digest(FORM, texts) == _reference(FORM)
    assert [json.loads(t) for t in texts] == FORM["operations"]


def _plan_digest(new_price: str = "95.00", old_price: str = "85.00", skip: bool = False) -> str:
    from decimal import Decimal

    from refsync.digest import canonical
    from refsync.model import Plan, Skip, TablePlan, Update

    update = Update(("tv",), "p1", {"price": (Decimal(old_price), Decimal(new_price))}, ())
    skips = (Skip(("x",), "protected", "in use by bookings.serviceId"),) if skip else ()
    plan = Plan((TablePlan("services", (), (update,), skips, 3, 1),))
    form = canonical(plan, FORM["config"], FORM["prod"])
    return digest(form)


def test_digest_covers_what_is_written_and_what_it_replaces() -> None:
    """Same plan, same digest; a different new value or replaced prod value changes it."""
    assert _plan_digest() == _plan_digest()
    assert _plan_digest(new_price="96.00") != _plan_digest()
    assert _plan_digest(old_price="86.00") != _plan_digest()


def test_digest_ignores_what_is_not_written() -> None:
    """Skips and counts are reported but not hashed: they change nothing in prod."""
    assert _plan_digest(skip=True) == _plan_digest()


class _Text(str):
    """A str subclass: takes the general path of to_json, not the by-type table."""


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("a", "a"),
        (_Text("b"), "b"),
        (7, 7),
        (True, True),
        (None, None),
        (Decimal("10.00"), "10.00"),
        (Decimal("NaN"), "NaN"),
        (1.5, 1.5),
        (float("inf"), "Infinity"),
        (float("-inf"), "-Infinity"),
        (dt.datetime(2025, 6, 1, 12, 30, tzinfo=dt.UTC), "2025-06-01T12:30:00+00:00"),
        (dt.datetime(2025, 6, 1), "2025-06-01T00:00:00"),
        (dt.date(2025, 6, 1), "2025-06-01"),
        (dt.time(8, 15), "08:15:00"),
        (uuid.UUID(int=1), "00000000-0000-0000-0000-000000000001"),
        (("spa", Decimal("1.0")), ["spa", "1.0"]),
        ([1, ("x",)], [1, ["x"]]),
        (Ref("service_categories", ("spa",)), {"ref": "service_categories", "key": ["spa"]}),
        ({"k": Decimal("2")}, {"k": "2"}),
        (b"\x00\xff", "\\x00ff"),
        (dt.timedelta(seconds=90), "90.0 seconds"),
    ],
)
def test_canonical_json_of_each_type(value: Any, expected: Any) -> None:
    """Each type's canonical JSON value, whichever path (by exact type, or by isinstance for
    subclasses and the rarer types) converts it: the digest depends on these forms."""
    converted = to_json(value)
    assert converted == expected
    # The same JSON text, so 1.5 stays a number and "7" would not pass for 7.
    assert json.dumps(converted) == json.dumps(expected)
