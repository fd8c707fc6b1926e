"""Release hygiene: one version source, the release check, the released action.yml and the
release notes (devtools/release.py), and the files a release needs beside the code."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

import refsync
from devtools import release

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
DIGEST = "sha256:" + "0123456789abcdef" * 4
IMAGE = f"ghcr.io/octo-org/refsync-action@{DIGEST}"
SHA = "89abcdef" * 5

CHANGELOG = """\
# Changelog

## [Unreleased]

## [1.2.0] - 2026-11-30

### Fixed

- The thing.

## [1.1.0] - 2026-10-01

- Older.

[1.2.0]: https://example.invalid/compare/v1.1.0...v1.2.0
"""


def steps_by_id(action: dict[str, Any]) -> dict[str, dict[str, Any]]:
    steps: list[dict[str, Any]] = action["runs"]["steps"]
    return {s.get("id") or s.get("uses") or s["name"]: s for s in steps}


def released_action() -> str:
    return release.pin((ROOT / "action.yml").read_text(), IMAGE)


def test_pin_swaps_the_build_step_for_a_pull_by_digest() -> None:
    """The released action.yml pulls exactly the given digest in the `image` step and builds
    nothing; every other step, input and output is the reviewed one."""
    source = yaml.safe_load((ROOT / "action.yml").read_text())
    released = yaml.safe_load(released_action())
    assert {k: v for k, v in released.items() if k != "runs"} == {
        k: v for k, v in source.items() if k != "runs"
    }
    before, after = steps_by_id(source), steps_by_id(released)
    assert list(before) == list(after)
    pull = after["image"]
    assert pull["name"] == "Pull the refsync image"
    assert pull["env"] == {"IMAGE": IMAGE}
    assert 'docker pull --quiet "$IMAGE"' in pull["run"]
    assert 'echo "ref=$IMAGE" >> "$GITHUB_OUTPUT"' in pull["run"]
    assert "${{" not in pull["run"]
    for key in before:
        if key != "image":
            assert after[key] == before[key], key
    assert "docker build" not in released_action()


def test_pin_changes_no_line_outside_the_image_step() -> None:
    """Comments and layout of the rest of action.yml survive the release unchanged."""
    source = (ROOT / "action.yml").read_text().splitlines()
    released = released_action().splitlines()
    head = next(i for i, (a, b) in enumerate(zip(source, released, strict=False)) if a != b)
    tail = next(
        i
        for i, (a, b) in enumerate(zip(reversed(source), reversed(released), strict=False))
        if a != b
    )
    changed = source[head : len(source) - tail]
    assert source[head - 1] == "  steps:"  # the image step (with its comment) comes first
    assert changed[-1].strip() == 'echo "ref=$ref" >> "$GITHUB_OUTPUT"'
    assert sum("- name:" in line for line in changed) == 1
    assert any("docker build" in line for line in changed)


def test_released_action_passes_the_schema_and_zizmor(tmp_path: Path) -> None:
    """The released action.yml is as valid and as clean as the one it came from."""
    path = tmp_path / "action.yml"
    path.write_text(released_action())
    schema = subprocess.run(
        [str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.github-actions", str(path)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert schema.returncode == 0, schema.stdout + schema.stderr
    zizmor = subprocess.run(
        [str(BIN / "zizmor"), "--offline", str(path)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert zizmor.returncode == 0, zizmor.stdout + zizmor.stderr
    assert "No findings to report" in zizmor.stdout


@pytest.mark.parametrize(
    "image",
    [
        "ghcr.io/octo-org/refsync-action:1.2.0",  # a tag can be moved
        "ghcr.io/octo-org/refsync-action:1.2.0@" + DIGEST,  # the tag would mislead readers
        "ghcr.io/octo-org/refsync-action@sha256:0123",
        "ghcr.io/Octo-Org/refsync-action@" + DIGEST,  # registries refuse upper case
        "refsync-action@" + DIGEST,  # no registry: Docker Hub by accident
        f"ghcr.io/octo-org/refsync-action@{DIGEST}\n        run: evil",
        f'ghcr.io/octo-org/refsync-action@{DIGEST}" ; curl evil',
    ],
)
def test_pin_refuses_anything_but_a_registry_image_by_digest(image: str) -> None:
    """Only REGISTRY/REPOSITORY@sha256:<64 hex> may be written into a released action."""
    with pytest.raises(release.ReleaseError, match="image must be"):
        release.pin((ROOT / "action.yml").read_text(), image)


def test_pin_accepts_a_local_registry_with_a_port() -> None:
    """A registry host with a port (the tests' stand-in for GHCR) is a valid reference."""
    image = f"127.0.0.1:5000/octo-org/refsync-action@{DIGEST}"
    assert f"IMAGE: {image}\n" in release.pin((ROOT / "action.yml").read_text(), image)


def test_pin_refuses_an_action_without_its_build_step() -> None:
    """A released (or reshaped) action.yml is refused rather than pinned twice or half."""
    with pytest.raises(release.ReleaseError, match="exactly one line"):
        release.pin(released_action(), IMAGE)


def test_check_accepts_a_new_dated_version_equal_to_the_code() -> None:
    """A version equal to __version__, with a dated CHANGELOG section and no tag, passes."""
    release.check("1.2.0", '__version__ = "1.2.0"\n', CHANGELOG, ["v1.1.0", "v1"])


@pytest.mark.parametrize(
    ("version", "declared", "changelog", "tags", "message"),
    [
        ("v1.2.0", "1.2.0", CHANGELOG, [], "X.Y.Z"),
        ("1.2", "1.2", CHANGELOG, [], "X.Y.Z"),
        ("01.2.0", "01.2.0", CHANGELOG, [], "X.Y.Z"),
        ("1.2.0", "1.1.0", CHANGELOG, [], "bump it"),
        ("1.3.0", "1.3.0", CHANGELOG, [], r"no \[1.3.0\] section"),
        ("1.2.0", "1.2.0", CHANGELOG.replace("- 2026-11-30", "- unreleased"), [], "date"),
        ("1.2.0", "1.2.0", CHANGELOG, ["v1.2.0"], "exists already"),
    ],
)
def test_check_refuses(
    version: str, declared: str, changelog: str, tags: list[str], message: str
) -> None:
    """A malformed, undeclared, undocumented or already released version is refused."""
    with pytest.raises(release.ReleaseError, match=message):
        release.check(version, f'__version__ = "{declared}"\n', changelog, tags)


def test_changelog_section_stops_at_the_next_version_and_the_links() -> None:
    """The release notes carry one version's entries, not the next one's or the link list."""
    assert release.changelog_section(CHANGELOG, "1.2.0") == "### Fixed\n\n- The thing."
    assert release.changelog_section(CHANGELOG, "1.1.0") == "- Older."


def test_major_tag() -> None:
    """The moving tag is v<major>."""
    assert release.major_tag("1.4.2") == "v1"
    assert release.major_tag("12.0.0") == "v12"


def test_notes_name_the_commit_to_pin_and_how_to_verify() -> None:
    """The release notes give the `uses:` line with the full SHA and both attestation checks."""
    text = release.notes("1.2.0", CHANGELOG, IMAGE, SHA, "octo-org/refsync-action")
    assert text.startswith("### Fixed\n\n- The thing.\n")
    assert f"- uses: octo-org/refsync-action@{SHA} # v1.2.0" in text
    assert f"gh attestation verify oci://{IMAGE} --repo octo-org/refsync-action" in text
    assert "--predicate-type https://spdx.dev/Document/v2.3" in text
    with pytest.raises(release.ReleaseError, match="40-hex"):
        release.notes("1.2.0", CHANGELOG, IMAGE, "v1.2.0", "octo-org/refsync-action")


def test_today_nothing_is_released_without_a_dated_changelog_section() -> None:
    """The release workflow's first job, run on this tree, names what a release still needs."""
    proc = subprocess.run(
        [sys.executable, "-m", "devtools.release", "check", refsync.__version__],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert proc.returncode == 1
    assert f"CHANGELOG.md has no [{refsync.__version__}] section" in proc.stderr


def test_the_version_has_one_source() -> None:
    """pyproject.toml takes the version from refsync.__version__ and writes none of its own."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "version" not in project["project"]
    assert project["project"]["dynamic"] == ["version"]
    dynamic = project["tool"]["setuptools"]["dynamic"]["version"]
    assert dynamic == {"attr": "refsync.__version__"}
    assert release.VERSION_RE.fullmatch(refsync.__version__)
    init = (ROOT / "refsync" / "__init__.py").read_text()
    assert release.declared_version(init) == refsync.__version__


def test_license_security_policy_and_changelog_are_present() -> None:
    """The MIT license pyproject declares, a security policy and a changelog ship in the repo."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert project["project"]["license"] == {"text": "MIT"}
    assert (ROOT / "LICENSE").read_text().startswith("MIT License\n\nCopyright (c) ")
    security = (ROOT / "SECURITY.md").read_text()
    assert "Report a vulnerability" in security
    changelog = (ROOT / "CHANGELOG.md").read_text()
    assert re.search(r"^## \[Unreleased\]$", changelog, re.MULTILINE)
    for version in re.findall(r"^## \[(\d+\.\d+\.\d+)\]", changelog, re.MULTILINE):
        release.changelog_section(changelog, version)
