"""The console tables of the log: within the runner's width, data shown as it is."""

from __future__ import annotations

import io

from refsync.report import CONSOLE_WIDTH, console_report
from tests.fixtures.outcomes import synthetic_outcome


def _render(name: str) -> str:
    out = io.StringIO()
    console_report(synthetic_outcome(3, name=name), out)
    return out.getvalue()


def test_markup_in_data_is_shown_verbatim() -> None:
    """A value that looks like console markup or an emoji code is printed as written."""
    text = _render("[red]Spa[/red] :smile:")
    assert "[red]Spa[/red] :smile:" in text


def test_tables_fit_the_width() -> None:
    """No line is wider than the console, even for a 400-character name."""
    text = _render("x" * 400)
    assert max(map(len, text.splitlines())) <= CONSOLE_WIDTH
    assert "refsync dry-run" in text
    assert "in use by bookings.serviceId" in text
