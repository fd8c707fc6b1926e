#!/usr/bin/env python3
"""Developer entry points that work on a fresh machine with only Python 3.11+.

    python3 tasks.py demo    # throwaway dev + prod databases, dry-run, apply, re-plan
    python3 tasks.py test    # the whole test suite against a real PostgreSQL
    python3 tasks.py test tests/unit  # pytest's arguments: one kind (tests/README.md), a file
    python3 tasks.py lint    # ruff, mypy --strict, and the action-file linters
    python3 tasks.py bench   # the benchmark (see README); pass sizes after it
    python3 tasks.py compat  # docs/compatibility.md: the tests on PostgreSQL 13-18
    python3 tasks.py mutate  # mutation testing of the guard, diff and digest (docs/mutation.md)
    python3 tasks.py docker  # a local Docker engine: build the image, run the docker tests

Each command first makes `.venv` from the pinned `requirements-dev.lock` (hash-checked),
re-installing only when the lock file changed, so the second run starts at once.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
LOCK = ROOT / "requirements-dev.lock"
STAMP = VENV / ".lock-sha256"
PY = VENV / "bin" / "python"


def ensure_venv() -> None:
    """Create or refresh the virtual environment from the lock file."""
    want = hashlib.sha256(LOCK.read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text().strip() == want and PY.exists():
        return
    if not PY.exists():
        print(f"tasks: creating {VENV.relative_to(ROOT)}", flush=True)
        venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
    print("tasks: installing pinned dependencies from requirements-dev.lock", flush=True)
    subprocess.run(  # noqa: S603 - our own venv's python with fixed arguments
        [
            str(PY),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--require-hashes",
            "--no-deps",
            "-r",
            str(LOCK),
        ],
        check=True,
    )
    STAMP.write_text(want + "\n")


#: Debian packages the tests start servers from, each with the file that shows it is there:
#: PgBouncer, a PostgreSQL built with SSL (the wheel's is not) for the TLS-only server and
#: the older major of `.ci/run`, and openssl for the throwaway CA.
SYSTEM_PACKAGES = {
    "pgbouncer": "/usr/sbin/pgbouncer",
    "postgresql-15": "/usr/lib/postgresql/15/bin/postgres",
    "openssl": "/usr/bin/openssl",
}


def ensure_system_packages() -> None:
    """Install the Debian packages the tests need when they are missing and we may (root
    with apt-get); otherwise say what to install, and the harness will fail loudly."""
    missing = [name for name, path in SYSTEM_PACKAGES.items() if not Path(path).exists()]
    if not missing:
        return
    apt = shutil.which("apt-get")
    if os.geteuid() != 0 or apt is None:
        print(f"tasks: the tests need: apt-get install {' '.join(missing)}", file=sys.stderr)
        return
    print(f"tasks: installing {' '.join(missing)} (Debian packages the tests start)", flush=True)
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    # apt-get with fixed arguments and package names from this file.
    subprocess.run([apt, "update", "-q"], check=True, env=env)  # noqa: S603
    subprocess.run(  # noqa: S603
        [apt, "install", "-y", "-q", "--no-install-recommends", *missing], check=True, env=env
    )


def run(*argv: str) -> int:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    # Our own venv's python with arguments from this file or the developer's command line.
    proc = subprocess.run([str(PY), *argv], cwd=ROOT, env=env, check=False)  # noqa: S603
    return proc.returncode


def lint() -> int:
    steps: list[tuple[str, ...]] = [
        ("-m", "ruff", "check", "."),
        ("-m", "ruff", "format", "--check", "."),
        ("-m", "mypy"),
    ]
    failed = [" ".join(s) for s in steps if run(*s) != 0]
    for name in failed:
        print(f"tasks: lint step failed: {name}", file=sys.stderr)
    return 1 if failed else 0


def main(argv: list[str]) -> int:  # noqa: PLR0911 - one return per command
    if not argv or argv[0] not in {"demo", "test", "lint", "bench", "compat", "mutate", "docker"}:
        print(__doc__, file=sys.stderr)
        return 2
    ensure_venv()
    cmd, rest = argv[0], argv[1:]
    if cmd == "demo":
        return run("-m", "devtools.demo", *rest)
    if cmd in {"test", "compat"}:
        ensure_system_packages()
    if cmd == "test":
        return run("-m", "pytest", *rest)
    if cmd == "compat":
        return run("-m", "devtools.compat", *rest)
    if cmd == "bench":
        return run("-m", "devtools.bench", *rest)
    if cmd == "mutate":
        return run("-m", "devtools.mutation", *rest)
    if cmd == "docker":
        return run("-m", "devtools.dockerhost", *rest)
    return lint()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
