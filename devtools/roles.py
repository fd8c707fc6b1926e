"""Least-privilege database roles for refsync, from ``devtools/sql/least_privilege.sql``."""

from __future__ import annotations

import contextlib
import re
import secrets
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

SQL_DIR = Path(__file__).resolve().parent / "sql"
DEV_ROLE = "refsync_dev_reader"
PROD_ROLE = "refsync_prod_writer"


def _sections() -> dict[str, str]:
    text = (SQL_DIR / "least_privilege.sql").read_text()
    parts = re.split(r"^-- section: (\w+)\s*$", text, flags=re.MULTILINE)
    return {name: body.strip() for name, body in zip(parts[1::2], parts[2::2], strict=True)}


def _run_section(
    conn: psycopg.Connection[Any],
    section: str,
    *,
    dev_role: str = DEV_ROLE,
    prod_role: str = PROD_ROLE,
    password: str = "",
    database: str = "",
) -> None:
    # The file is part of this repository, not input, so it is composed as trusted SQL;
    # every name and value is still filled in as an Identifier or Literal.
    template = sql.SQL(_sections()[section])
    conn.execute(
        template.format(
            dev_role=sql.Identifier(dev_role),
            prod_role=sql.Identifier(prod_role),
            dev_role_name=sql.Literal(dev_role),
            prod_role_name=sql.Literal(prod_role),
            password=sql.Literal(password),
            database=sql.Identifier(database),
        )
    )


def create_roles(
    conn: psycopg.Connection[Any],
    password: str,
    dev_role: str = DEV_ROLE,
    prod_role: str = PROD_ROLE,
) -> None:
    """Create (or reset the password of) the two login roles; they are cluster-wide."""
    _run_section(conn, "roles", dev_role=dev_role, prod_role=prod_role, password=password)


def unique_names(purpose: str) -> tuple[str, str]:
    """A dev and a prod role name of their own for one test session, benchmark or demo.

    Roles are cluster-wide: on an external or shared server, two harnesses that both reset
    ``DEV_ROLE``'s password would lock each other out mid-run.
    """
    tag = f"{purpose}_{secrets.token_hex(4)}"
    return f"{DEV_ROLE}_{tag}", f"{PROD_ROLE}_{tag}"


def drop_roles(conn: psycopg.Connection[Any], *names: str) -> None:
    """Drop roles this harness made (its databases are gone, so nothing depends on them).

    A role some leftover object still depends on stays; dropping it is housekeeping only.
    """
    for name in names:
        with contextlib.suppress(psycopg.errors.DependentObjectsStillExist):
            conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(name)))


def grant_dev(conn: psycopg.Connection[Any], database: str, dev_role: str = DEV_ROLE) -> None:
    """Give ``dev_role`` read access to the reference and fingerprint tables of ``database``."""
    _run_section(conn, "dev", dev_role=dev_role, database=database)


def grant_prod(conn: psycopg.Connection[Any], database: str, prod_role: str = PROD_ROLE) -> None:
    """Give ``prod_role`` exactly what an apply needs in ``database``; ``conn`` must be to it."""
    _run_section(conn, "prod", prod_role=prod_role, database=database)


def apply_least_privilege(
    conn: psycopg.Connection[Any],
    dev_role: str,
    prod_role: str,
    password: str,
    side: str,
) -> None:
    """Create both roles and grant ``side`` ("dev" or "prod") on ``conn``'s database."""
    create_roles(conn, password, dev_role, prod_role)
    database = conn.info.dbname
    if side == "dev":
        grant_dev(conn, database, dev_role)
    elif side == "prod":
        grant_prod(conn, database, prod_role)
    else:
        raise ValueError(f"side must be 'dev' or 'prod', not {side!r}")


def grant_statements(side: str) -> str:
    """The raw SQL of one section, for docs/setup.md's copy-paste role setup."""
    return _sections()[side]
