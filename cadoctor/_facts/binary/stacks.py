"""Which TLS implementations a process carries, and which part of the program verifies with each.

Recognised from what the process mapped: the OpenSSL-family copies (a libcrypto, or OpenSSL linked into any
object: node, librdkafka, grpc's `cygrpc`), and the libraries of other implementations (GnuTLS, NSS, the JVM's
JSSE). Who uses a copy is read from file names: the object that carries it, or a vendored libcrypto's neighbours
in its wheel's `.libs` folder (psycopg2-binary's libpq beside its libcrypto). The rules judge each by its own
trust (`_rules/stacks.py`).
"""

from __future__ import annotations

import os
import re

from cadoctor._facts.binary.elf import data_spans
from cadoctor._facts.child.build_strings import offsets
from cadoctor._model import LoadedLibrary, Stack

# A mapped file's name -> who verifies with the TLS stack it carries or belongs to; first match wins.
_CONSUMERS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^(libnode\.so|node$|nodejs$)"), "node"),
    (re.compile(r"^libpq[-.]"), "libpq"),
    (re.compile(r"^librdkafka[-.+]"), "librdkafka"),
    (re.compile(r"^cygrpc\."), "grpc-core"),
    (re.compile(r"^(_mysql_connector\.|libmysqlclient[-.])"), "mysql"),
    (re.compile(r"^curl$"), "curl"),
    (re.compile(r"^(libcurl[-.]|pycurl\.)"), "libcurl"),
    (re.compile(r"^_rust\.abi3\.so$"), "cryptography"),
    (re.compile(r"^(_ssl\.|libpython\d|python\d)"), "python-ssl"),
)


# The folder a wheel keeps its vendored libraries in (its `.libs`, or its package in site-packages) -> who uses
# the libcrypto there.
_PACKAGES = {
    "psycopg2_binary.libs": "libpq",
    "psycopg_binary.libs": "libpq",
    "pycurl.libs": "libcurl",
    "curl_cffi": "libcurl",
    "confluent_kafka.libs": "librdkafka",
    "mysql": "mysql",
    "grpc": "grpc-core",
    "cryptography": "cryptography",
}


# Libraries of TLS implementations that are not OpenSSL: cadoctor names them, and cannot judge their trust.
_OTHER_IMPLEMENTATIONS: tuple[tuple[re.Pattern[str], str, str], ...] = (
    (re.compile(r"^libgnutls\.so"), "GnuTLS", "gnutls"),
    (re.compile(r"^libnss3\.so"), "NSS", "nss"),
    (re.compile(r"^lib(jvm|java)\.so$"), "JSSE", "jsse"),
)


# Libraries the loader maps into nearly every process that never carry a TLS implementation: not read at all.
_NEVER_TLS = frozenset(
    [
        "libc",
        "libm",
        "libdl",
        "librt",
        "libpthread",
        "libutil",
        "libresolv",
        "libanl",
        "libnsl",
        "libmvec",
        "libgcc_s",
        "libstdc++",
        "libz",
        "liblzma",
        "libbz2",
        "libzstd",
        "liblz4",
        "libffi",
        "libexpat",
        "libuuid",
        "libmpdec",
        "libsqlite3",
        "libreadline",
        "libncurses",
        "libncursesw",
        "libtinfo",
        "libselinux",
        "libcap",
        "libsystemd",
        "libcrypt",
        "libacl",
        "libattr",
        "libblkid",
        "libmount",
        "libgmp",
        "libunistring",
        "libidn2",
        "libtasn1",
        "libp11-kit",
        "libhogweed",
        "libnettle",
        "libkeyutils",
        "libcom_err",
        "libgpg-error",
        "libgcrypt",
        "libedit",
        "libbsd",
        "libmd",
    ]
)
_NEVER_TLS_PREFIXES = ("ld-linux", "ld-musl", "libnss_", "libpcre", "libgdbm", "libicu")


def never_tls(name: str) -> bool:
    """Whether a shared object's file name is one of the system libraries that never carry TLS (no regex)."""
    stem = name.split(".so", 1)[0]
    if len(stem) > 9 and stem[-9] == "-" and all(c in "0123456789abcdef" for c in stem[-8:]):
        stem = stem[:-9]  # a wheel's renamed copy: libcrypt-bc2db45e.so.1
    return stem in _NEVER_TLS or stem.startswith(_NEVER_TLS_PREFIXES)


def consumer_of(name: str) -> str | None:
    """Who verifies with the stack a file of this name carries or belongs to, if its name says."""
    return next((consumer for pattern, consumer in _CONSUMERS if pattern.match(name)), None)


def other_implementation(name: str) -> tuple[str, str] | None:
    """(implementation, consumer) for a library of a TLS implementation that is not OpenSSL."""
    return next(((impl, who) for pattern, impl, who in _OTHER_IMPLEMENTATIONS if pattern.match(name)), None)


