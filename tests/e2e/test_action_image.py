"""The composite action's own steps, run as a runner runs them against a real Docker engine,
in both of its forms: as this repository has it (`uses: ./`: build the Dockerfile, run the
built image ID) and as a release has it (pull the published image by digest, build
nothing). A registry on loopback stands in for GHCR, so the released form pulls a real
manifest digest. Each form takes seeded databases through a dry-run, an approved apply and
a second, empty dry-run. Marked `docker`: run by `python3 tasks.py docker`."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from devtools import dockerhost, release, seed
from devtools.composite import ActionRun, Job, run_action
from devtools.fake_github import FakeGitHub
from tests.fixtures.pg import DbPair

pytestmark = pytest.mark.docker
ROOT = Path(__file__).resolve().parents[2]
REPOSITORY = "octo-org/refsync-action"


@pytest.fixture(scope="module")
def path(tmp_path_factory: pytest.TempPathFactory) -> str:
    """PATH for the jobs: with a `docker` shim that builds from the stand-in base where
    Docker Hub is out of reach (REFSYNC_DOCKER_BASE set), else the PATH as it is."""
    shim = dockerhost.write_build_shim(tmp_path_factory.mktemp("shim"))
    current = os.environ.get("PATH", "/usr/bin:/bin")
    return f"{shim}:{current}" if shim else current


@pytest.fixture(scope="module")
def registry() -> Iterator[dockerhost.LocalRegistry]:
    with dockerhost.LocalRegistry() as running:
        yield running


@pytest.fixture(scope="module")
def published(registry: dockerhost.LocalRegistry) -> Iterator[str]:
    """The image built from the Dockerfile and pushed as the release workflow would:
    REGISTRY/REPOSITORY@sha256:…, with no local reference to that digest left, before the
    tests (which pull it) and after them (the registry goes with them)."""
    dockerhost.build_image("refsync-action:test-release")
    ref = registry.push("refsync-action:test-release", REPOSITORY, "1.2.3")
    dockerhost.forget(ref)
    yield ref
    dockerhost.forget(ref)


@pytest.fixture(scope="module")
def released(published: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A released action: only its action.yml, pinned by devtools.release to the digest."""
    directory = tmp_path_factory.mktemp("released-action")
    (directory / "action.yml").write_text(release.pin((ROOT / "action.yml").read_text(), published))
    return directory


def promote(action_dir: Path, dbpair: DbPair, tmp_path: Path, path: str) -> list[ActionRun]:
    """A plan job, an approved apply job and a second plan job, each using the action."""
    seed.seed_demo(dbpair.admin("dev"), dbpair.admin("prod"))
    urls = {"dev-database-url": dbpair.dev_url, "prod-database-url": dbpair.prod_url}
    env = {"PATH": path}
    plan = run_action(action_dir, Job(tmp_path / "plan"), urls, env=env)
    assert plan.returncode == 0, plan.log()
    assert plan.outputs["has-changes"] == "true"
    assert plan.outputs["applied"] == "false"
    digest = plan.outputs["plan-digest"]
    assert re.fullmatch(r"[0-9a-f]{64}", digest)
    assert Path(plan.outputs["plan-file"]).is_file()
    assert "refsync dry-run" in plan.step("run").summary
    with FakeGitHub(scenario="approved", approvers=("alice",)) as gh:
        apply = run_action(
            action_dir,
            Job(tmp_path / "apply"),
            {**urls, "mode": "apply", "approved-plan-digest": digest},
            env={**env, "GITHUB_API_URL": gh.url},
            token=gh.token,
        )
    assert apply.returncode == 0, apply.log()
    assert apply.outputs["applied"] == "true"
    assert "alice" in apply.step("run").summary
    again = run_action(action_dir, Job(tmp_path / "again"), urls, env=env)
    assert again.returncode == 0, again.log()
    assert again.outputs["has-changes"] == "false"
    return [plan, apply, again]


def test_action_builds_its_dockerfile_and_promotes(
    dbpair: DbPair, tmp_path: Path, path: str
) -> None:
    """`uses: ./`: each job builds the Dockerfile and runs the image ID it built; a dry-run,
    an approved apply and an empty re-plan pass through the action's outputs."""
    runs = promote(ROOT, dbpair, tmp_path, path)
    refs = {run.step("image").outputs["ref"] for run in runs}
    assert len(refs) == 1
    assert re.fullmatch(r"sha256:[0-9a-f]{64}", refs.pop())


def test_released_action_pulls_its_digest_and_promotes(
    dbpair: DbPair, tmp_path: Path, path: str, released: Path, published: str
) -> None:
    """A released action (its action.yml alone, no Dockerfile beside it) pulls the published
    digest in every job and runs exactly that image through the same promotion."""
    assert [p.name for p in released.iterdir()] == ["action.yml"]
    runs = promote(released, dbpair, tmp_path, path)
    for run in runs:
        assert run.step("image").outputs["ref"] == published
        assert published in run.step("image").stdout
    assert dockerhost.image_exists(published)


def test_released_action_fails_closed_on_a_digest_the_registry_lacks(
    registry: dockerhost.LocalRegistry, tmp_path: Path, path: str
) -> None:
    """A digest that is not in the registry fails the image step: nothing else runs, no
    container starts, and nothing is built in its place."""
    missing = f"{registry.host}/{REPOSITORY}@sha256:{'0' * 64}"
    action_dir = tmp_path / "action"
    action_dir.mkdir()
    (action_dir / "action.yml").write_text(release.pin((ROOT / "action.yml").read_text(), missing))
    urls = {
        "dev-database-url": "postgresql://u@127.0.0.1:1/d",
        "prod-database-url": "postgresql://u@127.0.0.1:1/p",
    }
    run = run_action(action_dir, Job(tmp_path / "job"), urls, env={"PATH": path})
    assert run.returncode != 0
    assert [s.key for s in run.steps if not s.skipped] == ["image"]
    assert run.outputs["plan-digest"] == ""
