"""Release tooling: the version check, the released action.yml and the release notes.

    python3 -m devtools.release check 1.2.0        # the version may be released now
    python3 -m devtools.release pin IMAGE@sha256:… # rewrite action.yml to run that image
    python3 -m devtools.release major 1.2.0        # the moving tag: v1
    python3 -m devtools.release notes 1.2.0 --image IMAGE@sha256:… --commit SHA --repository O/R

The release workflow (.github/workflows/release.yml) runs these with a bare Python, so this
module uses the standard library only. docs/release.md describes the whole process.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ACTION = ROOT / "action.yml"
CHANGELOG = ROOT / "CHANGELOG.md"
VERSION_FILE = ROOT / "refsync" / "__init__.py"

VERSION_RE = re.compile(r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)")
#: A registry host (with an optional port), a lower-case repository path, and a digest.
#: A tag is refused: a released action must name bytes, not a name that can be moved.
IMAGE_RE = re.compile(
    r"[a-z0-9]+(?:[.-][a-z0-9]+)*(?::\d+)?(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)+@sha256:[0-9a-f]{64}"
)
_DECLARED_VERSION = re.compile(r'^__version__ = "([^"]*)"$', re.MULTILINE)
_CHANGELOG_HEADING = re.compile(r"^## \[([^\]]+)\](.*)$", re.MULTILINE)

#: The step of action.yml that a release replaces: it builds the Dockerfile.
BUILD_STEP_HEAD = "    - name: Build the refsync image"
PULL_STEP = """\
    # Released: the image the release workflow built for linux/amd64 and linux/arm64,
    # pushed to GHCR and attested for this version, pulled by digest. `docker pull` checks
    # the digest, so this job runs exactly those bytes and builds nothing.
    - name: Pull the refsync image
      id: image
      shell: bash
      env:
        IMAGE: {image}
      run: |
        set -euo pipefail
        docker pull --quiet "$IMAGE"
        echo "ref=$IMAGE" >> "$GITHUB_OUTPUT"
