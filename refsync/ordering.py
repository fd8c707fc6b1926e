"""The order new rows of one table are created in: a row after the parent it points at.

Only a self-referencing table (a category tree) needs more than one wave: a row whose parent
is itself new waits for the wave after its parent's. Rows that point at each other in a
cycle can never be inserted parents first; the diff skips them before a plan is approved
(`diff`), and the apply refuses them should any reach it (`apply`). One rule for both.
"""

from __future__ import annotations

from collections.abc import Sequence

from refsync.layouts import Layout
from refsync.model import Create, Key, Ref


def self_references(layout: Layout) -> list[str]:
    """The columns of `layout` that point at its own table."""
    return [c for c, target in layout.references.items() if target == layout.name]


def creation_waves(
    creates: Sequence[Create], self_refs: Sequence[str]
) -> tuple[list[list[Create]], list[Key]]:
    """`creates` in waves, each after the rows its new parents are in, in `creates`' order
    within a wave; and the keys left over, sorted: rows in a cycle, or below one."""
    if not self_refs:
        return ([list(creates)] if creates else []), []
    pending = {c.key: c for c in creates}
    waves: list[list[Create]] = []
    while pending:
        ready = [
            c
            for c in pending.values()
            if not any(
                isinstance(parent := c.values.get(col), Ref)
                and parent.key in pending
                and parent.key != c.key
                for col in self_refs
            )
        ]
        if not ready:
            break
        waves.append(ready)
        for c in ready:
            del pending[c.key]
    return waves, sorted(pending)
