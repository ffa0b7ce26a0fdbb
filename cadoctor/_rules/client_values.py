"""What each client does with each kind of CA value: the vocabulary of the client rules table.

A CA variable or configuration setting holds one kind of value (unset, empty, a file, a missing path, a hashed
or unhashed folder, a FIFO, ...), read from the facts of that value; a client's reading of it has one measured
effect for each kind (it loads it, treats it as unset, raises, hangs, ...). The table (`client_table.py`) says
which reading each client has, the judgement (`clients.py`) applies them in the client's order of precedence.
Measured with the real clients, one request per value (issue 23's research: client x variable x kind of value).
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from cadoctor._model import Bundle
from cadoctor._record import field, record

# The kinds of value, as the facts show them.
UNSET = "unset"
EMPTY = "empty"  # set to ''
FILE = "file"  # a regular file with certificates (or not read: a light look takes a non-empty file at its word)
NO_CERTIFICATES = "file without certificates"
MISSING = "missing"  # nothing at that path (a dangling link included)
HASHED = "hashed folder"  # a folder with `<hash>.N` names OpenSSL finds certificates by
UNHASHED = "unhashed folder"  # certificate files, but no name OpenSSL looks up
EMPTY_FOLDER = "empty folder"
BLOCKING = "FIFO or device"  # opening it blocks until a writer comes, or reads forever
UNREADABLE = "unreadable"  # no permission, a loop of links
RELATIVE = "relative"  # relative to a working directory that is not known here
KINDS = (UNSET, EMPTY, FILE, NO_CERTIFICATES, MISSING, HASHED, UNHASHED, EMPTY_FOLDER, BLOCKING, UNREADABLE, RELATIVE)

# What a client does with one value.
LOADS = "loads"  # its certificates are trusted
SKIPPED = "treated as unset"  # the next source in the client's precedence decides, or its default
NOTHING = "yields nothing"  # taken without an error, and no certificate comes from it
RAISES = "raises"
HANGS = "hangs"  # blocks opening it: the request never ends (or ends at the caller's deadline)
ABORTS = "aborts"  # the whole process ends (SIGABRT), no exception to catch
FAILS_CLOSED = "fails closed"  # said out loud, then nothing is trusted from it nor from the defaults it replaces
NO_VERIFICATION = "verification off"  # the value turns certificate verification off: any server is accepted
WORKING_DIRECTORY = "reads the working directory"  # '' is Path(''), that is '.', read as a CA folder
UNKNOWN = "not known"  # a relative path whose working directory is not known here

# Effects that end the client's attempt before any certificate is checked: no store can help it.
BREAKS = (RAISES, HANGS, ABORTS)
# How a folder a client loads is read.
HASH_LOOKUP = "hash lookup"  # OpenSSL's CA path: only `<hash>.N` names are ever opened
EVERY_FILE = "every file"  # rustls-native-certs, grpc's system roots: each file of the folder is read

# Which part of the client's store a reading replaces.
STORE = "store"  # the client's whole store, or what it adds to it (the rule says which)
CAFILE = "cafile"  # OpenSSL's default CA file: SSL_CERT_FILE, already resolved by the probe
CAPATH = "capath"  # OpenSSL's default CA folders: SSL_CERT_DIR, already resolved by the probe


@record
class Reading:
    """How one client reads one CA variable or configuration setting.

    Attributes:
        name: The variable, or the setting as the rules name it (`aws config ca_bundle`, `pip.conf cert`).
        effects: What each kind of value does (every kind of `KINDS` but `RELATIVE`, which is resolved first).
        raises: What the client raises when an effect is `RAISES`, by kind of value (`*`: any other kind).
        part: What it replaces: the client's `store` (or adds to it), or one half of OpenSSL's default paths.
        folders: How a folder it loads is read: `hash lookup` or `every file`.
        listed: A value is a list of folders separated by `:`, each read (OpenSSL's SSL_CERT_DIR).

    """

    name: str
    effects: Mapping[str, str]
    raises: Mapping[str, str] = field(default_factory=dict)
    part: str = STORE
    folders: str = HASH_LOOKUP
    listed: bool = False

    def effect(self, kind: str) -> str:
        """What this client does with a value of that kind."""
        return UNKNOWN if kind == RELATIVE else self.effects.get(kind, UNKNOWN)


def effects(
    *,
    empty: str = SKIPPED,
    file: str = LOADS,
    no_certificates: str = RAISES,
    missing: str = RAISES,
    hashed: str = LOADS,
    unhashed: str = NOTHING,
    empty_folder: str = NOTHING,
    blocking: str = HANGS,
    unreadable: str = RAISES,
) -> dict[str, str]:
    """One effect per kind of value; the defaults are those of a client that passes a path to OpenSSL itself."""
    return {
        UNSET: SKIPPED,
        EMPTY: empty,
        FILE: file,
        NO_CERTIFICATES: no_certificates,
        MISSING: missing,
        HASHED: hashed,
        UNHASHED: unhashed,
        EMPTY_FOLDER: empty_folder,
        BLOCKING: blocking,
        UNREADABLE: unreadable,
    }


def kind_of(value: str | None, bundle: Bundle | None, light: bool) -> str:
    """The kind of a value from the facts of what it names (`bundle`: None when it was not looked at).

    In a light look (every handshake succeeded) only the sources in effect were looked at, without reading a
    certificate: a regular file that is not empty counts as a file of certificates, a folder by its hash links.
    """
    if value is None:
        return UNSET
    if not value:
        return EMPTY
    if bundle is None:
        return FILE if light else (MISSING if os.path.isabs(value) else RELATIVE)
    if bundle.file_type == "relative":
        return RELATIVE
    if bundle.file_type in ("missing", "dangling"):
        return MISSING
    if bundle.file_type in ("fifo", "char-device", "block-device", "socket"):
        return BLOCKING
    if bundle.kind == "directory":
        return _folder_kind(bundle)
    if bundle.kind == "file":
        if bundle.size == 0 or (bundle.parsed and bundle.certificates == 0):
            return NO_CERTIFICATES
        return FILE
    return UNREADABLE


def _folder_kind(bundle: Bundle) -> str:
    """A folder's kind: hashed when a link OpenSSL would follow leads to a certificate."""
    if bundle.error:
        return UNREADABLE
    if bundle.working_links > 0:
        return HASHED
    if bundle.unlinked or bundle.hash_links or not bundle.parsed:
        return UNHASHED  # a light look read no file: a folder without links may hold some
    return EMPTY_FOLDER


def resolved(value: str, cwd: str | None) -> str:
    """A relative path as the client resolves it: against the process's working directory, when known."""
    if not value or os.path.isabs(value) or cwd is None:
        return value
    return os.path.normpath(os.path.join(cwd, value))


# What the effects say in a finding or a note, after "<client> ...".
SAYS = {
    LOADS: "loads it",
    SKIPPED: "ignores it (as if unset)",
    NOTHING: "takes it and finds no certificate in it",
    RAISES: "raises",
    HANGS: "hangs opening it",
    ABORTS: "aborts the whole process",
    FAILS_CLOSED: "trusts nothing from it nor from its default roots",
    NO_VERIFICATION: "turns certificate verification off",
    WORKING_DIRECTORY: "reads the working directory as its CA folder",
    UNKNOWN: "resolves it against its working directory",
}


def says(reading: Reading, effect: str, kind: str = "") -> str:
    """The effect of a value on a client, in words, with what it raises."""
    raised = reading.raises.get(kind) or reading.raises.get("*")
    if effect == RAISES and raised:
        return "raises %s" % raised
    return SAYS.get(effect, effect)
