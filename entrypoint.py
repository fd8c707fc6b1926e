"""The container's ENTRYPOINT. Guards first, before any import beyond the standard library
and before any connection: refsync runs only inside GitHub Actions (SPEC 1.3). There is no
flag, input or variable that bypasses this check."""

import gc
import os
import sys

if os.environ.get("CI") != "true" or os.environ.get("GITHUB_ACTIONS") != "true":
    sys.stderr.write(
        "::error title=refsync refused::refsync runs only inside GitHub Actions "
        "(CI=true and GITHUB_ACTIONS=true). It did not connect to any database. "
        "There is no bypass: run it from a workflow job.\n"
    )
    sys.exit(1)

# One run, then exit. Imports and the snapshots (hundreds of thousands of acyclic tuples that
# reference counting frees) would make the cycle collector walk every object again and again:
# a quarter of a 100k-service plan's time. See docs/benchmark.md.
gc.disable()

from refsync.main import main  # imported only after the environment guard

if __name__ == "__main__":
    # What the run read and planned stays here rather than being freed object by object as
    # each stage returns (a fifteenth of a 1M-service plan): the exit below never frees it.
    retained: list[object] = []
    code = main(os.environ, sys.stdout, sys.stderr, retain=retained)
    # Every file refsync writes is closed by now and the connections are closed. Leave without
    # the interpreter's teardown, which frees the snapshots object by object (a twentieth of a
    # 100k-service plan); the operating system takes the memory back at once.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
