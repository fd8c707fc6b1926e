"""Secrets never leak through messages (refsync.secrets): whether libpq and a URL parser read
a database URL alike, what is masked, how a connection is named (libpq's fields, never the
URL), and a refusal that holds no part of the URL. The same through the real entrypoint,
where no fragment of a password reaches any output: tests/e2e/test_secret_leaks.py."""

from __future__ import annotations

import pytest

from refsync.errors import UsageError
from refsync.secrets import check_database_url, describe_url, raw_secrets, readings_agree
from tests.fixtures.secrets import fragments


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
