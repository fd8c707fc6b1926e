"""Every relative link in README.md and docs/*.md resolves (file and heading anchor), and no
file in the repository points at the maintainers' shared folder, which users never have."""

from __future__ import annotations

import re
import subprocess
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
#: Built from parts so this file does not match its own check.
SHARED = ".." + "/shared"

_FENCE = re.compile(r"^ {0,3}(```|~~~).*?^ {0,3}\1[^\n]*$", re.MULTILINE | re.DOTALL)
_CODE_SPAN = re.compile(r"(`+)(?:(?!\1).)+?\1", re.DOTALL)
_INLINE = re.compile(r"!?\[(?:[^\[\]]|\[[^\[\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_REFERENCE = re.compile(r"^ {0,3}\[[^\]]+\]:\s+<?(\S+?)>?(?:\s|$)", re.MULTILINE)
_HTML = re.compile(r"""<(?:a|img)\b[^>]*?\b(?:href|src)=["']([^"']+)["']""", re.IGNORECASE)
_HEADING = re.compile(r"^ {0,3}#{1,6}[ \t]+(.+?)[ \t]*#*[ \t]*$", re.MULTILINE)
_HTML_ANCHOR = re.compile(r"""<[a-z]+\b[^>]*?\b(?:id|name)=["']([^"']+)["']""", re.IGNORECASE)
_EXTERNAL = ("http://", "https://", "mailto:")


def prose(text: str) -> str:
    """The text without fenced code blocks and code spans, where links are not links."""
    return _CODE_SPAN.sub("", _FENCE.sub("", text))


def links(text: str) -> Iterator[str]:
    body = prose(text)
    for pattern in (_INLINE, _REFERENCE, _HTML):
        for match in pattern.finditer(body):
            yield match.group(1)


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: inline markup dropped, lower-case, punctuation other
    than `-` and `_` removed, spaces to hyphens."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link keeps its text
    text = re.sub(r"<[^>]+>", "", text).lower()
    kept = "".join(
        ch
        for ch in text
        if ch in " -_" or unicodedata.category(ch)[0] in "LN" or unicodedata.category(ch) == "Mn"
    )
    return kept.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    text = path.read_text()
    found: set[str] = set(_HTML_ANCHOR.findall(text))
    seen: dict[str, int] = {}
    for match in _HEADING.finditer(_FENCE.sub("", text)):
        base = slug(match.group(1))
        count = seen.get(base, 0)
        seen[base] = count + 1
        found.add(base if count == 0 else f"{base}-{count}")
    return found


def test_slug_follows_github() -> None:
    """Headings with code, punctuation and links get the anchors GitHub gives them."""
    assert slug("Faults (`tests/e2e/test_faults.py`)") == "faults-testse2etest_faultspy"
    assert slug("Reliability: what is tried and what happens") == (
        "reliability-what-is-tried-and-what-happens"
    )
    assert slug("Cold start: build vs. pull") == "cold-start-build-vs-pull"
    assert slug("The [workflow](x.md) to copy") == "the-workflow-to-copy"


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_resolve(doc: Path) -> None:
    """Each relative link names a file or folder inside the repository, and its #anchor
    names a heading (or an HTML id) of the Markdown file it points at."""
    broken = []
    for target in links(doc.read_text()):
        if target.startswith(_EXTERNAL):
            continue
        path_part, _, anchor = target.partition("#")
        resolved = (doc.parent / unquote(path_part)).resolve() if path_part else doc
        if not resolved.is_relative_to(ROOT) or not resolved.exists():
            broken.append(f"{target}: no such file in the repository")
        elif anchor and resolved.suffix == ".md" and unquote(anchor) not in anchors(resolved):
            broken.append(f"{target}: no heading #{anchor} in {resolved.relative_to(ROOT)}")
    assert not broken, f"{doc.relative_to(ROOT)}:\n" + "\n".join(broken)


def test_no_file_points_at_the_shared_folder() -> None:
    """No tracked file links or refers to the shared folder beside the repository."""
    tracked = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True, timeout=60
    ).stdout.split(b"\0")
    offenders = []
    for name in filter(None, tracked):
        path = ROOT / name.decode()
        if path.is_file() and SHARED.encode() in path.read_bytes():
            offenders.append(name.decode())
    assert not offenders, f"these files refer to {SHARED}: {offenders}"


def test_no_tracked_file_is_a_symlink() -> None:
    """A symlink in the repository points at something on the machine that committed it (a
    `.venv` linked to another checkout's was once committed): a fresh clone has no such
    target."""
    staged = subprocess.run(
        ["git", "ls-files", "-s", "-z"], cwd=ROOT, capture_output=True, check=True, timeout=60
    ).stdout.split(b"\0")
    links = [entry.split(b"\t", 1)[1].decode() for entry in staged if entry.startswith(b"120000")]
    assert not links, f"tracked symlinks: {links}"
