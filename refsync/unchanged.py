"""Which rows two scans leave (`prefilter`): a pair with one key on each side and one
signature is unchanged and dropped; every other row is kept for the diff. Pure: numbers in,
positions out.

A signature holds its row's key (`prefilter.Keyed.prints`). Keys several rows of a side
share, and rows without a key, are kept whole: the diff refuses the first in dev and skips
the second in prod, and must see every row to do so. A prod row whose id a kept dev row
carries is kept with its pair: the diff names it when it skips a new row whose id prod
already uses.

The scans' numbers are matched as numpy arrays, by sorting: a million rows a side in about
a tenth of a second, where sets of Python ints took close to a second
(`docs/benchmark.md`, attempt 18). numpy is imported only once a run has a table to scan
first (`unavailable`, before the scans), so a run that scans nothing first never loads it;
a run where it cannot be loaded reads every row instead.
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    Numbers = npt.NDArray[np.int64]
    Positions = npt.NDArray[np.intp]
    Flags = npt.NDArray[np.bool_]


@dataclass
class Scanned:
    """One side's scan of one table, in the order read: numbers alone."""

    #: the server's hash of each primary key's text: how the second read finds the row
    ids: array[int] = field(default_factory=lambda: array("q"))
    keys: array[int] = field(default_factory=lambda: array("q"))
    signs: array[int] = field(default_factory=lambda: array("q"))
    #: where the rows without a key are
    unkeyed: list[int] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.keys)


def unavailable() -> str | None:
    """Why numpy cannot be loaded here, or None when it can. Scanning first only saves time
    and memory: without numpy (an x86-64 CPU older than numpy's baseline, x86-64-v2, which
    numpy refuses with a RuntimeError; an install broken in any way) a run reads every row."""
    try:
        import numpy  # noqa: F401, PLC0415 - see match
    # Whatever stops it loading, reading every row is the safe path: no failure is special.
    except Exception as error:  # noqa: BLE001
        return f"{type(error).__name__}: {error}"
    return None


@dataclass(frozen=True)
class Kept:
    """What the scans leave to read again: positions in each side's scan, and how many
    pairs were found unchanged and dropped."""

    dev: list[int]
    prod: list[int]
    unchanged: int


def match(dev: Scanned, prod: Scanned, *, ids: bool) -> Kept:
    """Drop each pair of rows whose key exactly one keyed row of each side has, with one
    signature on both; keep every other row. With `ids` (dev's ids are copied: the diff's
    "id already used in prod" check needs it), a dropped pair stays when a prod row of its
    key hash has an id a kept dev row carries."""
    import numpy as np  # noqa: PLC0415 - only a run that scans a table first needs numpy

    dev_keys, prod_keys = _numbers(dev.keys), _numbers(prod.keys)
    dev_at, prod_at = _once(dev_keys, dev.unkeyed), _once(prod_keys, prod.unkeyed)
    # Both are sorted by key: find each dev key among prod's.
    at, found = _find(prod_keys[prod_at], dev_keys[dev_at])
    dev_at, prod_at = dev_at[found], prod_at[at[found]]
    same = _numbers(prod.signs)[prod_at] == _numbers(dev.signs)[dev_at]
    dev_at, prod_at = dev_at[same], prod_at[same]
    if ids:
        wanted = np.sort(np.delete(_numbers(dev.ids), dev_at))
        # Every prod row's id looked up in order (sorted, the lookups stay in cache).
        by_id = np.argsort(prod_ids := _numbers(prod.ids))
        _, taken = _find(wanted, prod_ids[by_id])
        _, back = _find(np.sort(prod_keys[by_id[taken]]), dev_keys[dev_at])
        dev_at, prod_at = dev_at[~back], prod_at[~back]
    return Kept(_left(len(dev), dev_at), _left(len(prod), prod_at), len(dev_at))


def _numbers(values: array[int]) -> Numbers:
    """A scan's array as numpy's, without a copy."""
    import numpy as np  # noqa: PLC0415 - see match

    return np.frombuffer(values, dtype=np.int64)


def _once(keys: Numbers, unkeyed: list[int]) -> Positions:
    """The positions of the keyed rows whose key no other keyed row has, sorted by key."""
    import numpy as np  # noqa: PLC0415 - see match

    at = np.delete(np.arange(len(keys)), unkeyed)
    if not len(at):
        return at
    at = at[np.argsort(keys[at])]
    ordered = keys[at]
    # A key is alone when it differs from the one before it and from the one after it.
    other = ordered[1:] != ordered[:-1]
    return at[np.concatenate(([True], other)) & np.concatenate((other, [True]))]


def _find(ordered: Numbers, values: Numbers) -> tuple[Positions, Flags]:
    """Where each of `values` would be in `ordered` (sorted), and whether it is there."""
    import numpy as np  # noqa: PLC0415 - see match

    if not len(ordered):
        return np.zeros(len(values), dtype=np.intp), np.zeros(len(values), dtype=bool)
    at = np.searchsorted(ordered, values)
    at[at == len(ordered)] = 0
    return at, ordered[at] == values


def _left(size: int, dropped: Positions) -> list[int]:
    """The positions of a side's rows that were not dropped, in scan order."""
    import numpy as np  # noqa: PLC0415 - see match

    return np.delete(np.arange(size), dropped).tolist()
