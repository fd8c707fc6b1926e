"""Invariants of an apply, for random dev and prod states on real databases (hypothesis).

Each example fills dev and prod with random reference rows (Unicode, punctuation, names that
slug alike, NULL descriptions, numeric(10,2) edge values, ids reused across sides) and random
bookings and provider links on prod, then runs `refsync.engine.run` in-process: a dry-run, an
apply of its digest, and a second dry-run. The oracle below recomputes from the raw rows what
must hold; it trusts the plan only for *which* rows it skipped, and checks every skip's reason
against the data.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

import psycopg
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from refsync import engine, prefilter, snapshot
from refsync.config_file import load_config
from refsync.errors import SafetyError
from refsync.slug import slugify
from tests.fixtures.db import table_checksums
from tests.fixtures.pg import DbPair

REFERENCE = ("service_categories", "services")
LINKS = ("bookings", "provider_services", "catalogue_items", "booking_drafts")
CONFIG = load_config(None)

# Names people type, names that slug alike, and names that slug to nothing.
SEED_NAMES = [
    "Café & Spa",
    "cafe spa",
    "CAFÉ—SPA!",
    "Straße",
    "STRASSE",
    "ﬁsh ﬁllet",
    "Ｆｕｌｌ Ｗｉｄｔｈ",
    "日本語 サービス",
    "Emoji 🎉 Party",
    "O'Brien's Repairs",
    "x.y",
    "x-y",
    "Tab\there",
    "   padded   ",
    "!!!",
    "",
]
TEXT = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=12)
WORDS = st.from_regex(r"[A-Za-zÀ-ÿ][A-Za-zÀ-ÿ0-9 &'.-]{0,15}", fullmatch=True)
NAMES = st.sampled_from(SEED_NAMES) | WORDS | TEXT
PRICES = st.sampled_from(
    [Decimal("0"), Decimal("0.01"), Decimal("10.00"), Decimal("99999999.99")]
) | st.decimals(
    min_value=Decimal("-99999999.99"),
    max_value=Decimal("99999999.99"),
    places=2,
    allow_nan=False,
    allow_infinity=False,
)
#: The largest price numeric(10,2) holds.
MAX_PRICE = Decimal("99999999.99")


def _nudged(price: Decimal) -> Decimal:
    """A price one cent away, still one numeric(10,2) holds."""
    return price - Decimal("0.01") if price >= MAX_PRICE else price + Decimal("0.01")


VARIANTS: list[Callable[[str], str]] = [
    lambda s: s,
    str.upper,
    lambda s: f"  {s} !",
    lambda s: s.replace(" ", " -- "),
    lambda s: unicodedata.normalize("NFD", s),
]


@dataclass
class Category:
    id: str
    name: str
    description: str | None
    icon: str | None
    active: bool


@dataclass
class Service:
    id: str
    name: str
    description: str | None
    price: Decimal
    category: str  # the category's id on the same side
    active: bool


@dataclass
class State:
    dev_categories: list[Category]
    dev_services: list[Service]
    prod_categories: list[Category]
    prod_services: list[Service]
    links: list[tuple[str, str]]  # (business table, prod service id)
    dev_unmatchable: bool  # duplicate or empty slugs in dev: refsync must refuse


def _distinct(rows: list[Any]) -> list[Any]:
    """Keep the first row of each non-empty slug: a dev side refsync can match."""
    seen: set[str] = set()
    out = []
    for row in rows:
        key = slugify(row.name)
        if key and key not in seen:
            seen.add(key)
            out.append(row)
    return out


@st.composite
def states(draw: st.DrawFn) -> State:  # noqa: C901 - one draw per part of a random state
    """Random dev and prod reference rows, some matching by slug, plus prod business links."""
    dev_cats = [
        Category(
            f"dc{i}",
            draw(NAMES),
            draw(st.none() | TEXT),
            draw(st.none() | TEXT),
            draw(st.booleans()),
        )
        for i in range(draw(st.integers(1, 4)))
    ]
    dev_cats = _distinct(dev_cats) or [Category("dc0", "Default", None, None, True)]
    dev_svcs = [
        Service(
            f"ds{i}",
            draw(NAMES),
            draw(st.none() | TEXT),
            draw(PRICES),
            draw(st.sampled_from(dev_cats)).id,
            draw(st.booleans()),
        )
        for i in range(draw(st.integers(1, 8)))
    ]
    dev_svcs = _distinct(dev_svcs)
    if dev_svcs and draw(st.integers(0, 7)) == 0:
        # A second dev row whose name (almost always) slugs like an existing one.
        original = draw(st.sampled_from(dev_svcs))
        variant = draw(st.sampled_from(VARIANTS[1:]))(original.name)
        dev_svcs.append(Service("ds-twin", variant, None, Decimal(1), original.category, True))
    slugs = Counter(slugify(s.name) for s in dev_svcs)
    unmatchable = any(n > 1 for n in slugs.values()) or "" in slugs

    used_ids: set[str] = set()

    def prod_id(prefix: str, index: int, dev_ids: list[str]) -> str:
        # Sometimes reuse a dev id for a different row: the create must be skipped, not clash.
        if dev_ids and draw(st.integers(0, 4)) == 0:
            stolen = draw(st.sampled_from(dev_ids))
            if stolen not in used_ids:
                used_ids.add(stolen)
                return stolen
        used_ids.add(f"{prefix}{index}")
        return f"{prefix}{index}"

    def prod_name(dev_names: list[str]) -> str:
        if draw(st.booleans()) and dev_names:
            return draw(st.sampled_from(VARIANTS))(draw(st.sampled_from(dev_names)))
        return draw(NAMES)

    # Each dev row is absent from prod, copied exactly (unchanged), or matched by a name that
    # slugs alike with other values (an update); then a few extra prod rows, whose names may
    # collide with a match (ambiguous) or with nothing (prod only).
    modes = st.sampled_from(["absent", "copy", "changed", "changed"])
    dev_cat_ids = [c.id for c in dev_cats]
    prod_cats: list[Category] = []
    for i, cat in enumerate(dev_cats):
        mode = draw(modes)
        if mode == "copy":
            prod_cats.append(replace(cat, id=prod_id("pc", i, dev_cat_ids)))
        elif mode == "changed":
            prod_cats.append(
                Category(
                    prod_id("pc", i, dev_cat_ids),
                    draw(st.sampled_from(VARIANTS))(cat.name),
                    draw(st.none() | TEXT),
                    draw(st.sampled_from([cat.icon, None])),
                    draw(st.booleans()),
                )
            )
    for i in range(len(dev_cats), len(dev_cats) + draw(st.integers(0, 2))):
        prod_cats.append(
            Category(
                prod_id("pc", i, dev_cat_ids),
                prod_name([c.name for c in dev_cats]),
                draw(st.none() | TEXT),
                None,
                True,
            )
        )
    prod_cats = prod_cats or [Category("pc-only", "Prod Only", None, None, True)]

    def prod_category(dev_category: str) -> str:
        """The prod category matching a dev one by slug, else any prod category."""
        key = _category_key(dev_cats, dev_category)
        same = [c.id for c in prod_cats if slugify(c.name) == key]
        if same and draw(st.integers(0, 4)) > 0:
            return same[0]
        return draw(st.sampled_from(prod_cats)).id

    dev_svc_ids = [s.id for s in dev_svcs]
    prod_svcs: list[Service] = []
    for i, svc in enumerate(dev_svcs):
        mode = draw(modes)
        if mode == "copy":
            prod_svcs.append(
                replace(svc, id=prod_id("ps", i, dev_svc_ids), category=prod_category(svc.category))
            )
        elif mode == "changed":
            prod_svcs.append(
                Service(
                    prod_id("ps", i, dev_svc_ids),
                    draw(st.sampled_from(VARIANTS))(svc.name),
                    draw(st.sampled_from([svc.description, None, "old description"])),
                    draw(st.sampled_from([svc.price, _nudged(svc.price)]) | PRICES),
                    prod_category(svc.category),
                    draw(st.booleans()),
                )
            )
    for i in range(len(dev_svcs), len(dev_svcs) + draw(st.integers(0, 3))):
        prod_svcs.append(
            Service(
                prod_id("ps", i, dev_svc_ids),
                prod_name([s.name for s in dev_svcs]),
                None,
                draw(PRICES),
                draw(st.sampled_from(prod_cats)).id,
                True,
            )
        )
    # About a third of prod services are in use by one or two business tables.
    links = [
        (table, s.id)
        for s in prod_svcs
        if draw(st.integers(0, 2)) == 0
        for table in draw(st.lists(st.sampled_from(LINKS), min_size=1, max_size=2, unique=True))
    ]
    return State(dev_cats, dev_svcs, prod_cats, prod_svcs, links, unmatchable)


def _category_key(categories: list[Category], category_id: str) -> str:
    return next(slugify(c.name) for c in categories if c.id == category_id)


@pytest.fixture
def admins(dbpair: DbPair) -> tuple[psycopg.Connection[Any], psycopg.Connection[Any]]:
    """One superuser connection per side, shared by all of a test's examples."""
    return dbpair.admin("dev"), dbpair.admin("prod")


