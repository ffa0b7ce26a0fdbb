"""`--output FILE`: the report appears whole or not at all, never truncated.

A report written in place on a full disk, or cut short by a signal, leaves half a JSON document where a build
script or node_exporter's textfile collector reads the last good one. So the report is written to a temporary
file in the same folder (the same filesystem: the rename cannot cross one), flushed to disk, and renamed over the
target: readers see the old report until the new one is complete. On any failure the temporary file is removed
and the old report stays as it was.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Callable
from typing import TextIO


def write_atomically(path: str, write: Callable[[TextIO], object]) -> None:
    """Write `path` through `write` into a temporary sibling, then rename it over `path` (raises OSError).

    The new file keeps the mode of the one it replaces; a new one gets the mode `open` would give it (0666 less
    the umask), not the temporary file's 0600, so that the reader it is meant for (a monitoring agent) can read it.
    A symlink's target is replaced, not the link; a target that is no regular file (`/dev/stdout`, a FIFO) is
    written in place, as there is nothing to rename over.
    """
    try:
        existing = os.stat(path)  # through a symlink: the file it names is the one replaced
    except OSError:
        existing = None
    if existing is not None and not stat.S_ISREG(existing.st_mode):  # /dev/stdout, a FIFO: nothing to rename over
        with open(path, "w", encoding="utf-8") as stream:
            write(stream)
        return
    path = os.path.realpath(path)
    folder = os.path.dirname(path)
    if existing is not None:
        mode = stat.S_IMODE(existing.st_mode)
    else:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".%s." % os.path.basename(path), suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            write(stream)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
