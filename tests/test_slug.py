"""The match-key slug (SPEC 2): its ASCII fast path agrees with the pattern it replaces."""

from __future__ import annotations

import re
import string

from hypothesis import given
from hypothesis import strategies as st

from refsync.slug import slugify

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
