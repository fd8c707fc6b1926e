"""The action's packaging: action.yml, Dockerfile, workflows, and their agreement with the code.

The linters run as the real tools from the virtual environment, so a finding fails the
test exactly as it would fail CI.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from refsync.inputs import INPUT_NAMES, read_inputs

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
ACTION = ROOT / "action.yml"
DOCKERFILE = ROOT / "Dockerfile"
EXAMPLE = ROOT / "examples" / "workflow.yml"
RELEASE = ROOT / ".github" / "workflows" / "release.yml"
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
ALL_WORKFLOWS = [*WORKFLOWS, EXAMPLE]

OUTPUTS = (
    "plan-digest",
    "has-changes",
    "creates",
    "updates",
    "skips",
    "unchanged",
    "plan-file",
    "applied",
)
#: What the container must receive besides the inputs (SPEC 4.2, and the guard's CI check).
FORWARDED_ENV = (
    "GITHUB_STEP_SUMMARY",
    "GITHUB_OUTPUT",
    "GITHUB_WORKSPACE",
    "GITHUB_API_URL",
    "GITHUB_REPOSITORY",
    "GITHUB_RUN_ID",
    "GITHUB_RUN_ATTEMPT",
    "CI",
    "GITHUB_ACTIONS",
)
#: The example's placeholder for the published action, not a dependency of this repo.
SELF_REFERENCE = "org/refsync-action@"


def tool(name: str) -> str:
    path = BIN / name
    assert path.exists(), f"{name} is missing from {BIN}; reinstall requirements-dev.lock"
    return str(path)


def run_tool(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, check=False, timeout=120)


def load(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text())
    assert isinstance(data, dict)
    return data


def action() -> dict[str, Any]:
    return load(ACTION)


def run_step() -> dict[str, Any]:
    steps = action()["runs"]["steps"]
    matches = [s for s in steps if s.get("id") == "run"]
    assert len(matches) == 1, "action.yml must have exactly one step with id `run`"
    step: dict[str, Any] = matches[0]
    return step


def test_action_matches_schema() -> None:
    """action.yml validates against the GitHub action metadata schema."""
    result = run_tool(
        tool("check-jsonschema"), "--builtin-schema", "vendor.github-actions", "action.yml"
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("path", ALL_WORKFLOWS, ids=lambda p: p.name)
def test_workflow_matches_schema(path: Path) -> None:
    """Each workflow and the example validate against the GitHub workflow schema."""
    result = run_tool(
        tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", str(path)
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_workflows_exist() -> None:
    """The project's CI and release workflows and the example are present."""
    assert ROOT / ".github" / "workflows" / "ci.yml" in WORKFLOWS
    assert RELEASE in WORKFLOWS
    assert EXAMPLE.exists()


def test_actionlint() -> None:
    """actionlint finds nothing in the workflows or the example."""
    result = run_tool(tool("actionlint"), *map(str, ALL_WORKFLOWS))
    assert result.returncode == 0, result.stdout + result.stderr


def test_zizmor() -> None:
    """zizmor (offline, default persona) finds nothing in the action, workflows or example."""
    result = run_tool(tool("zizmor"), "--offline", "action.yml", ".github/workflows", str(EXAMPLE))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings to report" in result.stdout


def test_hadolint() -> None:
    """hadolint finds nothing in the Dockerfile."""
    result = run_tool(tool("hadolint"), "Dockerfile")
    assert result.returncode == 0, result.stdout + result.stderr


def image_step() -> dict[str, Any]:
    steps = action()["runs"]["steps"]
    matches = [s for s in steps if s.get("id") == "image"]
    assert len(matches) == 1, "action.yml must have exactly one step with id `image`"
    step: dict[str, Any] = matches[0]
    return step


def test_action_is_composite_building_and_running_its_image() -> None:
    """The action builds its own Dockerfile in bash and runs exactly the image ID it built."""
    runs = action()["runs"]
    assert runs["using"] == "composite"
    build, run = image_step(), run_step()
    assert runs["steps"].index(build) < runs["steps"].index(run)
    assert build["shell"] == "bash"
    assert 'docker build --quiet "$ACTION_PATH"' in build["run"]
    assert "--tag" not in build["run"]
    assert build["env"]["ACTION_PATH"] == "${{ github.action_path }}"
    assert 'echo "ref=$ref" >> "$GITHUB_OUTPUT"' in build["run"]
    assert run["shell"] == "bash"
    assert run["env"]["ACTION_IMAGE"] == "${{ steps.image.outputs.ref }}"
    assert "docker run --rm" in run["run"]
    assert "--network host" in run["run"]
    assert run["run"].rstrip().endswith('"$ACTION_IMAGE"')


