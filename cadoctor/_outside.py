"""A trust path learnt from files alone: another process (through /proc) or an unpacked image (`--root`).

Nothing is run. The OpenSSL in use and its compiled directories come from the library file itself; the CA
locations follow from them and the environment the way OpenSSL derives them; the disk is read inside the
subject's own root. What only a running default context could tell (how many certificates it loaded) is
marked as not measured, and the rules judge the files it would read instead.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping

from cadoctor import _probe
from cadoctor._collect import inventory, system_libraries
from cadoctor._elf import elf_at
from cadoctor._fileroot import FileRoot, RootError
from cadoctor._loader import DEFAULT_FOLDERS, find_library, loader_cache, search_folders
from cadoctor._model import Facts, LoadedLibrary, Runtime, Subject, TrustSource
from cadoctor._process import (
    MappedFile,
    ProcessError,
    ProcessView,
    mapped_source,
    openssl_candidates,
    python_version,
)
from cadoctor._record import replace

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from cadoctor._elf import ElfFacts

NOT_MEASURED = "not measured: read from files, no context was made there"
# BoringSSL and AWS-LC have no OPENSSLDIR ("n/a"): their default locations are fixed.
_FIXED_LOCATIONS = ("/etc/ssl/cert.pem", "/etc/ssl/certs")
_NUMBERS = re.compile(r"(\d+)\.(\d+)\.(\d+)([a-z]?)")


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


def sources_in_effect(library: LoadedLibrary | None, environ: Mapping[str, str]) -> dict[str, Any]:
    """The CA file and directories a default context on `library` reads in `environ`, as OpenSSL picks them."""
    cafile, capath = compiled_locations(library)
    raw = {"cafile_env": "SSL_CERT_FILE", "cafile": cafile, "capath_env": "SSL_CERT_DIR", "capath": capath}
    version = library.version if library else None
    return _probe.trust_sources({"default_verify_paths_raw": raw, "openssl_version": version}, environ)


def build_strings(
    view: ProcessView, mapped: MappedFile, cache: dict[tuple[str, int], Mapping[str, Any]]
) -> Mapping[str, Any]:
    """The build strings of a mapped file, read once per file (device and inode) however many map it."""
    if mapped.key not in cache:
        try:
            cache[mapped.key] = _probe.read_build_strings(mapped_source(view, mapped))
        except OSError as exc:
            cache[mapped.key] = {"error": exc.strerror or str(exc)}
    return cache[mapped.key]


def describe_file(
    path: str,
    strings: Mapping[str, Any],
    role: str,
    root: FileRoot,
    *,
    in_use: bool = False,
    deleted: bool = False,
    replaced: bool = False,
) -> LoadedLibrary:
    """A library (or a program carrying OpenSSL) as its own bytes describe it, judged inside `root`."""
    openssldir = strings.get("openssldir")
    try:
        real = path if deleted else root.resolve(path)
    except OSError:
        real = path
    return LoadedLibrary(
        path=path,
        realpath=real,
        role=role,
        in_use=in_use,
        deleted=deleted,
        replaced=replaced,
        flavour=strings.get("flavour"),
        version=strings.get("version"),
        openssldir=openssldir,
        enginesdir=strings.get("enginesdir"),
        modulesdir=strings.get("modulesdir"),
        openssldir_exists=root.exists(openssldir, directory=True) if openssldir and openssldir != "n/a" else None,
    )


def python_hints(executable: str, prefix: str, environ: Mapping[str, str], venv: bool) -> tuple[str, ...]:
    """The distribution markers the probe would report, from paths and the environment."""
    hints = ["venv"] if venv else []
    if "CONDA_PREFIX" in environ:
        hints.append("conda")
    if executable.startswith("/nix/store/") or prefix.startswith("/nix/store/"):
        hints.append("nix")
    if "/.pyenv/versions/" in prefix:
        hints.append("pyenv")
    hints.extend(platform for variable, platform in _probe.PLATFORM_VARIABLES if variable in environ)
    return tuple(hints)


def find_certifi(
    root: FileRoot, version: str, prefixes: list[str], environ: Mapping[str, str], system_site: bool
) -> str | None:
    """Where that interpreter would import certifi from: PYTHONPATH, its site-packages, the distro's dist-packages."""
    folders = [p for p in environ.get("PYTHONPATH", "").split(":") if p.startswith("/")]
    candidates = prefixes if system_site else prefixes[:1]
    for prefix in candidates:
        for lib in ("lib", "lib64"):
            folders.append("%s/%s/python%s/site-packages" % (prefix, lib, version))
    if system_site:
        folders += ["/usr/local/lib/python%s/dist-packages" % version, "/usr/lib/python3/dist-packages"]
    for folder in folders:
        candidate = folder + "/certifi/cacert.pem"
        if root.exists(candidate):
            return candidate
    return None


