"""A file system seen from another root: a container's `/proc/PID/root`, an unpacked image, a chroot.

Looking through such a root with plain paths is wrong in a quiet way: the kernel resolves an absolute symbolic
link against *our* root, so Debian's `/etc/ssl/certs/*.pem -> /usr/share/ca-certificates/...` would read the
host's files, not the image's. Every path here is resolved one component at a time, with absolute links and
`..` kept inside the root (what `openat2(RESOLVE_IN_ROOT)` does), and only then handed to the kernel.

The view of this host (root `/`) resolves nothing itself: the kernel is right there, and faster.
"""

from __future__ import annotations

import errno
import os
import stat

MAX_LINKS = 40  # the kernel's limit on symbolic links followed in one lookup


class FileRoot:
    """Paths as a process or image inside `root` names them, turned into paths this process can open."""

    __slots__ = ("root",)

    def __init__(self, root: str = "/") -> None:
        self.root = os.path.normpath(os.path.abspath(root)) if root != "/" else "/"

    def __repr__(self) -> str:
        return "FileRoot(%r)" % self.root

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FileRoot) and other.root == self.root

    def __hash__(self) -> int:
        return hash(self.root)

    @property
    def is_host(self) -> bool:
        """Whether this is the file system of this process, where the kernel resolves names itself."""
        return self.root == "/"

    def resolve(self, path: str) -> str:
        """The real path inside the root that `path` names, links followed inside it (raises ELOOP on a loop)."""
        if self.is_host:
            return os.path.realpath(path)
        pending = _components(path)
        parts: list[str] = []
        links = 0
        while pending:
            name = pending.pop()
            if name == "..":
                if parts:
                    parts.pop()
                continue
            try:
                target = os.readlink(self.root + "/" + "/".join([*parts, name]))
            except OSError:  # not a link, or nothing there: the name stays as written
                parts.append(name)
                continue
            links += 1
            if links > MAX_LINKS:
                raise OSError(errno.ELOOP, "symbolic link loop", path)
            if target.startswith("/"):
                parts = []
            pending.extend(_components(target))
        return "/" + "/".join(parts)

    def host(self, path: str) -> str:
        """Where this process opens what `path` names inside the root (raises ELOOP on a link loop)."""
        if self.is_host:
            return path
        return self.outer(self.resolve(path))

    def outer(self, resolved: str) -> str:
        """Where this process finds a path that is already resolved inside the root."""
        if self.is_host:
            return resolved
        return self.root if resolved == "/" else self.root + resolved

    def inner(self, outer_path: str) -> str:
        """The inverse of `outer`: the path inside the root of a path this process sees under it."""
        if self.is_host or not outer_path.startswith(self.root):
            return outer_path
        return outer_path[len(self.root) :] or "/"

    def stat(self, path: str) -> os.stat_result:
        """`os.stat` of a path inside the root."""
        return os.stat(self.host(path))

    def exists(self, path: str, *, directory: bool = False) -> bool:
        """Whether something (a directory, with `directory`) is at this path inside the root."""
        try:
            info = self.stat(path)
        except (OSError, ValueError):
            return False
        return not directory or stat.S_ISDIR(info.st_mode)

    def lexists(self, path: str) -> bool:
        """Whether a name exists inside the root, even as a dangling link."""
        if self.is_host:
            return os.path.lexists(path)
        try:
            parent = self.resolve(os.path.dirname(path) or "/")
        except OSError:
            return False
        return os.path.lexists(self.outer(os.path.join(parent, os.path.basename(path))))


def _components(path: str) -> list[str]:
    """The names of a path, last first (a stack to pop from)."""
    return [part for part in reversed(path.split("/")) if part and part != "."]


HOST = FileRoot("/")
