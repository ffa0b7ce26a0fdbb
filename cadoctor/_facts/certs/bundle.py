"""Inventory of one CA file or directory: what OpenSSL really finds there, read with bounded cost.

The certificates counted are the ones OpenSSL loads (`pem.read_certificates`: the scan of a plain PEM file, the
loaded libcrypto's own reading of anything else), so a count, a holder and a damaged block mean what they mean
to the clients that read the file.
"""

from __future__ import annotations

import datetime
import functools
import hashlib
import os
from collections.abc import Sequence

from cadoctor._facts.certs import kept_parses
from cadoctor._facts.certs.der import MalformedDER, certificate_facts, certificate_parts, read_tlv
from cadoctor._facts.certs.names import same_name, subject_hash, with_subject
from cadoctor._facts.certs.pem import read_certificates
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
from cadoctor._record import record, replace

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from cadoctor._facts.fs.disk import FileKey

SAMPLE_ROOTS = 3


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


class _Reading:
    """What reading one CA file met: the certificates OpenSSL loads, in order (duplicates too), and why not more.

    Only what the reader sees is kept here; what a Bundle says of the certificates is worked out once, by
    `_with_certificates`. A slotted class, not a record: a hashed folder makes one per file.
    """

    __slots__ = ("certificates", "crls", "der", "dropped", "failures", "marked", "reader", "truncated", "unloaded")

    def __init__(self, marked: int = 0, unloaded: int = 0) -> None:
        """Nothing read yet: `marked` and `unloaded` say what a file that could not be opened counts as."""
        self.certificates: list[_Parsed] = []
        self.failures: list[str] = []
        self.marked = marked  # certificates the file carries (blocks, DER between them), loaded or not
        self.unloaded = unloaded  # of those, the ones OpenSSL does not load
        self.crls = 0
        self.der = False
        self.truncated = False
        self.reader: str | None = None  # the OpenSSL that read it, where the scan alone could not decide
        self.dropped: list[_Parsed] = []  # certificates it carries that OpenSSL does not load


@functools.lru_cache(maxsize=4096)
def parse(der: bytes) -> _Parsed | None:
    """Parse one DER certificate once per run: bundles, directories and certifi mostly hold the same roots.

    The standard library's reading of DER (`certificate_facts`) gives everything an inventory counts; it agrees
    with cryptography on every root of the system store, certifi, botocore and grpc, and costs no 40 ms import.
    What it took from bytes an earlier check parsed is kept between checks, by their digest (`kept_parses`).
    """
    try:
        der = der[: read_tlv(der, 0)[2]]  # a TRUSTED CERTIFICATE carries trust settings after the certificate
    except MalformedDER:
        return None
    digest = hashlib.sha256(der).hexdigest()
    kept = kept_parses.recall(digest)
    if kept is not kept_parses.MISSING:
        return _from_entry(der, kept)
    parsed = _parsed(der)
    kept_parses.remember(digest, _entry(parsed))
    return parsed


def _parsed(der: bytes) -> _Parsed | None:
    """What the DER reader takes from one certificate, or None when it refuses the bytes."""
    try:
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
        self_issued=same_name(parts.issuer, parts.subject),
    )


def _entry(parsed: _Parsed | None) -> list[Any] | None:
    """A parse as `kept_parses` keeps it: everything but the bytes, which are its key."""
    if parsed is None:
        return None
    moments = [list(moment.timetuple()[:6]) for moment in (parsed.not_before, parsed.not_after)]
    flags = [parsed.strict_violation, parsed.nonpositive_serial, parsed.self_issued]
    return [parsed.identity, parsed.subject.hex(), *moments, *flags]


def _moment(numbers: list[int]) -> datetime.datetime:
    """A kept instant (year, month, day, hour, minute, second), in UTC."""
    year, month, day, hour, minute, second = numbers
    return datetime.datetime(year, month, day, hour, minute, second, tzinfo=datetime.timezone.utc)


def _from_entry(der: bytes, entry: Any) -> _Parsed | None:
    """The parse an entry keeps (checked for its shape when read), with its bytes."""
    if entry is None:
        return None
    identity, subject, begins, ends, strict, nonpositive, self_issued = entry
    try:
        not_before, not_after = _moment(begins), _moment(ends)
        named = bytes.fromhex(subject)
    except (ValueError, OverflowError):  # an entry no reader wrote: parse the bytes instead
        return _parsed(der)
    return _Parsed(der, identity, named, not_before, not_after, strict, nonpositive, self_issued)


_UNKNOWN_END = datetime.datetime.max.replace(tzinfo=datetime.timezone.utc)  # an outline's: its validity is unknown


