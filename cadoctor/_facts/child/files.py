"""Site folders read through an opener: the same code looks at this interpreter's files and at an image's.

`opener` turns a path as the examined interpreter names it into one this process can open (`str` here; an
image's root maps it inside that root, as `interpreter.os_release` takes it). Every read is bounded and never
blocks: a FIFO, a device or a folder where a file should be is refused with a reason, never opened for reading.
"""

from __future__ import annotations

import os
import stat

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Callable, Dict, FrozenSet, Optional

LISTING_LIMIT = 20000  # entries of one folder looked at: a site folder holds a few thousand at most


class Files:
    """The examined interpreter's file system, seen through `opener`, with each folder listed once."""

    __slots__ = ("_listed", "opener")

    def __init__(self, opener: Optional[Callable[[str], str]] = None) -> None:
        self.opener: Callable[[str], str] = opener or str
        self._listed: Dict[str, FrozenSet[str]] = {}

    def listing(self, folder: str) -> FrozenSet[str]:
        """The names in a folder (none when it cannot be listed), read once per check."""
        names = self._listed.get(folder)
        if names is None:
            try:
                names = frozenset(sorted(os.listdir(self.opener(folder)))[:LISTING_LIMIT])
            except (OSError, ValueError):
                names = frozenset()
            self._listed[folder] = names
        return names

    def mode(self, path: str) -> Optional[int]:
        """The file type bits of what a path names (links followed), None when nothing is there."""
        try:
            return os.stat(self.opener(path)).st_mode
        except (OSError, ValueError):
            return None

    def is_file(self, path: str) -> bool:
        """Whether a regular file is there."""
        mode = self.mode(path)
        return mode is not None and stat.S_ISREG(mode)

    def is_dir(self, path: str) -> bool:
        """Whether a folder is there."""
        mode = self.mode(path)
        return mode is not None and stat.S_ISDIR(mode)

    def read(self, path: str, limit: int) -> bytes:
        """The first `limit` bytes of a regular file (raises OSError with the reason for anything else)."""
        fd = os.open(self.opener(path), os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
        try:
            mode = os.fstat(fd).st_mode
            if not stat.S_ISREG(mode):
                kind = "a folder" if stat.S_ISDIR(mode) else "a FIFO" if stat.S_ISFIFO(mode) else "a device or socket"
                raise OSError("not a regular file (%s)" % kind)
            chunks = []
            left = limit
            while left > 0:
                chunk = os.read(fd, min(left, 1 << 20))
                if not chunk:
                    break
                chunks.append(chunk)
                left -= len(chunk)
            return b"".join(chunks)
        finally:
            os.close(fd)


def reason(exc: BaseException) -> str:
    """An OSError (or any error) in a few words: its strerror when it has one."""
    return str(getattr(exc, "strerror", None) or exc)
