"""The approval check (SPEC 4.6) against a real local HTTP fake of GitHub's API, and through
the entrypoint for what must fail before any connection."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from devtools.fake_github import SCENARIOS, FakeGitHub, Scenario
from devtools.pgserver import StatementLog
from devtools.runner import run_entrypoint
from refsync.approval import Approval, verify_approval
from refsync.errors import ApprovalError
from tests.fixtures.faults import closed_port, plan_inputs
from tests.fixtures.pg import DbPair

#: Scenarios that verify, with the approvers they name.
PASSING: dict[Scenario, tuple[str, ...]] = {
    "approved": ("alice",),
    "approved-with-comment": ("alice",),
    "rejected-elsewhere": ("alice",),
}
FAILING: dict[Scenario, str] = {
    "rejected": "rejected for production",
    "approved-then-rejected": "it was rejected by mallory, besides approved by alice",
    "rejected-then-approved": "it was rejected by mallory, besides approved by alice",
    "pending": "no review at all",
    "other-environment": "approved for staging",
    "no-required-reviewers": "no required reviewers",
    "empty-reviewers": "no required reviewers",
    "environment-missing": "HTTP 404",
    "status-401": "HTTP 401",
    "status-403": "HTTP 403",
    "status-404": "HTTP 404",
    "status-500": "HTTP 500",
    "slow": "Could not reach the GitHub API",
    "malformed-json": "did not return JSON",
    "wrong-shape": "documents a list",
    "missing-field": "`environments`",
}


def verify(fake: FakeGitHub, **overrides: str | float) -> Approval:
    args: dict[str, str | float] = {
        "api_url": fake.url,
        "repository": fake.repository,
        "run_id": fake.run_id,
        "token": fake.token,
        "environment": fake.environment,
        "timeout": 0.5,
    }
    args.update(overrides)
    return verify_approval(**args)  # type: ignore[arg-type]


def test_every_scenario_is_covered() -> None:
    """Each scenario of the fake is exercised: the approved ones pass, every other fails."""
    assert set(SCENARIOS) == {*PASSING, *FAILING}


@pytest.mark.parametrize("scenario", ["approved-with-comment", "rejected-elsewhere"])
def test_only_a_decision_on_this_environment_counts(scenario: Scenario) -> None:
    """A comment without a decision, or a rejection of another environment, leaves the
    approval standing; the same rejection of this environment refuses."""
    with FakeGitHub(scenario=scenario) as fake:
        assert verify(fake).approvers == PASSING[scenario]
    with FakeGitHub(scenario="approved-then-rejected") as fake, pytest.raises(ApprovalError):
        verify(fake)


@pytest.mark.parametrize("scenario", ["approved-then-rejected", "rejected-then-approved"])
def test_a_rejection_of_the_environment_is_never_outweighed(scenario: Scenario) -> None:
    """An approval followed by a rejection of the same environment is not an approval; nor,
    since GitHub documents no order or time for review entries, is a rejection followed by an
    approval (fails closed). The fix says to start a new run."""
    with FakeGitHub(scenario=scenario) as fake, pytest.raises(ApprovalError) as info:
        verify(fake)
    assert "was not approved for the environment `production`" in info.value.message
    assert "start a new run" in str(info.value.fix)


@pytest.mark.parametrize(
    "api_url",
    [
        # Only names that never resolve (.invalid) or loopback: if the check were missing,
        # no request would leave this machine.
        "http://api.github.invalid",
        "http://127.0.0.1.invalid",
        "http://localhost.invalid",
        "http://127.0.0.1@api.github.invalid",
        "http://[::ffff:7f00:1]",
        "ftp://127.0.0.1",
        "https://",
    ],
)
def test_api_url_must_be_https_unless_loopback(api_url: str) -> None:
    """GITHUB_API_URL over plain http to anything but a loopback host (or not http(s) at
    all) fails closed before any request, naming the variable: the token and the answer
    that decides an apply never cross a network in clear."""
    with FakeGitHub() as fake:
        with pytest.raises(ApprovalError, match="GITHUB_API_URL must be an https URL"):
            verify(fake, api_url=api_url)
        assert fake.requests == []


@pytest.mark.parametrize(
    ("host", "lookalike"), [("127.5.6.7", "127.5.6.7.invalid"), ("[::1]", "ip6-localhost.invalid")]
)
def test_http_to_any_loopback_address_passes_the_scheme_check(host: str, lookalike: str) -> None:
    """Any address of 127.0.0.0/8, and ::1, passes the scheme check (nothing listens there,
    so the check then fails closed for want of an answer); a name that only looks like one
    does not."""
    port = closed_port()
    args = {"repository": "o/r", "run_id": "1", "token": "t", "environment": "production"}
    with pytest.raises(ApprovalError, match="Could not reach the GitHub API"):
        verify_approval(api_url=f"http://{host}:{port}", timeout=0.5, **args)
    with pytest.raises(ApprovalError, match="GITHUB_API_URL must be an https URL"):
        verify_approval(api_url=f"http://{lookalike}:{port}", timeout=0.5, **args)


def test_plain_http_api_url_refuses_apply_before_connecting(
    dbpair: DbPair, statement_log: StatementLog, tmp_path: Path
) -> None:
    """Through the entrypoint, an apply with GITHUB_API_URL on plain http to a remote host
    exits 1 naming the variable, before any database session."""
    mark = statement_log.mark()
    inputs = plan_inputs(
        dbpair, mode="apply", **{"approved-plan-digest": "0" * 64, "github-token": "ghs_test-token"}
    )
    result = run_entrypoint(tmp_path, inputs, extra={"GITHUB_API_URL": "http://api.github.invalid"})
    assert result.returncode == 1, result.stderr + result.stdout
    assert "GITHUB_API_URL must be an https URL" in result.stderr
    roles = {dbpair.dev_role, dbpair.prod_role}
    assert [e for e in statement_log.since(mark) if e.user in roles] == []


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "LOCALHOST"])
def test_http_to_a_loopback_host_is_allowed(host: str) -> None:
    """http is accepted for a loopback host (127.0.0.0/8, ::1, localhost), a local fake,
    and refused for the same name under another domain, before any request."""
    with FakeGitHub() as fake:
        assert verify(fake, api_url=fake.url.replace("127.0.0.1", host)).approvers == ("alice",)
        lookalike = fake.url.replace("127.0.0.1", f"{host}.invalid")
        with pytest.raises(ApprovalError, match="GITHUB_API_URL must be an https URL"):
            verify(fake, api_url=lookalike)
    assert len(fake.requests) == 2  # the two of the loopback run


def test_approved_with_required_reviewers_passes() -> None:
    """Only an approval for the right, protected environment passes, with approvers listed."""
    with FakeGitHub(scenario="approved", approvers=("alice", "bob")) as fake:
        approval = verify(fake)
    assert approval == Approval(
        environment="production",
        approvers=("alice", "bob"),
        comments=("Reviewed the plan (alice)", "Reviewed the plan (bob)"),
    )


def test_token_and_headers_are_sent() -> None:
    """Both endpoints are called with the bearer token and GitHub's documented headers."""
    with FakeGitHub(scenario="approved") as fake:
        verify(fake)
    assert [r.path for r in fake.requests] == [
        "/repos/octo-org/app/actions/runs/4242/approvals",
        "/repos/octo-org/app/environments/production",
    ]
    for request in fake.requests:
        assert request.authorized
        assert request.headers["accept"] == "application/vnd.github+json"
        assert request.headers["x-github-api-version"] == "2022-11-28"
        assert request.headers["user-agent"].startswith("refsync/")
        assert fake.token not in str(request.headers)


