"""Inventory of one CA file or directory: what OpenSSL would really find there, read with bounded cost."""

from __future__ import annotations

import datetime
import functools
import hashlib
import os
import re

from cadoctor._facts.certs.der import MalformedDER, certificate_facts, read_tlv
from cadoctor._facts.certs.names import subject_hash, with_subject
from cadoctor._facts.certs.pem import decoded
from cadoctor._facts.fs.disk import (
    CERT_SUFFIXES,
    DIRECTORY_LIMIT,
    HASH_LINK,
    exposures,
    file_key,
    on_disk,
    open_regular,
)
from cadoctor._facts.fs.fileroot import HOST, FileRoot
from cadoctor._model import Bundle
from cadoctor._record import field, fields, record, replace

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from cadoctor._facts.fs.disk import FileKey

CHUNK = 1 << 20


SCAN_LIMIT = 64 << 20  # read at most this much of one file: enough for any real bundle


BLOCK_LIMIT = 1 << 20  # a single PEM block larger than this is not a certificate


SAMPLE_ROOTS = 3


_BEGIN = re.compile(rb"-----BEGIN (TRUSTED |X509 )?CERTIFICATE-----")


_END = b"-----END "


@record
class _Parsed:
    """What the inventory keeps of one certificate: small, and shared by every file that holds it."""

    der: bytes
    identity: str
    subject: bytes
    not_before: datetime.datetime
    not_after: datetime.datetime
    strict_violation: bool
    nonpositive_serial: bool
    self_issued: bool


@record(frozen=False)
class _Tally:
    """Running counts while one file or directory is read; the fields shared with Bundle carry its names."""

    certificates: int = 0
    marked: int = 0
    unparseable: int = 0
    problems: list[str] = field(default_factory=list)
    der: bool = False
    truncated: bool = False
    expired: int = 0
    not_yet_valid: int = 0
    duplicates: int = 0
    strict_violations: int = 0
    nonpositive_serials: int = 0
    identities: set[str] = field(default_factory=set)
    samples: list[bytes] = field(default_factory=list)
    subjects: dict[str, bytes] = field(default_factory=dict)
    ders: dict[str, bytes] = field(default_factory=dict)

    def problem(self, text: str) -> None:
        """Record why a block did not parse, once per kind."""
        self.unparseable += 1
        if text not in self.problems:
            self.problems.append(text)

    def add(self, cert: _Parsed, now: datetime.datetime) -> None:
        """Count one parsed certificate: identity, validity, strict-mode fitness, sample roots."""
        self.certificates += 1
        if cert.identity in self.identities:
            self.duplicates += 1
        self.identities.add(cert.identity)
        self.subjects[cert.identity] = cert.subject
        self.ders[cert.identity] = cert.der
        self.strict_violations += cert.strict_violation
        self.nonpositive_serials += cert.nonpositive_serial
        if cert.not_after < now:
            self.expired += 1
        elif cert.not_before > now:
            self.not_yet_valid += 1
        elif cert.self_issued and len(self.samples) < SAMPLE_ROOTS:
            self.samples.append(cert.der)


@functools.lru_cache(maxsize=4096)
def parse(der: bytes) -> _Parsed | None:
    """Parse one DER certificate once per run: bundles, directories and certifi mostly hold the same roots.

    The standard library's reading of DER (`certificate_facts`) gives everything an inventory counts; it agrees
    with cryptography on every root of the system store, certifi, botocore and grpc, and costs no 40 ms import.
    """
    try:
        der = der[: read_tlv(der, 0)[2]]  # a TRUSTED CERTIFICATE carries trust settings after the certificate
        facts = certificate_facts(der)
        not_before = datetime.datetime(*facts.not_before, tzinfo=datetime.timezone.utc)
        not_after = datetime.datetime(*facts.not_after, tzinfo=datetime.timezone.utc)
    except (MalformedDER, ValueError):
        return None
    parts = facts.parts
    return _Parsed(
        der=der,
        # subject and key: re-issued copies of one root (new validity or serial) compare equal
        identity=hashlib.sha256(parts.subject + parts.public_key).hexdigest(),
        subject=parts.subject,
        not_before=not_before,
        not_after=not_after,
        strict_violation=facts.strict_violation,
        nonpositive_serial=not facts.serial_positive,
        self_issued=parts.issuer == parts.subject,
    )


