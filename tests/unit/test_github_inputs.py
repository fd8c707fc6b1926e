"""Action inputs (refsync.inputs), workflow commands and file commands (refsync.runner)."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from refsync.errors import UsageError
from refsync.escape import command_data, command_property
from refsync.inputs import INPUT_NAMES, Inputs, read_inputs, secret_input_values
from refsync.runner import Workflow, append_summary, write_outputs
from refsync.secrets import raw_secrets

DEV = "postgresql://dev_user:dev%40secret@dev-db.internal:5432/app_dev"
PROD = "postgres://prod_user:pr0d-secret@prod-db.internal/app"
DIGEST = "a" * 64
TOKEN = "ghs_token-value"
#: Each URL's password (raw and decoded), its raw userinfo (between :// and the last @), the
#: URL itself, and the token.
SECRETS = (
    "dev%40secret",
    "dev@secret",
    "dev_user:dev%40secret",
    "pr0d-secret",
    "prod_user:pr0d-secret",
    TOKEN,
    DEV,
    PROD,
)


def runner_env(**inputs: str) -> dict[str, str]:
    """The environment as the runner sets it: every input, `INPUT_` + upper-case, hyphens."""
    values = {
        "mode": "dry-run",
        "dev-database-url": DEV,
        "prod-database-url": PROD,
        "config": "",
        "approved-plan-digest": "",
        "approval-environment": "production",
        "github-token": TOKEN,
    }
    values.update({k.replace("_", "-"): v for k, v in inputs.items()})
    return {f"INPUT_{k.upper()}": v for k, v in values.items()}


def assert_usage_error(env: dict[str, str], input_name: str) -> UsageError:
    with pytest.raises(UsageError) as info:
        read_inputs(env)
    err = info.value
    assert err.exit_code == 2
    assert f"`{input_name}`" in err.message
    assert err.fix is not None
    assert "with:" in err.fix
    for secret in SECRETS:
        assert secret not in str(err)
    return err


def test_runner_form_is_read() -> None:
    """Inputs arrive as INPUT_<NAME> with hyphens kept, as the runner sets them."""
    inputs = read_inputs(runner_env())
    assert inputs == Inputs(
        mode="dry-run",
        dev_database_url=DEV,
        prod_database_url=PROD,
        config=None,
        approved_plan_digest=None,
        approval_environment="production",
        github_token=TOKEN,
    )


def test_underscore_form_is_read() -> None:
    """The INPUT_DEV_DATABASE_URL spelling is accepted when the hyphen form is absent."""
    env = {
        "INPUT_MODE": "apply",
        "INPUT_DEV_DATABASE_URL": DEV,
        "INPUT_PROD_DATABASE_URL": PROD,
        "INPUT_APPROVED_PLAN_DIGEST": DIGEST,
        "INPUT_APPROVAL_ENVIRONMENT": "prod-eu",
        "INPUT_GITHUB_TOKEN": TOKEN,
        "INPUT_CONFIG": "refsync.yml",
    }
    inputs = read_inputs(env)
    assert inputs.mode == "apply"
    assert inputs.dev_database_url == DEV
    assert inputs.approved_plan_digest == DIGEST
    assert inputs.approval_environment == "prod-eu"
    assert inputs.config == "refsync.yml"


def test_empty_hyphen_form_falls_back_to_underscore() -> None:
    """An empty hyphen-form variable does not hide a set underscore-form one."""
    env = runner_env(dev_database_url="")
    env["INPUT_DEV_DATABASE_URL"] = DEV
    assert read_inputs(env).dev_database_url == DEV


def test_defaults_when_only_urls_given() -> None:
    """Mode defaults to dry-run and the approval environment to production (SPEC 4.1)."""
    inputs = read_inputs({"INPUT_DEV-DATABASE-URL": DEV, "INPUT_PROD-DATABASE-URL": PROD})
    assert inputs.mode == "dry-run"
    assert inputs.approval_environment == "production"
    assert inputs.config is None
    assert inputs.github_token is None
    assert inputs.approved_plan_digest is None


def test_whitespace_is_stripped() -> None:
    """Values pasted with surrounding whitespace or a trailing newline are stripped."""
    inputs = read_inputs(runner_env(mode=" apply\n", approved_plan_digest=f"{DIGEST}\n"))
    assert inputs.mode == "apply"
    assert inputs.approved_plan_digest == DIGEST


def test_url_with_socket_host_in_query_is_accepted() -> None:
    """A libpq URL naming its host and database in the query string is valid."""
    url = "postgresql:///?host=/var/run/postgresql&dbname=app"
    assert read_inputs(runner_env(dev_database_url=url)).dev_database_url == url


@pytest.mark.parametrize("mode", ["", "Apply", "APPLY"])
def test_mode_is_case_insensitive_and_defaults(mode: str) -> None:
    """An empty mode means dry-run; the mode is matched case-insensitively."""
    expected = "dry-run" if not mode else "apply"
    inputs = read_inputs(runner_env(mode=mode, approved_plan_digest=DIGEST))
    assert inputs.mode == expected


@pytest.mark.parametrize("mode", ["apply!", "plan", "dryrun", "delete"])
def test_invalid_mode(mode: str) -> None:
    """An unknown mode is a usage error naming `mode` with the YAML that fixes it."""
    err = assert_usage_error(runner_env(mode=mode), "mode")
    assert "mode: dry-run" in str(err.fix)


@pytest.mark.parametrize("name", ["dev-database-url", "prod-database-url"])
@pytest.mark.parametrize(
    "value",
    [
        "",
        "   ",
        "mysql://u:pr0d-secret@host/db",
        "host=db user=u password=pr0d-secret dbname=app",
        "postgresql://u:pr0d-secret@/app",
        "postgresql://u:pr0d-secret@db.internal/",
        "postgresql://u:pr0d-secret@[::1/app",
        "https://u:dev@secret@example.invalid/app",
    ],
)
def test_invalid_database_url(name: str, value: str) -> None:
    """A missing or non-libpq URL names the input, never echoes the value."""
    err = assert_usage_error(runner_env(**{name: value}), name)
    assert value.strip() == "" or value not in str(err)
    assert "pr0d-secret" not in str(err)
    assert f"{name}: ${{{{ secrets." in str(err.fix)


def test_apply_requires_digest() -> None:
    """Apply without approved-plan-digest is refused before anything connects."""
    err = assert_usage_error(runner_env(mode="apply"), "approved-plan-digest")
    assert "needs.plan.outputs.plan-digest" in str(err.fix)


@pytest.mark.parametrize("digest", ["A" * 64, "a" * 63, "a" * 65, "g" * 64, "sha256:" + "a" * 64])
def test_malformed_digest(digest: str) -> None:
    """A digest that is not 64 lowercase hex characters is a usage error."""
    assert_usage_error(
        runner_env(mode="apply", approved_plan_digest=digest), "approved-plan-digest"
    )


def test_apply_requires_token() -> None:
    """Apply without a github-token cannot verify the approval, so it is refused up front."""
    err = assert_usage_error(
        runner_env(mode="apply", approved_plan_digest=DIGEST, github_token=""), "github-token"
    )
    assert "github.token" in str(err.fix)


def test_explicitly_empty_approval_environment() -> None:
    """An approval-environment set to blank is refused rather than replaced by the default."""
    assert_usage_error(runner_env(approval_environment="  "), "approval-environment")


def test_every_action_input_is_known() -> None:
    """The module's input list is the SPEC 4.1 list, in order."""
    assert INPUT_NAMES == (
        "mode",
        "dev-database-url",
        "prod-database-url",
        "config",
        "approved-plan-digest",
        "approval-environment",
        "github-token",
        "pr-comment",
    )