def _outline(der: bytes) -> _Parsed:
    """What is known of a certificate OpenSSL loads and the DER reader does not fully read: its names and key.

    Its validity is unknown, so it counts as neither expired nor not yet valid.
    """
    lowest = datetime.datetime.min.replace(tzinfo=datetime.timezone.utc)
    highest = _UNKNOWN_END
    try:
        parts = certificate_parts(der)
    except MalformedDER:
        return _Parsed(der, hashlib.sha256(der).hexdigest(), b"", lowest, highest, False, False, False)
    identity = hashlib.sha256(parts.subject + parts.public_key).hexdigest()
    return _Parsed(der, identity, parts.subject, lowest, highest, False, False, same_name(parts.issuer, parts.subject))


def _parses(der: bytes) -> bool:
    """Whether the DER reader reads a certificate whole: where it does not, OpenSSL's reading decides."""
    return parse(der) is not None


def _file_inventory(fd: int, hashed: bool = False) -> _Reading:
    """Read one open file as OpenSSL loads it (as a CA file, or `hashed` as a folder's link), always closing it."""
    try:
        found = read_certificates(fd, hashed=hashed, valid=_parses)
    finally:
        os.close(fd)
    reading = _Reading(found.marked, found.unloaded)
    reading.certificates = [parse(der) or _outline(der) for der in found.certificates]
    reading.failures = list(found.problems)
    reading.crls, reading.der, reading.truncated, reading.reader = (
        found.crls,
        found.der_file,
        found.truncated,
        found.reader,
    )
    reading.dropped = [parse(der) or _outline(der) for der in found.dropped]
    return reading


def _with_certificates(
    bundle: Bundle,
    read: Sequence[_Parsed],
    unloaded: tuple[int, Sequence[str]],
    held: Sequence[_Parsed],
    now: datetime.datetime,
) -> Bundle:
    """The bundle with what its certificates say: one place names the Bundle fields they fill.

    `read`: the certificates OpenSSL loads (a folder's: those its hash links reach), duplicates included;
    `unloaded`: how many marked certificates it does not load, and why, as OpenSSL drops them; `held`: every
    certificate it holds, in the order read (a local anchor folder's unlinked files too).
    """
    current = [c for c in read if c.not_before <= now <= c.not_after]
    count, failures = unloaded
    return replace(
        bundle,
        unparseable=count,
        problems=tuple(dict.fromkeys(failures)),
        expired=sum(1 for c in read if c.not_after < now),
        not_yet_valid=sum(1 for c in read if c.not_after >= now and c.not_before > now),
        strict_violations=sum(c.strict_violation for c in read),
        nonpositive_serials=sum(c.nonpositive_serial for c in read),
        samples=tuple(c.der for c in current if c.self_issued)[:SAMPLE_ROOTS],
        expires=min((int(c.not_after.timestamp()) for c in current if c.not_after != _UNKNOWN_END), default=None),
        identities=frozenset(c.identity for c in held),
        subjects={c.identity: c.subject for c in held},
        ders={c.identity: c.der for c in held},
    )


@record
class _DirectoryCounts:
    """What a directory's listing showed, and the certificates its files hold."""

    links: int = 0
    mismatches: int = 0
    unlinked: int = 0
    error: str | None = None
    targets: tuple[str, ...] = ()  # the files the hash links reach, for who-can-write checks
    matched: int = 0  # links whose first certificate has the hash the link is named after
    linked: tuple[_Parsed, ...] = ()  # what the hash links reach, each file once: what OpenSSL can look up
    failures: tuple[str, ...] = ()  # why the certificates of those files that OpenSSL does not load give none
    unloaded: int = 0  # how many those are
    dropped: tuple[_Parsed, ...] = ()  # the certificates those files carry that OpenSSL does not load
    held: tuple[_Parsed, ...] = ()  # what the folder holds, linked or not, in the order its names sort
    reader: str | None = None  # the OpenSSL that read a file of it the scan could not decide alone


def _hashed_as(certificate: _Parsed, wanted: str) -> bool:
    """Whether a certificate's subject hash is the one a link is named after (kept between checks: `kept_parses`)."""
    known = kept_parses.subject_hash_of(certificate.subject)
    return known is not None and known == wanted


def _real_path(fd: int, path: str, root: FileRoot) -> str:
    """Where an open file really is: one readlink on Linux instead of a walk of every component."""
    if not root.is_host:
        return root.resolve(path)
    try:
        return os.readlink("/proc/self/fd/%d" % fd)
    except OSError:
        return os.path.realpath(path)


