"""Which rows two scans leave (`prefilter`): a pair with one key on each side and one
signature is unchanged and dropped; every other row is kept for the diff. Pure: numbers in,
positions out.

A signature holds its row's key (`prefilter._fingerprint`), so a signature both sides have
is a pair of one key. Keys several rows of a side share, and rows without a key, are kept
whole: the diff refuses the first in dev and skips the second in prod, and must see every
row to do so. A prod row whose id a kept dev row carries is kept with its pair: the diff
names it when it skips a new row whose id prod already uses.
"""

from __future__ import annotations

from array import array
from collections import Counter
from dataclasses import dataclass, field
from itertools import compress
from operator import ne, not_


@dataclass
class Scanned:
    """One side's scan of one table, in the order read: numbers alone."""

    #: the server's hash of each primary key's text: how the second read finds the row
    ids: array[int] = field(default_factory=lambda: array("q"))
    keys: array[int] = field(default_factory=lambda: array("q"))
    signs: array[int] = field(default_factory=lambda: array("q"))
    #: where the rows without a key are
    unkeyed: list[int] = field(default_factory=list)


def _unique(side: Scanned) -> dict[int, int]:
    """Key hash -> signature, for the key hashes exactly one row has (rows without a key
    left out)."""
    found = dict(zip(side.keys, side.signs, strict=True))
    if len(found) != len(side.keys):
        for key, n in Counter(side.keys).items():
            if n > 1:
                del found[key]
    for at in side.unkeyed:
        found.pop(side.keys[at], None)
    return found


@dataclass(frozen=True)
class Kept:
    """What the scans leave to read again: positions in each side's scan, and how many
    pairs were found unchanged and dropped."""

    dev: list[int]
    prod: list[int]
    unchanged: int


def match(dev: Scanned, prod: Scanned, *, ids: bool) -> Kept:
    """Drop each pair of rows with one key on each side and one signature; keep every other
    row, and the pair of any prod row whose id a kept dev row carries (`ids`: the diff's
    "id already used in prod" check needs it)."""
    if (
        dev.unkeyed
        or prod.unkeyed
        or len(set(dev.keys)) != len(dev.keys)
        or len(set(prod.keys)) != len(prod.keys)
    ):
        return _match_slowly(dev, prod, ids=ids)
    # Every key is unique on its side, and a signature holds its key: a signature both
    # sides have is a pair found unchanged.
    prod_signs = set(prod.signs)
    keep = list(map(not_, map(prod_signs.__contains__, dev.signs)))
    del prod_signs
    dev_signs = set(compress(dev.signs, map(not_, keep)))
    prod_keep = list(map(not_, map(dev_signs.__contains__, prod.signs)))
    if ids and dev_signs:
        wanted = set(compress(dev.ids, keep))
        taken = compress(range(len(prod.ids)), map(wanted.__contains__, prod.ids))
        back = {prod.signs[at] for at in taken} & dev_signs
        if back:
            dev_signs -= back
            keep = [k or b for k, b in zip(keep, map(back.__contains__, dev.signs), strict=True)]
            prod_keep = [
                k or b for k, b in zip(prod_keep, map(back.__contains__, prod.signs), strict=True)
            ]
    return Kept(
        list(compress(range(len(keep)), keep)),
        list(compress(range(len(prod_keep)), prod_keep)),
        len(dev_signs),
    )


def _match_slowly(dev: Scanned, prod: Scanned, *, ids: bool) -> Kept:
    prod_unique = _unique(prod)
    dev_unique = _unique(dev)
    # A dev row is kept unless its key is unique on both sides with the same signature.
    keep = list(map(ne, map(prod_unique.get, dev.keys), dev.signs))
    if len(dev_unique) != len(dev.keys):
        shared = list(map(dev_unique.__contains__, dev.keys))
        keep = [k or not s for k, s in zip(keep, shared, strict=True)]
    for at in dev.unkeyed:
        keep[at] = True
    dropped = set(compress(dev.keys, map(not_, keep)))
    if ids and dropped:
        wanted = set(compress(dev.ids, keep))
        taken = compress(range(len(prod.ids)), map(wanted.__contains__, prod.ids))
        back = {prod.keys[at] for at in taken} & dropped
        if back:
            dropped -= back
            keep = [k or b for k, b in zip(keep, map(back.__contains__, dev.keys), strict=True)]
    prod_keep = list(map(not_, map(dropped.__contains__, prod.keys)))
    for at in prod.unkeyed:
        prod_keep[at] = True
    return Kept(
        list(compress(range(len(keep)), keep)),
        list(compress(range(len(prod_keep)), prod_keep)),
        len(dropped),
    )
