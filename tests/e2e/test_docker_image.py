"""The action's container image, built and run as the runner does (needs a Docker engine:
marked `docker`, deselected by default, run by `python3 tasks.py docker` and the project's
GitHub workflow)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from devtools import seed
from devtools.dockerhost import build_args
from devtools.runner import ROOT, parse_outputs, runner_env
from tests.fixtures.pg import DbPair

pytestmark = pytest.mark.docker
IMAGE = "refsync-action:test"


@pytest.fixture(scope="module")
def image() -> str:
    subprocess.run(
        ["docker", "build", "--quiet", *build_args(), "--tag", IMAGE, str(ROOT)],
        check=True,
        timeout=900,
    )
    return IMAGE


def test_image_dry_run_matches_the_entrypoint(image: str, dbpair: DbPair, tmp_path: Path) -> None:
    """The container run with a runner's environment plans, writes its outputs and exits 0."""
    seed.seed_demo(dbpair.admin("dev"), dbpair.admin("prod"))
    env = runner_env(
        tmp_path, {"dev-database-url": dbpair.dev_url, "prod-database-url": dbpair.prod_url}
    )
    files = Path(env["GITHUB_OUTPUT"]).parent
    forwarded = [
        arg for name in env if name.startswith(("INPUT_", "GITHUB_", "CI")) for arg in ("-e", name)
    ]
    proc = subprocess.run(
        [
            "docker",
            "run",
            "--rm",
            "--network",
            "host",
            "--workdir",
            str(tmp_path),
            "--volume",
            f"{tmp_path}:{tmp_path}",
            "--volume",
            f"{files}:{files}",
            *forwarded,
            image,
        ],
        env=env | {"PATH": "/usr/bin:/bin:/usr/local/bin"},
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    outputs = parse_outputs(Path(env["GITHUB_OUTPUT"]).read_text())
    assert outputs["has-changes"] == "true"
    assert (tmp_path / "refsync-plan.json").exists()


def test_image_refuses_outside_actions(image: str) -> None:
    """The container exits 1 without CI=true and GITHUB_ACTIONS=true."""
    proc = subprocess.run(
        ["docker", "run", "--rm", "--network", "none", image],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert proc.returncode == 1
    assert "runs only inside GitHub Actions" in proc.stderr


def _python_in(image: str, script: str) -> subprocess.CompletedProcess[str]:
    """`python -c script` in the image, offline; it must succeed."""
    proc = subprocess.run(
        [
            "docker",
            "run",
            "--rm",
            "--network",
            "none",
            "--entrypoint",
            "python",
            image,
            "-c",
            script,
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    return proc


def test_image_ships_compiled_bytecode(image: str) -> None:
    """refsync's modules load from bytecode compiled at build time: a run in the image (which
    never writes bytecode) does not compile them again."""
    script = (
        "import importlib.util, os, sys; sys.path.insert(0, '/app'); import refsync.diff; "
        "print(os.path.exists(importlib.util.cache_from_source(refsync.diff.__file__)))"
    )
    proc = _python_in(image, script)
    assert proc.stdout.strip() == "True"


def test_image_loads_numpy_and_matches_scans_with_it(image: str) -> None:
    """numpy is installed from the lock file and loads in the image: a run that scans a
    large table first matches the scans with it (without it, the run reads every row)."""
    script = (
        "import sys; sys.path.insert(0, '/app'); from array import array; "
        "from refsync.unchanged import Scanned, match, unavailable; "
        "print(unavailable()); "
        "side = lambda: Scanned(array('q', [1, 5]), array('q', [2, 6]), array('q', [3, 7])); "
        "print(match(side(), Scanned(array('q', [1]), array('q', [2]), array('q', [3])), ids=True))"
    )
    proc = _python_in(image, script)
    assert proc.stdout.splitlines() == ["None", "Kept(dev=[1], prod=[], unchanged=1)"]
