"""The exception tree. Each class maps to one exit code of SPEC section 4.2.

Messages name the input, table or column at fault and say how to fix it. They never
contain a password or a database URL: code that names a database in a message builds the
name with `refsync.secrets.describe_url` (libpq's own fields), never from the URL text.
"""

from __future__ import annotations


class RefsyncError(Exception):
    """Base of every error refsync raises on purpose."""

    exit_code: int = 3
    #: A short title for annotations and the job summary.
    title: str = "refsync failed"

    def __init__(self, message: str, *, fix: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fix = fix

    def __str__(self) -> str:
        return self.message if not self.fix else f"{self.message}\nHow to fix: {self.fix}"


class UsageError(RefsyncError):
    """Invalid inputs or config: nothing was connected (exit 2)."""

    exit_code = 2
    title = "refsync: invalid input"


class SafetyError(RefsyncError):
    """Refused by a safety rule: nothing was written (exit 1)."""

    exit_code = 1
    title = "refsync refused"


class GuardError(SafetyError):
    """The statement guard refused a statement before it reached the server."""

    title = "refsync statement guard"

    def __init__(self, message: str, *, fix: str | None = None, reason: str = "") -> None:
        super().__init__(message, fix=fix)
        #: Why, without the statement that the message quotes (tests compare it exactly).
        self.reason = reason


class ApprovalError(SafetyError):
    """The GitHub approval could not be verified; fails closed."""

    title = "refsync: approval not verified"


class OperationalError(RefsyncError):
    """Connect, timeout or database failure: the transaction was rolled back (exit 3)."""

    exit_code = 3
    title = "refsync: operational failure"
