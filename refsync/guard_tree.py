"""What every rule of the statement guard shares: the refusal it raises, the walk over
pglast's tree, and the reading of dotted names. Pure: no database, no policy."""

from __future__ import annotations

from collections.abc import Iterator
from typing import NoReturn

from pglast import ast


class RefusedError(Exception):
    """A rule's reason for refusing, carried up to `refsync.guard.check`, which adds the
    statement excerpt."""


def refuse(reason: str) -> NoReturn:
    raise RefusedError(reason)


def walk(node: object) -> Iterator[ast.Node]:
    """Yield every AST node under `node`, depth first, except FOR UPDATE OF alias lists."""
    if isinstance(node, tuple | list):
        for item in node:
            yield from walk(item)
    elif isinstance(node, ast.Node):
        yield node
        for attr in getattr(type(node), "__slots__", ()):
            if not (isinstance(node, ast.LockingClause) and attr == "lockedRels"):
                yield from walk(getattr(node, attr))


def name_parts(strings: tuple[ast.Node, ...] | None) -> tuple[str, ...]:
    """Dotted-name parts; `*` (A_Star) and anything unexpected both read as `*`."""
    return tuple((s.sval or "") if isinstance(s, ast.String) else "*" for s in strings or ())


def qualified(names: tuple[str | None, ...]) -> str:
    return ".".join(name for name in names if name)
