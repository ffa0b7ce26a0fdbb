"""Certificates parsed by earlier checks, kept by their digest: what the DER reader took from each one's bytes.

A plain check reads the OS bundle, its hashed folder and each client's own bundle: a few hundred distinct roots,
whose parsing is about a sixth of its time. What the reader takes from a certificate (its identity, subject,
validity and the flags the rules ask about) follows from nothing but its bytes and the reader's version, so it is
kept by the certificate's SHA-256 in one file of this user's cache folder (`certificates.json`). No path, date of
reading or verdict is kept: a file's content is read anew every time; only the parse of bytes seen before is not
redone, and a reader of another version (or whose files changed) reads none of it. Beside them, each subject's
hash (`names.subject_hash`, which a hashed folder's links are checked against) is kept by the subject's bytes:
it too follows from nothing else, and its canonical form costs more to build than the file costs to read.

The file is read only when it is a regular file of this user's that no one else may write, in a folder alike, and
no larger than `FILE_LIMIT`; one malformed entry drops it whole. It holds at most `ENTRIES` certificates, the ones
the last check used first. A check told not to keep anything (`--no-cache`) neither reads nor writes it; a folder
that cannot be written keeps nothing, and never fails a check.
"""

from __future__ import annotations

import os

from cadoctor._facts.child.depends import identity
from cadoctor._facts.memo import at_end, keeping, kept_folder, read_private, write_private
from cadoctor._version import __version__

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Optional

    # identity, subject (hex), not before and not after (six numbers each), strict violation, non-positive serial,
    # self-issued; None: the reader refused the bytes
    Entry = Optional[list[Any]]
    Table = dict[str, Entry]

VERSION = 2  # of the reader's facts and of this file: another version's file is not read
ENTRIES = 2048
FILE_LIMIT = 2 << 20  # bytes read of the file
NAME = "certificates.json"
_READERS = ("der.py", "bundle.py", "names.py")  # beside this file: the DER reader, the parse it feeds, the names
MISSING = object()  # no entry for those bytes (None is the entry for bytes the reader refused)

_STATE: dict[str, Any] = {"table": None, "used": {}, "new": False, "hashes": {}, "hashes_used": {}}


def _stamp() -> list[Any]:
    """What the kept facts were read by: this file's version, cadoctor's, and the reader's own files as they are.

    A reader changed in place (a checkout being worked on, where cadoctor's version stays) reads none of the facts
    an earlier one kept.
    """
    here = os.path.dirname(os.path.abspath(__file__))
    return [VERSION, __version__, [identity(os.path.join(here, name)) for name in _READERS]]


def _where() -> str | None:
    """The file, or None when there is no cache folder."""
    folder = kept_folder()
    return None if folder is None else os.path.join(folder, NAME)


def _valid(entry: Any) -> bool:
    """Whether an entry read from the file has the shape this version writes (anything else drops the file)."""
    if entry is None:
        return True
    if not isinstance(entry, list) or len(entry) != 7:
        return False
    identity, subject, begins, ends, *flags = entry
    dates = all(isinstance(d, list) and len(d) == 6 and all(type(n) is int for n in d) for d in (begins, ends))
    return isinstance(identity, str) and isinstance(subject, str) and dates and all(type(f) is bool for f in flags)


def _load() -> Table:
    """The kept entries, or none when the file is missing, not private, too large, of another version or malformed.

    The subject hashes kept beside them (`subject_hash_of`) are loaded with them, and dropped with them.
    """
    _STATE["hashes"] = {}
    where = _where()
    document = read_private(where, FILE_LIMIT) if where is not None else None
    if not isinstance(document, dict) or document.get("version") != _stamp():
        return {}
    entries, hashes = document.get("certificates"), document.get("subject_hashes", {})
    if not isinstance(entries, dict) or len(entries) > ENTRIES or not isinstance(hashes, dict) or len(hashes) > ENTRIES:
        return {}
    if not all(isinstance(digest, str) and len(digest) == 64 and _valid(e) for digest, e in entries.items()):
        return {}
    if not all(isinstance(subject, str) and _hash_shaped(value) for subject, value in hashes.items()):
        return {}
    _STATE["hashes"] = hashes
    return entries


def _hash_shaped(value: Any) -> bool:
    """Whether a kept subject hash is 8 lowercase hex digits, as `names.subject_hash` writes it."""
    return isinstance(value, str) and len(value) == 8 and all(c in "0123456789abcdef" for c in value)


def recall(digest: str) -> object:
    """The entry kept for a certificate's SHA-256 (hex), or MISSING; never anything while the check keeps nothing."""
    if not keeping():
        return MISSING
    entry = _table().get(digest, MISSING)
    if entry is not MISSING:
        _STATE["used"][digest] = entry
    return entry


def remember(digest: str, entry: Entry) -> None:
    """Keep what the reader took from a certificate (or None: it refused the bytes), written when the check ends."""
    if not keeping():
        return
    _table()[digest] = entry
    _STATE["used"][digest] = entry
    _STATE["new"] = True


def _table() -> Table:
    """The kept entries, read on first use in a check (and written when it ends)."""
    if _STATE["table"] is None:
        _STATE["table"] = _load()
        at_end(save)
    table: Table = _STATE["table"]
    return table


def subject_hash_of(subject: bytes) -> str | None:
    """A name's subject hash (`names.subject_hash`), kept between checks by its bytes; None: OpenSSL cannot read it.

    A hashed folder's links are checked against their certificates' subject hashes, and a host's issuers are looked
    for by theirs: the canonical form each hash is taken over costs more to build than the file costs to read. It
    follows from the name's bytes alone. Under `--no-cache` (or outside a check) it is taken anew each time.
    """
    from cadoctor._facts.certs.der import MalformedDER
    from cadoctor._facts.certs.names import subject_hash

    key = subject.hex()
    kept = None
    if keeping():
        _table()  # read on first use: the hashes come with the entries
        kept = _STATE["hashes"].get(key)
    if isinstance(kept, str):
        _STATE["hashes_used"][key] = kept
        return kept
    try:
        value = subject_hash(subject)
    except MalformedDER:
        return None
    if keeping():
        _STATE["hashes"][key] = _STATE["hashes_used"][key] = value
        _STATE["new"] = True
    return value


def save() -> None:
    """Write the entries when this check added some: the ones it used first, then older ones, `ENTRIES` at most."""
    if not _STATE["new"] or not keeping():
        _STATE.update(used={}, hashes_used={})
        return
    chosen = _newest_first(_STATE["used"], _STATE["table"] or {})
    hashes = _newest_first(_STATE["hashes_used"], _STATE["hashes"])
    _STATE.update(table=chosen, used={}, new=False, hashes=hashes, hashes_used={})
    where = _where()
    if where is not None:
        write_private(where, {"version": _stamp(), "certificates": chosen, "subject_hashes": hashes})


def _newest_first(used: dict[str, Any], known: dict[str, Any]) -> dict[str, Any]:
    """What this check used first, then older ones, `ENTRIES` at most."""
    chosen = dict(list(used.items())[:ENTRIES])
    for key, value in known.items():
        if len(chosen) >= ENTRIES:
            break
        chosen.setdefault(key, value)
    return chosen


def forget() -> None:
    """Drop what this process read of the file (a test's next check reads it again)."""
    _STATE.update(table=None, used={}, new=False, hashes={}, hashes_used={})
