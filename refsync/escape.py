"""Escaping for the two places people read data: the job summary and the job log.

Every string refsync shows that came from a database or the config (names, keys, values,
fingerprints, column and table names, reasons, identities, approver logins) passes through
this module, so that no value can hide, forge or reorder any part of the plan.

**Job summary** (GitHub-flavoured Markdown, with HTML allowed inside it):

- `md(text)`: inline text. Safe in a table cell, a list item, a heading, or at the start of
  a line: ``&<>"'`` become HTML entities (no tag, comment or entity can open), the ASCII
  punctuation Markdown and GFM give meaning to inline (``\\ ` * _ ~ [ ] # | $``) is
  backslash-escaped, as is what would start a block at the start of a line (``- + =``,
  ``1.``), whitespace at either end becomes character references (kept, not trimmed), and
  control, format and separator characters (newlines, RTL overrides, zero-width
  characters) are shown as ``\\n``, ``\\u202e``… instead of acting.
  Total: any `str` gives one line of inline Markdown.
- `code(text)`: `md(text)` inside ``<code>``. Backslash escapes do not work inside a
  backtick code span, and a backtick in the data would end the span, so data never goes
  into one.
- `pre(text)`: a multi-line block (an error message) as an HTML ``<pre>`` block whose text
  is entity-escaped: Markdown is not parsed inside it, and no ``</pre>`` can end it early.

**Job log** (workflow commands). The runner reads each line of stdout *and* stderr and
runs it as a command when, after leading whitespace, it starts with ``::name`` — or when it
holds ``##[name`` anywhere, the older syntax it still accepts (command names are
case-insensitive). A value such as ``"x\\n::warning::forged"`` would otherwise start a
command line. The design: every line refsync writes goes through a `LineGate`, which makes
each line inert (`inert`): control and format characters (so no CR or LF of data) become
visible, a line that would start with ``::`` gets a backslash before it, and ``##[``
becomes ``##\\[``. Only `refsync.runner.Workflow` writes command lines past the gate, and
it escapes their data (`command_data`, `command_property`) so a value stays on its line.

Why not ``::stop-commands::<token>`` around untrusted output: its on/off state is shared by
stdout and stderr, which the runner reads on separate threads, so a window opened on one
stream is not ordered against lines of the other (a stderr line can arrive after stdout's
window closed), and every annotation refsync emits would have to close and reopen the
window. A rule applied to each line on its own has no state to race, and because the gate
wraps the streams themselves, no call site (log line, rich table, multi-line error with its
fix) can forget it.
"""

from __future__ import annotations

import io
import re
import unicodedata
from typing import TextIO

#: Categories of characters that act instead of showing: controls (Cc), format characters
#: such as RTL overrides and zero-width joiners (Cf), line and paragraph separators (Zl,
#: Zp), lone surrogates (Cs, which UTF-8 cannot even write) and unassigned code points (Cn).
_ACTING = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs", "Cn"})
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _show(char: str) -> str:
    named = _NAMED.get(char)
    if named is not None:
        return named
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def visible(text: str, keep: str = "") -> str:
    """`text` with every control, format or separator character (except those in `keep`)
    written as an escape (``\\n``, ``\\x1b``, ``\\u202e``), so it shows instead of acting."""
    if text.isprintable():  # the common case: nothing to do
        return text
    return "".join(
        _show(c) if c not in keep and unicodedata.category(c) in _ACTING else c for c in text
    )


# --- Markdown ------------------------------------------------------------------------------

_HTML = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}
#: Inline meaning anywhere: escape, code span, emphasis, strikethrough, link/image/footnote
#: brackets, heading (a trailing `#` run is stripped from a heading), table cell, math.
_INLINE = "\\`*_~[]#|$"
_MD_TABLE = str.maketrans({**_HTML, **{c: "\\" + c for c in _INLINE}})
#: An ordered list item at the beginning of a line (`1.` / `1)`).
_ORDERED = re.compile(r"[0-9]{1,9}(?=[.)])")