def runtime_from_files(
    *,
    library: LoadedLibrary | None,
    environ: Mapping[str, str],
    root: FileRoot,
    executable: str,
    python: str | None,
    prefix: str,
    base_prefix: str,
    hints: tuple[str, ...],
    euid: int | None,
    ssl_module: str | None,
    certifi: str | None,
) -> Runtime:
    """A Runtime the rules can judge, built from a library's build strings and an environment."""
    compiled_cafile, compiled_capath = compiled_locations(library)
    version = library.version if library else None
    sources = sources_in_effect(library, environ)
    return Runtime(
        python_version=python or "",
        implementation="cpython" if python is not None else "",
        executable=executable,
        prefix=prefix,
        base_prefix=base_prefix,
        hints=hints,
        system="linux",
        os_release=_probe.os_release(root.host),
        euid=euid,
        ssl_available=library is not None,
        ssl_error=None if library is not None else "no OpenSSL found",
        openssl_version=version,
        openssl_version_info=version_info(version),
        ssl_module_file=ssl_module,
        cafile_env="SSL_CERT_FILE",
        capath_env="SSL_CERT_DIR",
        compiled_cafile=compiled_cafile,
        compiled_capath=compiled_capath,
        cafile=TrustSource(sources["cafile"]["path"], sources["cafile"]["source"]),
        capaths=tuple(TrustSource(c["path"], c["source"]) for c in sources["capaths"]),
        context_ok=None,
        context_error=None,
        context_skipped=NOT_MEASURED,
        context_loaded=0,
        libraries_available=True,
        libraries_reason=None,
        environment=_probe.environment_facts(environ),
        certifi=certifi,
    )


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
    certifi = None
    if version is not None:
        executable, prefix, base_prefix, venv, system_site = _python_layout(view)
        if version:
            certifi = find_certifi(view.root, version, [prefix, base_prefix], view.environ, system_site)
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
        certifi=certifi,
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
    known = {lib.realpath: lib.openssldir for lib in libraries}
    return Facts(
        runtime=runtime,
        libraries=libraries,
        system_libraries=system_libraries(known, view.root),
        bundles=inventory(runtime, view.root),
        subject=subject,
    )


def trial_obstacle(facts: Facts) -> str | None:
    """Why fixes for this subject cannot be tried in a fresh copy of it here, or None when they can."""
    subject = facts.subject
    if subject is None or subject.kind == "interpreter":
        return None
    if subject.root is not None:
        return "not tried: nothing from another root is run here"
    if not subject.python:
        return "not tried: the trial runs a Python interpreter and this is %s" % (subject.executable or "no Python")
    if subject.uid is not None and hasattr(os, "geteuid") and subject.uid != os.geteuid():
        return "not tried: the process runs as %s, and cadoctor runs no one else's interpreter" % subject.user
    return None


_PYTHON_FOLDERS = ("/usr/local/bin", "/usr/bin", "/opt/python/bin", "/bin")
_PYTHON_NAME = re.compile(r"^python3(\.\d+)?$")
_OPENSSL_SONAMES = ("libcrypto.so.3", "libcrypto.so.1.1", "libcrypto.so.1.0.0", "libcrypto.so.10")


def open_root(path: str) -> FileRoot:
    """A FileRoot for a directory given by the user (raises RootError when it is not one)."""
    try:
        if not os.path.isdir(path):
            raise RootError("%s is not a directory" % path if os.path.exists(path) else "%s does not exist" % path)
        os.listdir(path)
    except OSError as exc:
        raise RootError("cannot read %s: %s" % (path, exc.strerror or exc)) from None
    return FileRoot(path)


def find_python(root: FileRoot) -> str | None:
    """The image's Python as its PATH would find it: `python3` first, then the newest `python3.X`."""
    for folder in _PYTHON_FOLDERS:
        try:
            names = os.listdir(root.host(folder))
        except OSError:
            continue
        found = sorted((n for n in names if _PYTHON_NAME.match(n)), key=lambda n: (n != "python3", _minor(n) * -1))
        for name in found:
            path = folder + "/" + name
            try:
                if os.path.isfile(root.host(path)):
                    return path
            except OSError:
                continue
    return None


