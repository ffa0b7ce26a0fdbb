"""`cadoctor inspect`: what files say about OpenSSL and CA certificates, read without running anything.

A library or program: its OpenSSL flavour, version and compiled directories, and how it gets OpenSSL — it is
libcrypto itself, carries a copy linked in, or needs one through the loader (followed through its
dependencies, the way the loader of that root would resolve them). A CA file or directory: the same
inventory `check` takes.
"""

from __future__ import annotations

import os
import re

from cadoctor._facts.binary.elf import MAGIC, ElfError, elf_at, read_elf
from cadoctor._facts.binary.loader import find_library, loader_cache
from cadoctor._facts.binary.openssl_build import describe_file, openssl_strings
from cadoctor._facts.child.libraries import LIBRARY_NAME, role_of
from cadoctor._facts.fs.disk import open_regular
from cadoctor._facts.fs.fileroot import HOST, FileRoot
from cadoctor._model.inspection import Dependency, ElfFacts, Inspection
from cadoctor._record import replace

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

_DEPTH = 6  # dependency levels followed to find the OpenSSL a program gets through other libraries


def _openssl_needs(elf: ElfFacts, path: str, root: FileRoot, cache: Mapping[str, str]) -> tuple[Dependency, ...]:
    """Follow the needed libraries breadth-first, as the root's loader would, to every OpenSSL on the way.

    A libcrypto or libssl by soname ends a branch; so does any other library that carries OpenSSL linked in
    (librdkafka behind confluent-kafka's `cimpl`), found by its build strings. A library that cannot be found
    is listed too (its path None): what it would bring is unknown, never "no OpenSSL".
    """
    from cadoctor._facts.binary.stacks import never_tls

    found: dict[str, Dependency] = {}
    queue: list[tuple[str, ElfFacts, tuple[str, ...]]] = [(path, elf, ())]
    seen = {path}
    for _ in range(_DEPTH):
        following: list[tuple[str, ElfFacts, tuple[str, ...]]] = []
        for owner, facts, via in queue:
            for soname in facts.needed:
                library, how = find_library(soname, root, os.path.dirname(owner), facts, {}, cache)
                if soname in found or (library is not None and library in seen):
                    continue
                if library is None:
                    found[soname] = Dependency(soname, via, None, how)
                    continue
                named = LIBRARY_NAME.match(soname) is not None
                if not named and never_tls(soname):
                    continue
                strings = openssl_strings(root.host(library))
                if named or strings.get("openssldir"):
                    role = role_of(soname)
                    openssl = describe_file(library, strings, role, root) if strings.get("openssldir") else None
                    found[soname] = Dependency(soname, via, library, how, openssl)
                    continue
                seen.add(library)
                child = elf_at(root.host(library))
                if child is not None:
                    following.append((library, child, (*via, soname)))
        if not following:
            break
        queue = following
    return tuple(found.values())


def _through_ssl_module(path: str, root: FileRoot, cache: Mapping[str, str]) -> tuple[Dependency, ...]:
    """A Python interpreter gets OpenSSL through its `_ssl` extension module, which it loads on `import ssl`."""
    from cadoctor._facts.subjects.image import ssl_module

    try:
        real = root.resolve(path)
    except OSError:
        return ()
    match = re.search(r"python(3\.\d+)$", real)
    module = ssl_module(root, real, match.group(1)) if match else None
    elf = elf_at(root.host(module)) if module else None
    if module is None or elf is None:
        return ()
    name = os.path.basename(module)
    return tuple(replace(d, via=(name, *d.via)) for d in _openssl_needs(elf, module, root, cache))


def inspect_path(path: str, root: FileRoot = HOST) -> Inspection:
    """Inspect one path inside `root`: a binary, a CA bundle or directory, or something else."""
    fd, info, file_type, error = open_regular(path, root)
    if file_type == "directory":
        from cadoctor._facts.certs.bundle import inventory_bundle

        bundle = inventory_bundle(path, ("inspected",), os.geteuid() if hasattr(os, "geteuid") else None, root)
        if bundle.error is None and not (bundle.hash_links or bundle.marked or bundle.certificates):
            return Inspection(path, "other", True, _not_a_ca_directory(path, root), bundle=bundle)
        return Inspection(path, "directory", True, bundle.error, bundle=bundle)
    if fd is None or info is None:
        return Inspection(path, "other", False, error or file_type)
    try:
        head = os.pread(fd, 4, 0)
        elf: ElfFacts | None = None
        elf_error: str | None = None
        if head == MAGIC:
            try:
                elf = read_elf(fd)
            except ElfError as exc:
                elf_error = str(exc)
    except OSError as exc:
        return Inspection(path, "other", False, exc.strerror or str(exc))
    finally:
        os.close(fd)
    host = root.host(path)
    strings = openssl_strings(host)
    if head == MAGIC or strings.get("openssldir"):
        return _binary(path, root, info.st_size, elf, elf_error, strings)
    from cadoctor._facts.certs.bundle import inventory_bundle

    bundle = inventory_bundle(path, ("inspected",), os.geteuid() if hasattr(os, "geteuid") else None, root)
    if bundle.certificates or bundle.marked:
        return Inspection(path, "bundle", True, None, bundle=bundle, size=info.st_size)
    return Inspection(
        path,
        "other",
        True,
        "neither a binary carrying OpenSSL nor a CA bundle: no ELF header, no OPENSSLDIR, no certificate",
        size=info.st_size,
    )


def _not_a_ca_directory(path: str, root: FileRoot) -> str:
    """Why a directory with no hash link and no single-certificate file is no CA directory, empty or not."""
    try:
        with os.scandir(root.host(path)) as entries:
            empty = next(entries, None) is None
    except OSError:
        empty = False
    held = "an empty directory" if empty else "a directory with no hash link and no single-certificate file"
    return "%s: neither a binary nor a CA bundle or directory (OpenSSL finds no certificate there)" % held


def _binary(
    path: str,
    root: FileRoot,
    size: int,
    elf: ElfFacts | None,
    elf_error: str | None,
    strings: Mapping[str, Any],
) -> Inspection:
    """Describe a binary: the OpenSSL it is or carries, or the one the loader would give it."""
    name = (elf.soname if elf is not None else None) or os.path.basename(path)
    is_openssl = LIBRARY_NAME.match(name) is not None
    openssl = None
    if strings.get("openssldir") or is_openssl:
        role = role_of(name)
        openssl = describe_file(path, strings, role, root)
    dependencies: tuple[Dependency, ...] = ()
    if elf is not None and not is_openssl and not strings.get("openssldir"):  # linked in: nothing to follow
        cache = loader_cache(root)
        dependencies = _openssl_needs(elf, path, root, cache) or _through_ssl_module(path, root, cache)
    if is_openssl:
        linkage = "is-openssl"
    elif strings.get("openssldir"):
        linkage = "static"
    elif any(d.path is not None for d in dependencies):
        linkage = "dynamic"
    elif dependencies:
        linkage = "unknown"  # only libraries that cannot be found: what they bring is not known here
    else:
        linkage = "none"
    return Inspection(path, "binary", True, elf_error, elf, linkage, openssl, dependencies, size=size)