def test_masked_secrets() -> None:
    """Full URLs, their userinfo, passwords (raw and URL-decoded) and the token are masked:
    what main masks, from the raw inputs, and they are valid inputs."""
    env = runner_env()
    read_inputs(env)
    masked = raw_secrets(secret_input_values(env))
    assert set(masked) == set(SECRETS)
    assert len(masked) == len(set(masked))


def test_masked_secrets_query_password_and_no_token() -> None:
    """A password given as a query parameter is masked; a missing token is not an entry."""
    url = "postgresql://u@db.internal/app?password=q-secret"
    env = {"INPUT_DEV-DATABASE-URL": url, "INPUT_PROD-DATABASE-URL": PROD}
    read_inputs(env)
    masked = raw_secrets(secret_input_values(env))
    assert "q-secret" in masked
    assert "" not in masked
    assert TOKEN not in masked


def test_escaping_rules() -> None:
    """Data escapes %, CR, LF; properties additionally escape : and ,."""
    assert command_data("50% done\r\nnext") == "50%25 done%0D%0Anext"
    assert command_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"


def test_annotations_are_escaped() -> None:
    """Warnings and errors put an escaped title in properties and an escaped message."""
    out = io.StringIO()
    wf = Workflow(out)
    wf.warning("skipped: has bookings\nsee plan", title="services: spa, 100%")
    wf.error("refused: 2 dev rows share key `spa`")
    wf.notice("done")
    assert out.getvalue().splitlines() == [
        "::warning title=services%3A spa%2C 100%25::skipped: has bookings%0Asee plan",
        "::error::refused: 2 dev rows share key `spa`",
        "::notice::done",
    ]