def _reset(conn: psycopg.Connection[Any]) -> None:
    conn.execute(
        """TRUNCATE service_categories, services, users, providers, provider_services,
           bookings, payments, reviews, catalogue_items, booking_drafts"""
    )


def _load(
    conn: psycopg.Connection[Any], categories: list[Category], services: list[Service]
) -> None:
    with conn.cursor() as cur:
        cur.executemany(
            """INSERT INTO service_categories (id, name, description, icon, "isActive", "updatedAt")
               VALUES (%s, %s, %s, %s, %s, '2025-01-01')""",
            [(c.id, c.name, c.description, c.icon, c.active) for c in categories],
        )
        cur.executemany(
            """INSERT INTO services (id, name, description, price, "categoryId", "isActive",
                 "updatedAt")
               VALUES (%s, %s, %s, %s, %s, %s, '2025-01-01')""",
            [(s.id, s.name, s.description, s.price, s.category, s.active) for s in services],
        )


def _load_links(conn: psycopg.Connection[Any], links: list[tuple[str, str]]) -> None:
    conn.execute(
        """INSERT INTO users (id, email, "updatedAt") VALUES ('u1', 'u1@example.com', now());
           INSERT INTO providers (id, "userId", "businessName", "updatedAt")
           VALUES ('pr1', 'u1', 'Provider', now())"""
    )
    statements = {
        "bookings": """INSERT INTO bookings (id, "serviceId", "userId", "scheduledAt", price,
                         "updatedAt") VALUES ('b-' || %(s)s, %(s)s, 'u1', now(), 1, now())""",
        "provider_services": """INSERT INTO provider_services ("providerId", "serviceId")
                                VALUES ('pr1', %(s)s)""",
        "catalogue_items": """INSERT INTO catalogue_items (id, "serviceId", title, "updatedAt")
                              VALUES ('ci-' || %(s)s, %(s)s, 'Featured', now())""",
        "booking_drafts": """INSERT INTO booking_drafts (id, "serviceId", "expiresAt",
                             "updatedAt") VALUES ('bd-' || %(s)s, %(s)s, now(), now())""",
    }
    with conn.cursor() as cur:
        for table, service_id in links:
            cur.execute(statements[table], {"s": service_id})


