"""Secrets never leak through the real entrypoint: a database URL that libpq and URL parsers
read differently is refused before any connection, naming the input and the fix; a
connection error names the database by libpq's own fields; and no password, nor any
fragment of it, reaches stdout, stderr, the summary, the outputs or the plan file. The
parsing and masking themselves, in process: tests/unit/test_secrets.py."""

from __future__ import annotations

import urllib.parse
from pathlib import Path

import pytest

from devtools.pgserver import StatementLog
from devtools.runner import RunResult, run_entrypoint
from tests.fixtures.faults import closed_port, plan_inputs
from tests.fixtures.pg import DbPair
from tests.fixtures.secrets import fragments


def _assert_nothing_leaks(result: RunResult, workdir: Path, password: str) -> None:
    """No fragment of `password` in stdout (but its ::add-mask:: lines), stderr, the job
    summary, the outputs file or the plan file."""
    stdout = "\n".join(
        line for line in result.stdout.splitlines() if not line.startswith("::add-mask::")
    )
    outputs = (workdir / "_runner_file_commands" / "set_output").read_text()
    plan = result.plan_path.read_text() if result.plan_path.exists() else ""
    for fragment in fragments(password):
        for where, text in [
            ("stdout", stdout),
            ("stderr", result.stderr),
            ("summary", result.summary),
            ("outputs", outputs),
            ("plan file", plan),
        ]:
            assert fragment not in text, f"{fragment!r} leaked to {where}"
    masked = {  # as the runner unescapes a command's data
        line.removeprefix("::add-mask::")
        .replace("%0D", "\r")
        .replace("%0A", "\n")
        .replace("%25", "%")
        for line in result.stdout.splitlines()
        if line.startswith("::add-mask::")
    }
    assert password in masked


def _url(dbpair: DbPair, userinfo: str, port: int | None = None, query: str = "") -> str:
    port = port or dbpair.server.port
    return f"postgresql://{userinfo}@127.0.0.1:{port}/{dbpair.prod_db}{query}"


#: (password, how it is written into the URL's userinfo, unencoded): libpq and a URL parser
#: read each differently, or libpq refuses it (and its error would echo the password).
AMBIGUOUS = [
    pytest.param("Zq7@Xv9/Kp3", id="at-and-slash"),
    pytest.param("123/Qm4Lw8", id="slash-after-a-numeric-port-lookalike"),
    pytest.param("Rt8@Ty6Bn1", id="two-ats"),
    pytest.param("Wt5?Yh8#Lp2", id="question-and-hash"),
    pytest.param("Gh6 Jk9 Mn3", id="spaces"),
    pytest.param("Bx4%zzCv7Nm", id="bad-percent-escape"),
    # The byte 0xff, which is not UTF-8: the runner passes the variable's bytes as they are.
    pytest.param("Dq2\udcffFw5", id="undecodable-byte"),
]


@pytest.mark.parametrize("password", AMBIGUOUS)
def test_ambiguous_url_refused_before_connecting(
    dbpair: DbPair, statement_log: StatementLog, tmp_path: Path, password: str
) -> None:
    """A prod URL whose password holds an unencoded `@`, `/`, `?`, `#`, space or bad `%`
    escape exits 2 before any connection, naming the input and percent-encoding as the fix,
    and no fragment of the password is printed anywhere."""
    url = _url(dbpair, f"{dbpair.prod_role}:{password}")
    mark = statement_log.mark()
    result = run_entrypoint(tmp_path, plan_inputs(dbpair, **{"prod-database-url": url}))
    assert result.returncode == 2, result.stderr + result.stdout
    assert "Input `prod-database-url`" in result.stderr
    assert "percent-encode the user name and password" in result.stderr
    roles = {dbpair.dev_role, dbpair.prod_role}
    assert [e for e in statement_log.since(mark) if e.user in roles] == []
    _assert_nothing_leaks(result, tmp_path, password)


UNREACHABLE = [
    pytest.param("Zq7@Xv9/Kp3?Wt5#Yh8", "closed-port", id="encoded-closed-port"),
    pytest.param("Zq7@Xv9/Kp3?Wt5#Yh8", "wrong-password", id="encoded-wrong-password"),
    pytest.param("Rt8@Ty6 Bn1%", "query-password", id="encoded-query-password"),
]


@pytest.mark.parametrize(("password", "fault"), UNREACHABLE)
def test_connection_error_names_libpq_fields_only(
    dbpair: DbPair, tmp_path: Path, password: str, fault: str
) -> None:
    """A correctly encoded hostile password that cannot connect (closed port, wrong password,
    or given as `?password=`) exits 3 naming the database by libpq's fields (database, host,
    port, user), and no fragment of the password is printed anywhere."""
    encoded = urllib.parse.quote(password, safe="")
    port = closed_port() if fault != "wrong-password" else dbpair.server.port
    if fault == "query-password":
        url = _url(dbpair, dbpair.prod_role, port, f"?password={encoded}")
    else:
        url = _url(dbpair, f"{dbpair.prod_role}:{encoded}", port)
    result = run_entrypoint(tmp_path, plan_inputs(dbpair, **{"prod-database-url": url}))
    assert result.returncode == 3, result.stderr + result.stdout
    where = f"{dbpair.prod_db} on 127.0.0.1:{port} as {dbpair.prod_role}"
    assert f"cannot connect to the prod database ({where})" in result.stderr
    _assert_nothing_leaks(result, tmp_path, password)