def test_mask_one_line_per_value_line() -> None:
    """A multi-line secret is masked line by line; blank lines are not masked."""
    out = io.StringIO()
    wf = Workflow(out)
    wf.mask("p@ss%word")
    wf.mask("line1\n\nline2\r\n")
    assert out.getvalue().splitlines() == [
        "::add-mask::p@ss%25word",
        "::add-mask::line1",
        "::add-mask::line2",
    ]


def test_group_closes_even_on_error() -> None:
    """`group` writes ::group:: and always the matching ::endgroup::."""
    out = io.StringIO()
    wf = Workflow(out)

    def fail_inside_group() -> None:
        with wf.group("Plan: services"):
            out.write("inside\n")
            raise RuntimeError

    with pytest.raises(RuntimeError):
        fail_inside_group()
    assert out.getvalue().splitlines() == ["::group::Plan: services", "inside", "::endgroup::"]


def test_outputs_plain_and_heredoc(tmp_path: Path) -> None:
    """Single-line outputs are k=v; multi-line ones use a random heredoc delimiter."""
    path = tmp_path / "output"
    path.write_text("earlier=1\n")
    write_outputs(path, {"plan-digest": DIGEST, "has-changes": "true", "notes": "a\nb"})
    write_outputs(path, {"notes2": "x\ny"})
    text = path.read_text()
    match = re.fullmatch(
        rf"earlier=1\nplan-digest={DIGEST}\nhas-changes=true\n"
        r"notes<<(ghadelimiter_[0-9a-f-]+)\na\nb\n\1\n"
        r"notes2<<(ghadelimiter_[0-9a-f-]+)\nx\ny\n\2\n",
        text,
    )
    assert match is not None, text
    assert match.group(1) != match.group(2)


def test_outputs_and_summary_no_op_without_path() -> None:
    """Outside a job (no GITHUB_OUTPUT / GITHUB_STEP_SUMMARY) nothing is written."""
    write_outputs(None, {"a": "b"})
    append_summary(None, "# nothing")


@pytest.mark.parametrize("key", ["", "a=b", "a\nb", "a<<b"])
def test_outputs_reject_bad_names(tmp_path: Path, key: str) -> None:
    """An output name that would corrupt the file-command format is refused."""
    with pytest.raises(ValueError, match="invalid output name"):
        write_outputs(tmp_path / "output", {key: "v"})


def test_summary_appends(tmp_path: Path) -> None:
    """The summary is appended to, with a trailing newline, in UTF-8."""
    path = tmp_path / "summary.md"
    append_summary(path, "# refsync")
    append_summary(path, "old → new\n")
    assert path.read_text(encoding="utf-8") == "# refsync\nold → new\n"
