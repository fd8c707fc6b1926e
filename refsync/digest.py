"""The plan's canonical form and its digest: what a reviewer approves, byte for byte.

The canonical form is a JSON object with four members:

- `config`: the effective config (`Config.canonical()`);
- `prod`: the prod identity (system identifier, fingerprint...);
- `triggers`: the user triggers the writes fire, sorted labels;
- `operations`: one object per write, in plan order (tables parents first; a table's
  creates in key order, then its updates in key order):
  `{"table", "op": "create", "key", "values"}` or
  `{"table", "op": "update", "key", "id", "changes": {column: {"old", "new"}}}`.

Values take their JSON form by type (`to_json`): text, integers, booleans and NULL as
themselves; a Decimal as its string (scale kept: "10.00"); a finite float as a JSON number,
NaN and the infinities as "NaN", "Infinity", "-Infinity"; dates, times and timestamps in ISO
8601; a UUID as its string; bytes as "\\x" and hex; an interval as "<seconds> seconds"; a
pointer (`Ref`) as `{"ref": table, "key": [...]}`; a key, list or tuple as a list; a dict
with its keys as strings; a range as `[1, 5)`, an unbounded side left empty (`[1,)`), and a
multirange as `{[1, 5), [7,)}`; anything else as `str()`.

The digest is the SHA-256, in lower-case hex, of the UTF-8 bytes of
`json.dumps(form, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
allow_nan=False)`. The plan file writes each operation as the same text
(`operation_texts`), so the digest can be checked from the file alone.

A value a run keeps on disk (`spill.Spilled`) has the form of its text. A run keeps the
text of an operation holding one as `Pieces`: the text around it, and the value left on
disk until the digest or the plan file reads it, a piece at a time (`op_chunks`).
"""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import json
import math
import uuid
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from psycopg.types.multirange import Multirange
from psycopg.types.range import Range

from refsync.model import Plan, Ref
from refsync.spill import STORE, Spilled

#: Types that are their own JSON form (exact types: a subclass takes the checks below).
_JSON_AS_IS = frozenset({str, int, bool, type(None)})


def to_json(value: Any) -> Any:
    """A value in the canonical JSON form used by the digest and the plan file."""
    if type(value) in _JSON_AS_IS:
        return value
    convert = _TO_JSON.get(type(value))
    return convert(value) if convert is not None else _to_json(value)


def _to_json(value: Any) -> Any:  # noqa: PLR0911 - one return per JSON type, in the encoding's order
    if isinstance(value, bool | int | str):
        return value
    if isinstance(value, Ref):
        return {"ref": value.table, "key": [to_json(k) for k in value.key]}
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, float):
        # A number stays a JSON number (inside jsonb too, where a string would change its
        # type); NaN and the infinities, which JSON lacks, travel as float8's input text.
        return value if math.isfinite(value) else repr(value).replace("inf", "Infinity")
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_json(v) for v in value]
    if isinstance(value, bytes | bytearray | memoryview):
        return "\\x" + bytes(value).hex()
    if isinstance(value, dt.timedelta):
        return f"{value.total_seconds()} seconds"
    if isinstance(value, Range | Multirange):
        return _range_text(value)
    return str(value)


def _range_text(value: Range[Any] | Multirange[Any]) -> str:
    """A range (or multirange) as psycopg prints it, but for an unbounded side, which it
    prints as `None` and no range type reads: PostgreSQL's own text leaves that side empty
    (`[1,)`), and apply writes this text."""
    if isinstance(value, Multirange):
        return "{" + ", ".join(map(_range_text, value)) + "}"
    if value.isempty:
        return "empty"
    lower = "" if value.lower is None else str(value.lower)
    # After the comma a space is part of the upper bound's text: none when that is empty.
    upper = "" if value.upper is None else " " + str(value.upper)
    return f"{value.bounds[0]}{lower},{upper}{value.bounds[1]}"


