"""The benchmark of issue 6 still runs and still checks itself: at a tiny size, one run of
each contender, nothing written. No time is asserted (speed is measured by the benchmark,
never by tests); what is checked is that every contender ran, that refsync's round trips
are the ones the statement-count test expects, that the baseline made a round trip per row,
and that refsync's apply and the old script left the same services (the bench raises
otherwise)."""

from __future__ import annotations

import os
import re
import subprocess
import sys

from devtools.bench import RESULTS, ROOT


def test_bench_runs_every_contender_and_agrees_with_the_baseline() -> None:
    before = RESULTS.read_text()
    proc = subprocess.run(
        [
            *(sys.executable, "-m", "devtools.bench", "--sizes", "300", "--repeat", "1"),
            *("--wide", "--no-write"),
        ],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows = {
        m.group(1): (int(m.group(2).replace(",", "")), int(m.group(3).replace(",", "")))
        for m in re.finditer(
            r"^\| 300 \| ([a-z -]+) \| [\d.]+ \| \d+ \| ([\d,]+) / ([\d,]+) \|$",
            proc.stdout,
            re.MULTILINE,
        )
    }
    assert set(rows) == {
        "refsync plan",
        "floor plan",
        "refsync apply",
        "floor apply",
        "row-by-row",
    }, proc.stdout
    assert rows["refsync plan"][0] == rows["refsync apply"][0]  # dev: the same reads
    assert rows["refsync plan"][1] < rows["refsync apply"][1] < 40
    assert rows["row-by-row"][1] > 600  # a SELECT and counts per row
    assert re.search(r"^\| 300 \| [\d.]+× \| [\d.]+× \| [\d.]+× \|$", proc.stdout, re.MULTILINE)
    # The wide variant (2 KB descriptions) ran every contender but the row-by-row baseline.
    wide = re.findall(r"^\| 300 \(2 KB descriptions\) \| ([a-z -]+) \|", proc.stdout, re.MULTILINE)
    assert wide == ["refsync plan", "floor plan", "refsync apply", "floor apply"], proc.stdout
    assert RESULTS.read_text() == before  # --no-write kept the committed figures
