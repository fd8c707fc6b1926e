"""Run `entrypoint.py` exactly as the action's container does: a subprocess with the
environment a GitHub runner gives a container step (CI, GITHUB_*, INPUT_* with the action's
defaults filled in, file-command paths). Used by the end-to-end tests and the demo."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
ENTRYPOINT = ROOT / "entrypoint.py"

#: The inputs of action.yml with the defaults the runner fills in for a step that omits them.
INPUT_DEFAULTS = {
    "mode": "dry-run",
    "config": "",
    "approved-plan-digest": "",
    "approval-environment": "production",
    "github-token": "",
    "pr-comment": "false",
}


@dataclass(frozen=True)
class RunResult:
    returncode: int
    stdout: str
    stderr: str
    summary: str
    outputs: dict[str, str]
    plan: dict[str, Any] | None
    plan_path: Path


def runner_env(
    workdir: Path, inputs: Mapping[str, str], extra: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The environment of a container step: only what a runner passes, nothing of ours."""
    workdir.mkdir(parents=True, exist_ok=True)
    files = workdir / "_runner_file_commands"
    files.mkdir(exist_ok=True)
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(workdir),
        "LANG": "C.UTF-8",
        "CI": "true",
        "GITHUB_ACTIONS": "true",
        "GITHUB_WORKSPACE": str(workdir),
        "GITHUB_STEP_SUMMARY": str(files / "step_summary"),
        "GITHUB_OUTPUT": str(files / "set_output"),
        "GITHUB_API_URL": "https://api.github.invalid",
        "GITHUB_REPOSITORY": "octo-org/app",
        "GITHUB_RUN_ID": "4242",
        "GITHUB_RUN_ATTEMPT": "1",
        "RUNNER_TEMP": str(workdir),
    }
    for name, default in INPUT_DEFAULTS.items():
        env[f"INPUT_{name.upper()}"] = default
    for name, value in inputs.items():
        env[f"INPUT_{name.upper()}"] = value
    env.update(extra or {})
    for path in (env["GITHUB_STEP_SUMMARY"], env["GITHUB_OUTPUT"]):
        Path(path).write_text("")
    return env


def parse_outputs(text: str) -> dict[str, str]:
    """Parse a $GITHUB_OUTPUT file: `k=v` lines and `k<<DELIM` heredocs."""
    out: dict[str, str] = {}
    lines = iter(text.splitlines())
    for line in lines:
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            key, delim = line.split("<<", 1)
            value = []
            for more in lines:
                if more == delim:
                    break
                value.append(more)
            out[key] = "\n".join(value)
        elif "=" in line:
            key, value_text = line.split("=", 1)
            out[key] = value_text
    return out


def run_entrypoint(
    workdir: Path,
    inputs: Mapping[str, str],
    extra: Mapping[str, str] | None = None,
    timeout: float = 300,
    env: Mapping[str, str] | None = None,
) -> RunResult:
    """Run the real entrypoint in a subprocess and collect what the runner would see."""
    environ = dict(env) if env is not None else runner_env(workdir, inputs, extra)
    proc = subprocess.run(
        [sys.executable, str(ENTRYPOINT)],
        cwd=workdir,
        env=environ,
        capture_output=True,
        text=True,
        # A variable holding undecodable bytes is echoed back as the same bytes (in a mask).
        errors="surrogateescape",
        timeout=timeout,
        check=False,
    )
    plan_path = Path(environ.get("GITHUB_WORKSPACE") or workdir) / "refsync-plan.json"
    summary_file = environ.get("GITHUB_STEP_SUMMARY")
    output_file = environ.get("GITHUB_OUTPUT")
    return RunResult(
        returncode=proc.returncode,
        stdout=proc.stdout,
        stderr=proc.stderr,
        summary=Path(summary_file).read_text() if summary_file else "",
        outputs=parse_outputs(Path(output_file).read_text()) if output_file else {},
        plan=json.loads(plan_path.read_text()) if plan_path.exists() else None,
        plan_path=plan_path,
    )
