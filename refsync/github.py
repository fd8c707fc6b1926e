"""Everything GitHub-specific: action inputs, workflow commands, file commands, approvals.

Stdlib only, so the container needs nothing else to talk to the runner or the API, except
`refsync.secrets` (database URLs are checked with libpq's own parser) and `refsync.escape`.
The rest of refsync never reads an ``INPUT_*`` variable, writes ``::command::`` lines or
calls the GitHub API directly: it goes through this module.
"""

from __future__ import annotations

import ipaddress
import json
import re
import urllib.parse
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal, TextIO

from refsync import __version__
from refsync.errors import ApprovalError, UsageError
from refsync.escape import LineGate, command_data, command_property, visible
from refsync.secrets import check_database_url

if TYPE_CHECKING:
    import urllib.error
    import urllib.request

Mode = Literal["dry-run", "apply"]

#: The action's inputs, as named in action.yml. `read_inputs` reads exactly these.
INPUT_NAMES: tuple[str, ...] = (
    "mode",
    "dev-database-url",
    "prod-database-url",
    "config",
    "approved-plan-digest",
    "approval-environment",
    "github-token",
    "pr-comment",
)

#: Inputs whose values are secrets: masked before anything else is printed.
SECRET_INPUTS: tuple[str, ...] = ("dev-database-url", "prod-database-url", "github-token")

