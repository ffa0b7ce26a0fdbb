"""The dynamic loader's search, redone without running anything: which file a soname becomes inside a root.

Order as in ld.so(8): DT_RPATH (when there is no DT_RUNPATH), LD_LIBRARY_PATH, DT_RUNPATH, the loader cache
(`/etc/ld.so.cache`, read with this host's `ldconfig -p -C`, never the root's own tools), then the default
folders. Only the root's files are looked at.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping

from cadoctor._facts.fileroot import HOST, FileRoot

TYPE_CHECKING = False
if TYPE_CHECKING:
    from cadoctor._facts.elf import ElfFacts

LDCONFIG = ("/sbin/ldconfig", "/usr/sbin/ldconfig", "/usr/bin/ldconfig")


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


_CACHE_LINE = re.compile(r"^\s*(\S+) \(([^)]*)\) => (\S.*)$")


# How `ldconfig -p` names the ABI of the running machine.
_LOADER_ABI = {"x86_64": "x86-64", "aarch64": "AArch64", "ppc64le": "64bit", "s390x": "64bit"}


def loader_cache(root: FileRoot = HOST) -> dict[str, str]:
    """Soname to path, as the loader cache of `root` lists them for this machine's ABI (empty if none)."""
    tool = next((path for path in LDCONFIG if os.access(path, os.X_OK)), None)
    if tool is None:
        return {}
    command = [tool, "-p"]
    if not root.is_host:
        try:
            cache = root.host("/etc/ld.so.cache")
        except OSError:
            return {}
        if not os.path.isfile(cache):
            return {}
        command += ["-C", cache]
    import subprocess

    try:
        listing = subprocess.run(
            command, capture_output=True, text=True, timeout=5, check=False, env={"LC_ALL": "C"}
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return {}
    abi = _LOADER_ABI.get(os.uname().machine, "")
    found: dict[str, str] = {}
    for line in listing.splitlines():
        match = _CACHE_LINE.match(line)
        if match and (not abi or abi in match.group(2)):
            found.setdefault(match.group(1), match.group(3))
    return found


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
