"""What a CA path is on disk: its type, owner and mode, who else can write it, without reading a certificate.

Every inspection starts here, and the light look of a successful `check --host` stops here: it needs none of
the parsing (cryptography, hashlib, datetime) that a full inventory pulls in.
"""

from __future__ import annotations

import errno
import os
import re
import stat

from cadoctor._facts.fs.fileroot import HOST, FileRoot
from cadoctor._locations import SYSTEM_PREFIXES
from cadoctor._model import Bundle, Exposure
from cadoctor._record import replace

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Union

    FileKey = Union[tuple[int, int], str]

DIRECTORY_LIMIT = 20000  # entries examined in one CA directory


HASH_LINK = re.compile(r"^[0-9a-f]{8}\.\d+$")


CERT_SUFFIXES = (".pem", ".crt", ".cer")  # what a certificate file in a CA folder is named, besides hash links


_FILE_TYPES = (
    (stat.S_ISFIFO, "fifo"),
    (stat.S_ISCHR, "char-device"),
    (stat.S_ISBLK, "block-device"),
    (stat.S_ISSOCK, "socket"),
)


def open_regular(path: str, root: FileRoot = HOST) -> tuple[int | None, os.stat_result | None, str, str | None]:
    """Open a path (inside `root`) without blocking on FIFOs or devices, and classify it: (fd, stat, type, error)."""
    try:
        path = root.host(path)
        info = os.stat(path)
    except OSError as exc:
        if exc.errno == errno.ENOENT:
            return None, None, "missing", "does not exist"
        if exc.errno == errno.ELOOP:
            return None, None, "symlink-loop", "symbolic link loop"
        if exc.errno == errno.EACCES:
            return None, None, "unreadable", "permission denied"
        return None, None, "unreadable", exc.strerror or str(exc)
    if stat.S_ISDIR(info.st_mode):
        return None, info, "directory", None
    for test, name in _FILE_TYPES:
        if test(info.st_mode):
            return None, info, name, "a %s, not a regular file" % name.replace("-", " ")
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except OSError as exc:
        reason = "permission denied" if exc.errno == errno.EACCES else exc.strerror or str(exc)
        return None, info, "unreadable", reason
    return fd, info, "regular", None


def _read_only_mount(path: str) -> bool:
    """Whether the file system holding a path is mounted read-only."""
    try:
        return bool(os.statvfs(path).f_flag & getattr(os, "ST_RDONLY", 0))
    except (OSError, AttributeError):
        return False


def exposures(
    path: str, euid: int | None, seen: set[str] | None = None, root: FileRoot = HOST, resolved: bool = False
) -> tuple[Exposure, ...]:
    """List what lets someone other than the owner change a trust source: itself and each parent.

    Paths in `seen` (and their parents) were examined already and are skipped; the walk adds to it.
    `resolved`: the path is already where the file really is (read back from an open descriptor).
    """
    found: list[Exposure] = []
    try:
        current = path if resolved else root.resolve(path)
    except OSError:
        return ()
    is_system = current.startswith(SYSTEM_PREFIXES)
    while True:
        if seen is not None:
            if current in seen:
                break
            seen.add(current)
        try:
            info = os.stat(root.outer(current))
        except OSError:
            break
        mode = stat.S_IMODE(info.st_mode)
        sticky_dir = stat.S_ISDIR(info.st_mode) and mode & stat.S_ISVTX
        # Mode bits grant nothing on a read-only mount (a function package, an image layer).
        shared = (
            not sticky_dir and bool(mode & (stat.S_IWOTH | stat.S_IWGRP)) and not _read_only_mount(root.outer(current))
        )
        if shared and mode & stat.S_IWOTH:
            found.append(Exposure(current, info.st_uid, mode, "writable by every user"))
        elif shared and mode & stat.S_IWGRP and info.st_gid != 0:
            found.append(Exposure(current, info.st_uid, mode, "writable by group %d" % info.st_gid))
        if info.st_uid != 0 and info.st_uid != euid:
            where = "in a system location " if is_system else ""
            found.append(Exposure(current, info.st_uid, mode, "owned %sby uid %d" % (where, info.st_uid)))
        elif info.st_uid != 0 and is_system:
            found.append(Exposure(current, info.st_uid, mode, "owned in a system location by uid %d" % info.st_uid))
        parent = os.path.dirname(current)
        if parent == current:
            break
        current = parent
    return tuple(found)


def file_key(path: str, root: FileRoot = HOST) -> FileKey:
    """Identify the file a name reaches (one stat, unlike realpath's walk); broken names stand for themselves."""
    try:
        info = root.stat(path)
    except OSError:
        return path
    return info.st_dev, info.st_ino


def on_disk(
    path: str, roles: tuple[str, ...], euid: int | None, seen: set[str], parsed: bool, root: FileRoot = HOST
) -> tuple[Bundle, int | None, os.stat_result | None]:
    """What every inspection starts from: type, owner, mode, who can write it; and the file, opened if regular."""
    base = Bundle(path=path, roles=roles, kind="other", file_type="missing", parsed=parsed)
    if not os.path.isabs(path):
        relative = replace(base, file_type="relative", error="relative path: resolved against the working directory")
        return relative, None, None
    fd, info, file_type, error = open_regular(path, root)
    base = replace(base, file_type=file_type, error=error)
    if info is None:
        return base, fd, None
    facts = replace(
        base,
        realpath=root.resolve(path),
        size=info.st_size,
        uid=info.st_uid,
        gid=info.st_gid,
        mode=stat.S_IMODE(info.st_mode),
        exposures=exposures(path, euid, seen, root),
    )
    return facts, fd, info


def stat_bundle(path: str, roles: tuple[str, ...], euid: int | None = None, root: FileRoot = HOST) -> Bundle:
    """File facts, who can write it, and for a directory its hash-link names: no certificate is read."""
    base, fd, info = on_disk(path, roles, euid, set(), parsed=False, root=root)
    if fd is not None:
        os.close(fd)
    if info is None:
        return base
    if base.file_type == "regular":
        return replace(base, kind="file", error="empty file" if info.st_size == 0 else None)
    if base.file_type != "directory":
        return base
    try:
        with os.scandir(root.host(path)) as entries:
            links = sum(
                1
                for _, entry in zip(range(DIRECTORY_LIMIT), entries)
                if HASH_LINK.match(entry.name)
                and (os.path.isfile(entry.path) if root.is_host else root.exists(os.path.join(path, entry.name)))
            )
    except OSError as exc:
        return replace(base, kind="directory", error=exc.strerror or str(exc))
    return replace(base, kind="directory", hash_links=links)
