# The refsync action's container. The action's own repository (`uses: ./`, its CI) builds it
# from this directory; a released action runs the image the release workflow built from it
# for linux/amd64 and linux/arm64, pushed to GHCR and attested (docs/release.md).
#
# GitHub's Dockerfile rules for actions: no USER instruction (actions run as the default
# root user, otherwise the mounted GITHUB_WORKSPACE is not writable), no WORKDIR
# dependence (the runner mounts the workspace and makes it the working directory), and an
# absolute, exec-form ENTRYPOINT.

# The base, pinned by the digest of its multi-architecture index, so every build (CI, both
# release platforms, a rebuild for an audit) starts from the same bytes whatever the tag
# points at later; the tag is there for people. It is a build argument only so that a
# machine that cannot reach Docker Hub can substitute a local image with the same layout
# (`python3 tasks.py docker` makes one from Debian packages and passes its tag); the
# release workflow and CI never set it.
ARG BASE=python:3.11.14-slim-bookworm@sha256:65a93d69fa75478d554f4ad27c85c1e69fa184956261b4301ebaf6dbb0a3543d
FROM ${BASE}

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# Dependencies first, so a code change does not reinstall them. Every wheel is pinned by
# hash; --no-deps makes the lock file the complete list.
COPY requirements.lock /app/requirements.lock
RUN pip install --require-hashes --no-deps -r /app/requirements.lock

COPY refsync/ /app/refsync/
COPY entrypoint.py /app/entrypoint.py
# PYTHONDONTWRITEBYTECODE keeps a run from writing into the image, so compile refsync once
# here: otherwise every run compiles it again (about 30 ms of a 100k-service plan).
RUN python -m compileall -q /app/refsync

# Running a script puts its directory (/app) first on sys.path, so `refsync` is imported
# from the image and never from the user's workspace.
ENTRYPOINT ["python", "/app/entrypoint.py"]