def _block(text: bytes) -> _Parsed | str:
    """One PEM block's certificate, or why it gives none (decoded once a check, parsed once a run)."""
    der = decoded(text)
    if der is None:
        return "block is not valid base64"
    return parse(der) or "block does not parse as an X.509 certificate"


def _read_blocks(fd: int, tally: _Tally, now: datetime.datetime) -> list[_Parsed]:
    """Stream a PEM file in chunks, parsing each certificate block the way OpenSSL's PEM reader would."""
    parsed: list[_Parsed] = []
    buffer = b""
    scanned = 0
    eof = False
    first = True
    while not eof:
        data = os.read(fd, CHUNK)
        scanned += len(data)
        eof = not data
        if scanned >= SCAN_LIMIT and not eof:
            tally.truncated = True
            eof = True
        if first:
            first = False
            if data[:1] == b"\x30" and _BEGIN.search(data) is None:
                tally.der = True
                tally.marked += 1
                tally.problem("DER-encoded file: OpenSSL reads CA files as PEM only")
                return parsed
        buffer += data
        at = 0
        while True:
            begin = _BEGIN.search(buffer, at)
            if begin is None:
                # keep a tail long enough to hold a marker split across chunks
                at = max(at, len(buffer) - 40)
                break
            end = buffer.find(_END, begin.end())
            if end == -1:
                if eof:
                    tally.marked += 1
                    tally.problem("truncated block at end of file")
                    at = len(buffer)
                elif len(buffer) - begin.start() > BLOCK_LIMIT:
                    tally.marked += 1
                    tally.problem("block larger than 1 MiB")
                    at = begin.end()
                    continue
                else:
                    at = begin.start()
                break
            tally.marked += 1
            line_start = begin.start() == 0 or buffer[begin.start() - 1 : begin.start()] in (b"\n", b"\r")
            at = end + len(_END)
            if not line_start:
                tally.problem("BEGIN line joined to the previous line (END/BEGIN on one line)")
                continue
            cert = _block(buffer[begin.end() : end])
            if isinstance(cert, str):
                tally.problem(cert)
            else:
                tally.add(cert, now)
                parsed.append(cert)
        buffer = buffer[at:]
    return parsed


def _file_inventory(fd: int, tally: _Tally, now: datetime.datetime) -> list[_Parsed]:
    """Read one open file, always closing it."""
    try:
        return _read_blocks(fd, tally, now)
    except OSError as exc:
        tally.problem("read failed: %s" % (exc.strerror or exc))
        return []
    finally:
        os.close(fd)


def _merge(tally: _Tally, own: _Tally) -> None:
    """Add the counts of one file that a hash link reaches to its directory's tally."""
    tally.unparseable += own.unparseable
    tally.problems.extend(p for p in own.problems if p not in tally.problems)
    tally.identities |= own.identities
    tally.subjects.update(own.subjects)
    tally.ders.update(own.ders)
    tally.expired += own.expired
    tally.not_yet_valid += own.not_yet_valid
    tally.strict_violations += own.strict_violations
    tally.nonpositive_serials += own.nonpositive_serials
    tally.samples.extend(own.samples[: max(0, SAMPLE_ROOTS - len(tally.samples))])


@record
class _DirectoryCounts:
    """What a directory's listing showed, besides the certificates themselves."""

    links: int = 0
    mismatches: int = 0
    unlinked: int = 0
    error: str | None = None
    targets: tuple[str, ...] = ()  # the files the hash links reach, for who-can-write checks


def _real_path(fd: int, path: str, root: FileRoot) -> str:
    """Where an open file really is: one readlink on Linux instead of a walk of every component."""
    if not root.is_host:
        return root.resolve(path)
    try:
        return os.readlink("/proc/self/fd/%d" % fd)
    except OSError:
        return os.path.realpath(path)


