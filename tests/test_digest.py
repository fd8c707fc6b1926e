"""The plan digest (SPEC 4.5): SHA-256 of the canonical form as compact JSON with sorted keys."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from refsync.plan import digest, operation_texts

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

    from refsync.plan import Plan, Skip, TablePlan, Update, canonical

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
