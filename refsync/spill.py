"""Long text values a run keeps on disk instead of in memory.

A plan shows every changed value, old and new, and an apply writes each new one; with long
descriptions those values are most of what a run would hold. The second read
(`snapshot.read_full`) and the apply's row locks put each text value longer than
`snapshot.LONG_BYTES` characters of a hashed or insert-only column into one private temporary
file (`tempfile.TemporaryFile`: no name on Linux, mode 0600, gone when the process ends), and
the row holds a `Spilled` in its place: where the value lies, its length in bytes and its
SHA-256 digest.

Two `Spilled` are equal exactly when their values are (equal UTF-8 bytes; a collision of
SHA-256 is not within anyone's reach), and never equal a `str`: a value is spilled by its
length alone, so a short value and a long one differ anyway. Whatever shows or writes a value
reads it back (`text`), one at a time: the digest and the plan file in pieces (`chunks`), the
job summary and the log as they list a few rows, apply a batch of rows at a time.
"""

from __future__ import annotations

import codecs
import hashlib
import os
import tempfile
import threading
from array import array
from collections.abc import Iterator, Sequence
from typing import IO

from refsync.errors import OperationalError

#: How much of a value `chunks` reads at a time.
CHUNK_BYTES = 1 << 20
#: Bytes of a SHA-256 digest.
_DIGEST = 32


class Spilled:
    """A text value kept in the spill file: its store and its place among the values spilled
    (`number`). Where the value lies, its size and its digest are the store's, in arrays:
    each such handle is about 80 bytes (it held them itself in about 240)."""

    __slots__ = ("_store", "number")

    def __init__(self, store: _Store, number: int) -> None:
        self._store = store
        self.number = number  # its place among the values spilled, for `_Store.find`

    @property
    def _at(self) -> int:
        return self._store._at[self.number]

    @property
    def size(self) -> int:
        """The value's length in UTF-8 bytes."""
        return self._store._size[self.number]

    @property
    def digest(self) -> bytes:
        """The SHA-256 of the value's UTF-8 bytes."""
        at = self.number * _DIGEST
        return bytes(self._store._digests[at : at + _DIGEST])

    def text(self) -> str:
        """The value, checked against its digest: what is shown, hashed and written is what
        was compared."""
        data = self._store.read(self._at, self.size)
        _check(hashlib.sha256(data).digest(), self.digest)
        return data.decode("utf-8")

    def chunks(self) -> Iterator[str]:
        """The value in pieces of about `CHUNK_BYTES`, each whole characters; checked against
        its digest once the last piece is read, before the caller can finish with it."""
        if self.size <= CHUNK_BYTES:
            yield self.text()
            return
        decoder = codecs.getincrementaldecoder("utf-8")()
        sha = hashlib.sha256()
        for start in range(0, self.size, CHUNK_BYTES):
            data = self._store.read(self._at + start, min(CHUNK_BYTES, self.size - start))
            sha.update(data)
            last = start + CHUNK_BYTES >= self.size
            if last:
                _check(sha.digest(), self.digest)
            yield decoder.decode(data, final=last)

    def __eq__(self, other: object) -> bool:
        if type(other) is not Spilled:
            return NotImplemented
        if self._store is other._store and self.number == other.number:
            return True
        return self.size == other.size and self.digest == other.digest

    def __hash__(self) -> int:
        return hash(self.digest)

    def __repr__(self) -> str:
        # Its identity by content: a row that moved is seen moved (`locks.lock_updates`).
        return f"Spilled(size={self.size}, sha256={self.digest.hex()})"


class _Store:
    """The process's spill file, opened at the first value spilled, and where each value lies
    in it, its size and its digest."""

    def __init__(self) -> None:
        self._file: IO[bytes] | None = None
        self._end = 0
        self._lock = threading.Lock()  # safe from whichever thread reads
        self._at = array("q")
        self._size = array("q")
        self._digests = bytearray()

    @property
    def used(self) -> bool:
        return bool(self._at)

    def put(self, values: Sequence[str]) -> list[Spilled]:
        """Keep `values` in the file, in one write."""
        data = [v.encode("utf-8") for v in values]
        digests = [hashlib.sha256(d).digest() for d in data]
        blob = b"".join(data)
        with self._lock:
            fd = self._fileno()
            at = self._end
            self._end += len(blob)
            written = 0
            try:
                while written < len(blob):
                    written += os.pwrite(fd, blob[written:], at + written)
            except OSError as exc:
                raise _unwritable(exc) from None
            first = len(self._at)
            for d, digest in zip(data, digests, strict=True):
                self._at.append(at)
                self._size.append(len(d))
                self._digests += digest
                at += len(d)
        return [Spilled(self, n) for n in range(first, first + len(data))]

    def find(self, number: int) -> Spilled:
        """The value spilled `number`-th (`Spilled.number`)."""
        if not 0 <= number < len(self._at):
            raise IndexError(number)
        return Spilled(self, number)

    def read(self, at: int, size: int) -> bytes:
        fd = self._fileno()
        parts = []
        while size > 0:
            part = os.pread(fd, size, at)
            if not part:
                raise OperationalError(
                    "a long value kept in the run's temporary file could not be read back",
                    fix="check the runner's disk, then re-run",
                )
            parts.append(part)
            at += len(part)
            size -= len(part)
        return b"".join(parts)

    def _fileno(self) -> int:
        if self._file is None:
            try:
                self._file = tempfile.TemporaryFile()  # noqa: SIM115 - open for the process
            except OSError as exc:
                raise _unwritable(exc) from None
        return self._file.fileno()


def _check(found: bytes, digest: bytes) -> None:
    if found != digest:
        raise OperationalError(
            "a long value kept in the run's temporary file changed after it was read",
            fix="check the runner's disk, then re-run",
        )


def _unwritable(exc: OSError) -> OperationalError:
    where = tempfile.tempdir or "the temporary directory"  # gettempdir() may be what failed
    return OperationalError(
        f"could not keep long values in a temporary file in {where}: {exc.strerror or exc}",
        fix="free space on the runner's disk (the action's /tmp, or TMPDIR) and re-run; "
        "nothing was written",
    )


#: The one spill file of this process.
STORE = _Store()
