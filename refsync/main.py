"""The one place that turns a run into an exit code.

`main(env, stdout, stderr)` reads the inputs, masks every secret before printing anything,
verifies the approval (apply), runs the engine, and writes the console report, the job
summary, the plan file and the step outputs. Streams and environment are injected so the
whole program is testable in-process; `entrypoint.py` is the only caller of `sys.exit`.
Both streams are written through `refsync.escape.LineGate`: no line of data can be a
workflow command, whatever it holds.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable, Mapping
from pathlib import Path
from types import FrameType
from typing import TextIO

from refsync import pr_comment
from refsync.approval import verify_approval
from refsync.config import Config
from refsync.default_profile import default_profile
from refsync.engine import Outcome, run
from refsync.errors import OperationalError, RefsyncError
from refsync.escape import LineGate, md, pre, visible
from refsync.inputs import Inputs, read_inputs, secret_input_values
from refsync.keys import show_key
from refsync.plan_file import write_plan_file
from refsync.report import console_report, outputs, skip_warnings
from refsync.runner import Workflow, append_summary, env_path, write_outputs
from refsync.secrets import raw_secrets, scrub
from refsync.session import Timeouts
from refsync.summary import summary

PLAN_FILE = "refsync-plan.json"
#: Warning annotations GitHub shows per step (it drops the rest without a word).
ANNOTATIONS_PER_STEP = 10


class TerminatedError(OperationalError):
    """SIGTERM arrived (the job was cancelled): the transaction is rolled back."""


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise TerminatedError("received SIGTERM (job cancelled); rolled back, nothing was written")


def main(
    env: Mapping[str, str], stdout: TextIO, stderr: TextIO, *, retain: list[object] | None = None
) -> int:
    """One run; its exit code. `retain`: where the run leaves what it read and planned
    instead of freeing it object by object, for a caller that exits without the interpreter's
    teardown (`entrypoint.py`); None frees it as usual."""
    wf = Workflow(stdout)
    err = LineGate(stderr)
    try:
        return _main(env, wf, err, retain)
    finally:
        wf.console.end_line()
        err.end_line()


def _main(env: Mapping[str, str], wf: Workflow, err: LineGate, retain: list[object] | None) -> int:
    secrets = raw_secrets(secret_input_values(env))
    for secret in secrets:
        wf.mask(secret)
    summary_path = env_path(env, "GITHUB_STEP_SUMMARY")
    signal.signal(signal.SIGTERM, _on_sigterm)

    def log(message: str) -> None:
        # One call, one line: a newline of data shows as \n.
        wf.console.write(visible(scrub(message, secrets)) + "\n")
        wf.console.flush()

    try:
        inputs = read_inputs(env)
        config = _config(inputs.config)
        timeouts = Timeouts.from_env(env)
        approvers = _verify_approval(env, inputs, log) if inputs.mode == "apply" else ()
        outcome = run(
            config=config,
            dev_url=inputs.dev_database_url,
            prod_url=inputs.prod_database_url,
            apply=inputs.mode == "apply",
            approved_digest=inputs.approved_plan_digest,
            secrets=secrets,
            log=log,
            timeouts=timeouts,
            retain=retain,
        )
    except RefsyncError as exc:
        return _refused(exc, wf=wf, err=err, summary_path=summary_path, secrets=secrets)
    except Exception as exc:  # noqa: BLE001 - the last line of defence: no traceback, no secret
        return _crashed(exc, wf=wf, err=err, secrets=secrets)
    if retain is not None:
        retain.append(outcome)
    try:
        _report(
            outcome,
            env=env,
            wf=wf,
            summary_path=summary_path,
            approvers=approvers,
            log=log,
            pr_token=(inputs.github_token or "") if inputs.pr_comment else None,
        )
    except Exception as exc:  # noqa: BLE001 - same last line of defence, after the database work
        return _report_failed(exc, outcome, wf=wf, err=err, secrets=secrets)
    return 0


def _config(path: str | None) -> Config:
    """The `config` input's file, or the default profile. PyYAML and pydantic are imported
    for a user's file alone: about 50 ms of every default-profile run (docs/benchmark.md,
    attempt 21)."""
    if path is None:
        return default_profile()
    from refsync.config_file import load_config  # noqa: PLC0415 - see docstring

    return load_config(path)


def _verify_approval(
    env: Mapping[str, str], inputs: Inputs, log: Callable[[str], None]
) -> tuple[str, ...]:
    """An apply's approval, checked with GitHub: the approvers' logins (raises when missing)."""
    approval = verify_approval(
        api_url=env.get("GITHUB_API_URL", ""),
        repository=env.get("GITHUB_REPOSITORY", ""),
        run_id=env.get("GITHUB_RUN_ID", ""),
        token=inputs.github_token or "",
        environment=inputs.approval_environment,
    )
    log(
        f"approval verified for environment {approval.environment!r} by "
        + ", ".join(approval.approvers)
    )
    return approval.approvers


def _refused(
    exc: RefsyncError,
    *,
    wf: Workflow,
    err: LineGate,
    summary_path: Path | None,
    secrets: list[str],
) -> int:
    """A refusal before anything was written: annotation, stderr and job summary say why."""
    text = scrub(str(exc), secrets)
    wf.error(text, title=exc.title)
    err.write(f"{exc.title}: {visible(text, keep=chr(10))}\n")
    append_summary(summary_path, f"## {md(exc.title)}\n{pre(text)}\nNothing was written.\n")
    return exc.exit_code


def _crashed(exc: Exception, *, wf: Workflow, err: LineGate, secrets: list[str]) -> int:
    """An unexpected error before anything was committed: its type and text, scrubbed."""
    text = scrub(f"{type(exc).__name__}: {exc}", secrets)
    wf.error(text, title="refsync: unexpected error")
    err.write(f"refsync: unexpected error (rolled back, nothing written): {visible(text)}\n")
    return 3


def _report_failed(
    exc: Exception, outcome: Outcome, *, wf: Workflow, err: LineGate, secrets: list[str]
) -> int:
    """The report failed after the database work: say what was done all the same."""
    done = "was applied and committed" if outcome.written else "was planned (nothing written)"
    text = scrub(f"{type(exc).__name__}: {exc}", secrets)
    wf.error(
        f"the plan {done}, but writing the report failed: {text}",
        title="refsync: report failed",
    )
    err.write(f"refsync: the plan {done}, but writing the report failed: {visible(text)}\n")
    return 3


def _report(
    outcome: Outcome,
    *,
    env: Mapping[str, str],
    wf: Workflow,
    summary_path: Path | None,
    approvers: tuple[str, ...],
    log: Callable[[str], None],
    pr_token: str | None = None,
) -> None:
    """Plan file, annotations, console tables, job summary and step outputs."""
    workspace = Path(env.get("GITHUB_WORKSPACE") or os.getcwd())
    plan_file = workspace / PLAN_FILE
    write_plan_file(plan_file, outcome)
    # GitHub shows at most ANNOTATIONS_PER_STEP warnings of a step and drops the rest
    # silently: privilege warnings first, then skips, the last one counting what is left.
    _annotate_privileges(outcome, wf=wf, log=log)
    room = ANNOTATIONS_PER_STEP - len(outcome.privilege_warnings) - bool(outcome.missing)
    if room > 0:  # otherwise none would be shown: the summary lists them
        _annotate_skips(outcome, wf=wf, room=room)
    console_report(outcome, wf.console)
    markdown = summary(outcome, approvers)
    append_summary(summary_path, markdown)
    write_outputs(env_path(env, "GITHUB_OUTPUT"), outputs(outcome, str(plan_file)))
    log(f"plan digest: {outcome.digest}")
    log(f"round trips: dev {outcome.round_trips['dev']}, prod {outcome.round_trips['prod']}")
    if pr_token is not None:
        log(pr_comment.post(env, pr_token, markdown))


def _annotate_privileges(outcome: Outcome, *, wf: Workflow, log: Callable[[str], None]) -> None:
    """A warning per excess privilege; the missing ones as one warning, listed in the log
    with their GRANT script."""
    for warning in outcome.privilege_warnings:
        wf.warning(
            f"{visible(warning)}. Grant only what docs/setup.md lists.",
            title="refsync privileges",
        )
    if outcome.missing:
        wf.warning(
            f"the prod role `{outcome.missing.role}` lacks {len(outcome.missing.lines)} "
            "privileges an apply of this plan needs; the job summary has the GRANT script",
            title="refsync privileges",
        )
        log("missing privileges for apply (prod role " + outcome.missing.role + "):")
        for line in outcome.missing.lines:
            log(f"  {line}")
        log("GRANT script (run on prod as the tables' owner):")
        for line in outcome.missing.script:
            log(f"  {line}")


def _annotate_skips(outcome: Outcome, *, wf: Workflow, room: int) -> None:
    """A warning per skipped row while `room` lasts, the last one counting the rest."""
    skips = list(skip_warnings(outcome))
    shown = skips if len(skips) <= room else skips[: room - 1]
    for table, skip in shown:
        wf.warning(
            f"{visible(table)} `{show_key(skip.key)}` skipped: {visible(skip.reason)}",
            title="refsync skip",
        )
    if len(shown) < len(skips):
        wf.warning(
            f"{len(skips) - len(shown)} more rows skipped: see the job summary and the plan file",
            title="refsync skip",
        )
