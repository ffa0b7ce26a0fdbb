"""Inventory of one CA file or directory: what OpenSSL would really find there, read with bounded cost."""

from __future__ import annotations

import base64
import binascii
import datetime
import errno
import hashlib
import os
import re
import stat
import warnings
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from cadoctor._locations import SYSTEM_PREFIXES
from cadoctor._model import Bundle, Exposure
from cadoctor._subject_hash import MalformedName, subject_hash

if TYPE_CHECKING:
    from cryptography.x509 import Certificate

CHUNK = 1 << 20
SCAN_LIMIT = 64 << 20  # read at most this much of one file: enough for any real bundle
BLOCK_LIMIT = 1 << 20  # a single PEM block larger than this is not a certificate
DIRECTORY_LIMIT = 20000  # entries examined in one CA directory
SAMPLE_ROOTS = 3
_HASH_LINK = re.compile(r"^[0-9a-f]{8}\.\d+$")
_CERT_SUFFIXES = (".pem", ".crt", ".cer")
_BEGIN = re.compile(rb"-----BEGIN (TRUSTED |X509 )?CERTIFICATE-----")
_END = b"-----END "
_FILE_TYPES = (
    (stat.S_ISFIFO, "fifo"),
    (stat.S_ISCHR, "char-device"),
    (stat.S_ISBLK, "block-device"),
    (stat.S_ISSOCK, "socket"),
)


@dataclass
class _Tally:
    """Running counts while one file or directory is read."""

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

    def problem(self, text: str) -> None:
        """Record why a block did not parse, once per kind."""
        self.unparseable += 1
        if text not in self.problems:
            self.problems.append(text)


def identity(certificate: Certificate) -> str:
    """Name a CA by subject and key, so that re-encoded copies of one root compare equal."""
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    key = certificate.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(certificate.subject.public_bytes() + key).hexdigest()


def _der_length(der: bytes) -> int:
    """Length of the first DER element, to drop the auxiliary trust data of a TRUSTED CERTIFICATE."""
    if len(der) < 2:
        return len(der)
    first = der[1]
    if first < 0x80:
        return 2 + first
    count = first & 0x7F
    return 2 + count + int.from_bytes(der[2 : 2 + count], "big")


def _certificate(der: bytes, tally: _Tally, now: datetime.datetime) -> Certificate | None:
    """Parse one DER certificate into the tally; None when it does not parse."""
    from cryptography import x509

    # cryptography warns lazily (on any later access) about non-positive serials of some real roots:
    # count them as a fact instead of letting the warning reach the user.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            cert = x509.load_der_x509_certificate(der[: _der_length(der)])
        except ValueError:
            return None
        _analyse(cert, der, tally, now)
    if any("serial number" in str(w.message) for w in caught):
        tally.nonpositive_serials += 1
    return cert


def _analyse(cert: Certificate, der: bytes, tally: _Tally, now: datetime.datetime) -> None:
    """Count one parsed certificate: identity, validity, strict-mode fitness, sample roots."""
    from cryptography import x509

    tally.certificates += 1
    ident = identity(cert)
    if ident in tally.identities:
        tally.duplicates += 1
    tally.identities.add(ident)
    valid = True
    if cert.not_valid_after_utc < now:
        tally.expired += 1
        valid = False
    elif cert.not_valid_before_utc > now:
        tally.not_yet_valid += 1
        valid = False
    try:
        constraints = cert.extensions.get_extension_for_class(x509.BasicConstraints)
        if constraints.value.ca:
            try:
                cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
                has_ski = True
            except x509.ExtensionNotFound:
                has_ski = False
            if not constraints.critical or not has_ski:
                tally.strict_violations += 1
    except (x509.ExtensionNotFound, ValueError):
        pass
    if valid and len(tally.samples) < SAMPLE_ROOTS and cert.issuer == cert.subject:
        tally.samples.append(der[: _der_length(der)])


def _read_blocks(fd: int, tally: _Tally, now: datetime.datetime) -> list[Certificate]:
    """Stream a PEM file in chunks, parsing each certificate block the way OpenSSL's PEM reader would."""
    parsed: list[Certificate] = []
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
            try:
                der = base64.b64decode(b"".join(buffer[begin.end() : end].split()), validate=True)
            except (binascii.Error, ValueError):
                tally.problem("block is not valid base64")
                continue
            cert = _certificate(der, tally, now)
            if cert is None:
                tally.problem("block does not parse as an X.509 certificate")
            else:
                parsed.append(cert)
        buffer = buffer[at:]
    return parsed


def _open_regular(path: str) -> tuple[int | None, os.stat_result | None, str, str | None]:
    """Open a path without blocking (FIFOs, devices) and classify it: (fd, stat, file_type, error)."""
    try:
        info = os.stat(path)
    except OSError as exc:
        if exc.errno == errno.ENOENT:
            return None, None, "missing", "does not exist"
        if exc.errno == errno.ELOOP:
            return None, None, "symlink-loop", "symbolic link loop"
        if exc.errno == errno.EACCES:
            return None, None, "unreadable", "permission denied"
        return None, None, "unreadable", exc.strerror or str(exc)
    if stat.S_ISDIR(info.st_mode):
        return None, info, "directory", None
    for test, name in _FILE_TYPES:
        if test(info.st_mode):
            return None, info, name, "a %s, not a regular file" % name.replace("-", " ")
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except OSError as exc:
        reason = "permission denied" if exc.errno == errno.EACCES else exc.strerror or str(exc)
        return None, info, "unreadable", reason
    return fd, info, "regular", None


