"""The match-key slug (SPEC 2): its ASCII fast path agrees with the pattern it replaces."""

from __future__ import annotations

import re
import string

from hypothesis import given
from hypothesis import strategies as st

from refsync.slug import slugify, slugify_many

_PATTERN = re.compile(r"[^\w]+|_+")
_ASCII = st.text(alphabet=st.characters(max_codepoint=127), max_size=40)
_NAMEISH = st.text(alphabet=string.ascii_letters + string.digits + " -&/.'", max_size=40)


@given(st.one_of(_ASCII, _NAMEISH))
def test_ascii_fast_path_matches_the_pattern(text: str) -> None:
    """For any ASCII text, slugify equals the regex form: runs of non-word chars or '_' -> '-'."""
    assert slugify(text) == _PATTERN.sub("-", text.lower()).strip("-")


def test_examples() -> None:
    """Accents drop, case folds, punctuation runs become one '-', '_' runs stay separate."""
    assert slugify("Café & Spa") == "cafe-spa"
    assert slugify("  Deep  Tissue -- Massage! ") == "deep-tissue-massage"
    assert slugify("a_ _b") == "a---b"
    assert slugify("__") == ""
    assert slugify("\x1fTab\tbed\x7f") == "tab-bed"


@given(st.lists(st.one_of(_ASCII, _NAMEISH, st.text(max_size=20)), max_size=30))
def test_many_at_once_equals_one_by_one(texts: list[str]) -> None:
    """The batch form gives every name the slug it gets alone: newlines, '_' and non-ASCII
    names included (they make the batch take the one-by-one path)."""
    assert slugify_many(texts) == [slugify(t) for t in texts]


def test_many_at_once_examples() -> None:
    """A name holding a newline must not shift its neighbours' slugs."""
    assert slugify_many(["A b", "x\ny", "C"]) == ["a-b", "x-y", "c"]
    assert slugify_many(["Spa & Co", "Café"]) == ["spa-co", "cafe"]
    assert slugify_many([]) == []
    assert slugify_many(["", "--"]) == ["", ""]
    # Either path: single separators (one call), a run or an end (line by line).
    assert slugify_many(["Deep clean", "Spa & Co"]) == ["deep-clean", "spa-co"]
    assert slugify_many(["Deep clean", " Spa"]) == ["deep-clean", "spa"]
    assert slugify_many(["Deep clean!", "Spa"]) == ["deep-clean", "spa"]
    assert slugify_many(["Deep  clean", "Spa"]) == ["deep-clean", "spa"]
    assert slugify_many(["Deep", "!", "Spa"]) == ["deep", "", "spa"]
