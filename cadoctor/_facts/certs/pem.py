"""The certificates of a PEM file, and whether a file or a hashed folder holds a name, as OpenSSL looks it up.

Reading every block of a bundle costs a base64 decode each; parsing each certificate costs far more, so a name
is looked for in the bytes first (`names.with_subject`) and only candidates are parsed. Each file is decoded
once per check: a check looks at the same system bundle for several questions.
"""

from __future__ import annotations

import os
from collections.abc import Collection

from cadoctor._facts.certs.der import MalformedDER
from cadoctor._facts.certs.names import subject_hash, with_subject
from cadoctor._facts.fs.disk import CERT_SUFFIXES, DIRECTORY_LIMIT
from cadoctor._facts.memo import table

_BEGIN = (b"-----BEGIN CERTIFICATE-----", b"-----BEGIN TRUSTED CERTIFICATE-----")
_FILE_LIMIT = 64 << 20
_FILE_MEMO = 64  # files whose certificates are kept decoded (the returned lists are shared: never change one)
_KEPT_LIMIT = 8 << 20  # bytes of certificates kept for one file: a larger bundle is decoded again when asked
_BLOCK_TEXT_LIMIT = 16 << 10  # a block kept by its text: real certificates take a few kilobytes
_DECODED: dict[tuple[int, int], tuple[tuple[int, int], list[bytes]]] = table()  # (device, inode): (size, mtime)
_BLOCKS: dict[bytes, bytes | None] = table()  # a block's text: its DER (None: not base64); bundles share most roots
_BLOCK_MEMO = 4096


def pem_certificates(path: str) -> list[bytes]:
    """The DER of each certificate block of a PEM file, read bounded and never blocking (a linear scan)."""
    import stat

    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return []
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            return []
        key, version = (info.st_dev, info.st_ino), (info.st_size, info.st_mtime_ns)
        known = _DECODED.get(key)  # the same file under another name (cert.pem and ca-certificates.crt) too
        if known is not None and known[0] == version:
            return known[1]
        data = os.read(fd, _FILE_LIMIT)
    finally:
        os.close(fd)
    found = _blocks(data)
    if sum(len(der) for der in found) <= _KEPT_LIMIT:
        if len(_DECODED) >= _FILE_MEMO:
            _DECODED.clear()
        _DECODED[key] = (version, found)
    return found


def _blocks(data: bytes) -> list[bytes]:
    """Decode each certificate block in one pass: each search starts where the last block ended."""
    found: list[bytes] = []
    at = 0
    while True:
        begin = data.find(b"-----BEGIN ", at)
        if begin == -1:
            return found
        marker = next((m for m in _BEGIN if data.startswith(m, begin)), None)
        if marker is None:
            at = begin + 1
            continue
        body = begin + len(marker)
        end = data.find(b"-----END", body)
        if end == -1:
            return found
        der = decode_block(data[body:end])
        if der is not None:
            found.append(der)
        at = end


def decode_block(text: bytes) -> bytes | None:
    """One PEM block's base64 decoded, as OpenSSL's reader would take it (None when it is not base64).

    Bundles share most roots: a block's text seen before is not decoded again in the same check.
    """
    if text in _BLOCKS:
        return _BLOCKS[text]
    import base64
    import binascii

    try:
        der: bytes | None = base64.b64decode(b"".join(text.split()), validate=True)
    except (binascii.Error, ValueError):
        der = None
    if len(_BLOCKS) < _BLOCK_MEMO and len(text) <= _BLOCK_TEXT_LIMIT:
        _BLOCKS[text] = der
    return der


def file_holds(path: str, names: Collection[bytes]) -> bool:
    """Whether a PEM file holds a certificate whose subject is one of `names`."""
    ders = pem_certificates(path)
    return any(with_subject(ders, name) for name in names)


_LINK_LIMIT = 1000  # `<hash>.<n>` links followed for one name


def store_holds(path: str, names: Collection[bytes], loose: bool = False) -> bool:
    """Whether a CA file or hashed folder holds a certificate with one of these subjects, without parsing it all.

    A folder answers through its `<hash>.<n>` links, as OpenSSL's lookup does (and, with `loose`, through its
    certificate files too: a local anchor folder is never linked); a file through its decoded blocks, where only
    a certificate that carries the name (raw, or a clue of its canonical form) is parsed.
    """
    if not os.path.isdir(path):
        return file_holds(path, names)
    for name in names:
        try:
            prefix = os.path.join(path, subject_hash(name))
        except MalformedDER:
            continue
        for index in range(_LINK_LIMIT):
            link = "%s.%d" % (prefix, index)
            if not os.path.lexists(link):
                break
            if file_holds(link, (name,)):
                return True
    if not loose:
        return False
    try:
        with os.scandir(path) as entries:
            files = [e.path for _, e in zip(range(DIRECTORY_LIMIT), entries) if e.name.endswith(CERT_SUFFIXES)]
    except OSError:
        return False
    return any(file_holds(file, names) for file in files)