"""


class ReleaseError(Exception):
    """The release cannot go ahead; the message says what to fix."""


def declared_version(init_text: str) -> str:
    """The one version of the project: `__version__` in refsync/__init__.py."""
    found = _DECLARED_VERSION.findall(init_text)
    if len(found) != 1:
        raise ReleaseError("refsync/__init__.py must assign __version__ exactly once")
    version: str = found[0]
    return version


def changelog_section(changelog: str, version: str) -> str:
    """The body of `## [version] - YYYY-MM-DD` in CHANGELOG.md, which must exist and be dated."""
    headings = list(_CHANGELOG_HEADING.finditer(changelog))
    for i, heading in enumerate(headings):
        if heading.group(1) != version:
            continue
        if not re.fullmatch(r" - \d{4}-\d{2}-\d{2}", heading.group(2)):
            raise ReleaseError(
                f"CHANGELOG.md: give the [{version}] section its release date: "
                f"## [{version}] - YYYY-MM-DD"
            )
        end = headings[i + 1].start() if i + 1 < len(headings) else len(changelog)
        # Link definitions at the end of the file are not part of the section.
        body = re.split(r"^\[[^\]]+\]: ", changelog[heading.end() : end], flags=re.MULTILINE)[0]
        if not body.strip():
            raise ReleaseError(f"CHANGELOG.md: the [{version}] section is empty")
        return body.strip()
    raise ReleaseError(
        f"CHANGELOG.md has no [{version}] section: rename [Unreleased] to "
        f"[{version}] - YYYY-MM-DD (and start a new empty [Unreleased])"
    )


def check(version: str, init_text: str, changelog: str, tags: Iterable[str]) -> None:
    """Refuse a release whose version is malformed, differs from the code, has no dated
    CHANGELOG section, or was released before."""
    if not VERSION_RE.fullmatch(version):
        raise ReleaseError(f"version must be X.Y.Z (digits only, no v): {version!r}")
    declared = declared_version(init_text)
    if declared != version:
        raise ReleaseError(
            f"refsync/__init__.py says __version__ = {declared!r}: bump it to {version!r} "
            "in a pull request before releasing"
        )
    changelog_section(changelog, version)
    if f"v{version}" in set(tags):
        raise ReleaseError(f"tag v{version} exists already: versions are released once")


def major_tag(version: str) -> str:
    """The tag that follows the newest release of a major version: 1.4.2 -> v1."""
    match = VERSION_RE.fullmatch(version)
    if match is None:
        raise ReleaseError(f"version must be X.Y.Z: {version!r}")
    return f"v{match.group(1)}"


def pin(action_text: str, image: str) -> str:
    """action.yml with its build step replaced by a pull of ``image`` (pinned by digest).

    Only the image step changes, as text, so every other line (comments included) of the
    released action.yml is the reviewed one from the default branch.
    """
    if not IMAGE_RE.fullmatch(image):
        raise ReleaseError(f"image must be REGISTRY/REPOSITORY@sha256:<64 hex>: {image!r}")
    lines = action_text.splitlines(keepends=True)
    heads = [i for i, line in enumerate(lines) if line.rstrip("\n") == BUILD_STEP_HEAD]
    if len(heads) != 1:
        raise ReleaseError(f"action.yml must have exactly one line {BUILD_STEP_HEAD.strip()!r}")
    start = heads[0]
    while start > 0 and lines[start - 1].startswith("    #"):
        start -= 1  # the step's own comment goes with it
    end = heads[0] + 1
    while end < len(lines) and lines[end].startswith("      "):
        end += 1
    block = "".join(lines[heads[0] : end])
    if "      id: image\n" not in block or "docker build" not in block:
        raise ReleaseError("action.yml's build step is not the `image` step that runs docker build")
    released = "".join([*lines[:start], PULL_STEP.format(image=image), *lines[end:]])
    if "docker build" in released:
        raise ReleaseError("action.yml still runs docker build outside the image step")
    return released


def notes(version: str, changelog: str, image: str, commit: str, repository: str) -> str:
    """The GitHub release text: what changed, the commit to pin, and how to verify the image."""
    if not re.fullmatch(r"[0-9a-f]{40}", commit):
        raise ReleaseError(f"commit must be a full 40-hex SHA: {commit!r}")
    return f"""\
{changelog_section(changelog, version)}

### Use this release

Pin the action to the release commit (a tag can be moved, a commit cannot):

```yaml
- uses: {repository}@{commit} # v{version}
```

It runs the image `{image}` (linux/amd64 and linux/arm64), pulled by digest. Verify its
build provenance and its SBOM with the GitHub CLI:

```sh
gh attestation verify oci://{image} --repo {repository}
gh attestation verify oci://{image} --repo {repository} \\
  --predicate-type https://spdx.dev/Document/v2.3
```
"""


def _tags() -> list[str]:
    out = subprocess.run(
        ["git", "tag", "--list"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.split()


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="python3 -m devtools.release", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("check").add_argument("version")
    sub.add_parser("pin").add_argument("image")
    sub.add_parser("major").add_argument("version")
    notes_cmd = sub.add_parser("notes")
    notes_cmd.add_argument("version")
    notes_cmd.add_argument("--image", required=True)
    notes_cmd.add_argument("--commit", required=True)
    notes_cmd.add_argument("--repository", required=True)
    args = parser.parse_args(argv)
    try:
        if args.command == "check":
            check(args.version, VERSION_FILE.read_text(), CHANGELOG.read_text(), _tags())
            print(f"release: v{args.version} can be released")
        elif args.command == "pin":
            ACTION.write_text(pin(ACTION.read_text(), args.image))
            print(f"release: action.yml runs {args.image}")
        elif args.command == "major":
            print(major_tag(args.version))
        else:
            text = CHANGELOG.read_text()
            print(notes(args.version, text, args.image, args.commit, args.repository), end="")
    except ReleaseError as exc:
        print(f"::error::release: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