def test_every_input_is_forwarded_and_read() -> None:
    """Each action input reaches the container as INPUT_<NAME> and read_inputs reads it."""
    inputs: dict[str, Any] = action()["inputs"]
    assert tuple(inputs) == INPUT_NAMES
    step = run_step()
    env: dict[str, str] = step["env"]
    for name in inputs:
        var = f"INPUT_{name.upper()}"
        assert env.get(var) == f"${{{{ inputs.{name} }}}}", var
        assert f"-e {var}" in step["run"], var
    # Every forwarded value comes back out of read_inputs, field by field.
    values = {
        "mode": "apply",
        "dev-database-url": "postgresql://u:p@dev.internal:5432/dev",
        "prod-database-url": "postgresql://u:p@prod.internal:5432/prod",
        "config": "refsync.yml",
        "approved-plan-digest": "0123456789abcdef" * 4,
        "approval-environment": "prod-eu",
        "github-token": "ghs_example",
    }
    parsed = read_inputs({f"INPUT_{k.upper()}": v for k, v in values.items()})
    for name, value in values.items():
        assert getattr(parsed, name.replace("-", "_")) == value, name


def test_inputs_have_descriptions_and_spec_defaults() -> None:
    """Inputs are documented and carry the defaults of SPEC 4.1."""
    inputs: dict[str, Any] = action()["inputs"]
    for name, spec in inputs.items():
        assert spec.get("description"), name
    assert inputs["mode"]["default"] == "dry-run"
    assert inputs["approval-environment"]["default"] == "production"
    assert inputs["github-token"]["default"] == "${{ github.token }}"
    assert inputs["dev-database-url"]["required"] is True
    assert inputs["prod-database-url"]["required"] is True


def test_no_input_is_expanded_inside_a_script() -> None:
    """No `${{ }}` expression appears in a run script (template injection)."""
    for step in action()["runs"]["steps"]:
        assert "${{" not in step.get("run", ""), step.get("name")


def test_runner_environment_and_file_commands_are_forwarded() -> None:
    """The container gets the runner's variables and the file-command and workspace mounts."""
    script = run_step()["run"]
    for var in FORWARDED_ENV:
        assert f"-e {var}" in script, var
    assert '"$GITHUB_WORKSPACE:$GITHUB_WORKSPACE"' in script
    assert '"$out_dir:$out_dir"' in script
    assert '"$summary_dir:$summary_dir"' in script
    assert '--workdir "$GITHUB_WORKSPACE"' in script


def test_outputs_map_to_the_run_step() -> None:
    """Every SPEC output is declared and taken from the run step's outputs."""
    outputs: dict[str, Any] = action()["outputs"]
    assert tuple(outputs) == OUTPUTS
    for name, spec in outputs.items():
        assert spec["value"] == f"${{{{ steps.run.outputs.{name} }}}}", name
        assert spec.get("description"), name


def test_plan_file_is_uploaded_even_on_failure() -> None:
    """The plan file this run wrote is uploaded even when the step failed, never a stale one."""
    upload = [s for s in action()["runs"]["steps"] if "upload-artifact" in s.get("uses", "")]
    assert len(upload) == 1
    assert upload[0]["if"].startswith("always() && ")
    assert upload[0]["with"]["if-no-files-found"] == "ignore"
    assert upload[0]["with"]["path"] == "${{ steps.run.outputs.plan-file }}"


def _uses(data: Any) -> list[str]:
    found: list[str] = []
    if isinstance(data, dict):
        for key, value in data.items():
            if key == "uses" and isinstance(value, str):
                found.append(value)
            else:
                found += _uses(value)
    elif isinstance(data, list):
        for item in data:
            found += _uses(item)
    return found


@pytest.mark.parametrize("path", [ACTION, *ALL_WORKFLOWS], ids=lambda p: p.name)
def test_actions_are_pinned_by_sha(path: Path) -> None:
    """Every `uses:` other than the repository itself is pinned to a full commit SHA."""
    for ref in _uses(load(path)):
        if ref.startswith("./") or ref.startswith(SELF_REFERENCE):
            continue
        assert re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", ref), f"{path.name}: {ref}"
        line = next(ln for ln in path.read_text().splitlines() if ref in ln)
        assert re.search(r"# v\d", line), f"{path.name}: say which version {ref} is"