def _directory_inventory(path: str, tally: _Tally, now: datetime.datetime, root: FileRoot) -> _DirectoryCounts:
    """Count hash links (and wrong ones) and certificate files that no link reaches."""
    links = mismatches = 0
    targets: dict[FileKey, str] = {}
    loose: dict[FileKey, set[str]] = {}
    files: dict[FileKey, tuple[list[_Parsed], _Tally]] = {}
    merged: set[FileKey] = set()
    linked: list[str] = []
    try:
        with os.scandir(root.host(path)) as entries:
            names = [entry.name for _, entry in zip(range(DIRECTORY_LIMIT), entries)]
    except OSError as exc:
        return _DirectoryCounts(error=exc.strerror or str(exc))
    for name in sorted(names):
        is_link = HASH_LINK.match(name) is not None
        if not is_link and not name.endswith(CERT_SUFFIXES):
            continue
        full = os.path.join(path, name)
        real = file_key(full, root)
        if real not in files:
            own = _Tally()
            fd, _, file_type, _ = open_regular(full, root)
            if fd is not None:
                targets[real] = _real_path(fd, full, root)
            certs = _file_inventory(fd, own, now) if fd is not None else []
            if fd is None and is_link:
                own.problem("hash link %s leads to no readable file (%s)" % (name, file_type))
            files[real] = (certs, own)
        certs, own = files[real]
        if not is_link:
            if certs:
                loose[real] = own.identities
                tally.subjects.update(own.subjects)
                tally.ders.update(own.ders)
            continue
        links += 1
        if real not in merged and real in targets:
            linked.append(targets[real])
        if real not in merged:
            merged.add(real)
            _merge(tally, own)
        try:
            matches = bool(certs) and subject_hash(certs[0].subject) == name.split(".")[0]
        except MalformedDER:
            matches = False
        if matches:
            tally.certificates += 1
        else:
            mismatches += 1
    # What `openssl rehash` would link: single-certificate files. Bundles in a directory are never looked up by hash.
    unlinked = sum(1 for idents in loose.values() if len(idents) == 1 and not idents & tally.identities)
    tally.marked = links + unlinked
    for idents in loose.values():
        tally.identities |= idents  # what the directory holds, linked or not (local anchors are never linked)
    return _DirectoryCounts(links, mismatches, unlinked, None, tuple(linked))


def inspect(path: str, roles: tuple[str, ...], euid: int | None = None, root: FileRoot = HOST) -> Bundle:
    """Describe one candidate CA file or directory (inside `root`) without ever blocking or reading it whole."""
    now = datetime.datetime.now(datetime.timezone.utc)
    seen: set[str] = set()
    base, fd, info = on_disk(path, roles, euid, seen, parsed=True, root=root)
    if info is None:
        return base
    tally = _Tally()
    if base.file_type == "directory":
        counts = _directory_inventory(path, tally, now, root)
        # A hash link is only as safe as the file it reaches, wherever that lives.
        reached = tuple(e for target in counts.targets for e in exposures(target, euid, seen, root, resolved=True))
        directory = replace(
            base,
            kind="directory",
            error=counts.error,
            hash_links=counts.links,
            hash_mismatches=counts.mismatches,
            unlinked=counts.unlinked,
            exposures=base.exposures + reached,
        )
        return _finish(directory, tally)
    if fd is None:
        return base
    _file_inventory(fd, tally, now)
    error = None
    if info.st_size == 0:
        error = "empty file"
    elif tally.certificates == 0:
        error = "no certificate could be parsed"
    return _finish(replace(base, kind="file", error=error), tally)


def _finish(bundle: Bundle, tally: _Tally) -> Bundle:
    """Copy the tally into the bundle's facts, field by field under the same names."""
    values: dict[str, Any] = {}
    for name in (f.name for f in fields(_Tally)):
        value = getattr(tally, name)
        if isinstance(value, set):
            value = frozenset(value)
        elif isinstance(value, list):
            value = tuple(value)
        values[name] = value
    return replace(bundle, **values)


def _parsed_in(path: str) -> list[_Parsed]:
    """Every certificate OpenSSL would read from a CA file."""
    fd, _, _, _ = open_regular(path)
    return _file_inventory(fd, _Tally(), datetime.datetime.now(datetime.timezone.utc)) if fd is not None else []


def certificates_named(path: str, name_der: bytes) -> list[bytes]:
    """The certificates of a CA file or directory whose subject is this name, compared as OpenSSL compares names.

    In a directory only the `<hash>.<n>` links for the name's hash are read, as OpenSSL's lookup does.
    """
    try:
        wanted = subject_hash(name_der)
    except MalformedDER:
        return []
    if not os.path.isdir(path):
        return with_subject([cert.der for cert in _parsed_in(path)], name_der)
    candidates: list[_Parsed] = []
    now = datetime.datetime.now(datetime.timezone.utc)
    for index in range(DIRECTORY_LIMIT):
        fd, _, file_type, _ = open_regular(os.path.join(path, "%s.%d" % (wanted, index)))
        if fd is None:
            if file_type == "missing":
                break
            continue
        candidates.extend(_file_inventory(fd, _Tally(), now))
    return with_subject([cert.der for cert in candidates], name_der)