@dataclass(frozen=True)
class Row:
    """One prod reference row as stored: its full text form, and what the oracle compares."""

    text: str
    key: str
    values: tuple[Any, ...]
    category: str | None  # services: the categoryId


def _prod_rows(conn: psycopg.Connection[Any]) -> dict[str, dict[str, Row]]:
    out: dict[str, dict[str, Row]] = {}
    rows = conn.execute(
        """SELECT c.id, c::text, c.name, c.description, c.icon, c."isActive"
           FROM service_categories c"""
    ).fetchall()
    out["service_categories"] = {
        i: Row(text, slugify(name), (name, d, icon, a), None) for i, text, name, d, icon, a in rows
    }
    rows = conn.execute(
        """SELECT s.id, s::text, s.name, s.description, s.price, s."isActive", s."categoryId"
           FROM services s"""
    ).fetchall()
    out["services"] = {
        i: Row(text, slugify(name), (name, d, p, a), c) for i, text, name, d, p, a, c in rows
    }
    return out


def _run(dbpair: DbPair, *, apply: bool, digest: str | None = None) -> engine.Outcome:
    return engine.run(
        config=CONFIG,
        dev_url=dbpair.dev_url,
        prod_url=dbpair.prod_url,
        apply=apply,
        approved_digest=digest,
        secrets=(),
        log=lambda _: None,
    )


def _business(conn: psycopg.Connection[Any]) -> dict[str, str]:
    return {k: v for k, v in table_checksums(conn).items() if k.split(".")[1] not in REFERENCE}