def md(text: str) -> str:
    """`text` as one line of inline GFM that renders as exactly `text` (control characters
    shown as escapes). Safe anywhere inline, including a table cell and the start of a line."""
    out = visible(text).translate(_MD_TABLE)
    # What starts a block at the beginning of a line: a list item or setext underline
    # (`-`, `+`, `=`), an ordered list item.
    if out[:1] in ("-", "+", "="):
        out = "\\" + out
    ordered = _ORDERED.match(out)
    if ordered is not None:
        out = out[: ordered.end()] + "\\" + out[ordered.end() :]
    # Whitespace at either end would be trimmed (or, four spaces in, start a code block):
    # as character references it is kept and shown.
    body = out.strip()
    if len(body) != len(out):
        start = out.index(body) if body else len(out)
        lead, trail = out[:start], out[start + len(body) :]
        out = "".join(f"&#{ord(c)};" for c in lead) + body + "".join(f"&#{ord(c)};" for c in trail)
    return out


def code(text: str) -> str:
    """`text` in a monospace font: ``<code>`` around `md(text)` (never a backtick span)."""
    return f"<code>{md(text)}</code>"


def pre(text: str) -> str:
    """A multi-line block shown as written: an HTML ``<pre>`` block with entity-escaped text.

    Markdown is not parsed inside an HTML block, so only HTML needs escaping; the block ends
    at the first ``</pre>``, which escaped text cannot contain. Surrounded by blank lines."""
    body = "".join(_HTML.get(c, c) for c in visible(text, keep="\n"))
    return f"\n<pre>\n{body}\n</pre>\n"


# --- workflow commands ---------------------------------------------------------------------


def command_data(value: str) -> str:
    """Escape a workflow command's message, as the runner unescapes it."""
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def command_property(value: str) -> str:
    """Escape a workflow command's property value (`title=...`)."""
    return command_data(value).replace(":", "%3A").replace(",", "%2C")


def inert(line: str) -> str:
    """One line of log text that the runner cannot take for a workflow command.

    Control characters become visible (no CR, LF or other separator of data is left to
    split the line). Then only the line's printable ASCII characters are looked at: the
    runner matches ``::`` and ``##[`` with .NET's culture-sensitive comparison, which may
    skip characters such as variation selectors, so a line whose first two of them are
    ``::`` gets a backslash before the first, and a ``[`` that follows ``##`` gets one too.
    """
    line = visible(line)
    if ":" not in line and "[" not in line:
        return line
    shown = [i for i, c in enumerate(line) if "!" <= c <= "~"]
    cuts = set()
    if len(shown) >= 2 and line[shown[0]] == line[shown[1]] == ":":
        cuts.add(shown[0])
    for a, b, c in zip(shown, shown[1:], shown[2:], strict=False):
        if line[a] == line[b] == "#" and line[c] == "[":
            cuts.add(c)
    return "".join("\\" + ch if i in cuts else ch for i, ch in enumerate(line))


class LineGate(io.TextIOBase, TextIO):
    """A text stream that writes each complete line to `raw` made `inert`.

    A partial line is held until its newline (or `end_line`), so a line is always judged
    whole, as the runner reads it. `command_line` is the one way past the gate, for the
    command lines `refsync.runner.Workflow` builds from escaped data."""

    def __init__(self, raw: TextIO) -> None:
        super().__init__()
        self._raw = raw
        self._pending = ""

    def writable(self) -> bool:
        return True

    def write(self, s: str) -> int:
        *lines, self._pending = (self._pending + s).split("\n")
        for line in lines:
            self._raw.write(inert(line) + "\n")
        return len(s)

    def flush(self) -> None:
        self._raw.flush()

    def end_line(self) -> None:
        """Write a held partial line now, ending it."""
        if self._pending:
            self._raw.write(inert(self._pending) + "\n")
            self._pending = ""
        self._raw.flush()

    def command_line(self, line: str) -> None:
        """Write one workflow command line as it is; its data must be escaped already."""
        if "\n" in line or "\r" in line:
            raise ValueError("a workflow command is one line; escape its data first")
        self.end_line()
        self._raw.write(line + "\n")
        self._raw.flush()
