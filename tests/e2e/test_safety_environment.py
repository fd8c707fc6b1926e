"""SPEC 1.3: outside GitHub Actions the entrypoint exits 1 before importing refsync or any
third-party package and before any connection; no variable bypasses it."""

from __future__ import annotations

from pathlib import Path

import pytest

from devtools.pgserver import StatementLog
from devtools.runner import run_entrypoint, runner_env
from tests.fixtures.pg import DbPair
from tests.fixtures.safety import refsync_sessions

#: Each way an environment can fail to be GitHub Actions (None: the variable is unset).
NOT_ACTIONS: dict[str, dict[str, str | None]] = {
    "CI unset": {"CI": None},
    "CI=false": {"CI": "false"},
    "CI=1": {"CI": "1"},
    "CI=TRUE": {"CI": "TRUE"},
    "GITHUB_ACTIONS unset": {"GITHUB_ACTIONS": None},
    "GITHUB_ACTIONS=false": {"GITHUB_ACTIONS": "false"},
    "GITHUB_ACTIONS empty": {"GITHUB_ACTIONS": ""},
    "both unset": {"CI": None, "GITHUB_ACTIONS": None},
}
#: Packages the entrypoint would import after the guard; each is booby-trapped below.
TRAPPED = ("psycopg", "pglast", "pydantic", "rich", "yaml")


def _env(tmp_path: Path, dbpair: DbPair, changes: dict[str, str | None]) -> dict[str, str]:
    env = runner_env(
        tmp_path,
        {"dev-database-url": dbpair.dev_url, "prod-database-url": dbpair.prod_url},
        extra={"REFSYNC_ALLOW_LOCAL": "true", "REFSYNC_FORCE": "1"},  # no such bypass exists
    )
    for name, value in changes.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


@pytest.mark.parametrize("changes", NOT_ACTIONS.values(), ids=NOT_ACTIONS.keys())
def test_outside_actions_exits_1_and_never_connects(
    dbpair: DbPair, statement_log: StatementLog, tmp_path: Path, changes: dict[str, str | None]
) -> None:
    """Outside Actions: exit 1, a message saying no bypass exists, and no connection logged."""
    mark = statement_log.mark()
    result = run_entrypoint(tmp_path, {}, env=_env(tmp_path, dbpair, changes))
    events = statement_log.since(mark)

    assert result.returncode == 1
    assert "runs only inside GitHub Actions" in result.stderr
    assert "There is no bypass" in result.stderr
    assert refsync_sessions(events) == set()
    roles = {dbpair.dev_role, dbpair.prod_role}
    assert [
        e for e in events if e.user in roles or e.database in (dbpair.dev_db, dbpair.prod_db)
    ] == []
    assert result.plan is None
    assert result.summary == ""


@pytest.mark.parametrize("changes", NOT_ACTIONS.values(), ids=NOT_ACTIONS.keys())
def test_outside_actions_imports_nothing_beyond_the_standard_library(
    dbpair: DbPair, tmp_path: Path, changes: dict[str, str | None]
) -> None:
    """Outside Actions neither refsync nor a trapped third-party package is ever imported."""
    traps = tmp_path / "traps"
    marker = tmp_path / "imported"
    for package in TRAPPED:
        (traps / package).mkdir(parents=True)
        (traps / package / "__init__.py").write_text(
            f"with open({str(marker)!r}, 'a') as f:\n    f.write({package!r} + '\\n')\n"
            f"raise ImportError('trap: {package} was imported')\n"
        )
    env = _env(tmp_path, dbpair, changes)
    env["PYTHONPATH"] = str(traps)
    env["PYTHONPROFILEIMPORTTIME"] = "1"  # the interpreter lists every module it imports

    result = run_entrypoint(tmp_path, {}, env=env)

    assert result.returncode == 1
    assert "There is no bypass" in result.stderr
    assert not marker.exists(), marker.read_text()
    imported = {
        line.split("|")[-1].strip()
        for line in result.stderr.splitlines()
        if line.startswith("import time:")
    }
    assert "encodings" in imported  # the profile really is on
    assert not {m for m in imported if m.split(".")[0] in {"refsync", *TRAPPED}}


def test_traps_fire_when_the_guard_lets_the_run_through(dbpair: DbPair, tmp_path: Path) -> None:
    """Inside Actions the same traps fire, so their silence above means something."""
    traps = tmp_path / "traps"
    marker = tmp_path / "imported"
    (traps / "psycopg").mkdir(parents=True)
    (traps / "psycopg" / "__init__.py").write_text(
        f"open({str(marker)!r}, 'w').close()\nraise ImportError('trap')\n"
    )
    env = _env(tmp_path, dbpair, {})
    env["PYTHONPATH"] = str(traps)
    result = run_entrypoint(tmp_path, {}, env=env)
    assert result.returncode != 0
    assert marker.exists()
