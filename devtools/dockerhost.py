"""A Docker engine on this machine, the action's image built in it, and the tests that need
an engine run against it:

    python3 tasks.py docker                  # engine, base, image, then pytest -m docker
    python3 tasks.py docker --cold-start     # then measure a job's cold start both ways

The engine is Debian's `docker.io` (installed with apt-get when missing, as root) started as
``dockerd --storage-driver=vfs`` with no bridge network: every container and build here
uses ``--network host``, so nothing but loopback is ever addressed.

Docker Hub is out of reach on these machines, so when the Dockerfile's pinned base cannot
be pulled this module builds a stand-in with the same layout from Debian packages
(debootstrap's minbase with python3 and pip, ``python`` in /usr/local/bin, the host's CA
bundle so pip reaches PyPI through the machine's proxy, no EXTERNALLY-MANAGED marker) and
passes its tag as the Dockerfile's ``BASE`` build argument. ``REFSYNC_DOCKER_BASE`` carries
that tag to the tests; where it is unset (the project's GitHub workflow) everything builds
from the pinned digest as users' builds do.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

ROOT = Path(__file__).resolve().parent.parent
DOCKERFILE = ROOT / "Dockerfile"
IMAGE = "refsync-action:local"
#: Not the real base's name: nobody should mistake the stand-in for python:3.11-slim.
STAND_IN = "refsync-stand-in/python:3.11-slim-bookworm"
#: Bump when the recipe below changes, so an old stand-in is rebuilt.
STAND_IN_RECIPE = "1"
BASE_ENV = "REFSYNC_DOCKER_BASE"
#: The binaries this module needs and the Debian packages that bring them.
PACKAGES = {
    "docker": "docker.io",
    "dockerd": "docker.io",
    "debootstrap": "debootstrap",
    "docker-registry": "docker-registry",
}
_SBIN_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
_CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")


class DockerTaskError(RuntimeError):
    """The engine, the base or the image could not be had; the message says what to do."""


def log(message: str) -> None:
    print(f"docker: {message}", flush=True)


def which(name: str) -> str | None:
    return shutil.which(name, path=os.environ.get("PATH", "") + ":" + _SBIN_PATH)


def docker(
    *argv: str, timeout: float = 600, check: bool = True
) -> subprocess.CompletedProcess[str]:
    """Run the docker client, capturing its output; a failure raises with its stderr."""
    proc = subprocess.run(
        ["docker", *argv], capture_output=True, text=True, check=False, timeout=timeout
    )
    if check and proc.returncode != 0:
        raise DockerTaskError(f"docker {' '.join(argv[:2])} failed:\n{proc.stderr.strip()}")
    return proc


def image_exists(ref: str) -> bool:
    return docker("image", "inspect", ref, check=False, timeout=60).returncode == 0


# --- the engine ---------------------------------------------------------------------------


def ensure_packages() -> None:
    """Install docker.io, debootstrap and docker-registry with apt-get if one is missing."""
    missing = sorted({pkg for binary, pkg in PACKAGES.items() if which(binary) is None})
    if not missing:
        return
    if os.geteuid() != 0:
        raise DockerTaskError(
            f"missing {', '.join(missing)}: as root, apt-get install {' '.join(missing)}"
        )
    log(f"installing {', '.join(missing)} with apt-get")
    install = ["apt-get", "install", "-y", "-q", *missing]
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    if subprocess.run(install, env=env, check=False).returncode != 0:
        # A fresh machine may have no package lists yet.
        subprocess.run(["apt-get", "update", "-q"], env=env, check=True)
        subprocess.run(install, env=env, check=True)
    still = [binary for binary in PACKAGES if which(binary) is None]
    if still:
        raise DockerTaskError(f"apt-get installed the packages but {still} are still missing")


def engine_running() -> bool:
    with contextlib.suppress(subprocess.TimeoutExpired, FileNotFoundError):
        return docker("info", check=False, timeout=20).returncode == 0
    return False


@dataclass
class Engine:
    """dockerd, started by this task unless one was running already."""

    process: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None

    @classmethod
    def ensure(cls) -> Engine:
        if engine_running():
            log("using the running Docker engine")
            return cls()
        dockerd = which("dockerd")
        if dockerd is None:
            raise DockerTaskError("dockerd is missing: apt-get install docker.io")
        log_path = Path(tempfile.gettempdir()) / "refsync-dockerd.log"
        with log_path.open("wb") as out:
            # No bridge and no iptables rules: containers here only ever use the host's
            # loopback network, and the sandbox may not allow netfilter changes.
            process = subprocess.Popen(
                [dockerd, "--storage-driver=vfs", "--bridge=none", "--iptables=false"],
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        engine = cls(process, log_path)
        deadline = time.monotonic() + 60
        while not engine_running():
            if process.poll() is not None or time.monotonic() > deadline:
                engine.stop()
                tail = log_path.read_text(errors="replace")[-2000:]
                raise DockerTaskError(f"dockerd did not start; the end of its log:\n{tail}")
            time.sleep(0.5)
        log(f"started dockerd (pid {process.pid}, log {log_path})")
        return engine

    def stop(self) -> None:
        """Stop the dockerd this task started (never one it found running)."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


