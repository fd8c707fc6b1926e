"""devtools.ci_seed prepares the databases of the project's own e2e workflow jobs."""

from __future__ import annotations

import subprocess
import sys
import uuid

from devtools.pgserver import PgServer
from devtools.runner import ROOT


def test_ci_seed_creates_schema_fingerprints_and_data(pg_server: PgServer) -> None:
    """Two empty databases come out with the schema, their fingerprints and demo rows."""
    names = [f"ciseed_{side}_{uuid.uuid4().hex[:8]}" for side in ("dev", "prod")]
    for name in names:
        pg_server.create_database(name)
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "devtools.ci_seed", *(pg_server.url(n) for n in names)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )
        assert proc.returncode == 0, proc.stderr
        for name, env in zip(names, ("dev", "prod"), strict=True):
            with pg_server.admin(name) as conn:
                row = conn.execute(
                    "SELECT environment FROM database_metadata WHERE id = 'singleton'"
                ).fetchone()
                assert row == (env,)
                count = conn.execute("SELECT count(*) FROM services").fetchone()
                assert count is not None
                assert count[0] > 20
    finally:
        for name in names:
            pg_server.drop_database(name)
