"""A hashed copy of a CA folder: what `openssl rehash` would make of it, built elsewhere so the folder stays as it is.

A folder without hash links is fixed by `openssl rehash FOLDER`, which changes the user's folder: a trial cannot
run it there, and cadoctor runs no program but a proven interpreter. The copy holds the folder's certificate files
with the `<subject hash>.<n>` links OpenSSL looks up, made as `openssl rehash` makes them (a file with exactly one
certificate gets a link, a certificate already linked under its hash is not linked twice), so that a client pointed
at the copy finds what it would find in the folder once rehashed.
"""

from __future__ import annotations

import os

from cadoctor._facts.certs.der import MalformedDER, certificate_parts
from cadoctor._facts.certs.names import subject_hash
from cadoctor._facts.certs.pem import SCAN_LIMIT, read_certificates
from cadoctor._facts.fs.disk import CERT_SUFFIXES, DIRECTORY_LIMIT, HASH_LINK, open_regular

COPY_LIMIT = 256 << 20  # bytes copied in all: a CA folder holds a few MiB; a folder of huge files is not copied whole


def hashed_copy(folder: str, destination: str) -> int:
    """Copy the folder's certificate files into `destination` (an empty folder) with their hash links; count links.

    Only regular files named as certificates are read (FIFOs and devices are never opened for reading, so nothing
    blocks), each up to the scan's limit, at most DIRECTORY_LIMIT entries and COPY_LIMIT bytes in all; a file
    without a certificate is not copied (no link would name it), nor the folder's own hash links: `openssl rehash`
    replaces them too.
    """
    linked: dict[str, list[bytes]] = {}
    copied = 0
    with os.scandir(folder) as entries:
        names = sorted(entry.name for _, entry in zip(range(DIRECTORY_LIMIT), entries))
    for name in names:
        if HASH_LINK.match(name) or not name.lower().endswith(CERT_SUFFIXES):
            continue
        read = _read(os.path.join(folder, name))
        if read is None:
            continue
        data, certificates = read
        if not certificates or copied + len(data) > COPY_LIMIT:
            continue
        copied += len(data)
        with open(os.path.join(destination, name), "wb") as out:
            out.write(data)
        if len(certificates) != 1:  # `openssl rehash` links a file of exactly one certificate
            continue
        digest = _hash_of(certificates[0])
        if digest is None or certificates[0] in linked.get(digest, []):
            continue
        same = linked.setdefault(digest, [])
        os.symlink(name, os.path.join(destination, "%s.%d" % (digest, len(same))))
        same.append(certificates[0])
    return sum(len(ders) for ders in linked.values())


def _read(path: str) -> tuple[bytes, tuple[bytes, ...]] | None:
    """A regular file's bytes and the certificates OpenSSL loads from it, or None (not a regular file, unreadable)."""
    fd, _info, kind, _error = open_regular(path)
    if fd is None or kind != "regular":
        return None
    try:
        certificates = read_certificates(fd, hashed=True).certificates
        os.lseek(fd, 0, os.SEEK_SET)
        chunks, size = [], 0
        while size < SCAN_LIMIT:
            chunk = os.read(fd, min(1 << 20, SCAN_LIMIT - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError:
        return None
    finally:
        os.close(fd)
    return b"".join(chunks), tuple(certificates)


def _hash_of(der: bytes) -> str | None:
    """OpenSSL's subject hash of a certificate, or None when its subject cannot be read."""
    try:
        return subject_hash(certificate_parts(der).subject)
    except MalformedDER:
        return None
