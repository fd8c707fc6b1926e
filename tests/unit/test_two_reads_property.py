"""Two reads plan as one read in full: a first read that leaves dev's `deferred` columns out
(NULL), and hashes long values, then a second read of the rows `Prepared.wanted` names, give
the plan and digest of reading everything at once, or both refuse. Generated two-table
catalogs: slug and scoped keys, keys shared, keyless rows, ids prod makes, dangling pointers,
an only-inserted pointer and self-pointer, long and short values (written by an independent
review of the deferred columns)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import hypothesis.strategies as st
from hypothesis import HealthCheck, given, settings

from refsync.candidates import prepare
from refsync.diff import diff, finish
from refsync.digest import canonical, digest
from refsync.errors import RefsyncError, SafetyError
from tests.fixtures.diff_tables import layout

NAMES = ["Alpha", "alpha", "Beta", "Gamma", "Delta", "Café", "cafe", "", None]
BLURBS = [None, "", "x", "y" * 300, "é\n'\"", "NULL"]


def _layouts(
    *, scoped: bool, pointer_compared: bool, pk_from_prod: bool, dev_pk: str | None
) -> list[Any]:
    cats = layout(
        "cats",
        compare=("name",),
        insert=("name", "notes"),
        dev_pk=dev_pk,
    )
    cats = replace(cats, deferred=("notes",))
    match = ("categoryId", "name") if scoped else ("name",)
    compare = ("name", "price", *(("categoryId",) if pointer_compared else ()))
    services = layout(
        "services",
        match=match,
        slug=not scoped,
        compare=compare,
        references={"categoryId": "cats", "parentId": "services"},
        insert=("name", "price", "categoryId", "parentId", "blurb"),
        pk_from_prod=pk_from_prod,
    )
    deferred = ["blurb", "parentId"]  # text pointer only inserted: wide
    if not pointer_compared and not scoped:
        deferred.append("categoryId")
    services = replace(services, deferred=tuple(deferred))
    return [cats, services]


def _first(layout_: Any, row: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple(
        None if c in layout_.deferred else v for c, v in zip(layout_.dev_read, row, strict=True)
    )


@st.composite
def scenario(draw: Any) -> Any:
    scoped = draw(st.booleans())
    pointer_compared = draw(st.booleans())
    pk_from_prod = draw(st.booleans())
    layouts = _layouts(
        scoped=scoped, pointer_compared=pointer_compared, pk_from_prod=pk_from_prod, dev_pk=None
    )
    cats, services = layouts
    ids = st.sampled_from([f"c{i}" for i in range(6)])
    dev_cats = draw(
        st.lists(
            st.tuples(ids, st.sampled_from(NAMES[:7]), st.sampled_from(BLURBS)),
            max_size=5,
            unique_by=lambda r: r[0],
        )
    )
    prod_cats = draw(
        st.lists(
            st.tuples(ids, st.sampled_from(NAMES[:7])),
            max_size=5,
            unique_by=lambda r: r[0],
        )
    )
    cat_ids = [r[0] for r in dev_cats] + [None, "dangling"]
    prod_cat_ids = [r[0] for r in prod_cats] + [None]
    sids = st.sampled_from([f"s{i}" for i in range(8)])
    prices = st.sampled_from(["1.00", "2.00", None])
    dev_services = draw(
        st.lists(
            st.tuples(
                sids,
                st.sampled_from(NAMES[:7]),
                prices,
                st.sampled_from(cat_ids),
                st.sampled_from([f"s{i}" for i in range(8)] + [None]),
                st.sampled_from(BLURBS),
            ),
            max_size=7,
            unique_by=lambda r: r[0],
        )
    )
    prod_services = draw(
        st.lists(
            st.tuples(sids, st.sampled_from(NAMES[:7]), prices, st.sampled_from(prod_cat_ids)),
            max_size=7,
            unique_by=lambda r: r[0],
        )
    )

    def dev_row(layout_: Any, rec: dict[str, Any]) -> tuple[Any, ...]:
        return tuple(rec.get(c) for c in layout_.dev_read)

    def prod_row(layout_: Any, rec: dict[str, Any]) -> tuple[Any, ...]:
        return tuple(rec.get(c) for c in layout_.prod_read)

    dev = {
        "cats": [dev_row(cats, {"id": i, "name": n, "notes": b}) for i, n, b in dev_cats],
        "services": [
            dev_row(
                services,
                {"id": i, "name": n, "price": p, "categoryId": c, "parentId": par, "blurb": b},
            )
            for i, n, p, c, par, b in dev_services
        ],
    }
    prod = {
        "cats": [prod_row(cats, {"id": i, "name": n}) for i, n in prod_cats],
        "services": [
            prod_row(services, {"id": i, "name": n, "price": p, "categoryId": c})
            for i, n, p, c in prod_services
        ],
    }
    return layouts, dev, prod


def _digest(plan: Any) -> str:
    return digest(canonical(plan, {}, {}))


def _two_reads(layouts: Any, dev: Any, prod: Any) -> Any:
    first = {t.name: [_first(t, r) for r in dev[t.name]] for t in layouts}
    prepared = prepare(layouts, first, prod, deferred=True)
    wanted = prepared.wanted()
    full_dev = {}
    for t in layouts:
        keys = wanted[t.name][0]
        assert len(keys) == len(set(keys))
        if keys:
            full_dev[t.name] = {r[0]: r for r in dev[t.name] if r[0] in keys}
    return prepared, first, full_dev


@settings(max_examples=400, suppress_health_check=list(HealthCheck), deadline=None)
@given(scenario())
def test_two_reads_plan_as_one_read_in_full(case: Any) -> None:
    layouts, dev, prod = case
    try:
        at_once = diff(layouts, dev, prod)
    except SafetyError:
        try:
            _two_reads(layouts, dev, prod)
        except SafetyError:
            return
        raise AssertionError("read in full refused, two reads did not") from None
    prepared, _, full_dev = _two_reads(layouts, dev, prod)
    plan = finish(prepared, full_dev, {})
    assert plan == at_once
    assert _digest(plan) == _digest(at_once)
    # Nothing a create carries is a first read's stand-in NULL where dev has a value.
    for t in plan.tables:
        for c in t.creates:
            assert c.values.get("blurb", None) == next(
                (r[-1] for r in dev[t.name] if t.name == "services" and r[0] == c.values.get("id")),
                c.values.get("blurb"),
            )


LONGS = [None, "1.00", "a" * 300, "b" * 300]


def _hash_tail(row: tuple[Any, ...], at: int) -> tuple[Any, ...]:
    v = row[at]
    long = isinstance(v, str) and len(v) > 10
    return (*row[:at], None if long else v, *row[at + 1 :], hash(v) if long else None)


def _long_prices(case: Any, data: Any) -> tuple[list[Any], Any, Any, int, int]:
    """The scenario with services' prices hashed when long, and drawn long or short on both
    sides; with where dev and prod read the price."""
    layouts, dev, prod = case
    cats, services = layouts
    services = replace(services, hashed=("price",))
    layouts = [replace(cats, hashed=()), services]
    pd = services.dev_read.index("price")
    pp = services.prod_read.index("price")
    dev, prod = dict(dev), dict(prod)
    dev["services"] = [
        (*r[:pd], data.draw(st.sampled_from(LONGS)), *r[pd + 1 :]) for r in dev["services"]
    ]
    prod["services"] = [
        (*r[:pp], data.draw(st.sampled_from(LONGS)), *r[pp + 1 :]) for r in prod["services"]
    ]
    return layouts, dev, prod, pd, pp


@settings(max_examples=400, suppress_health_check=list(HealthCheck), deadline=None)
@given(scenario(), st.data())
def test_with_hashes_too(case: Any, data: Any) -> None:
    layouts, dev, prod, pd, pp = _long_prices(case, data)
    cats, services = layouts
    try:
        at_once = diff(layouts, dev, prod)
    except SafetyError:
        return
    first_dev = {
        "cats": [_first(cats, r) for r in dev["cats"]],
        "services": [_hash_tail(_first(services, r), pd) for r in dev["services"]],
    }
    first_prod = {"cats": prod["cats"], "services": [_hash_tail(r, pp) for r in prod["services"]]}
    prepared = prepare(layouts, first_dev, first_prod, hashed=True, deferred=True)
    full_dev, full_prod = _second_reads(layouts, (dev, prod), prepared.wanted(), (pd, pp))
    plan = finish(prepared, full_dev, full_prod)
    assert plan == at_once
    assert _digest(plan) == _digest(at_once)


Full = dict[str, dict[Any, Any]]


def _second_reads(
    layouts: list[Any],
    rows: tuple[Any, Any],
    wanted: dict[str, tuple[list[Any], list[Any]]],
    hashed_at: tuple[int, int],
    moved: Any = None,
) -> tuple[Full, Full]:
    """The second read of each side: the wanted rows in full, then (services, the table that
    hashes its price at `hashed_at` on dev and prod) the first read's hash; `moved(row, at)`
    may change a row or drop it (None) as a write between the reads would."""
    fulls: tuple[Full, Full] = ({}, {})
    for t in layouts:
        for side in (0, 1):
            at = hashed_at[side] if t.name == "services" else None
            got = {}
            for r in rows[side][t.name]:
                if r[0] not in wanted[t.name][side]:
                    continue
                second = r if at is None else (*r, _hash_tail(r, at)[-1])
                if moved is not None:
                    second = moved(second, at)
                if second is not None:
                    got[r[0]] = second
            fulls[side][t.name] = got
    return fulls


def _outcome(fn: Any) -> Any:
    try:
        return ("plan", fn())
    except RefsyncError as exc:
        return ("refused", type(exc).__name__, str(exc))


def _mutate(row: tuple[Any, ...], how: int, hashed_at: int | None) -> tuple[Any, ...] | None:
    if how == 0:
        return None  # gone
    at = how % len(row)
    v = row[at]
    if hashed_at is not None and at == len(row) - 1:
        return (*row[:-1], None if v is not None else 12345)  # the hash moved
    new = "Moved" if v != "Moved" else "Other"
    return (*row[:at], new, *row[at + 1 :])


@settings(max_examples=300, suppress_health_check=list(HealthCheck), deadline=None)
@given(scenario(), st.data())
def test_holding_each_row_read_again_once_changes_no_outcome(case: Any, data: Any) -> None:
    """`Prepared.hold_once` changes nothing a run decides: with rows that move between the
    reads (a value, a hash, a deferred column, a key, a row gone), `finish` gives the same
    plan, or refuses the same way, with and without it (written by the review of it)."""
    layouts, dev, prod, pd, pp = _long_prices(case, data)
    cats, services = layouts

    def first_reads() -> tuple[dict[str, list[Any]], dict[str, list[Any]]]:
        return (
            {
                "cats": [_first(cats, r) for r in dev["cats"]],
                "services": [_hash_tail(_first(services, r), pd) for r in dev["services"]],
            },
            {"cats": list(prod["cats"]), "services": [_hash_tail(r, pp) for r in prod["services"]]},
        )

    def prepared_now() -> Any:
        fd, fp = first_reads()
        try:
            return prepare(layouts, fd, fp, hashed=True, deferred=True)
        except RefsyncError:
            return None

    probe = prepared_now()
    if probe is None:
        return

    def move(row: tuple[Any, ...], at: int | None) -> tuple[Any, ...] | None:
        how = data.draw(st.sampled_from([None, None, None, 0, 1, 2, 3, 4, 5, 6]))
        return row if how is None else _mutate(row, how, at)

    full_dev, full_prod = _second_reads(layouts, (dev, prod), probe.wanted(), (pd, pp), move)

    a = prepared_now()
    without = _outcome(lambda: finish(a, full_dev, full_prod))
    b = prepared_now()
    b.hold_once(full_dev, full_prod)
    held = _outcome(lambda: finish(b, full_dev, full_prod))
    assert held == without
