"""The plan as one pull-request comment, updated in place on every push (opt-in).

With the input `pr-comment: true`, a run triggered by a `pull_request` (or
`pull_request_target`) event posts the job summary as a comment on that pull request, or
edits the comment an earlier run of the same workflow and job posted. The comment is found
by a hidden marker (a hash of the workflow and job names, so no name can break out of the
HTML comment) and must have been written by a bot, so a person's comment that quotes the
marker is never overwritten. It needs only `pull-requests: write` and uses GitHub's
documented issue-comment endpoints (list, create, update).

It never fails the run: outside a pull request, for a pull request from a fork (whose token
cannot write), or when the API refuses, it says why in one line and the plan stands.
"""

from __future__ import annotations

import hashlib
import json
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from refsync.errors import ApprovalError
from refsync.github_api import StatusError, TooLargeError, UnreachableError, api_base, call

#: GitHub refuses a comment body over 65,536 characters.
COMMENT_LIMIT = 65_536
#: Pages of 100 comments read to find the earlier comment; a longer thread gets a new one.
MAX_PAGES = 30
_EVENTS = ("pull_request", "pull_request_target")
_TIMEOUT = 10.0
_JSON = "application/json"


@dataclass(frozen=True)
class Target:
    api: str
    repository: str
    number: int
    marker: str


def marker(workflow: str, job: str) -> str:
    """The hidden line that identifies this workflow's and job's comment."""
    digest = hashlib.sha256(f"{workflow}\0{job}".encode()).hexdigest()[:16]
    return f"<!-- refsync-plan {digest} -->"


def target(env: Mapping[str, str]) -> Target | str:
    """Where to comment, or why not to (a sentence for the log)."""
    event = env.get("GITHUB_EVENT_NAME", "")
    if event not in _EVENTS:
        return f"not a pull request event ({event or 'none'}); no comment posted"
    try:
        payload = json.loads(Path(env.get("GITHUB_EVENT_PATH", "")).read_text("utf-8"))
        pull = payload["pull_request"]
        number = int(pull["number"])
        head = pull["head"]["repo"]["full_name"] if pull["head"].get("repo") else ""
    except (OSError, ValueError, KeyError, TypeError):
        return "the pull request event payload is unreadable; no comment posted"
    repository = env.get("GITHUB_REPOSITORY", "")
    if head != repository:
        return (
            "the pull request comes from a fork, whose token cannot write comments; "
            "no comment posted (the plan is in the job summary)"
        )
    try:
        api = api_base(env.get("GITHUB_API_URL", ""))
    except ApprovalError:
        return "GITHUB_API_URL is not an https URL; no comment posted"
    return Target(
        api, repository, number, marker(env.get("GITHUB_WORKFLOW", ""), env.get("GITHUB_JOB", ""))
    )


def body(summary: str, mark: str, run_url: str) -> str:
    """The comment: the marker and the summary, or, for a summary too long for a comment,
    its head (title, identities, digest and counts: everything before the first table
    section) and where the rest is."""
    full = f"{mark}\n{summary}"
    if len(full) <= COMMENT_LIMIT:
        return full
    head = summary.split("\n### ", 1)[0]
    note = (
        f"\n\nThe full plan is too long for a comment ({len(summary):,} characters): it is "
        f"in the [job summary]({run_url}) and the plan file artifact of that run.\n"
    )
    if len(mark) + 1 + len(head) + len(note) > COMMENT_LIMIT:
        head = head.split("\n", 1)[0]  # the title alone; never half an escape
    return f"{mark}\n{head}{note}"


def post(env: Mapping[str, str], token: str, summary: str) -> str:
    """Create or update the comment; a one-line result for the log (never raises)."""
    try:
        return _post(env, token, summary)
    except Exception as exc:  # noqa: BLE001 - an opt-in comment never fails the plan
        return f"could not post the plan comment ({type(exc).__name__}); the plan stands"


def _post(env: Mapping[str, str], token: str, summary: str) -> str:
    where = target(env)
    if isinstance(where, str):
        return where
    server = env.get("GITHUB_SERVER_URL", "https://github.com").rstrip("/")
    run_url = f"{server}/{where.repository}/actions/runs/{env.get('GITHUB_RUN_ID', '')}"
    text = body(summary, where.marker, run_url)
    repo = urllib.parse.quote(where.repository, safe="/")
    try:
        existing = _find(where, repo, token)
        if existing is None:
            path = f"/repos/{repo}/issues/{where.number}/comments"
            _call("POST", where.api + path, token, {"body": text})
            return f"posted the plan as a comment on pull request #{where.number}"
        path = f"/repos/{repo}/issues/comments/{existing}"
        _call("PATCH", where.api + path, token, {"body": text})
        return f"updated the plan comment on pull request #{where.number}"
    except _ApiError as exc:
        return (
            f"could not post the plan comment on pull request #{where.number}: {exc} "
            "(the job needs `permissions: pull-requests: write`); the plan stands"
        )


class _ApiError(Exception):
    pass


def _find(where: Target, repo: str, token: str) -> int | None:
    """The id of the bot comment carrying the marker, if an earlier run posted one."""
    for page in range(1, MAX_PAGES + 1):
        url = f"{where.api}/repos/{repo}/issues/{where.number}/comments?per_page=100&page={page}"
        comments = _call("GET", url, token)
        if not isinstance(comments, list):
            raise _ApiError("the comment list is not a list")
        for comment in comments:
            if not isinstance(comment, dict):
                continue
            user = comment.get("user") or {}
            text = comment.get("body") or ""
            if (
                isinstance(text, str)
                and text.startswith(where.marker)
                and isinstance(user, dict)
                and user.get("type") == "Bot"
                and isinstance(comment.get("id"), int)
            ):
                return int(comment["id"])
        if len(comments) < 100:
            return None
    return None


def _call(method: str, url: str, token: str, payload: object = None) -> object:
    # Every call is sent as JSON; an empty answer is None.
    try:
        raw = call(method, url, token, timeout=_TIMEOUT, payload=payload, content_type=_JSON)
    except StatusError as exc:
        raise _ApiError(f"{method} answered HTTP {exc.status}") from None
    except UnreachableError as exc:
        raise _ApiError(f"{method} failed: {exc.reason}") from None
    except TooLargeError:
        # Longer than anything GitHub answers here; cut off there, it would not parse either.
        raise _ApiError(f"{method} did not answer JSON") from None
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        raise _ApiError(f"{method} did not answer JSON") from None
