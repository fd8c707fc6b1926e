"""TLS against a server that accepts TCP only over TLS: sslmode=require, and verify-full with
the CA file in the workspace (relative or absolute path), plan as usual; without the CA, or
with the wrong one, the run exits 3 and the message says how to give refsync the CA."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from devtools import seed
from devtools.runner import run_entrypoint
from devtools.tlscerts import make_certs
from tests.fixtures.deployments import CA_IN_WORKSPACE, TlsServer, with_query
from tests.fixtures.faults import plan_inputs
from tests.fixtures.pg import DbPair, make_pair
from tests.fixtures.safety import both_checksums


@pytest.fixture
def tls_pair(tls_server: TlsServer) -> Iterator[DbPair]:
    """A fresh seeded pair on the TLS-only server."""
    with make_pair(tls_server.server, tls_server.template, "tls") as pair:
        seed.seed_demo(pair.admin("dev"), pair.admin("prod"))
        yield pair


def _with_ca(workspace: Path, ca: Path) -> Path:
    (workspace / CA_IN_WORKSPACE).parent.mkdir(parents=True, exist_ok=True)
    (workspace / CA_IN_WORKSPACE).write_bytes(ca.read_bytes())
    return workspace


def _plan(pair: DbPair, workspace: Path, options: str) -> tuple[int, str, str]:
    inputs = plan_inputs(
        pair,
        **{
            "dev-database-url": with_query(pair.dev_url, options),
            "prod-database-url": with_query(pair.prod_url, options),
        },
    )
    result = run_entrypoint(workspace, inputs)
    return result.returncode, result.stdout, result.stderr


@pytest.mark.parametrize(
    "options",
    [
        "sslmode=require",
        f"sslmode=verify-full&sslrootcert={CA_IN_WORKSPACE}",
        "sslmode=verify-full&sslrootcert={workspace}/" + CA_IN_WORKSPACE,
    ],
    ids=["require", "verify-full-relative-ca", "verify-full-absolute-ca"],
)
def test_tls_plans(tls_server: TlsServer, tls_pair: DbPair, tmp_path: Path, options: str) -> None:
    """Over TLS only, with sslmode=require or verify-full and the CA file from the
    workspace, the dry-run plans the demo changes."""
    workspace = _with_ca(tmp_path / "ws", tls_server.files.ca_cert)
    code, stdout, stderr = _plan(tls_pair, workspace, options.format(workspace=workspace))
    assert code == 0, stderr + stdout
    assert "has-changes" not in stderr


def test_verify_full_without_the_ca_names_the_fix(tls_pair: DbPair, tmp_path: Path) -> None:
    """verify-full with no CA file in the workspace exits 3, naming sslrootcert and the
    workspace as the fix, and connects to nothing."""
    before = both_checksums(tls_pair)
    code, stdout, stderr = _plan(
        tls_pair, tmp_path / "ws", f"sslmode=verify-full&sslrootcert={CA_IN_WORKSPACE}"
    )
    assert code == 3, stderr + stdout
    assert "cannot connect to the dev database" in stderr
    assert "sslrootcert=" in stderr
    assert "workspace" in stderr
    assert tls_pair.role_password not in stderr
    assert both_checksums(tls_pair) == before


def test_verify_full_with_another_ca_is_refused(tls_pair: DbPair, tmp_path: Path) -> None:
    """A CA file that did not sign the server's certificate exits 3 (certificate verify
    failed) with the same fix: the server is not trusted on a stranger's word."""
    stranger = make_certs(tmp_path / "stranger")
    workspace = _with_ca(tmp_path / "ws", stranger.ca_cert)
    code, stdout, stderr = _plan(
        tls_pair, workspace, f"sslmode=verify-full&sslrootcert={CA_IN_WORKSPACE}"
    )
    assert code == 3, stderr + stdout
    assert "certificate verify failed" in stderr
    assert "sslrootcert=" in stderr


def test_plain_tcp_is_refused_by_the_tls_only_server(tls_pair: DbPair, tmp_path: Path) -> None:
    """The TLS-only server refuses a connection without TLS (sslmode=disable): exit 3."""
    code, stdout, stderr = _plan(tls_pair, tmp_path / "ws", "sslmode=disable")
    assert code == 3, stderr + stdout
    assert "cannot connect to the dev database" in stderr
    assert "no pg_hba.conf entry" in stderr
    # PostgreSQL 13 says "SSL off", later versions "no encryption".
    assert "no encryption" in stderr or "SSL off" in stderr