def _check_apply(  # noqa: C901, PLR0912, PLR0915 - every invariant of an apply, in order
    dbpair: DbPair, prod: psycopg.Connection[Any], state: State
) -> None:
    before = _prod_rows(prod)
    business = _business(prod)
    linked = {service_id for _, service_id in state.links}

    planned = _run(dbpair, apply=False)
    applied = _run(dbpair, apply=True, digest=planned.digest)
    for table_plan in applied.plan.tables:  # shown by --hypothesis-show-statistics
        event(f"{table_plan.name}: creates {bool(table_plan.creates)}")
        event(f"{table_plan.name}: updates {bool(table_plan.updates)}")
        for skip in table_plan.skips:
            event(f"{table_plan.name}: skip {skip.kind}")
    after = _prod_rows(prod)

    # Business data is never touched, and a second plan has nothing left to write.
    assert _business(prod) == business
    again = _run(dbpair, apply=False).plan.totals
    assert (again["create"], again["update"]) == (0, 0)

    # table -> dev id -> (key, compared values, the category's key for services)
    dev_rows: dict[str, dict[str, tuple[str, tuple[Any, ...], str | None]]] = {
        "service_categories": {
            c.id: (slugify(c.name), (c.name, c.description, c.icon, c.active), None)
            for c in state.dev_categories
        },
        "services": {
            s.id: (
                slugify(s.name),
                (s.name, s.description, s.price, s.active),
                _category_key(state.dev_categories, s.category),
            )
            for s in state.dev_services
        },
    }
    for table in REFERENCE:
        old, new = before[table], after[table]
        old_keys = Counter(r.key for r in old.values())
        dev_keys = {key for key, _, _ in dev_rows[table].values()}

        # The counts: each dev row exactly once; prod only = prod rows no dev key names.
        counts = planned.plan.table(table).counts
        assert sum(counts[k] for k in ("create", "update", "skip", "unchanged")) == len(
            dev_rows[table]
        ), (table, counts)
        orphans = sum(1 for r in old.values() if not r.key or r.key not in dev_keys)
        assert counts["prod_only"] == orphans, (table, counts)

        # Protected, ambiguous and prod-only rows are byte-identical to before.
        for row_id, row in old.items():
            protected = table == "services" and row_id in linked
            if protected or old_keys[row.key] > 1 or not row.key or row.key not in dev_keys:
                assert new[row_id].text == row.text, (table, row_id)

        # Every dev row is in prod as in dev, unless skipped for a reason the data confirms.
        skips = {s.key[0]: s.kind for s in applied.plan.table(table).skips}
        for dev_id, (key, values, category_key) in dev_rows[table].items():
            matches = [(i, r) for i, r in new.items() if r.key == key]
            if key in skips:
                kind = skips[key]
                was = [(i, r) for i, r in old.items() if r.key == key]
                assert matches == was, (table, key, kind)
                if kind == "ambiguous":
                    assert len(was) > 1
                elif kind == "protected":
                    assert len(was) == 1
                    assert was[0][0] in linked
                elif kind == "id-taken":
                    assert dev_id in old
                    assert old[dev_id].key != key
                else:
                    assert kind == "parent-missing"
                    parents = [
                        r for r in after["service_categories"].values() if r.key == category_key
                    ]
                    assert len(parents) != 1
                continue
            assert len(matches) == 1, (table, key, matches)
            row_id, row = matches[0]
            assert row.values == values, (table, key)
            if category_key is not None:
                assert row.category is not None
                assert after["service_categories"][row.category].key == category_key
            if row_id not in old:
                assert row_id == dev_id  # created rows keep the dev id (no default in prod)

        # No key appears twice among the rows refsync wrote.
        all_keys = Counter(r.key for r in new.values())
        for row_id, row in new.items():
            if row_id not in old or old[row_id].text != row.text:
                assert all_keys[row.key] == 1, (table, row.key)


@pytest.mark.slow
@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(state=states())
@pytest.mark.parametrize(
    ("long_bytes", "scan_first"),
    [
        (snapshot.LONG_BYTES, prefilter.SCAN_FIRST_BYTES),
        (0, prefilter.SCAN_FIRST_BYTES),
        (snapshot.LONG_BYTES, 0),
    ],
    ids=["as-shipped", "all-hashed", "scanned-first"],
)
def test_apply_invariants(  # noqa: PLR0917 - fixtures, and the two ways of reading
    dbpair: DbPair,
    admins: tuple[psycopg.Connection[Any], psycopg.Connection[Any]],
    monkeypatch: pytest.MonkeyPatch,
    long_bytes: int,
    scan_first: int,
    state: State,
) -> None:
    """For random dev and prod states, apply writes exactly the dev rows it may, leaves
    protected, ambiguous, prod-only and business rows byte-identical, never duplicates a key,
    and leaves nothing for a second plan, while dev duplicates are refused; the same when
    every non-empty description and icon is read as its hash first (`all-hashed`), and when
    services are scanned first (`scanned-first`: only the rows that may differ are read)."""
    monkeypatch.setattr(snapshot, "LONG_BYTES", long_bytes)
    monkeypatch.setattr(prefilter, "SCAN_FIRST_BYTES", scan_first)
    dev, prod = admins
    for conn in (dev, prod):
        _reset(conn)
    _load(dev, state.dev_categories, state.dev_services)
    _load(prod, state.prod_categories, state.prod_services)
    _load_links(prod, state.links)
    event(f"dev unmatchable: {state.dev_unmatchable}")
    if state.dev_unmatchable:
        before = table_checksums(prod)
        with pytest.raises(SafetyError, match="cannot match unambiguously"):
            _run(dbpair, apply=False)
        assert table_checksums(prod) == before
        return
    _check_apply(dbpair, prod, state)
