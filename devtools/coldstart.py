"""A refsync job's cold start, both ways: how long action.yml's image step takes on a runner
that holds no image at all (every GitHub-hosted job), before refsync itself starts.

    python3 tasks.py docker --cold-start [--runs 3]

- build: action.yml as this repository has it (`uses: ./`). Its build step pulls the base
  by digest, downloads every wheel of requirements.lock from PyPI, installs them and
  compiles refsync.
- released: the released action.yml (devtools/release.py). Its pull step pulls the
  published image by digest.

Docker Hub and GHCR are out of reach here, so both pulls come from a registry on loopback
(the base, or its stand-in, and the built image are pushed to it first) and cost no
network time; the wheels come from PyPI as in a real build. Before each timed step every
image the task made is removed, base included, so nothing is cached. The engine uses the
vfs storage driver, which copies each layer in full: GitHub's runners use overlayfs, so
both figures here are slower than there, the build more so (it writes more layers).
"""

from __future__ import annotations

import json
import statistics
import tempfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from devtools import dockerhost, release
from devtools.composite import Job, run_action

REPOSITORY = "octo-org/refsync-action"
BASE_REPOSITORY = "library/python"
_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
_DUMMY_INPUTS = {
    "dev-database-url": "postgresql://unused@127.0.0.1:1/dev",
    "prod-database-url": "postgresql://unused@127.0.0.1:1/prod",
}


@dataclass(frozen=True)
class Form:
    name: str
    what: str
    seconds: list[float]


def compressed_mb(registry: dockerhost.LocalRegistry, ref: str) -> float:
    """What a pull of ``ref`` downloads: its layers and config as the registry stores them."""
    repository, digest = ref.removeprefix(f"{registry.host}/").split("@")
    request = urllib.request.Request(
        f"http://{registry.host}/v2/{repository}/manifests/{digest}",
        headers={"Accept": _MANIFEST},
    )
    with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310 - loopback
        manifest = json.load(answer)
    sizes = [int(layer["size"]) for layer in manifest["layers"]]
    return (sum(sizes) + int(manifest["config"]["size"])) / 1e6


def wipe(registry: dockerhost.LocalRegistry) -> None:
    """Remove every image this task made (the base too), so the next step starts cold; and,
    by name only, the action images earlier test runs pulled from their own loopback
    registries, long gone (one left keeps its parent layers, which `<none>` lists, in place)."""
    earlier = dockerhost.docker(
        "image", "ls", "--digests", "--format", "{{.Repository}}@{{.Digest}}"
    ).stdout.split()
    dockerhost.forget(*(ref for ref in earlier if _pulled_by_a_test(ref)))
    ours = ("refsync-", f"{registry.host}/", "<none>")
    for _ in range(5):  # a parent goes only once its children have gone
        listed = dockerhost.docker(
            "image", "ls", "--all", "--format", "{{.ID}} {{.Repository}}"
        ).stdout.splitlines()
        ids = sorted({line.split()[0] for line in listed if line.split()[1].startswith(ours)})
        if not ids:
            return
        dockerhost.forget(*ids)
    raise dockerhost.DockerTaskError(f"images left after removing them: {ids}")


def _pulled_by_a_test(ref: str) -> bool:
    """127.0.0.1:PORT/octo-org/refsync-action@sha256:…: the released action's image as the
    docker tests pull it (their registry's port changes every run)."""
    host, _, rest = ref.partition("/")
    return host.startswith("127.0.0.1:") and rest.startswith(f"{REPOSITORY}@sha256:")


def time_image_step(action_dir: Path, job: Path, path: str) -> float:
    run = run_action(action_dir, Job(job), _DUMMY_INPUTS, env={"PATH": path}, until="image")
    if run.returncode != 0:
        raise dockerhost.DockerTaskError(f"the image step failed:\n{run.log()}")
    return run.step("image").seconds


def measure(base: str | None, runs: int = 3) -> list[Form]:
    """Time both forms ``runs`` times each, alternating, and print a Markdown table."""
    root = dockerhost.ROOT
    with dockerhost.LocalRegistry() as registry, tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        base_local = base or dockerhost.pinned_base()
        base_ref = registry.push(base_local, BASE_REPOSITORY, "3.11-slim-bookworm")
        dockerhost.build_image(dockerhost.IMAGE, base)
        image_ref = registry.push(dockerhost.IMAGE, REPOSITORY, "measure")
        released = work / "released"
        released.mkdir()
        (released / "action.yml").write_text(
            release.pin((root / "action.yml").read_text(), image_ref)
        )
        # The build step as written, except that FROM pulls the base from the registry.
        shim = dockerhost.write_build_shim(work / "shim", base=base_ref)
        path = f"{shim}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
        built: list[float] = []
        pulled: list[float] = []
        try:
            for i in range(runs):
                wipe(registry)
                built.append(time_image_step(root, work / f"build-{i}", path))
                dockerhost.log(f"cold start, build: {built[-1]:.1f} s")
                wipe(registry)
                pulled.append(time_image_step(released, work / f"pull-{i}", path))
                dockerhost.log(f"cold start, released: {pulled[-1]:.1f} s")
        finally:
            wipe(registry)
            if base is not None:  # put the stand-in back, so the next run is warm again
                dockerhost.docker("pull", "--quiet", base_ref)
                dockerhost.docker("tag", base_ref, base)
                dockerhost.forget(base_ref)  # the tag keeps the image
        base_mb = compressed_mb(registry, base_ref)
        image_mb = compressed_mb(registry, image_ref)
    forms = [
        Form(
            "build (`uses: ./`)",
            f"pull the base ({base_mb:.0f} MB compressed), download and install the "
            "wheels from PyPI, compile refsync",
            built,
        ),
        Form(
            "released",
            f"pull the published image by digest ({image_mb:.0f} MB compressed)",
            pulled,
        ),
    ]
    print("\n| form | the image step | runs (s) | median (s) |\n|---|---|---:|---:|")
    for form in forms:
        each = ", ".join(f"{s:.1f}" for s in form.seconds)
        print(f"| {form.name} | {form.what} | {each} | {statistics.median(form.seconds):.1f} |")
    return forms
