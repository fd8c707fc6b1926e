"""The digest's canonical form, pinned (SPEC 4.5): for a plan whose creates and updates hold
every kind of value the diff hands over, the exact text of each operation and the digest.

The digest is what an approval approves, so its encoding may never drift by accident: a
value that stopped being hashed, or hashed as another type, would let a changed plan pass
as the reviewed one. Every part of an operation must move the digest; what is not written
(skips, counts, the prod row as read) must not.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import ipaddress
import json
import math
import sys
import uuid
from decimal import Decimal
from typing import Any

import pytest
from psycopg.types.multirange import Multirange
from psycopg.types.range import Range

from refsync.config_file import load_config
from refsync.digest import _to_json, canonical, digest, operation_texts, to_json
from refsync.model import Create, Plan, Ref, Skip, TablePlan, Update

# --- the golden plan ------------------------------------------------------------------------

UTC_PLUS_2 = dt.timezone(dt.timedelta(hours=2))
#: One value of every kind the diff puts in a plan: what psycopg loads for a column it
#: copies as is, and what the plan makes of the ones it reads as text or remaps.
EVERY_VALUE: dict[str, Any] = {
    "id": "ds1",
    "text": 'Überprüfung ☃ "quoted" \\ slash\nnewline',
    "empty": "",
    "null": None,
    "int": 42,
    "bool": False,
    "numeric": Decimal("10.50"),
    "numeric_nan": Decimal("NaN"),
    "float": 0.25,
    "float_nan": float("nan"),
    "float_inf": float("inf"),
    "float_minus_inf": float("-inf"),
    "timestamptz": dt.datetime(2025, 6, 1, 12, 30, 5, 123456, tzinfo=UTC_PLUS_2),
    "timestamp": dt.datetime(2025, 6, 1, 12, 30),
    "date": dt.date(2025, 6, 1),
    "time": dt.time(8, 15, 0, 500),
    "interval": dt.timedelta(days=1, seconds=7200, microseconds=5),
    "uuid": uuid.UUID("12345678-1234-5678-1234-567812345678"),
    "bytea": b"\x00\xffA",
    "jsonb": {"on": True, "n": 1, "x": 1.5, "l": [1, True, None], "ü": {"deep": "ß"}},
    "jsonb_array": [{"on": True}, None, [1.0]],
    "text_array": ["a", None, "b,c"],
    "numeric_array": [Decimal("1.0"), None],
    "inet": ipaddress.ip_address("10.0.0.1"),
    "int4range": Range(1, 5),
    "pointer": Ref("service_categories", ("cafe-spa",)),
}

#: The same columns changed in an update: prod's value, then dev's.
EVERY_CHANGE: dict[str, tuple[Any, Any]] = {
    "text": ("old", "Überprüfung ☃"),
    "empty": (None, ""),
    "null": ("", None),
    "int": (1, 2),
    "bool": (1, True),
    "numeric": (Decimal("10.00"), Decimal("10.50")),
    "float": (float("nan"), 1.5),
    "timestamptz": (
        dt.datetime(2024, 1, 1, tzinfo=dt.UTC),
        dt.datetime(2025, 6, 1, 12, 30, tzinfo=dt.UTC),
    ),
    "date": (dt.date(2024, 1, 1), dt.date(2025, 6, 1)),
    "uuid": (uuid.UUID(int=1), uuid.UUID(int=2)),
    "bytea": (b"", b"\x01"),
    "jsonb": ({"on": 1}, {"on": True}),
    "jsonb_array": ([{"on": 1}, None], [{"on": True}, None]),
    "text_array": (["a"], ["a", None]),
    "numeric_array": ([Decimal("1")], [Decimal("1.00"), None]),
    "pointer": (Ref("service_categories", ("cafe-spa",)), Ref("service_categories", ("spa",))),
}


def golden_plan() -> Plan:
    """Two tables: categories (a create and an update), then services (every value created,
    every value changed), with text, composite and uuid keys and text, int and uuid ids."""
    categories = TablePlan(
        "service_categories",
        creates=(Create(("spa",), {"id": "dc2", "name": "Spa", "parentId": None}),),
        updates=(Update(("cafe-spa",), "pc1", {"name": ("Cafe", "Café & Spa")}, ("pc1",)),),
        skips=(Skip(("x",), "protected", "in use by bookings.serviceId"),),
        unchanged=4,
        prod_only=1,
    )
    services = TablePlan(
        "services",
        creates=(
            Create(("massage",), EVERY_VALUE),
            Create(("DE", 2024), {"id": 7, "country": "DE", "year": 2024}),
        ),
        updates=(
            Update(("window-cleaning",), 12, EVERY_CHANGE, ()),
            Update(("AT", 2025), uuid.UUID(int=3), {"rate": (Decimal("20"), Decimal("19"))}, ()),
        ),
        skips=(),
        unchanged=0,
        prod_only=0,
    )
    return Plan((categories, services))


PROD_IDENTITY = {"fingerprint": "prod-fingerprint-ü-1", "system_identifier": "7301234567890"}


#: The default profile's canonical config (a copy per use: tests change it).
DEFAULT_CONFIG = load_config(None).canonical()


#: The user triggers the golden plan's writes fire, as `table_facts.Trigger.label` words them.
TRIGGERS = (
    "service_categories: touch_ü (BEFORE UPDATE) runs public.touch()",
    "services: audit (AFTER INSERT OR UPDATE) runs audit.log_change()",
)


def golden_form() -> dict[str, Any]:
    return canonical(golden_plan(), copy.deepcopy(DEFAULT_CONFIG), PROD_IDENTITY, TRIGGERS)


# --- the pinned encoding --------------------------------------------------------------------
# Computed by `python -m tests.unit.test_canonical` (it prints both) and checked by hand
# against SPEC 4.5. The operations' text depends on the plan alone; GOLDEN_DIGEST also
# covers the default profile's canonical config and the triggers, so it changes, on purpose,
# whenever Config.canonical() does (a config key added or removed) or the form gains a
# member: then review the new `load_config(None).canonical()` and paste the new digest here.
# Last changed when `protect` left the config and the form gained `triggers`.

GOLDEN_OPERATIONS = [
    (
        '{"key":["spa"],"op":"create","table":"service_categories","values":{"id":"dc2",'
        '"name":"Spa","parentId":null}}'
    ),
    (
        '{"changes":{"name":{"new":"Café & Spa","old":"Cafe"}},"id":"pc1",'
        '"key":["cafe-spa"],"op":"update","table":"service_categories"}'
    ),
    (
        '{"key":["massage"],"op":"create","table":"services","values":{"bool":false,'
        '"bytea":"\\\\x00ff41","date":"2025-06-01","empty":"","float":0.25,'
        '"float_inf":"Infinity","float_minus_inf":"-Infinity","float_nan":"nan",'
        '"id":"ds1","inet":"10.0.0.1","int":42,"int4range":"[1, 5)",'
        '"interval":"93600.000005 seconds","jsonb":{"l":[1,true,null],"n":1,"on":true,'
        '"x":1.5,"ü":{"deep":"ß"}},"jsonb_array":[{"on":true},null,[1.0]],"null":null,'
        '"numeric":"10.50","numeric_array":["1.0",null],"numeric_nan":"NaN",'
        '"pointer":{"key":["cafe-spa"],"ref":"service_categories"},'
        '"text":"Überprüfung ☃ \\"quoted\\" \\\\ slash\\nnewline","text_array":["a",null,"b,'
        'c"],"time":"08:15:00.000500","timestamp":"2025-06-01T12:30:00",'
        '"timestamptz":"2025-06-01T12:30:05.123456+02:00",'
        '"uuid":"12345678-1234-5678-1234-567812345678"}}'
    ),
    (
        '{"key":["DE",2024],"op":"create","table":"services","values":{"country":"DE",'
        '"id":7,"year":2024}}'
    ),
    (
        '{"changes":{"bool":{"new":true,"old":1},"bytea":{"new":"\\\\x01","old":"\\\\x"},'
        '"date":{"new":"2025-06-01","old":"2024-01-01"},"empty":{"new":"","old":null},'
        '"float":{"new":1.5,"old":"nan"},"int":{"new":2,"old":1},'
        '"jsonb":{"new":{"on":true},"old":{"on":1}},"jsonb_array":{"new":[{"on":true},'
        'null],"old":[{"on":1},null]},"null":{"new":null,"old":""},'
        '"numeric":{"new":"10.50","old":"10.00"},"numeric_array":{"new":["1.00",null],'
        '"old":["1"]},"pointer":{"new":{"key":["spa"],"ref":"service_categories"},'
        '"old":{"key":["cafe-spa"],"ref":"service_categories"}},'
        '"text":{"new":"Überprüfung ☃","old":"old"},"text_array":{"new":["a",null],'
        '"old":["a"]},"timestamptz":{"new":"2025-06-01T12:30:00+00:00",'
        '"old":"2024-01-01T00:00:00+00:00"},'
        '"uuid":{"new":"00000000-0000-0000-0000-000000000002",'
        '"old":"00000000-0000-0000-0000-000000000001"}},"id":12,'
        '"key":["window-cleaning"],"op":"update","table":"services"}'
    ),
    (
        '{"changes":{"rate":{"new":"19","old":"20"}},'
        '"id":"00000000-0000-0000-0000-000000000003","key":["AT",2025],"op":"update",'
        '"table":"services"}'
    ),
]
GOLDEN_DIGEST = "dba484af06cc6833b3e6ce3d6da73fbc7387e3af3971014e74569ed4ead034de"


def test_operation_texts_are_pinned() -> None:
    """Each operation encodes exactly as pinned: sorted keys, no spaces, UTF-8 as is,
    creates before updates per table, tables in plan order."""
    assert operation_texts(golden_form()) == GOLDEN_OPERATIONS


def test_digest_is_pinned() -> None:
    """The golden plan's digest, from the form or from its operations' texts."""
    form = golden_form()
    assert digest(form) == GOLDEN_DIGEST
    assert digest(form, operation_texts(form)) == GOLDEN_DIGEST


def test_digest_is_sha256_of_the_documented_text() -> None:
    """The digest is SHA-256 of json.dumps(form, sort_keys=True, separators=(",", ":"),
    ensure_ascii=False) in UTF-8, the form holding only JSON values (NaN written as text)."""
    form = golden_form()
    text = json.dumps(
        form, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )
    assert digest(form) == hashlib.sha256(text.encode("utf-8")).hexdigest()
    assert [json.loads(t) for t in operation_texts(form)] == json.loads(text)["operations"]


# --- every part of an operation moves the digest --------------------------------------------


def _digest_of(
    plan: Plan,
    config: dict[str, Any] | None = None,
    triggers: tuple[str, ...] = TRIGGERS,
    **prod: str,
) -> str:
    config = config or copy.deepcopy(DEFAULT_CONFIG)
    return digest(canonical(plan, config, PROD_IDENTITY | prod, triggers))


def _with_table(plan: Plan, index: int, **changes: Any) -> Plan:
    tables = list(plan.tables)
    old = tables[index]
    tables[index] = TablePlan(
        changes.get("name", old.name),
        changes.get("creates", old.creates),
        changes.get("updates", old.updates),
        changes.get("skips", old.skips),
        changes.get("unchanged", old.unchanged),
        changes.get("prod_only", old.prod_only),
    )
    return Plan(tuple(tables))


GOLDEN = golden_plan()
SERVICES = GOLDEN.tables[1]
CREATE, OTHER_CREATE = SERVICES.creates
UPDATE, OTHER_UPDATE = SERVICES.updates


def _changed_plans() -> dict[str, Plan]:
    """The golden plan with one written thing changed."""
    plans = {
        "table name": _with_table(GOLDEN, 1, name="services2"),
        "tables swapped": Plan(GOLDEN.tables[::-1]),
        "create dropped": _with_table(GOLDEN, 1, creates=(OTHER_CREATE,)),
        "creates swapped": _with_table(GOLDEN, 1, creates=(OTHER_CREATE, CREATE)),
        "create key": _with_table(
            GOLDEN, 1, creates=(Create(("massage-2",), CREATE.values), OTHER_CREATE)
        ),
        "update dropped": _with_table(GOLDEN, 1, updates=(OTHER_UPDATE,)),
        "update id": _with_table(
            GOLDEN, 1, updates=(Update(UPDATE.key, 13, UPDATE.changes, ()), OTHER_UPDATE)
        ),
        "update id type": _with_table(
            GOLDEN, 1, updates=(Update(UPDATE.key, "12", UPDATE.changes, ()), OTHER_UPDATE)
        ),
        "update key": _with_table(
            GOLDEN,
            1,
            updates=(Update(("window",), UPDATE.pk, UPDATE.changes, ()), OTHER_UPDATE),
        ),
        "update becomes create": _with_table(
            GOLDEN,
            1,
            creates=(CREATE, OTHER_CREATE, Create(UPDATE.key, {"id": 12})),
            updates=(OTHER_UPDATE,),
        ),
    }
    for column, value in EVERY_VALUE.items():
        other = _another(value)
        values = {**CREATE.values, column: other}
        plans[f"created {column}"] = _with_table(
            GOLDEN, 1, creates=(Create(CREATE.key, values), OTHER_CREATE)
        )
    for column, (old, new) in EVERY_CHANGE.items():
        for side, pair in (("old", (_another(old), new)), ("new", (old, _another(new)))):
            changes = {**UPDATE.changes, column: pair}
            plans[f"{side} {column}"] = _with_table(
                GOLDEN, 1, updates=(Update(UPDATE.key, UPDATE.pk, changes, ()), OTHER_UPDATE)
            )
    return plans


def _another(value: Any) -> Any:
    """A value of the same kind that a reviewer would see as different."""
    others: dict[type, Any] = {
        str: lambda v: v + "!",
        int: lambda v: v + 1,
        bool: lambda v: not v,
        Decimal: lambda v: Decimal("10.5") if v.is_nan() else -v if v else Decimal("1"),
        float: lambda v: 0.5 if math.isnan(v) else -v if v else 1.0,
        dt.datetime: lambda v: v + dt.timedelta(microseconds=1),
        dt.date: lambda v: v + dt.timedelta(days=1),
        dt.time: lambda v: v.replace(microsecond=v.microsecond + 1),
        dt.timedelta: lambda v: v + dt.timedelta(microseconds=1),
        uuid.UUID: lambda v: uuid.UUID(int=v.int + 1),
        bytes: lambda v: v + b"\x00",
        dict: lambda v: {**v, "extra": None},
        list: lambda v: [*v, None],
        ipaddress.IPv4Address: lambda v: v + 1,
        Range: lambda v: Range(v.lower, v.upper + 1),
        Ref: lambda v: Ref(v.table, (v.key[0] + "-x",)),
        type(None): lambda v: "",
    }
    return others[type(value)](value)


CHANGED_PLANS = _changed_plans()


@pytest.mark.parametrize("change", list(CHANGED_PLANS))
def test_every_written_thing_moves_the_digest(change: str) -> None:
    """A plan that writes anything differently (a table, key, id, created value, replaced or
    new value, order) has another digest."""
    assert _digest_of(CHANGED_PLANS[change]) != GOLDEN_DIGEST


def test_config_and_prod_identity_move_the_digest() -> None:
    """Another config, another prod fingerprint or system identifier: another digest."""
    config = copy.deepcopy(DEFAULT_CONFIG)
    config["tables"][1]["compare"] = config["tables"][1]["compare"][:-1]
    assert _digest_of(GOLDEN, config) != GOLDEN_DIGEST
    assert _digest_of(GOLDEN, fingerprint="prod-fingerprint-ü-2") != GOLDEN_DIGEST
    assert _digest_of(GOLDEN, system_identifier="7301234567891") != GOLDEN_DIGEST
    assert _digest_of(GOLDEN) == GOLDEN_DIGEST


def test_what_is_not_written_does_not_move_the_digest() -> None:
    """Skips, the unchanged and prod-only counts and the prod rows as read are reported, not
    hashed: they change nothing in prod."""
    quiet = _with_table(GOLDEN, 0, skips=(), unchanged=0, prod_only=9)
    quiet = _with_table(
        quiet,
        1,
        skips=(Skip(("y",), "ambiguous", "ambiguous in prod"),),
        updates=(Update(UPDATE.key, UPDATE.pk, UPDATE.changes, ("other",)), OTHER_UPDATE),
    )
    assert _digest_of(quiet) == GOLDEN_DIGEST


def test_an_empty_plan_has_a_digest_too() -> None:
    """No operations and no triggers still hash the config and prod identity, as `[]`."""
    form = canonical(Plan(()), {"version": 1}, {"fingerprint": "f"})
    assert operation_texts(form) == []
    text = '{"config":{"version":1},"operations":[],"prod":{"fingerprint":"f"},"triggers":[]}'
    assert digest(form) == hashlib.sha256(text.encode()).hexdigest()
    assert digest(form, []) == digest(form)


# --- the triggers ---------------------------------------------------------------------------


def test_triggers_are_a_member_of_the_form() -> None:
    """The form holds the triggers as a JSON list in the order given (the catalog's), beside
    the config, the prod identity and the operations, and nothing else."""
    form = golden_form()
    assert list(form) == ["config", "prod", "triggers", "operations"]
    assert form["triggers"] == list(TRIGGERS)
    assert type(form["triggers"]) is list
    assert canonical(GOLDEN, {}, {})["triggers"] == []
    given = list(TRIGGERS)
    form = canonical(GOLDEN, {}, {}, given)
    given.append("services: later (AFTER UPDATE) runs public.x()")
    assert form["triggers"] == list(TRIGGERS), "the form holds its own copy"


def test_triggers_are_hashed_as_written() -> None:
    """The triggers hash as a JSON array of their labels, UTF-8 as is, in the form's text."""
    form = canonical(Plan(()), {}, {}, ["t: ü (AFTER UPDATE) runs public.f()"])
    text = (
        '{"config":{},"operations":[],"prod":{},"triggers":["t: ü (AFTER UPDATE) runs public.f()"]}'
    )
    assert digest(form) == hashlib.sha256(text.encode("utf-8")).hexdigest()


@pytest.mark.parametrize(
    "triggers",
    [
        (),
        TRIGGERS[:1],
        TRIGGERS[::-1],
        (*TRIGGERS, "services: late (AFTER UPDATE) runs public.late()"),
        (TRIGGERS[0], TRIGGERS[1].replace("audit.log_change", "audit.log_changes")),
        (TRIGGERS[0], TRIGGERS[1].replace("AFTER INSERT OR UPDATE", "AFTER UPDATE")),
    ],
    ids=["none", "one dropped", "reordered", "one added", "another function", "another event"],
)
def test_every_trigger_change_moves_the_digest(triggers: tuple[str, ...]) -> None:
    """A trigger added, dropped or changed after the review gives the plan another digest, so
    an apply would refuse it instead of firing a trigger nobody reviewed."""
    assert _digest_of(GOLDEN, triggers=triggers) != GOLDEN_DIGEST
    assert _digest_of(GOLDEN, triggers=TRIGGERS) == GOLDEN_DIGEST


# --- to_json's two paths --------------------------------------------------------------------


class _Decimal(Decimal):
    """Subclasses take `_to_json`'s isinstance checks instead of the by-type table."""


class _DateTime(dt.datetime):
    pass


class _Date(dt.date):
    pass


class _UUID(uuid.UUID):
    pass


class _Text(str):
    pass


class _Int(int):
    pass


@pytest.mark.parametrize(
    "value",
    [
        ("a", 1),
        Ref("t", ("a", 2)),
        Decimal("1.50"),
        dt.datetime(2025, 6, 1, 12, 30, tzinfo=dt.UTC),
        dt.date(2025, 6, 1),
        uuid.UUID(int=5),
    ],
    ids=lambda v: type(v).__name__,
)
def test_by_type_table_converts_as_the_general_path(value: Any) -> None:
    """The by-type shortcut gives what `_to_json` gives for each of its types."""
    assert to_json(value) == _to_json(value)
    assert json.dumps(to_json(value)) == json.dumps(_to_json(value))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (_Decimal("2.50"), "2.50"),
        (_DateTime(2025, 6, 1, 8, 0), "2025-06-01T08:00:00"),
        (_Date(2025, 6, 1), "2025-06-01"),
        (_UUID(int=2), "00000000-0000-0000-0000-000000000002"),
        (_Text("t"), "t"),
        (_Int(3), 3),
        (float("nan"), "nan"),
        (-0.0, -0.0),
        (bytearray(b"\x01\x02"), "\\x0102"),
        (memoryview(b"\xab"), "\\xab"),
        ({1: Decimal("1")}, {"1": "1"}),
        (dt.timedelta(days=-1), "-86400.0 seconds"),
        (ipaddress.ip_network("10.0.0.0/8"), "10.0.0.0/8"),
        (Range(1, 5), "[1, 5)"),
        (Range(empty=True), "empty"),
        # An unbounded side as PostgreSQL's range text leaves it: empty, never `None`.
        (Range(Decimal(1), None), "[1,)"),
        (Range(None, Decimal("NaN"), "(]"), "(, NaN]"),
        (Range(None, None, "()"), "(,)"),
        (Multirange([Range(1, 2), Range(5, None)]), "{[1, 2), [5,)}"),
        (Multirange([]), "{}"),
    ],
    ids=lambda v: type(v).__name__,
)
def test_general_path(value: Any, expected: Any) -> None:
    """Subclasses and the rarer types take `_to_json`: their canonical JSON value."""
    converted = to_json(value)
    assert converted == expected
    assert isinstance(converted, type(expected))
    assert json.dumps(converted, allow_nan=False) == json.dumps(expected)


