"""The "did you mean" hint for a table, a column or a config key, and the one way a
relation is named in messages."""

from __future__ import annotations

from refsync.hints import suggest
from refsync.model import relation_label


def test_the_same_name_in_another_case_comes_first() -> None:
    assert suggest("category", ["Categories", "Category", "shop.brands"]) == (
        "`Category` or `Categories`"
    )


def test_no_close_name_gives_no_hint() -> None:
    assert suggest("bookings", ["Category", "shop.brands"]) == ""


def test_limit_keeps_the_closest() -> None:
    """A config key gets one hint: the closest allowed key."""
    assert suggest("compares", ["name", "compare", "exclude"], limit=1) == "`compare`"
    assert suggest("tabel", ["type", "table", "id"], limit=1) == "`table`"


def test_relation_label_omits_only_public() -> None:
    assert relation_label(("public", "services")) == "services"
    assert relation_label(("shop", "Brands")) == "shop.Brands"
