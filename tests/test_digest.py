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
