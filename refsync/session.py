"""What every transaction runs under: the run's timeouts and the settings set after BEGIN.

`Timeouts` are the run's clocks, read from the environment `main` was given (the
``REFSYNC_*_MS`` settings). `TransactionSettings` is what each transaction sets with
`set_config(..., true)` right after `BEGIN` and reads back before its first data statement:
inside the transaction, because a pooler may drop startup options or hand the next
transaction another server connection. `refsync.db` runs the two statements and stops the
run when a setting is not in effect.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from psycopg import sql

from refsync.errors import UsageError

#: The largest value PostgreSQL takes for lock_timeout, statement_timeout and
#: idle_in_transaction_session_timeout (milliseconds in a C int); the progress interval
#: has the same bound, so all three read alike.
MAX_MS = 2_147_483_647


def _ms_from_env(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "")
    if not raw:
        return default
    # ASCII digits only: str.isdigit() also takes "²", which int() then refuses.
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 10 or not 0 < int(raw) <= MAX_MS:
        raise UsageError(
            f"environment `{name}` must be a positive number of milliseconds, at most "
            f"{MAX_MS} (the largest PostgreSQL takes)",
            fix=f"set {name} to a whole number of milliseconds, e.g. 5000, or leave it unset",
        )
    return int(raw)


@dataclass(frozen=True)
class Timeouts:
    """The session's clocks: how long to wait for a connection, a lock, a statement; and
    how often a long read logs its progress."""

    connect_s: int = 10
    lock_ms: int = 5_000
    statement_ms: int = 120_000
    progress_ms: int = 2_000

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Timeouts:
        """The REFSYNC_* settings of `env` (the environment `main` was given), validated:
        UsageError (exit 2) before any connection for a value the server would refuse."""
        return cls(
            lock_ms=_ms_from_env(env, "REFSYNC_LOCK_TIMEOUT_MS", cls.lock_ms),
            statement_ms=_ms_from_env(env, "REFSYNC_STATEMENT_TIMEOUT_MS", cls.statement_ms),
            progress_ms=_ms_from_env(env, "REFSYNC_PROGRESS_MS", cls.progress_ms),
        )


@dataclass(frozen=True)
class TransactionSettings:
    """What every transaction sets right after `BEGIN` and reads back before its first data
    statement. Set inside the transaction so that no pooler can drop it (startup options)
    or leak it to another client (a session `SET`)."""

    lock_ms: int
    statement_ms: int
    read_only: bool

    def wanted(self) -> dict[str, str]:
        """Setting -> the value set_config gives it, in `refsync.guard_nodes.LOCAL_SETTINGS`."""
        values = {
            "lock_timeout": str(self.lock_ms),
            "statement_timeout": str(self.statement_ms),
            # A refsync killed mid-transaction must not hold prod's row locks for long.
            "idle_in_transaction_session_timeout": str(self.statement_ms),
            # Row-level security would silently filter what refsync reads: bookings hidden
            # from the protection check, prod rows hidden from the diff (duplicates). With
            # row_security off, such a read is an error instead of a partial answer.
            "row_security": "off",
            # Values read as text must not depend on a server's or role's settings: intervals
            # in one style, floats with every digit (the default since PostgreSQL 12).
            "intervalstyle": "postgres",
            "extra_float_digits": "1",
            # Every relation refsync names is schema-qualified; with pg_catalog alone on the
            # path, no schema of the database's can shadow an operator, function or type
            # (an `=` that hides bookings from the protection check).
            "search_path": "pg_catalog",
        }
        if self.read_only:
            # BEGIN READ ONLY is the first layer; this one holds even if a driver or proxy
            # lost it. It can only ever turn read-only on.
            values["transaction_read_only"] = "on"
        return values

    def expected(self) -> dict[str, str]:
        """Setting -> what `current_setting` must show inside the transaction."""
        return {
            **self.wanted(),
            "transaction_read_only": "on" if self.read_only else "off",
            # Read, never set (only a superuser may): under `replica` neither ordinary user
            # triggers nor the foreign keys' own triggers fire, so what the plan lists and
            # what the database checks would not be what happens.
            "session_replication_role": "origin",
            # Dev and dry-run read one snapshot; apply's protection check, run after its row
            # locks, must see every booking committed before them (READ COMMITTED).
            "transaction_isolation": "repeatable read" if self.read_only else "read committed",
        }

    def set_statement(self) -> sql.Composed:
        return sql.SQL("SELECT {}").format(
            sql.SQL(", ").join(
                sql.SQL("pg_catalog.set_config({}, {}, true)").format(
                    sql.Literal(name), sql.Literal(value)
                )
                for name, value in self.wanted().items()
            )
        )

    def read_back_statement(self) -> sql.Composed:
        return sql.SQL("SELECT {}, pg_catalog.inet_server_port()").format(
            sql.SQL(", ").join(
                sql.SQL("pg_catalog.current_setting({})").format(sql.Literal(name))
                for name in self.expected()
            )
        )

    def mismatches(self, shown: Sequence[Any]) -> list[str]:
        """`name is 'x', expected 'y'` for every setting `shown` (read back) gets wrong."""
        wrong = []
        for (name, want), got in zip(self.expected().items(), shown, strict=True):
            if _setting_value(name, got) != _setting_value(name, want):
                wrong.append(f"{name} is {got!r}, expected {want!r}")
        return wrong


_DURATION = re.compile(r"(\d+)\s*(ms|s|min|h|d)?")
_MS_PER_UNIT = {"ms": 1, "s": 1000, "min": 60_000, "h": 3_600_000, "d": 86_400_000}


def _setting_value(name: str, text: object) -> object:
    """A setting's value as comparable: timeouts in milliseconds ('5s' == '5000')."""
    text = str(text).strip().lower()
    if name.endswith("_timeout") and (found := _DURATION.fullmatch(text)):
        return int(found.group(1)) * _MS_PER_UNIT[found.group(2) or "ms"]
    return text
