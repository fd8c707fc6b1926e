"""The order new rows of one table are created in (`refsync/ordering.py`), the one rule the
diff (which skips rows in a cycle before a plan is approved) and the apply (which inserts
wave by wave) share: a new row after the new parent it points at. No database.

The same rule runs end to end in tests/scenarios/category_tree and tree_cycle_in_new_rows.
"""

from __future__ import annotations

from typing import Any

from refsync.model import Create, Ref
from refsync.ordering import creation_waves, self_references
from tests.fixtures.diff_tables import layout

TREE = "categories"
SELF = ["parentId"]


def new(name: str, parent: str | None = None, **more: Any) -> Create:
    """A create of `name` under the category keyed `parent` (None: a root)."""
    pointer = Ref(TREE, (parent,)) if parent is not None else None
    return Create((name,), {"name": name, "parentId": pointer, **more})


def keys(waves: list[list[Create]]) -> list[list[str]]:
    return [[c.key[0] for c in wave] for wave in waves]


def test_self_references_are_the_columns_pointing_at_the_own_table() -> None:
    """Only a pointer at the table itself orders its creates; pointers elsewhere do not."""
    tree = layout(
        TREE,
        compare=("name", "groupId", "parentId", "aliasOf"),
        references={"groupId": "groups", "parentId": TREE, "aliasOf": TREE},
    )
    assert self_references(tree) == ["parentId", "aliasOf"]
    assert self_references(layout("groups")) == []


def test_without_self_references_every_create_is_one_wave() -> None:
    """A table that does not point at itself creates all its rows at once, in plan order."""
    creates = [new("b", "a"), new("a")]
    assert creation_waves(creates, []) == ([creates], [])


def test_no_creates_are_no_wave() -> None:
    """Nothing to create is no wave at all (never an empty insert), with or without a tree."""
    assert creation_waves([], []) == ([], [])
    assert creation_waves([], SELF) == ([], [])


def test_a_tree_is_created_parents_first() -> None:
    """Each row waits for the wave after its new parent's; a root, a row under an existing
    row, and a row pointing at itself are ready at once. Within a wave, plan order."""
    drills, garden = new("drills", "power-tools"), new("garden", "home")
    power, tools, self_ = new("power-tools", "tools"), new("tools"), new("self", "self")
    waves, cyclic = creation_waves([drills, garden, power, tools, self_], SELF)
    assert keys(waves) == [["garden", "tools", "self"], ["power-tools"], ["drills"]]
    assert waves[1] == [power]
    assert cyclic == []


def test_only_self_referencing_columns_order_the_waves() -> None:
    """A pointer in another column, even at another new row of this table, orders nothing."""
    a = Create(("a",), {"parentId": None, "aliasOf": Ref(TREE, ("b",))})
    b = Create(("b",), {"parentId": None, "aliasOf": None})
    assert creation_waves([a, b], SELF) == ([[a, b]], [])
    assert creation_waves([a, b], ["parentId", "aliasOf"]) == ([[b], [a]], [])


def test_rows_in_a_cycle_and_below_it_are_left_over() -> None:
    """Rows that point at each other in a cycle, and the rows under them, never become ready:
    they are left over, sorted by key; the rest is still ordered."""
    creates = [
        new("gamma", "beta"),
        new("beta", "alpha"),
        new("alpha", "beta"),
        new("root"),
        new("leaf", "root"),
    ]
    waves, cyclic = creation_waves(creates, SELF)
    assert keys(waves) == [["root"], ["leaf"]]
    assert cyclic == [("alpha",), ("beta",), ("gamma",)]


def test_only_a_cycle_is_no_wave() -> None:
    """When every row is in a cycle, no wave is made."""
    assert creation_waves([new("a", "b"), new("b", "a")], SELF) == ([], [("a",), ("b",)])
