"""Hostile data through the real entrypoint: markup, HTML and workflow-command text in the
dev fingerprint, the match keys, names, values, a column name and an approver's login can
neither forge nor hide any part of the job summary, and no line refsync prints from data is
a workflow command the runner would run (tests/fixtures/workflow.py ports its parser)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
import yaml
from psycopg import sql

from devtools import seed
from devtools.fake_github import FakeGitHub
from devtools.runner import RunResult, run_entrypoint
from tests.fixtures.faults import plan_inputs
from tests.fixtures.gfm import Rendered, render, shown
from tests.fixtures.pg import DbPair
from tests.fixtures.workflow import commands, foreign_commands

#: Each would forge or hide part of the summary or the log if it were printed as it is.
NAMES = (
    "Spa <!-- hides everything below",
    "Close </details><details><summary>forged</summary>",
    "Script <script>alert(1)</script>",
    "Pipes | in | cells",
    "Ticks `code` ``span``",
    "Heading\n## forged heading",
    "Link [click](javascript:alert(1)) ![img](x.png)",
    "Command\n::warning::INJECTED",
    "  ::error title=x::INJECTED",
    "Legacy ##[warning]INJECTED",
    "Escaped %0A::notice::INJECTED",
    "Bidi \u202eINJECTED\u202c zero\u200bwidth",
    "Long " + "y" * 10_000,
)
COLUMN = "note <!--|`c`\n## forged ::warning::INJECTED"
DEV_FINGERPRINT = "dev-fp <!-- </details>\n## forged\n::warning::INJECTED `x` | y"
LOGIN = "mallory\n::warning::INJECTED <!--"
#: NAMES[:4] exist in prod with other values (3 updates, 1 skip: booked), the rest are new.
IN_PROD = 4


def _config(path: Path) -> str:
    """Services matched by their raw name (so keys are hostile) and compared on COLUMN."""
    config: dict[str, Any] = {
        "version": 1,
        "tables": [
            {
                "name": "service_categories",
                "match": {"slug_from": "name"},
                "compare": ["name", "description", "icon", "isActive"],
            },
            {
                "name": "services",
                "match": {"column": "name"},
                "compare": ["description", "price", "categoryId", "isActive", COLUMN],
                "references": {"categoryId": "service_categories"},
                "protected_by": ["bookings.serviceId", "provider_services.serviceId"],
            },
        ],
    }
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return str(path)


def _services(conn: psycopg.Connection[Any], category: str, rows: list[tuple[str, str]]) -> None:
    """Insert (id, name) services whose description and COLUMN hold hostile text too."""
    query = sql.SQL(
        'INSERT INTO services (id, name, description, price, "categoryId", "updatedAt", {})'
        " VALUES (%s, %s, %s, %s, %s, now(), %s)"
    ).format(sql.Identifier(COLUMN))
    with conn.cursor() as cur:
        cur.executemany(
            query,
            [(i, n, f"about {n}", Decimal("10"), category, f"{COLUMN} {n}") for i, n in rows],
        )


def _seed(dbpair: DbPair, dev_names: tuple[str, ...] = NAMES) -> None:
    dev, prod = dbpair.admin("dev"), dbpair.admin("prod")
    for conn in (dev, prod):
        conn.execute(
            sql.SQL("ALTER TABLE services ADD COLUMN {} text").format(sql.Identifier(COLUMN))
        )
        conn.execute(
            """INSERT INTO service_categories (id, name, "updatedAt")
               VALUES (%s, 'Cleaning', now())""",
            ["cat-" + conn.info.dbname],
        )
    seed.set_fingerprint(dev, "dev", DEV_FINGERPRINT)
    _services(dev, "cat-" + dev.info.dbname, [(f"d{i}", n) for i, n in enumerate(dev_names)])
    with prod.cursor() as cur:
        for i, name in enumerate(NAMES[:IN_PROD]):
            cur.execute(
                'INSERT INTO services (id, name, description, price, "categoryId", "updatedAt")'
                " VALUES (%s, %s, 'old', 1, %s, now())",
                [f"p{i}", name, "cat-" + prod.info.dbname],
            )
        cur.execute(
            """INSERT INTO users (id, email, "updatedAt")
               VALUES ('u1', 'u1@example.invalid', now())"""
        )
        cur.execute(
            """INSERT INTO bookings (id, "serviceId", "userId", "scheduledAt", price, "updatedAt")
               VALUES ('b1', 'p0', 'u1', now(), 1, now())"""
        )


def _assert_no_forged_commands(result: RunResult) -> None:
    """No line of stdout or stderr is a command refsync did not write itself, and the masks
    come before anything else."""
    assert foreign_commands(result.stdout) == []
    assert foreign_commands(result.stderr) == []
    lines = result.stdout.splitlines()
    masks = [i for i, line in enumerate(lines) if line.startswith("::add-mask::")]
    assert masks == list(range(len(masks)))


def _assert_only_our_markup(out: Rendered) -> None:
    """Nothing but refsync's own <code>/<pre> reached the HTML; no link, image or emphasis."""
    assert set(out.html_tags) <= {"<code>", "</code>"}
    assert all(block.startswith("<pre>\n") for block in out.html_blocks)
    assert not {"a", "img", "em", "s"} & set(out.markup)
    for forged in ("<script", "<!--", "<details", "</details", "<a ", "<img", "<h4"):
        assert forged not in out.html


