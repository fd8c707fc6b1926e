"""The plan file, `refsync-plan.json`: everything the digest covers, in the very text the
digest hashed, plus skips and identities, for a reviewer to read and a tool to diff.

Nothing here reads a URL or a password: only identities (host, database, role) and the plan.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

from refsync import __version__
from refsync.digest import OpText, op_chunks, to_json
from refsync.engine import Outcome
from refsync.model import Skip, TablePlan

PLAN_SCHEMA_VERSION = 1


def plan_document(outcome: Outcome) -> dict[str, Any]:
    """The JSON plan file: everything the digest covers, plus skips and identities (each
    `Skip` as `_skip_document` writes it)."""
    # Creates and updates are the digest's own operations (in the same order), written in
    # the very text the digest hashed rather than converted to JSON a second time. Each line
    # also names its table and op.
    digest_input = _digest_input(outcome)
    operations = iter(digest_input["operations"])
    tables = [_table_document(table, operations) for table in outcome.plan.tables]
    return {
        "schema_version": PLAN_SCHEMA_VERSION,
        "tool": f"refsync {__version__}",
        "mode": outcome.mode,
        "digest": outcome.digest,
        "applied": outcome.written is not None,
        "dev": _identity(outcome, "dev"),
        "prod": _identity(outcome, "prod"),
        "totals": outcome.plan.totals,
        "writes": {"tables": list(outcome.writable), "triggers": list(outcome.triggers)},
        "missing_privileges": _missing_document(outcome),
        "tables": tables,
        "digest_input": digest_input,
    }


def _table_document(table: TablePlan, operations: Iterator[OpText]) -> dict[str, Any]:
    """One table's counts, its creates and updates taken in turn from the digest's
    `operations`, and its skips."""
    return {
        "table": table.name,
        "counts": table.counts,
        "creates": _Encoded(next(operations) for _ in table.creates),
        "updates": _Encoded(next(operations) for _ in table.updates),
        # Each made as it is written: a skip's values, old and new, may be long ones that
        # were kept on disk, read back one skip at a time.
        "skips": list(table.skips),
    }


def _skip_document(skip: Skip) -> dict[str, Any]:
    return {
        "key": to_json(skip.key),
        "kind": skip.kind,
        "reason": skip.reason,
        "changes": {
            k: {"old": to_json(o), "new": to_json(n)} for k, (o, n) in skip.changes.items()
        },
    }


def _missing_document(outcome: Outcome) -> dict[str, Any] | None:
    if not outcome.missing:
        return None
    return {
        "role": outcome.missing.role,
        "privileges": list(outcome.missing.lines),
        "grant_script": list(outcome.missing.script),
    }


class _Encoded(list[OpText]):
    """Records that are JSON text already, each written as it is (the strings themselves, not
    copies: with long values, the operations' text is the largest thing a plan holds), an
    operation holding spilled values read back in pieces (`digest.Pieces`)."""

    __slots__ = ()


def _digest_input(outcome: Outcome) -> dict[str, Any]:
    """What the digest covers, its operations in the very text the digest hashed."""
    return {**outcome.canonical, "operations": _Encoded(outcome.canonical_operations)}


def _identity(outcome: Outcome, side: str) -> dict[str, Any]:
    ident = outcome.dev if side == "dev" else outcome.prod
    return {
        "host": ident.host,
        "port": ident.port,
        "database": ident.database,
        "user": ident.user,
        "system_identifier": ident.system_identifier,
        "fingerprint": outcome.dev_fingerprint if side == "dev" else outcome.prod_fingerprint,
    }


#: Lists of operations, written one operation per line: a 100k-row plan stays greppable and
#: diffable, and each line comes from json's C encoder (its indent= path is pure Python and
#: took 0.3 s of a 100k-service plan).
_RECORD_LISTS = frozenset({"creates", "updates", "skips", "operations"})
#: json.dumps(v, ensure_ascii=False) without building an encoder for each of 100k records.
_RECORD = json.JSONEncoder(ensure_ascii=False)
#: Operations' texts joined per write: with 4 KB values, a few MB at a time.
_BATCH = 512


def _chunks(value: Any, indent: str = "", records: bool = False) -> Iterator[str]:
    """Indented JSON, except that each item of a list of operations is one line; in pieces,
    written as they come, so a plan with large values is never held as one string too."""
    if isinstance(value, dict) and value:
        inner = indent + " "
        yield "{\n"
        for i, (k, v) in enumerate(value.items()):
            separator = ",\n" if i else ""
            yield f"{separator}{inner}{json.dumps(k, ensure_ascii=False)}: "
            yield from _chunks(v, inner, k in _RECORD_LISTS)
        yield "\n" + indent + "}"
    elif isinstance(value, list) and value:
        inner = indent + " "
        yield "[\n"
        if records and type(value) is _Encoded:
            # Texts made already: joined a batch at a time, a few hundred writes for 100k
            # operations instead of two each, and never one string of them all.
            between = ",\n" + inner
            for start in range(0, len(value), _BATCH):
                yield between if start else inner
                batch = value[start : start + _BATCH]
                try:
                    yield between.join(cast(list[str], batch))  # most batches: all text
                except TypeError:  # `Pieces` among them: each read back in pieces
                    for i, op in enumerate(batch):
                        yield between if i else ""
                        yield from op_chunks(op)
        else:
            for i, v in enumerate(value):
                yield ",\n" + inner if i else inner
                if records:
                    yield _RECORD.encode(_skip_document(v) if isinstance(v, Skip) else v)
                else:
                    yield from _chunks(v, inner)
        yield "\n" + indent + "]"
    else:
        yield json.dumps(value, ensure_ascii=False)


def write_plan_file(path: Path, outcome: Outcome) -> None:
    """Written in pieces as they are made; an error part-way removes the file, so neither
    half a plan nor a previous run's plan is left under its name."""
    try:
        with open(path, "w", encoding="utf-8") as fh:
            fh.writelines(_chunks(plan_document(outcome)))
            fh.write("\n")
    except BaseException:
        path.unlink(missing_ok=True)
        raise
