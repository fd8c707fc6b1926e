"""The compatibility table: refsync's safety, scenario, fault and deployment tests against
every PostgreSQL major version this machine can obtain, written to docs/compatibility.md.

    python3 tasks.py compat                  # 13-18, whatever devtools.pgversions obtains
    python3 tasks.py compat --majors 15,18   # some of them
    python3 tasks.py compat --no-write       # print the table, leave the docs alone

Each version runs in its own pytest process with ``REFSYNC_TEST_PG_BIN`` (and
``REFSYNC_TEST_TLS_PG_BIN`` for the TLS-only server) pointing at its binaries. This module is
also the pytest plugin (``-p devtools.compat``) that records each test's outcome and the
phases ``tests/e2e/test_deployments.py::test_flow`` reached, so every cell of the table is a
test result of that run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "docs" / "compatibility.md"
_RESULTS_ENV = "REFSYNC_COMPAT_RESULTS"

#: Test files per column of the per-version table.
GROUPS: dict[str, tuple[str, ...]] = {
    "safety": ("tests/*/test_safety_*.py", "tests/e2e/test_session_settings.py"),
    "scenarios": ("tests/database/test_scenarios.py",),
    "faults": ("tests/e2e/test_faults.py", "tests/e2e/test_concurrency.py"),
    "poolers and TLS": ("tests/e2e/test_pooler.py", "tests/e2e/test_tls.py"),
    "deployments": ("tests/e2e/test_deployments.py",),
}
DEPLOYMENTS = ("direct", "pgbouncer-transaction", "pgbouncer-session", "tls-only")
FLOW_PHASES = ("dry-run", "apply", "re-plan empty")
#: Deployment-table columns after the flow's phases: column -> test function.
REFUSALS = {
    "RLS refusal": "test_rls_refusal",
    "lock timeout": "test_lock_timeout",
    "concurrent apply refused": "test_concurrent_apply_refusal",
}


# --------------------------------------------------------------------------------------------
# The pytest plugin side: one JSON line per test, appended to $REFSYNC_COMPAT_RESULTS.


def pytest_runtest_logreport(report: Any) -> None:
    target = os.environ.get(_RESULTS_ENV)
    if not target:
        return
    failed_setup = report.when == "setup" and report.outcome != "passed"
    if report.when != "call" and not failed_setup:
        return
    outcome = "error" if failed_setup and report.outcome == "failed" else report.outcome
    line = {
        "nodeid": report.nodeid,
        "outcome": outcome,
        "properties": dict(report.user_properties),
    }
    with Path(target).open("a") as out:
        out.write(json.dumps(line) + "\n")


# --------------------------------------------------------------------------------------------
# The runner side.


@dataclass
class VersionRun:
    major: int
    origin: str
    server: str = ""  # what `postgres --version` says
    tls_server: str = ""
    problem: str = ""
    seconds: float = 0.0
    results: dict[str, dict[str, Any]] = field(default_factory=dict)  # nodeid -> result


def _postgres_version(bindir: Path | None) -> str:
    if bindir is None:
        return ""
    out = subprocess.run(
        [str(bindir / "postgres"), "--version"], capture_output=True, text=True, check=False
    ).stdout
    found = re.search(r"\d+\.\d+", out)
    return found.group() if found else out.strip()


def _files() -> list[str]:
    found: list[str] = []
    for patterns in GROUPS.values():
        for pattern in patterns:
            found += sorted(str(p.relative_to(ROOT)) for p in ROOT.glob(pattern))
    return found


def run_version(major: int) -> VersionRun:
    from devtools.pgversions import obtain

    binaries = obtain(major)
    run = VersionRun(major, binaries.origin)
    if binaries.bindir is None:
        run.problem = binaries.problem
        return run
    run.server = _postgres_version(binaries.bindir)
    run.tls_server = _postgres_version(binaries.tls_bindir)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "REFSYNC_TEST_PG_BIN": str(binaries.bindir)}
    env.pop("REFSYNC_TEST_DATABASE_URL", None)
    env.pop("REFSYNC_TEST_BACKEND", None)
    if binaries.tls_bindir is not None:
        env["REFSYNC_TEST_TLS_PG_BIN"] = str(binaries.tls_bindir)
    with tempfile.TemporaryDirectory(prefix="refsync-compat-") as tmp:
        results = Path(tmp) / "results.jsonl"
        env[_RESULTS_ENV] = str(results)
        started = time.monotonic()
        proc = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "devtools.compat", *_files()],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        run.seconds = time.monotonic() - started
        lines = results.read_text().splitlines() if results.exists() else []
    run.results = {r["nodeid"]: r for r in map(json.loads, lines)}
    tail = proc.stdout.strip().splitlines()[-1:] or [proc.stderr.strip()[-500:]]
    print(f"compat: PostgreSQL {run.server}: {tail[0]} ({run.seconds:.0f}s)", flush=True)
    if not run.results:
        run.problem = f"pytest ran no test: {proc.stdout[-1500:]}{proc.stderr[-1500:]}"
    return run


def _group_of(nodeid: str) -> str:
    path = Path(nodeid.split("::", 1)[0])
    for group, patterns in GROUPS.items():
        if any(path.match(pattern) for pattern in patterns):
            return group
    return "other"


def _counts(run: VersionRun, group: str) -> str:
    outcomes = [r["outcome"] for n, r in run.results.items() if _group_of(n) == group]
    passed = outcomes.count("passed")
    failed = len(outcomes) - passed
    text = f"{passed} passed, {failed} failed"
    return text if not failed else f"**{text}**"


def _cell(result: Mapping[str, Any] | None) -> str:
    if result is None:
        return "not run"
    return "pass" if result["outcome"] == "passed" else f"**{result['outcome']}**"


def _flow_cells(result: Mapping[str, Any] | None) -> Iterator[str]:
    if result is None:
        yield from ["not run"] * len(FLOW_PHASES)
        return
    reached_failure = False
    for phase in FLOW_PHASES:
        if result["outcome"] == "passed" or phase in result["properties"]:
            yield "pass"
        elif not reached_failure:
            reached_failure = True
            yield f"**{'fail' if result['outcome'] == 'failed' else result['outcome']}**"
        else:
            yield "not reached"


def deployment_rows(runs: list[VersionRun]) -> list[str]:
    head = ["PostgreSQL", "deployment", *FLOW_PHASES, *REFUSALS]
    rows = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for run in runs:
        if run.problem:
            continue
        for deployment in DEPLOYMENTS:
            server = run.tls_server if deployment == "tls-only" else run.server
            flow = run.results.get(f"tests/e2e/test_deployments.py::test_flow[{deployment}]")
            refusals = [
                _cell(run.results.get(f"tests/e2e/test_deployments.py::{test}[{deployment}]"))
                for test in REFUSALS.values()
            ]
            cells = [server or "none", deployment, *_flow_cells(flow), *refusals]
            rows.append("| " + " | ".join(cells) + " |")
    return rows


def version_rows(runs: list[VersionRun]) -> list[str]:
    head = ["major", "server", "binaries from", *GROUPS, "seconds"]
    rows = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for run in runs:
        if run.problem:
            cells = [str(run.major), "not obtained", run.origin, *([""] * len(GROUPS)), ""]
        else:
            counts = [_counts(run, group) for group in GROUPS]
            cells = [str(run.major), run.server, run.origin, *counts, f"{run.seconds:.0f}"]
        rows.append("| " + " | ".join(cells) + " |")
    return rows


def render(runs: list[VersionRun]) -> str:
    today = dt.datetime.now(dt.UTC).date().isoformat()
    missing = [f"- PostgreSQL {r.major}: {r.problem}" for r in runs if r.problem]
    return "\n".join(
        [
            "# Compatibility",
            "",
            "Written by `python3 tasks.py compat` (`devtools/compat.py`); do not edit by hand. "
            f"Last run {today} on {platform.system()} {platform.machine()}, "
            f"{os.cpu_count()} cores. Every cell is the result of a test in that run.",
            "",
            "## Deployments",
            "",
            "`tests/e2e/test_deployments.py` per major version and per way of reaching it: "
            "**direct** (TCP to the server), **pgbouncer-transaction** and "
            "**pgbouncer-session** (Debian's PgBouncer 1.18 in front of the server, in that "
            "pool mode, with its default settings: startup `options` are refused), "
            "**tls-only** (a server with no non-TLS `pg_hba` entry, reached with "
            "`sslmode=verify-full` and `sslrootcert` naming a CA file in the workspace). "
            "*dry-run*: a plan with changes, nothing written; *apply*: the approved plan "
            "writes only the reference tables; *re-plan empty*: the next plan has nothing "
            "to do; *RLS refusal*: row-level security on the referencing tables stops the "
            "plan (exit 1); *lock timeout*: a row lock held elsewhere ends apply with exit 3 "
            "and nothing written; *concurrent apply refused*: a second apply exits 1 on the "
            "advisory lock while the first completes. The PostgreSQL column is the server "
            "that deployment reached: the embedded wheel's 18 is built without SSL, so the "
            "TLS-only server of that row is npm's build of the same major.",
            "",
            *deployment_rows(runs),
            "",
            "## Test groups per version",
            "",
            "Pass and fail counts of each group of tests against each version: "
            + "; ".join(f"*{g}*: `{'`, `'.join(p)}`" for g, p in GROUPS.items())
            + ". Which binaries come from where, and why: `devtools/pgversions.py`.",
            "",
            *version_rows(runs),
            "",
            *(["Not obtained on this machine:", "", *missing, ""] if missing else []),
            "Run it again with `python3 tasks.py compat`; `.ci/run` runs the same tests "
            "against PostgreSQL 18 (the whole suite) and 15 on every submission.",
            "",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    from devtools.pgversions import MAJORS

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--majors", default=",".join(map(str, MAJORS)))
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args(argv)
    majors = [int(m) for m in args.majors.split(",") if m]
    runs = [run_version(major) for major in majors]
    text = render(runs)
    print(text)
    if not args.no_write:
        RESULTS.write_text(text)
        print(f"compat: wrote {RESULTS.relative_to(ROOT)}")
    failed = any(
        r.problem or any(x["outcome"] != "passed" for x in r.results.values()) for r in runs
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