# --- the base image -----------------------------------------------------------------------


def pinned_base() -> str:
    """The Dockerfile's default BASE: the real base, pinned by digest."""
    found = re.findall(r"^ARG BASE=(\S+)$", DOCKERFILE.read_text(), re.MULTILINE)
    if len(found) != 1:
        raise DockerTaskError("the Dockerfile must declare ARG BASE=<image>@sha256:<digest> once")
    base: str = found[0]
    return base


def ensure_base() -> str | None:
    """The BASE build argument to pass: None when the pinned base is here or can be pulled,
    else the tag of a stand-in built from Debian packages."""
    pinned = pinned_base()
    if image_exists(pinned):
        log(f"base: {pinned} is present")
        return None
    pulled = docker("pull", "--quiet", pinned, check=False, timeout=600)
    if pulled.returncode == 0:
        log(f"base: pulled {pinned}")
        return None
    reason = (pulled.stderr.strip().splitlines() or ["no reason given"])[-1]
    log(f"base: cannot pull the pinned base ({reason}); using a stand-in")
    ensure_stand_in()
    return STAND_IN


def ensure_stand_in() -> None:
    """Build STAND_IN from Debian packages unless the current recipe's one exists."""
    labels = docker(
        "image", "inspect", "--format", "{{json .Config.Labels}}", STAND_IN, check=False
    )
    if labels.returncode == 0 and f'"refsync.stand-in.recipe":"{STAND_IN_RECIPE}"' in labels.stdout:
        log(f"base: {STAND_IN} is present")
        return
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="refsync-stand-in-", dir="/var/tmp") as tmp:
        rootfs = Path(tmp) / "rootfs"
        log("base: debootstrap bookworm (minbase, python3, python3-pip)")
        subprocess.run(
            [
                "debootstrap",
                "--variant=minbase",
                "--include=python3,python3-pip",
                "bookworm",
                str(rootfs),
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        _shape_like_python_slim(rootfs)
        _import(rootfs)
    log(f"base: built {STAND_IN} in {time.monotonic() - started:.0f} s")


def _shape_like_python_slim(rootfs: Path) -> None:
    # python:*-slim has `python` and `pip` on PATH in /usr/local/bin; the Dockerfile calls both.
    (rootfs / "usr/local/bin/python").symlink_to("/usr/bin/python3")
    # The host's bundle trusts whatever the machine's proxy presents for PyPI; Debian's pip
    # reads the system bundle.
    shutil.copyfile(_CA_BUNDLE, rootfs / "etc/ssl/certs/ca-certificates.crt")
    # Debian's marker makes pip refuse to install into the system Python (PEP 668); the real
    # base has none.
    for marker in rootfs.glob("usr/lib/python3*/EXTERNALLY-MANAGED"):
        marker.unlink()
    for cache in ("var/cache/apt/archives", "var/lib/apt/lists"):
        for entry in (rootfs / cache).glob("*"):
            if entry.is_file():
                entry.unlink()


def _import(rootfs: Path) -> None:
    changes = [
        f"ENV PATH={_SBIN_PATH}",
        "ENV LANG=C.UTF-8",
        'CMD ["python3"]',
        f"LABEL refsync.stand-in.recipe={STAND_IN_RECIPE}",
        'LABEL org.opencontainers.image.description="Stand-in for python:3.11-slim-bookworm '
        "built from Debian packages by refsync's docker task\"",
    ]
    tar = subprocess.Popen(["tar", "-C", str(rootfs), "-c", "."], stdout=subprocess.PIPE)
    argv = ["docker", "import", *(arg for c in changes for arg in ("--change", c)), "-", STAND_IN]
    imported = subprocess.run(argv, stdin=tar.stdout, capture_output=True, text=True, check=False)
    if tar.stdout is not None:
        tar.stdout.close()
    if tar.wait() != 0 or imported.returncode != 0:
        raise DockerTaskError(f"docker import of the stand-in failed:\n{imported.stderr}")


# --- building -----------------------------------------------------------------------------


def build_args(base: str | None = None) -> list[str]:
    """Extra `docker build` arguments for this engine: the stand-in base and host
    networking (there is no bridge) when a stand-in is in use, else none."""
    base = base if base is not None else os.environ.get(BASE_ENV) or None
    if base is None:
        return []
    return ["--network", "host", "--build-arg", f"BASE={base}"]


def build_image(tag: str = IMAGE, base: str | None = None, *, no_cache: bool = False) -> float:
    """Build the Dockerfile as `tag`; returns the seconds it took."""
    started = time.monotonic()
    argv = ["build", "--quiet", *build_args(base), "--tag", tag]
    if no_cache:
        argv.append("--no-cache")
    docker(*argv, str(ROOT), timeout=1800)
    return time.monotonic() - started


def write_build_shim(directory: Path, base: str | None = None) -> Path | None:
    """A `docker` in ``directory`` that adds build_args() to `docker build` and runs
    everything else unchanged, for running action.yml's own build step where Docker Hub is
    out of reach. None (and no shim) when no stand-in is in use: the step runs as written."""
    extra = build_args(base)
    real = which("docker")
    if not extra or real is None:
        return None
    directory.mkdir(parents=True, exist_ok=True)
    shim = directory / "docker"
    quoted = " ".join(f"'{arg}'" for arg in extra)
    shim.write_text(
        "#!/bin/bash\n"
        "# Docker Hub is out of reach here: build from the local stand-in base instead.\n"
        f'if [[ "${{1:-}}" == build ]]; then shift; exec {real} build {quoted} "$@"; fi\n'
        f'exec {real} "$@"\n'
    )
    shim.chmod(0o755)
    return directory


# --- a registry on loopback ---------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class LocalRegistry:
    """Debian's docker-registry (the reference registry) on 127.0.0.1, standing in for GHCR:
    images pushed to it get a real manifest digest that `docker pull NAME@sha256:…` checks.
    Docker treats registries on 127.0.0.0/8 as insecure, so plain HTTP is accepted."""

    def __init__(self) -> None:
        self.port = _free_port()
        self.host = f"127.0.0.1:{self.port}"
        self._dir = tempfile.TemporaryDirectory(prefix="refsync-registry-")
        self._process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> LocalRegistry:
        binary = which("docker-registry")
        if binary is None:
            raise DockerTaskError("docker-registry is missing: apt-get install docker-registry")
        storage = Path(self._dir.name)
        config = storage / "config.yml"
        config.write_text(
            "version: 0.1\n"
            "log: {level: error}\n"
            f"storage: {{filesystem: {{rootdirectory: {storage / 'data'}}}, "
            "delete: {enabled: true}}\n"
            f"http: {{addr: '{self.host}'}}\n"
        )
        with (storage / "registry.log").open("wb") as errors:
            self._process = subprocess.Popen(
                [binary, "serve", str(config)], stdout=subprocess.DEVNULL, stderr=errors
            )
        deadline = time.monotonic() + 20
        while True:
            url = f"http://{self.host}/v2/"
            with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=2) as answer:
                if answer.status == 200:
                    return self
            if self._process.poll() is not None or time.monotonic() > deadline:
                self.__exit__(None, None, None)
                raise DockerTaskError("docker-registry did not start")
            time.sleep(0.2)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            self._process.wait(timeout=10)
        self._dir.cleanup()

    def push(self, image: str, repository: str, tag: str = "pushed") -> str:
        """Push ``image`` as REPOSITORY:TAG and return REGISTRY/REPOSITORY@sha256:…, the
        only reference a released action.yml may name. The tag is removed again locally."""
        named = f"{self.host}/{repository}"
        docker("tag", image, f"{named}:{tag}")
        docker("push", f"{named}:{tag}", timeout=1800)
        digests = docker("image", "inspect", "--format", "{{json .RepoDigests}}", image).stdout
        found = re.search(rf'"({re.escape(named)}@sha256:[0-9a-f]{{64}})"', digests)
        docker("rmi", f"{named}:{tag}")
        if found is None:
            raise DockerTaskError(f"the push of {image} left no digest for {named}")
        return found.group(1)


def forget(*refs: str) -> None:
    """Remove image references (tags, digests, IDs) from the engine, ignoring absent ones."""
    for ref in refs:
        docker("rmi", "--force", ref, check=False, timeout=300)


# --- the task -----------------------------------------------------------------------------


@contextlib.contextmanager
def step(name: str) -> Iterator[None]:
    started = time.monotonic()
    yield
    log(f"{name}: {time.monotonic() - started:.1f} s")


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="python3 tasks.py docker", description=__doc__)
    parser.add_argument(
        "--cold-start", action="store_true", help="also measure a job's cold start both ways"
    )
    parser.add_argument("--runs", type=int, default=3, help="cold-start runs of each form")
    parser.add_argument("pytest_args", nargs="*", help="extra pytest arguments (after --)")
    args = parser.parse_args(argv)
    started = time.monotonic()
    try:
        with step("packages"):
            ensure_packages()
        with step("engine"):
            engine = Engine.ensure()
    except DockerTaskError as exc:
        print(f"docker: FAILED: {exc}", file=sys.stderr)
        return 1
    try:
        with step("base"):
            base = ensure_base()
        with step(f"image {IMAGE}"):
            build_image(IMAGE, base)
        env = dict(os.environ, **({BASE_ENV: base} if base else {}))
        with step("tests marked docker"):
            tests = subprocess.run(
                [sys.executable, "-m", "pytest", "-m", "docker", *args.pytest_args],
                cwd=ROOT,
                env=env,
                check=False,
            )
        if tests.returncode != 0:
            return tests.returncode
        if args.cold_start:
            from devtools import coldstart

            coldstart.measure(base, runs=args.runs)
    except DockerTaskError as exc:
        print(f"docker: FAILED: {exc}", file=sys.stderr)
        return 1
    finally:
        engine.stop()
    log(f"done in {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
