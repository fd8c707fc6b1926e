"""Seed two empty servers for the project's own workflow (the e2e and must-fail jobs):

    python3 -m devtools.ci_seed DEV_URL PROD_URL

Creates the marketplace schema on both, writes the fingerprints, and loads the demo data
(a realistic dev catalogue and an older prod one with bookings). Needs only psycopg, so
the runtime lock file is enough.
"""

from __future__ import annotations

import sys

import psycopg

from devtools import roles, seed


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    schema = (roles.SQL_DIR / "marketplace.sql").read_text()
    with (
        psycopg.connect(argv[0], autocommit=True) as dev,
        psycopg.connect(argv[1], autocommit=True) as prod,
    ):
        for conn in (dev, prod):
            conn.execute(schema.encode())
        seed.set_fingerprint(dev, "dev", "ci-dev-7f3a9c21e4")
        seed.set_fingerprint(prod, "prod", "ci-prod-0b6d28e5f1")
        seed.seed_demo(dev, prod)
    print("seeded dev and prod")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