def test_environment_name_is_url_quoted() -> None:
    """An environment name with spaces or slashes is quoted into one path segment."""
    with FakeGitHub(scenario="approved", environment="prod eu/1") as fake:
        assert verify(fake).environment == "prod eu/1"
    assert fake.requests[1].path == "/repos/octo-org/app/environments/prod%20eu%2F1"


def test_environment_name_matches_case_insensitively() -> None:
    """GitHub environment names are case-insensitive, so `Production` matches."""
    with FakeGitHub(scenario="approved") as fake:
        assert verify(fake, environment="Production").approvers == ("alice",)


@pytest.mark.parametrize("scenario", sorted(FAILING))
def test_every_other_scenario_fails_closed(scenario: Scenario) -> None:
    """Any answer but an approval for a protected environment raises ApprovalError (exit 1)."""
    with FakeGitHub(scenario=scenario, delay=2.0) as fake:
        start = time.monotonic()
        with pytest.raises(ApprovalError) as info:
            verify(fake)
        elapsed = time.monotonic() - start
    err = info.value
    assert err.exit_code == 1
    assert FAILING[scenario] in err.message
    assert err.fix
    assert fake.token not in str(err)
    assert elapsed < 1.9  # the slow scenario is cut by the client timeout


@pytest.mark.parametrize(
    ("scenario", "fix"),
    [
        ("rejected", "environment: production"),
        ("no-required-reviewers", "Required reviewers"),
        ("status-403", "actions: read"),
        ("status-401", "${{ github.token }}"),
    ],
)
def test_fix_says_what_to_do(scenario: Scenario, fix: str) -> None:
    """The error's fix names the YAML or setting that resolves it."""
    with FakeGitHub(scenario=scenario) as fake, pytest.raises(ApprovalError) as info:
        verify(fake)
    assert fix in str(info.value.fix)