def test_nan_and_infinities_never_reach_the_encoder_as_numbers() -> None:
    """JSON has no NaN: a float NaN or infinity is written as float8's input text, in a
    created value, a replaced one, inside JSON and in an update's id alike."""
    plan = Plan(
        (
            TablePlan(
                "t",
                (Create(("k",), {"f": float("nan"), "j": {"v": float("-inf")}}),),
                (Update(("u",), float("inf"), {"f": (float("nan"), float("inf"))}, ()),),
                (),
                0,
                0,
            ),
        )
    )
    texts = operation_texts(canonical(plan, {}, {}))
    assert texts == [
        '{"key":["k"],"op":"create","table":"t","values":{"f":"nan","j":{"v":"-Infinity"}}}',
        '{"changes":{"f":{"new":"Infinity","old":"nan"}},"id":"Infinity","key":["u"],'
        '"op":"update","table":"t"}',
    ]


def _print_golden() -> None:
    """Print the golden values as Python, for pasting above (see the comment there)."""
    form = golden_form()
    print("GOLDEN_OPERATIONS = [")
    for text in operation_texts(form):
        pieces = [""]
        for part in text.split(","):  # cut after commas, so each piece reads on its own
            if pieces[-1] and len(pieces[-1]) + len(part) > 78:
                pieces.append("")
            pieces[-1] += part + ","
        pieces[-1] = pieces[-1][:-1]
        print("    (\n" + "".join(f"        {piece!r}\n" for piece in pieces) + "    ),")
    print("]")
    print(f"GOLDEN_DIGEST = {digest(form)!r}")


if __name__ == "__main__":
    _print_golden()
    sys.exit(0)
