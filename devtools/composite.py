"""Run the composite action's own steps the way a GitHub runner does, outside GitHub.

The Docker tests and the cold-start measurement run action.yml itself, not a copy of its
commands: each `run:` step is written to a file and run with the runner's `shell: bash`
(``bash --noprofile --norc -e -o pipefail FILE``), with the job's environment, the step's
`env:` (its ``${{ }}`` expressions evaluated), ``GITHUB_ACTION_PATH``, and fresh
file-command files under ``$RUNNER_TEMP/_runner_file_commands``, whose `name=value` lines
become ``steps.<id>.outputs.<name>`` for later steps and the action's outputs.

Only the expressions action.yml uses are understood (``inputs.*``, ``github.action_path``,
``github.token``, ``github.job``, ``steps.<id>.outputs.*``); anything else raises, so a
change to action.yml cannot be silently half-run here. `uses:` steps (the plan file's
upload) are recorded as skipped, not run. A failed step ends the run, as on GitHub.
"""

from __future__ import annotations

import os
import re
import subprocess
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from devtools.runner import parse_outputs

_EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
_PATH = re.compile(r"[A-Za-z_][\w-]*(?:\.[A-Za-z_][\w-]*)*")
#: Upload steps GitHub would run; nothing here needs their effect.
_SKIPPED_USES = ("actions/upload-artifact@",)


class CompositeError(RuntimeError):
    """action.yml asks for something this stand-in runner does not do."""


@dataclass(frozen=True)
class Job:
    """Where a job runs: the layout a GitHub-hosted runner gives it, under one directory."""

    root: Path

    @property
    def workspace(self) -> Path:
        return self.root / "work" / "repo" / "repo"

    @property
    def runner_temp(self) -> Path:
        return self.root / "work" / "_temp"

    def env(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        """The variables every step of the job sees (GitHub's defaults, plus ``extra``)."""
        self.workspace.mkdir(parents=True, exist_ok=True)
        (self.runner_temp / "_runner_file_commands").mkdir(parents=True, exist_ok=True)
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(self.root),
            "LANG": "C.UTF-8",
            "CI": "true",
            "GITHUB_ACTIONS": "true",
            "GITHUB_WORKSPACE": str(self.workspace),
            "GITHUB_API_URL": "https://api.github.invalid",
            "GITHUB_REPOSITORY": "octo-org/app",
            "GITHUB_RUN_ID": "4242",
            "GITHUB_RUN_ATTEMPT": "1",
            "GITHUB_JOB": "refsync",
            "RUNNER_TEMP": str(self.runner_temp),
        }
        env.update(extra or {})
        return env


@dataclass(frozen=True)
class StepResult:
    key: str  # the step's id, else its name
    skipped: bool
    returncode: int
    stdout: str
    stderr: str
    seconds: float
    outputs: dict[str, str]
    summary: str


@dataclass
class ActionRun:
    """What a job would show for one use of the action."""

    steps: list[StepResult] = field(default_factory=list)
    outputs: dict[str, str] = field(default_factory=dict)

    @property
    def returncode(self) -> int:
        """The first failed step's exit code, else 0: the job's view of the action."""
        return next((s.returncode for s in self.steps if s.returncode != 0), 0)

    def step(self, key: str) -> StepResult:
        return next(s for s in self.steps if s.key == key)

    def log(self) -> str:
        """Every step's output, for an assertion message."""
        return "\n".join(
            f"--- {s.key} (exit {s.returncode})\n{s.stdout}{s.stderr}" for s in self.steps
        )


def load_action(action_dir: Path) -> dict[str, Any]:
    data = yaml.safe_load((action_dir / "action.yml").read_text())
    if not isinstance(data, dict) or data.get("runs", {}).get("using") != "composite":
        raise CompositeError(f"{action_dir / 'action.yml'} is not a composite action")
    return data


