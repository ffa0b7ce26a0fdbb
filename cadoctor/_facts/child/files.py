"""Site folders read through an opener: the same code looks at this interpreter's files and at an image's.

`opener` turns a path as the examined interpreter names it into one this process can open (`str` here; an
image's root maps it inside that root, as `interpreter.os_release` takes it). Every read is bounded and never
blocks: a FIFO, a device or a folder where a file should be is refused with a reason, never opened for reading.

A zip archive on the path (PySpark's `addPyFile`, a frozen app's `library.zip`, an `.egg`) is listed and read as
`zipimport` imports from it: its members are what `listing` and `read` see under the archive's path. Only those
two see into it; `mode`, `is_file` and `is_dir` answer as the operating system does (a path inside an archive is
no file to `os.path.isfile`, nor to OpenSSL).
"""

from __future__ import annotations

import errno
import os
import stat

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Callable, Dict, FrozenSet, List, Optional, Tuple

LISTING_LIMIT = 20000  # entries of one folder looked at: a site folder holds a few thousand at most
MEMBER_LIMIT = 100000  # members of one archive looked at: a frozen app's library.zip holds a few thousand


class Files:
    """The examined interpreter's file system, seen through `opener`, with each folder listed once."""

    __slots__ = ("_archives", "_listed", "opener")

    def __init__(self, opener: Optional[Callable[[str], str]] = None) -> None:
        self.opener: Callable[[str], str] = opener or str
        self._listed: Dict[str, FrozenSet[str]] = {}
        self._archives: Dict[str, FrozenSet[str]] = {}

    def listing(self, folder: str) -> FrozenSet[str]:
        """The names in a folder, or in a folder of a zip archive (none when it cannot be listed), read once."""
        names = self._listed.get(folder)
        if names is None:
            try:
                names = frozenset(sorted(os.listdir(self.opener(folder)))[:LISTING_LIMIT])
            except (OSError, ValueError):
                names = self._archive_listing(folder)
            self._listed[folder] = names
        return names

    def is_folder(self, path: str) -> bool:
        """Whether a folder is there, or a folder of a zip archive: where `import` finds a package."""
        if self.is_dir(path):
            return True
        found = self._archive(path)
        return found is not None and bool(found[1]) and any(n.startswith(found[1] + "/") for n in self._members(found))

    def _archive(self, path: str) -> Optional[Tuple[str, str]]:
        """The zip archive a path lies in and the member path inside it ('' for the archive itself); None: none.

        Walks up from the path to the first thing that exists: a regular file there is the archive.
        """
        current = path.rstrip("/")
        inner: List[str] = []
        while current.startswith("/") and current != "/":
            mode = self.mode(current)
            if mode is not None:
                return (current, "/".join(reversed(inner))) if stat.S_ISREG(mode) else None
            current, _, name = current.rpartition("/")
            inner.append(name)
        return None

    def _members(self, found: Tuple[str, str]) -> FrozenSet[str]:
        """The member names of an archive, read once (none when it is no zip archive)."""
        archive = found[0]
        names = self._archives.get(archive)
        if names is None:
            try:
                import zipfile  # only for an archive on the path: 8 ms of imports

                with zipfile.ZipFile(self.opener(archive)) as stream:
                    names = frozenset(stream.namelist()[:MEMBER_LIMIT])
            except Exception:  # a damaged or foreign file: nothing importable in it
                names = frozenset()
            self._archives[archive] = names
        return names

    def _archive_listing(self, folder: str) -> FrozenSet[str]:
        """The names directly in a folder of a zip archive (the archive itself: its top level)."""
        found = self._archive(folder)
        if found is None:
            return frozenset()
        prefix = found[1] + "/" if found[1] else ""
        names = {n[len(prefix) :].split("/", 1)[0] for n in self._members(found) if n.startswith(prefix)}
        names.discard("")
        return frozenset(sorted(names)[:LISTING_LIMIT])

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
        """The first `limit` bytes of a regular file, or of a zip archive's member (raises OSError with the reason)."""
        try:
            fd = os.open(self.opener(path), os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
        except OSError as exc:
            if exc.errno != errno.ENOTDIR:
                raise
            return self._member(path, limit, exc)
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

    def _member(self, path: str, limit: int, failed: OSError) -> bytes:
        """The first `limit` bytes of an archive's member, as zipimport reads it (raises `failed` when it is none)."""
        found = self._archive(path)
        if found is None or found[1] not in self._members(found):
            raise failed
        try:
            import zipfile

            with zipfile.ZipFile(self.opener(found[0])) as stream, stream.open(found[1]) as member:
                return member.read(limit)
        except Exception as exc:  # a damaged member: what zipimport would fail on too
            raise OSError("cannot be read from %s: %s" % (found[0], exc)) from None


def reason(exc: BaseException) -> str:
    """An OSError (or any error) in a few words: its strerror when it has one."""
    return str(getattr(exc, "strerror", None) or exc)
