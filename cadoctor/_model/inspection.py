"""What `cadoctor inspect` read from files: a binary's ELF headers and OpenSSL, or a CA bundle's inventory."""

from __future__ import annotations

from cadoctor._model.facts import Bundle, LoadedLibrary
from cadoctor._record import record


@record
class ElfFacts:
    """What the program headers say about linking.

    Attributes:
        kind: `executable`, `position-independent executable`, `shared object`, ...
        interpreter: The dynamic loader it asks for (PT_INTERP); None for a static or a library.
        static: No PT_DYNAMIC: everything, OpenSSL included if present, is linked in.
        symbols: Those of the names asked for that the dynamic string table holds (imported or exported).

    """

    bits: int
    byte_order: str
    kind: str
    machine: str
    interpreter: str | None
    static: bool
    soname: str | None
    needed: tuple[str, ...]
    rpath: tuple[str, ...]
    runpath: tuple[str, ...]
    symbols: tuple[str, ...] = ()


@record
class Dependency:
    """The OpenSSL a binary gets through the loader: which soname, through which library, which file."""

    soname: str
    via: tuple[str, ...]
    path: str | None
    found_by: str
    openssl: LoadedLibrary | None = None


@record
class Inspection:
    """What one path holds.

    Attributes:
        kind: `binary` (ELF, or another format that carries OpenSSL), `bundle` (a CA file), `directory`
            (a CA directory), or `other` (neither, or unreadable: `error` says which).
        readable: False when the path could not be read at all (missing, unreadable, not a regular file).

    """

    path: str
    kind: str
    readable: bool
    error: str | None = None
    elf: ElfFacts | None = None
    linkage: str | None = None
    openssl: LoadedLibrary | None = None
    dependencies: tuple[Dependency, ...] = ()
    bundle: Bundle | None = None
    size: int | None = None
