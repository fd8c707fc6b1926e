"""What a database failure means, as refsync's errors: each names the side and the fix.

`refsync.db` raises what these build: a connection that failed (`connect_error`, with the
TLS fix when the server's certificate could not be verified), a transaction whose settings
are not in effect (`settings_error`, naming the pooler that probably changed them), and a
statement that failed (`statement_errors`: a lock wait, a cancel, a missing privilege or
row-level security, any other server error). Messages name the database by libpq's fields
(`refsync.secrets.describe_url`), never by its URL, and scrub whatever the driver said.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

import psycopg

from refsync.errors import OperationalError, SafetyError
from refsync.secrets import describe_url, scrub

#: What libpq says when sslmode=verify-ca/verify-full cannot verify the server's certificate.
_UNVERIFIED = ("root certificate file", "certificate verify failed", "sslrootcert")


def connect_error(
    side: str, url: str, secrets: Sequence[str], exc: psycopg.Error
) -> OperationalError:
    """The connection to `side` failed: where it was going, what libpq said, the fix."""
    return OperationalError(
        f"cannot connect to the {side} database ({describe_url(url)}): "
        f"{scrub(str(exc).strip(), [url, *secrets])}",
        fix=_tls_fix(str(exc))
        or f"check the `{side}-database-url` secret, that the server is reachable "
        "from the runner, and that the role may log in",
    )


def _tls_fix(message: str) -> str | None:
    """How to give refsync the CA it needs, when that is why the connection failed."""
    if not any(marker in message for marker in _UNVERIFIED):
        return None
    return (
        "refsync could not verify the server's TLS certificate. Commit the certificate of the "
        "CA that signed it (PEM, your provider publishes it) to the repository and add "
        "sslrootcert=<its path in the workspace, e.g. certs/prod-ca.pem> to the URL: the "
        "action's container runs in the workspace that actions/checkout fills (mounted at "
        "the same path), so a relative path works. sslmode=require encrypts without "
        "verifying the server"
    )


def settings_error(
    side: str, wrong: Sequence[str], endpoint: tuple[str, str], server_port: object
) -> OperationalError:
    """Settings read back inside the transaction (`wrong`: `name is 'x', expected 'y'`) are
    not what refsync set or requires; `endpoint` is where refsync connected."""
    if any(w.startswith("session_replication_role ") for w in wrong):
        return OperationalError(
            f"{side}: {'; '.join(wrong)} inside refsync's transaction: under "
            "`replica` neither user triggers nor the foreign keys' own triggers fire, "
            "so the plan would not say what the database does; refsync stops before "
            "reading any data",
            fix="remove the setting from the role or database (ALTER ROLE <role> "
            "RESET session_replication_role, or ALTER DATABASE ... RESET ...)",
        )
    host, port = endpoint
    return OperationalError(
        f"{side}: a setting refsync relies on is not in effect inside its "
        f"transaction: {'; '.join(wrong)}. Something between refsync and the server "
        f"dropped or changed it, most likely {pooler_hint(host, port, server_port)}; "
        "refsync stops before reading any data",
        fix="connect directly, or through a pooler in transaction or session mode "
        "that keeps each transaction on one server connection (PgBouncer "
        "pool_mode = transaction or session, not statement)",
    )


def pooler_hint(host: str, port: str, server_port: object) -> str:
    """Who probably changed a setting between refsync and the server, from where refsync
    connected and the port the server says it listens on."""
    known = (
        ("pooler.supabase.com", "Supavisor (Supabase's pooler)"),
        ("-pooler.", "Neon's PgBouncer (a -pooler host)"),
        (".proxy-", "RDS Proxy"),
    )
    for needle, name in known:
        if needle in host:
            return f"{name} at {host}:{port}"
    by_port = {"6432": "PgBouncer", "6543": "Supavisor or PgBouncer"}
    if port in by_port:
        return f"probably {by_port[port]} (port {port})"
    if server_port is not None and str(server_port) != port:
        return (
            f"a pooler or proxy at {host}:{port} (PgBouncer, Supavisor, RDS Proxy...): the "
            f"server itself listens on port {server_port}"
        )
    return (
        f"whatever answers at {host}:{port}: no pooler is visible (same port as the "
        "server's), so a proxy that keeps the port, or the server's configuration"
    )


@contextmanager
def statement_errors(side: str, relation: str | None, cancel: Callable[[], None]) -> Iterator[None]:
    """What a failed statement means, as refsync's errors; `cancel` on interruption.

    `relation` names the table the statement reads or writes, for a lock's message."""
    try:
        yield
    except psycopg.errors.LockNotAvailable as exc:
        raise _lock_error(side, relation, exc) from None
    except psycopg.errors.QueryCanceled as exc:
        raise OperationalError(
            f"{side}: statement cancelled ({exc.diag.message_primary})",
            fix="raise REFSYNC_STATEMENT_TIMEOUT_MS if the catalog is very large",
        ) from None
    except psycopg.errors.InsufficientPrivilege as exc:
        raise _privilege_error(side, exc) from None
    except psycopg.Error as exc:
        raise _database_error(side, exc) from None
    except BaseException:
        # Interrupted mid-statement (SIGTERM, Ctrl-C): without a cancel the server keeps
        # running the statement, holding its locks, until its lock wait or timeout ends.
        cancel()
        raise


def _lock_error(
    side: str, relation: str | None, exc: psycopg.errors.LockNotAvailable
) -> OperationalError:
    # The server's context names the relation of a row lock ("while locking tuple
    # (0,1) in relation ..."); the caller's name covers table locks too.
    where = f" on `{relation}`" if relation else ""
    context = f"; {exc.diag.context.strip()}" if exc.diag.context else ""
    return OperationalError(
        f"{side}: a lock{where} could not be taken within lock_timeout "
        f"({exc.diag.message_primary}{context}); another session holds rows refsync "
        "needs",
        fix="retry when the other transaction has finished; nothing was written",
    )


def _privilege_error(side: str, exc: psycopg.errors.InsufficientPrivilege) -> SafetyError:
    message = exc.diag.message_primary or ""
    if "row-level security" in message:
        return SafetyError(
            f"{side}: {message}; refsync refuses to decide on rows it cannot all "
            "see (a hidden booking would not protect its service)",
            fix="exempt the refsync role from row-level security: ALTER ROLE <role> "
            "BYPASSRLS (its table grants still limit what it can touch)",
        )
    return SafetyError(
        f"{side}: the database role lacks a privilege refsync needs: {message}",
        fix="grant what a dry-run lists under Missing privileges (docs/setup.md)",
    )


def _database_error(side: str, exc: psycopg.Error) -> OperationalError:
    message = (exc.diag.message_primary or str(exc)).strip()
    fix = "the transaction was rolled back; fix the cause and re-run"
    if "statement pooling mode" in message:
        fix = (
            "refsync needs each transaction on one server connection: use the "
            "pooler's transaction or session mode (PgBouncer pool_mode = transaction), "
            "or connect directly"
        )
    return OperationalError(f"{side} database error: {type(exc).__name__}: {message}", fix=fix)
