"""Which subjects each CA file holds, kept between checks while the file is as it was: a host's issuers looked for.

A host check looks for the chain's issuers in every store a client could use (`pem.file_holds`: certifi's bundle
and its copies, the OS's bundle, a hashed folder's files one by one) and checks the chain against each client's
store offline (`tls.verifier`). Most hold none of them, and reading each to say so costs more than the rest of that
check's disk work. So, for each file read in full for those names, the subject hash (`names.subject_hash`) of every
certificate it carries, loaded by OpenSSL or not, and whether OpenSSL loads any certificate from it, are kept by the
file's path and its `stat` identity then (device, inode, mode, size, modification and change times), in
`subjects.json` of the cache folder. A later search asks the file's identity first: unchanged, and none of the
names' hashes among the kept ones, the file holds none of them (two names OpenSSL takes for the same have the same
hash), unread. Anything else reads the file: a name whose hash is among them (its own, or another's with that hash),
a file changed, one not kept.

A file changed within `RACY` seconds before it was read is not kept: a file rewritten within one tick of the
filesystem's clock keeps its identity. The file of kept subjects is read only when it is a regular file of this
user's that no one else may write, in a folder alike, of this version and no larger than `FILE_LIMIT`; one malformed
entry drops it whole. `--no-cache` neither reads nor writes it.
"""

from __future__ import annotations

import os

from cadoctor._facts.certs import kept_parses
from cadoctor._facts.certs.der import subject_of
from cadoctor._facts.child.depends import identity
from cadoctor._facts.memo import at_end, keeping, kept_folder, read_private, table, write_private
from cadoctor._version import __version__

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Collection
    from typing import Any

VERSION = 1  # of this file's entries: another version's file is not read
FILES = 4096  # files kept at most: the ones the last check used first
FILE_LIMIT = 4 << 20  # bytes read of the file
RACY = 2.0  # seconds: a file changed more recently than this before it was read is not kept
NAME = "subjects.json"
_READERS = ("pem.py", "names.py", "der.py")  # beside this file: the reading, the hash, the DER reader

_STATE: dict[str, Any] = {"files": None, "used": {}, "new": False}
_WANTED: dict[tuple[bytes, ...], frozenset[str] | None] = table()  # names looked for in a check: their hashes


def _stamp() -> list[Any]:
    """What the kept subjects were taken by: this file's version, cadoctor's, the readers' files as they are."""
    here = os.path.dirname(os.path.abspath(__file__))
    return [VERSION, __version__, [identity(os.path.join(here, name)) for name in _READERS]]


def _shaped(key: Any, entry: Any) -> bool:
    """Whether an entry has the shape this version writes.

    A path (and how it was read) names it; it holds an identity, the hashes, whether OpenSSL loads a certificate.
    """
    if not (isinstance(key, str) and isinstance(entry, list) and len(entry) == 3):
        return False
    found, hashes, loads = entry
    whole = isinstance(found, list) and len(found) == 6 and all(type(n) is int for n in found)
    shaped = isinstance(hashes, list) and all(isinstance(h, str) and len(h) == 8 for h in hashes)
    return whole and shaped and type(loads) is bool


def _files() -> dict[str, Any]:
    """The kept entries, read on first use in a check (and written when it ends); none when not to be trusted."""
    if _STATE["files"] is None:
        _STATE["files"] = {}
        at_end(save)
        folder = kept_folder()
        document = read_private(os.path.join(folder, NAME), FILE_LIMIT) if folder is not None else None
        if isinstance(document, dict) and document.get("version") == _stamp():
            read = document.get("files")
            if isinstance(read, dict) and len(read) <= FILES and all(_shaped(k, e) for k, e in read.items()):
                _STATE["files"] = read
    files: dict[str, Any] = _STATE["files"]
    return files


def _key(path: str, hashed: bool) -> str:
    """A file as read: as a CA file, or as a hashed folder's link (OpenSSL reads the two differently)."""
    return ("link:" if hashed else "file:") + path


def recall(path: str, hashed: bool) -> tuple[list[str], bool] | None:
    """What was kept of the file at `path`, when it is as it was then; None otherwise (read it).

    The subject hashes of what it carries, and whether OpenSSL loads a certificate from it.
    """
    if not keeping():
        return None
    key = _key(path, hashed)
    entry = _files().get(key)
    if entry is None or identity(path) != entry[0]:
        return None
    _STATE["used"][key] = entry
    return entry[1], entry[2]


def remember(path: str, hashed: bool, found: list[int], hashes: list[str], loads: bool, now: float) -> None:
    """Keep the subject hashes of what the file carries, as read when its identity was `found` (at `now`)."""
    if not keeping() or max(found[4:]) >= int((now - RACY) * 1e9):
        return
    key = _key(path, hashed)
    _files()[key] = _STATE["used"][key] = [found, sorted(set(hashes)), loads]
    _STATE["new"] = True


def lacks(path: str, hashed: bool, names: Collection[bytes]) -> bool | None:
    """Whether OpenSSL loads a certificate from the file, when what was kept of it says it holds none of `names`.

    None when it may hold one of them, or nothing was kept: read it to know.
    """
    wanted = _hashes(names)
    kept = recall(path, hashed) if wanted is not None else None
    if kept is None or wanted is None or any(h in wanted for h in kept[0]):
        return None
    return kept[1]


def note(
    path: str,
    hashed: bool,
    names: Collection[bytes],
    found: list[int],
    read: tuple[list[bytes], list[bytes]],
    now: float,
) -> None:
    """Keep the subject hashes of every certificate the file carries, read in full for `names`.

    `read`: what OpenSSL loads from it, and what else it carries. A certificate whose subject does not parse, or
    has no hash, is the subject of no name that has one: left out.
    """
    if not keeping() or _hashes(names) is None or recall(path, hashed) is not None:
        return
    loaded, dropped = read
    subjects = [subject for subject in (subject_of(der) for der in loaded + dropped) if subject is not None]
    hashes = [h for h in (kept_parses.subject_hash_of(subject) for subject in subjects) if h is not None]
    remember(path, hashed, found, hashes, any(subject_of(der) is not None for der in loaded), now)


def _hashes(names: Collection[bytes]) -> frozenset[str] | None:
    """The subject hashes of `names`, or None when one has none (a name OpenSSL cannot read): then read the file.

    Once per check for the same names: a folder's files are searched for them one after the other.
    """
    key = tuple(names)
    if key not in _WANTED:
        hashes = [kept_parses.subject_hash_of(name) for name in names]
        _WANTED[key] = None if None in hashes else frozenset(h for h in hashes if h is not None)
    return _WANTED[key]


def save() -> None:
    """Write the entries when this check added some: the ones it used first, then older ones, `FILES` at most."""
    if not _STATE["new"] or not keeping():
        _STATE["used"] = {}
        return
    chosen = dict(list(_STATE["used"].items())[:FILES])
    for key, entry in (_STATE["files"] or {}).items():
        if len(chosen) >= FILES:
            break
        chosen.setdefault(key, entry)
    _STATE.update(files=chosen, used={}, new=False)
    folder = kept_folder()
    if folder is not None:
        write_private(os.path.join(folder, NAME), {"version": _stamp(), "files": chosen})


def forget() -> None:
    """Drop what this process read of the file (a test's next check reads it again)."""
    _STATE.update(files=None, used={}, new=False)
