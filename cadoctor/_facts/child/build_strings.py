"""OpenSSL's build strings read from a file, unrun: its flavour, version and compiled directories.

The libraries of this process are described with them (`libraries`), and the host side reads other processes'
files and unpacked images with the same code.
"""

from __future__ import annotations

import os
import re
import stat

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, Iterator, Optional, Sequence, Tuple

_BUILD_KEYS = (b"OPENSSLDIR", b"ENGINESDIR", b"MODULESDIR")


# Each flavour's version string: a literal to find fast, then the pattern that must match where it was found.
_VERSION_PATTERNS = (
    ("AWS-LC", b"AWS-LC", rb"AWS-LC[ -]?(\d+\.\d+\.\d+)?"),
    ("BoringSSL", b"BoringSSL", rb"BoringSSL()"),
    ("LibreSSL", b"LibreSSL ", rb"LibreSSL (\d+\.\d+\.\d+)"),
    # a vendor's words may sit before the date: "OpenSSL 1.1.1k  FIPS 25 Mar 2021" (RHEL 8)
    (
        "OpenSSL",
        b"OpenSSL ",
        rb"OpenSSL (\d+\.\d+\.\d+[a-z]?(?:-[\w.]+)?)(?: +[A-Za-z][\w.-]{0,31}){0,3} +\d\d? \w{3} \d{4}",
    ),
)


# OpenSSL_version() selectors (OpenSSL >= 1.1): OPENSSL_DIR, OPENSSL_ENGINES_DIR, OPENSSL_MODULES_DIR.
VERSION_SELECTORS = {"openssldir": 4, "enginesdir": 5, "modulesdir": 8}


_STATIC_SCAN_LIMIT = 512 * 1024 * 1024


_NEAR = 64 * 1024  # OpenSSL keeps its build strings together: look this close to OPENSSLDIR first
_WINDOW = 512 << 10  # bytes mapped at a time when searching a file: a 120 MB binary costs one window of memory


def as_text(value: Any) -> str:
    """Turn bytes from C into text without ever failing on odd encodings."""
    if isinstance(value, bytes):
        return value.decode("utf-8", "surrogateescape")
    return str(value)


def quoted_value(line: str) -> Optional[str]:
    """Extract the value of an OpenSSL build string like `OPENSSLDIR: "/usr/lib/ssl"`."""
    start = line.find('"')
    end = line.rfind('"')
    if start == -1 or end <= start:
        return None if "n/a" not in line else "n/a"
    return line[start + 1 : end]


def _find_version(data: bytes, span: Tuple[int, int]) -> Optional[Tuple[str, str]]:
    """Find the flavour and version string: a fast search for each literal, the pattern only where it occurs."""
    for flavour, literal, pattern in _VERSION_PATTERNS:
        at = data.find(literal, *span)
        while at != -1:
            match = re.match(pattern, data[at : at + 96])  # compiled (and cached by re) only when needed
            if match:
                return flavour, as_text(match.group(0))
            at = data.find(literal, at + 1, span[1])
    return None


def flavour_of(version: Optional[str]) -> Optional[str]:
    """Name the flavour of a version string as OpenSSL_version(OPENSSL_VERSION) gives it (its own name in it)."""
    text = (version or "").encode("utf-8", "replace")
    return next((flavour for flavour, literal, _ in _VERSION_PATTERNS if literal in text), None)


def _find_build_string(data: bytes, key: bytes, span: Tuple[int, int]) -> Optional[str]:
    """Find `KEY: "value"` (or `KEY: n/a`) and return the value."""
    at = data.find(key + b": ", *span)
    while at != -1:
        value_at = at + len(key) + 2
        if data[value_at : value_at + 1] == b'"' or data[value_at : value_at + 3] == b"n/a":
            end = data.find(b"\0", at, at + 4096)
            return quoted_value(as_text(data[at : end if end != -1 else at + 256]))
        at = data.find(key + b": ", at + 1, span[1])
    return None


def offsets(handle: Any, literal: bytes, spans: Optional[Sequence[Tuple[int, int]]] = None) -> Iterator[int]:
    """Where a literal occurs in a file (or in its `spans`, (offset, length) each), one mapped window at a time."""
    import mmap

    size = min(os.fstat(handle.fileno()).st_size, _STATIC_SCAN_LIMIT)
    for start, span in spans or [(0, size)]:
        at, end = start - start % mmap.ALLOCATIONGRANULARITY, min(start + span, size)
        while at < end:
            length = min(_WINDOW + len(literal) - 1, end - at)
            with mmap.mmap(handle.fileno(), length, offset=at, access=mmap.ACCESS_READ) as window:
                index = window.find(literal)
                while -1 < index < _WINDOW:  # a match in the overlap is the next window's
                    yield at + index
                    index = window.find(literal, index + 1)
            at += _WINDOW


def _window(handle: Any, at: int, size: int) -> bytes:
    """`size` bytes of the file from `at`."""
    handle.seek(max(0, at))
    return bytes(handle.read(size))


def _scan_build_strings(handle: Any, facts: Dict[str, Any], spans: Optional[Sequence[Tuple[int, int]]]) -> None:
    """Fill in the build strings: near OPENSSLDIR first, where OpenSSL keeps them together, then everywhere.

    Every flavour's libcrypto (and every program with OpenSSL linked in) holds `OPENSSLDIR: `, which
    OpenSSL_version prints; a file without it carries no OpenSSL build (a libssl), and is not searched further.
    """
    anchor = next(offsets(handle, b"OPENSSLDIR: ", spans), None)
    if anchor is None:
        return
    near = _window(handle, anchor - _NEAR, 2 * _NEAR)
    for key in _BUILD_KEYS:
        value = _find_build_string(near, key, (0, len(near)))
        for at in offsets(handle, key + b": ", spans) if value is None else ():
            value = _find_build_string(_window(handle, at, 4096), key, (0, 4096))
            if value is not None:
                break
        if value is not None:
            facts[key.decode().lower()] = value
    found = _find_version(near, (0, len(near)))
    for _, literal, _ in _VERSION_PATTERNS if found is None else ():
        for at in offsets(handle, literal, spans):
            found = _find_version(_window(handle, at, 96), (0, 96))
            if found is not None:
                break
        if found is not None:
            break
    if found is not None:
        facts["flavour"], facts["version"] = found


def read_build_strings(path: str, spans: Optional[Sequence[Tuple[int, int]]] = None) -> Dict[str, Any]:
    """Read OpenSSL's flavour, version and compiled directories from a library file (or its `spans`), unrun."""
    facts: Dict[str, Any] = {
        "flavour": None,
        "version": None,
        "openssldir": None,
        "enginesdir": None,
        "modulesdir": None,
    }
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except OSError as exc:
        facts["error"] = exc.strerror or str(exc)
        return facts
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            facts["error"] = "not a regular file"
            return facts
        if info.st_size == 0:
            facts["error"] = "empty file"
            return facts
        with os.fdopen(os.dup(fd), "rb", buffering=0) as handle:
            _scan_build_strings(handle, facts, spans)
    except (OSError, ValueError) as exc:
        facts["error"] = str(exc)
    finally:
        os.close(fd)
    return facts