#: The common exact types straight to their conversion (the same as `_to_json`'s): a plan
#: converts tens of thousands of keys, pointers, prices and timestamps.
_TO_JSON: dict[type, Any] = {
    tuple: lambda v: [to_json(k) for k in v],
    Ref: lambda v: {"ref": v.table, "key": [to_json(k) for k in v.key]},
    decimal.Decimal: str,
    dt.datetime: dt.datetime.isoformat,
    dt.date: dt.date.isoformat,
    uuid.UUID: str,
    Spilled: Spilled.text,
}


def canonical(
    plan: Plan,
    config: dict[str, Any],
    prod_identity: Mapping[str, Any],
    triggers: Sequence[str] = (),
) -> dict[str, Any]:
    """What the digest covers: config, prod identity, the user triggers the writes fire,
    every write with old and new values. A trigger added after the review changes it."""
    return {**members(config, prod_identity, triggers), "operations": _operations(plan)}


def members(
    config: dict[str, Any], prod_identity: Mapping[str, Any], triggers: Sequence[str] = ()
) -> dict[str, Any]:
    """The canonical form but its operations, which a run keeps as their texts alone
    (`plan_texts`): `digest(members(...), plan_texts(plan))` is `digest(canonical(...))`."""
    return {"config": config, "prod": dict(prod_identity), "triggers": list(triggers)}


def _operations(plan: Plan) -> list[dict[str, Any]]:
    # Most values (text, integers, booleans, NULL) are their own JSON form: the type test
    # inline spares a call per value.
    as_is = _JSON_AS_IS
    operations: list[dict[str, Any]] = []
    for table in plan.tables:
        name = table.name
        for c in table.creates:
            operations.append(
                {
                    "table": name,
                    "op": "create",
                    "key": to_json(c.key),
                    "values": {
                        k: v if type(v) in as_is else to_json(v) for k, v in c.values.items()
                    },
                }
            )
        for u in table.updates:
            operations.append(
                {
                    "table": name,
                    "op": "update",
                    "key": to_json(u.key),
                    "id": u.pk if type(u.pk) in as_is else to_json(u.pk),
                    "changes": {
                        k: {"old": to_json(o), "new": to_json(n)} for k, (o, n) in u.changes.items()
                    },
                }
            )
    return operations


#: The digest's text: sorted keys, no spaces, UTF-8 as is, no NaN.
_CANONICAL_JSON = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
)
_encode = _CANONICAL_JSON.encode


def operation_texts(canonical_form: Mapping[str, Any]) -> list[str]:
    """Each operation as the digest's text; the plan file writes these same strings."""
    return [_CANONICAL_JSON.encode(op) for op in canonical_form["operations"]]


#: Where `_text` leaves a spilled value in an operation's text: its number between two NULs.
#: JSON text holds no NUL (json escapes it), so a mark is never anything else.
_MARK = "\x00"


class Pieces:
    """An operation's text with its spilled values left on disk: the text with a mark in
    place of each (`_MARK`); `op_chunks` writes each value's JSON string in its place. Not a
    str, so that nothing can take the marks for text by mistake."""

    __slots__ = ("marked",)

    def __init__(self, marked: str) -> None:
        self.marked = marked


#: An operation's text, whole or in `Pieces`.
OpText = str | Pieces


def op_chunks(op: OpText) -> Iterator[str]:
    """An operation's text in pieces, its spilled values read back a part at a time."""
    if isinstance(op, str):
        yield op
        return
    for i, part in enumerate(op.marked.split(_MARK)):
        if i % 2 == 0:
            yield part
            continue
        yield '"'
        for chunk in STORE.find(int(part)).chunks():
            # json escapes character by character: a value's pieces escape as the whole.
            yield _encode(chunk)[1:-1]
        yield '"'


def whole_text(op: OpText) -> str:
    """An operation's whole text (its spilled values read back): for checks and tests."""
    return "".join(op_chunks(op))