def test_checkout_does_not_persist_credentials() -> None:
    """actions/checkout never leaves the token in .git/config."""
    for path in ALL_WORKFLOWS:
        for job in load(path)["jobs"].values():
            for step in job.get("steps", []):
                if step.get("uses", "").startswith("actions/checkout@"):
                    assert step["with"]["persist-credentials"] is False, path.name


#: What each release job may do: exactly the write access it uses.
RELEASE_PERMISSIONS = {
    "check": {"contents": "read"},
    "image": {
        "contents": "read",
        "packages": "write",
        "id-token": "write",
        "attestations": "write",
    },
    "release": {"contents": "write"},
}


def test_workflow_permissions_are_least_privilege() -> None:
    """Workflows grant nothing at the top and at most read access per job, except the
    example plan job's `pull-requests: write`, for the comment it opts into, and the release
    jobs, which hold exactly the write access each needs."""
    for path in ALL_WORKFLOWS:
        data = load(path)
        assert data["permissions"] == {}, path.name
        for name, job in data["jobs"].items():
            perms = dict(job["permissions"])
            if path == RELEASE:
                assert perms == RELEASE_PERMISSIONS[name], name
                continue
            if path == EXAMPLE and name == "plan":
                assert perms.pop("pull-requests") == "write"
                step = next(s for s in job["steps"] if s.get("id") == "plan")
                assert step["with"]["pr-comment"] is True
            assert set(perms.values()) <= {"read"}, f"{path.name}: {name}"
    assert set(load(RELEASE)["jobs"]) == set(RELEASE_PERMISSIONS)


def _step(job: dict[str, Any], uses: str) -> dict[str, Any]:
    matches = [s for s in job["steps"] if s.get("uses", "").startswith(f"{uses}@")]
    assert len(matches) == 1, uses
    step: dict[str, Any] = matches[0]
    return step


def test_release_builds_both_platforms_and_attests_the_pushed_digest() -> None:
    """The release runs by hand on main, builds linux/amd64 and linux/arm64 without cache,
    pushes to GHCR, and attests provenance and SBOM for the digest it pushed."""
    data = load(RELEASE)
    # PyYAML (YAML 1.1) reads the key `on` as the boolean true.
    raw: dict[object, Any] = yaml.safe_load(RELEASE.read_text())
    triggers = raw[True]
    assert set(triggers) == {"workflow_dispatch"}
    assert triggers["workflow_dispatch"]["inputs"]["version"]["required"] is True
    jobs = data["jobs"]
    assert jobs["check"]["if"] == "github.ref == 'refs/heads/main'"
    assert jobs["image"]["needs"] == "check"
    assert jobs["release"]["needs"] == "image"
    image = jobs["image"]
    assert image["env"]["IMAGE"] == "${{ needs.check.outputs.image }}"
    build = _step(image, "docker/build-push-action")["with"]
    assert build["platforms"] == "linux/amd64,linux/arm64"
    assert build["push"] is True
    assert build["no-cache"] is True
    assert build["provenance"] == "mode=max"
    assert build["sbom"] is True
    for name in ("actions/attest-build-provenance", "actions/attest-sbom"):
        attest = _step(image, name)["with"]
        assert attest["subject-name"] == "${{ env.IMAGE }}", name
        assert attest["subject-digest"] == "${{ steps.build.outputs.digest }}", name
        assert attest["push-to-registry"] is True, name
    assert _step(image, "actions/attest-sbom")["with"]["sbom-path"] == "sbom.spdx.json"
    assert "${GITHUB_REPOSITORY,,}" in json.dumps(jobs["check"]["steps"])
    assert all(jobs[name].get("environment") == "release" for name in ("image", "release"))
    for job in jobs.values():
        assert all("${{" not in step.get("run", "") for step in job["steps"])