_DIGEST = re.compile(r"[0-9a-f]{64}")
_REPOSITORY = re.compile(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+")
#: The API never answers these two endpoints with more; anything larger is not GitHub.
_MAX_BODY = 4 * 1024 * 1024


@dataclass(frozen=True)
class Inputs:
    """The action's inputs, validated."""

    mode: Mode
    dev_database_url: str
    prod_database_url: str
    config: str | None
    approved_plan_digest: str | None
    approval_environment: str
    github_token: str | None
    #: post the summary as one pull-request comment, updated in place
    pr_comment: bool = False


def input_env_names(name: str) -> tuple[str, str]:
    """Return the two variable names an input may arrive in: the runner's, then `_` form."""
    upper = name.upper()
    return f"INPUT_{upper}", f"INPUT_{upper.replace('-', '_')}"


def _raw_input(env: Mapping[str, str], name: str) -> str | None:
    # The runner sets every declared input, empty when the workflow gave none, so an
    # empty value means "not given" and the underscore spelling is still consulted.
    for key in input_env_names(name):
        value = env.get(key, "").strip()
        if value:
            return value
    return None


def _usage(input_name: str, problem: str, yaml: str) -> UsageError:
    return UsageError(
        f"Input `{input_name}` {problem}",
        fix=f"set it in the step that uses refsync:\n{yaml}",
    )


def read_inputs(env: Mapping[str, str]) -> Inputs:
    """Read and validate the action's inputs from the environment the runner set.

    Raises `UsageError` (exit 2) naming the input and the YAML that fixes it. Messages
    never contain a database URL, a password or the token.
    """
    mode = (_raw_input(env, "mode") or "dry-run").lower()
    if mode not in ("dry-run", "apply"):
        raise _usage(
            "mode",
            "must be `dry-run` or `apply`.",
            "with:\n  mode: dry-run   # or: apply, in the approved job",
        )
    dev_url = check_database_url(
        "dev-database-url", _raw_input(env, "dev-database-url"), "DEV_DATABASE_URL"
    )
    prod_url = check_database_url(
        "prod-database-url", _raw_input(env, "prod-database-url"), "PROD_DATABASE_URL"
    )
    environment = _raw_input(env, "approval-environment")
    if environment is None:
        # The runner fills in the default, so a variable that is set but blank was
        # explicitly emptied: refuse rather than silently check another environment.
        if any(k in env for k in input_env_names("approval-environment")):
            raise _usage(
                "approval-environment",
                "is empty; it must name the protected environment apply runs in.",
                "with:\n  approval-environment: production",
            )
        environment = "production"
    digest = _raw_input(env, "approved-plan-digest")
    digest_yaml = "with:\n  approved-plan-digest: ${{ needs.plan.outputs.plan-digest }}"
    if digest is not None and not _DIGEST.fullmatch(digest):
        raise _usage(
            "approved-plan-digest",
            "must be the 64 lowercase hexadecimal characters the plan job printed "
            "as its `plan-digest` output.",
            digest_yaml,
        )
    if mode == "apply" and digest is None:
        raise _usage(
            "approved-plan-digest",
            "is required when `mode` is `apply`: apply only writes the plan that was reviewed.",
            digest_yaml,
        )
    token = _raw_input(env, "github-token")
    if mode == "apply" and token is None:
        raise _usage(
            "github-token",
            "is required when `mode` is `apply`: it is used to verify the approval.",
            "with:\n  github-token: ${{ github.token }}   # the default; needs `actions: read`",
        )
    pr_comment = (_raw_input(env, "pr-comment") or "false").lower()
    if pr_comment not in ("true", "false"):
        raise _usage(
            "pr-comment",
            "must be `true` or `false`.",
            "with:\n  pr-comment: true   # needs `permissions: pull-requests: write`",
        )
    return Inputs(
        mode="apply" if mode == "apply" else "dry-run",
        dev_database_url=dev_url,
        prod_database_url=prod_url,
        config=_raw_input(env, "config"),
        approved_plan_digest=digest,
        approval_environment=environment,
        github_token=token,
        pr_comment=pr_comment == "true",
    )


def secret_input_values(env: Mapping[str, str]) -> list[str]:
    """The raw values of every secret input, in both spellings, before any validation."""
    values = (env.get(var, "").strip() for n in SECRET_INPUTS for var in input_env_names(n))
    return [v for v in values if v]


class Workflow:
    """Writes workflow commands (masks, annotations, groups) to an injected stream.

    `console` is the same stream behind a `refsync.escape.LineGate`: everything else
    refsync prints goes through it, so only the command lines written here can be commands.
    """

    def __init__(self, stream: TextIO) -> None:
        self.console = LineGate(stream)

    def command(self, name: str, message: str = "", **properties: str | None) -> None:
        """Write one `::name props::message` line; data cannot leave its line."""
        props = ",".join(
            f"{key}={command_property(visible(value))}"
            for key, value in properties.items()
            if value
        )
        head = f"::{name} {props}::" if props else f"::{name}::"
        self.console.command_line(f"{head}{command_data(message)}")

    def mask(self, value: str) -> None:
        """Mask a secret in the rest of the log; a multi-line value is masked per line."""
        for line in value.splitlines():
            if line.strip():
                self.command("add-mask", line)

    def _annotate(self, kind: str, message: str, title: str | None) -> None:
        # Newlines stay (as %0A: a multi-line message with its fix); other control
        # characters of data show instead of acting in the annotation.
        self.command(kind, visible(message, keep="\n"), title=title)

    def warning(self, message: str, title: str | None = None) -> None:
        """Write a warning annotation."""
        self._annotate("warning", message, title)

    def error(self, message: str, title: str | None = None) -> None:
        """Write an error annotation."""
        self._annotate("error", message, title)

    def notice(self, message: str, title: str | None = None) -> None:
        """Write a notice annotation."""
        self._annotate("notice", message, title)

    @contextmanager
    def group(self, title: str) -> Iterator[None]:
        """Fold what is printed inside into one collapsible log group."""
        self.command("group", visible(title))
        try:
            yield
        finally:
            self.command("endgroup")


def env_path(env: Mapping[str, str], name: str) -> Path | None:
    """Return the file-command path in `name` (e.g. GITHUB_OUTPUT), or None when unset."""
    value = env.get(name, "").strip()
    return Path(value) if value else None


def write_outputs(path: Path | None, outputs: Mapping[str, str]) -> None:
    """Append step outputs to $GITHUB_OUTPUT; a multi-line value uses a random delimiter."""
    if path is None:
        return
    lines: list[str] = []
    for key, value in outputs.items():
        if not key or any(c in key for c in "=<\r\n"):
            raise ValueError(f"invalid output name {key!r}")
        if "\n" in value or "\r" in value:
            delimiter = f"ghadelimiter_{uuid.uuid4()}"
            lines.append(f"{key}<<{delimiter}\n{value}\n{delimiter}\n")
        else:
            lines.append(f"{key}={value}\n")
    with path.open("a", encoding="utf-8") as fh:
        fh.write("".join(lines))


def append_summary(path: Path | None, markdown: str) -> None:
    """Append Markdown to the job summary ($GITHUB_STEP_SUMMARY); no-op outside a job."""
    if path is None:
        return
    with path.open("a", encoding="utf-8") as fh:
        fh.write(markdown if markdown.endswith("\n") else markdown + "\n")


@dataclass(frozen=True)
class Approval:
    """A verified approval of this run for a protected environment."""

    environment: str
    approvers: tuple[str, ...]
    comments: tuple[str, ...]


def no_redirect_opener() -> urllib.request.OpenerDirector:
    # Imported here: only apply's approval check speaks HTTP, and urllib.request (with
    # http.client) would add to every plan's start-up.
    import urllib.request  # noqa: PLC0415

    class _NoRedirect(urllib.request.HTTPRedirectHandler):
        # urllib would replay the Authorization header to wherever a redirect points.
        def redirect_request(self, *args: object, **kwargs: object) -> None:
            return None

    return urllib.request.build_opener(_NoRedirect)


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
    import urllib.error  # noqa: PLC0415 - only apply speaks HTTP; see no_redirect_opener
    import urllib.request  # noqa: PLC0415 - only apply speaks HTTP; see no_redirect_opener

    request = urllib.request.Request(  # noqa: S310 - scheme checked by verify_approval
        url,
        headers={
            "Accept": "application/vnd.github+json",
            "Authorization": f"Bearer {token}",
            "X-GitHub-Api-Version": "2022-11-28",
            "User-Agent": f"refsync/{__version__}",
        },
    )
    opener = no_redirect_opener()
    try:
        with opener.open(request, timeout=timeout) as response:
            body = response.read(_MAX_BODY + 1)
    except urllib.error.HTTPError as exc:
        raise _http_error(exc, path, environment) from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise ApprovalError(
            f"Could not reach the GitHub API for GET {path}: {reason}. "
            "The approval cannot be verified, so nothing is applied.",
            fix="re-run the job; if it persists, check GITHUB_API_URL and the runner's network.",
        ) from None
    if len(body) > _MAX_BODY:
        raise ApprovalError(f"GET {path} returned more than {_MAX_BODY} bytes; not GitHub's API.")
    try:
        return json.loads(body)
    except ValueError:
        raise ApprovalError(
            f"GET {path} did not return JSON, so the approval cannot be verified.",
            fix="re-run the job; if it persists, check that GITHUB_API_URL points at GitHub's API.",
        ) from None


def _http_error(exc: urllib.error.HTTPError, path: str, environment: str) -> ApprovalError:
    try:
        detail = json.loads(exc.read(64 * 1024)).get("message")
    except (ValueError, AttributeError, OSError):
        detail = None
    finally:
        exc.close()
    if not isinstance(detail, str):
        detail = None
    seen = f"GET {path} answered HTTP {exc.code}" + (f" ({detail[:200]})" if detail else "")
    if exc.code == 401:
        return ApprovalError(
            f"{seen}: the github-token was not accepted.",
            fix="leave `github-token` at its default, ${{ github.token }}, or pass a valid token.",
        )
    if exc.code == 403:
        return ApprovalError(f"{seen}: the token may not read it.", fix=_PERMISSIONS_FIX)
    if exc.code == 404:
        return ApprovalError(
            f"{seen}: the repository, run or environment `{environment}` does not exist "
            "or the token cannot see it.",
            fix=_protect_fix(environment) + "\nand " + _PERMISSIONS_FIX,
        )
    if 300 <= exc.code < 400:
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
    env_path_ = f"/repos/{repository}/environments/{urllib.parse.quote(environment, safe='')}"
    _require_reviewers(
        _get_json(base + env_path_, env_path_, token, timeout, environment),
        env_path_,
        environment,
    )
    return approval