def _minor(name: str) -> int:
    """The minor version in a name like python3.11 (0 when there is none)."""
    _, _, minor = name.partition(".")
    return int(minor) if minor.isdigit() else 0


def ssl_module(root: FileRoot, real_exe: str, version: str) -> str | None:
    """The `_ssl` extension module of an image's Python, from its lib-dynload folders."""
    prefix = os.path.dirname(os.path.dirname(real_exe))
    for folder in ("%s/lib/python%s/lib-dynload" % (prefix, version), "/usr/lib/python%s/lib-dynload" % version):
        try:
            names = sorted(os.listdir(root.host(folder)))
        except OSError:
            continue
        module = next((n for n in names if n.startswith("_ssl.") and n.endswith(".so")), None)
        if module is not None:
            return folder + "/" + module
    return None


def _read_in_root(root: FileRoot, path: str) -> tuple[Mapping[str, Any], ElfFacts | None]:
    """Build strings and ELF facts of a file inside a root."""
    try:
        host = root.host(path)
    except OSError as exc:
        return {"error": exc.strerror or str(exc)}, None
    return _probe.read_build_strings(host), elf_at(host)


def openssl_of_image(
    root: FileRoot, python: str | None, version: str | None, cache: Mapping[str, str]
) -> tuple[list[LoadedLibrary], str | None]:
    """The OpenSSL an image's Python would load (or, without Python, the loader's libcrypto), and `_ssl`'s file."""
    linker: str | None = None
    if python is not None:
        real = root.resolve(python)
        linker = ssl_module(root, real, version) if version else None
        for candidate in [c for c in (linker, real) if c]:
            strings, _ = _read_in_root(root, candidate)
            if strings.get("openssldir"):  # linked into `_ssl` or into the interpreter itself
                return [describe_file(candidate, strings, "static", root, in_use=True)], linker
    elf = _read_in_root(root, linker)[1] if linker else None
    wanted = [n for n in (elf.needed if elf else ()) if n.startswith("libcrypto.")] or list(_OPENSSL_SONAMES)
    origin = os.path.dirname(linker) if linker else "/"
    for soname in wanted:
        path, _ = find_library(soname, root, origin, elf, {}, cache)
        if path is None:
            continue
        libraries = [describe_file(path, _read_in_root(root, path)[0], "libcrypto", root, in_use=True)]
        libssl, _ = find_library(soname.replace("libcrypto", "libssl", 1), root, origin, elf, {}, cache)
        if libssl is not None:
            libraries.append(describe_file(libssl, {}, "libssl", root))
        return libraries, linker
    return [], linker


def facts_of_root(root: FileRoot) -> Facts:
    """The facts of an unpacked image or chroot, from its files alone: nothing in it is run."""
    cache = loader_cache(root)
    python = find_python(root)
    version = None
    if python is not None:
        match = re.search(r"python(3\.\d+)$", root.resolve(python))
        version = match.group(1) if match else ""
    libraries, module = openssl_of_image(root, python, version, cache)
    library = next((lib for lib in libraries if lib.in_use), None)
    if python is None and library is None:
        raise RootError("%s holds no Python and no libcrypto: nothing in it reads CA certificates" % root.root)
    prefix = os.path.dirname(os.path.dirname(python)) if python else ""
    runtime = runtime_from_files(
        library=library,
        environ={},
        root=root,
        executable=python or "",
        python=version,
        prefix=prefix,
        base_prefix=prefix,
        hints=python_hints(python or "", prefix, {}, False) if python else (),
        euid=0,
        ssl_module=module,
        certifi=find_certifi(root, version, [prefix], {}, True) if version else None,
    )
    if library is None:
        runtime = replace(runtime, ssl_error="the image's Python has no OpenSSL: no _ssl module or libcrypto found")
    subject = Subject(kind="root", executable=python, python=python is not None, observed="files", root=root.root)
    known = {lib.realpath: lib.openssldir for lib in libraries}
    return Facts(
        runtime=runtime,
        libraries=tuple(libraries),
        system_libraries=system_libraries(known, root),
        bundles=inventory(runtime, root),
        subject=subject,
    )
