"""An unpacked image or chroot (`--root`) read from its files alone: nothing in it is run."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping

from cadoctor._errors import RootError
from cadoctor._facts.binary.elf import elf_at
from cadoctor._facts.binary.loader import find_library, loader_cache
from cadoctor._facts.binary.openssl_build import describe_file, openssl_strings
from cadoctor._facts.binary.stacks import never_tls, stacks_of
from cadoctor._facts.child.libraries import LIBRARY_NAME, role_of
from cadoctor._facts.fs.fileroot import FileRoot
from cadoctor._facts.interpreters.proof import venv_value
from cadoctor._facts.subjects.offline import python_hints, runtime_from_files, site_folders
from cadoctor._facts.subjects.this_process import facts_of_runtime
from cadoctor._model import Facts, LoadedLibrary, Stack, Subject
from cadoctor._record import replace

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from cadoctor._model.inspection import ElfFacts

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
    return openssl_strings(host), elf_at(host)


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


# Where images keep their applications' environments: each folder, and its `.venv` and `venv` (a Poetry or uv
# project's), holding a `pyvenv.cfg`; and one level below /opt, /srv, /app, /usr/src and /home.
_VENV_HOMES = ("/", "/opt", "/srv", "/app", "/usr/src", "/home", "/root", "/code", "/workspace")
_VENV_LIMIT = 64  # folders looked into below each home: an image's top levels are small


def find_venvs(root: FileRoot) -> tuple[str, ...]:
    """Every venv an image carries where images keep them, by its `pyvenv.cfg`: the python of each, sorted."""
    found: list[str] = []
    for home in _VENV_HOMES:
        try:
            names = sorted(os.listdir(root.host(home)))[:_VENV_LIMIT]
        except OSError:
            continue
        folders = [home] if home != "/" else []
        folders += [os.path.join(home, n) for n in names if home != "/" or n in ("venv", ".venv", "env", "app")]
        for folder in folders:
            for candidate in (folder, folder + "/.venv", folder + "/venv"):
                python = candidate + "/bin/python"
                if root.exists(candidate + "/pyvenv.cfg") and root.lexists(python) and python not in found:
                    found.append(python)
    return tuple(sorted(found))


def _venv_of(root: FileRoot, python: str) -> tuple[str, bool] | None:
    """A venv interpreter's (prefix, whether it sees the system site): from the `pyvenv.cfg` beside its bin."""
    prefix = os.path.dirname(os.path.dirname(python))
    try:
        with open(root.host(prefix + "/pyvenv.cfg"), "rb") as handle:
            text = handle.read(64 * 1024).decode("utf-8", "replace")
    except OSError:
        return None
    system = venv_value(text, "include-system-site-packages", last=True)  # line by line: never a backtracking regex
    return prefix, (system or "").lower() == "true"


def python_on_path(root: FileRoot, path: str) -> str | None:
    """The interpreter an image's PATH finds first (`python3`, then `python`), as its shell would."""
    for folder in path.split(":"):
        for name in ("python3", "python"):
            candidate = folder.rstrip("/") + "/" + name
            if folder.startswith("/") and root.exists(candidate):
                return candidate
    return None


def facts_of_root(
    root: FileRoot, clients: frozenset[str], python: str | None = None, environ: Mapping[str, str] | None = None
) -> Facts:
    """The facts of an unpacked image or chroot, from its files alone: nothing in it is run.

    `clients`: the distributions to look for in its Python's site folders. `python`: the interpreter to examine,
    as a path inside the image (a venv's, `/opt/venv/bin/python`); by default the one the image's PATH finds
    first (`environ`: the image's own environment, from its config or Dockerfile), else the usual folders'.
    Raises RootError when the image holds no such interpreter.
    """
    environ = dict(environ or {})
    cache = loader_cache(root)
    if python is not None and not root.exists(python):
        raise RootError("%s holds no %s" % (root.root, python))
    python = python or (python_on_path(root, environ["PATH"]) if "PATH" in environ else None) or find_python(root)
    version = None
    if python is not None:
        match = re.search(r"python(3\.\d+)$", root.resolve(python))
        version = match.group(1) if match else ""
    libraries, module = openssl_of_image(root, python, version, cache)
    library = next((lib for lib in libraries if lib.in_use), None)
    if python is None and library is None:
        raise RootError("%s holds no Python and no libcrypto: nothing in it reads CA certificates" % root.root)
    venv = _venv_of(root, python) if python else None
    base = os.path.dirname(os.path.dirname(root.resolve(python))) if python else ""
    prefix = venv[0] if venv else base
    prefixes = [prefix, base] if venv else [prefix]
    runtime = runtime_from_files(
        library=library,
        environ=environ,
        root=root,
        executable=python or "",
        python=version,
        prefix=prefix,
        base_prefix=base,
        hints=python_hints(python or "", prefix, environ, venv is not None) if python else (),
        euid=0,
        ssl_module=module,
        folders=site_folders(root, version, prefixes, environ, venv[1] if venv else True) if version else (),
    )
    if library is None:
        runtime = replace(runtime, ssl_error="the image's Python has no OpenSSL: no _ssl module or libcrypto found")
    subject = Subject(kind="root", executable=python, python=python is not None, observed="files", root=root.root)
    facts = facts_of_runtime(runtime, tuple(libraries), clients=clients, root=root, subject=subject)
    examined = os.path.dirname(python) if python else None  # a venv's python and python3: one interpreter
    others = tuple(
        p for p in (find_python(root), *find_venvs(root)) if p is not None and os.path.dirname(p) != examined
    )
    stacks = installed_stacks(root, tuple(libraries), runtime.site_folders, python)
    return replace(facts, stacks=stacks, other_pythons=tuple(dict.fromkeys(others)))


_WALK_LIMIT = 200000  # files looked at in an image's site folders: a large one holds tens of thousands


def installed_stacks(
    root: FileRoot, libraries: tuple[LoadedLibrary, ...], folders: tuple[str, ...], python: str | None
) -> tuple[Stack, ...]:
    """The TLS stacks an image's Python would carry with its wheels, found in its site folders.

    Vendored libcrypto copies, and OpenSSL linked into extension modules or their libraries (librdkafka,
    cygrpc). An image runs nothing, so these are what its Python can load, not what a process loaded. Symbolic links are
    not followed (they could lead out of the image); only shared objects of 1 MiB or more, or named libcrypto,
    are read, each once.
    """
    found: list[LoadedLibrary] = []
    seen: list[str] = []
    visited = 0
    for folder in folders:
        top = root.host(folder)
        for directory, _, names in os.walk(top):
            visited += len(names)
            if visited > _WALK_LIMIT:  # bounded: an image with more files than this is read no further
                break
            for name in names:
                host = os.path.join(directory, name)
                if os.path.islink(host) or ".so" not in name or never_tls(name):
                    continue
                path = folder + host[len(top) :]
                seen.append(path)
                named = LIBRARY_NAME.match(name) is not None
                if not named and os.path.getsize(host) < 1 << 20:
                    continue
                strings = openssl_strings(host)
                if strings.get("openssldir"):
                    found.append(describe_file(path, strings, role_of(path) if named else "static", root))
    return stacks_of((*libraries, *found), seen, python, python is not None)
