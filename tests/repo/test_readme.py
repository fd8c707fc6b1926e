"""The README's Quick start: exactly two commands, one that runs the demo end to end and one
that runs the whole test suite, and the second is the command CI runs."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _quick_start_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    section = text.split("\n## Quick start\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"^```[a-z]*\n(.*?)^```", section, re.MULTILINE | re.DOTALL)
    assert len(blocks) == 1, "Quick start holds one code block"
    lines = [line.split("#", 1)[0].strip() for line in blocks[0].splitlines()]
    return [line for line in lines if line]


def test_quick_start_has_the_demo_and_the_suite_only() -> None:
    assert _quick_start_commands() == ["python3 tasks.py demo", "python3 tasks.py test"]


def test_ci_runs_the_readme_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text()
    assert re.search(r"^python3 tasks\.py test$", ci, re.MULTILINE), ".ci/run must call it"
