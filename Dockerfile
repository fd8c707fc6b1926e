# The refsync action's container. action.yml builds it from this directory and runs it.
#
# GitHub's Dockerfile rules for actions: no USER instruction (actions run as the default
# root user, otherwise the mounted GITHUB_WORKSPACE is not writable), no WORKDIR
# dependence (the runner mounts the workspace and makes it the working directory), and an
# absolute, exec-form ENTRYPOINT.
FROM python:3.11.14-slim-bookworm

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
