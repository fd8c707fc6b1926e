"""The one home of secret handling: what to mask, what to scrub, how to name a database.

A database URL is the only secret refsync parses, and two readers matter: libpq, which
connects with it, and URL parsers (urllib here, and people reading a message). When they
read a URL differently — a password holding an unencoded ``@``, ``/``, ``?`` or ``#`` —
libpq's fields hold pieces of the password (``postgresql://u:123/b@host/db`` is host ``u``,
port ``123``, database ``b@host/db`` to libpq), and any message built from them leaks it.
So:

- `check_database_url` refuses (exit 2) a URL that libpq refuses or that the two read
  differently, naming the input and the fix (percent-encode), never echoing the value;
- `raw_secrets` lists every form a password could be printed in — the whole URL, the raw
  userinfo between ``://`` and the last ``@``, each parser's password, percent-decoded
  forms — from the raw inputs, before anything is validated, so they are masked first;
- `scrub` removes them from every message;
- `describe_url` names a database by libpq's own fields (host, port, dbname, user), for
  error messages: never the URL text.
"""

from __future__ import annotations

import contextlib
import urllib.parse
from collections.abc import Iterable, Sequence

import psycopg
from psycopg.conninfo import conninfo_to_dict

from refsync.errors import UsageError

_URL_SCHEMES = ("postgresql", "postgres")
#: The fields a connection error names, and that both readers must agree on.
_FIELDS = ("user", "password", "host", "hostaddr", "port", "dbname")
#: A piece of a misread password shorter than this is not masked: it reveals next to
#: nothing, and a mask of one letter would blank that letter all over the log.
MIN_FRAGMENT = 3


def _libpq(url: str) -> dict[str, str] | None:
    """The URL as libpq reads it (its own parser), or None when libpq refuses it."""
    try:
        return {k: str(v) for k, v in conninfo_to_dict(url).items()}
    except (psycopg.Error, UnicodeError):  # UnicodeError: undecodable bytes in the variable
        return None


def _rfc(url: str) -> dict[str, str] | None:
    """The URL as an RFC 3986 parser reads it (libpq's field names), or None."""
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError:
        return None
    fields: dict[str, str] = {}
    userinfo, at, hostinfo = parts.netloc.rpartition("@")
    user, colon, password = userinfo.partition(":")
    if at and user:
        fields["user"] = urllib.parse.unquote(user)
    if at and colon and password:
        fields["password"] = urllib.parse.unquote(password)
    hosts, ports = [], []
    for item in (hostinfo if at else parts.netloc).split(","):
        if item.startswith("["):
            host, _, tail = item[1:].partition("]")
            port = tail.removeprefix(":")
        else:
            host, _, port = item.partition(":")
        hosts.append(urllib.parse.unquote(host))
        ports.append(port)
    if any(hosts):
        fields["host"] = ",".join(hosts)
    if any(ports):
        fields["port"] = ",".join(ports)
    if parts.path[1:]:
        fields["dbname"] = urllib.parse.unquote(parts.path[1:])
    # libpq takes any connection keyword as a query parameter; a later one wins.
    for pair in filter(None, parts.query.split("&")):
        key, _, value = pair.partition("=")
        fields[urllib.parse.unquote(key)] = urllib.parse.unquote(value)
    return fields


def readings_agree(url: str) -> bool:
    """True when libpq accepts `url` and reads it as a URL parser does.

    Beyond comparing the fields: a ``#`` (a fragment to a URL parser, part of a name to
    libpq) never agrees, and an unencoded ``@`` may only be the one between the credentials
    and the host. ``u:p@ss/w0rd@host/db`` is user ``u``, password ``p``, host ``ss``,
    database ``w0rd@host/db`` to both, but that is not what was meant."""
    libpq, rfc = _libpq(url), _rfc(url)
    if libpq is None or rfc is None or "#" in url:
        return False
    before_query = url.partition("://")[2].partition("?")[0]
    authority = before_query.partition("/")[0]
    if before_query.count("@") > 1 or before_query.count("@") != authority.count("@"):
        return False
    return all(libpq.get(f, "") == rfc.get(f, "") for f in _FIELDS)


_NOT_SHOWN = "(the value is not shown because it may contain a password)"


