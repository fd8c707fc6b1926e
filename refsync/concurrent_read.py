"""Reading both sides at once: dev in a worker thread while the main thread reads prod, one
SELECT per table per side, with progress lines; an interruption cancels both. With `hashed`
this is the first of two reads (`snapshot.read_rows`); `read_changed` is the second.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence, Sized
from typing import TypeVar

from refsync.db import Database
from refsync.layouts import Layout
from refsync.model import Row
from refsync.snapshot import read_rows

Log = Callable[[str], None]
T = TypeVar("T")


def read_both(
    dev: Database, prod: Database, layouts: Sequence[Layout], log: Log, *, hashed: bool = False
) -> tuple[dict[str, list[Row]], dict[str, list[Row]]]:
    """Every row of `layouts` on both sides, the two sides at once (`on_both`)."""
    return on_both(
        dev, prod, lambda db, stop, say: _read_all(db, layouts, say, stop, hashed=hashed), log
    )


#: One side's work: its database, the event that tells it to stop early, and a log.
Work = Callable[[Database, "threading.Event | None", Log], T]


def on_both(dev: Database, prod: Database, work: Work[T], log: Log) -> tuple[T, T]:
    """`work` on dev in a worker thread while this thread does it on prod: each side's server
    time and row building overlap the other's. Only this thread receives SIGTERM, so it never
    blocks without a timeout; if it is interrupted it cancels the dev statement too."""
    done: list[T] = []
    failed: list[BaseException] = []
    lock = threading.Lock()
    stop = threading.Event()

    def locked_log(message: str) -> None:
        with lock:  # both threads log: one line at a time
            log(message)

    def on_dev() -> None:
        try:
            done.append(work(dev, stop, locked_log))
        except BaseException as exc:  # noqa: BLE001 - re-raised in the main thread
            failed.append(exc)

    worker = threading.Thread(target=on_dev, name="refsync-read-dev", daemon=True)
    worker.start()
    try:
        on_prod = work(prod, None, locked_log)
        while worker.is_alive():
            worker.join(0.05)
    except BaseException:
        # The worker starts no further read, and the one it is in (or was just starting
        # when the first cancel found nothing to cancel) is cancelled.
        stop.set()
        dev.cancel()
        worker.join(0.2)
        dev.cancel()
        worker.join(10.0)
        raise
    if failed:
        raise failed[0]
    return done[0], on_prod


def _read_all(
    db: Database,
    layouts: Sequence[Layout],
    log: Log,
    stop: threading.Event | None = None,
    *,
    hashed: bool = False,
) -> dict[str, list[Row]]:
    """One SELECT per table: the columns this side needs, nothing else."""
    return each_table(
        db,
        layouts,
        log,
        stop,
        "read",
        lambda t, progress: read_rows(db, t, progress, hashed=hashed),
    )


S = TypeVar("S", bound=Sized)


def each_table(  # noqa: PLR0917 - the side, its tables, and how each is read
    db: Database,
    layouts: Sequence[Layout],
    log: Log,
    stop: threading.Event | None,
    verb: str,
    one: Callable[[Layout, Callable[[int, float], None]], S],
) -> dict[str, S]:
    """`one` of each table in turn, each told how to report a long read's rows so far, and
    each logged with its rows and seconds (`verb`: "read", "scanned"). Returns early (with
    what it has) once `stop` is set: the caller is leaving with an error of its own."""
    out = {}
    for layout in layouts:
        if stop is not None and stop.is_set():
            break
        start = time.perf_counter()

        def progress(rows: int, seconds: float, name: str = layout.name) -> None:
            log(f"{verb} {db.side} {name}: {rows:,} rows so far ({seconds:.1f}s)")

        out[layout.name] = one(layout, progress)
        log(
            f"{verb} {db.side} {layout.name}: {len(out[layout.name]):,} rows "
            f"in {time.perf_counter() - start:.2f}s"
        )
    return out
