"""The demo: throwaway dev and prod databases, a dry-run, an approved apply, and a second
plan that finds nothing left to do, printed as a user sees them in the Actions log.

    python3 tasks.py demo

It starts an embedded PostgreSQL server (no Docker, no system Postgres), seeds a realistic
dev catalogue and an older prod one with bookings and provider links, and runs the real
entrypoint with the environment a GitHub runner gives the action's container. The apply is
approved by a local stand-in for GitHub's API on 127.0.0.1.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from devtools import roles, seed
from devtools.fake_github import FakeGitHub
from devtools.pgserver import PgServer
from devtools.runner import RunResult, run_entrypoint

PASSWORD = "demo-password-1234"


def _show(title: str, result: RunResult) -> None:
    print(f"\n{'=' * 100}\n{title}  (exit code {result.returncode})\n{'=' * 100}")
    print(result.stdout.rstrip())
    if result.stderr.strip():
        print(result.stderr.rstrip())
    print(f"\n--- job summary ($GITHUB_STEP_SUMMARY, {len(result.summary)} bytes) ---")
    print(result.summary.rstrip())
    print("\n--- step outputs ($GITHUB_OUTPUT) ---")
    for key, value in result.outputs.items():
        print(f"{key}={value}")


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="refsync-demo-") as tmp:
        server = PgServer.start()
        try:
            for name in ("shop_dev", "shop_prod"):
                server.create_database(name)
                with server.admin(name) as conn:
                    conn.execute((roles.SQL_DIR / "marketplace.sql").read_text().encode())
            with server.admin("shop_dev") as dev, server.admin("shop_prod") as prod:
                roles.apply_least_privilege(dev, roles.DEV_ROLE, roles.PROD_ROLE, PASSWORD, "dev")
                roles.apply_least_privilege(prod, roles.DEV_ROLE, roles.PROD_ROLE, PASSWORD, "prod")
                seed.set_fingerprint(dev, "dev", "demo-dev-2f6c9a1e")
                seed.set_fingerprint(prod, "prod", "demo-prod-8b3d47c0")
                seed.seed_demo(dev, prod)
            inputs = {
                "dev-database-url": server.url("shop_dev", roles.DEV_ROLE, PASSWORD),
                "prod-database-url": server.url("shop_prod", roles.PROD_ROLE, PASSWORD),
            }
            work = Path(tmp)
            planned = run_entrypoint(work / "plan-job", inputs)
            _show("1. plan job: mode dry-run", planned)
            if planned.returncode != 0:
                return planned.returncode
            digest = planned.outputs["plan-digest"]
            with FakeGitHub(scenario="approved", approvers=("alice",)) as gh:
                applied = run_entrypoint(
                    work / "apply-job",
                    {**inputs, "mode": "apply", "approved-plan-digest": digest},
                    extra=gh.environ(),
                )
            _show("2. apply job: approved by @alice for environment 'production'", applied)
            if applied.returncode != 0:
                return applied.returncode
            again = run_entrypoint(work / "plan-again", inputs)
            _show("3. plan job again: nothing left to do", again)
            ok = again.returncode == 0 and again.outputs.get("has-changes") == "false"
            print("\ndemo:", "OK — the second plan is empty" if ok else "FAILED")
            return 0 if ok else 1
        finally:
            server.stop()


if __name__ == "__main__":
    sys.exit(main())
