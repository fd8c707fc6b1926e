"""Apply's approval check: did a reviewer approve this run for a protected environment?

`verify_approval` asks GitHub's API (through `refsync.github_api`) for the run's review
history and the environment's protection rules, and fails closed: any error, timeout,
unexpected answer or missing field raises `ApprovalError` (exit 1) saying what was seen and
how to fix it. An approval counts only for an environment with required reviewers, and a
rejection anywhere in the history wins over any approval.
"""

from __future__ import annotations

import json
import re
import urllib.parse
from dataclasses import dataclass

from refsync.errors import ApprovalError
from refsync.github_api import (
    MAX_BODY,
    StatusError,
    TooLargeError,
    UnreachableError,
    api_base,
    call,
)

_REPOSITORY = re.compile(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+")


@dataclass(frozen=True)
class Approval:
    """A verified approval of this run for a protected environment."""

    environment: str
    approvers: tuple[str, ...]
    comments: tuple[str, ...]


_PERMISSIONS_FIX = (
    "give the apply job's token read access to Actions:\n"
    "permissions:\n  actions: read\n  contents: read"
)


def _protect_fix(environment: str) -> str:
    return (
        f"protect the environment `{environment}` with required reviewers "
        "(Settings > Environments > Required reviewers) and run apply in a job with\n"
        f"environment: {environment}"
    )


def _get_json(url: str, path: str, token: str, timeout: float, environment: str) -> object:
    try:
        body = call("GET", url, token, timeout=timeout)
    except StatusError as exc:
        raise _http_error(exc, path, environment) from None
    except UnreachableError as exc:
        raise ApprovalError(
            f"Could not reach the GitHub API for GET {path}: {exc.reason}. "
            "The approval cannot be verified, so nothing is applied.",
            fix="re-run the job; if it persists, check GITHUB_API_URL and the runner's network.",
        ) from None
    except TooLargeError:
        raise ApprovalError(
            f"GET {path} returned more than {MAX_BODY} bytes; not GitHub's API."
        ) from None
    try:
        return json.loads(body)
    except ValueError:
        raise ApprovalError(
            f"GET {path} did not return JSON, so the approval cannot be verified.",
            fix="re-run the job; if it persists, check that GITHUB_API_URL points at GitHub's API.",
        ) from None


def _http_error(exc: StatusError, path: str, environment: str) -> ApprovalError:
    detail = exc.detail
    seen = f"GET {path} answered HTTP {exc.status}" + (f" ({detail[:200]})" if detail else "")
    if exc.status == 401:
        return ApprovalError(
            f"{seen}: the github-token was not accepted.",
            fix="leave `github-token` at its default, ${{ github.token }}, or pass a valid token.",
        )
    if exc.status == 403:
        return ApprovalError(f"{seen}: the token may not read it.", fix=_PERMISSIONS_FIX)
    if exc.status == 404:
        return ApprovalError(
            f"{seen}: the repository, run or environment `{environment}` does not exist "
            "or the token cannot see it.",
            fix=_protect_fix(environment) + "\nand " + _PERMISSIONS_FIX,
        )
    if 300 <= exc.status < 400:
        return ApprovalError(
            f"{seen}: a redirect, which refsync does not follow with a token.",
            fix="check GITHUB_REPOSITORY and GITHUB_API_URL (was the repository renamed?).",
        )
    return ApprovalError(
        f"{seen}. The approval cannot be verified, so nothing is applied.",
        fix="re-run the job once GitHub's API answers again.",
    )


def _field(obj: object, key: str, path: str) -> object:
    if not isinstance(obj, dict) or key not in obj:
        raise ApprovalError(
            f"GET {path} returned JSON without the field `{key}` GitHub documents; "
            "the approval cannot be verified.",
            fix="re-run the job; if it persists, check that GITHUB_API_URL points at GitHub.",
        )
    return obj[key]


def _list(obj: object, what: str, path: str) -> list[object]:
    if not isinstance(obj, list):
        raise ApprovalError(
            f"GET {path} returned {type(obj).__name__} where GitHub documents a list of {what}; "
            "the approval cannot be verified.",
            fix="re-run the job; if it persists, check that GITHUB_API_URL points at GitHub.",
        )
    return obj


def _approvals(reviews: object, path: str, environment: str) -> Approval:
    """The approval of `environment` in the run's review history, or ApprovalError.

    Only the latest review state of the environment counts, and GitHub's documented entry
    (`environments`, `state`, `user`, `comment`) carries no time or id, nor does the
    endpoint document an order. So a rejection (or any state but `approved` and `pending`,
    a comment without a decision) anywhere in the history of the environment wins: an
    approval followed by a rejection is not an approval, and neither, failing closed, is a
    rejection followed by an approval."""
    wanted = environment.casefold()
    approvers: list[str] = []
    comments: list[str] = []
    refusals: list[str] = []
    seen: list[str] = []
    for review in _list(reviews, "reviews", path):
        state = _field(review, "state", path)
        names = [
            str(_field(env, "name", path))
            for env in _list(_field(review, "environments", path), "environments", path)
        ]
        seen.append(f"{state} for {', '.join(names) or 'no environment'}")
        # GitHub environment names are case-insensitive.
        if wanted not in (n.casefold() for n in names) or state == "pending":
            continue
        login = str(_field(_field(review, "user", path), "login", path))
        if state != "approved":
            refusals.append(f"{state} by {login}")
            continue
        approvers.append(login)
        comment = review.get("comment") if isinstance(review, dict) else None
        if isinstance(comment, str) and comment.strip():
            comments.append(comment.strip())
    history = "; ".join(seen) if seen else "no review at all (nobody approved this run)"
    if refusals:
        raise ApprovalError(
            f"This run was not approved for the environment `{environment}`: it was "
            + ", ".join(refusals)
            + (f", besides approved by {', '.join(approvers)}" if approvers else "")
            + ". GitHub's review history gives no order, so a rejection is never outweighed "
            f"by an approval. Review history of the run: {history}.",
            fix="start a new run of the workflow (not a re-run of this one) and have it "
            "approved; " + _protect_fix(environment),
        )
    if not approvers:
        raise ApprovalError(
            f"This run has no approval for the environment `{environment}`. "
            f"Review history of the run: {history}.",
            fix=_protect_fix(environment),
        )
    return Approval(
        environment=environment,
        approvers=tuple(dict.fromkeys(approvers)),
        comments=tuple(comments),
    )


def _require_reviewers(env_doc: object, path: str, environment: str) -> None:
    rules = _list(_field(env_doc, "protection_rules", path), "protection rules", path)
    types = [str(_field(rule, "type", path)) for rule in rules]
    for rule in rules:
        if _field(rule, "type", path) != "required_reviewers":
            continue
        # A rule must name who reviews: a missing or empty list fails closed (SPEC 4.6).
        reviewers = rule.get("reviewers") if isinstance(rule, dict) else None
        if isinstance(reviewers, list) and reviewers:
            return
    shown = ", ".join(types) if types else "none"
    raise ApprovalError(
        f"The environment `{environment}` has no required reviewers "
        f"(protection rules seen: {shown}), so an approval proves nothing.",
        fix=_protect_fix(environment),
    )


def verify_approval(
    *,
    api_url: str,
    repository: str,
    run_id: str,
    token: str,
    environment: str,
    timeout: float = 10.0,
) -> Approval:
    """Verify through the GitHub API that this run was approved for a protected environment.

    Fails closed: any error, timeout, unexpected answer or missing field raises
    `ApprovalError` (exit 1) saying what was seen and how to fix it.
    """
    base = api_base(api_url)
    if not _REPOSITORY.fullmatch(repository) or not run_id.isdigit():
        raise ApprovalError(
            "GITHUB_REPOSITORY or GITHUB_RUN_ID is missing or malformed, "
            "so the approval cannot be verified.",
            fix="run apply inside a GitHub Actions job, where the runner sets both.",
        )
    if not token:
        raise ApprovalError(
            "No github-token, so the approval cannot be verified.",
            fix="with:\n  github-token: ${{ github.token }}",
        )
    if not environment.strip():
        raise ApprovalError(
            "approval-environment is empty.", fix="with:\n  approval-environment: production"
        )
    reviews_path = f"/repos/{repository}/actions/runs/{run_id}/approvals"
    approval = _approvals(
        _get_json(base + reviews_path, reviews_path, token, timeout, environment),
        reviews_path,
        environment,
    )
    quoted = urllib.parse.quote(environment, safe="")
    environment_path = f"/repos/{repository}/environments/{quoted}"
    _require_reviewers(
        _get_json(base + environment_path, environment_path, token, timeout, environment),
        environment_path,
        environment,
    )
    return approval