def test_hostile_plan_summary_and_log(dbpair: DbPair, tmp_path: Path) -> None:
    """A dry-run and an approved apply over hostile data exit 0; the rendered summary has
    exactly refsync's headings, the counts the plan file has, the digest and every value as
    text; no line printed from data is a workflow command."""
    _seed(dbpair)
    config = _config(tmp_path / "refsync.yml")
    planned = run_entrypoint(tmp_path / "plan", plan_inputs(dbpair, config=config))
    assert planned.returncode == 0, planned.stderr + planned.stdout
    assert planned.plan is not None
    _assert_no_forged_commands(planned)
    assert "INJECTED" in planned.stdout  # the data did reach the log

    out = render(planned.summary)
    creates = len(NAMES) - IN_PROD
    assert out.headings == [
        ("h2", f"refsync dry-run: {creates} to create, {IN_PROD - 1} to update"),
        ("h3", "services"),
        ("h3", "Privileges"),
        ("h3", "Next step"),
    ]
    counts = out.tables[0]
    kinds = ("create", "update", "skip", "unchanged", "prod_only")
    expected = [[t["table"], *(str(t["counts"][k]) for k in kinds)] for t in planned.plan["tables"]]
    assert counts[1:-1] == expected
    assert counts[2] == ["services", str(creates), str(IN_PROD - 1), "1", "0", "0"]
    for table in out.tables:
        assert all(len(row) == len(table[0]) for row in table), table
    digest = planned.outputs["plan-digest"]
    assert f"Plan digest: {digest}" in out.texts
    assert (
        f"Fingerprints verified: dev {shown(DEV_FINGERPRINT)}, prod {dbpair.prod_fingerprint}"
        in out.texts
    )
    keys = {row[0] for table in out.tables[1:] for row in table[1:]}
    assert {shown(n) for n in NAMES[:-1]} <= keys  # every key shown as text (the long one clipped)
    assert shown(COLUMN) in [row[1] for row in out.tables[2][1:]]  # the updated field
    _assert_only_our_markup(out)

    with FakeGitHub(scenario="approved", approvers=("alice", LOGIN)) as gh:
        applied = run_entrypoint(
            tmp_path / "apply",
            plan_inputs(dbpair, config=config, mode="apply", **{"approved-plan-digest": digest}),
            extra=gh.environ(),
        )
    assert applied.returncode == 0, applied.stderr + applied.stdout
    _assert_no_forged_commands(applied)
    out = render(applied.summary)
    assert f"Approved by: @alice, @{shown(LOGIN)}" in out.texts
    assert [h for h, _ in out.headings] == ["h2", "h3", "h3", "h3"]
    _assert_only_our_markup(out)


def test_hostile_key_in_a_refusal(dbpair: DbPair, tmp_path: Path) -> None:
    """A refusal whose message holds a hostile key (two dev rows share it) exits 1; the key's
    newlines are shown as `\\n` (so it can neither split the message nor forge its "How to
    fix:" line), its error on stderr starts no workflow command, and in the summary it stays
    inside one <pre> block under refsync's one heading."""
    key = "Dup\n```\n## forged heading\n::warning::INJECTED\n##[error]INJECTED </pre><!--"
    _seed(dbpair, dev_names=(key, key))
    config = _config(tmp_path / "refsync.yml")
    result = run_entrypoint(tmp_path / "plan", plan_inputs(dbpair, config=config))
    assert result.returncode == 1, result.stderr + result.stdout
    assert "is shared by dev rows" in result.stderr
    assert "How to fix:" in result.stderr
    assert "INJECTED" in result.stderr
    _assert_no_forged_commands(result)
    assert [c.name for c in commands(result.stdout) if c.name != "add-mask"] == ["error"]

    out = render(result.summary)
    assert out.headings == [("h2", "refsync refused")]
    [block] = out.html_blocks
    shown_key = key.replace("\n", "\\n").replace("<", "&lt;").replace(">", "&gt;")
    assert shown_key in block  # on one line, as text
    assert out.texts == ["Nothing was written."]
    _assert_only_our_markup(out)
