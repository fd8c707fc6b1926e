"""Secrets never leak through messages (refsync.secrets): a database URL that libpq and URL
parsers read differently is refused before any connection, naming the input and the fix;
a connection error names the database by libpq's own fields; and no password, nor any
fragment of it, reaches stdout, stderr, the summary, the outputs or the plan file."""

from __future__ import annotations

import re
import urllib.parse
from pathlib import Path

import pytest

from devtools.pgserver import StatementLog
from devtools.runner import RunResult, run_entrypoint
from refsync.errors import UsageError
from refsync.secrets import check_database_url, describe_url, raw_secrets, readings_agree
from tests.fixtures.faults import closed_port, plan_inputs
from tests.fixtures.pg import DbPair

#: Passwords made of distinctive pieces, so that no piece occurs in text by chance.
SEPARATORS = r"[@/?#% :]"


def fragments(password: str) -> set[str]:
    """The password, its percent-encoded form, and every run of its pieces between URL
    delimiters (`p@ss/w0rd`: `p@ss`, `ss/w0rd`, `w0rd`, …) of 3 characters or more."""
    spans = [m.span() for m in re.finditer(rf"[^{SEPARATORS[1:-1]}]+", password)]
    found = {password, urllib.parse.quote(password, safe="", errors="surrogateescape")}
    for i, (start, _) in enumerate(spans):
        for _, end in spans[i:]:
            found.add(password[start:end])
    return {f for f in found if len(f) >= 3}


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


@pytest.mark.parametrize(
    ("url", "agree"),
    [
        ("postgresql://u:pw@db.internal:5432/app", True),
        ("postgresql://u:p%40ss%2Fw%3Frd%23@db.internal/app", True),
        ("postgresql://u:a:b@db.internal/app", True),
        ("postgresql://u:pw@h1:5432,h2:5433/app", True),
        ("postgresql://u:pw@[::1]:5432/app", True),
        ("postgresql://u@/app?host=/var/run/postgresql&password=x%40y", True),
        ("postgresql://u:pw@db.internal/app?sslmode=require&password=a+b", True),
        ("postgresql://u:p@ss/w0rd@db.internal/app", False),
        ("postgresql://u:123/b@db.internal/app", False),
        ("postgresql://u:p@ss@db.internal/app", False),
        ("postgresql://u:a?b@db.internal/app", False),
        ("postgresql://u:a#b@db.internal/app", False),
        ("postgresql://u:pw@db.internal/app#fragment", False),
        ("postgresql://u:p w@db.internal/app", False),
        ("postgresql://u:pw@db.internal/app?unknown=1", False),
        ("postgresql://u:pw@[::1/app", False),
    ],
)
def test_readings_agree(url: str, agree: bool) -> None:
    """libpq's reading (its own parser) and a URL parser's agree only on unambiguous URLs."""
    assert readings_agree(url) is agree


def test_masks_cover_every_reading_of_an_ambiguous_url() -> None:
    """The whole URL, the raw userinfo, the password meant (up to the last `@`), and each
    parser's reading of 3+ characters are masked; a 1-character misreading is not."""
    url = "postgresql://u:p@ss/w0rd@db.internal:5432/app"
    masked = raw_secrets([url, "ghs_token"])
    assert {url, "u:p@ss/w0rd", "p@ss/w0rd", "ghs_token"} <= set(masked)
    assert "p" not in masked
    assert masked == sorted(masked, key=len, reverse=True)


def test_short_password_of_an_unambiguous_url_is_masked() -> None:
    """When both readers agree, their password is masked however short it is."""
    assert "pw" in raw_secrets(["postgresql://u:pw@db.internal/app?user=a@b"])


def test_describe_url_uses_libpq_fields() -> None:
    """A connection is named by libpq's fields, query parameters included, never the URL."""
    url = "postgresql://u:s3cret@db.internal/app?port=6543&user=svc"
    assert describe_url(url) == "app on db.internal:6543 as svc"
    assert describe_url("postgresql://u:p w@h/app") == "a connection string libpq cannot read"


def test_check_never_echoes_the_value() -> None:
    """The refusal names the input and the secret to fix, and holds no part of the URL."""
    url = "postgresql://u:Zq7@Xv9/Kp3@db.internal/app"
    with pytest.raises(UsageError) as info:
        check_database_url("dev-database-url", url, "DEV_DATABASE_URL")
    text = str(info.value)
    assert "Input `dev-database-url`" in text
    assert "secrets.DEV_DATABASE_URL" in text
    for fragment in fragments("Zq7@Xv9/Kp3") | {"db.internal"}:
        assert fragment not in text
