"""Talking to the runner: workflow commands on stdout and the file commands.

`Workflow` writes the ``::command::`` lines (masks, annotations, log groups); every other
line refsync prints goes through its `console`, a `refsync.escape.LineGate`, so no line of
data can be a command. `write_outputs` ($GITHUB_OUTPUT) and `append_summary`
($GITHUB_STEP_SUMMARY) are the file commands, at the paths `env_path` reads. Stdlib only
but for `refsync.escape`; nothing else in refsync writes a command line or a file command.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

from refsync.escape import LineGate, command_data, command_property, visible


class Workflow:
    """Writes workflow commands (masks, annotations, groups) to an injected stream.

    `console` is the same stream behind a `refsync.escape.LineGate`: everything else
    refsync prints goes through it, so only the command lines written here can be commands.
    """

    def __init__(self, stream: TextIO) -> None:
        self.console = LineGate(stream)

    def command(self, name: str, message: str = "", **properties: str | None) -> None:
        """Write one `::name props::message` line; data cannot leave its line."""
        props = ",".join(
            f"{key}={command_property(visible(value))}"
            for key, value in properties.items()
            if value
        )
        head = f"::{name} {props}::" if props else f"::{name}::"
        self.console.command_line(f"{head}{command_data(message)}")

    def mask(self, value: str) -> None:
        """Mask a secret in the rest of the log; a multi-line value is masked per line."""
        for line in value.splitlines():
            if line.strip():
                self.command("add-mask", line)

    def _annotate(self, kind: str, message: str, title: str | None) -> None:
        # Newlines stay (as %0A: a multi-line message with its fix); other control
        # characters of data show instead of acting in the annotation.
        self.command(kind, visible(message, keep="\n"), title=title)

    def warning(self, message: str, title: str | None = None) -> None:
        """Write a warning annotation."""
        self._annotate("warning", message, title)

    def error(self, message: str, title: str | None = None) -> None:
        """Write an error annotation."""
        self._annotate("error", message, title)

    def notice(self, message: str, title: str | None = None) -> None:
        """Write a notice annotation."""
        self._annotate("notice", message, title)

    @contextmanager
    def group(self, title: str) -> Iterator[None]:
        """Fold what is printed inside into one collapsible log group."""
        self.command("group", visible(title))
        try:
            yield
        finally:
            self.command("endgroup")


def env_path(env: Mapping[str, str], name: str) -> Path | None:
    """Return the file-command path in `name` (e.g. GITHUB_OUTPUT), or None when unset."""
    value = env.get(name, "").strip()
    return Path(value) if value else None


def write_outputs(path: Path | None, outputs: Mapping[str, str]) -> None:
    """Append step outputs to $GITHUB_OUTPUT; a multi-line value uses a random delimiter."""
    if path is None:
        return
    lines: list[str] = []
    for key, value in outputs.items():
        if not key or any(c in key for c in "=<\r\n"):
            raise ValueError(f"invalid output name {key!r}")
        if "\n" in value or "\r" in value:
            delimiter = f"ghadelimiter_{uuid.uuid4()}"
            lines.append(f"{key}<<{delimiter}\n{value}\n{delimiter}\n")
        else:
            lines.append(f"{key}={value}\n")
    with path.open("a", encoding="utf-8") as fh:
        fh.write("".join(lines))


def append_summary(path: Path | None, markdown: str) -> None:
    """Append Markdown to the job summary ($GITHUB_STEP_SUMMARY); no-op outside a job."""
    if path is None:
        return
    with path.open("a", encoding="utf-8") as fh:
        fh.write(markdown if markdown.endswith("\n") else markdown + "\n")
