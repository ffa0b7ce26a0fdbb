"""The dynamic loader's search, redone without running anything: which file a soname becomes inside a root.

Order as in ld.so(8): DT_RPATH (when there is no DT_RUNPATH), LD_LIBRARY_PATH, DT_RUNPATH, the loader cache
(`/etc/ld.so.cache`, parsed here: no tool is run), then the default folders. Only the root's files are looked
at.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Mapping

from cadoctor._facts.fs.fileroot import HOST, FileRoot

TYPE_CHECKING = False
if TYPE_CHECKING:
    from cadoctor._model.inspection import ElfFacts

DEFAULT_FOLDERS = (
    "/lib/x86_64-linux-gnu",
    "/usr/lib/x86_64-linux-gnu",
    "/lib/aarch64-linux-gnu",
    "/usr/lib/aarch64-linux-gnu",
    "/lib64",
    "/usr/lib64",
    "/lib",
    "/usr/lib",
    "/usr/local/lib",
)


_CACHE_MAGIC = b"glibc-ld.so.cache1.1"  # the format glibc has written since 2.32 (and beside the old one before)
_CACHE_LIMIT = 16 << 20  # bytes: real caches are a few hundred KiB
_ENTRY = struct.Struct("=iIIIQ")  # flags, key, value, osversion, hwcap


# The architecture bits of an entry's flags for this machine (the low byte says ELF libc6: 3).
_MACHINE_FLAGS = {"x86_64": 0x0300, "aarch64": 0x0A00, "ppc64le": 0x0500, "s390x": 0x0400}


def _string(data: bytes, at: int) -> str | None:
    """The NUL-terminated string at an offset of the cache, if it is one."""
    end = data.find(b"\0", at, at + 4096)
    return data[at:end].decode("utf-8", "surrogateescape") if 0 <= at < end else None


def parse_loader_cache(data: bytes, machine: str) -> dict[str, str]:
    """Soname to path for one machine from the bytes of an ld.so.cache (new format), never trusting them."""
    base = data.find(_CACHE_MAGIC, 0, 1 << 16)
    if base == -1 or len(data) < base + 48:
        return {}
    count = struct.unpack_from("=I", data, base + 20)[0]
    wanted = _MACHINE_FLAGS.get(machine)
    found: dict[str, str] = {}
    for index in range(min(count, (len(data) - base - 48) // _ENTRY.size)):
        flags, key, value, _, _ = _ENTRY.unpack_from(data, base + 48 + index * _ENTRY.size)
        if flags & 0xFF != 3 or (wanted is not None and flags & 0xFF00 != wanted):
            continue  # not an ELF libc6 library of this machine (a 32-bit one, another ABI)
        name, path = _string(data, base + key), _string(data, base + value)
        if name and path:
            found.setdefault(name, path)
    return found


def loader_cache(root: FileRoot = HOST) -> dict[str, str]:
    """Soname to path, as the loader cache of `root` lists them for this machine (empty if none).

    The cache file is read and parsed here, bounded; no tool is run for it (not even this host's ldconfig).
    """
    from cadoctor._facts.fs.disk import open_regular

    fd, _, _, _ = open_regular("/etc/ld.so.cache", root)
    if fd is None:
        return {}
    try:
        data = os.read(fd, _CACHE_LIMIT)
    except OSError:
        return {}
    finally:
        os.close(fd)
    return parse_loader_cache(data, os.uname().machine)


def search_folders(origin: str, elf: ElfFacts | None, environ: Mapping[str, str]) -> list[tuple[str, str]]:
    """The folders searched before the cache, each with why: (folder, `rpath` | `LD_LIBRARY_PATH` | `runpath`)."""
    rpath = elf.rpath if elf is not None and not elf.runpath else ()
    runpath = elf.runpath if elf is not None else ()
    library_path = tuple(p for p in environ.get("LD_LIBRARY_PATH", "").split(":") if p)
    folders: list[tuple[str, str]] = []
    for why, entries in (("rpath", rpath), ("LD_LIBRARY_PATH", library_path), ("runpath", runpath)):
        for entry in entries:
            folders.append((os.path.normpath(entry.replace("${ORIGIN}", origin).replace("$ORIGIN", origin)), why))
    return folders


def find_library(
    soname: str,
    root: FileRoot,
    origin: str,
    elf: ElfFacts | None,
    environ: Mapping[str, str],
    cache: Mapping[str, str],
) -> tuple[str | None, str]:
    """The path inside `root` the loader would open for `soname`, and which step of its search found it."""
    for folder, why in search_folders(origin, elf, environ):
        candidate = os.path.join(folder, soname)
        if root.exists(candidate):
            return candidate, why
    cached = cache.get(soname)
    if cached is not None and root.exists(cached):
        return cached, "ld.so.cache"
    for folder in DEFAULT_FOLDERS:
        candidate = os.path.join(folder, soname)
        if root.exists(candidate):
            return candidate, "default folders"
    return None, "not found"
