"""The escaping module (refsync.escape): `md` renders as exactly its text under a real GFM
renderer for any string, in a table cell or at the start of a line; `pre` holds any text in
one block; and no line that passes the log gate is a workflow command for the runner."""

from __future__ import annotations

import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from refsync.escape import LineGate, code, inert, md, pre, visible
from refsync.runner import Workflow
from tests.fixtures.gfm import render, shown
from tests.fixtures.workflow import command_name, commands

#: Characters Markdown, GFM, HTML and the runner give meaning to, mixed into random text.
MEANINGFUL = [
    *"\\`*_~[]()!#|$<>&\"'-+=.:;@%{}^ \t\n\r\u00a0",
    "::",
    "##[",
    "<!--",
    "```",
    "\u202e",
    "\u200b",
    "\ufe0f",
    "\x1b",
    "\u2028",
    "1.",
]
TEXT = st.lists(st.one_of(st.sampled_from(MEANINGFUL), st.characters()), max_size=40).map("".join)
PROPERTY = settings(max_examples=400, derandomize=True, deadline=None)

HOSTILE = [
    "<!-- hides the rest",
    "</details>",
    "<script>alert(1)</script>",
    "a | b",
    "`code` ``span``",
    "\n## forged",
    "[link](javascript:alert(1))",
    "::warning::x",
    "%0A",
    "\u202eevil\u200b",
    "lone \ud800 surrogate",
    "- list",
    "2) item",
    "===",
    "    indented",
    "trailing \\",
    "&amp; &#60;",
    "$x$ ~~s~~ *e* _u_",
    "x" * 10_000,
]


def _expected(text: str) -> str:
    """What a reviewer must see: the text, control and format characters as escapes."""
    return shown(text)


@pytest.mark.parametrize("text", HOSTILE)
def test_md_in_a_table_cell_renders_as_its_text(text: str) -> None:
    """In a table cell, `md` gives one cell that shows exactly the text, and nothing else."""
    out = render(f"| h | n |\n|---|---|\n| {md(text)} | 1 |\n")
    assert out.tables == [[["h", "n"], [_expected(text), "1"]]]
    assert (out.html_tags, out.html_blocks, out.texts) == ([], [], [])
    assert set(out.markup) <= {"table", "thead", "tbody", "tr", "th", "td"}


@pytest.mark.parametrize("text", HOSTILE)
def test_md_at_the_start_of_a_line_is_one_paragraph(text: str) -> None:
    """At the start of a line, `md` gives one paragraph of exactly the text: no heading,
    list, quote, code block or setext underline."""
    out = render(f"{md(text)}\n")
    assert out.texts == [_expected(text)]
    assert (out.headings, out.tables, out.html_tags, out.html_blocks) == ([], [], [], [])
    assert set(out.markup) <= {"p"}


@PROPERTY
@given(TEXT)
def test_md_is_exact_for_any_text(text: str) -> None:
    """For any string, `md` renders as exactly that string (escaped controls), in a cell
    and as a paragraph, and produces no element of its own."""
    cell = render(f"| h |\n|---|\n| {md(text)} |\n")
    assert cell.tables == [[["h"], [_expected(text)]]]
    assert (cell.html_tags, cell.html_blocks) == ([], [])
    paragraph = render(f"{md(text)}\n")
    assert paragraph.texts == ([_expected(text)] if _expected(text) else [])
    assert set(paragraph.markup) <= {"p"}


def test_md_is_one_line_and_escapes_html() -> None:
    """`md` never holds a line break, and the HTML-special characters become entities."""
    assert md("a\nb\r\nc\u2028d") == "a\\\\nb\\\\r\\\\nc\\\\u2028d"
    assert md("<&>\"'") == "&lt;&amp;&gt;&quot;&#39;"


def test_code_is_never_a_backtick_span() -> None:
    """`code` wraps `md` in <code>: a backtick in data cannot end it, markup stays text."""
    out = render(f"x {code('a ` b *c* </code><b>')} y\n")
    assert out.texts == ["x a ` b *c* </code><b> y"]
    assert out.html_tags == ["<code>", "</code>"]


@PROPERTY
@given(TEXT)
def test_pre_holds_any_text_in_one_block(text: str) -> None:
    """`pre` is one HTML block, whatever the text (a `</pre>` or fence included), and its
    lines are the text's lines."""
    out = render(f"## title\n{pre(text + '</pre>```')}\nafter\n")
    assert out.headings == [("h2", "title")]
    [block] = out.html_blocks
    assert block.startswith("<pre>\n")
    assert block.count("</pre>") == 1
    assert out.texts == ["after"]


@pytest.mark.parametrize(
    "line",
    [
        "::warning::x",
        "   ::error title=t::x",
        "\t::notice::x",
        "::ADD-MASK::x",
        "\ufe0f::warning::x",
        "\x1b::warning::x",
        "text ##[error]x",
        "#\u200b#[warning]x",
        "│ ::set-output name=a::b",
        "x\n::warning::y",
        "x\r::warning::y",
    ],
)
def test_inert_lines_are_no_commands(line: str) -> None:
    """A line that the runner would run (at any position, in either syntax, behind
    whitespace or characters its comparison may skip) is made inert."""
    assert commands(line), "the case itself must be a command"
    assert command_name(inert(line)) is None
    assert "\n" not in inert(line)
    assert "\r" not in inert(line)


def test_inert_leaves_ordinary_lines_alone() -> None:
    """A line that is no command is written as it is (control characters aside)."""
    for line in ("read dev services: 12 rows", "a: b :: c", "[x] #1", "%0A::warning::y"):
        assert inert(line) == line


@PROPERTY
@given(st.lists(TEXT, max_size=5))
def test_nothing_through_the_gate_is_a_command(chunks: list[str]) -> None:
    """Whatever is written through a LineGate, in whatever pieces, no line it produces is a
    workflow command; a command line written past it stays whole and first on its line."""
    raw = io.StringIO()
    gate = LineGate(raw)
    for chunk in chunks:
        gate.write(chunk)
    gate.command_line("::notice::own")
    gate.write("::warning::after\n")
    gate.end_line()
    assert [c.line for c in commands(raw.getvalue())] == ["::notice::own"]


def test_partial_line_is_judged_whole() -> None:
    """A line written in pieces is judged as the runner reads it: whole."""
    raw = io.StringIO()
    gate = LineGate(raw)
    gate.write("  ")
    gate.write("::warn")
    gate.flush()
    gate.write("ing::x\nnext")
    gate.end_line()
    assert raw.getvalue() == "  \\::warning::x\nnext\n"


def test_annotations_show_controls_and_keep_their_line() -> None:
    """An annotation's title and message show control and format characters as escapes;
    a newline of the message is %0A; the line is one command."""
    out = io.StringIO()
    Workflow(out).warning("a\x1b[2Kb\n::warning::c", title="t\u202e,:")
    assert out.getvalue() == "::warning title=t\\u202e%2C%3A::a\\x1b[2Kb%0A::warning::c\n"
    assert len(commands(out.getvalue())) == 1


def test_visible_is_identity_for_printable_text() -> None:
    """Printable text, any script, is unchanged; an escape is a Python-style escape."""
    assert visible("Café & Spa → 東京 🙂") == "Café & Spa → 東京 🙂"
    assert visible("\x00\x7f\x85\u200d\U000e0001") == "\\x00\\x7f\\x85\\u200d\\U000e0001"
    assert visible("a\nb", keep="\n") == "a\nb"
