"""What OpenSSL's build strings say about a library: its version, its OPENSSLDIR, and the CA locations they imply.

OpenSSL leaves its version and compiled directories (`OPENSSLDIR: "..."`) as constants in its library; the
probe reads them from a loaded library, and `openssl_strings` from a file, without running it. Either way the
same keys become a `LoadedLibrary` here, in one place.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping

from cadoctor._facts.child import build_strings
from cadoctor._model import LoadedLibrary

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from cadoctor._facts.fs.fileroot import FileRoot

# BoringSSL and AWS-LC have no OPENSSLDIR ("n/a"): their default locations are fixed.
_FIXED_LOCATIONS = ("/etc/ssl/cert.pem", "/etc/ssl/certs")


_NUMBERS = re.compile(r"(\d+)\.(\d+)\.(\d+)([a-z]?)")


def openssl_strings(path: str) -> dict[str, Any]:
    """OpenSSL's build strings in a file (`read_build_strings`), searched only where ELF keeps constants."""
    from cadoctor._facts.binary.elf import data_spans  # lazy: a successful `check --host` reads no ELF

    return build_strings.read_build_strings(path, data_spans(path))


def version_info(version: str | None) -> tuple[int, ...]:
    """The tuple `ssl.OPENSSL_VERSION_INFO` would show for a version string (OpenSSL's numbering)."""
    match = _NUMBERS.search(version or "")
    if match is None:
        return ()
    major, minor, patch = (int(g) for g in match.groups()[:3])
    letter = match.group(4)
    if major >= 3:  # 3.x encodes MNN00PP0: Python reads it with the 1.x layout
        return (major, minor, 0, patch, 0)
    return (major, minor, patch, ord(letter) - ord("a") + 1 if letter else 0, 15)


def compiled_locations(library: LoadedLibrary | None) -> tuple[str | None, str | None]:
    """The default CA file and directory a library derives from its OPENSSLDIR."""
    if library is None:
        return None, None
    openssldir = library.openssldir
    if openssldir is None or openssldir == "n/a" or library.flavour in ("BoringSSL", "AWS-LC"):
        return _FIXED_LOCATIONS
    return os.path.join(openssldir, "cert.pem"), os.path.join(openssldir, "certs")


def loaded_library(
    path: str,
    realpath: str,
    role: str,
    strings: Mapping[str, Any],
    *,
    in_use: bool = False,
    deleted: bool = False,
    replaced: bool = False,
    openssldir_exists: bool | None = None,
) -> LoadedLibrary:
    """A library as its build strings describe it: the probe's reading of a loaded one, or a file's own."""
    return LoadedLibrary(
        path=path,
        realpath=realpath,
        role=role,
        in_use=in_use,
        deleted=deleted,
        replaced=replaced,
        flavour=strings.get("flavour"),
        version=strings.get("version"),
        openssldir=strings.get("openssldir"),
        enginesdir=strings.get("enginesdir"),
        modulesdir=strings.get("modulesdir"),
        openssldir_exists=openssldir_exists,
    )


def describe_file(
    path: str,
    strings: Mapping[str, Any],
    role: str,
    root: FileRoot,
    *,
    in_use: bool = False,
    deleted: bool = False,
    replaced: bool = False,
    memo: dict[tuple[str, str, str], Any] | None = None,
) -> LoadedLibrary:
    """A library (or a program carrying OpenSSL) as its own bytes describe it, judged inside `root`.

    `memo` keeps the file system's answers for one scan of many processes (`ps`), never longer.
    """
    openssldir = strings.get("openssldir")
    real = path if deleted else _resolved(root, path, memo)
    exists = None
    if openssldir and openssldir != "n/a":
        exists = bool(
            _asked(memo, (root.root, "directory", openssldir), lambda: root.exists(openssldir, directory=True))
        )
    return loaded_library(
        path, real, role, strings, in_use=in_use, deleted=deleted, replaced=replaced, openssldir_exists=exists
    )


def _asked(memo: dict[tuple[str, str, str], Any] | None, key: tuple[str, str, str], answer: Callable[[], Any]) -> Any:
    """An answer about the file system, from `memo` when the same question was asked in this scan."""
    if memo is None:
        return answer()
    if key not in memo:
        memo[key] = answer()
    return memo[key]


def _resolved(root: FileRoot, path: str, memo: dict[tuple[str, str, str], Any] | None) -> str:
    """A path resolved inside `root` (the path itself when it cannot be)."""

    def resolve() -> str:
        try:
            return root.resolve(path)
        except OSError:
            return path

    return str(_asked(memo, (root.root, "resolve", path), resolve))
