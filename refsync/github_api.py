"""The GitHub REST client: where the token may be sent, and one request at a time.

Both users of the API go through here: `refsync.approval` (apply's approval check, which
fails closed) and `refsync.pr_comment` (the opt-in plan comment, which never fails the run).
`call` raises `ApiError`s that say what happened, and each user turns them into its own
messages. The token goes only to an https API (`api_base`; plain http only for a loopback
host, a local fake of the API in tests) and is never replayed to wherever a redirect points
(`_no_redirect_opener`). Stdlib only; urllib.request is imported on the first call, so a
plan that speaks no HTTP does not pay for it at start-up.
"""

from __future__ import annotations

import ipaddress
import json
import urllib.parse
from typing import TYPE_CHECKING

from refsync import __version__
from refsync.errors import ApprovalError

if TYPE_CHECKING:
    import urllib.error
    import urllib.request

#: The API never answers refsync's calls with more; anything larger is not GitHub.
MAX_BODY = 4 * 1024 * 1024


class ApiError(Exception):
    """A call that got no usable answer."""


class StatusError(ApiError):
    """The API answered an error status, or a redirect (which is not followed)."""

    def __init__(self, status: int, detail: str | None) -> None:
        super().__init__(f"HTTP {status}")
        self.status = status
        #: GitHub's own `message` from the error's JSON body, when it sent one.
        self.detail = detail


class UnreachableError(ApiError):
    """No answer: the connection failed or timed out."""

    def __init__(self, reason: object) -> None:
        super().__init__(str(reason))
        #: What urllib said (its `reason`, or the exception itself).
        self.reason = reason


class TooLargeError(ApiError):
    """An answer longer than `MAX_BODY` bytes: not GitHub's API."""


def _is_loopback(host: str) -> bool:
    if host.casefold() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback  # 127.0.0.0/8 and ::1
    except ValueError:
        return False


def api_base(api_url: str) -> str:
    """GITHUB_API_URL without a trailing slash, if it is safe to send the token to.

    https only: the token and the answer that decides an apply must not cross a network in
    clear. http is allowed for a loopback host (a local fake of the API, in tests)."""
    base = api_url.strip().rstrip("/")
    try:
        parts = urllib.parse.urlsplit(base)
        host = parts.hostname or ""
    except ValueError:
        parts, host = urllib.parse.urlsplit(""), ""
    if host and (parts.scheme == "https" or (parts.scheme == "http" and _is_loopback(host))):
        return base
    shown = f"`{parts.scheme}://` with host `{host}`" if parts.scheme else "not a URL"
    raise ApprovalError(
        f"GITHUB_API_URL must be an https URL (http only for a loopback host: 127.0.0.0/8, "
        f"::1, localhost); it is {shown}, so the approval cannot be verified.",
        fix="run apply inside a GitHub Actions job, where the runner sets GITHUB_API_URL "
        "(https://api.github.com, or your GitHub Enterprise Server's https API URL).",
    )


def _no_redirect_opener() -> urllib.request.OpenerDirector:
    # Imported here: only apply's approval check and the opt-in comment speak HTTP, and
    # urllib.request (with http.client) would add to every plan's start-up.
    import urllib.request  # noqa: PLC0415

    class _NoRedirect(urllib.request.HTTPRedirectHandler):
        # urllib would replay the Authorization header to wherever a redirect points.
        def redirect_request(self, *args: object, **kwargs: object) -> None:
            return None

    return urllib.request.build_opener(_NoRedirect)


def call(
    method: str,
    url: str,
    token: str,
    *,
    timeout: float,
    payload: object = None,
    content_type: str | None = None,
) -> bytes:
    """Send one request to `url` (under `api_base`) with the token; the answer's body.

    `payload`, when given, is sent as JSON. Raises `StatusError`, `UnreachableError` or
    `TooLargeError`; never follows a redirect."""
    import urllib.error  # noqa: PLC0415 - only apply and the comment speak HTTP
    import urllib.request  # noqa: PLC0415 - see _no_redirect_opener

    headers = {
        "Accept": "application/vnd.github+json",
        "Authorization": f"Bearer {token}",
        "X-GitHub-Api-Version": "2022-11-28",
        "User-Agent": f"refsync/{__version__}",
    }
    if content_type is not None:
        headers["Content-Type"] = content_type
    data = None if payload is None else json.dumps(payload).encode("utf-8")
    request = urllib.request.Request(  # noqa: S310 - api_base allows https (or loopback http)
        url, data=data, method=method, headers=headers
    )
    try:
        with _no_redirect_opener().open(request, timeout=timeout) as response:
            body: bytes = response.read(MAX_BODY + 1)
    except urllib.error.HTTPError as exc:
        raise StatusError(exc.code, _detail(exc)) from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise UnreachableError(getattr(exc, "reason", exc)) from None
    if len(body) > MAX_BODY:
        raise TooLargeError(f"more than {MAX_BODY} bytes")
    return body


def _detail(exc: urllib.error.HTTPError) -> str | None:
    """GitHub's `message` in an error answer (read, then the answer is closed)."""
    try:
        detail = json.loads(exc.read(64 * 1024)).get("message")
    except (ValueError, AttributeError, OSError):
        detail = None
    finally:
        exc.close()
    return detail if isinstance(detail, str) else None