def exposures(path: str, euid: int | None) -> tuple[Exposure, ...]:
    """List what lets someone other than the owner change a trust source: itself and each parent."""
    found: list[Exposure] = []
    current = os.path.realpath(path)
    is_system = current.startswith(SYSTEM_PREFIXES)
    while True:
        try:
            info = os.stat(current)
        except OSError:
            break
        mode = stat.S_IMODE(info.st_mode)
        sticky_dir = stat.S_ISDIR(info.st_mode) and mode & stat.S_ISVTX
        if mode & stat.S_IWOTH and not sticky_dir:
            found.append(Exposure(current, info.st_uid, mode, "writable by every user"))
        elif mode & stat.S_IWGRP and info.st_gid != 0 and not sticky_dir:
            found.append(Exposure(current, info.st_uid, mode, "writable by group %d" % info.st_gid))
        if info.st_uid != 0 and info.st_uid != euid:
            where = "in a system location " if is_system else ""
            found.append(Exposure(current, info.st_uid, mode, "owned %sby uid %d" % (where, info.st_uid)))
        elif info.st_uid != 0 and is_system:
            found.append(Exposure(current, info.st_uid, mode, "owned in a system location by uid %d" % info.st_uid))
        parent = os.path.dirname(current)
        if parent == current:
            break
        current = parent
    return tuple(found)


def _file_inventory(fd: int, tally: _Tally, now: datetime.datetime) -> list[Certificate]:
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
    tally.expired += own.expired
    tally.not_yet_valid += own.not_yet_valid
    tally.strict_violations += own.strict_violations
    tally.nonpositive_serials += own.nonpositive_serials
    tally.samples.extend(own.samples[: max(0, SAMPLE_ROOTS - len(tally.samples))])


def _directory_inventory(path: str, tally: _Tally, now: datetime.datetime) -> tuple[int, int, int, str | None]:
    """Count hash links (and wrong ones) and certificate files that no link reaches."""
    links = mismatches = 0
    loose: dict[str, set[str]] = {}
    files: dict[str, tuple[list[Certificate], _Tally]] = {}
    merged: set[str] = set()
    try:
        with os.scandir(path) as entries:
            names = [entry.name for _, entry in zip(range(DIRECTORY_LIMIT), entries)]
    except OSError as exc:
        return 0, 0, 0, exc.strerror or str(exc)
    for name in sorted(names):
        is_link = _HASH_LINK.match(name) is not None
        if not is_link and not name.endswith(_CERT_SUFFIXES):
            continue
        full = os.path.join(path, name)
        real = os.path.realpath(full)
        if real not in files:
            own = _Tally()
            fd, _, file_type, _ = _open_regular(full)
            certs = _file_inventory(fd, own, now) if fd is not None else []
            if fd is None and is_link:
                own.problem("hash link %s leads to no readable file (%s)" % (name, file_type))
            files[real] = (certs, own)
        certs, own = files[real]
        if not is_link:
            if certs:
                loose[real] = own.identities
            continue
        links += 1
        if real not in merged:
            merged.add(real)
            _merge(tally, own)
        try:
            matches = bool(certs) and subject_hash(certs[0].subject.public_bytes()) == name.split(".")[0]
        except MalformedName:
            matches = False
        if matches:
            tally.certificates += 1
        else:
            mismatches += 1
    unlinked = sum(1 for idents in loose.values() if not idents & tally.identities)
    tally.marked = links + unlinked
    for idents in loose.values():
        tally.identities |= idents  # what the directory holds, linked or not (local anchors are never linked)
    return links, mismatches, unlinked, None


def inspect(path: str, roles: tuple[str, ...], euid: int | None = None) -> Bundle:
    """Describe one candidate CA file or directory without ever blocking or reading it whole."""
    now = datetime.datetime.now(datetime.timezone.utc)
    base = Bundle(path=path, roles=roles, kind="other", file_type="missing")
    if not os.path.isabs(path):
        return replace(base, file_type="relative", error="relative path: resolved against the working directory")
    fd, info, file_type, error = _open_regular(path)
    base = replace(base, file_type=file_type, error=error)
    if info is None:
        return base
    base = replace(
        base,
        realpath=os.path.realpath(path),
        size=info.st_size,
        uid=info.st_uid,
        gid=info.st_gid,
        mode=stat.S_IMODE(info.st_mode),
        exposures=exposures(path, euid),
    )
    tally = _Tally()
    if file_type == "directory":
        links, mismatches, unlinked, error = _directory_inventory(path, tally, now)
        return _finish(
            replace(
                base, kind="directory", error=error, hash_links=links, hash_mismatches=mismatches, unlinked=unlinked
            ),
            tally,
        )
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
    """Copy the tally into the bundle's facts."""
    return replace(
        bundle,
        certificates=tally.certificates,
        marked=tally.marked,
        unparseable=tally.unparseable,
        problems=tuple(tally.problems),
        der=tally.der,
        truncated=tally.truncated,
        expired=tally.expired,
        not_yet_valid=tally.not_yet_valid,
        duplicates=tally.duplicates,
        strict_violations=tally.strict_violations,
        nonpositive_serials=tally.nonpositive_serials,
        identities=frozenset(tally.identities),
        samples=tuple(tally.samples),
    )
