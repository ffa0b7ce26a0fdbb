"""The OpenSSL copies a process mapped, read from outside, and which one its program runs (`--pid` and `ps`).

/proc shows where copies are, not the order they came: the copy in use is the one linked into `_ssl` or the
executable, else the one with the soname `_ssl` (or the program) needs that the loader's search meets first.
A copy linked into another library (librdkafka, grpc's `cygrpc`) serves that library only. node's own build
(its version, the switches it turns on) is read from its file too (`with_builds`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from cadoctor._facts.binary.elf import elf_at
from cadoctor._facts.binary.loader import DEFAULT_FOLDERS, search_folders
from cadoctor._facts.binary.openssl_build import describe_file, openssl_strings
from cadoctor._facts.binary.stacks import consumer_of, node_build
from cadoctor._facts.process.procfs import MappedFile, ProcessView, mapped_source, openssl_candidates
from cadoctor._model import LoadedLibrary, Stack
from cadoctor._record import replace

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from cadoctor._model.inspection import ElfFacts


def _search_rank(path: str, view: ProcessView, origin: str, elf: ElfFacts | None) -> int:
    """Where the dynamic loader's search for a dependency of `elf` (in `origin`) meets this library's folder."""
    folder = os.path.dirname(path)
    searched = [f for f, _ in search_folders(origin, elf, view.environ)]
    if folder in searched:
        return searched.index(folder)
    system = folder in DEFAULT_FOLDERS or folder.startswith(tuple(d + "/" for d in DEFAULT_FOLDERS))
    return len(searched) + (0 if system else 1)


def _choose_in_use(
    view: ProcessView, found: list[tuple[MappedFile, str, Mapping[str, Any]]]
) -> tuple[int | None, str | None]:
    """Which OpenSSL a Python's `ssl` (or the program itself) runs, and the `_ssl` module file, if any.

    A copy linked into `_ssl` or the executable is the one in use; otherwise, among the mapped copies with the
    soname `_ssl` (or the program) needs, the one the loader's search order meets first: RPATH,
    LD_LIBRARY_PATH, RUNPATH, then the system folders. /proc shows where copies are, not the order they came.
    """
    # a copy linked into another library (librdkafka, cygrpc) serves that library, never `ssl` or the program
    carrying = [
        i
        for i, (_, role, strings) in enumerate(found)
        if role not in ("libssl", "linked") and strings.get("openssldir")
    ]
    module = next((m for m, role, _ in found if role == "static" and os.path.basename(m.path).startswith("_ssl")), None)
    module_path = module.path if module is not None else None
    if not carrying:
        return None, module_path
    linked_in = [i for i in carrying if found[i][1] == "static" and found[i][0] is module]
    linked_in += [i for i in carrying if found[i][1] == "static" and found[i][0].path == view.exe]
    if linked_in:
        return linked_in[0], module_path
    elf = elf_at(mapped_source(view, module)) if module is not None else None
    origin = os.path.dirname(module.path) if module is not None else ""
    wanted = elf.needed if elf is not None else ()
    named = [i for i in carrying if os.path.basename(found[i][0].path) in wanted] or carrying
    return min(named, key=lambda i: _search_rank(found[i][0].path, view, origin, elf)), module_path


def _build_strings(
    view: ProcessView, mapped: MappedFile, cache: dict[tuple[str, int], Mapping[str, Any]]
) -> Mapping[str, Any]:
    """The build strings of a mapped file, read once per file (device and inode) however many map it."""
    if mapped.key not in cache:
        try:
            cache[mapped.key] = openssl_strings(mapped_source(view, mapped))
        except OSError as exc:
            cache[mapped.key] = {"error": exc.strerror or str(exc)}
    return cache[mapped.key]


_SMALLEST_COPY = 1 << 20  # bytes: no OpenSSL, BoringSSL or LibreSSL libcrypto links in smaller than this


def _too_small(view: ProcessView, mapped: MappedFile) -> bool:
    """Whether a shared object is too small to carry a TLS library of its own (then it is never read)."""
    try:
        return os.stat(mapped_source(view, mapped)).st_size < _SMALLEST_COPY
    except OSError:
        return False


def copies_of(
    view: ProcessView,
    cache: dict[tuple[str, int], Mapping[str, Any]] | None = None,
    memo: dict[tuple[str, str, str], Any] | None = None,
) -> tuple[list[tuple[MappedFile, LoadedLibrary]], str | None]:
    """Every OpenSSL the process mapped with the file it came from, which one is in use, and its `_ssl` module."""
    cache = {} if cache is None else cache
    found: list[tuple[MappedFile, str, Mapping[str, Any]]] = []
    for mapped, role in openssl_candidates(view):
        if role == "linked" and mapped.key not in cache and _too_small(view, mapped):
            cache[mapped.key] = {}  # read once per file for every process: here, not at all
        strings = _build_strings(view, mapped, cache)
        if role == "linked" and not strings.get("openssldir"):
            continue
        if role == "static" and not strings.get("openssldir") and not os.path.basename(mapped.path).startswith("_ssl"):
            continue
        found.append((mapped, role, strings))
    in_use, module = _choose_in_use(view, found)
    libraries: list[tuple[MappedFile, LoadedLibrary]] = []
    for index, (mapped, role, strings) in enumerate(found):
        if role == "static" and not strings.get("openssldir"):
            continue  # a `_ssl` module that links OpenSSL dynamically: named as the module, not as a copy
        role = "static" if role == "linked" else role  # OpenSSL linked into that file, as for an executable
        replaced = False
        if not mapped.deleted:
            try:
                info = view.root.stat(mapped.path)
                replaced = info.st_ino != mapped.inode
            except OSError:
                replaced = False
        library = describe_file(
            mapped.path,
            strings,
            role,
            view.root,
            in_use=index == in_use,
            deleted=mapped.deleted,
            replaced=replaced,
            memo=memo,
        )
        libraries.append((mapped, library))
    return libraries, module


def libraries_of(
    view: ProcessView, cache: dict[tuple[str, int], Mapping[str, Any]] | None = None
) -> tuple[tuple[LoadedLibrary, ...], str | None]:
    """Every OpenSSL the process mapped, which one is in use, and its `_ssl` module; each file read once."""
    copies, module = copies_of(view, cache)
    return tuple(sorted((library for _, library in copies), key=lambda lib: lib.path)), module


def with_builds(
    view: ProcessView, stacks: tuple[Stack, ...], memo: dict[tuple[str, str, str], Any] | None = None
) -> tuple[Stack, ...]:
    """The stacks with node's version and build switches, read from its file (libnode first, then the program).

    Each file is read once per `memo`, however many processes map it; only a process where node verifies is read.
    """
    if not any(stack.consumer == "node" for stack in stacks):
        return stacks
    memo = {} if memo is None else memo
    files = {m.key: m for m in view.maps if consumer_of(os.path.basename(m.path)) == "node"}
    release, switches = None, ()
    for mapped in sorted(files.values(), key=lambda m: not os.path.basename(m.path).startswith("libnode")):
        key = ("node-build", mapped.device, str(mapped.inode))
        if key not in memo:
            memo[key] = node_build(mapped_source(view, mapped))
        release, switches = memo[key]
        if release is not None:
            break
    if release is None:
        return stacks
    major = int(release.split(".")[0])
    built = {"consumer_version": major, "consumer_release": release, "build_switches": switches}
    return tuple(replace(stack, **built) if stack.consumer == "node" else stack for stack in stacks)