def _usage(input_name: str, secret: str, problem: str, how: str = "set it") -> UsageError:
    return UsageError(
        f"Input `{input_name}` {problem}",
        fix=f"{how}, in the step that uses refsync:\nwith:\n  {input_name}: "
        f"${{{{ secrets.{secret} }}}}",
    )


_PERCENT_ENCODE = (
    "percent-encode the user name and password in the secret (`@` as %40, `/` as %2F, "
    "`?` as %3F, `#` as %23, `%` as %25, a space as %20), e.g. with\n"
    "python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=\"\"))'"
    " 'the-password'\nand set the secret"
)


def check_database_url(input_name: str, value: str | None, secret: str) -> str:
    """Return `value` if it is a libpq URL that every reader reads alike; else UsageError.

    `secret` names the repository secret the fix tells the user to set. Messages never
    contain the value or any part of it."""
    if value is None:
        raise _usage(input_name, secret, "is required and was not given.")
    if "\x00" in urllib.parse.unquote(value):  # libpq refuses %00; say so before connecting
        raise _usage(
            input_name, secret, f"contains a NUL byte (%00), which libpq refuses {_NOT_SHOWN}."
        )
    shape = (
        f"is not a libpq URL of the form postgresql://USER:PASSWORD@HOST:5432/DBNAME {_NOT_SHOWN}."
    )
    if "://" not in value or value.partition("://")[0].lower() not in _URL_SCHEMES:
        raise _usage(input_name, secret, shape)
    if not readings_agree(value):
        raise _usage(
            input_name,
            secret,
            "is a URL that libpq refuses or reads differently from a URL parser: its user "
            "name or password holds a character such as `@`, `/`, `?`, `#`, `%` or a space "
            f"that is not percent-encoded {_NOT_SHOWN}.",
            _PERCENT_ENCODE,
        )
    fields = _libpq(value) or {}
    ports = fields.get("port", "").split(",")
    if (
        not (fields.get("host") or fields.get("hostaddr"))
        or not fields.get("dbname")
        or not all(
            p == "" or (len(p) <= 5 and p.isascii() and p.isdigit() and int(p) <= 65535)
            for p in ports
        )
    ):
        raise _usage(input_name, secret, shape)
    return value


def describe_url(url: str) -> str:
    """Where `url` connects, from libpq's own fields: ``dbname on host:port as user``."""
    fields = _libpq(url)
    if fields is None:
        return "a connection string libpq cannot read"
    host = fields.get("host") or fields.get("hostaddr") or "the default socket"
    port = fields.get("port") or "5432"
    return f"{fields.get('dbname', '?')} on {host}:{port} as {fields.get('user', '?')}"


def _url_secrets(value: str) -> list[str]:
    """Every form in which the password of the URL `value` could be printed."""
    rest = value.partition("://")[2]
    userinfo = rest.rpartition("@")[0]  # between :// and the last @: what was meant
    password = userinfo.partition(":")[2]
    whole = [value, password, urllib.parse.unquote(password)]
    if ":" in userinfo or "@" in userinfo:  # a user name alone is no secret
        whole.append(userinfo)
    # What each parser takes for the password (a piece of it, if they misread the URL).
    readings: list[str] = []
    with contextlib.suppress(ValueError):
        readings.append(urllib.parse.urlsplit(value).password or "")
    libpq = _libpq(value)
    if libpq is not None:
        readings.append(libpq.get("password", ""))
    query = value.partition("?")[2]
    for pair in query.split("&"):
        key, _, given = pair.partition("=")
        if urllib.parse.unquote(key) == "password":
            whole += [given, urllib.parse.unquote(given)]
    readings += [urllib.parse.unquote(r) for r in readings]
    # When both readers agree, their password is the password, however short.
    agreed = readings_agree(value)
    return whole + [r for r in readings if agreed or len(r) >= MIN_FRAGMENT]


def raw_secrets(values: Iterable[str]) -> list[str]:
    """Every secret in the raw secret inputs (URLs, token), read before any validation so
    even a malformed one is masked. Longest first, no duplicates, no empty strings."""
    found: list[str] = []
    for value in values:
        found += _url_secrets(value) if "://" in value else [value]
    return sorted(dict.fromkeys(v for v in found if v), key=len, reverse=True)


def scrub(text: str, secrets: Sequence[str]) -> str:
    """Remove every secret (URLs, passwords, their fragments) from a message."""
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        text = text.replace(secret, "***")
    return text
