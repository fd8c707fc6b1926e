"""The code's shape (docs/architecture.md, "Changing the code"): every module of `refsync/`
is one concern a newcomer reads in one sitting, every function a step of a few dozen lines.
Complexity is ruff's (C901 at 12, PLR0911/0912/0915) with a reason per function that keeps a
`noqa`; length is checked here, with the reason for each exception written down below."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "refsync"
MAX_FUNCTION_LINES = 60
MAX_MODULE_LINES = 350

#: Functions allowed past MAX_FUNCTION_LINES, each with why (qualified as module.function).
LONG_FUNCTIONS: dict[str, str] = {
    "engine._run": "the run's stages in order, one call each, straight-line (one `if apply`); "
    "it exists to show that order on one screen, and half of it is the Outcome it returns",
}

#: Modules allowed past MAX_MODULE_LINES, each with why.
LONG_MODULES: dict[str, str] = {}


def _functions(path: Path) -> list[tuple[str, int]]:
    """(module.qualified.name, lines) of every function and method, nested ones included."""
    module = path.stem
    found: list[tuple[str, int]] = []

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                name = f"{prefix}.{child.name}"
                assert child.end_lineno is not None
                found.append((name, child.end_lineno - child.lineno + 1))
                visit(child, name)
            elif isinstance(child, ast.ClassDef):
                visit(child, f"{prefix}.{child.name}")

    visit(ast.parse(path.read_text()), module)
    return found


MODULES = sorted(PACKAGE.glob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_functions_are_short(path: Path) -> None:
    """No function over MAX_FUNCTION_LINES lines (docstring included) without a reason."""
    long = {
        name: lines
        for name, lines in _functions(path)
        if lines > MAX_FUNCTION_LINES and name not in LONG_FUNCTIONS
    }
    assert not long, f"split these into named steps, or say why in LONG_FUNCTIONS: {long}"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_modules_are_short(path: Path) -> None:
    """No module over MAX_MODULE_LINES lines without a reason."""
    lines = len(path.read_text().splitlines())
    assert lines <= MAX_MODULE_LINES or path.stem in LONG_MODULES, (
        f"{path.name} has {lines} lines: split it by concern, or say why in LONG_MODULES"
    )


def test_exceptions_are_still_needed() -> None:
    """An exception listed for a function or module that is now short (or gone) is stale."""
    lengths = dict(fn for path in MODULES for fn in _functions(path))
    for name in LONG_FUNCTIONS:
        assert lengths.get(name, 0) > MAX_FUNCTION_LINES, f"{name} needs no exception"
    for stem in LONG_MODULES:
        path = PACKAGE / f"{stem}.py"
        assert path.exists(), stem
        assert len(path.read_text().splitlines()) > MAX_MODULE_LINES, f"{stem} needs no exception"


NOQA = re.compile(r"#\s*noqa:\s*([A-Z0-9, ]+)(.*)$")
COMPLEXITY = {"C901", "PLR0911", "PLR0912", "PLR0915"}


def test_complexity_exceptions_say_why() -> None:
    """A `noqa` for a complexity rule carries its reason on the same line: `- why`."""
    bare = []
    for path in MODULES:
        for number, line in enumerate(path.read_text().splitlines(), 1):
            found = NOQA.search(line)
            codes = {c.strip() for c in found[1].split(",")} if found else set()
            if found and COMPLEXITY & codes and not found[2].strip(" -"):
                bare.append(f"{path.name}:{number}")
    assert not bare, f"complexity exceptions without a reason: {bare}"


def test_complexity_rules_are_on_project_wide() -> None:
    """pyproject.toml does not silence the complexity rules for the whole project."""
    text = (ROOT / "pyproject.toml").read_text()
    ignore = text[text.index("[tool.ruff.lint]") :].split("[tool.ruff.lint.per-file-ignores]")[0]
    ignored = set(re.findall(r'"([A-Z]+[0-9]+)"', ignore.split("ignore = [", 1)[1].split("]")[0]))
    assert not COMPLEXITY & ignored
    assert "max-complexity = 12" in text
    assert '"C90"' in text or '"C901"' in text
