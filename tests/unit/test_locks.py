"""The apply's re-plan once a row it locked moved (`locks.lock_updates`), without a database:
`lock_rows` stands in for the row locks, returning the rows as prod holds them now."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from refsync import locks
from refsync.candidates import prepare
from refsync.diff import diff, finish
from refsync.errors import SafetyError
from refsync.model import Plan
from refsync.reading import Rows
from tests.fixtures.diff_tables import layout

#: `body` is only inserted, and of a long type: a first read leaves it out (NULL).
THINGS = replace(
    layout("things", match=("key",), slug=False, compare=("rank",), insert=("key", "rank", "body")),
    deferred=("body",),
)
DEV_FIRST = [("x1", "a", 2, None)]
PROD = [("p1", "a", 1)]


def _plan_and_rows(*, deferred: bool) -> tuple[Plan, Rows]:
    dev = DEV_FIRST if deferred else [("x1", "a", 2, "dev body")]
    prepared = prepare([THINGS], {"things": dev}, {"things": PROD}, deferred=deferred)
    plan = finish(prepared, {}, {})
    rows = Rows({"things": dev}, {"things": list(PROD)}, None, {}, {}, False, deferred)
    return plan, rows


def _moved_under_the_lock(monkeypatch: pytest.MonkeyPatch, now: list[Any]) -> None:
    monkeypatch.setattr(locks, "lock_rows", lambda _db, _layout, _pks, hashed: now)


@pytest.mark.parametrize("now", [[("p1", "renamed", 1)], [("p1", "a", 5)]])
def test_after_a_first_read_that_left_columns_out_a_moved_row_refuses(
    now: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The plan cannot be made again: a row to update that prod renamed would now be a row
    to create, which the second read did not fetch. It refuses as prod's change (exit 1,
    re-run the plan), not as a row gone from dev."""
    plan, rows = _plan_and_rows(deferred=True)
    assert [u.pk for u in plan.table("things").updates] == ["p1"]
    _moved_under_the_lock(monkeypatch, now)
    with pytest.raises(SafetyError) as refused:
        locks.lock_updates(None, [THINGS], plan, rows=rows, dev_pk={"things": "id"})  # type: ignore[arg-type]
    assert refused.value.message.startswith("prod changed while apply was taking its row locks")
    assert refused.value.exit_code == 1


def test_after_a_read_in_full_a_moved_row_is_planned_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Read in full at once, the plan is made again from the locked rows: here the renamed
    row is now a create (its digest then differs from the approved one, and apply refuses)."""
    plan, rows = _plan_and_rows(deferred=False)
    _moved_under_the_lock(monkeypatch, [("p1", "renamed", 1)])
    again = locks.lock_updates(None, [THINGS], plan, rows=rows, dev_pk={"things": "id"})  # type: ignore[arg-type]
    assert again == diff(
        [THINGS], {"things": rows.dev_rows["things"]}, {"things": [("p1", "renamed", 1)]}
    )
    assert [c.key for c in again.table("things").creates] == [("a",)]
