"""The hint for a name that does not exist (a table, a column, a config key): the closest
names that do, the same spelling in another case first."""

from __future__ import annotations

import difflib
from collections.abc import Sequence


def suggest(name: str, candidates: Sequence[str], *, limit: int = 3) -> str:
    """Up to `limit` closest `candidates`, quoted and joined: "`Category`" or
    "`shop.brands` or `brands`"; empty when none is close."""
    same = [c for c in candidates if c.lower() == name.lower() and c != name]
    close = difflib.get_close_matches(name, candidates, n=3, cutoff=0.6)
    lowered = {c.lower(): c for c in candidates}
    close += [lowered[c] for c in difflib.get_close_matches(name.lower(), list(lowered), n=3)]
    found = list(dict.fromkeys([*same, *close]))[:limit]
    return " or ".join(f"`{c}`" for c in found)
