"""The action's inputs: read from the variables the runner sets, validated, as `Inputs`.

Stdlib only but for `refsync.secrets`, which checks a database URL with libpq's own parser.
The rest of refsync never reads an ``INPUT_*`` variable: it goes through `read_inputs`, and
masks what `secret_input_values` returns before anything else is printed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from refsync.errors import UsageError
from refsync.secrets import check_database_url

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
_DIGEST_YAML = "with:\n  approved-plan-digest: ${{ needs.plan.outputs.plan-digest }}"


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
    never contain a database URL, a password or the token. Inputs are checked in this
    order, so the first problem reported is always the same one.
    """
    mode = _mode(env)
    dev_url = check_database_url(
        "dev-database-url", _raw_input(env, "dev-database-url"), "DEV_DATABASE_URL"
    )
    prod_url = check_database_url(
        "prod-database-url", _raw_input(env, "prod-database-url"), "PROD_DATABASE_URL"
    )
    environment = _approval_environment(env)
    digest = _approved_digest(env, mode)
    token = _github_token(env, mode)
    pr_comment = _pr_comment(env)
    return Inputs(
        mode=mode,
        dev_database_url=dev_url,
        prod_database_url=prod_url,
        config=_raw_input(env, "config"),
        approved_plan_digest=digest,
        approval_environment=environment,
        github_token=token,
        pr_comment=pr_comment,
    )


def _mode(env: Mapping[str, str]) -> Mode:
    mode = (_raw_input(env, "mode") or "dry-run").lower()
    if mode not in ("dry-run", "apply"):
        raise _usage(
            "mode",
            "must be `dry-run` or `apply`.",
            "with:\n  mode: dry-run   # or: apply, in the approved job",
        )
    return "apply" if mode == "apply" else "dry-run"


def _approval_environment(env: Mapping[str, str]) -> str:
    environment = _raw_input(env, "approval-environment")
    if environment is not None:
        return environment
    # The runner fills in the default, so a variable that is set but blank was
    # explicitly emptied: refuse rather than silently check another environment.
    if any(k in env for k in input_env_names("approval-environment")):
        raise _usage(
            "approval-environment",
            "is empty; it must name the protected environment apply runs in.",
            "with:\n  approval-environment: production",
        )
    return "production"


def _approved_digest(env: Mapping[str, str], mode: Mode) -> str | None:
    digest = _raw_input(env, "approved-plan-digest")
    if digest is not None and not _DIGEST.fullmatch(digest):
        raise _usage(
            "approved-plan-digest",
            "must be the 64 lowercase hexadecimal characters the plan job printed "
            "as its `plan-digest` output.",
            _DIGEST_YAML,
        )
    if mode == "apply" and digest is None:
        raise _usage(
            "approved-plan-digest",
            "is required when `mode` is `apply`: apply only writes the plan that was reviewed.",
            _DIGEST_YAML,
        )
    return digest


def _github_token(env: Mapping[str, str], mode: Mode) -> str | None:
    token = _raw_input(env, "github-token")
    if mode == "apply" and token is None:
        raise _usage(
            "github-token",
            "is required when `mode` is `apply`: it is used to verify the approval.",
            "with:\n  github-token: ${{ github.token }}   # the default; needs `actions: read`",
        )
    return token


def _pr_comment(env: Mapping[str, str]) -> bool:
    pr_comment = (_raw_input(env, "pr-comment") or "false").lower()
    if pr_comment not in ("true", "false"):
        raise _usage(
            "pr-comment",
            "must be `true` or `false`.",
            "with:\n  pr-comment: true   # needs `permissions: pull-requests: write`",
        )
    return pr_comment == "true"


def secret_input_values(env: Mapping[str, str]) -> list[str]:
    """The raw values of every secret input, in both spellings, before any validation."""
    values = (env.get(var, "").strip() for n in SECRET_INPUTS for var in input_env_names(n))
    return [v for v in values if v]