def evaluate(text: str, context: Mapping[str, Any]) -> str:
    """Replace each ``${{ a.b.c }}`` in ``text`` with its value from ``context``."""

    def value(match: re.Match[str]) -> str:
        expression = match.group(1)
        if not _PATH.fullmatch(expression):
            raise CompositeError(f"unsupported expression: ${{{{ {expression} }}}}")
        head, *rest = expression.split(".")
        if head not in context:
            raise CompositeError(f"unsupported context: ${{{{ {expression} }}}}")
        node: Any = context[head]
        for part in rest:
            if not isinstance(node, Mapping):
                raise CompositeError(f"cannot evaluate ${{{{ {expression} }}}}")
            if head == "steps":
                node = node.get(part, {})  # GitHub: a missing step output is ''
            elif part in node:
                node = node[part]
            else:
                raise CompositeError(f"unknown name in ${{{{ {expression} }}}}")
        return "" if node in ({}, None) else str(node)

    return _EXPRESSION.sub(value, text)


def _inputs(
    action: dict[str, Any], given: Mapping[str, str], github: dict[str, str]
) -> dict[str, str]:
    declared: dict[str, Any] = action.get("inputs", {})
    unknown = set(given) - set(declared)
    if unknown:
        raise CompositeError(f"inputs not declared in action.yml: {sorted(unknown)}")
    values = {}
    for name, spec in declared.items():
        if name in given:
            values[name] = given[name]
        elif spec.get("required"):
            raise CompositeError(f"required input missing: {name}")
        else:
            values[name] = evaluate(str(spec.get("default", "")), {"github": github})
    return values


def run_action(
    action_dir: Path,
    job: Job,
    inputs: Mapping[str, str],
    *,
    env: Mapping[str, str] | None = None,
    token: str = "",
    until: str | None = None,
    timeout: float = 1800,
) -> ActionRun:
    """Run the composite action in ``action_dir`` once, as a job's step `uses:` it (only up
    to the step with id ``until``, when given)."""
    action = load_action(action_dir)
    github = {"action_path": str(action_dir), "token": token, "job": "refsync"}
    context: dict[str, Any] = {"github": github, "steps": {}}
    context["inputs"] = _inputs(action, inputs, github)
    job_env = job.env(env)
    result = ActionRun()
    for step in action["runs"]["steps"]:
        key = step.get("id") or step["name"]
        if "uses" in step:
            if not str(step["uses"]).startswith(_SKIPPED_USES):
                raise CompositeError(f"step {key} uses {step['uses']}, which is not run here")
            result.steps.append(StepResult(key, True, 0, "", "", 0.0, {}, ""))
            continue
        if result.returncode != 0:
            break
        if step.get("shell") != "bash" or set(step) - {"name", "id", "shell", "env", "run"}:
            raise CompositeError(f"step {key}: only `shell: bash` steps without `if:` run here")
        outcome = _run_step(
            step,
            key=key,
            job=job,
            job_env=job_env,
            context=context,
            action_dir=action_dir,
            timeout=timeout,
        )
        result.steps.append(outcome)
        if "id" in step:
            context["steps"][step["id"]] = {"outputs": outcome.outputs}
        if until is not None and step.get("id") == until:
            break
    for name, spec in action.get("outputs", {}).items():
        result.outputs[name] = evaluate(str(spec["value"]), context)
    return result


def _run_step(
    step: dict[str, Any],
    *,
    key: str,
    job: Job,
    job_env: dict[str, str],
    context: Mapping[str, Any],
    action_dir: Path,
    timeout: float,
) -> StepResult:
    files = job.runner_temp / "_runner_file_commands"
    guid = uuid.uuid4()
    output, summary = files / f"set_output_{guid}", files / f"step_summary_{guid}"
    for path in (output, summary):
        path.write_text("")
    script = job.runner_temp / f"{guid}.sh"
    script.write_text(step["run"])
    env = dict(job_env)
    env.update(
        GITHUB_OUTPUT=str(output),
        GITHUB_STEP_SUMMARY=str(summary),
        GITHUB_ACTION_PATH=str(action_dir),
    )
    env.update({name: evaluate(str(value), context) for name, value in step.get("env", {}).items()})
    started = time.monotonic()
    proc = subprocess.run(
        ["bash", "--noprofile", "--norc", "-e", "-o", "pipefail", str(script)],
        cwd=job.workspace,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout,
    )
    return StepResult(
        key=key,
        skipped=False,
        returncode=proc.returncode,
        stdout=proc.stdout,
        stderr=proc.stderr,
        seconds=time.monotonic() - started,
        outputs=parse_outputs(output.read_text()),
        summary=summary.read_text(),
    )
