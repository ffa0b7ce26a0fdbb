"""A running process's trust path learnt from outside, through /proc: its OpenSSL, layout and files."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping

from cadoctor._facts.collect import facts_on_disk
from cadoctor._facts.elf import elf_at
from cadoctor._facts.files import build_strings, describe_file, python_hints, runtime_from_files, site_folders
from cadoctor._facts.loader import DEFAULT_FOLDERS, search_folders
from cadoctor._facts.process import (
    MappedFile,
    ProcessError,
    ProcessView,
    mapped_source,
    openssl_candidates,
    python_version,
)
from cadoctor._model import Facts, LoadedLibrary, Subject

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from cadoctor._facts.elf import ElfFacts


def _python_layout(view: ProcessView) -> tuple[str, str, str, bool, bool]:
    """Executable as started (a venv's, not the binary /proc/PID/exe names), prefixes, venv, system site.

    Returns the executable, its prefix and base prefix, whether it is a venv, and whether it sees the system
    site-packages.
    """
    exe = view.exe or ""
    started = view.cmdline[0] if view.cmdline else ""
    if started and "/" not in started:
        folders = view.environ.get("PATH", "").split(":")
        started = next((os.path.join(f, started) for f in folders if view.root.exists(os.path.join(f, started))), "")
    elif started and not started.startswith("/"):
        try:
            started = os.path.join(os.readlink("/proc/%d/cwd" % view.pid), started)
        except OSError:
            started = ""
    try:
        same = bool(started) and os.path.samefile(view.root.host(started), view.root.host(exe))
    except (OSError, ValueError):
        same = False
    executable = started if same else exe
    base_prefix = os.path.dirname(os.path.dirname(exe))
    prefix = os.path.dirname(os.path.dirname(executable))
    config = prefix + "/pyvenv.cfg"
    if not view.root.exists(config):
        return executable, base_prefix, base_prefix, False, True
    try:
        with open(view.root.host(config), encoding="utf-8", errors="replace") as handle:
            text = handle.read(65536)
    except OSError:
        text = ""
    system_site = re.search(r"^include-system-site-packages[ \t]*=[ \t]*true", text, re.M | re.I) is not None
    return executable, prefix, base_prefix, True, system_site


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
    carrying = [i for i, (_, role, strings) in enumerate(found) if role != "libssl" and strings.get("openssldir")]
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


def libraries_of(
    view: ProcessView, cache: dict[tuple[str, int], Mapping[str, Any]] | None = None
) -> tuple[tuple[LoadedLibrary, ...], str | None]:
    """Every OpenSSL the process mapped, which one is in use, and its `_ssl` module; each file read once."""
    cache = {} if cache is None else cache
    found: list[tuple[MappedFile, str, Mapping[str, Any]]] = []
    for mapped, role in openssl_candidates(view):
        strings = build_strings(view, mapped, cache)
        if role == "static" and not strings.get("openssldir") and not os.path.basename(mapped.path).startswith("_ssl"):
            continue
        found.append((mapped, role, strings))
    in_use, module = _choose_in_use(view, found)
    libraries: list[LoadedLibrary] = []
    for index, (mapped, role, strings) in enumerate(found):
        if role == "static" and not strings.get("openssldir"):
            continue  # a `_ssl` module that links OpenSSL dynamically: named as the module, not as a copy
        replaced = False
        if not mapped.deleted:
            try:
                info = view.root.stat(mapped.path)
                replaced = info.st_ino != mapped.inode
            except OSError:
                replaced = False
        libraries.append(
            describe_file(
                mapped.path,
                strings,
                role,
                view.root,
                in_use=index == in_use,
                deleted=mapped.deleted,
                replaced=replaced,
            )
        )
    return tuple(sorted(libraries, key=lambda lib: lib.path)), module


def facts_of_process(view: ProcessView) -> Facts:
    """The facts of a running process, read from outside (raises ProcessError when it maps no OpenSSL)."""
    pid = view.pid
    libraries, module = libraries_of(view)
    library = next((lib for lib in libraries if lib.in_use), None)
    version = python_version(view)
    if library is None:
        hint = " (a Python that has not imported ssl yet: check --python %s)" % view.exe if version is not None else ""
        raise ProcessError("process %d (%s) maps no OpenSSL: it reads no CA certificates%s" % (pid, view.command, hint))
    executable, prefix, base_prefix, venv, system_site = (view.exe or "", "", "", False, True)
    folders: tuple[str, ...] = ()
    if version is not None:
        executable, prefix, base_prefix, venv, system_site = _python_layout(view)
        if version:
            folders = site_folders(view.root, version, [prefix, base_prefix], view.environ, system_site)
    runtime = runtime_from_files(
        library=library,
        environ=view.environ,
        root=view.root,
        executable=executable,
        python=version,
        prefix=prefix,
        base_prefix=base_prefix,
        hints=python_hints(executable, prefix, view.environ, venv) if version is not None else (),
        euid=view.euid,
        ssl_module=module,
        folders=folders,
    )
    subject = Subject(
        kind="process",
        executable=view.exe,
        python=version is not None,
        observed="files",
        pid=pid,
        user=view.user,
        uid=view.uid,
        command=view.cmdline or (view.command,),
        root=None if view.root.is_host else view.root.root,
    )
    return facts_on_disk(runtime, libraries, subject, view.root)
