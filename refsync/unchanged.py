"""Which rows two scans leave (`prefilter`): a pair with one key on each side and one
signature is unchanged and dropped; every other row is kept for the diff. Pure: numbers in,
positions out.

A signature holds its row's key (`prefilter.Keyed.prints`), so a signature both sides have
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

    def __len__(self) -> int:
        return len(self.keys)


def _keyed(side: Scanned) -> list[bool]:
    """Per row, whether it has a key."""
    keyed = [True] * len(side.keys)
    for at in side.unkeyed:
        keyed[at] = False
    return keyed


def _unique(side: Scanned) -> dict[int, int]:
    """Key hash -> signature, for the key hashes exactly one row with a key has."""
    pairs = list(zip(side.keys, side.signs, strict=True))
    if side.unkeyed:
        pairs = list(compress(pairs, _keyed(side)))
    found = dict(pairs)
    if len(found) != len(pairs):
        for key, n in Counter(key for key, _ in pairs).items():
            if n > 1:
                del found[key]
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
    "id already used in prod" check needs it).

    Quickly, by sets, when every key it would drop has one row on each side (else key by
    key, `_match_slowly`): a dev row whose signature prod has, and thus its key (the
    signature holds the key's hash, which `hash` keys anew in every process), is dropped
    with the prod row of its key, provided no two dropped dev rows and no kept dev row share
    its key, and prod has exactly as many rows of the dropped keys as there are keys."""
    # A keyless row's signature is built from its key hash as any other's: leave it out, or a
    # keyed dev row whose key hashes alike (2^-64) would find its signature there.
    prod_signs = set(compress(prod.signs, _keyed(prod)) if prod.unkeyed else prod.signs)
    keep = list(map(not_, map(prod_signs.__contains__, dev.signs)))
    del prod_signs
    for at in dev.unkeyed:
        keep[at] = True
    dropped = set(compress(dev.keys, map(not_, keep)))
    prod_keep = list(map(not_, map(dropped.__contains__, prod.keys)))
    for at in prod.unkeyed:
        prod_keep[at] = True
    if (
        len(dropped) != keep.count(False)
        or prod_keep.count(False) != len(dropped)
        or any(map(dropped.__contains__, compress(dev.keys, keep)))
    ):
        return _match_slowly(dev, prod, ids=ids)
    back = _taken(dev, prod, keep, dropped) if ids else set()
    if back:
        dropped -= back
        keep = _kept_again(keep, dev, back)
        prod_keep = _kept_again(prod_keep, prod, back)
    return _kept(keep, prod_keep, len(dropped))


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
    back = _taken(dev, prod, keep, dropped) if ids else set()
    if back:
        dropped -= back
        keep = _kept_again(keep, dev, back)
    prod_keep = list(map(not_, map(dropped.__contains__, prod.keys)))
    for at in prod.unkeyed:
        prod_keep[at] = True
    return _kept(keep, prod_keep, len(dropped))


def _taken(dev: Scanned, prod: Scanned, keep: list[bool], dropped: set[int]) -> set[int]:
    """The dropped keys whose prod row has an id a kept dev row carries: the diff names that
    row when it skips a new row whose id prod already uses, so the pair stays."""
    if not dropped:
        return set()
    wanted = set(compress(dev.ids, keep))
    taken = compress(range(len(prod.ids)), map(wanted.__contains__, prod.ids))
    return {prod.keys[at] for at in taken} & dropped


def _kept_again(keep: list[bool], side: Scanned, keys: set[int]) -> list[bool]:
    """`keep`, with every row of `keys` kept too."""
    return [k or b for k, b in zip(keep, map(keys.__contains__, side.keys), strict=True)]


def _kept(dev: list[bool], prod: list[bool], unchanged: int) -> Kept:
    """Each side's flags as the positions of the rows kept."""
    return Kept(
        list(compress(range(len(dev)), dev)), list(compress(range(len(prod)), prod)), unchanged
    )