def plan_texts(plan: Plan) -> list[OpText]:
    """`operation_texts(canonical(plan, ...))`, made from the plan without the canonical
    form's objects: an object's compact text with sorted keys is its members' texts in key
    order, joined by "," and ":", so each operation is its fixed members' texts around its
    values' (`_text`). A run keeps these texts alone; building the form's objects and
    encoding each with a new encoder took twice as long (`docs/benchmark.md`, attempt 19).
    An operation holding a spilled value is kept as its `Pieces`, the value left on disk."""
    out: list[OpText] = list(_marked_texts(plan))
    if STORE.used:
        out = [Pieces(t) if type(t) is str and _MARK in t else t for t in out]
    return out


def _marked_texts(plan: Plan) -> list[str]:
    """The texts, with each spilled value as a mark (`_MARK`) holding its place."""
    out: list[str] = []
    for table in plan.tables:
        name = _encode(table.name)
        for c in table.creates:
            values = c.values
            out.append(
                f'{{"key":{_key_text(c.key)},"op":"create","table":{name},"values":{{'
                + ",".join([f"{_encode(k)}:{_text(values[k])}" for k in sorted(values)])
                + "}}"
            )
        for u in table.updates:
            changes = u.changes
            listed = ",".join(
                [
                    f'{_encode(k)}:{{"new":{_text(changes[k][1])},"old":{_text(changes[k][0])}}}'
                    for k in sorted(changes)
                ]
            )
            out.append(
                f'{{"changes":{{{listed}}},"id":{_text(u.pk)},"key":{_key_text(u.key)},'
                f'"op":"update","table":{name}}}'
            )
    return out


def _text(value: Any) -> str:  # noqa: PLR0911 - one return per common type
    """`_CANONICAL_JSON.encode(to_json(value))`, the common types without an encoder."""
    kind = type(value)
    if kind is str:
        return _encode(value)  # a str alone is encoded without building the C encoder
    if value is None:
        return "null"
    if kind is bool:
        return "true" if value else "false"
    if kind is int:
        return int.__repr__(value)  # what json's encoder writes for an int
    if kind is Ref:  # its key as a list whatever it is, as `to_json` writes a Ref's
        key = ",".join(map(_text, value.key))
        return f'{{"key":[{key}],"ref":{_encode(value.table)}}}'
    if kind is Spilled:
        return f"{_MARK}{value.number}{_MARK}"
    return _encode(to_json(value))


def _key_text(key: Sequence[Any]) -> str:
    """A key (a tuple in every plan) as its list; anything else as `to_json` makes it."""
    if type(key) is not tuple:
        return _encode(to_json(key))
    return "[" + ",".join(map(_text, key)) + "]"


def digest(canonical_form: Mapping[str, Any], operations: Sequence[OpText] | None = None) -> str:
    """SHA-256 of `json.dumps(canonical_form, sort_keys=True, separators=(",", ":"))`.

    `operations` are `operation_texts(canonical_form)` when the caller has them already: the
    text hashed is the same, built from the operations' texts instead of encoding them again,
    and fed to the hash piece by piece (a plan of large values is never joined into one
    string, nor encoded as one)."""
    ops = operation_texts(canonical_form) if operations is None else operations
    encode = _CANONICAL_JSON.encode
    sha = hashlib.sha256(b"{")
    # `members(...)` has no operations: their texts stand in their place.
    form = {**canonical_form, "operations": ops}
    for i, (k, v) in enumerate(sorted(form.items())):
        sha.update(f"{',' if i else ''}{encode(k)}:".encode())
        if k == "operations":
            sha.update(b"[")
            for j, op in enumerate(ops):
                if type(op) is str:
                    sha.update(b"," + op.encode() if j else op.encode())
                    continue
                if j:
                    sha.update(b",")
                for piece in op_chunks(op):
                    sha.update(piece.encode())
            sha.update(b"]")
        else:
            sha.update(encode(v).encode())
    sha.update(b"}")
    return sha.hexdigest()