def _directory_inventory(path: str, root: FileRoot) -> _DirectoryCounts:
    """Count hash links (and wrong ones) and certificate files that no link reaches."""
    links = mismatches = matched = 0
    targets: dict[FileKey, str] = {}
    loose: dict[FileKey, set[str]] = {}
    files: dict[FileKey, _Reading] = {}
    merged: set[FileKey] = set()
    linked_files: list[str] = []
    linked: list[_Parsed] = []
    failures: list[str] = []
    unloaded = 0
    dropped: list[_Parsed] = []
    held: list[_Parsed] = []
    reader: str | None = None
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
            fd, _, file_type, _ = open_regular(full, root)
            if fd is not None:
                targets[real] = _real_path(fd, full, root)
                files[real] = _file_inventory(fd, hashed=True)  # what OpenSSL's hash lookup loads from it
                reader = reader or files[real].reader
            else:
                files[real] = _Reading(marked=1, unloaded=1)
                if is_link:
                    files[real].failures.append("leads to no readable file (%s)" % file_type)
        own = files[real]
        certs = own.certificates
        if not is_link:
            if certs:
                loose[real] = {c.identity for c in certs}
                held.extend(certs)
            continue
        links += 1
        if real not in merged and real in targets:
            linked_files.append(targets[real])
        if real not in merged:
            merged.add(real)
            linked.extend(certs)
            failures.extend("%s: %s" % (name, failure) for failure in own.failures)
            unloaded += own.unloaded
            dropped.extend(own.dropped)
            held.extend(certs)
        # OpenSSL's lookup loads every certificate of the file and takes the one with the name it looks up
        matches = any(_hashed_as(c, name.split(".")[0]) for c in certs)
        if matches:
            matched += 1
        else:
            mismatches += 1
    # What `openssl rehash` would link: single-certificate files. Bundles in a directory are never looked up by hash.
    reached = {c.identity for c in linked}
    unlinked = sum(1 for idents in loose.values() if len(idents) == 1 and not idents & reached)
    return _DirectoryCounts(
        links=links,
        mismatches=mismatches,
        unlinked=unlinked,
        targets=tuple(linked_files),
        matched=matched,
        linked=tuple(linked),
        failures=tuple(failures),
        unloaded=unloaded,
        dropped=tuple(dropped),
        held=tuple(held),
        reader=reader,
    )


def inventory_bundle(path: str, roles: tuple[str, ...], euid: int | None = None, root: FileRoot = HOST) -> Bundle:
    """Describe one candidate CA file or directory (inside `root`) without ever blocking or reading it whole."""
    now = datetime.datetime.now(datetime.timezone.utc)
    seen: set[str] = set()
    base, fd, info = on_disk(path, roles, euid, seen, parsed=True, root=root)
    if info is None:
        return base
    if base.file_type == "directory":
        counts = _directory_inventory(path, root)
        # A hash link is only as safe as the file it reaches, wherever that lives.
        reached = tuple(e for target in counts.targets for e in exposures(target, euid, seen, root, resolved=True))
        directory = replace(
            base,
            kind="directory",
            error=counts.error,
            certificates=counts.matched,
            marked=counts.links + counts.unlinked,
            hash_links=counts.links,
            hash_mismatches=counts.mismatches,
            unlinked=counts.unlinked,
            exposures=base.exposures + reached,
            read_by=counts.reader,
            dropped={c.identity: c.der for c in counts.dropped},
        )
        return _with_certificates(directory, counts.linked, (counts.unloaded, counts.failures), counts.held, now)
    if fd is None:
        return base
    reading = _file_inventory(fd)
    certs = reading.certificates
    error = None
    if info.st_size == 0:
        error = "empty file"
    elif not certs and reading.crls:
        error = "no certificate, only %d CRL(s)" % reading.crls
    elif not certs and reading.marked and reading.reader:
        error = "OpenSSL loads none of its %d certificates" % reading.marked
    elif not certs:
        error = "no certificate could be parsed"
    file = replace(
        base,
        kind="file",
        error=error,
        certificates=len(certs),
        marked=reading.marked,
        crls=reading.crls,
        der=reading.der,
        truncated=reading.truncated,
        duplicates=len(certs) - len({c.identity for c in certs}),
        read_by=reading.reader,
        dropped={c.identity: c.der for c in reading.dropped},
    )
    return _with_certificates(file, certs, (reading.unloaded, reading.failures), certs, now)


def _parsed_in(path: str) -> list[_Parsed]:
    """Every certificate OpenSSL loads from a CA file."""
    fd, _, _, _ = open_regular(path)
    return _file_inventory(fd).certificates if fd is not None else []


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
    for index in range(DIRECTORY_LIMIT):
        fd, _, file_type, _ = open_regular(os.path.join(path, "%s.%d" % (wanted, index)))
        if fd is None:
            if file_type == "missing":
                break
            continue
        candidates.extend(_file_inventory(fd, hashed=True).certificates)
    return with_subject([cert.der for cert in candidates], name_der)