def test_release_commits_the_pinned_action_and_moves_the_major_tag() -> None:
    """The release job pins action.yml to the pushed digest, tags that commit vX.Y.Z, moves
    the major tag to it and publishes the SHA to pin; the version reaches scripts only
    through the environment."""
    job = load(RELEASE)["jobs"]["release"]
    assert job["env"] == {
        "VERSION": "${{ inputs.version }}",
        "IMAGE_REF": "${{ needs.image.outputs.ref }}",
    }
    scripts = "\n".join(s.get("run", "") for s in job["steps"])
    assert 'python3 -m devtools.release pin "$IMAGE_REF"' in scripts
    assert 'git tag -a "v$VERSION"' in scripts
    assert 'git tag -f -a "$major"' in scripts
    assert '"refs/tags/v$VERSION" "+refs/tags/$MAJOR"' in scripts
    assert "python3 -m devtools.release notes" in scripts
    assert "gh release create" in scripts
    assert "${{" not in scripts


def test_example_apply_job_is_protected() -> None:
    """The example's apply job runs in `production`, may read Actions, applies the plan digest."""
    jobs = load(EXAMPLE)["jobs"]
    apply = jobs["apply"]
    assert apply["needs"] == "plan"
    assert apply["environment"] == "production"
    assert apply["permissions"]["actions"] == "read"
    step = next(s for s in apply["steps"] if s.get("uses", "").startswith(SELF_REFERENCE))
    assert step["with"]["mode"] == "apply"
    assert step["with"]["approved-plan-digest"] == "${{ needs.plan.outputs.plan-digest }}"
    assert jobs["plan"]["outputs"]["plan-digest"] == "${{ steps.plan.outputs.plan-digest }}"


def test_ci_has_a_job_that_must_fail() -> None:
    """CI runs the action itself and asserts an unapproved apply fails."""
    jobs = load(ROOT / ".github" / "workflows" / "ci.yml")["jobs"]
    steps = jobs["must-fail"]["steps"]
    applies = [s for s in steps if s.get("uses", "").startswith("./") and s["with"].get("mode")]
    assert applies
    assert all(s["continue-on-error"] is True for s in applies)
    check = steps[-1]
    for s in applies:
        assert f"steps.{s['id']}.outcome" in json.dumps(check["env"])
    assert "failure" in check["run"]


def test_dockerfile_installs_the_hashed_lock_and_runs_the_entrypoint() -> None:
    """The base is pinned by digest; the image installs requirements.lock with
    --require-hashes; ENTRYPOINT is exec form."""
    text = DOCKERFILE.read_text()
    instructions = [
        ln.strip()
        for ln in text.replace("\\\n", " ").splitlines()
        if ln.strip() and not ln.lstrip().startswith("#")
    ]
    # The base is pinned by tag (for people) and digest (for builds); FROM takes it from ARG.
    assert re.fullmatch(
        r"ARG BASE=python:3\.11\.\d+-slim-bookworm@sha256:[0-9a-f]{64}", instructions[0]
    )
    assert instructions[1] == "FROM ${BASE}"
    assert sum(i.startswith("FROM ") for i in instructions) == 1
    assert any(i.startswith("COPY requirements.lock ") for i in instructions)
    pip = next(i for i in instructions if i.startswith("RUN pip install"))
    assert "--require-hashes" in pip
    assert "--no-deps" in pip
    assert re.search(r"-r \S*requirements\.lock\b", pip)
    entry = [i for i in instructions if i.startswith("ENTRYPOINT")]
    assert len(entry) == 1
    argv = json.loads(entry[0].removeprefix("ENTRYPOINT").strip())
    assert argv[0] == "python"
    assert argv[-1].startswith("/")
    assert argv[-1].endswith("/entrypoint.py")
    # GitHub's rules for action Dockerfiles: run as root, do not rely on WORKDIR.
    assert not any(i.startswith(("USER ", "WORKDIR ")) for i in instructions)
    for var in ("PYTHONUNBUFFERED=1", "PYTHONDONTWRITEBYTECODE=1", "PIP_NO_CACHE_DIR=1"):
        assert var in text


def test_dockerignore_keeps_the_context_small() -> None:
    """The build context is an allow-list: no .venv, .git or tests in the image."""
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    assert "*" in lines
    assert {"!requirements.lock", "!entrypoint.py", "!refsync/"} <= set(lines)


@pytest.mark.parametrize("name", [*INPUT_NAMES, *OUTPUTS], ids=lambda n: n)
def test_readme_documents(name: str) -> None:
    """README.md has a table row for every input and output of action.yml."""
    readme = ROOT / "README.md"
    assert readme.exists(), "README.md is missing"
    rows = [ln for ln in readme.read_text().splitlines() if ln.startswith(f"| `{name}` |")]
    assert rows, f"README.md has no table row starting with | `{name}` |"