def _consumer_of_copy(library: LoadedLibrary, mapped: list[str], program: str) -> str:
    """Who uses one OpenSSL copy: the object it is linked into, the program, its wheel, or its neighbours."""
    own = consumer_of(os.path.basename(library.path))
    if own is not None:
        return own
    if library.in_use:
        return program
    parts = library.path.split("/")
    for before, part in zip(parts, parts[1:]):  # a wheel's folder in site-packages, or its `.libs` folder
        if part in _PACKAGES and (part.endswith(".libs") or before in ("site-packages", "dist-packages")):
            return _PACKAGES[part]
    folder = os.path.dirname(library.path)
    for path in mapped:  # a vendored libcrypto serves the library shipped beside it (psycopg2_binary.libs)
        if os.path.dirname(path) == folder and path != library.path:
            neighbour = consumer_of(os.path.basename(path))
            if neighbour is not None:
                return neighbour
    return "program"


_LIBPQ_VERSION = re.compile(r"^libpq[-.\w]*\.so\.5\.(\d{1,3})$")  # libpq.so.5.NN: PostgreSQL NN's client


def consumer_version(consumer: str, mapped: list[str]) -> int | None:
    """The consumer's major version, when the file names of what is mapped say it (libpq only, today)."""
    if consumer != "libpq":
        return None
    for path in mapped:
        match = _LIBPQ_VERSION.match(os.path.basename(path))
        if match:
            return int(match.group(1))
    return None


# node's version, where its file keeps it: the inspector's `"Browser": "node.js/" NODE_VERSION` (every build with
# the inspector), else process.release's source URLs (release builds); both measured in node 20.20 and 24.19.
_NODE_RELEASES = (
    (b"node.js/v", re.compile(rb"node\.js/v(\d{1,3}\.\d{1,3}\.\d{1,3}(?:-[0-9A-Za-z.]{1,32})?)")),
    (b"/node-v", re.compile(rb"/node-v(\d{1,3}\.\d{1,3}\.\d{1,3})(?:-headers)?\.tar\.gz")),
)
_NODE_CONFIG = b'"node_use_openssl": '  # inside process.config: the build's configure options, kept as JSON text
_CONFIG_REACH = 64 << 10  # bytes read either side of it: the whole text (19 KB in node 24)
# configure's --openssl-use-def-ca-store (Fedora, openSUSE, Homebrew, Nix, conda-forge): --use-openssl-ca by default
_NODE_BUILD_SWITCHES = ((b'"NODE_OPENSSL_CERT_STORE"', "--use-openssl-ca"),)


def node_build(path: str) -> tuple[str | None, tuple[str, ...]]:
    """The version of node (`24.19.0`) and the switches its build turns on, read from its file, unrun.

    Only the parts of the file that hold constants are searched, for a literal each (a few milliseconds in a
    120 MB node); a file that is not node (a launcher that loads libnode) gives (None, ()).
    """
    spans = data_spans(path)
    release, switches = None, []
    try:
        with open(path, "rb") as handle:
            for literal, pattern in _NODE_RELEASES:
                for at in offsets(handle, literal, spans):
                    handle.seek(at)
                    match = pattern.match(handle.read(80))
                    if match:
                        release = match.group(1).decode("ascii")
                        break
                if release is not None:
                    break
            config_at = next(offsets(handle, _NODE_CONFIG, spans), None) if release is not None else None
            if config_at is not None:
                first = max(0, config_at - _CONFIG_REACH)
                handle.seek(first)
                window = handle.read(2 * _CONFIG_REACH)
                start = window.rfind(b"\0", 0, config_at - first) + 1
                end = window.find(b"\0", config_at - first)
                config = window[start : end if end != -1 else len(window)]
                switches = [switch for define, switch in _NODE_BUILD_SWITCHES if define in config]
    except OSError:
        return None, ()
    return release, tuple(switches)


def stacks_of(
    libraries: tuple[LoadedLibrary, ...], mapped: list[str], exe: str | None, python: bool, others: bool = True
) -> tuple[Stack, ...]:
    """Every TLS implementation among the mapped files, each with who uses it (libssl files are not stacks)."""
    program = "python-ssl" if python else (consumer_of(os.path.basename(exe or "")) or "program")
    stacks = []
    for library in libraries:
        if library.role == "libssl":
            continue
        consumer = _consumer_of_copy(library, mapped, program)
        stacks.append(
            Stack(
                consumer=consumer,
                implementation=library.flavour or "OpenSSL",
                path=library.path,
                version=library.version,
                library=library.path,
                consumer_version=consumer_version(consumer, mapped),
            )
        )
    for path in mapped if others else ():
        found = other_implementation(os.path.basename(path))
        if found is not None:
            stacks.append(Stack(consumer=found[1], implementation=found[0], path=path))
    return tuple(stacks)
