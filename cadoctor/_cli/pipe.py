"""A reader that leaves early (`cadoctor check | head -1`) is not a finding: exit 141, as SIGPIPE would.

rich and click catch a broken pipe themselves and exit 1, which a build script reads as "findings". So the
console script writes stdout through a file object of its own that remembers whether the reader left; every
writer (the report, typer's help, rich) goes through it, and the exit status says what really happened.
"""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Callable

from cadoctor._cli.exits import EXIT_READER_LEFT


class WatchedStdout(io.RawIOBase):
    """File descriptor 1, written directly, remembering whether its reader has gone."""

    def __init__(self, fd: int) -> None:
        """Write to `fd` (not closed with this object)."""
        super().__init__()
        self.fd = fd
        self.reader_left = False

    def writable(self) -> bool:
        """A standard output is written."""
        return True

    def fileno(self) -> int:
        """The descriptor, so that rich and click can ask whether it is a terminal."""
        return self.fd

    def isatty(self) -> bool:
        """Whether a person reads this output (colour, progress)."""
        return os.isatty(self.fd)

    def write(self, data: bytes | bytearray | memoryview) -> int:  # type: ignore[override]
        """Write what the descriptor takes now; note a reader that left before raising like any file would."""
        try:
            return os.write(self.fd, data)
        except BrokenPipeError:
            self.reader_left = True
            raise


def _silence(fd: int) -> None:
    """Point `fd` at /dev/null, so that the interpreter's last flush at exit has nowhere to fail."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, fd)
    os.close(devnull)


def run_watched(run: Callable[[], int]) -> int:
    """Run a command with a watched stdout; its exit code, or 141 when the reader left before the end."""
    original = sys.stdout
    try:
        fd = original.fileno()
    except (AttributeError, OSError, ValueError):  # no real stdout (closed, or replaced by an embedding host)
        return run()
    original.flush()
    watched = WatchedStdout(fd)
    sys.stdout = io.TextIOWrapper(
        io.BufferedWriter(watched),
        encoding=original.encoding,
        errors=original.errors,
        line_buffering=bool(original.line_buffering),
    )
    code = 1
    try:
        code = run()
        sys.stdout.flush()
    except SystemExit as stop:  # rich's own broken-pipe handler exits 1 after silencing the descriptor
        code = stop.code if isinstance(stop.code, int) else 1
        if not watched.reader_left:
            raise
    except BrokenPipeError:
        if not watched.reader_left:
            raise
    if watched.reader_left:
        _silence(fd)
        return EXIT_READER_LEFT
    return code
