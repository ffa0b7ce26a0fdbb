"""What one check remembers while it runs, dropped when it ends; and where checks keep what outlives them.

A run reads the same system bundle for several questions, and bundles share most roots: each is decoded once.
A long-lived caller of `cadoctor.check()` keeps none of it between checks. What one check leaves for the next (store
trials' answers, certificates parsed) lives in this user's cache folder, read only when no one else may write it,
and neither read nor written by a check told not to (`--no-cache`).
"""

from __future__ import annotations

import os
import stat

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

_TABLES: list[dict[Any, Any]] = []
_AT_END: list[Callable[[], None]] = []
_KEEPING = [False]  # whether the running check may read and write what checks keep: none runs outside a scope


def table() -> dict[Any, Any]:
    """A dictionary that lives for one check."""
    kept: dict[Any, Any] = {}
    _TABLES.append(kept)
    return kept


def at_end(hook: Callable[[], None]) -> None:
    """Run `hook` when each check ends (before its tables are emptied): a module writes what it keeps."""
    if hook not in _AT_END:
        _AT_END.append(hook)


def forget() -> None:
    """Empty every table: the check has ended."""
    for kept in _TABLES:
        kept.clear()


def keeping() -> bool:
    """Whether the running check may read and write what checks keep between them.

    False under `--no-cache`, and outside a check (`inspect`, a test or a fuzzer calling a reader directly).
    """
    return _KEEPING[-1]


class CheckScope:
    """The tables kept for one `with` block (one check), emptied when it ends, however it ends.

    `cache`: whether what checks keep between them may be read and written during it.
    """

    def __init__(self, cache: bool = True) -> None:
        """A scope that may keep (or, with `cache=False`, neither reads nor writes) what outlives it."""
        self.cache = cache

    def __enter__(self) -> None:
        """Nothing to open: the tables fill as the check reads."""
        _KEEPING.append(self.cache)

    def __exit__(self, *exc: object) -> None:
        """Write what is kept, then empty the tables."""
        try:
            for hook in _AT_END:
                hook()
        finally:
            _KEEPING.pop()
            forget()


def kept_folder() -> str | None:
    """The folder of this user's where checks keep things, or None when there is no home to keep them in.

    `$CADOCTOR_CACHE` when that names a folder by its absolute path (a CI job's own, a test session's), else
    `$XDG_CACHE_HOME/cadoctor`, else `~/.cache/cadoctor`.
    """
    chosen = os.environ.get("CADOCTOR_CACHE") or ""
    if os.path.isabs(chosen):
        return chosen
    base = os.environ.get("XDG_CACHE_HOME") or ""
    if not os.path.isabs(base):
        home = os.path.expanduser("~")
        if not os.path.isabs(home):
            return None
        base = os.path.join(home, ".cache")
    return os.path.join(base, "cadoctor")


def private(found: os.stat_result) -> bool:
    """Whether a file or folder is this user's and no one else may write it: only then is what it keeps read."""
    owner = os.geteuid() if hasattr(os, "geteuid") else found.st_uid
    return found.st_uid == owner and not found.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def read_private(path: str, limit: int) -> Any:
    """The JSON document kept at `path`, or None when it cannot be taken as this user's own.

    None for a file missing, unreadable, larger than `limit` bytes, not JSON, or not private (the file, a regular
    one, and its folder this user's alone: what another could write is never read).

    Opened without following a link and without blocking (a FIFO put in its place is passed over, never waited on).
    """
    import json

    try:
        if not private(os.stat(os.path.dirname(path))):
            return None
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(descriptor, "rb") as kept:
            found = os.fstat(kept.fileno())
            if not stat.S_ISREG(found.st_mode) or not private(found) or found.st_size > limit:
                return None
            return json.loads(kept.read(limit))
    except (OSError, ValueError):
        return None


def write_private(path: str, document: Any) -> bool:
    """Write `document` as JSON to `path` whole, in a folder of this user's alone (made so); whether it was.

    A temporary file beside it (`.NAME-...`), renamed over it: a reader never sees half of it. Nothing here fails a
    check: a folder that cannot be written, or that someone else could write, keeps nothing.
    """
    import json
    import tempfile

    folder = os.path.dirname(path)
    try:
        os.makedirs(folder, mode=0o700, exist_ok=True)
        if not private(os.stat(folder)):
            return False
        descriptor, temporary = tempfile.mkstemp(dir=folder, prefix=".%s-" % os.path.basename(path))
        try:
            with os.fdopen(descriptor, "w", encoding="utf-8") as out:
                out.write(json.dumps(document, separators=(",", ":")))  # dumps: C's encoder (dump streams in Python)
            os.replace(temporary, path)
        except OSError:
            os.unlink(temporary)
            raise
    except OSError:
        return False
    return True
