"""What `cadoctor ps` saw: every process using OpenSSL, grouped by the library file it mapped."""

from __future__ import annotations

from cadoctor._model.document import INTERNAL
from cadoctor._model.facts import Bundle, LoadedLibrary
from cadoctor._record import field, record


@record
class TrustVerdict:
    """The CA locations a process would read, what they hold from file facts alone, and whether that is anything.

    Attributes:
        source: What put the locations in effect (`SSL_CERT_FILE`, `OPENSSLDIR`, ...).
        usable: Whether the process trusts anything, by its stack's rules: what these locations hold for OpenSSL,
            and for node its bundled roots and NODE_EXTRA_CA_CERTS: the ps rules' judgement. None until judged,
            and after it for a stack that does not read them (libpq without sslrootcert=system, librdkafka, grpc
            core): what it trusts is set inside the program, not read from outside.
        detail: What each location holds, in words: its size, its hash links, or why it cannot be read (the ps
            rules add what the stack trusts besides, and which locations it does not read).
        looked: The light look at each location, the file first, then for node the file NODE_EXTRA_CA_CERTS
            names: what `usable` is judged from.
        judged: Whether the ps rules have judged it (`usable` may stay None after).

    """

    cafile: str | None
    capaths: tuple[str, ...]
    source: str
    usable: bool | None = None
    detail: str = ""
    looked: tuple[Bundle, ...] = field(default=(), metadata=INTERNAL, compare=False)
    judged: bool = field(default=False, metadata=INTERNAL)


@record
class ProcessEntry:
    """One process using an OpenSSL copy, and what it trusts."""

    pid: int
    user: str
    command: str
    trust: TrustVerdict | None
    root: str | None = None
    consumer: str = "program"  # who in the process verifies with this copy (see `_facts/binary/stacks.py`)
    consumer_version: int | None = None  # its major version when its files say it (libpq, node)
    consumer_release: str | None = None  # its full version when its file holds it (node: 24.19.0)
    build_switches: tuple[str, ...] = ()  # switches its build turns on by default (node: --use-openssl-ca)
    options: tuple[str, ...] = ()  # its command line's and NODE_OPTIONS' `--` options: switches a stack may read


@record
class LibraryGroup:
    """One OpenSSL file (libcrypto, or a program that carries OpenSSL), and every process that maps it."""

    device: str
    inode: int
    library: LoadedLibrary
    processes: tuple[ProcessEntry, ...]


@record
class OtherStackGroup:
    """One library of a TLS implementation that is not OpenSSL (GnuTLS, NSS, the JVM's), and who maps it."""

    device: str
    inode: int
    implementation: str
    consumer: str
    path: str
    processes: tuple[ProcessEntry, ...]


@record
class Unreadable:
    """A process whose maps could not be read, and why."""

    pid: int
    user: str
    command: str
    reason: str


@record
class ProcessScan:
    """Everything `cadoctor ps` saw on this machine (the facts; `_rules/processes.py` judges them)."""

    groups: tuple[LibraryGroup, ...]
    unreadable: tuple[Unreadable, ...]
    processes: int
    files_read: int
    others: tuple[OtherStackGroup, ...] = ()  # stacks cadoctor names and cannot judge