def test_wrong_token_is_rejected() -> None:
    """A token GitHub does not accept fails with 401 and the token is not echoed."""
    with FakeGitHub(scenario="approved") as fake, pytest.raises(ApprovalError) as info:
        verify(fake, token="ghs_wrong-token")
    assert "HTTP 401" in info.value.message
    assert "ghs_wrong-token" not in str(info.value)
    assert not fake.requests[0].authorized


def test_connection_refused_fails_closed() -> None:
    """An API that is not listening fails closed instead of passing."""
    with FakeGitHub() as fake:
        url = fake.url  # the port is free again once the fake has stopped
    with pytest.raises(ApprovalError, match="Could not reach"):
        verify_approval(
            api_url=url, repository="o/r", run_id="1", token="t", environment="production"
        )


@pytest.mark.parametrize(
    ("field", "value", "match"),
    [
        ("api_url", "", "GITHUB_API_URL"),
        ("api_url", "file:///etc/passwd", "GITHUB_API_URL"),
        ("repository", "", "GITHUB_REPOSITORY"),
        ("repository", "o/r/../x", "GITHUB_REPOSITORY"),
        ("run_id", "12a", "GITHUB_RUN_ID"),
        ("token", "", "github-token"),
        ("environment", " ", "approval-environment"),
    ],
)
def test_missing_context_fails_before_any_request(field: str, value: str, match: str) -> None:
    """Without the runner's context the check fails closed and sends nothing."""
    with FakeGitHub() as fake:
        with pytest.raises(ApprovalError, match=match):
            verify(fake, **{field: value})
        assert fake.requests == []


def test_fake_environ_for_the_demo() -> None:
    """`FakeGitHub.environ()` gives the entrypoint everything it needs for an approved run."""
    with FakeGitHub(scenario="approved", approvers=("alice",)) as fake:
        env = fake.environ()
        approval = verify_approval(
            api_url=env["GITHUB_API_URL"],
            repository=env["GITHUB_REPOSITORY"],
            run_id=env["GITHUB_RUN_ID"],
            token=env["INPUT_GITHUB-TOKEN"],
            environment=env["INPUT_APPROVAL-ENVIRONMENT"],
        )
    assert approval.approvers == ("alice",)
