"""The stand-in runner for composite actions (devtools/composite.py), and the docker command
lines both forms of action.yml produce, checked with a recording `docker` on PATH (no
engine needed; tests/e2e/test_action_image.py runs the same steps against a real one)."""

from __future__ import annotations

import json
import os
import shlex
from pathlib import Path

import pytest

from devtools import release
from devtools.composite import CompositeError, Job, evaluate, run_action

ROOT = Path(__file__).resolve().parents[2]
BUILT = "sha256:" + "ab" * 32
PUBLISHED = "ghcr.io/octo-org/refsync-action@sha256:" + "cd" * 32
URLS = {
    "dev-database-url": "postgresql://u:p@dev.internal/dev",
    "prod-database-url": "postgresql://u:p@prod.internal/prod",
}

#: Records each call as a JSON line: its arguments and the INPUT_* values it could see.
RECORDING_DOCKER = f"""#!/usr/bin/env python3
import json, os, sys
with open(os.environ["DOCKER_CALLS"], "a") as log:
    log.write(json.dumps({{"argv": sys.argv[1:], "env": dict(os.environ)}}) + "\\n")
if sys.argv[1] == "build":
    print("{BUILT}")
elif sys.argv[1] == "pull":
    print(sys.argv[-1])
"""


def write_action(directory: Path, text: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "action.yml").write_text(text)
    return directory


@pytest.fixture
def recording(tmp_path: Path) -> tuple[dict[str, str], Path]:
    """A PATH whose `docker` records its calls, and the file it records them in."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    docker = bin_dir / "docker"
    docker.write_text(RECORDING_DOCKER)
    docker.chmod(0o755)
    calls = tmp_path / "calls.jsonl"
    env = {"PATH": f"{bin_dir}:{os.environ['PATH']}", "DOCKER_CALLS": str(calls)}
    return env, calls


def calls_of(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_evaluate_reads_inputs_github_and_step_outputs() -> None:
    """Expressions resolve from the contexts; a step output nobody set is empty, as on GitHub."""
    context = {
        "inputs": {"dev-database-url": "u"},
        "github": {"action_path": "/a"},
        "steps": {"image": {"outputs": {"ref": "sha256:x"}}},
    }
    text = "${{ inputs.dev-database-url }} ${{github.action_path}} ${{ steps.image.outputs.ref }}"
    assert evaluate(text, context) == "u /a sha256:x"
    assert evaluate("${{ steps.run.outputs.plan-file }}", context) == ""


@pytest.mark.parametrize(
    "expression",
    ["${{ secrets.TOKEN }}", "${{ inputs.nope }}", "${{ always() }}", "${{ a || b }}"],
)
def test_evaluate_refuses_what_it_does_not_understand(expression: str) -> None:
    """An expression outside the few action.yml uses fails instead of becoming ''."""
    with pytest.raises(CompositeError):
        evaluate(expression, {"inputs": {}, "github": {}, "steps": {}})


def test_steps_run_like_a_runner_runs_them(tmp_path: Path) -> None:
    """Each bash step gets its own file-command files under RUNNER_TEMP, -e and pipefail,
    hyphenated env names reach child processes, and outputs flow to later steps."""
    action = write_action(
        tmp_path / "action",
        """\
name: t
description: t
inputs:
  some-input: {description: d, required: true}
outputs:
  seen: {description: d, value: "${{ steps.second.outputs.seen }}"}
runs:
  using: composite
  steps:
    - id: first
      shell: bash
      run: |
        echo "value=one" >> "$GITHUB_OUTPUT"
    - id: second
      shell: bash
      env:
        INPUT_SOME-INPUT: ${{ inputs.some-input }}
        FROM_FIRST: ${{ steps.first.outputs.value }}
      run: |
        printf 'seen=%s %s %s\\n' "$FROM_FIRST" "$(env | grep '^INPUT_SOME-INPUT=')" \\
          "$(dirname "$GITHUB_OUTPUT")" >> "$GITHUB_OUTPUT"
        echo "done" >> "$GITHUB_STEP_SUMMARY"
""",
    )
    job = Job(tmp_path / "job")
    run = run_action(action, job, {"some-input": "x y"})
    assert run.returncode == 0, run.log()
    files = job.runner_temp / "_runner_file_commands"
    assert run.outputs["seen"] == f"one INPUT_SOME-INPUT=x y {files}"
    assert run.step("second").summary == "done\n"


def test_a_failed_step_ends_the_run(tmp_path: Path) -> None:
    """A failing command (pipefail included) stops the action; later bash steps never run."""
    action = write_action(
        tmp_path / "action",
        """\
name: t
description: t
runs:
  using: composite
  steps:
    - {id: pipe, shell: bash, run: "true | false | true; exit 0"}
    - {id: never, shell: bash, run: "echo ran"}
""",
    )
    run = run_action(action, Job(tmp_path / "job"), {})
    assert [s.key for s in run.steps] == ["pipe"]
    assert run.returncode == 1


def test_build_form_builds_once_and_runs_the_built_id(
    tmp_path: Path, recording: tuple[dict[str, str], Path]
) -> None:
    """action.yml as this repository has it: `docker build --quiet <action path>`, then
    `docker run` of exactly the printed image ID, with every input and runner variable."""
    env, calls = recording
    run = run_action(ROOT, Job(tmp_path / "job"), URLS, env=env)
    assert run.returncode == 0, run.log()
    build, docker_run = calls_of(calls)
    assert build["argv"] == ["build", "--quiet", str(ROOT)]
    argv = docker_run["argv"]
    assert isinstance(argv, list)
    assert argv[:4] == ["run", "--rm", "--network", "host"]
    assert argv[-1] == BUILT
    seen = docker_run["env"]
    assert isinstance(seen, dict)
    assert seen["INPUT_DEV-DATABASE-URL"] == URLS["dev-database-url"]
    assert seen["INPUT_MODE"] == "dry-run"
    assert "-e INPUT_DEV-DATABASE-URL" in shlex.join(argv)


def test_released_form_pulls_the_digest_and_runs_it(
    tmp_path: Path, recording: tuple[dict[str, str], Path]
) -> None:
    """The released action.yml: `docker pull --quiet <digest ref>`, no build, then `docker
    run` of that same reference with the same arguments as the build form."""
    env, calls = recording
    released = write_action(
        tmp_path / "released", release.pin((ROOT / "action.yml").read_text(), PUBLISHED)
    )
    run = run_action(released, Job(tmp_path / "job"), URLS, env=env)
    assert run.returncode == 0, run.log()
    pull, docker_run = calls_of(calls)
    assert pull["argv"] == ["pull", "--quiet", PUBLISHED]
    argv = docker_run["argv"]
    assert isinstance(argv, list)
    assert argv[-1] == PUBLISHED

    built_calls = tmp_path / "built.jsonl"
    run_action(ROOT, Job(tmp_path / "built"), URLS, env={**env, "DOCKER_CALLS": str(built_calls)})
    built_argv = calls_of(built_calls)[1]["argv"]
    assert isinstance(built_argv, list)
    # Same mounts, variables and flags; only the workspace paths and the image differ.
    strip = str(tmp_path)
    assert [a.replace(strip + "/built", "W") for a in built_argv[:-1]] == [
        a.replace(strip + "/job", "W") for a in argv[:-1]
    ]
